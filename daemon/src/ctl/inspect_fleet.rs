//! `airgapctl inspect --journal-dir DIR [--expect NAME]... [--silent-after HOURS]`, on the
//! office's log host (issue 21): the journals systemd-journal-remote collected, per machine
//! (crate::inspect::fleet). Exit 0 no finding; 3 a machine missing or silent; 2 bad usage.

use std::path::PathBuf;
use std::time::Duration;

use super::client::CtlError;
use super::output::{local_time, print_json, wrap};
use super::Ctx;
use crate::inspect::fleet::{self, FleetReport};
use crate::tr;

/// The log host's options of `airgapctl inspect`.
#[derive(Debug, clap::Args)]
pub struct FleetArgs {
    /// Read a directory of journals collected by systemd-journal-remote (one file set per
    /// machine, remote-NAME.journal; /var/log/journal/remote on the log host) instead of
    /// inspecting a machine: per machine, its records, refusals and losses of isolation.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["tpm", "previous", "verify_key"])]
    pub journal_dir: Option<PathBuf>,
    /// A machine that must be there (as journal-remote names it: its address on Debian); one
    /// that is not is a finding. Repeat for each.
    #[arg(long = "expect", value_name = "NAME", requires = "journal_dir")]
    pub expect: Vec<String>,
    /// A machine whose last record is older than this has stopped uploading: a finding.
    #[arg(long, value_name = "HOURS", default_value_t = 24, requires = "journal_dir",
          value_parser = clap::value_parser!(u64).range(1..=8760))]
    pub silent_after: u64,
}

/// Run it; `dir` is `--journal-dir`.
pub fn run(ctx: &Ctx, args: &FleetArgs, dir: &std::path::Path) -> Result<i32, CtlError> {
    let now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    let silent = Duration::from_secs(args.silent_after * 3600);
    let report = fleet::inspect_dir(dir, &args.expect, silent, now_us).map_err(|e| {
        CtlError::Usage(tr!(
            "inspect-fleet-unreadable",
            dir = dir.display().to_string(),
            error = e.to_string()
        ))
    })?;
    if ctx.json {
        print_json(&report);
    } else {
        print!("{}", render(&report));
    }
    Ok(if report.has_findings() { 3 } else { 0 })
}

/// One line per machine, then the findings.
pub fn render(r: &FleetReport) -> String {
    let mut out = String::new();
    let mut line = |text: String, indent: usize| {
        out.push_str(&wrap(&text, indent));
        out.push('\n');
    };
    let dir = r.dir.display().to_string();
    line(
        tr!(
            "inspect-fleet-title",
            dir = dir.clone(),
            time = local_time(r.now_us)
        ),
        0,
    );
    if r.machines.is_empty() {
        line(tr!("inspect-fleet-no-machines", dir = dir), 2);
    }
    for m in &r.machines {
        let text = match (m.first_us, m.last_us) {
            (Some(first), Some(last)) => tr!(
                "inspect-fleet-machine",
                name = m.name.clone(),
                entries = m.entries as i64,
                first = local_time(first),
                last = local_time(last),
                refusals = m.refusals as i64,
                lost = m.isolation_lost as i64
            ),
            _ => tr!("inspect-fleet-machine-empty", name = m.name.clone()),
        };
        line(format!("  {text}"), 4);
    }
    let hours = (r.silent_after_s / 3600) as i64;
    for m in r.machines.iter().filter(|m| m.silent) {
        let text = match m.last_us {
            Some(last) => tr!(
                "inspect-fleet-silent",
                name = m.name.clone(),
                last = local_time(last),
                hours = hours
            ),
            None => tr!("inspect-fleet-machine-empty", name = m.name.clone()),
        };
        line(text, 2);
    }
    for name in &r.missing {
        line(tr!("inspect-fleet-missing", name = name.clone()), 2);
    }
    if !r.has_findings() {
        line(tr!("inspect-fleet-none", hours = hours), 2);
    }
    out
}
