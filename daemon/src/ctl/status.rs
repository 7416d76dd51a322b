//! `airgapctl status`: one screen that tells an inspector whether this machine is air-gapped,
//! by which layers, under which policy, and what was refused lately.
//!
//! Exit status: 0 when air-gapped, 3 when airgapd runs but the machine is NOT air-gapped.

use serde::{Deserialize, Serialize};

use super::client::{Client, CtlError};
use super::output::{local_time, print_json, violation_line};
use super::violations::{fetch, End};
use super::Ctx;
use crate::dbus::{KindCount, LayerEntry, ViolationEntry};

/// Refusals shown at the bottom of the screen.
const LAST: usize = 5;

/// Exit status when the machine is not air-gapped.
pub const NOT_AIR_GAPPED: i32 = 3;

/// Arguments of `airgapctl status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {}

/// The policy in force, as `status --json` and `policy show --json` report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyStatus {
    /// `[meta] id`.
    pub id: String,
    /// `[meta] serial`.
    pub serial: u64,
    /// SHA-256 of the policy file in force.
    pub sha256: String,
    /// True when the built-in strict fallback is in force.
    pub builtin: bool,
    /// Why the fallback is in force.
    pub fallback_reason: String,
    /// The file it came from (empty for a built-in policy).
    pub path: String,
}

impl PolicyStatus {
    /// Ask airgapd.
    pub async fn fetch(client: &Client) -> Result<PolicyStatus, CtlError> {
        let p = &client.proxy;
        let what = "read the policy in force";
        let (id, serial, sha256, builtin, fallback_reason, path) = tokio::join!(
            p.policy_id(),
            p.policy_serial(),
            p.policy_sha256(),
            p.policy_builtin(),
            p.policy_fallback_reason(),
            p.policy_path()
        );
        Ok(PolicyStatus {
            id: client.read(what, id)?,
            serial: client.read(what, serial)?,
            sha256: client.read(what, sha256)?,
            builtin: client.read(what, builtin)?,
            fallback_reason: client.read(what, fallback_reason)?,
            path: client.read(what, path)?,
        })
    }

    /// `"office-12" serial 7` or `(no id) serial 0`.
    pub fn name(&self) -> String {
        let id = if self.id.is_empty() {
            "(no id)".to_string()
        } else {
            format!("{:?}", self.id)
        };
        format!("{id} serial {}", self.serial)
    }
}

/// What `airgapctl status --json` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Whether every layer that matters enforces.
    pub air_gapped: bool,
    /// `enforcing` or `scoped:<cgroup>`.
    pub mode: String,
    /// Daemon start, microseconds since the Unix epoch.
    pub started_at_us: u64,
    /// Each layer.
    pub layers: Vec<LayerEntry>,
    /// The policy in force.
    pub policy: PolicyStatus,
    /// Refusals per kind.
    pub violation_counts: Vec<KindCount>,
    /// The newest refusals kept, oldest first.
    pub last_violations: Vec<ViolationEntry>,
}

impl Status {
    /// Ask airgapd for everything on the screen.
    pub async fn fetch(client: &Client) -> Result<Status, CtlError> {
        let p = &client.proxy;
        let what = "read the status";
        let (air_gapped, mode, started_at, layers, counts) = tokio::join!(
            p.air_gapped(),
            p.mode(),
            p.started_at(),
            p.layers(),
            p.violation_counts()
        );
        Ok(Status {
            air_gapped: client.read(what, air_gapped)?,
            mode: client.read(what, mode)?,
            started_at_us: client.read(what, started_at)?,
            layers: client.read(what, layers)?,
            policy: PolicyStatus::fetch(client).await?,
            violation_counts: client.read(what, counts)?,
            last_violations: fetch(client, 0, LAST, End::Newest, |_| true).await?,
        })
    }
}

/// Run `airgapctl status`.
pub async fn run(ctx: &Ctx, _args: StatusArgs) -> Result<i32, CtlError> {
    let client = ctx.connect().await?;
    let status = Status::fetch(&client).await?;
    if ctx.json {
        print_json(&status);
    } else {
        print!("{}", render(&status));
    }
    Ok(if status.air_gapped { 0 } else { NOT_AIR_GAPPED })
}

/// The screen.
pub fn render(s: &Status) -> String {
    let mut out = String::new();
    let mut line = |l: String| {
        out.push_str(&l);
        out.push('\n');
    };
    if s.air_gapped {
        line("AIR-GAPPED: YES. The kernel blocks all network access beyond this computer".into());
        line("            and every storage device the policy does not allow.".into());
    } else {
        line("AIR-GAPPED: NO. This machine is NOT protected: do not draft or store".into());
        line("            secret documents on it until this says YES.".into());
    }
    line(String::new());
    line("Protection layers:".into());
    let width = s.layers.iter().map(|l| l.name.len()).max().unwrap_or(0);
    for l in &s.layers {
        let state = if l.is_active() {
            "active".to_string()
        } else {
            format!("{} ({})", l.state.to_uppercase(), l.detail)
        };
        line(format!("  {:width$}  {state}", l.name));
    }
    if s.layers.is_empty() {
        line("  none: airgapd enforces nothing yet".into());
    }
    line(String::new());
    let p = &s.policy;
    if p.builtin {
        line(format!(
            "Policy:        BUILT-IN STRICT FALLBACK ({}): the policy file could not be used",
            p.name()
        ));
        if !p.fallback_reason.is_empty() {
            line(format!("               because {}", p.fallback_reason));
        }
    } else {
        line(format!("Policy:        {} from {}", p.name(), p.path));
    }
    line(format!("  sha256:      {}", p.sha256));
    let mode = match s.mode.as_str() {
        "enforcing" => "enforcing on the whole machine".to_string(),
        other => other.to_string(),
    };
    line(format!("Mode:          {mode}"));
    line(format!("Running since: {}", local_time(s.started_at_us)));
    line(String::new());
    let total: u64 = s.violation_counts.iter().map(|c| c.denied).sum();
    line(format!("Refusals since start: {total}"));
    for c in s.violation_counts.iter().filter(|c| c.denied > 0) {
        let lost = if c.lost > 0 {
            format!(" ({} without details: event buffer was full)", c.lost)
        } else {
            String::new()
        };
        line(format!("  {:18} {}{lost}", c.kind, c.denied));
    }
    if !s.last_violations.is_empty() {
        line(format!("Last {}:", s.last_violations.len()));
        for v in &s.last_violations {
            line(format!("  {}", violation_line(v)));
        }
    }
    out
}
