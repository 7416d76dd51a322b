//! `airgapd service`: the daemon. Loads the policy (never leaving the machine open), pins and
//! attaches enforcement to the scope (adopting what an earlier daemon pinned), then reports
//! every refusal to the journal, the state and D-Bus until it is told to stop. Stopping does not
//! lift enforcement; `airgapd lift` does.

mod capture;
mod history;
mod media;
mod notify;
mod policy_source;
pub(crate) mod records;
mod usb;

use std::path::PathBuf;
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
    storm: Aggregator<(u32, Kind), Violation>,
    lost_seen: Vec<(Kind, u64)>,
    policy: airgapd_policy::Policy,
    media: media::Media,
    /// Opened before the first media scan so no arrival falls between the two.
    uevents: Option<UeventSocket>,
    /// Interfaces (by ifindex) that carry the interface programs.
    covered: std::collections::BTreeMap<u32, String>,
    /// USB devices judged (whole-machine scope only).
    usb_devices: Vec<DeviceRecord>,
    /// Raw-node rules of authorized USB devices, by sysfs path (withdrawn when they leave).
    usb_grants: std::collections::BTreeMap<PathBuf, Vec<crate::maps::DevMatch>>,
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
}

/// How often the history file may be rewritten under a stream of refusals.
const HISTORY_EVERY: Duration = Duration::from_secs(2);

fn send(sink: &Sink, record: Record) {
    if let Err(e) = sink.send(&record) {
        tracing::error!(error = %e, "could not write a journal record");
    }
}

impl Service {
    fn start(opts: &Options, sink: Sink) -> Result<Service> {
        let loaded = load_or_strict(&opts.policy);
        if let Some(why) = &loaded.fallback {
            send(
                &sink,
                records::policy_rejected(why, "enforcing the built-in strict policy"),
            );
        }
        for w in &loaded.warnings {
            tracing::warn!("policy: {w}");
        }
        let policy = loaded.policy;

        let scope = match &opts.scope_cgroup {
            Some(path) => Scope::at(path.clone()),
            None => Scope::machine(),
        }
        .context("opening the enforcement scope")?;
        crate::bpffs::ensure_mounted().context("mounting bpffs")?;
        std::fs::create_dir_all(&opts.pin_dir)
            .with_context(|| format!("creating {}", opts.pin_dir.display()))?;

        // --- tampering while no daemon ran (issue 14): before adoption puts everything back ---
        let down = crate::tamper::while_down(&opts.pin_dir, &opts.record);
        for t in &down {
            send(&sink, t.record());
        }
        let mut enforcer = Enforcer::load_pinned(&opts.pin_dir)?;
        let facts = Facts::read().context("reading /proc/self/mountinfo and /proc/devices")?;
        let plan = Plan::new(&policy, &facts).context("planning device rules")?;
        // --- isolated LAN (issue 9): the LAN tries before the mode that uses them ---
        let mut lan = crate::network::lan::LanGuard::default();
        for r in lan.apply(&mut enforcer, &plan)? {
            send(&sink, r);
        }
        enforcer.configure(&scope, plan.net_mode)?;
        apply_rules(&mut enforcer, None, &plan)?;
        enforcer.enforce_network(&scope)?;
        enforcer.enforce_devices(&scope)?;
        if !scope.is_machine() {
            enforcer.set_layer(
                Layer::Wire,
                LayerState::Unavailable(
                    "interface programs are only used with a whole-machine scope".into(),
                ),
            );
        }
        // --- copy register and exec refusal on removable media (issue 8) ---
        let media_files = crate::register::MediaFiles::new(
            &mut enforcer,
            crate::register::Setup {
                register: opts.register.clone(),
                journal_socket: opts.journal_socket.clone(),
                pin_dir: opts.pin_dir.clone(),
                machine: scope.is_machine(),
                scope_cgroup: (!scope.is_machine()).then(|| scope.path().to_path_buf()),
                mountinfo: crate::paths::MOUNTINFO.into(),
            },
        );
        let events = EventStream::new(enforcer.take_events().context("event ring buffer")?)?;

        let mode = if scope.is_machine() {
            "enforcing".to_string()
        } else {
            format!("scoped:{}", scope.path().display())
        };
        let guard = crate::tamper::Guard::new(
            opts.record.clone(),
            crate::pinned::record::Record {
                pin_dir: opts.pin_dir.display().to_string(),
                daemon: Some(crate::pinned::record::DaemonRecord::this_process(
                    crate::pinned::record::now_us(),
                )),
                tampering: down.iter().map(|t| t.to_record()).collect(),
                ..Default::default()
            },
        );
        let mut state = State::new(mode, policy.logging.recent_violations);
        state.policy = policy_info(&policy, loaded.fallback.as_deref());
        // --- history across restarts (issue 15) ---
        let stored = history::load(&opts.history);
        state.restore_violations(
            stored
                .violations
                .into_iter()
                .filter_map(history::StoredViolation::restore)
                .collect(),
            stored.next_seq,
        );
        let last_present: Vec<DeviceRecord> = stored.present.into_iter().map(Into::into).collect();
        let mut media = media::Media::default();
        media.at_start = Some(last_present.clone());
        let interval = policy.logging.storm_interval;
        let mut service = Service {
            opts: opts.clone(),
            sink,
            scope,
            enforcer,
            events,
            plan,
            state: state.shared(),
            storm: Aggregator::new(interval),
            lost_seen: Vec::new(),
            policy,
            media,
            uevents: Some(UeventSocket::open().context("subscribing to kernel uevents")?),
            usb_devices: Vec::new(),
            covered: Default::default(),
            usb_grants: Default::default(),
            dbus: None,
            lan,
            media_files,
            present: last_present,
            departed: stored.departed.into_iter().map(Into::into).collect(),
            history_dirty: false,
            history_saved: Instant::now(),
            guard,
        };
        send(&service.sink, records::policy_loaded(&service.policy));
        let usb_state = if service.scope.is_machine() {
            let (state, devices, grants) = usb::startup(&service.sink, &service.policy);
            service.usb_devices = devices;
            for g in grants {
                service.apply_usb_grants(g);
            }
            state
        } else {
            LayerState::Unavailable(
                "USB authorization is machine-wide: only with a whole-machine scope".into(),
            )
        };
        service
            .enforcer
            .set_layer(Layer::UsbAuthorization, usb_state);
        if service.scope.is_machine() {
            capture::block_radios(&service.sink, &service.policy);
        }
        service.publish_layers(true);
        service.rescan_media();
        // Present media answer (or are refused as not answering) before READY=1.
        let mut cx = media::Ctx {
            enforcer: &mut service.enforcer,
            sink: &service.sink,
            policy: &service.policy,
            plan: &service.plan,
        };
        service.media.settle(&mut cx);
        service.media.at_start = None;
        service.sync_media_files();
        // Devices present when the daemon last stopped and not there now left meanwhile.
        service.publish_devices_at(true);
        service.save_history();
        // --- copy register and exec refusal (issue 8): the LSM layer once its device map is
        // filled by the rescan, then the media mounts ---
        for (layer, state) in service.media_files.attach(&mut service.enforcer) {
            send(&service.sink, records::layer(layer, &state, false));
        }
        service.publish_layers(false);
        service.guard_tick(); // issue 14: the first enforcement record
        Ok(service)
    }

    /// Judge every block device present (media plugged in before start, or after a reload).
    fn rescan_media(&mut self) {
        let mut cx = media::Ctx {
            enforcer: &mut self.enforcer,
            sink: &self.sink,
            policy: &self.policy,
            plan: &self.plan,
        };
        self.media.rescan(&mut cx);
        self.sync_media_files(); // issue 8
        self.publish_devices();
    }

    /// A medium's probe answered (issue 15: probes never run on the loop).
    fn on_probe(&mut self, r: crate::devices::prober::ProbeResult) {
        let mut cx = media::Ctx {
            enforcer: &mut self.enforcer,
            sink: &self.sink,
            policy: &self.policy,
            plan: &self.plan,
        };
        self.media.on_probe(&mut cx, r);
        self.sync_media_files();
        self.publish_devices();
    }

    fn on_uevent(&mut self, ev: &Uevent) {
        if self.scope.is_machine() {
            if let Some((record, grants)) = usb::on_uevent(&self.sink, &self.policy, ev) {
                self.usb_devices.retain(|d| d.node != record.node);
                self.usb_devices.push(record);
                self.apply_usb_grants(grants);
            }
            // An unplugged USB device is no longer listed (its notice closes, issue 18).
            if ev.get("SUBSYSTEM") == Some("usb")
                && ev.get("DEVTYPE") == Some("usb_device")
                && ev.action() == "remove"
            {
                if let Some(name) = ev.get("DEVNAME") {
                    let node = format!("/dev/{}", name.trim_start_matches("/dev/"));
                    self.usb_devices.retain(|d| d.node != node);
                }
            }
            if let Some(grants) = usb::regrant(&self.policy, ev) {
                self.apply_usb_grants(grants);
            }
            // A USB bus that appears later (a docked or late-loaded controller) starts with
            // authorized_default 1: close it and judge what is already on it, as at start-up.
            if usb::is_new_bus(ev) {
                let (_, devices, grants) = usb::startup(&self.sink, &self.policy);
                self.usb_devices = devices;
                for g in grants {
                    self.apply_usb_grants(g);
                }
            }
        }
        if capture::concerns(ev) {
            if self.scope.is_machine() && capture::concerns_radios(ev) {
                capture::block_radios(&self.sink, &self.policy);
            }
            self.replan();
        }
        let mut cx = media::Ctx {
            enforcer: &mut self.enforcer,
            sink: &self.sink,
            policy: &self.policy,
            plan: &self.plan,
        };
        self.media.on_uevent(&mut cx, ev);
        self.sync_media_files(); // issue 8
        self.publish_devices();
    }

    // --- copy register and exec refusal (issue 8): media judged, handed to crate::register ---
    fn sync_media_files(&mut self) {
        let judged = self
            .media
            .seen
            .iter()
            .map(|(&dev, record)| crate::register::Judged {
                dev,
                record,
                identity: self.media.identity(dev),
            });
        self.media_files.sync(judged, &self.policy);
        // A reload may have changed `[exec] unprivileged_user_namespaces`.
        if let Some(changed) = self.media_files.take_userns_change() {
            self.enforcer
                .set_layer(crate::bpf::Layer::ExecUserNamespaces, changed);
            self.publish_layers(false);
        }
    }

    /// The machine changed (a capture device appeared or left): plan again for the same policy.
    fn replan(&mut self) {
        let result = Facts::read()
            .map_err(anyhow::Error::from)
            .and_then(|facts| Ok(Plan::new(&self.policy, &facts)?))
            .and_then(|plan| {
                apply_rules(&mut self.enforcer, Some(&self.plan), &plan)?;
                self.plan = plan;
                Ok(())
            });
        if let Err(e) = result {
            // The previous rules stay in force. Say so loudly: a device that just appeared may
            // not have its rule.
            let state = LayerState::Unavailable(format!("re-planning device rules failed: {e:#}"));
            send(&self.sink, records::layer(Layer::Devices, &state, true));
        }
    }

    /// Replace the raw-node rules of one USB device (none: it left or is refused).
    fn apply_usb_grants(&mut self, (path, rules): usb::Grants) {
        for m in self.usb_grants.remove(&path).unwrap_or_default() {
            if let Err(e) = self.enforcer.dev_rules().remove(m) {
                tracing::error!(error = %e, "withdrawing a USB device's raw-node rule");
            }
        }
        let mut granted = Vec::new();
        for (m, access) in rules {
            match self.enforcer.dev_rules().set(m, access) {
                Ok(()) => granted.push(m),
                Err(e) => tracing::error!(error = %e, "granting a USB device's raw node"),
            }
        }
        if !granted.is_empty() {
            self.usb_grants.insert(path, granted);
        }
    }

    fn publish_devices(&mut self) {
        self.publish_devices_at(false)
    }

    /// Publish the devices present and, after them, those that left (history, issue 15).
    fn publish_devices_at(&mut self, start: bool) {
        let mut present = self.usb_devices.clone();
        present.extend(self.media.records());
        present.extend(capture::records(&self.plan));
        let key = |d: &DeviceRecord| (d.kind.clone(), d.node.clone(), d.devnum.clone());
        let now = std::time::SystemTime::now();
        // Until the start-up probes are in, absence proves nothing.
        let judging = self.media.at_start.is_some();
        for gone in self
            .present
            .iter()
            .filter(|d| !judging && !present.iter().any(|p| key(p) == key(d)))
        {
            self.departed
                .push(history::departed_record(gone.clone(), now, start));
        }
        let excess = self.departed.len().saturating_sub(history::DEPARTED_CAP);
        self.departed.drain(..excess);
        if self.present != present || start {
            self.history_dirty = true;
        }
        if !judging {
            self.present = present.clone();
        }
        let mut devices = present;
        devices.extend(self.departed.iter().cloned());
        let old = std::mem::replace(
            &mut self.state.write().expect("state lock").devices,
            devices.clone(),
        );
        let gone: Vec<DeviceRecord> = old
            .iter()
            .filter(|o| !devices.iter().any(|d| d.node == o.node))
            .cloned()
            .collect();
        for d in devices.into_iter().filter(|d| !old.contains(d)) {
            self.signal(move |s| async move { s.device_decision(&d).await });
        }
        // A notifier closes the notice of a device that left (issue 18).
        for d in gone {
            self.signal(move |s| async move { s.device_removed(&d).await });
        }
    }

    fn publish_layers(&self, log: bool) {
        let layers = self.enforcer.layers().to_vec();
        if log {
            for (layer, st) in &layers {
                let required = matches!(layer, Layer::CgroupNetwork | Layer::Devices);
                send(&self.sink, records::layer(*layer, st, required));
            }
        }
        self.state.write().expect("state lock").layers = layers;
    }

    async fn serve(&mut self) -> Result<()> {
        let (if_tx, mut if_rx) = mpsc::channel::<Interface>(64);
        if self.scope.is_machine() {
            watch_interfaces(if_tx)?;
        }
        let (reload_tx, mut reload_rx) = mpsc::channel::<ReloadRequest>(4);
        if let Some(bus) = self.opts.bus.clone() {
            self.dbus = self.serve_dbus(&bus, reload_tx.clone(), false).await;
        }
        // The service starts before dbus.service (it must run before any network): until the
        // bus is there, try again every two seconds.
        let mut dbus_retry = tokio::time::interval(Duration::from_secs(2));
        let (ue_tx, mut ue_rx) = mpsc::channel::<Uevent>(1024);
        watch_uevents(self.uevents.take().context("uevent socket")?, ue_tx)?;
        let adopted = self.enforcer.adopted();
        send(
            &self.sink,
            Record::new(
                MessageId::DaemonStarted,
                format!(
                    "started, {} (adopted {adopted} pinned links)",
                    self.state_mode()
                ),
            ),
        );
        notify::notify(&format!(
            "READY=1\nSTATUS=enforcing ({})",
            self.state_mode()
        ))?;

        let mut probe_rx = self.media.take_results().context("probe results")?;
        let mut mount_rx = self.media_files.mount_changes(); // issue 8
        let mut exec_rx = self.media_files.exec_refusals();
        let mut sigterm = signal(SignalKind::terminate())?;
        let mut sigint = signal(SignalKind::interrupt())?;
        let mut sighup = signal(SignalKind::hangup())?;
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        // Without WATCHDOG_USEC nobody listens: tick rarely and send nothing.
        let watchdog = notify::watchdog_interval();
        let period = watchdog.unwrap_or(Duration::from_secs(3600));
        let mut watchdog_tick =
            tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            tokio::select! {
                batch = self.events.next_batch() => {
                    for v in batch.context("reading events")? {
                        self.offer(v);
                    }
                }
                _ = tick.tick() => self.housekeeping(),
                _ = dbus_retry.tick(), if self.dbus.is_none() && self.opts.bus.is_some() => {
                    let bus = self.opts.bus.clone().expect("checked above");
                    self.dbus = self.serve_dbus(&bus, reload_tx.clone(), true).await;
                }
                _ = watchdog_tick.tick() => {
                    if watchdog.is_some() {
                        let _ = notify::notify("WATCHDOG=1");
                    }
                }
                Some(i) = if_rx.recv() => self.cover_interface(&i),
                Some(ev) = ue_rx.recv() => self.on_uevent(&ev),
                Some(r) = probe_rx.recv() => self.on_probe(r),
                // --- copy register and exec refusal (issue 8): media mounted or unmounted ---
                Some(()) = mount_rx.recv() => self.media_files.on_mounts(),
                Some(v) = exec_rx.recv() => self.keep(v, 0),
                // --- isolated LAN (issue 9): losses of isolation, LAN interfaces changing ---
                found = self.lan.next() => {
                    for r in self.lan.handle(&mut self.enforcer, found) {
                        send(&self.sink, r);
                    }
                }
                _ = sighup.recv() => {
                    if let Ok(info) = self.reload() {
                        self.signal(move |s| async move { s.policy_changed(&info).await });
                    }
                }
                Some(reply) = reload_rx.recv() => {
                    let _ = reply.send(self.reload());
                }
                _ = sigterm.recv() => break,
                _ = sigint.recv() => break,
            }
        }
        for emit in self.storm.drain() {
            self.record(emit);
        }
        self.save_history();
        let _ = notify::notify("STOPPING=1");
        self.guard.stopped(); // issue 14
        send(
            &self.sink,
            Record::new(
                MessageId::DaemonStopped,
                "stopped; the pinned programs keep enforcing, nothing is recorded \
                 until it starts again",
            ),
        );
        Ok(())
    }

    fn state_mode(&self) -> String {
        self.state.read().expect("state lock").mode.clone()
    }

    fn offer(&mut self, v: Violation) {
        for emit in self.storm.offer((v.pid, v.kind), Instant::now(), v) {
            self.record(emit);
        }
    }

    fn record(&mut self, emit: Emit<(u32, Kind), Violation>) {
        let (v, repeats) = match emit {
            Emit::First { event, .. } => (event, 0),
            Emit::Summary {
                suppressed, last, ..
            } => (last, suppressed),
        };
        let sha = self.state.read().expect("state lock").policy.sha256.clone();
        let known = v
            .device
            .filter(|_| v.kind == Kind::DevBlock)
            .and_then(|d| self.media.identity(d));
        send(&self.sink, records::violation(&v, repeats, &sha, known));
        self.keep(v, repeats);
    }

    /// Keep a violation for `airgapctl violations` and announce it on D-Bus (its journal
    /// record is written already).
    fn keep(&mut self, v: Violation, repeats: u64) {
        let seq = self
            .state
            .write()
            .expect("state lock")
            .push_violation(v.clone(), repeats);
        self.history_dirty = true;
        let record = ViolationRecord {
            seq,
            violation: v,
            repeats,
        };
        self.signal(move |s| async move { s.violation(&record).await });
    }

    /// Issue 14: find and repair tampering, and keep the enforcement record current.
    fn guard_tick(&mut self) {
        let found = self.guard.check(&mut self.enforcer);
        for t in &found {
            send(&self.sink, t.record());
        }
        let snapshot = {
            let state = self.state.read().expect("state lock");
            crate::tamper::Snapshot::take(&mut self.enforcer, &self.scope, &state)
        };
        self.guard.publish(snapshot, &found);
    }

    /// Write the history file (issue 15); a failure is said, never fatal.
    fn save_history(&mut self) {
        let stored = {
            let state = self.state.read().expect("state lock");
            history::snapshot(
                &state.violations_after(0, usize::MAX),
                state.next_seq(),
                &self.present,
                &self.departed,
            )
        };
        match history::save(&self.opts.history, &stored) {
            Ok(()) => {
                self.history_dirty = false;
                self.history_saved = Instant::now();
            }
            Err(e) => {
                tracing::error!(path = %self.opts.history.display(), error = %e, "could not write the history file")
            }
        }
    }

    fn housekeeping(&mut self) {
        self.guard_tick(); // issue 14
        if self.history_dirty && self.history_saved.elapsed() >= HISTORY_EVERY {
            self.save_history();
        }
        let mut cx = media::Ctx {
            enforcer: &mut self.enforcer,
            sink: &self.sink,
            policy: &self.policy,
            plan: &self.plan,
        };
        if self.media.deadlines(&mut cx, Instant::now()) {
            self.sync_media_files();
            self.publish_devices();
        }
        for emit in self.storm.flush_due(Instant::now()) {
            self.record(emit);
        }
        let Ok(counts) = self.enforcer.counters().all() else {
            return;
        };
        for (kind, count) in &counts {
            let seen = self
                .lost_seen
                .iter()
                .find(|(k, _)| k == kind)
                .map_or(0, |(_, n)| *n);
            if count.lost > seen {
                send(
                    &self.sink,
                    records::events_lost(*kind, *count, count.lost - seen),
                );
                self.lost_seen.retain(|(k, _)| k != kind);
                self.lost_seen.push((*kind, count.lost));
            }
        }
        self.state.write().expect("state lock").counts = counts;
    }

    fn cover_interface(&mut self, i: &Interface) {
        if i.loopback {
            return;
        }
        let attached = match self.covered.get(&i.index) {
            // Renamed after the attach (eth0 becoming enp1s0): the programs stay; say so under
            // the name the officer will see.
            Some(old) if *old != i.name => {
                Ok(format!("renamed from {old}, programs still attached"))
            }
            Some(_) => return,
            None => self
                .enforcer
                .enforce_interface(&i.name)
                .map(|()| "programs attached".to_string()),
        };
        match attached {
            Ok(what) => {
                self.covered.insert(i.index, i.name.clone());
                let r = Record::new(
                    MessageId::EnforcementState,
                    format!("interface {} (ifindex {}): {what}", i.name, i.index),
                )
                .field(field::LAYER, Layer::Wire.name())
                .field(field::STATE, field::state::ACTIVE)
                .field(field::INTERFACE, &i.name)
                .field(field::IFINDEX, i.index);
                send(&self.sink, r);
            }
            // Renamed (eth0 becoming enp1s0) or gone while we attached: its next link message
            // carries the name to use.
            Err(_) if nix::net::if_::if_nametoindex(i.name.as_str()).ok() != Some(i.index) => {
                tracing::debug!(interface = %i.name, "interface renamed or gone before attaching");
            }
            Err(e) => {
                // Never silent: an interface without its programs is a gap.
                let state = LayerState::Unavailable(format!("{}: {e}", i.name));
                send(&self.sink, records::layer(Layer::Wire, &state, false));
            }
        }
        self.publish_layers(false);
    }

    /// SIGHUP or ReloadPolicy: a valid new policy replaces the old; an invalid one is refused
    /// and the old one stays.
    fn reload(&mut self) -> Result<PolicyInfo, String> {
        match self.try_reload() {
            Ok(policy) => {
                send(&self.sink, records::policy_loaded(&policy));
                Ok(self.state.read().expect("state lock").policy.clone())
            }
            Err(e) => {
                let why = format!("{e:#}");
                send(
                    &self.sink,
                    records::policy_rejected(&why, "the previous policy stays in force"),
                );
                Err(why)
            }
        }
    }

    /// Serve the D-Bus interface. Enforcement never depends on it: a bus that is not there
    /// is reported and the daemon goes on.
    async fn serve_dbus(
        &self,
        bus: &Bus,
        reload_tx: mpsc::Sender<ReloadRequest>,
        retry: bool,
    ) -> Option<Server> {
        let reloader = move || {
            let tx = reload_tx.clone();
            async move {
                let (reply, answer) = oneshot::channel();
                tx.send(reply)
                    .await
                    .map_err(|_| "the daemon is stopping".to_string())?;
                answer
                    .await
                    .map_err(|_| "the daemon is stopping".to_string())?
                    .map_err(Into::into)
            }
        };
        match dbus::serve(bus, self.state.clone(), reloader).await {
            Ok(server) => {
                if retry {
                    tracing::info!("D-Bus interface available now");
                }
                Some(server)
            }
            Err(e) if retry => {
                tracing::debug!(error = %e, "D-Bus still not available");
                None
            }
            Err(e) => {
                tracing::error!(error = %e, "D-Bus interface not available yet; enforcement continues, retrying");
                None
            }
        }
    }

    /// Emit a D-Bus signal without holding up the loop.
    fn signal<F, Fut>(&self, f: F)
    where
        F: FnOnce(Server) -> Fut,
        Fut: std::future::Future<Output = zbus::Result<()>> + Send + 'static,
    {
        if let Some(server) = self.dbus.clone() {
            let fut = f(server);
            tokio::spawn(async move {
                if let Err(e) = fut.await {
                    tracing::warn!(error = %e, "emitting a D-Bus signal");
                }
            });
        }
    }

    fn try_reload(&mut self) -> Result<airgapd_policy::Policy> {
        let checked = airgapd_policy::load(&self.opts.policy)?;
        crate::update::check_reload(&checked.policy, &self.opts.policy)?;
        let facts = Facts::read()?;
        let plan = Plan::new(&checked.policy, &facts)?;
        apply_rules(&mut self.enforcer, Some(&self.plan), &plan)?;
        // --- isolated LAN (issue 9) ---
        for r in self.lan.apply(&mut self.enforcer, &plan)? {
            send(&self.sink, r);
        }
        self.enforcer.configure(&self.scope, plan.net_mode)?;
        self.plan = plan;
        self.state.write().expect("state lock").policy = policy_info(&checked.policy, None);
        self.policy = checked.policy.clone();
        self.rescan_media();
        Ok(checked.policy)
    }
}

/// Bring the rule map to `new`: first withdraw what `old` (or, when adopting, whatever the map
/// holds) grants beyond it, then add; never more open than either.
fn apply_rules(enforcer: &mut Enforcer, old: Option<&Plan>, new: &Plan) -> Result<()> {
    let stale: Vec<_> = match old {
        Some(old) => new.stale_in(old).map(|r| r.matches).collect(),
        None => enforcer
            .dev_rules()
            .matches()
            .into_iter()
            .filter(|m| !new.rules.contains_key(m))
            .collect(),
    };
    for m in stale {
        enforcer.dev_rules().remove(m)?;
    }
    for rule in new.rules.values() {
        enforcer.dev_rules().set(rule.matches, rule.access)?;
    }
    Ok(())
}

/// Kernel uevents, from a thread of its own. The socket was subscribed before the first scan,
/// so no arrival is missed (a device seen twice is judged twice, harmlessly).
fn watch_uevents(socket: UeventSocket, tx: mpsc::Sender<Uevent>) -> Result<()> {
    std::thread::Builder::new()
        .name("airgapd-uevents".into())
        .spawn(move || loop {
            match socket.recv() {
                Ok(ev) => {
                    if tx.blocking_send(ev).is_err() {
                        return;
                    }
                }
                // Overrun: nothing is granted by a lost event (default deny holds), but a lost
                // removal would leave a grant behind: rescan everything.
                Err(e) if e.raw_os_error() != Some(libc::ENOBUFS) => {
                    tracing::error!(error = %e, "reading kernel uevents");
                    std::thread::sleep(Duration::from_secs(1));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "kernel uevents lost: rescanning block devices");
                    let vars = [("ACTION".to_string(), media::RESCAN.to_string())].into();
                    if tx.blocking_send(Uevent { vars }).is_err() {
                        return;
                    }
                }
            }
        })?;
    Ok(())
}

/// Every non-loopback interface now and later, from a thread of its own (rtnetlink blocks).
fn watch_interfaces(tx: mpsc::Sender<Interface>) -> Result<()> {
    let mut watcher = LinkWatcher::open().context("opening rtnetlink")?;
    let now = watcher.list().context("listing interfaces")?;
    std::thread::Builder::new()
        .name("airgapd-links".into())
        .spawn(move || {
            for i in now {
                let _ = tx.blocking_send(i);
            }
            while let Ok(links) = watcher.wait() {
                for i in links {
                    if tx.blocking_send(i).is_err() {
                        return;
                    }
                }
            }
        })?;
    Ok(())
}
