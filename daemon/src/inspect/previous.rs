//! Chain heads across inspections (issue 19, "tamper evidence"): every report prints the head
//! of airgapd's hash-chained records (the machine record, and the copy register when the
//! machine has one) as one token, `RECORD:SEQ:HASH`; the officer notes it on paper, and the
//! next inspection, given it with `--previous`, checks that the record still holds that very
//! line with that very chain, so the record then was a prefix of the record now. A record
//! extended since passes; one truncated before the head, replaced, or edited and re-hashed from
//! the edit on (which verifies on its own) does not, and that is a finding.

use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::model::FindingId;
use super::root::Root;
use super::Folder;
use crate::chain::{self, ChainError, Chained, PrefixAt};
use crate::paths;

/// A record airgapd chains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Record {
    /// `/var/lib/airgapd/machine-record.jsonl`.
    MachineRecord,
    /// `/var/lib/airgapd/register.jsonl`.
    CopyRegister,
}

impl Record {
    /// The name in a head token, in JSON and in the source list.
    pub fn name(self) -> &'static str {
        match self {
            Record::MachineRecord => "machine-record",
            Record::CopyRegister => "copy-register",
        }
    }

    /// The file, as the inspected machine names it.
    pub fn path(self) -> &'static str {
        match self {
            Record::MachineRecord => paths::MACHINE_RECORD,
            Record::CopyRegister => paths::COPY_REGISTER,
        }
    }
}

/// A chain head as a report prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Whose head.
    pub record: Record,
    /// The last record's number then.
    pub seq: u64,
    /// Its chain, 64 lowercase hex digits.
    pub chain: String,
}

impl Head {
    /// The token a report prints and `--previous` takes.
    pub fn token(&self) -> String {
        format!("{}:{}:{}", self.record.name(), self.seq, self.chain)
    }
}

/// A `--previous` value that is not a head.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a chain head (RECORD:SEQ:HASH): {given}")]
pub struct BadHead {
    /// What was given.
    pub given: String,
}

impl FromStr for Head {
    type Err = BadHead;

    /// `machine-record:12:<64 hex>` or `copy-register:12:<64 hex>`; a head without the record's
    /// name (`12:<hex>`, or `#12 <hex>` as reports before the token printed it) is the machine
    /// record's.
    fn from_str(text: &str) -> Result<Head, BadHead> {
        let bad = || BadHead {
            given: text.to_string(),
        };
        let t = text.trim();
        let (record, rest) = if let Some(r) = t.strip_prefix("machine-record:") {
            (Record::MachineRecord, r)
        } else if let Some(r) = t.strip_prefix("copy-register:") {
            (Record::CopyRegister, r)
        } else {
            (Record::MachineRecord, t)
        };
        let rest = rest.strip_prefix('#').unwrap_or(rest);
        let (seq, hash) = rest
            .split_once(':')
            .or_else(|| rest.split_once(' '))
            .ok_or_else(bad)?;
        let seq: u64 = seq.trim().parse().map_err(|_| bad())?;
        let hash = hash.trim();
        if seq == 0 || hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(Head {
            record,
            seq,
            chain: hash.to_ascii_lowercase(),
        })
    }
}

/// What the record holds now at a previous head's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The line is there with the same chain: the record then is a prefix of the record now.
    Prefix,
    /// The file is gone.
    Missing,
    /// The file has fewer lines than the head's number.
    Truncated,
    /// The line is there with another chain: it, or a line before it, was changed.
    Rewritten,
    /// A line up to it is not a record.
    NotARecord,
    /// The file could not be read.
    Unreadable,
}

impl Outcome {
    /// The JSON spelling, also the tail of `inspect-previous-<outcome>`.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Prefix => "prefix",
            Outcome::Missing => "missing",
            Outcome::Truncated => "truncated",
            Outcome::Rewritten => "rewritten",
            Outcome::NotARecord => "not-a-record",
            Outcome::Unreadable => "unreadable",
        }
    }

    /// Every outcome (each has a catalog message).
    pub const ALL: [Outcome; 6] = [
        Outcome::Prefix,
        Outcome::Missing,
        Outcome::Truncated,
        Outcome::Rewritten,
        Outcome::NotARecord,
        Outcome::Unreadable,
    ];
}

/// One `--previous` head checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PreviousCheck {
    /// The head as given, normalised (`RECORD:SEQ:HASH`).
    pub head: String,
    /// Whose head.
    pub record: Record,
    /// The file, inside the root.
    pub path: String,
    /// The head's record number.
    pub seq: u64,
    /// The head's chain.
    pub chain: String,
    /// What the record holds there now.
    pub outcome: Outcome,
    /// Whether the record then is a prefix of the record now.
    pub still_prefix: bool,
    /// Lines the file has now (when it could be read).
    pub lines_now: Option<u64>,
    /// The chain recomputed at the head's line now, when the line is there.
    pub chain_now: Option<String>,
    /// The line that is not a record, or why the file could not be read.
    pub detail: Option<String>,
}

/// Check `head` against the record in `root`.
pub fn check(root: &Root, head: &Head) -> PreviousCheck {
    let mut out = PreviousCheck {
        head: head.token(),
        record: head.record,
        path: head.record.path().to_string(),
        seq: head.seq,
        chain: head.chain.clone(),
        outcome: Outcome::Missing,
        still_prefix: false,
        lines_now: None,
        chain_now: None,
        detail: None,
    };
    let Some(path) = root.resolve(head.record.path()).filter(|p| p.is_file()) else {
        return out;
    };
    let at = match head.record {
        Record::MachineRecord => at::<crate::machine_record::Entry>(&path, head.seq),
        Record::CopyRegister => at::<crate::register::entry::Entry>(&path, head.seq),
    };
    match at {
        Ok(PrefixAt::Short { lines }) => {
            out.outcome = Outcome::Truncated;
            out.lines_now = Some(lines);
        }
        Ok(PrefixAt::NotARecord { line }) => {
            out.outcome = Outcome::NotARecord;
            out.detail = Some(line.to_string());
        }
        Ok(PrefixAt::Line { chain, seq }) => {
            // The chain covers the record's number too, so an equal chain is the same line.
            out.outcome = if chain == head.chain && seq == Some(head.seq) {
                Outcome::Prefix
            } else {
                Outcome::Rewritten
            };
            out.still_prefix = out.outcome == Outcome::Prefix;
            out.chain_now = Some(chain);
        }
        Err(e) => {
            out.outcome = Outcome::Unreadable;
            out.detail = Some(e.to_string());
        }
    }
    out
}

fn at<T: Chained>(path: &Path, seq: u64) -> Result<PrefixAt, ChainError> {
    chain::prefix_at::<T>(path, seq)
}

/// Every head not found is a finding: the record was rewritten, truncated or replaced since the
/// inspection that printed it (under `uncovered-boots`, with the record's other alterations).
pub fn findings(fold: &mut Folder, checks: &[PreviousCheck]) {
    for c in checks.iter().filter(|c| !c.still_prefix) {
        // What the file holds now, in its own terms (not a sentence: the catalogs say it).
        let now = match (c.outcome, &c.chain_now, c.lines_now, &c.detail) {
            (Outcome::Rewritten, Some(chain), ..) => format!("#{} chain={chain}", c.seq),
            (Outcome::Truncated, _, Some(lines), _) => format!("lines={lines}"),
            (Outcome::NotARecord, _, _, Some(line)) => format!("line={line}"),
            (_, _, _, Some(d)) => d.clone(),
            _ => c.outcome.name().to_string(),
        };
        fold.add(
            FindingId::UncoveredBoots,
            c.record.name(),
            &format!("previous-head-{}", c.outcome.name()),
            c.head.clone(),
            None,
            &format!("{}: {now}", c.path),
        );
    }
}

/// The head of one of airgapd's records as it is now, for the report to print.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RecordHead {
    /// The file, inside the root.
    pub path: String,
    /// Whether it exists.
    pub exists: bool,
    /// Whether its chain verifies.
    pub verified: bool,
    /// Records in it (when it verifies).
    pub records: u64,
    /// The head to note for the next inspection (`--previous`), when it verifies.
    pub head: Option<String>,
    /// Why it does not verify.
    pub problem: Option<String>,
}

/// The copy register's head (the machine record's is in `since_airgapd`).
pub fn copy_register(root: &Root) -> RecordHead {
    let mut out = RecordHead {
        path: paths::COPY_REGISTER.to_string(),
        ..RecordHead::default()
    };
    let Some(path) = root.resolve(paths::COPY_REGISTER).filter(|p| p.is_file()) else {
        return out;
    };
    out.exists = true;
    match chain::verify::<crate::register::entry::Entry>(&path) {
        Ok(v) if v.last_seq > 0 => {
            out.verified = true;
            out.records = v.records;
            out.head = Some(
                Head {
                    record: Record::CopyRegister,
                    seq: v.last_seq,
                    chain: v.last_chain,
                }
                .token(),
            );
        }
        Ok(_) => out.verified = true,
        Err(e) => out.problem = Some(e.to_string()),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse_as_reports_print_them_and_nothing_else_does() {
        let hash = "ab".repeat(32);
        let h: Head = format!("machine-record:12:{hash}").parse().unwrap();
        assert_eq!((h.record, h.seq), (Record::MachineRecord, 12));
        assert_eq!(h.token(), format!("machine-record:12:{hash}"));
        let h: Head = format!("copy-register:3:{}", hash.to_uppercase())
            .parse()
            .unwrap();
        assert_eq!(
            (h.record, h.seq, h.chain.as_str()),
            (Record::CopyRegister, 3, hash.as_str())
        );
        let h: Head = format!("#7 {hash}").parse().unwrap();
        assert_eq!((h.record, h.seq), (Record::MachineRecord, 7));
        for bad in [
            String::new(),
            "machine-record".into(),
            format!("machine-record:x:{hash}"),
            format!("machine-record:0:{hash}"),
            format!("machine-record:-1:{hash}"),
            format!("machine-record:5:{}", &hash[..63]),
            format!("machine-record:5:{hash}0"),
            format!("machine-record:5:{}zz", &hash[..62]),
            format!("register:5:{hash}"),
        ] {
            assert!(bad.parse::<Head>().is_err(), "{bad}");
        }
    }
}
