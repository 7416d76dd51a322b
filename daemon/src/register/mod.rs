//! What happens to files on removable media: every copy to or from an approved medium is
//! recorded in the copy register, and programs on any removable medium are refused
//! ([`crate::noexec`]). This module is the service's one handle on both ([`MediaFiles`]).
//!
//! The daemon learns that a medium is approved when it arrives (`service/media.rs`); it learns
//! where it is mounted from the mount table ([`mounts`]). When both are known it marks the
//! medium's filesystem with fanotify (`follow.rs`): the register's group ([`watch`]) for
//! approved media, the exec permission group for media whose programs are refused, and it
//! makes the mount noexec where that layer is used. Events become jobs ([`jobs`]) for one
//! worker thread ([`worker`]) that hashes each file ([`hash`]) and appends a hash-chained line
//! to the register file ([`mod@file`], [`entry`]) and a record to the journal (`records.rs`).
//! `airgapctl register` reads the file directly.
//!
//! With a scope cgroup (tests, `airgapd run`) only approved media are watched: fanotify marks
//! and mount attributes are machine-wide, and a scoped daemon must not touch the rest of the
//! machine. With a whole-machine scope every removable medium is.
//!
//! See docs/copy-register.md.

pub mod catchup;
pub mod entry;
pub mod fanotify;
pub mod file;
mod follow;
pub mod hash;
pub mod jobs;
pub mod mounts;
pub mod pace;
pub mod raw;
mod reader;
pub(crate) mod records;
pub mod swaps;
pub mod watch;
pub mod who;
pub mod worker;

use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use aya::maps::HashMap as BpfHashMap;
use aya::programs::RawTracePoint;
use tokio::sync::mpsc;

use airgapd_ebpf::abi;
use airgapd_policy::Policy;

use crate::bpf::{Enforcer, Layer, LayerState};
use crate::devices::identity::DeviceIdentity;
use crate::journal::Sink;
use crate::links::AttachType;
use crate::noexec::fold::Folded;
use crate::noexec::namespaces::Gate;
use crate::noexec::{lsm, perm::ExecPerm, remount};
use crate::state::DeviceRecord;
use crate::violation::Violation;

use jobs::Queue;
use mounts::MountEntry;
use watch::Watcher;
use who::Exits;
use worker::WorkerHandle;

/// How long before the service hands a judged medium over it may have been granted.
const JUDGED_SLACK: std::time::Duration = std::time::Duration::from_secs(5);

/// Exec refusals waiting for the service to list them; beyond that they are in the journal only.
const EXEC_REFUSALS_KEPT: usize = 1024;

/// A removable medium the daemon has judged, as the register and the exec layers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Medium {
    /// Its block device.
    pub dev: (u32, u32),
    /// The `[[media]]` entry that approved it, or `default` for a refused medium.
    pub rule: String,
    /// Approved (granted access) or refused.
    pub approved: bool,
    /// Its entry lets programs on it run.
    pub allow_exec: bool,
    /// Granted read-only (the kernel's read-only flag is set before the grant).
    pub read_only: bool,
    /// Who it is.
    pub identity: DeviceIdentity,
}

/// A medium and where it is mounted now.
#[derive(Debug, Clone)]
pub struct Tracked {
    /// The medium.
    pub medium: Medium,
    /// Its mounts in the daemon's namespace.
    pub mounts: Vec<MountEntry>,
}

/// Media by device, shared with the threads that record and answer.
pub type Table = Arc<RwLock<BTreeMap<(u32, u32), Tracked>>>;

/// A device the service has judged: what `service/media.rs` knows of it.
#[derive(Debug, Clone, Copy)]
pub struct Judged<'a> {
    /// Its block device.
    pub dev: (u32, u32),
    /// The decision.
    pub record: &'a DeviceRecord,
    /// Who it is, filesystem included.
    pub identity: Option<&'a DeviceIdentity>,
}

/// How the service sets this up.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The register file.
    pub register: PathBuf,
    /// journald's socket (the worker and the exec thread write records of their own).
    pub journal_socket: Option<PathBuf>,
    /// Where the LSM links are pinned.
    pub pin_dir: PathBuf,
    /// Whole-machine scope: every removable medium; else approved media only.
    pub machine: bool,
    /// The scope cgroup's directory when the scope is not the whole machine: the exec layers
    /// act in the mount namespaces of its processes only.
    pub scope_cgroup: Option<PathBuf>,
    /// The mount table to follow (`/proc/self/mountinfo`).
    pub mountinfo: PathBuf,
}

/// What has been done on one medium's filesystem.
#[derive(Debug, Default)]
struct Watched {
    /// Mount ids seen (each announced once).
    mounts: BTreeSet<u32>,
    /// The register watches it.
    register: bool,
    /// Opens on it wait while the register catches up.
    paced: bool,
    /// The exec permission group refuses its programs.
    exec_marked: bool,
    /// Mounts made noexec by the daemon (so a policy allowing programs can undo it).
    noexec_by_us: BTreeSet<u32>,
    /// Mounts found covered by another mount (each said once).
    covered: BTreeSet<u32>,
    /// Host namespace mount ids made noexec.
    host_noexec: BTreeSet<u32>,
    /// A failure was already reported (once per filesystem).
    reported: BTreeSet<&'static str>,
}

/// The copy register and the exec layers, as the service holds them.
pub struct MediaFiles {
    setup: Setup,
    table: Table,
    sink: Sink,
    /// The exec layers' own records, folded.
    folded: Folded,
    /// Who a process of the scope was, kept by the kernel when it ended.
    exits: Option<Arc<Exits>>,
    queue: Option<Queue>,
    watcher: Option<Watcher>,
    pace: Option<pace::Pace>,
    raw: Option<raw::Raw>,
    /// Device nodes of approved media watched for raw access.
    raw_watched: BTreeSet<((u32, u32), String)>,
    perm: Option<ExecPerm>,
    lsm_maps: Option<lsm::LsmMaps>,
    lsm_links: Vec<OwnedFd>,
    lsm_active: bool,
    /// `[exec] unprivileged_user_namespaces` as last applied, and what became of it.
    userns: Option<(bool, LayerState)>,
    /// Its new state after start-up, for the service to publish.
    userns_changed: Option<LayerState>,
    /// Why host mounts cannot be made noexec (None: same namespace, or reachable).
    host_ns: Option<Result<(), String>>,
    watched: BTreeMap<(u32, u32), Watched>,
    /// When each medium was last known to be unmounted or watched: a mount made after that
    /// and seen only now may have been written to before its mark (`catchup.rs`).
    seen: BTreeMap<(u32, u32), std::time::SystemTime>,
    layers: Vec<(Layer, LayerState)>,
    attached: bool,
    mounts_rx: Option<mpsc::Receiver<()>>,
    exec_rx: Option<mpsc::Receiver<Violation>>,
    // Last: stopping the worker drains its queue.
    _worker: Option<WorkerHandle>,
}

/// A sink like the service's, for a thread of its own.
fn sink_for(journal_socket: Option<&Path>) -> Sink {
    match journal_socket {
        Some(p) => Sink::detect_at(p),
        None => Sink::detect(),
    }
}

/// fd-mode events and queued exec refusals hold descriptors: allow as many as permitted.
fn raise_nofile() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is valid for the calls.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &raw const lim);
        }
    }
}

/// Load and attach the program that keeps the identity of processes that end; its map.
fn exits(enforcer: &mut Enforcer) -> Result<Exits, String> {
    let ebpf = enforcer.object_mut();
    let prog: &mut RawTracePoint = ebpf
        .program_mut("airgap_task_exit")
        .and_then(|p| p.try_into().ok())
        .ok_or("the BPF object has no program airgap_task_exit")?;
    prog.load()
        .map_err(|e| format!("loading airgap_task_exit: {e}"))?;
    prog.attach("sched_process_exit")
        .map_err(|e| format!("attaching airgap_task_exit: {e}"))?;
    let map = ebpf
        .take_map(abi::MAP_EXITS)
        .ok_or("the BPF object has no map airgap_exits")?;
    let map = BpfHashMap::try_from(map).map_err(|e| format!("map airgap_exits: {e}"))?;
    Ok(Exits::new(map))
}

impl MediaFiles {
    /// Set everything up that does not depend on media: the register file and its worker,
    /// the fanotify groups, the maps of the LSM layer. Never fails: what cannot be had is a
    /// layer reported unavailable.
    pub fn new(enforcer: &mut Enforcer, setup: Setup) -> MediaFiles {
        raise_nofile();
        let table: Table = Arc::default();
        let socket = setup.journal_socket.as_deref();
        let register = file::RegisterFile::open(&setup.register).map_err(|e| e.to_string());
        let register_problem = register.as_ref().err().cloned();
        let mut layers = Vec::new();
        // Exec refusals for `airgapctl violations`; the journal has each whatever happens here.
        let (exec_tx, exec_rx) = mpsc::channel(EXEC_REFUSALS_KEPT);
        let (queue, worker) =
            match worker::start(table.clone(), sink_for(socket), register, exec_tx) {
                Ok((q, w)) => (Some(q), Some(w)),
                Err(e) => {
                    tracing::error!(error = %e, "starting the copy register's worker");
                    (None, None)
                }
            };
        let exits = exits(enforcer)
            .map_err(|why| {
                tracing::warn!(
                    "{why}: copies by processes that ended before their event was read are \
                     recorded without their user"
                );
            })
            .ok()
            .map(Arc::new);
        let openers = Arc::new(swaps::Openers::default());
        let watcher = queue
            .as_ref()
            .map(|q| Watcher::new(q.clone(), exits.clone(), openers.clone()));
        let register_state = match (&watcher, register_problem) {
            (Some(Ok(_)), None) => LayerState::Active,
            (Some(Ok(_)), Some(why)) => LayerState::Unavailable(format!(
                "the register file cannot be written ({why}); copies are recorded in the \
                 journal only"
            )),
            (Some(Err(e)), _) => LayerState::Unavailable(format!("fanotify: {e}")),
            (None, _) => LayerState::Unavailable("the recording thread could not start".into()),
        };
        layers.push((Layer::CopyRegister, register_state));
        if let Some(q) = &queue {
            if let Err(e) = swaps::watch(table.clone(), q.clone(), openers.clone(), exits.clone()) {
                tracing::error!(error = %e, "swap enabled on a medium is not recorded");
            }
        }
        let pace = queue.as_ref().and_then(|q| {
            pace::Pace::new(q.clone(), table.clone())
                .map_err(|e| {
                    tracing::error!(error = %e, "open permission events: a flood of opens on \
                        a medium is not slowed to the register's pace");
                })
                .ok()
        });
        let raw = queue.as_ref().and_then(|q| {
            raw::Raw::new(q.clone(), exits.clone(), openers.clone())
                .map_err(|e| {
                    tracing::error!(error = %e, "raw access to media's block devices is not \
                        recorded");
                })
                .ok()
        });
        let folded = Folded::start(sink_for(socket));
        let perm = queue.as_ref().map(|q| {
            let gate = Gate::new(setup.scope_cgroup.as_deref(), folded.clone());
            ExecPerm::new(table.clone(), q.clone(), sink_for(socket), gate)
        });
        let perm_state = match &perm {
            Some(Ok(_)) => LayerState::Active,
            Some(Err(e)) => LayerState::Unavailable(format!("fanotify permission events: {e}")),
            None => LayerState::Unavailable("the recording thread could not start".into()),
        };
        layers.push((Layer::ExecFanotify, perm_state));
        let lsm_maps = lsm::LsmMaps::take(enforcer.object_mut())
            .map_err(|why| tracing::error!("{why}"))
            .ok();
        let host_ns = remount::own_namespace().then(|| {
            remount::probe_host_namespace().map_err(|e| {
                format!(
                    "the daemon runs in a mount namespace of its own and cannot enter the \
                     host's ({e}): media mounted on the host are not made noexec (the service \
                     needs CAP_SYS_CHROOT and RestrictNamespaces=mnt)"
                )
            })
        });
        let (tx, rx) = mpsc::channel(1);
        let mounts_rx = match mounts::watch(&setup.mountinfo, tx) {
            Ok(()) => Some(rx),
            Err(e) => {
                tracing::error!(error = %e, "watching {}", setup.mountinfo.display());
                None
            }
        };
        MediaFiles {
            sink: sink_for(socket),
            folded,
            exits,
            setup,
            table,
            queue,
            watcher: watcher.and_then(Result::ok),
            pace,
            raw,
            raw_watched: BTreeSet::new(),
            perm: perm.and_then(Result::ok),
            lsm_maps,
            lsm_links: Vec::new(),
            lsm_active: false,
            userns: None,
            userns_changed: None,
            host_ns,
            watched: BTreeMap::new(),
            seen: BTreeMap::new(),
            layers,
            attached: false,
            mounts_rx,
            exec_rx: Some(exec_rx),
            _worker: worker,
        }
    }

    /// The folded records and the identities of ended processes, for another permission
    /// group's thread (refused media mounted before the start).
    pub fn records(&self) -> (Folded, Option<Arc<Exits>>) {
        (self.folded.clone(), self.exits.clone())
    }

    /// Exec refusals as violations, for the service's loop (once).
    pub fn exec_refusals(&mut self) -> mpsc::Receiver<Violation> {
        self.exec_rx.take().unwrap_or_else(|| mpsc::channel(1).1)
    }

    /// Mount table changes, for the service's loop (once).
    pub fn mount_changes(&mut self) -> mpsc::Receiver<()> {
        self.mounts_rx.take().unwrap_or_else(|| mpsc::channel(1).1)
    }

    /// Link the LSM layer (its device map filled by the first [`MediaFiles::sync`]) and start
    /// following mounts. Returns the layers of this area, also set on the enforcer.
    pub fn attach(&mut self, enforcer: &mut Enforcer) -> Vec<(Layer, LayerState)> {
        let lsm_state = match self.lsm_maps.as_mut() {
            None => LayerState::Unavailable("the LSM maps could not be opened".into()),
            Some(maps) => match crate::bpf::bpf_lsm_listed()
                .and_then(|()| lsm::attach(enforcer.object_mut(), &self.setup.pin_dir))
            {
                Ok(links) => {
                    // Watched by the tamper check like every other link (issue 14).
                    for ((name, _), link) in lsm::PROGRAMS.into_iter().zip(&links) {
                        let pin = format!("link_{name}");
                        if let Err(e) = enforcer.hold(pin, name, AttachType::BPF_LSM_MAC, link) {
                            tracing::error!(error = %e, link = name, "cannot watch an exec LSM link");
                        }
                    }
                    self.lsm_links = links;
                    self.lsm_active = true;
                    if let Some(q) = &self.queue {
                        if let Err(e) = lsm::read_events(maps, q.clone()) {
                            tracing::error!(error = %e, "reading exec refusals");
                        }
                    }
                    LayerState::Active
                }
                Err(why) => LayerState::Unavailable(why),
            },
        };
        self.layers.push((Layer::ExecLsm, lsm_state));
        if let (true, Some(perm)) = (self.lsm_active, &self.perm) {
            perm.exec_only();
        }
        if !self.lsm_active {
            let state = match &self.host_ns {
                Some(Err(why)) => LayerState::Unavailable(why.clone()),
                _ => LayerState::Active,
            };
            self.layers.push((Layer::ExecNoexec, state));
        }
        if let Some((_, state)) = &self.userns {
            self.layers.push((Layer::ExecUserNamespaces, state.clone()));
        }
        for (layer, state) in &self.layers {
            enforcer.set_layer(*layer, state.clone());
        }
        self.attached = true;
        self.reconcile();
        self.layers.clone()
    }

    /// The judged devices changed (arrival, removal, rescan, reload): follow them.
    pub fn sync<'a>(&mut self, judged: impl IntoIterator<Item = Judged<'a>>, policy: &Policy) {
        self.user_namespaces(policy.exec.unprivileged_user_namespaces);
        let mut refused = BTreeSet::new();
        let mut media = BTreeMap::new();
        for j in judged {
            let approved = j.record.decision != "refused";
            let allow_exec = approved
                && policy
                    .media
                    .iter()
                    .any(|m| m.name == j.record.rule && m.allow_exec);
            if !allow_exec {
                refused.insert(j.dev);
            }
            if !(self.setup.machine || approved) {
                continue;
            }
            let identity = j.identity.cloned().unwrap_or_default();
            media.insert(
                j.dev,
                Medium {
                    dev: j.dev,
                    rule: j.record.rule.clone(),
                    approved,
                    allow_exec,
                    read_only: j.record.decision == "read-only",
                    identity,
                },
            );
        }
        if let Some(maps) = self.lsm_maps.as_mut() {
            maps.set_devices(&refused);
        }
        {
            let mut table = self.table.write().expect("media table lock");
            table.retain(|dev, _| media.contains_key(dev));
            for (dev, medium) in &media {
                // Another medium at the same device number (a card reader's card swapped) is
                // another filesystem: watched, announced and recorded as new.
                if table
                    .get(dev)
                    .is_some_and(|t| t.medium.identity != medium.identity)
                {
                    self.watched.remove(dev);
                    if let Some(watcher) = self.watcher.as_mut() {
                        watcher.forget(*dev);
                    }
                }
            }
            // A medium just judged may have been mounted between its grant and now.
            let judged = std::time::SystemTime::now() - JUDGED_SLACK;
            self.seen.retain(|dev, _| media.contains_key(dev));
            for dev in media.keys() {
                self.seen.entry(*dev).or_insert(judged);
            }
            for (dev, medium) in media {
                table
                    .entry(dev)
                    .and_modify(|t| t.medium = medium.clone())
                    .or_insert(Tracked {
                        medium,
                        mounts: Vec::new(),
                    });
            }
        }
        self.watch_raw();
        if self.attached {
            self.reconcile();
        }
    }

    /// Mark the device node of every approved medium not marked yet.
    fn watch_raw(&mut self) {
        let Some(raw) = &self.raw else { return };
        let wanted: Vec<((u32, u32), String)> = {
            let table = self.table.read().expect("media table lock");
            table
                .values()
                .filter(|t| t.medium.approved)
                .filter_map(|t| t.medium.identity.node.clone().map(|n| (t.medium.dev, n)))
                .collect()
        };
        self.raw_watched.retain(|k| wanted.contains(k));
        for (dev, node) in wanted {
            if self.raw_watched.contains(&(dev, node.clone())) {
                continue;
            }
            match raw.watch(dev, &node) {
                Ok(()) => {
                    self.raw_watched.insert((dev, node));
                }
                Err(e) => {
                    tracing::error!(error = %e, node, "raw access to this medium is not recorded");
                }
            }
        }
    }

    /// Set the user namespace switch when the policy's value is new; after start-up, say what
    /// became of it (at start-up [`MediaFiles::attach`] reports it with the other layers).
    fn user_namespaces(&mut self, allowed: bool) {
        if self.userns.as_ref().is_some_and(|(a, _)| *a == allowed) {
            return;
        }
        let state = crate::noexec::userns::apply(allowed, self.setup.machine);
        if self.attached {
            let r = crate::service::records::layer(Layer::ExecUserNamespaces, &state, false);
            let _ = self.sink.send(&r);
            self.userns_changed = Some(state.clone());
        }
        self.userns = Some((allowed, state));
    }

    /// The user namespace switch's state, if it changed since start-up and was not taken yet.
    pub fn take_userns_change(&mut self) -> Option<LayerState> {
        self.userns_changed.take()
    }

    /// The mount table changed.
    pub fn on_mounts(&mut self) {
        if self.attached {
            self.reconcile();
        }
    }
}
