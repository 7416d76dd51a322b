//! `airgapctl policy apply FILE` (root only): install a signed policy from an approved medium
//! ([`crate::update::apply`]), then ask the daemon to put it in force with `ReloadPolicy`.
//! Exit 0 installed (and in force, or the daemon is not running); 1 refused, or installed but
//! the daemon did not put it in force; 4 not root.

use std::path::PathBuf;

use serde::Serialize;

use super::client::CtlError;
use super::output::print_json;
use super::output::wrap;
use super::Ctx;
use crate::journal::Sink;
use crate::paths;
use crate::tr;
use crate::update::{self, Applied, Layout};

/// Arguments of `airgapctl policy apply`.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// The signed policy on the medium; its signature is FILE.sig next to it.
    pub file: PathBuf,
    /// The policy file airgapd enforces. Its counter and trusted keys are found from it: for
    /// the default, /var/lib/airgapd/policy-serial and /etc/airgapd/trusted-keys/; for another
    /// file, FILE.serial and trusted-keys/ next to it.
    #[arg(long, value_name = "FILE", default_value = paths::POLICY_FILE)]
    pub policy: PathBuf,
    /// journald's native socket (tests use a private journald).
    #[arg(long, value_name = "PATH")]
    pub journal_socket: Option<PathBuf>,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
pub struct ApplyReport {
    /// Whether the update was installed.
    pub installed: bool,
    /// The update, when installed.
    pub applied: Option<Applied>,
    /// Why it was refused: one word ([`update::UpdateError::kind`]).
    pub refused: Option<&'static str>,
    /// What happened, in words.
    pub message: String,
    /// Whether the daemon now enforces it (false: not running, or it refused).
    pub in_force: bool,
}

/// Run `airgapctl policy apply`.
pub async fn run(ctx: &Ctx, args: ApplyArgs) -> Result<i32, CtlError> {
    let sink = match &args.journal_socket {
        Some(path) => Sink::detect_at(path),
        None => Sink::detect(),
    };
    let layout = Layout::for_policy(&args.policy);
    let applied = match update::apply(&layout, &args.file, &sink) {
        Ok(applied) => applied,
        Err(e) => {
            let code = if e.kind() == "not-root" { 4 } else { 1 };
            // An install that failed half way says itself what is on disk.
            let message = match e {
                update::UpdateError::Install { .. } => {
                    tr!("apply-failed", error = e.to_string())
                }
                _ => tr!("apply-refused", error = e.to_string()),
            };
            report(
                ctx,
                code,
                &ApplyReport {
                    installed: false,
                    applied: None,
                    refused: Some(e.kind()),
                    message,
                    in_force: false,
                },
            );
            return Ok(code);
        }
    };
    let installed = tr!(
        "apply-installed",
        file = applied.file.display().to_string(),
        target = applied.target.display().to_string(),
        serial = applied.serial,
        sha256 = &applied.sha256,
        signer = &applied.signer.principal,
        fingerprint = &applied.signer.fingerprint
    );
    let (in_force, code, outcome) = reload(ctx, &applied).await;
    report(
        ctx,
        code,
        &ApplyReport {
            installed: true,
            message: format!("{installed} {outcome}"),
            applied: Some(applied),
            refused: None,
            in_force,
        },
    );
    Ok(code)
}

/// Ask the daemon to reload; (in force, exit code, what happened).
async fn reload(ctx: &Ctx, applied: &Applied) -> (bool, i32, String) {
    let client = match ctx.connect().await {
        Ok(client) => client,
        Err(CtlError::NotRunning { .. } | CtlError::Bus { .. }) => {
            return (false, 0, tr!("apply-not-running"))
        }
        Err(e) => return (false, 1, tr!("apply-not-asked", error = e.to_string())),
    };
    let result = client.proxy.reload_policy().await;
    match client.change("reload the policy", result) {
        Ok((sha256, serial)) if sha256 == applied.sha256 => {
            (true, 0, tr!("apply-in-force", serial = serial))
        }
        Ok((sha256, serial)) => (
            false,
            1,
            tr!(
                "apply-other-file",
                serial = serial,
                sha256 = sha256,
                target = applied.target.display().to_string()
            ),
        ),
        Err(e) => (false, 1, tr!("apply-reload-failed", error = e.to_string())),
    }
}

/// Print the report: on stdout when it worked (`code` 0), on stderr otherwise.
fn report(ctx: &Ctx, code: i32, r: &ApplyReport) {
    if ctx.json {
        print_json(r);
        return;
    }
    if let Some(applied) = &r.applied {
        for w in &applied.warnings {
            eprintln!("{}", wrap(&tr!("ctl-warning", warning = w.to_string()), 2));
        }
    }
    if code == 0 {
        println!("{}", wrap(&r.message, 2));
    } else {
        eprintln!("{}", wrap(&format!("airgapctl: {}", r.message), 2));
    }
}
