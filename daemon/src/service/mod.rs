//! `airgapd service`: the daemon. Loads the policy (never leaving the machine open), pins and
//! attaches enforcement to the scope (adopting what an earlier daemon pinned), then reports
//! every refusal to the journal, the state and D-Bus until it is told to stop. Stopping does not
//! lift enforcement; `airgapd lift` does.
//!
//! One `Service`, its methods by concern: `start` (start-up), `serve` (the loop and D-Bus),
//! `devices` (media, USB, capture devices, uevents), `interfaces` (interface programs),
//! `refusals` (records of refusals and the periodic work), `reload` (policy changes).

mod capture;
mod devices;
mod folds;
mod history;
mod interfaces;
mod media;
mod notify;
mod policy_source;
mod premount;
pub(crate) mod records;
mod refusals;
mod reload;
mod serve;
mod start;
mod usb;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, oneshot};

use crate::bpf::{Enforcer, Layer, LayerState};
use crate::dbus::{self, Bus, Server};
use crate::devices::uevent::{Uevent, UeventSocket};
use crate::events::EventStream;
use crate::journal::{field, MessageId, Record, Sink};
use crate::network::interfaces::{Interface, LinkWatcher};
use crate::plan::{Facts, Plan};
use crate::scope::Scope;
use crate::state::{DeviceRecord, PolicyInfo, Shared, State, ViolationRecord};
use crate::storm::{Aggregator, Emit};
use crate::violation::{Kind, Violation};

pub use policy_source::{info as policy_info, load_or_strict, Loaded};

use devices::watch_uevents;
use interfaces::watch_interfaces;
use reload::apply_rules;

/// How the service is set up.
#[derive(Debug, Clone)]
pub struct Options {
    /// The policy file.
    pub policy: PathBuf,
    /// The scope cgroup; None is the whole machine (production).
    pub scope_cgroup: Option<PathBuf>,
    /// Where links and maps are pinned.
    pub pin_dir: PathBuf,
    /// journald's socket; None: the default, or stderr when there is no journald.
    pub journal_socket: Option<PathBuf>,
    /// The bus to serve `org.airgapd.Guard1` on; None: no D-Bus.
    pub bus: Option<Bus>,
    /// The copy register file (issue 8).
    pub register: PathBuf,
    /// Kept refusals and device decisions across restarts (issue 15).
    pub history: PathBuf,
    /// The enforcement record `airgapctl status` reads while the daemon is stopped (issue 14).
    pub record: PathBuf,
    /// A scoped service that covers the interfaces of its own network namespace, which must
    /// not be the machine's (tests of the interface layer, issue 14).
    pub cover_interfaces: bool,
    /// Classic tc filters instead of TCX links for the interface programs (tests).
    pub tc_filters: bool,
    /// Approved read-only media kept read-only by the daemon's tick alone, as on kernels that
    /// load neither BPF LSM nor fmod_ret programs (tests).
    pub media_ro_tick_only: bool,
    /// The machine record (issue 19); None keeps none.
    pub machine_record: Option<PathBuf>,
    /// The TPM whose counts the machine record keeps (issue 19); None: no TPM.
    pub tpm: Option<PathBuf>,
}

/// A `ReloadPolicy` call waiting for the loop, which owns the enforcement.
type ReloadRequest = oneshot::Sender<Result<PolicyInfo, String>>;

/// Run the service until SIGTERM or SIGINT.
pub async fn run(opts: Options) -> Result<()> {
    let sink = match &opts.journal_socket {
        Some(path) => Sink::detect_at(path),
        None => Sink::detect(),
    };
    let mut service = Service::start(&opts, sink)?;
    service.serve().await
}

struct Service {
    opts: Options,
    sink: Sink,
    scope: Scope,
    enforcer: Enforcer,
    events: EventStream,
    plan: Plan,
    state: Shared,
    storm: Aggregator<refusals::StormKey, Violation>,
    /// Refusals of media being identified, waiting for the decision (issue 17).
    deferred: Vec<(Instant, Violation, u64)>,
    /// Refusals the kernel folded, attributed to records (issue 23).
    folds: folds::Folds,
    lost_seen: Vec<(Kind, u64)>,
    policy: airgapd_policy::Policy,
    media: media::Media,
    /// Opened before the first media scan so no arrival falls between the two.
    uevents: Option<UeventSocket>,
    /// Interfaces (by ifindex) that carry the interface programs; shared with the links
    /// thread, which holds down the ones that come up without them (issue 23).
    covered: interfaces::Covered,
    /// Interfaces (by ifindex) the interface programs could not be attached to, and why.
    uncoverable: std::collections::BTreeMap<u32, String>,
    /// USB devices judged (whole-machine scope only).
    usb_devices: Vec<DeviceRecord>,
    /// Raw-node rules of authorized USB devices, by sysfs path (withdrawn when they leave).
    usb_grants: std::collections::BTreeMap<PathBuf, Vec<crate::maps::DevMatch>>,
    /// Uevents the kernel dropped for the daemon's socket, as last recorded.
    uevents_lost: u64,
    /// The D-Bus interface, once served.
    dbus: Option<Server>,
    // --- isolated LAN (issue 9): the LAN tries kept resolved, and the isolation watcher ---
    lan: crate::network::lan::LanGuard,
    // --- copy register and exec refusal on removable media (issue 8) ---
    media_files: crate::register::MediaFiles,
    // --- history across restarts (issue 15) ---
    /// Devices present now, as last published.
    present: Vec<DeviceRecord>,
    /// Devices that left, oldest first (bounded when written).
    departed: Vec<DeviceRecord>,
    /// Something changed since the history file was written.
    history_dirty: bool,
    /// When it was last written (at most every [`HISTORY_EVERY`], and at stop).
    history_saved: Instant,
    // --- tampering and the enforcement record (issue 14) ---
    guard: crate::tamper::Guard,
    /// The refusal of other processes' bpf(2) on airgapd's objects (None: BPF LSM does not
    /// load here; the layer `bpf-guard` says why).
    bpf_guard: Option<crate::bpf_guard::BpfGuard>,
    // --- refused media mounted before the start (issue 15 item 7) ---
    /// Refuses their files while the daemon runs (None: none found, or no group).
    premount_deny: Option<crate::devices::premount::Deny>,
    /// Those left usable (the layer `premounted-media` is unavailable while one is there).
    premount_left: std::collections::BTreeSet<(u32, u32)>,
    /// The mount table when the daemon started: the mounts that make disks internal (a
    /// reload must not make a medium mounted since, approved or not, an internal disk).
    mountinfo_at_start: String,
    // --- the machine record (issue 19) ---
    machine: crate::machine_record::Writer,
    /// The day's refusals and device decisions, summarised into the machine record.
    day: crate::machine_record::Day,
}

/// How often the history file may be rewritten under a stream of refusals.
const HISTORY_EVERY: Duration = Duration::from_secs(2);

fn send(sink: &Sink, record: Record) {
    if let Err(e) = sink.send(&record) {
        tracing::error!(error = %e, "could not write a journal record");
    }
}
