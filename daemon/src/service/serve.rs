//! The loop: events, devices, interfaces, reloads and signals until SIGTERM; D-Bus beside it.

use super::*;

/// Uevents handled in one turn of the loop at most (the rest wait for the next turn, so a
/// flood cannot hold back signals, reloads or refusals either).
const UEVENT_BATCH: usize = 256;

impl Service {
    pub(super) async fn serve(&mut self) -> Result<()> {
        // Handlers first: READY and the record's start line go out below, and a SIGTERM that
        // came before the handlers (`systemctl stop` right after start) killed the daemon
        // without its stop line, as a crash would (found by machine_record's test: a second stop line missing once).
        let mut sigterm = signal(SignalKind::terminate())?;
        let mut sigint = signal(SignalKind::interrupt())?;
        let mut sighup = signal(SignalKind::hangup())?;
        let (if_tx, mut if_rx) = mpsc::channel::<interfaces::LinkEvent>(64);
        if self.scope.is_machine() || self.opts.cover_interfaces {
            // Issue 23: the interfaces there now are covered before READY.
            for i in watch_interfaces(if_tx, self.covered.clone())? {
                self.cover_interface(&i, None);
            }
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
        // Every program of the start is loaded: the parsed kernel BTF is not needed any more.
        crate::kernel_btf::release();
        // And the pages of code only the start ran (issue 23: RSS in steady state).
        match crate::memory::release_start_pages() {
            Ok(bytes) => tracing::debug!(bytes, "start's pages released"),
            Err(e) => tracing::warn!("releasing the start's pages: {e}"),
        }
        notify::notify(&format!(
            "READY=1\nSTATUS=enforcing ({})",
            self.state_mode()
        ))?;
        // --- the machine record (issue 19): this boot is covered from now on ---
        let info = self.state.read().expect("state lock").policy.clone();
        self.machine.send(crate::machine_record::Entry {
            ready_after_boot_ms: crate::machine_record::since_boot_ms(),
            mode: Some(self.state_mode()),
            ..crate::machine_record::Entry::now("start").with_policy(&info, &self.opts.policy)
        });

        let mut probe_rx = self.media.take_results().context("probe results")?;
        let mut mount_rx = self.media_files.mount_changes(); // issue 8
        let mut exec_rx = self.media_files.exec_refusals();
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        // Housekeeping that ran late is not made up in a burst: every missed tick would be
        // ready at once and take turns with the work that made it late (see UEVENT_BATCH).
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
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
                Some(e) = if_rx.recv() => self.cover_interface(&e.iface, e.held),
                Some(ev) = ue_rx.recv() => {
                    self.on_uevent(&ev);
                    // A burst (a flood, or what the socket held when uevents were lost) is
                    // worked through in one turn, not one uevent per turn between every other
                    // branch: with one per turn, a stick plugged in after a flood of 4000
                    // waited half a minute in the guest.
                    for _ in 1..UEVENT_BATCH {
                        let Ok(ev) = ue_rx.try_recv() else { break };
                        self.on_uevent(&ev);
                    }
                }
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
        if let Ok(counts) = self.enforcer.counters().all() {
            self.sweep_folds(&counts); // issue 23: the last counts the kernel folded
        }
        for emit in self.storm.drain() {
            self.record(emit);
        }
        self.save_history();
        let _ = notify::notify("STOPPING=1");
        self.guard.stopped(); // issue 14
        if let Some(summary) = self.day.flush() {
            self.machine.send(summary);
        }
        self.machine.send(crate::machine_record::Entry::now("stop"));
        self.machine.finish(); // issue 19: on disk before the stop is announced
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

    pub(super) fn state_mode(&self) -> String {
        self.state.read().expect("state lock").mode.clone()
    }

    /// Serve the D-Bus interface. Enforcement never depends on it: a bus that is not there
    /// is reported and the daemon goes on.
    pub(super) async fn serve_dbus(
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
    pub(super) fn signal<F, Fut>(&self, f: F)
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
}
