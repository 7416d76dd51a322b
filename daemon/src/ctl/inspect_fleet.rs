//! `airgapctl inspect --journal-dir DIR [--expect NAME]... [--silent-after HOURS]
//! [--policy FILE]`, on the office's log host (issue 21): the journals systemd-journal-remote
//! collected, per machine (crate::inspect::fleet). `report merge --journal-dir` shares the
//! log host's options ([`LogHostArgs`]). Exit 0 no finding; 3 a machine missing or silent;
//! 2 bad usage.

use std::path::{Path, PathBuf};

use super::client::CtlError;
use super::output::{local_time, print_json, wrap};
use super::Ctx;
use crate::inspect::fleet::{self, FleetReport};
use crate::inspect::fleet_limit::{self, LimitError, SilenceLimit};
use crate::{paths, tr};

/// The log host's options of `airgapctl inspect`.
#[derive(Debug, clap::Args)]
pub struct FleetArgs {
    /// Read a directory of journals collected by systemd-journal-remote (one file set per
    /// machine, remote-NAME.journal; /var/log/journal/remote on the log host) instead of
    /// inspecting a machine: per machine, its records, refusals and losses of isolation.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["tpm", "previous", "verify_key"])]
    pub journal_dir: Option<PathBuf>,
    /// The log host's options.
    #[command(flatten)]
    pub log_host: LogHostArgs,
}

/// What the log host's journals are judged by (`inspect --journal-dir`, `report merge
/// --journal-dir`).
#[derive(Debug, clap::Args)]
pub struct LogHostArgs {
    /// A machine that must be there (as journal-remote names it: its address on Debian); one
    /// that is not is a finding. Repeat for each.
    #[arg(long = "expect", value_name = "NAME", requires = "journal_dir")]
    pub expect: Vec<String>,
    /// A machine whose last record is older than this has stopped uploading: a finding
    /// [default: the policy's [network.log_host] silent_after_hours].
    #[arg(long, value_name = "HOURS", requires = "journal_dir",
          value_parser = clap::value_parser!(u64).range(1..=8760))]
    pub silent_after: Option<u64>,
    /// The office's policy to take silent_after_hours from [default: /etc/airgapd/policy.toml
    /// when it names a log host, else 24 hours].
    #[arg(long, value_name = "FILE", requires = "journal_dir")]
    pub policy: Option<PathBuf>,
}

impl LogHostArgs {
    /// The silence limit these options give, or a usage error that names the policy.
    pub fn limit(&self) -> Result<SilenceLimit, CtlError> {
        fleet_limit::resolve(
            self.silent_after,
            self.policy.as_deref(),
            Path::new(paths::POLICY_FILE),
        )
        .map_err(|e| {
            CtlError::Usage(match e {
                LimitError::NoLogHost { file } => tr!(
                    "inspect-fleet-policy-no-log-host",
                    file = file.display().to_string()
                ),
                LimitError::Policy(e) => tr!("inspect-fleet-policy-invalid", error = e.to_string()),
            })
        })
    }
}

/// Now, in microseconds since the epoch.
pub fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Read one directory of collected journals, or say which and why not.
pub fn read_dir(
    dir: &Path,
    expect: &[String],
    limit: &SilenceLimit,
    now_us: u64,
) -> Result<FleetReport, CtlError> {
    fleet::inspect_dir(dir, expect, limit, now_us).map_err(|e| {
        CtlError::Usage(tr!(
            "inspect-fleet-unreadable",
            dir = dir.display().to_string(),
            error = e.to_string()
        ))
    })
}

/// Run it; `dir` is `--journal-dir`.
pub fn run(ctx: &Ctx, args: &FleetArgs, dir: &Path) -> Result<i32, CtlError> {
    let limit = args.log_host.limit()?;
    let report = read_dir(dir, &args.log_host.expect, &limit, now_us())?;
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
    line(r.silent_after.describe(crate::i18n::catalog()), 2);
    let hours = r.silent_after.hours;
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
