//! The integrity data as a QR code on the page (SVG by the qrcode crate, inline): a phone or
//! `zbarimg` reads back report.json's hash and the chain heads from the printed sheet, to
//! compare with `report verify` and with the next inspection.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use super::model::ReportDoc;

/// What the code holds: one `name value` line per fact, in English words (a program reads it).
pub fn text(doc: &ReportDoc, json_sha256: &str) -> String {
    let g = &doc.integrity;
    let mut lines = vec![format!("airgapd-report sha256:{json_sha256}")];
    if let Some(id) = &doc.machine.machine_id {
        lines.push(format!("machine-id {id}"));
    }
    lines.extend(g.machine_record_head.clone());
    lines.extend(g.copy_register_head.clone());
    lines.push(format!(
        "journal-seal {}",
        match g.journal_sealed {
            Some(true) => "passed",
            Some(false) => "failed",
            None => "unchecked",
        }
    ));
    lines.join("\n")
}

/// The code as an inline `<svg>` element (no XML declaration), or None if the text does not
/// fit a QR code.
pub fn svg(doc: &ReportDoc, json_sha256: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text(doc, json_sha256), EcLevel::M).ok()?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(180, 180)
        .quiet_zone(true)
        .build();
    // Inline in HTML the declaration is noise; the <svg> element is the picture.
    image.find("<svg").map(|at| image[at..].to_string())
}
