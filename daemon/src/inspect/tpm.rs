//! The TPM's testimony (issue 19): what the machine record's start, stop and lift lines say
//! the TPM counted (crate::machine_record::tpm), checked line against line and against the
//! TPM as it is now (read only: TPM2_ReadClock and TPM2_NV_Read, never an increment).
//!
//! - Reset count: it rises by one at every boot of the machine, whatever runs. Between two
//!   lines it must rise by exactly the number of boots the record shows between them (a new
//!   boot id); more are boots airgapd never saw (`tpm-resets-not-in-record`), less is a TPM
//!   cleared or another machine's (`tpm-reset-count-went-back`).
//! - NV counter: airgapd advances it by one with every start and lift line, and nothing else
//!   does. The record's values must run on by one (`tpm-counter-gap`: increments whose lines
//!   are gone, an older copy put back and continued), and the last must be the TPM's value now
//!   (`tpm-counter-ahead`: the record is an older copy, or lines were cut from its end).
//! - No TPM: the record's lines say so, the source is absent, and the uncovered-boots answer
//!   lists it as missing: boots airgapd did not see cannot be counted.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::model::{FindingId, SinceAirgapd, SourceReport};
use super::Folder;
use crate::machine_record::tpm::{ABSENT, ERROR};
use crate::machine_record::Entry;
use crate::tpm::{Tpm, COUNTER_INDEX};

/// The source's name.
pub const SOURCE: &str = "tpm";

/// The TPM of the machine inspected, read now.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TpmNow {
    /// The device or socket read.
    pub device: String,
    /// `resetCount` now.
    pub reset_count: Option<u32>,
    /// `restartCount` now.
    pub restart_count: Option<u32>,
    /// airgapd's counter now (None: not defined or never incremented).
    pub nv_counter: Option<u64>,
    /// Why it could not be read.
    pub problem: Option<String>,
}

/// What the record's lines and the TPM now say, for the report.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TpmCoverage {
    /// Lines with the TPM's counts.
    pub readings: u64,
    /// Lines written without a TPM.
    pub absent: u64,
    /// Lines whose TPM did not answer.
    pub errors: u64,
    /// The last TPM state a line gives (`present`, `absent`, `error`).
    pub last_state: Option<String>,
    /// The TPM read during the inspection (only the running machine's, or `--tpm`).
    pub now: Option<TpmNow>,
}

/// Read the TPM at `path` without changing it.
pub fn read_now(path: &Path) -> TpmNow {
    let mut now = TpmNow {
        device: path.display().to_string(),
        ..TpmNow::default()
    };
    let result = Tpm::open(path).and_then(|mut tpm| {
        let clock = tpm.read_clock()?;
        now.reset_count = Some(clock.reset_count);
        now.restart_count = Some(clock.restart_count);
        now.nv_counter = tpm.read_counter(COUNTER_INDEX)?;
        Ok(())
    });
    if let Err(e) = result {
        now.problem = Some(e.to_string());
    }
    now
}

/// The coverage the record's lines give, with the TPM `now`.
pub fn coverage(entries: &[Entry], now: Option<TpmNow>) -> TpmCoverage {
    let mut c = TpmCoverage {
        now,
        ..TpmCoverage::default()
    };
    for t in entries.iter().filter_map(|e| e.tpm.as_ref()) {
        // A line whose counter failed (an owner password set, say) still has the reset count.
        if t.reset_count.is_some() {
            c.readings += 1;
        }
        match t.state.as_str() {
            ABSENT => c.absent += 1,
            ERROR => c.errors += 1,
            _ => {}
        }
        c.last_state = Some(t.state.clone());
    }
    c
}

/// The source report: present when the record holds TPM counts or the TPM was read now.
pub fn source(since: &SinceAirgapd) -> SourceReport {
    let mut s = SourceReport::new(SOURCE);
    s.paths.push(format!("{} (tpm)", since.path));
    let c = &since.tpm;
    if let Some(now) = &c.now {
        s.paths.push(now.device.clone());
        if let Some(p) = &now.problem {
            s.problems.push(format!("{}: {p}", now.device));
        }
    }
    for e in &since.entries {
        if e.tpm.as_ref().is_some_and(|t| t.reset_count.is_some()) {
            s.record(Some(e.time_us));
        }
    }
    s.exists = c.readings > 0 || c.now.as_ref().is_some_and(|n| n.reset_count.is_some());
    if c.errors > 0 {
        s.problems
            .push(format!("{} lines whose TPM did not answer", c.errors));
    }
    s
}

/// Evidence from the counts, under uncovered-boots (the record's integrity is what tells
/// which boots airgapd saw).
pub fn findings(fold: &mut Folder, since: &SinceAirgapd) {
    resets(fold, since);
    counter(fold, since);
}

fn resets(fold: &mut Folder, since: &SinceAirgapd) {
    let mut last: Option<(&Entry, u32)> = None;
    // Boots the record shows since the last reading: each new boot id is one reset.
    let mut boots_between = 0u32;
    let mut boot = None::<&str>;
    for e in &since.entries {
        if boot.is_some_and(|b| b != e.boot_id) {
            boots_between += 1;
        }
        boot = Some(&e.boot_id);
        // A TPM that answered before and is gone now (disabled in the firmware, removed):
        // boots from then on cannot be counted, which is what hiding them would need.
        if last.is_some() && e.tpm.as_ref().is_some_and(|t| t.state == ABSENT) {
            fold.add(
                FindingId::UncoveredBoots,
                SOURCE,
                "tpm-disappeared",
                e.boot_id.clone(),
                Some(e.time_us),
                &format!("{} #{}", since.path, e.seq),
            );
        }
        let Some(count) = e.tpm.as_ref().and_then(|t| t.reset_count) else {
            continue;
        };
        if let Some((prev, prev_count)) = last {
            judge(
                fold,
                since,
                prev_count,
                count,
                boots_between,
                e.time_us,
                prev,
            );
        }
        last = Some((e, count));
        boots_between = 0;
    }
    // The TPM now: every reset since the last line is a boot the record does not hold (the
    // current boot included, when airgapd wrote nothing in it).
    let now = since.tpm.now.as_ref().and_then(|n| n.reset_count);
    if let (Some((prev, prev_count)), Some(count)) = (last, now) {
        judge(fold, since, prev_count, count, 0, 0, prev);
    }
}

fn judge(
    fold: &mut Folder,
    since: &SinceAirgapd,
    before: u32,
    after: u32,
    boots: u32,
    time_us: u64,
    prev: &Entry,
) {
    let time = (time_us > 0).then_some(time_us);
    let subject = format!("resetCount {before} → {after}");
    let example = format!("{} #{}", since.path, prev.seq);
    if after < before {
        fold.add(
            FindingId::UncoveredBoots,
            SOURCE,
            "tpm-reset-count-went-back",
            subject,
            time,
            &example,
        );
    } else if after - before > boots {
        let missed = u64::from(after - before - boots);
        fold.add_many(
            FindingId::UncoveredBoots,
            SOURCE,
            "tpm-resets-not-in-record",
            subject,
            missed,
            time,
            &example,
        );
    }
}

fn counter(fold: &mut Folder, since: &SinceAirgapd) {
    let mut last: Option<(&Entry, u64)> = None;
    for e in &since.entries {
        let Some(value) = e.tpm.as_ref().and_then(|t| t.nv_counter) else {
            continue;
        };
        if let Some((prev, prev_value)) = last {
            let subject = format!("{prev_value} → {value}");
            let example = format!("{} #{} → #{}", since.path, prev.seq, e.seq);
            if value <= prev_value {
                fold.add(
                    FindingId::UncoveredBoots,
                    SOURCE,
                    "tpm-counter-went-back",
                    subject,
                    Some(e.time_us),
                    &example,
                );
            } else if value > prev_value + 1 {
                fold.add_many(
                    FindingId::UncoveredBoots,
                    SOURCE,
                    "tpm-counter-gap",
                    subject,
                    value - prev_value - 1,
                    Some(e.time_us),
                    &example,
                );
            }
        }
        last = Some((e, value));
    }
    let Some(now) = since.tpm.now.as_ref() else {
        return;
    };
    if now.problem.is_some() {
        return;
    }
    let Some((prev, value)) = last else {
        return;
    };
    let example = format!("{} #{}, {}", since.path, prev.seq, now.device);
    match now.nv_counter {
        Some(n) if n > value => fold.add_many(
            FindingId::UncoveredBoots,
            SOURCE,
            "tpm-counter-ahead",
            format!("{value} → {n}"),
            n - value,
            None,
            &example,
        ),
        Some(n) if n < value => fold.add(
            FindingId::UncoveredBoots,
            SOURCE,
            "tpm-counter-went-back",
            format!("{value} → {n}"),
            None,
            &example,
        ),
        Some(_) => {}
        None => fold.add(
            FindingId::UncoveredBoots,
            SOURCE,
            "tpm-counter-missing",
            crate::machine_record::tpm::index_text(COUNTER_INDEX),
            None,
            &example,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine_record::TpmFacts;

    fn line(seq: u64, boot: &str, reset: Option<u32>, counter: Option<u64>) -> Entry {
        Entry {
            seq,
            time_us: seq,
            event: "start".into(),
            boot_id: boot.into(),
            tpm: Some(TpmFacts {
                state: if reset.is_some() { "present" } else { "absent" }.into(),
                reset_count: reset,
                nv_counter: counter,
                ..TpmFacts::default()
            }),
            ..Entry::default()
        }
    }

    fn kinds(entries: Vec<Entry>, now: Option<TpmNow>) -> Vec<(String, u64)> {
        let since = SinceAirgapd {
            tpm: coverage(&entries, now),
            entries,
            ..SinceAirgapd::default()
        };
        let mut fold = Folder::default();
        findings(&mut fold, &since);
        fold.into_items()
            .into_iter()
            .map(|e| (e.kind, e.count))
            .collect()
    }

    #[test]
    fn a_hibernation_or_a_daemon_restart_is_no_boot() {
        // Same boot, same reset count (a restart of the daemon, or a resume: restartCount only).
        let e = vec![
            line(1, "a", Some(5), Some(1)),
            line(2, "a", Some(5), Some(2)),
        ];
        assert!(kinds(e, None).is_empty());
        // The next boot: one reset, one new boot id.
        let e = vec![
            line(1, "a", Some(5), Some(1)),
            line(2, "b", Some(6), Some(2)),
        ];
        assert!(kinds(e, None).is_empty());
    }

    #[test]
    fn resets_the_record_does_not_explain_are_boots_airgapd_never_saw() {
        // Within one boot id: another system ran in between (a live USB while hibernated).
        let e = vec![
            line(1, "a", Some(5), Some(1)),
            line(2, "a", Some(6), Some(2)),
        ];
        assert_eq!(kinds(e, None), [("tpm-resets-not-in-record".into(), 1)]);
        // A line without a reading (the TPM failed) still counts its boot.
        let e = vec![
            line(1, "a", Some(5), Some(1)),
            line(2, "b", None, None),
            line(3, "c", Some(7), Some(2)),
        ];
        let k = kinds(e, None);
        assert!(
            !k.iter().any(|(k, _)| k == "tpm-resets-not-in-record"),
            "{k:?}"
        );
        assert!(k.iter().any(|(k, _)| k == "tpm-disappeared"), "{k:?}");
        let e = vec![
            line(1, "a", Some(5), Some(1)),
            line(2, "b", Some(2), Some(2)),
        ];
        assert_eq!(kinds(e, None), [("tpm-reset-count-went-back".into(), 1)]);
    }

    #[test]
    fn the_counter_must_run_on_by_one_and_end_at_the_tpm() {
        let now = |n| TpmNow {
            device: "/dev/tpmrm0".into(),
            reset_count: Some(5),
            nv_counter: n,
            ..TpmNow::default()
        };
        let e = || {
            vec![
                line(1, "a", Some(5), Some(1)),
                line(2, "a", Some(5), Some(4)),
            ]
        };
        assert_eq!(kinds(e(), None), [("tpm-counter-gap".into(), 2)]);
        let mut k = kinds(e(), Some(now(Some(6))));
        k.sort();
        assert_eq!(
            k,
            [
                ("tpm-counter-ahead".into(), 2),
                ("tpm-counter-gap".into(), 2)
            ]
        );
        let k = kinds(e(), Some(now(None)));
        assert!(k.contains(&("tpm-counter-missing".into(), 1)), "{k:?}");
        // A TPM that could not be read says nothing about the counter.
        let broken = TpmNow {
            problem: Some("permission denied".into()),
            ..now(Some(9))
        };
        assert_eq!(kinds(e(), Some(broken)), [("tpm-counter-gap".into(), 2)]);
    }
}
