//! `airgapctl policy show|reload`: the policy in force, its file, and putting an edited file in
//! force. (`policy check` and `policy import-usbguard`, which need no daemon, belong here too.)

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::client::CtlError;
use super::output::print_json;
use super::output::wrap;
use super::status::PolicyStatus;
use super::Ctx;
use crate::paths;
use crate::tr;

/// `airgapctl policy ...`.
#[derive(Debug, clap::Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy file without touching the running system (exit 0 valid, 1 invalid).
    Check(super::check::CheckArgs),
    /// Show the policy in force (id, serial, sha256) and print its file.
    Show(ShowArgs),
    /// Re-read the policy file and put it in force (root only).
    Reload(ReloadArgs),
    /// Install a signed policy from an approved medium and put it in force (root only).
    Apply(super::apply::ApplyArgs),
    /// Sign a policy for the machines (security office): runs `ssh-keygen -Y sign`.
    Sign(super::sign::SignArgs),
    /// Turn USBGuard rules into an airgapd policy; what airgapd cannot honour is listed with
    /// its line (exit 0 when the rules parse, 1 when a rule is malformed: nothing written).
    ImportUsbguard(super::import_usbguard::ImportUsbguardArgs),
}

/// Arguments of `airgapctl policy show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {}

/// Arguments of `airgapctl policy reload`.
#[derive(Debug, clap::Args)]
pub struct ReloadArgs {}

/// Run `airgapctl policy ...`.
pub async fn run(ctx: &Ctx, command: PolicyCommand) -> Result<i32, CtlError> {
    match command {
        PolicyCommand::Check(args) => super::check::run(ctx, args),
        PolicyCommand::Show(args) => show(ctx, args).await,
        PolicyCommand::Reload(args) => reload(ctx, args).await,
        PolicyCommand::Apply(args) => super::apply::run(ctx, args).await,
        PolicyCommand::Sign(args) => super::sign::run(ctx, args),
        PolicyCommand::ImportUsbguard(args) => super::import_usbguard::run(ctx, args),
    }
}

/// The policy file as found on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyFile {
    /// Where it was read.
    pub path: PathBuf,
    /// SHA-256 of its bytes, when it could be read.
    pub sha256: Option<String>,
    /// Whether those bytes are the policy in force.
    pub in_force: bool,
    /// Its text, when it could be read.
    pub text: Option<String>,
    /// Why it could not be read.
    pub error: Option<String>,
}

impl PolicyFile {
    /// Read `path` and compare it with the digest in force.
    pub fn read(path: &Path, sha256_in_force: &str) -> PolicyFile {
        match std::fs::read(path) {
            Ok(bytes) => {
                let sha256: String = Sha256::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                PolicyFile {
                    path: path.to_path_buf(),
                    in_force: sha256 == sha256_in_force,
                    sha256: Some(sha256),
                    text: Some(String::from_utf8_lossy(&bytes).into_owned()),
                    error: None,
                }
            }
            Err(e) => PolicyFile {
                path: path.to_path_buf(),
                sha256: None,
                in_force: false,
                text: None,
                error: Some(e.to_string()),
            },
        }
    }
}

/// What `airgapctl policy show --json` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyShow {
    /// The policy airgapd enforces.
    pub in_force: PolicyStatus,
    /// The file on disk.
    pub file: PolicyFile,
}

async fn show(ctx: &Ctx, _args: ShowArgs) -> Result<i32, CtlError> {
    let client = ctx.connect().await?;
    let in_force = PolicyStatus::fetch(&client).await?;
    let path = if in_force.path.is_empty() {
        PathBuf::from(paths::POLICY_FILE)
    } else {
        PathBuf::from(&in_force.path)
    };
    let file = PolicyFile::read(&path, &in_force.sha256);
    let shown = PolicyShow { in_force, file };
    if ctx.json {
        print_json(&shown);
    } else {
        print!("{}", render(&shown));
    }
    Ok(0)
}

/// The text of `policy show`.
pub fn render(s: &PolicyShow) -> String {
    let p = &s.in_force;
    let mut lines = vec![
        if p.id.is_empty() {
            tr!("policy-show-in-force-no-id", serial = p.serial)
        } else {
            tr!("policy-show-in-force", id = &p.id, serial = p.serial)
        },
        format!("  {}", tr!("policy-show-sha256", sha256 = &p.sha256)),
    ];
    if p.builtin {
        lines.push(format!("  {}", tr!("policy-show-builtin")));
        if !p.fallback_reason.is_empty() {
            lines.push(format!(
                "  {}",
                tr!("policy-show-builtin-why", reason = &p.fallback_reason)
            ));
        }
    } else {
        lines.push(format!("  {}", tr!("policy-show-from", path = &p.path)));
    }
    if let Some(provenance) = &p.provenance {
        lines.push(format!("  {}", provenance.sentence()));
    }
    let f = &s.file;
    let path = f.path.display().to_string();
    lines.push(String::new());
    match (&f.text, &f.error) {
        (Some(_), _) => {
            lines.push(if f.in_force {
                tr!("policy-file-in-force", path = &path)
            } else {
                tr!("policy-file-differs", path = &path)
            });
            lines.push(format!(
                "  {}",
                tr!(
                    "policy-show-sha256",
                    sha256 = f.sha256.as_deref().unwrap_or_default()
                )
            ));
        }
        (None, error) => lines.push(tr!(
            "policy-file-unreadable",
            path = &path,
            error = error.as_deref().unwrap_or("?")
        )),
    }
    let mut out = String::new();
    for line in &lines {
        out.push_str(&wrap(line, 4));
        out.push('\n');
    }
    if let Some(text) = &f.text {
        out.push('\n');
        out.push_str(text);
        if !text.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// What `airgapctl policy reload --json` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reloaded {
    /// SHA-256 of the policy now in force.
    pub sha256: String,
    /// Its serial.
    pub serial: u64,
}

async fn reload(ctx: &Ctx, _args: ReloadArgs) -> Result<i32, CtlError> {
    let client = ctx.connect().await?;
    let (sha256, serial) =
        client.change("reload the policy", client.proxy.reload_policy().await)?;
    let reloaded = Reloaded { sha256, serial };
    if ctx.json {
        print_json(&reloaded);
    } else {
        println!(
            "{}",
            wrap(
                &tr!(
                    "policy-reloaded",
                    serial = reloaded.serial,
                    sha256 = &reloaded.sha256
                ),
                2
            )
        );
    }
    Ok(0)
}
