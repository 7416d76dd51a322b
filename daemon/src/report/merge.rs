//! `airgapctl report merge DIR...`: an office's reports, each verified, as one summary (a row
//! per report). Nothing is merged silently: a report that does not verify is a row that says
//! so, a policy older than the newest serial seen is flagged, and two reports of one machine
//! whose machine records cannot both be true (the later one shorter, or the same length with
//! another chain head, or a `--previous` check of the earlier head that failed) are flagged
//! on both rows. Machines seen by the office's log host join the same summary
//! (`merge_log.rs`). Rendering is `merge_render.rs`'s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::merge_log::{self, LogHosts, LogView};
use super::verify::{self, Verified};
use crate::inspect::fleet_limit::SilenceLimit;
use crate::inspect::model::Answer;
use crate::inspect::previous::Outcome;

/// What a row is made from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// A report carried from the PC, checked against its signature.
    #[default]
    Report,
    /// Only the log host's collected journal: nothing the PC signed.
    LogHost,
}

/// One report's row, or one machine's the log host saw and no report covers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Row {
    /// A report or the log host's journal.
    pub source: Source,
    /// The report's directory, as given.
    pub dir: String,
    /// Whether it verified (signature and page).
    pub verified: bool,
    /// Why not, naming the file.
    pub error: Option<String>,
    /// The machine it names (from a report that did not verify: as it claims).
    pub machine_id: Option<String>,
    /// Its host name.
    pub hostname: Option<String>,
    /// When the report was made.
    pub created_at_us: Option<u64>,
    /// Its zone offset then.
    pub utc_offset_s: i32,
    /// The policy's id and serial.
    pub policy_id: Option<String>,
    /// See `policy_id`.
    pub policy_serial: Option<u64>,
    /// Whether the serial is older than the newest one of the verified reports.
    pub policy_outdated: bool,
    /// The findings answered "found", by id.
    pub found: Vec<String>,
    /// Refusals the machine record's daily summaries count.
    pub refusals: u64,
    /// Entries of the copy register.
    pub register_entries: u64,
    /// The machine record's sequence number and chain head.
    pub record_seq: u64,
    /// See `record_seq`.
    pub record_chain: Option<String>,
    /// The machine key's fingerprint.
    pub key_fingerprint: Option<String>,
    /// Other reports of the same machine whose record contradicts this one's.
    pub diverges_from: Vec<String>,
    /// What the log host's journal says of this machine (matched by machine-id), never
    /// mixed into the signed columns.
    pub log_host: Vec<LogView>,
}

impl Row {
    /// Whether the log host's journal has a finding about this machine (silent or missing).
    pub fn log_finding(&self) -> bool {
        self.log_host.iter().any(|v| v.silent || v.missing)
    }
}

/// Every row, in the order to print: reports that do not verify, then diverging ones, then
/// those with findings, then the rest, each by host name.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The rows.
    pub rows: Vec<Row>,
    /// The newest policy serial of the verified reports.
    pub newest_serial: Option<u64>,
    /// The directories of collected journals read, if any.
    pub journal_dirs: Vec<String>,
    /// The silence limit they were judged by, and who set it.
    pub silent_after: Option<SilenceLimit>,
}

impl Summary {
    /// Whether every report verified and none diverges.
    pub fn clean(&self) -> bool {
        self.reports()
            .all(|r| r.verified && r.diverges_from.is_empty())
    }

    /// The rows made from reports.
    pub fn reports(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.source == Source::Report)
    }
}

fn row(dir: &Path, keys: Option<&Path>) -> (Row, Option<Verified>) {
    let mut row = Row {
        dir: dir.display().to_string(),
        ..Row::default()
    };
    // What it claims, even when it does not verify: the officer needs to know which PC.
    let json = super::Files::in_dir(dir).json;
    let claimed = std::fs::read(&json)
        .ok()
        .and_then(|b| super::model::ReportDoc::from_json(&json, &b).ok());
    let key = match (
        keys,
        claimed.as_ref().and_then(|d| d.machine.machine_id.as_ref()),
    ) {
        (Some(keys), Some(id)) => Some(keys.join(format!("{id}.pub"))),
        _ => None,
    };
    let checked = if keys.is_some() && key.is_none() {
        Err(format!(
            "{}: names no machine-id to find its key by",
            json.display()
        ))
    } else {
        verify::verify(dir, key.as_deref(), Path::new(crate::paths::REPORT_FONT))
            .map_err(|e| e.to_string())
    };
    let (doc, verified) = match checked {
        Ok(v) => (Some(v.doc.clone()), Some(v)),
        Err(e) => {
            row.error = Some(e);
            (claimed, None)
        }
    };
    row.verified = verified.is_some();
    if let Some(d) = doc {
        let i = &d.inspection;
        row.machine_id = d.machine.machine_id.clone();
        row.hostname = d.machine.hostname.clone();
        row.created_at_us = Some(d.header.created_at_us);
        row.utc_offset_s = d.header.utc_offset_s;
        row.policy_id = i.policy.id.clone();
        row.policy_serial = i.policy.serial;
        row.found = i
            .findings
            .iter()
            .filter(|f| f.answer == Answer::Found)
            .map(|f| f.id.name().to_string())
            .collect();
        row.refusals = super::weekly::by_week(&d).values().sum();
        row.register_entries = i.copy_register.records;
        row.record_seq = d.integrity.machine_record_seq;
        row.record_chain = d.integrity.machine_record_chain.clone();
        row.key_fingerprint = Some(d.machine.key_fingerprint.clone());
    }
    (row, verified)
}

/// Whether `later`'s record can continue `earlier`'s (both verified, one machine).
fn continues(earlier: &Row, later: &Row, later_doc: &Verified) -> bool {
    if later.record_seq < earlier.record_seq {
        return false;
    }
    if later.record_seq == earlier.record_seq {
        return later.record_chain == earlier.record_chain;
    }
    // A longer record holds the earlier one if its line at the earlier number has the earlier
    // head's chain; a report without the chains can only tell by a `--previous` check.
    let chains = &later_doc.doc.inspection.since_airgapd.chains;
    if let Some(seq) = usize::try_from(earlier.record_seq).ok().filter(|s| *s > 0) {
        if let Some(at) = chains.get(seq - 1) {
            return Some(at) == earlier.record_chain.as_ref();
        }
    } else {
        return true;
    }
    let head = format!(
        "machine-record:{}:{}",
        earlier.record_seq,
        earlier.record_chain.clone().unwrap_or_default()
    );
    later_doc
        .doc
        .inspection
        .previous
        .iter()
        .filter(|p| p.head == head)
        .all(|p| p.outcome == Outcome::Prefix)
}

/// Verify and summarise the reports in `dirs`, with each machine's key `<machine-id>.pub`
/// from `keys` (None: the key each report names), and the machines the log hosts saw.
pub fn merge(dirs: &[PathBuf], keys: Option<&Path>, log: Option<&LogHosts>) -> Summary {
    let mut rows = Vec::new();
    let mut docs = Vec::new();
    for dir in dirs {
        let (r, v) = row(dir, keys);
        rows.push(r);
        docs.push(v);
    }
    let newest_serial = rows
        .iter()
        .filter(|r| r.verified)
        .filter_map(|r| r.policy_serial)
        .max();
    for r in rows.iter_mut().filter(|r| r.verified) {
        r.policy_outdated = r.policy_serial.is_some_and(|s| Some(s) < newest_serial)
            || (r.policy_serial.is_none() && newest_serial.is_some());
    }
    // The verified reports of each machine, oldest first.
    let mut by_machine: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate().filter(|(_, r)| r.verified) {
        if let Some(id) = &r.machine_id {
            by_machine.entry(id.clone()).or_default().push(i);
        }
    }
    for list in by_machine.values_mut() {
        list.sort_by_key(|&i| (rows[i].created_at_us, rows[i].record_seq));
        for pair in list.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let Some(later) = docs[b].as_ref() else {
                continue;
            };
            if !continues(&rows[a], &rows[b], later) {
                let (da, db) = (rows[a].dir.clone(), rows[b].dir.clone());
                rows[a].diverges_from.push(db);
                rows[b].diverges_from.push(da);
            }
        }
    }
    if let Some(log) = log {
        merge_log::join(&mut rows, log);
    }
    rows.sort_by_key(|r| {
        let rank = if r.source == Source::Report && !r.verified {
            0
        } else if !r.diverges_from.is_empty() {
            1
        } else if !r.found.is_empty() || r.log_finding() {
            2
        } else {
            3
        };
        (rank, r.hostname.clone(), r.dir.clone())
    });
    Summary {
        rows,
        newest_serial,
        journal_dirs: log.map_or_else(Vec::new, |l| {
            l.dirs.iter().map(|d| d.dir.display().to_string()).collect()
        }),
        silent_after: log.map(|l| l.limit.clone()),
    }
}
