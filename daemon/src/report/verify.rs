//! `airgapctl report verify DIR`: the signature over `report.json`, then `report.html`
//! against the page rendered again from it. A changed byte in any of the three files fails
//! one of the two, with an error naming the file.

use std::path::Path;

use super::model::ReportDoc;
use super::sign::{self, PublicKey};
use super::{html, Files, ReportError};
use crate::update::offered::sha256_hex;

/// A report that verified.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Its model.
    pub doc: ReportDoc,
    /// The key that signed it.
    pub key: PublicKey,
    /// Whether that key is only the one `report.json` names (none was given): then the check
    /// shows the files unchanged since signing, not which machine signed.
    pub embedded_key: bool,
    /// SHA-256 of `report.json`, hex.
    pub json_sha256: String,
}

fn read(file: &Path) -> Result<Vec<u8>, ReportError> {
    std::fs::read(file).map_err(|e| ReportError::io(file, e))
}

/// Where the first byte of `rendered` and `found` differ, if they do.
fn first_difference(rendered: &[u8], found: &[u8]) -> Option<usize> {
    (rendered != found).then(|| {
        rendered
            .iter()
            .zip(found)
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| rendered.len().min(found.len()))
    })
}

/// Verify the report in `dir`, with the public key file `key` or else the key it names; the
/// PDF is typeset again with `font`.
pub fn verify(dir: &Path, key: Option<&Path>, font: &Path) -> Result<Verified, ReportError> {
    let files = Files::in_dir(dir);
    let json = read(&files.json)?;
    let sig = read(&files.sig)?;
    let page = read(&files.html)?;
    let doc = ReportDoc::from_json(&files.json, &json)?;
    let (key, embedded_key) = match key {
        Some(file) => (sign::read_public(file)?, false),
        None => (
            sign::public_from_line(&doc.machine.public_key, &files.json).map_err(|_| {
                ReportError::Field {
                    file: files.json.clone(),
                    field: "machine.public_key".into(),
                    detail: "not an OpenSSH ed25519 public key".into(),
                }
            })?,
            true,
        ),
    };
    sign::verify(&files.json, &json, &files.sig, &sig, &key)?;
    let json_sha256 = sha256_hex(&json);
    let font_data = read(font)?;
    let rendered = html::render(&doc, &json_sha256, &font_data);
    if let Some(offset) = first_difference(rendered.as_bytes(), &page) {
        return Err(ReportError::HtmlDiffers {
            file: files.html,
            json: files.json,
            offset,
        });
    }
    let pdf = read(&files.pdf)?;
    let rendered = super::pdf::render(&doc, &json_sha256, font)?;
    if let Some(offset) = first_difference(&rendered, &pdf) {
        return Err(ReportError::HtmlDiffers {
            file: files.pdf,
            json: files.json,
            offset,
        });
    }
    Ok(Verified {
        doc,
        key,
        embedded_key,
        json_sha256,
    })
}
