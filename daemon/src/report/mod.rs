//! `airgapctl report`: the officer's inspection report (issue 20, docs/report.md). One model
//! ([`model::ReportDoc`]: the inspection of `crate::inspect`, the header the officer typed,
//! the machine's identity and the integrity data), written as `report.json`; `report.html` is
//! rendered from that JSON's model alone ([`html`]), so [`verify`] can render it again and
//! compare; `report.sig` is an OpenSSH signature over `report.json` with the machine key
//! ([`sign`]).

pub mod html;
pub mod identity;
pub mod merge;
pub mod merge_log;
pub mod merge_render;
pub mod model;
pub mod pdf;
pub mod qr;
pub mod sign;
pub mod timeline;
pub mod verify;
pub mod weekly;

use std::path::{Path, PathBuf};

use model::ReportDoc;

/// The report's data, signed.
pub const JSON_FILE: &str = "report.json";
/// The page for people, rendered from [`JSON_FILE`].
pub const HTML_FILE: &str = "report.html";
/// The OpenSSH signature of [`JSON_FILE`].
pub const SIG_FILE: &str = "report.sig";
/// The page typeset on the PC, rendered from [`JSON_FILE`] too.
pub const PDF_FILE: &str = "report.pdf";

/// What can go wrong making or checking a report; each names the file it is about.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file could not be read or written.
    #[error("{}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// `report.json` is not a report: bad JSON or a field of the wrong type.
    #[error("{}: not a report: {detail}", file.display())]
    Malformed {
        /// The file.
        file: PathBuf,
        /// What serde_json said, with line and column.
        detail: String,
    },
    /// A field holds a value the report cannot have.
    #[error("{}: field `{field}`: {detail}", file.display())]
    Field {
        /// The file.
        file: PathBuf,
        /// The field, as a JSON path.
        field: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The signature does not verify with the key: the JSON or the signature was changed,
    /// or another key signed.
    #[error("{}: is not what {} signed with key {key}: {detail}", file.display(), sig.display())]
    BadSignature {
        /// The JSON file.
        file: PathBuf,
        /// The signature file.
        sig: PathBuf,
        /// The key's fingerprint.
        key: String,
        /// What ssh-keygen said.
        detail: String,
    },
    /// The page (HTML or PDF) is not the rendering of the JSON.
    #[error("{}: differs from the page rendered from {} (first difference at byte {offset})", file.display(), json.display())]
    HtmlDiffers {
        /// The page.
        file: PathBuf,
        /// The JSON file.
        json: PathBuf,
        /// The first byte that differs.
        offset: usize,
    },
    /// A public key file is not one OpenSSH ed25519 key.
    #[error("{}: not an OpenSSH ed25519 public key", file.display())]
    BadKey {
        /// The file.
        file: PathBuf,
    },
    /// ssh-keygen could not be run or did not answer as expected.
    #[error("{}: {detail}", program.display())]
    SshKeygen {
        /// The program.
        program: PathBuf,
        /// What went wrong.
        detail: String,
    },
}

impl ReportError {
    pub(crate) fn io(file: &Path, source: std::io::Error) -> ReportError {
        ReportError::Io {
            file: file.to_path_buf(),
            source,
        }
    }
}

/// The three files of a report in `dir`.
#[derive(Debug, Clone)]
pub struct Files {
    /// `report.json`.
    pub json: PathBuf,
    /// `report.html`.
    pub html: PathBuf,
    /// `report.sig`.
    pub sig: PathBuf,
    /// `report.pdf`.
    pub pdf: PathBuf,
}

impl Files {
    /// The files in `dir`.
    pub fn in_dir(dir: &Path) -> Files {
        Files {
            json: dir.join(JSON_FILE),
            html: dir.join(HTML_FILE),
            sig: dir.join(SIG_FILE),
            pdf: dir.join(PDF_FILE),
        }
    }
}

/// The report of `inspection`: the officer's `header` (its time and zone filled in here), the
/// identity of the machine inspected, and the key `key` (made if missing) that will sign it.
pub fn build(
    inspection: crate::inspect::model::Report,
    header: model::Header,
    key: &Path,
) -> Result<ReportDoc, ReportError> {
    let public = sign::ensure_key(key)?;
    let mut machine = identity::read(Path::new(&inspection.root));
    machine.public_key = public.line;
    machine.key_fingerprint = public.fingerprint;
    let created_at_us = inspection.inspected_at_us;
    Ok(ReportDoc {
        format: model::FORMAT_VERSION,
        header: model::Header {
            created_at_us,
            utc_offset_s: crate::i18n::time::utc_offset_s(created_at_us),
            ..header
        },
        machine,
        integrity: model::Integrity::of(&inspection),
        inspection,
    })
}

/// Write `doc` into `dir` (created if missing) as JSON, HTML, PDF (typeset with `font`) and
/// the JSON's signature with the private key `key`. The JSON is written last-but-one and the
/// signature last, so a report cut short by a full stick never verifies.
pub fn write(dir: &Path, doc: &ReportDoc, key: &Path, font: &Path) -> Result<Files, ReportError> {
    std::fs::create_dir_all(dir).map_err(|e| ReportError::io(dir, e))?;
    let files = Files::in_dir(dir);
    let json = doc.to_json();
    let sha = crate::update::offered::sha256_hex(&json);
    let font_data = std::fs::read(font).map_err(|e| ReportError::io(font, e))?;
    let page = html::render(doc, &sha, &font_data);
    let pdf = pdf::render(doc, &sha, font)?;
    let sig = sign::sign(key, &json)?;
    std::fs::write(&files.html, page).map_err(|e| ReportError::io(&files.html, e))?;
    std::fs::write(&files.pdf, pdf).map_err(|e| ReportError::io(&files.pdf, e))?;
    std::fs::write(&files.json, &json).map_err(|e| ReportError::io(&files.json, e))?;
    std::fs::write(&files.sig, sig).map_err(|e| ReportError::io(&files.sig, e))?;
    tracing::info!(dir = %dir.display(), "report written");
    Ok(files)
}
