//! One line of the copy register, and how the officer's printable form (CSV) lays it out.
//!
//! The columns follow the paper copy register (form 12, Circular 24/2020/TT-BCA): date,
//! document, secrecy level, copies, who approved, who copied, where it went; plus what only a
//! machine can add: direction, size and SHA-256 of the content. The daemon cannot know a
//! document's secrecy level nor who approved the copy: those columns are left empty for the
//! officer, never guessed.

use serde::{Deserialize, Serialize};

use crate::i18n::{time, Catalog};
use crate::tr_in;

/// What happened to a file.
pub mod event {
    /// A new file was written to the medium.
    pub const CREATED: &str = "created";
    /// An existing file on the medium was overwritten or appended to.
    pub const WRITTEN: &str = "written";
    /// A file was renamed onto a name on the medium (editors, rsync: write, then rename).
    pub const MOVED: &str = "moved";
    /// A file on the medium was read onto the machine.
    pub const READ: &str = "read";
    /// A process wrote to the medium's block device itself (`dd`, `debugfs -w`, `swapon`).
    pub const RAW_WRITE: &str = "raw-write";
    /// A process opened or read the medium's block device itself.
    pub const RAW_READ: &str = "raw-read";
    /// Events were lost before they could be recorded (see `lost`).
    pub const LOST: &str = "lost";
    /// A note from the daemon about the register itself (e.g. a torn line found after a crash).
    pub const NOTE: &str = "note";
}

/// Where a copy went.
pub mod direction {
    /// From the machine onto the medium.
    pub const TO_MEDIUM: &str = "to-medium";
    /// From the medium onto the machine.
    pub const FROM_MEDIUM: &str = "from-medium";
}

/// One record. Field order is the order in the file; the chain hash is appended by
/// [`super::file`], not kept here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// 1, 2, 3, ... without gaps: a missing number is a removed line.
    pub seq: u64,
    /// When the daemon learned of it, RFC 3339 UTC (`2026-11-24T16:29:01.123456Z`).
    pub time: String,
    /// The same, in microseconds since the Unix epoch.
    pub time_us: u64,
    /// One of [`event`].
    pub event: String,
    /// One of [`direction`]; empty for `lost` and `note`.
    pub direction: String,
    /// The path on the medium (from the medium's root), the "document" of the paper register:
    /// exactly, when the name is valid UTF-8 (JSON escapes control characters); else readable
    /// only, with invalid bytes as U+FFFD, and the exact bytes in `document_hex`.
    pub document: String,
    /// The exact bytes of a path that is not valid UTF-8, in hex; absent otherwise. Two names
    /// that differ only in invalid bytes are two different documents.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub document_hex: String,
    /// Secrecy level: left for the officer.
    pub secrecy: String,
    /// Number of copies: 1 per record.
    pub copies: u32,
    /// Who approved the copy: left for the officer.
    pub approved_by: String,
    /// Size in bytes of the content hashed.
    pub size: Option<u64>,
    /// SHA-256 of the content as the daemon read it after the file was closed; empty when it
    /// could not be read (see `note`).
    pub sha256: String,
    /// The process that wrote or read it.
    pub pid: u32,
    /// Its command name.
    pub comm: String,
    /// Its executable, when it was still running.
    pub exe: String,
    /// Its user id; None when the process could not be identified.
    pub uid: Option<u32>,
    /// The user's name.
    pub user: String,
    /// The medium's `[[media]]` entry.
    pub medium: String,
    /// The medium's device, `major:minor`.
    pub device: String,
    /// Its USB serial number, when known.
    pub serial: String,
    /// Its filesystem UUID.
    pub fs_uuid: String,
    /// Its filesystem label.
    pub fs_label: String,
    /// `success`, or `failure` when the content could not be hashed.
    pub result: String,
    /// Why it failed, or what else the officer should know.
    pub note: String,
    /// For `lost`: how many events were not recorded.
    pub lost: u64,
}

impl Entry {
    /// Set the document from the exact bytes of its path on the medium.
    pub fn set_document(&mut self, bytes: &[u8]) {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                self.document = text.to_string();
                self.document_hex.clear();
            }
            Err(_) => {
                self.document = String::from_utf8_lossy(bytes).into_owned();
                self.document_hex = bytes.iter().map(|b| format!("{b:02x}")).collect();
            }
        }
    }

    /// The exact bytes of the document's path.
    pub fn document_bytes(&self) -> Vec<u8> {
        let hex = self.document_hex.as_bytes();
        let decoded: Option<Vec<u8>> = (!hex.is_empty() && hex.len().is_multiple_of(2))
            .then(|| {
                hex.chunks(2)
                    .map(|pair| {
                        std::str::from_utf8(pair)
                            .ok()
                            .and_then(|p| u8::from_str_radix(p, 16).ok())
                    })
                    .collect()
            })
            .flatten();
        decoded.unwrap_or_else(|| self.document.as_bytes().to_vec())
    }

    /// The document as a terminal or a spreadsheet may show it: see [`escape`].
    pub fn document_shown(&self) -> String {
        escape(&self.document_bytes())
    }

    /// Whether the record passes `filter`.
    pub fn matches(&self, since_us: Option<u64>, medium: Option<&str>) -> bool {
        since_us.is_none_or(|t| self.time_us >= t) && medium.is_none_or(|m| self.medium == m)
    }

    /// "root (uid 0), cp"
    pub fn who(&self) -> String {
        let user = match (self.user.is_empty(), self.uid) {
            (false, Some(uid)) => format!("{} (uid {uid})", self.user),
            (true, Some(uid)) => format!("uid {uid}"),
            _ => "unknown user".to_string(),
        };
        if self.comm.is_empty() {
            user
        } else {
            // A process names itself: its name is shown escaped like a file's.
            format!("{user}, {}", escape(self.comm.as_bytes()))
        }
    }
}

/// Text from a file name or a process, made safe to show: every character that could move the
/// cursor, erase, recolour or reorder what an officer reads (control characters, escape
/// sequences, bidirectional overrides, invisible format characters) is written as an escape
/// (`\n`, `\x1b`, `\u{202e}`), bytes that are not UTF-8 as `\xNN`, and the backslash itself
/// as `\\`, so two different names never look the same.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    out.push_str(&format!("\\x{:02x}", c as u32));
                }
                c if c.is_control() || invisible(c) => {
                    out.push_str(&format!("\\u{{{:04x}}}", c as u32));
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Format characters that reorder or hide text without showing themselves.
fn invisible(c: char) -> bool {
    matches!(c as u32,
        0x00ad | 0x061c | 0x180e | 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x206f | 0xfeff)
}

/// A CSV cell that a spreadsheet will not take for a formula: text beginning with `=`, `+`,
/// `-`, `@`, a tab or a carriage return gets a leading `'` (OWASP's advice), after escaping.
pub fn csv_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// RFC 3339 UTC with microseconds, from microseconds since the epoch.
pub fn rfc3339(us: u64) -> String {
    let secs = us / 1_000_000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's days_from_civil, inverted).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        us % 1_000_000
    )
}

/// The CSV columns (catalog ids): the paper register's first.
pub const CSV_COLUMNS: &[&str] = &[
    "csv-no",
    "csv-date",
    "csv-document",
    "csv-secrecy",
    "csv-copies",
    "csv-approved-by",
    "csv-copied-by",
    "csv-recipient",
    "csv-direction",
    "csv-size",
    "csv-sha256",
    "csv-result",
    "csv-notes",
];

/// The CSV header line in `catalog`'s language.
pub fn csv_header(catalog: &Catalog) -> String {
    CSV_COLUMNS
        .iter()
        .map(|id| csv_field(&catalog.text(id, None)))
        .collect::<Vec<_>>()
        .join(",")
}

impl Entry {
    /// "clerk (uid 1000), cp" in `catalog`'s language.
    pub fn who_in(&self, catalog: &Catalog) -> String {
        let user = match (self.user.is_empty(), self.uid) {
            (false, Some(uid)) => {
                tr_in!(catalog, "register-who-user", user = &self.user, uid = uid)
            }
            (true, Some(uid)) => tr_in!(catalog, "register-who-uid", uid = uid),
            _ => tr_in!(catalog, "register-who-unknown"),
        };
        if self.comm.is_empty() {
            user
        } else {
            // A process names itself: its name is shown escaped like a file's.
            format!("{user}, {}", escape(self.comm.as_bytes()))
        }
    }
}

/// One CSV row (RFC 4180) in `catalog`'s language: its date convention, its words.
pub fn csv_row(e: &Entry, catalog: &Catalog) -> String {
    let medium = match (e.medium.is_empty(), e.serial.is_empty()) {
        (false, false) => tr_in!(
            catalog,
            "csv-medium-serial",
            medium = &e.medium,
            serial = &e.serial
        ),
        (false, true) => e.medium.clone(),
        _ => e.device.clone(),
    };
    let direction = match e.direction.as_str() {
        direction::TO_MEDIUM => tr_in!(catalog, "csv-to-medium"),
        direction::FROM_MEDIUM => tr_in!(catalog, "csv-from-medium"),
        _ => String::new(),
    };
    let result = match e.result.as_str() {
        "success" => tr_in!(catalog, "csv-success"),
        "failure" => tr_in!(catalog, "csv-failure"),
        other => other.to_string(),
    };
    let mut notes = e.note.clone();
    if e.event == event::LOST {
        notes = format!("{} {notes}", tr_in!(catalog, "csv-lost", count = e.lost));
    } else if e.event == event::MOVED {
        notes = format!("{} {notes}", tr_in!(catalog, "csv-moved"));
    }
    let safe = |text: &str| csv_text(&escape(text.as_bytes()));
    let fields = [
        e.seq.to_string(),
        time::date_time(catalog, e.time_us),
        csv_text(&e.document_shown()),
        safe(&e.secrecy),
        if e.event == event::LOST || e.event == event::NOTE {
            String::new()
        } else {
            e.copies.to_string()
        },
        safe(&e.approved_by),
        csv_text(&e.who_in(catalog)),
        safe(&medium),
        direction,
        e.size.map(|s| s.to_string()).unwrap_or_default(),
        safe(&e.sha256),
        safe(&result),
        safe(notes.trim()),
    ];
    fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",")
}

/// Quote a CSV field when it needs it.
pub fn csv_field(f: &str) -> String {
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn utc_times() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
        // 2026-11-24 16:29:01.5 UTC
        assert_eq!(
            rfc3339(1_795_537_741_500_000),
            "2026-11-24T16:29:01.500000Z"
        );
        assert_eq!(rfc3339(951_782_400_000_000), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn csv_quotes_what_needs_it_and_leaves_the_officers_columns_empty() {
        let e = Entry {
            seq: 3,
            event: event::CREATED.into(),
            direction: direction::TO_MEDIUM.into(),
            document: "/Báo cáo, \"mật\".odt".into(),
            copies: 1,
            uid: Some(1000),
            user: "clerk".into(),
            comm: "cp".into(),
            medium: "Stick 3".into(),
            serial: "S3".into(),
            size: Some(12),
            sha256: "ab".into(),
            result: "success".into(),
            // 2026-11-24 12:00 UTC: the 24th in every time zone.
            time_us: 1_795_521_600_000_000,
            ..Entry::default()
        };
        let en = Catalog::new(Lang::En, None);
        let row = csv_row(&e, &en);
        let date = time::date_time(&en, e.time_us);
        assert!(date.starts_with("2026-11-24 "), "{date}");
        assert_eq!(
            row,
            format!(
                "3,{date},\"/Báo cáo, \"\"mật\"\".odt\",,1,,\"clerk (uid 1000), cp\",\
                 Stick 3 (serial S3),to medium,12,ab,success,"
            )
        );
    }

    #[test]
    fn the_vietnamese_form_has_the_paper_registers_headers_and_dates() {
        let vi = Catalog::new(Lang::Vi, None);
        let header = csv_header(&vi);
        assert!(
            header.starts_with(
                "Số TT,Ngày,Tên tài liệu,Độ mật,Số bản,Người duyệt,Người sao,Nơi nhận"
            ),
            "{header}"
        );
        let e = Entry {
            seq: 1,
            time_us: 1_795_521_600_000_000,
            direction: direction::TO_MEDIUM.into(),
            result: "success".into(),
            ..Entry::default()
        };
        assert!(
            csv_row(&e, &vi).starts_with("1,24/11/2026 "),
            "{}",
            csv_row(&e, &vi)
        );
        assert_eq!(
            header.split(',').count(),
            csv_row(&e, &vi).split(',').count()
        );
    }

    #[test]
    fn issue15_names_are_stored_exactly_and_shown_escaped() {
        let mut a = Entry::default();
        a.set_document(b"/a\x80.odt");
        let mut b = Entry::default();
        b.set_document(b"/a\x81.odt");
        assert_eq!(a.document, b.document, "both readable the same way");
        assert_ne!(a, b, "but stored as two documents");
        assert_eq!(a.document_bytes(), b"/a\x80.odt");
        assert_eq!(a.document_shown(), "/a\\x80.odt");
        // A file literally named with a backslash does not look like an invalid byte.
        let mut c = Entry::default();
        c.set_document(b"/a\\x80.odt");
        assert_eq!(c.document_hex, "");
        assert_eq!(c.document_shown(), "/a\\\\x80.odt");
        assert_eq!(
            escape("x\n#13 fake line\x1b[2J\u{202e}fdp.exe".as_bytes()),
            "x\\n#13 fake line\\x1b[2J\\u{202e}fdp.exe"
        );
        assert_eq!(escape("Báo cáo mật.odt".as_bytes()), "Báo cáo mật.odt");
        // A line of the file round-trips the exact bytes.
        let json = serde_json::to_string(&a).unwrap();
        let back: Entry = serde_json::from_str(&json).unwrap();
        assert_eq!(back.document_bytes(), b"/a\x80.odt");
        let plain = serde_json::to_string(&c).unwrap();
        assert!(!plain.contains("document_hex"), "{plain}");
    }

    #[test]
    fn issue15_csv_neutralises_formulas_and_escapes() {
        let mut e = Entry {
            seq: 1,
            event: event::CREATED.into(),
            comm: "=cmd|' /C calc'!A0".into(),
            ..Entry::default()
        };
        e.set_document(b"=HYPERLINK(\"http://x\",\"a\")");
        let en = Catalog::new(Lang::En, None);
        let d = time::date_time(&en, e.time_us);
        let row = csv_row(&e, &en);
        assert!(
            row.starts_with(&format!(
                "1,{d},\"'=HYPERLINK(\"\"http://x\"\",\"\"a\"\")\","
            )),
            "{row}"
        );
        e.set_document(b"@SUM(A1)\n");
        let row = csv_row(&e, &en);
        assert!(row.contains(",'@SUM(A1)\\n,"), "{row}");
        assert!(!row.contains('\n'), "{row}");
        for bad in ["+1", "-1", "\tx"] {
            assert!(csv_text(bad).starts_with('\''), "{bad}");
        }
        assert_eq!(csv_text("/docs/a.odt"), "/docs/a.odt");
    }
}
