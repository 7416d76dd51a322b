//! The report's one model: what `report.json` holds. The page is rendered from this alone,
//! read back from the JSON, so nothing on the page can say more than the signed file does.
//! Keys are only ever added; [`FORMAT_VERSION`] is raised when one changes meaning.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ReportError;
use crate::inspect::model::Report as Inspection;

/// Version of `report.json`.
pub const FORMAT_VERSION: u32 = 1;

/// The languages a report is rendered in.
pub const LANGS: &[&str] = &["vi", "en"];

/// The whole report.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportDoc {
    /// [`FORMAT_VERSION`].
    pub format: u32,
    /// What the officer typed, and when and how the report was made.
    pub header: Header,
    /// Which machine made it.
    pub machine: Machine,
    /// The chain heads and seals to compare with the next inspection.
    pub integrity: Integrity,
    /// `airgapctl inspect --json`'s model, unchanged.
    pub inspection: Inspection,
}

/// The header of the record (biên bản): typed by the officer, never checked by airgapd.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// The page's language: one of [`LANGS`].
    pub lang: String,
    /// When the report was made.
    pub created_at_us: u64,
    /// The machine's offset from UTC then, in seconds: every time on the page is shown at
    /// this offset, so the page renders the same on any machine.
    pub utc_offset_s: i32,
    /// The inspecting agency.
    pub agency: Option<String>,
    /// The room or office inspected.
    pub room: Option<String>,
    /// The inspectors.
    pub officers: Vec<String>,
    /// The seal number.
    pub seal: Option<String>,
    /// The legal basis of the inspection.
    pub legal_basis: Option<String>,
}

/// One network interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nic {
    /// Its name (`enp3s0`).
    pub name: String,
    /// Its MAC address.
    pub mac: String,
}

/// The machine's identity, as far as its files tell.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    /// `/etc/machine-id`.
    pub machine_id: Option<String>,
    /// `/etc/hostname`.
    pub hostname: Option<String>,
    /// `PRETTY_NAME` of `/etc/os-release`.
    pub os: Option<String>,
    /// When the OS was installed: the Debian installer's log directory's time, when the
    /// root has one.
    pub installed_us: Option<u64>,
    /// The DMI product serial (the running machine only, read as root).
    pub dmi_serial: Option<String>,
    /// Every NIC but loopback (the running machine only).
    pub nics: Vec<Nic>,
    /// airgapd's version that made the report.
    pub airgapd_version: String,
    /// The machine key's public half, one OpenSSH line (`ssh-ed25519 AAAA...`).
    pub public_key: String,
    /// Its fingerprint (`SHA256:...`).
    pub key_fingerprint: String,
}

/// What the next inspection compares with, taken from the inspection.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Integrity {
    /// Whether the machine record verified.
    pub machine_record_verified: bool,
    /// Its last record's number.
    pub machine_record_seq: u64,
    /// Its chain head.
    pub machine_record_chain: Option<String>,
    /// The head as one token for `inspect --previous`.
    pub machine_record_head: Option<String>,
    /// Why it did not verify.
    pub machine_record_problem: Option<String>,
    /// The copy register's head, for `inspect --previous`.
    pub copy_register_head: Option<String>,
    /// The journal sealing result (None: no key was given).
    pub journal_sealed: Option<bool>,
}

impl Integrity {
    /// Taken from `inspection`, which computed all of it.
    pub fn of(inspection: &Inspection) -> Integrity {
        let s = &inspection.since_airgapd;
        Integrity {
            machine_record_verified: s.verified,
            machine_record_seq: s.last_seq,
            machine_record_chain: s.last_chain.clone(),
            machine_record_head: s.head.clone(),
            machine_record_problem: s.problem.clone(),
            copy_register_head: inspection.copy_register.head.clone(),
            journal_sealed: inspection.journal_seal.as_ref().map(|j| j.passed),
        }
    }
}

impl ReportDoc {
    /// The bytes of `report.json`: pretty JSON ending in a newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut json = serde_json::to_vec_pretty(self).unwrap_or_else(|e| {
            // Only maps with non-string keys fail, and the model has none.
            unreachable!("report model serialises: {e}")
        });
        json.push(b'\n');
        json
    }

    /// Read back `bytes`, the content of `file`; a bad value is an error naming the field.
    pub fn from_json(file: &Path, bytes: &[u8]) -> Result<ReportDoc, ReportError> {
        let mut doc: ReportDoc =
            serde_json::from_slice(bytes).map_err(|e| ReportError::Malformed {
                file: file.to_path_buf(),
                detail: e.to_string(),
            })?;
        let field = |field: &str, detail: String| ReportError::Field {
            file: file.to_path_buf(),
            field: field.to_string(),
            detail,
        };
        if doc.format != FORMAT_VERSION {
            return Err(field(
                "format",
                format!(
                    "{} is not {FORMAT_VERSION}, the version this airgapctl reads",
                    doc.format
                ),
            ));
        }
        if !LANGS.contains(&doc.header.lang.as_str()) {
            return Err(field(
                "header.lang",
                format!("{:?} is none of {}", doc.header.lang, LANGS.join(", ")),
            ));
        }
        if doc.header.utc_offset_s.abs() > 18 * 3600 {
            return Err(field(
                "header.utc_offset_s",
                format!("{} is beyond 18 hours", doc.header.utc_offset_s),
            ));
        }
        // Evidence items sit under the finding they answer (the JSON does not repeat it).
        for f in &mut doc.inspection.findings {
            for e in &mut f.evidence {
                e.finding = f.id;
            }
        }
        Ok(doc)
    }
}
