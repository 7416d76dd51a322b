//! `airgapctl inspect`'s tamper evidence, printed: the chain heads to note for the next
//! inspection, the heads of the previous one checked (`--previous`), and the journal's seals
//! checked with the officer's key (`--verify-key`). Only prints what crate::inspect built.

use super::output::local_time;
use crate::i18n::catalog;
use crate::inspect::journal_seal::{FileOutcome, FileSeal, SealReport};
use crate::inspect::model::Report;
use crate::inspect::previous::{Outcome, PreviousCheck, RecordHead};
use crate::{tr, tr_in};

fn opt_time(t: Option<u64>) -> String {
    t.map_or_else(|| "-".to_string(), local_time)
}

fn opt_num(n: Option<u64>) -> String {
    n.map_or_else(|| "-".to_string(), |n| n.to_string())
}

/// The lines, after the machine record's.
pub fn lines(report: &Report) -> Vec<String> {
    let mut out = vec![String::new()];
    out.extend(register_lines(&report.copy_register));
    if report.since_airgapd.head.is_some() || report.copy_register.head.is_some() {
        out.push(format!("  {}", tr!("inspect-heads-note")));
    }
    if !report.previous.is_empty() {
        out.push(String::new());
        out.push(tr!("inspect-previous-title"));
        out.extend(report.previous.iter().map(previous_line));
    }
    if let Some(seal) = &report.journal_seal {
        out.push(String::new());
        out.extend(seal_lines(seal));
    }
    out
}

fn register_lines(r: &RecordHead) -> Vec<String> {
    let text = match (r.exists, &r.problem, &r.head) {
        (false, ..) => tr!("inspect-register-absent", path = r.path.clone()),
        (true, Some(problem), _) => tr!(
            "inspect-register-broken",
            path = r.path.clone(),
            problem = problem.clone()
        ),
        (true, None, Some(head)) => tr!(
            "inspect-register-verified",
            path = r.path.clone(),
            records = r.records,
            head = head.clone()
        ),
        (true, None, None) => tr!("inspect-register-empty", path = r.path.clone()),
    };
    vec![text]
}

fn previous_line(c: &PreviousCheck) -> String {
    let text = tr_in!(
        catalog(),
        &format!("inspect-previous-{}", c.outcome.name()),
        head = c.head.clone(),
        path = c.path.clone(),
        seq = c.seq,
        lines = opt_num(c.lines_now),
        now = c.chain_now.clone().unwrap_or_default(),
        detail = c.detail.clone().unwrap_or_default()
    );
    let mark = if c.outcome == Outcome::Prefix {
        "[ ]"
    } else {
        "[!]"
    };
    format!("  {mark} {text}")
}

fn seal_lines(s: &SealReport) -> Vec<String> {
    let id = if s.passed {
        "inspect-seal-passed"
    } else {
        "inspect-seal-failed"
    };
    let mut out = vec![tr_in!(
        catalog(),
        id,
        start = local_time(s.key_start_us),
        minutes = s.key_interval_us / 60_000_000,
        from = local_time(s.sealed_from_us)
    )];
    out.extend(s.files.iter().map(file_line));
    for p in &s.problems {
        out.push(format!(
            "  {}",
            tr!("inspect-source-problem", problem = p.clone())
        ));
    }
    out
}

fn file_line(f: &FileSeal) -> String {
    let detail = f
        .journalctl
        .iter()
        .filter(|l| !l.starts_with("PASS"))
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    let text = tr_in!(
        catalog(),
        &format!("inspect-seal-file-{}", f.outcome.name()),
        path = f.path.clone(),
        entries = opt_num(f.entries),
        first = opt_num(f.head_seqnum),
        last = opt_num(f.tail_seqnum),
        from = opt_time(f.head_us),
        to = opt_time(f.tail_us),
        detail = detail
    );
    let mark = match f.outcome {
        FileOutcome::Verified | FileOutcome::UnsealedBeforeKey => "[ ]",
        FileOutcome::Failed | FileOutcome::UnsealedAfterKey => "[!]",
    };
    format!("  {mark} {text}")
}

/// Message ids built at run time, for the catalog test.
pub fn runtime_ids() -> Vec<String> {
    let mut ids: Vec<String> = Outcome::ALL
        .iter()
        .map(|o| format!("inspect-previous-{}", o.name()))
        .collect();
    ids.extend(
        FileOutcome::ALL
            .iter()
            .map(|o| format!("inspect-seal-file-{}", o.name())),
    );
    ids.extend(["inspect-seal-passed", "inspect-seal-failed"].map(String::from));
    ids
}
