//! `airgapctl policy check FILE`: validate a policy without touching the running system.
//! Exit 0 when it is valid (warnings are printed), 1 with every error on stderr otherwise.

use std::path::PathBuf;

use serde::Serialize;

use super::client::CtlError;
use super::output::print_json;
use super::output::wrap;
use super::Ctx;
use crate::tr;

/// Arguments of `airgapctl policy check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The policy file to check [default: the installed one].
    #[arg(default_value = crate::paths::POLICY_FILE)]
    pub file: PathBuf,
}

/// The result, for `--json`.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    /// The file checked.
    pub file: PathBuf,
    /// Whether the daemon would accept it.
    pub valid: bool,
    /// Its SHA-256, when valid.
    pub sha256: Option<String>,
    /// `[meta] serial`, when valid.
    pub serial: Option<u64>,
    /// One line per error (file:line:column: field: problem).
    pub errors: Vec<String>,
    /// One line per warning.
    pub warnings: Vec<String>,
}

/// Check the file with the same loader the daemon uses (ownership and permissions included).
pub fn run(ctx: &Ctx, args: CheckArgs) -> Result<i32, CtlError> {
    let report = match airgapd_policy::load(&args.file) {
        Ok(checked) => CheckReport {
            file: args.file.clone(),
            valid: true,
            sha256: Some(checked.policy.sha256().to_string()),
            serial: Some(checked.policy.meta.serial),
            errors: Vec::new(),
            warnings: checked.warnings.iter().map(ToString::to_string).collect(),
        },
        Err(e) => CheckReport {
            file: args.file.clone(),
            valid: false,
            sha256: None,
            serial: None,
            errors: e.to_string().lines().map(str::to_string).collect(),
            warnings: Vec::new(),
        },
    };
    if ctx.json {
        print_json(&report);
    } else {
        for w in &report.warnings {
            eprintln!("{}", wrap(&tr!("ctl-warning", warning = w), 2));
        }
        for e in &report.errors {
            eprintln!("{e}");
        }
        if report.valid {
            println!(
                "{}",
                wrap(
                    &tr!(
                        "check-valid",
                        file = report.file.display().to_string(),
                        serial = report.serial.unwrap_or_default(),
                        sha256 = report.sha256.as_deref().unwrap_or_default()
                    ),
                    2
                )
            );
        }
    }
    Ok(if report.valid { 0 } else { 1 })
}
