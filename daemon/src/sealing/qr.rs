//! The verification key as a QR code on the terminal: two rows of modules per line with the
//! Unicode half blocks, light modules drawn, so it reads on the dark background of a console.

use qrcode::render::unicode::Dense1x2;
use qrcode::{EcLevel, QrCode};

/// What the QR code holds: the key in journalctl's own `fss://` form, with the machine it
/// belongs to, so a code scanned into the officer's records says whose key it is.
pub fn url(key: &str, machine_id: &str, hostname: &str) -> String {
    let mut url = format!("fss://{key}?machine={machine_id}");
    if !hostname.is_empty() {
        url.push_str("&hostname=");
        url.push_str(hostname);
    }
    url
}

/// `text` as lines of half blocks (with the quiet zone); None if it does not fit a QR code.
pub fn render(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    Some(
        code.render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}
