//! "Since airgapd": the machine record the daemon keeps (`/var/lib/airgapd/machine-record.jsonl`,
//! crate::machine_record), read back and its chain verified. A line edited or removed anywhere
//! is a finding (the record was altered); a journal boot it holds no start for is uncovered.
//! What verification cannot show alone: lines cut from the end, or the whole file deleted (the
//! journal's copy would show that; so does the TPM's counter, `inspect::tpm`).

use std::collections::HashSet;

use super::model::{Boot, FindingId, SinceAirgapd, SourceReport};
use super::root::Root;
use super::Folder;
use crate::chain::{self, ChainError};
use crate::machine_record::Entry;
use crate::paths;

/// The journal's copy of the record: the highest line number it shows written, and that
/// line's chain hash.
#[derive(Debug, Default)]
pub struct JournalCopy {
    last: Option<(u64, String, u64)>,
}

impl JournalCopy {
    /// Take the copy from a journal entry, if it is one.
    pub fn feed(&mut self, e: &super::journal::Entry) {
        if let Some(seq) = e.record_seq {
            if self.last.as_ref().is_none_or(|(s, _, _)| seq >= *s) {
                self.last = Some((seq, e.record_chain.clone(), e.time_us));
            }
        }
    }
}

/// The source's name.
pub const SOURCE: &str = "machine-record";

/// Read and verify the record; mark each journal boot as held by it or not.
pub fn read(root: &Root, boots: &mut [Boot]) -> (SourceReport, SinceAirgapd) {
    let mut source = SourceReport::new(SOURCE);
    source.paths.push(paths::MACHINE_RECORD.to_string());
    let mut since = SinceAirgapd {
        path: paths::MACHINE_RECORD.to_string(),
        ..SinceAirgapd::default()
    };
    let Some(path) = root.resolve(paths::MACHINE_RECORD) else {
        // No record, yet the journal shows airgapd ran: the boots it ran in are not in a record
        // that should hold them (deleted, or written by an airgapd older than the record).
        for b in boots.iter_mut() {
            b.in_machine_record = Some(false);
        }
        return (source, since);
    };
    source.exists = true;
    since.exists = true;
    // Bounded like every file inspect reads: a huge (hostile) file is reported, not loaded.
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    if size > super::root::MAX_FILE_BYTES {
        let problem = format!(
            "{}: {size} bytes, more than the {} read: not verified",
            paths::MACHINE_RECORD,
            super::root::MAX_FILE_BYTES
        );
        source.problems.push(problem.clone());
        since.problem = Some(problem);
        return (source, since);
    }
    match chain::verify::<Entry>(&path) {
        Ok(v) => {
            since.verified = true;
            since.last_seq = v.last_seq;
            since.head = (v.last_seq > 0).then(|| {
                super::previous::Head {
                    record: super::previous::Record::MachineRecord,
                    seq: v.last_seq,
                    chain: v.last_chain.clone(),
                }
                .token()
            });
            since.last_chain = Some(v.last_chain);
            since.chains = v.chains;
        }
        Err(ChainError::Broken {
            line, seq, problem, ..
        }) => {
            since.broken_at = Some(line as u64);
            since.problem = Some(match seq {
                Some(s) => format!("line {line} (record #{s}): {problem}"),
                None => format!("line {line}: {problem}"),
            });
        }
        Err(e @ ChainError::Io { .. }) => {
            source.problems.push(e.to_string());
            since.problem = Some(e.to_string());
        }
    }
    match chain::read::<Entry>(&path) {
        Ok(entries) => since.entries = entries,
        Err(e) => source.problems.push(e.to_string()),
    }
    for e in &since.entries {
        source.record(Some(e.time_us));
    }
    since.records = since.entries.len() as u64;
    let started: HashSet<&str> = since
        .entries
        .iter()
        .filter(|e| e.event == "start")
        .map(|e| e.boot_id.as_str())
        .collect();
    for b in boots.iter_mut() {
        b.in_machine_record = Some(started.contains(b.boot_id.as_str()));
    }
    (source, since)
}

/// Evidence: the record altered; journal boots it holds no start for (those the journal shows
/// no airgapd start for either are already `boot-without-airgapd`). With no record at all,
/// every boot the journal shows airgapd started in is one: a deleted record is found so.
pub fn findings(fold: &mut Folder, since: &SinceAirgapd, boots: &[Boot], copy: &JournalCopy) {
    // Lines the journal shows written and the file lacks: cut from its end, the file deleted
    // or replaced by an older copy; or its last line is not the one written.
    if let Some((seq, chain, time)) = &copy.last {
        let file_last = since.entries.last().map_or(0, |e| e.seq);
        let kind = if *seq > file_last {
            Some("machine-record-cut")
        } else if *seq == file_last && since.last_chain.as_ref().is_some_and(|c| c != chain) {
            Some("machine-record-replaced")
        } else {
            None
        };
        if let Some(kind) = kind {
            fold.add(
                FindingId::UncoveredBoots,
                "journal",
                kind,
                seq.to_string(),
                Some(*time),
                &format!("AIRGAP_MACHINE_RECORD_SEQ={seq} AIRGAP_MACHINE_RECORD_CHAIN={chain}"),
            );
        }
    }
    if let Some(at) = since.broken_at {
        fold.add(
            FindingId::UncoveredBoots,
            SOURCE,
            "machine-record-altered",
            at.to_string(),
            None,
            &since.path,
        );
    }
    for b in boots
        .iter()
        .filter(|b| b.airgapd_started && b.in_machine_record == Some(false))
    {
        fold.push(super::model::Evidence {
            finding: FindingId::UncoveredBoots,
            source: SOURCE.into(),
            kind: "boot-not-in-machine-record".into(),
            subject: b.boot_id.clone(),
            count: 1,
            first_us: Some(b.first_us),
            last_us: Some(b.last_us),
            example: since.path.clone(),
        });
    }
}
