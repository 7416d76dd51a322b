//! `airgapctl status`: one screen that tells an inspector whether this machine is air-gapped,
//! by which layers, under which policy, and what was refused lately. Always answered: from the
//! running daemon over D-Bus; when it does not answer, from the kernel itself (root reads the
//! pins, [`super::status_offline`]) or from the record the daemon keeps (everyone else).
//!
//! Exit status: 0 air-gapped (YES, also with the daemon stopped); 3 NOT air-gapped or only
//! partly (NO, PARTIAL); 5 cannot tell (no daemon, no record, and not root).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::client::{Client, CtlError};
use super::output::{local_time, print_json, violation_line_at, wrap};
use super::provenance::Provenance;
use super::violations::{fetch, End};
use super::Ctx;
use crate::dbus::{KindCount, LayerEntry, ViolationEntry};
use crate::i18n::catalog;
use crate::paths;
use crate::pinned::record::{LiftRecord, Record, TamperRecord};
use crate::pinned::Verdict;
use crate::tr;

/// Refusals shown at the bottom of the screen.
const LAST: usize = 5;

/// Exit status when the machine is not air-gapped, or only partly.
pub const NOT_AIR_GAPPED: i32 = 3;

/// Exit status when it cannot be told (no daemon, no record, no right to read bpffs).
pub const CANNOT_TELL: i32 = 5;

/// Arguments of `airgapctl status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The pin directory to read when airgapd does not answer (root only).
    #[arg(long, value_name = "DIR", default_value = paths::PIN_DIR)]
    pub pin_dir: PathBuf,
    /// The enforcement record airgapd keeps, read when it does not answer [default: as
    /// `airgapd service` finds it from the pin directory].
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Print the public half of the machine key that signs inspection reports (made if
    /// missing, which needs root), and nothing else.
    #[arg(long)]
    pub machine_key: bool,
    /// The machine key `--machine-key` reads.
    #[arg(long, value_name = "FILE", default_value = paths::MACHINE_KEY, requires = "machine_key")]
    pub machine_key_file: PathBuf,
}

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
    /// Signed, a local edit, or never signed (absent for a built-in policy, or when unknown).
    #[serde(default)]
    pub provenance: Option<Provenance>,
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
            provenance: None,
        }
        .with_provenance())
    }

    /// Add where the policy comes from (none for the built-in fallback).
    pub fn with_provenance(mut self) -> PolicyStatus {
        if !self.builtin && !self.path.is_empty() && !self.sha256.is_empty() {
            self.provenance = Some(Provenance::of(Path::new(&self.path), &self.sha256));
        }
        self
    }

    /// `"office-12" serial 7` or `(no id) serial 0`, in the reader's language.
    pub fn name(&self) -> String {
        let id = if self.id.is_empty() {
            tr!("status-policy-no-id")
        } else {
            format!("{:?}", self.id)
        };
        tr!("status-policy-name", id = id, serial = self.serial)
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
    /// The answer: `yes`, `partial`, `no` or `unknown`.
    #[serde(default = "unknown")]
    pub verdict: Verdict,
    /// The daemon: `running`, `stopped` or `unknown`.
    #[serde(default)]
    pub daemon: String,
    /// Where the answer comes from: `daemon` (D-Bus), `kernel` (bpffs read by root) or
    /// `record` (the daemon's record, not checked against the kernel).
    #[serde(default)]
    pub source: String,
    /// What is missing or changed, one item each.
    #[serde(default)]
    pub problems: Vec<String>,
    /// The latest tamperings the daemon found, oldest first.
    #[serde(default)]
    pub tampering: Vec<TamperRecord>,
    /// The last lift, when enforcement was lifted.
    #[serde(default)]
    pub lifted: Option<LiftRecord>,
}

fn unknown() -> Verdict {
    Verdict::Unknown
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
        let air_gapped = client.read(what, air_gapped)?;
        let layers: Vec<LayerEntry> = client.read(what, layers)?;
        // Not air-gapped with both required layers active: something else is open (an
        // interface without its program, a refused medium mounted before the start and left
        // usable), which is PARTIAL, not NO.
        let left = premount_left(&layers);
        let required = ["cgroup-network", "cgroup-device"]
            .iter()
            .all(|r| layers.iter().any(|l| l.name == *r && l.is_active()));
        Ok(Status {
            verdict: match (air_gapped, required) {
                (true, _) => Verdict::Yes,
                (false, true) => Verdict::Partial,
                (false, false) => Verdict::No,
            },
            daemon: "running".into(),
            source: "daemon".into(),
            problems: left,
            tampering: Vec::new(),
            lifted: None,
            air_gapped,
            mode: client.read(what, mode)?,
            started_at_us: client.read(what, started_at)?,
            layers,
            policy: PolicyStatus::fetch(client).await?,
            violation_counts: client.read(what, counts)?,
            last_violations: fetch(client, 0, LAST, End::Newest, |_| true).await?,
        })
    }
}

impl Status {
    /// Add what the daemon's record says about tampering: an unrepaired one makes the answer
    /// PARTIAL.
    pub fn with_record(mut self, record: Option<&Record>) -> Status {
        let Some(r) = record else {
            return self;
        };
        self.tampering = r.tampering.clone();
        let unrepaired = unrepaired(&r.tampering);
        if !unrepaired.is_empty() && self.verdict == Verdict::Yes {
            self.verdict = Verdict::Partial;
            self.air_gapped = false;
        }
        self.problems.extend(unrepaired);
        self
    }

    /// The exit status for this answer.
    pub fn exit_code(&self) -> i32 {
        match self.verdict {
            Verdict::Yes => 0,
            Verdict::Partial | Verdict::No => NOT_AIR_GAPPED,
            Verdict::Unknown => CANNOT_TELL,
        }
    }
}

/// Run `airgapctl status`.
pub async fn run(ctx: &Ctx, args: StatusArgs) -> Result<i32, CtlError> {
    if args.machine_key {
        return super::report::print_machine_key(ctx, &args.machine_key_file);
    }
    let record = Record::read(&paths::record_for(&args.pin_dir, args.record.as_deref()));
    let status = match ctx.connect().await {
        Ok(client) => Status::fetch(&client)
            .await?
            .with_record(record.as_ref().ok().and_then(Option::as_ref)),
        Err(CtlError::NotRunning { .. } | CtlError::Bus { .. }) => {
            super::status_offline::status(&args, record)
        }
        Err(e) => return Err(e),
    };
    if ctx.json {
        print_json(&status);
    } else {
        print!("{}", render(&status));
    }
    Ok(status.exit_code())
}

/// Indent of the headline's continuation lines: under the answer, after "AIR-GAPPED: ".
const HEAD_INDENT: usize = 12;

/// The screen, in the reader's language (wrapped to 80 columns).
pub fn render(s: &Status) -> String {
    let mut out = String::new();
    let mut line = |l: String| {
        out.push_str(&l);
        out.push('\n');
    };
    let head = match s.verdict {
        Verdict::Yes => tr!("status-yes"),
        Verdict::Partial => tr!("status-partial"),
        Verdict::No => tr!("status-no"),
        Verdict::Unknown => tr!("status-unknown"),
    };
    line(wrap(&head, HEAD_INDENT));
    if s.daemon == "stopped" && s.verdict == Verdict::Yes {
        line(format!(
            "{:HEAD_INDENT$}{}",
            "",
            wrap(&tr!("status-daemon-stopped"), HEAD_INDENT)
        ));
    }
    if s.source == "record" {
        line(wrap(&tr!("status-from-record"), 0));
    }
    if !s.problems.is_empty() {
        line(String::new());
        line(tr!("status-problems"));
        for p in &s.problems {
            line(format!("  {}", wrap(p, 4)));
        }
    }
    if let Some(l) = &s.lifted {
        line(String::new());
        line(tr!(
            "status-lifted",
            time = local_time(l.at_us),
            uid = l.uid,
            removed = l.removed.join("; ")
        ));
    }
    if !s.tampering.is_empty() {
        line(String::new());
        line(tr!("status-tampering"));
        for t in &s.tampering {
            line(format!("  {}", wrap(&tamper_line(t), 4)));
        }
    }
    line(String::new());
    line(tr!("status-layers"));
    let width = s.layers.iter().map(|l| l.name.len()).max().unwrap_or(0);
    for l in &s.layers {
        let state = if l.is_active() && !l.detail.is_empty() {
            tr!("status-layer-limited", detail = &l.detail)
        } else if l.is_active() {
            tr!("status-layer-active")
        } else {
            tr!(
                "status-layer-problem",
                state = layer_state(&l.state),
                detail = &l.detail
            )
        };
        // Wrapped as if the name were blanks (its width counts on the first line), then the
        // blanks replaced by the name.
        let indent = width + 4;
        let wrapped = wrap(&format!("{:indent$}{state}", ""), indent);
        line(format!("  {:width$}  {}", l.name, &wrapped[indent..]));
    }
    if s.layers.is_empty() {
        line(format!("  {}", tr!("status-layers-none")));
    }
    line(String::new());
    let p = &s.policy;
    if p.sha256.is_empty() {
        line(tr!("status-policy-unknown"));
    } else if p.builtin {
        line(tr!("status-policy-builtin", name = p.name()));
        if !p.fallback_reason.is_empty() {
            let why = tr!("status-policy-builtin-why", reason = &p.fallback_reason);
            line(format!("{:15}{}", "", wrap(&why, 15)));
        }
    } else {
        // Not wrapped: the label's spaces line the values up, and a path is one word.
        line(tr!("status-policy-file", name = p.name(), path = &p.path));
    }
    if !p.sha256.is_empty() {
        line(format!(
            "  {}",
            tr!("status-policy-sha256", sha256 = &p.sha256)
        ));
    }
    if let Some(provenance) = &p.provenance {
        line(wrap(&format!("  {}", provenance.sentence()), 2));
    }
    line(match s.mode.strip_prefix("scoped:") {
        Some(scope) => tr!("status-mode-scoped", scope = scope),
        None if s.mode == "enforcing" => tr!("status-mode-machine"),
        None => tr!("status-mode-scoped", scope = &s.mode),
    });
    match s.daemon.as_str() {
        "running" => line(tr!(
            "status-running-since",
            time = local_time(s.started_at_us)
        )),
        "stopped" if s.started_at_us != 0 => line(tr!(
            "status-daemon-had-started",
            time = local_time(s.started_at_us)
        )),
        _ => line(tr!("status-daemon-not-running")),
    }
    if s.source != "daemon" && !s.source.is_empty() {
        return out;
    }
    line(String::new());
    let total: u64 = s.violation_counts.iter().map(|c| c.denied).sum();
    line(tr!("status-refusals", total = total));
    for c in s.violation_counts.iter().filter(|c| c.denied > 0) {
        let lost = if c.lost > 0 {
            format!(" ({})", tr!("status-refusals-lost", count = c.lost))
        } else {
            String::new()
        };
        line(format!("  {:18} {}{lost}", c.kind, c.denied));
    }
    if !s.last_violations.is_empty() {
        line(tr!("status-last", count = s.last_violations.len() as u64));
        for v in &s.last_violations {
            line(violation_line_at(v, 2));
        }
    }
    out
}

/// A layer's state in capitals, as the catalog words it (the raw word when it has none).
fn layer_state(state: &str) -> String {
    let id = format!("layer-state-{state}");
    if catalog().has(&id) {
        catalog().text(&id, None)
    } else {
        state.to_uppercase()
    }
}

/// One tampering: when, what, from what to what, and whether it was restored.
fn tamper_line(t: &TamperRecord) -> String {
    let time = local_time(t.at_us);
    let (what, to, from) = (&t.what, &t.to, &t.from);
    match (t.repair_error.is_empty(), t.while_down) {
        (true, false) => tr!(
            "status-tamper-restored",
            time = time,
            what = what,
            to = to,
            from = from
        ),
        (true, true) => tr!(
            "status-tamper-restored-down",
            time = time,
            what = what,
            to = to,
            from = from
        ),
        (false, false) => tr!(
            "status-tamper-failed",
            time = time,
            what = what,
            to = to,
            from = from,
            error = &t.repair_error
        ),
        (false, true) => tr!(
            "status-tamper-failed-down",
            time = time,
            what = what,
            to = to,
            from = from,
            error = &t.repair_error
        ),
    }
}

/// One line per refused medium mounted before airgapd started and left usable (the layer
/// `premounted-media`, issue 15): each makes the answer PARTIAL at best.
pub(super) fn premount_left(layers: &[LayerEntry]) -> Vec<String> {
    layers
        .iter()
        .filter(|l| l.name == crate::bpf::Layer::PremountedMedia.name() && !l.is_active())
        .map(|l| l.detail.clone())
        .collect()
}

/// One line per tampering that could not be repaired: each makes the answer PARTIAL, until a
/// later record of the same object says it was restored.
pub(super) fn unrepaired(tampering: &[crate::pinned::record::TamperRecord]) -> Vec<String> {
    tampering
        .iter()
        .enumerate()
        .filter(|(i, t)| {
            !t.repair_error.is_empty()
                && !tampering[i + 1..]
                    .iter()
                    .any(|later| later.what == t.what && later.repair_error.is_empty())
        })
        .map(|(_, t)| t)
        .map(|t| tr!("status-unrepaired", what = &t.what, error = &t.repair_error))
        .collect()
}
