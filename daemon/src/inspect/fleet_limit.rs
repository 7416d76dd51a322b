//! How long a machine on the log host may send nothing before it is called silent, and where
//! that limit came from (issue 21: "no upload for longer than the policy says"). The office's
//! policy decides (`[network.log_host] silent_after_hours`); the officer may override it on the
//! command line; the output always says which applied, so a finding can be traced to a rule.

use std::path::{Path, PathBuf};
use std::time::Duration;

use airgapd_policy::{LogHost, PolicyError};
use serde::Serialize;

use crate::i18n::Catalog;
use crate::tr_in;

/// Where the limit came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", rename_all = "kebab-case")]
pub enum LimitFrom {
    /// `--silent-after` on the command line.
    CommandLine,
    /// `silent_after_hours` (or its default) in this policy's `[network.log_host]`.
    Policy {
        /// The policy file.
        file: PathBuf,
    },
    /// No policy named a log host: the policy's default.
    Default,
}

/// The limit that applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SilenceLimit {
    /// Hours without a record before a machine is silent.
    pub hours: u64,
    /// See [`LimitFrom`].
    #[serde(flatten)]
    pub from: LimitFrom,
}

impl SilenceLimit {
    /// The limit as a duration.
    pub fn duration(&self) -> Duration {
        Duration::from_secs(self.hours.saturating_mul(3600))
    }

    /// Which limit applied and where it came from, in `c`'s language: every output that
    /// judges silence says it, so a finding can be traced to the rule that made it.
    pub fn describe(&self, c: &Catalog) -> String {
        let (from, file) = match &self.from {
            LimitFrom::CommandLine => ("command-line", String::new()),
            LimitFrom::Policy { file } => ("policy", file.display().to_string()),
            LimitFrom::Default => ("default", String::new()),
        };
        tr_in!(
            c,
            "inspect-fleet-limit",
            hours = self.hours,
            from = from,
            file = file
        )
    }
}

/// Why no limit could be decided.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    /// The policy could not be read or is invalid (its error names file, line and field).
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The policy the officer named has no log host to take the limit from.
    #[error("{}: no [network.log_host] table", file.display())]
    NoLogHost {
        /// The policy file.
        file: PathBuf,
    },
}

/// The limit: `command_line` if given; else the policy named (`policy`), which must name a
/// log host; else the installed policy (`installed`) when it exists and names one; else the
/// default. A policy that is there but invalid is an error, never silently skipped: the
/// officer would read findings judged by a limit nobody chose.
pub fn resolve(
    command_line: Option<u64>,
    policy: Option<&Path>,
    installed: &Path,
) -> Result<SilenceLimit, LimitError> {
    if let Some(hours) = command_line {
        return Ok(SilenceLimit {
            hours,
            from: LimitFrom::CommandLine,
        });
    }
    let default = SilenceLimit {
        hours: u64::from(LogHost::DEFAULT_SILENT_AFTER_HOURS),
        from: LimitFrom::Default,
    };
    let (file, required) = match policy {
        Some(file) => (file, true),
        None if installed.exists() => (installed, false),
        None => return Ok(default),
    };
    let checked = airgapd_policy::load(file)?;
    match checked.policy.network.log_host {
        Some(host) => Ok(SilenceLimit {
            hours: u64::from(host.silent_after_hours),
            from: LimitFrom::Policy {
                file: file.to_path_buf(),
            },
        }),
        None if required => Err(LimitError::NoLogHost {
            file: file.to_path_buf(),
        }),
        // The log host's own policy usually names no log host: it is the log host.
        None => Ok(default),
    }
}
