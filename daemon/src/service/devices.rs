//! Devices as they come and go: media, USB, capture devices; what the state and D-Bus show of
//! them; kernel uevents, read by a thread of their own.

use super::*;
use std::collections::{HashMap, HashSet};

impl Service {
    /// Judge every block device present (media plugged in before start, or after a reload).
    pub(super) fn rescan_media(&mut self) {
        let mut cx = media::Ctx {
            enforcer: &mut self.enforcer,
            sink: &self.sink,
            policy: &self.policy,
            plan: &self.plan,
        };
        self.media.rescan(&mut cx);
        self.sync_media_files(); // issue 8
        self.publish_devices();
        self.premounted_gone(); // issue 15
    }

    /// A medium's probe answered (issue 15: probes never run on the loop).
    pub(super) fn on_probe(&mut self, r: crate::devices::prober::ProbeResult) {
        let mut cx = media::Ctx {
            enforcer: &mut self.enforcer,
            sink: &self.sink,
            policy: &self.policy,
            plan: &self.plan,
        };
        self.media.on_probe(&mut cx, r);
        self.release_deferred(); // issue 17
        self.sync_media_files();
        self.publish_devices();
        self.premounted_gone(); // issue 15
    }

    pub(super) fn on_uevent(&mut self, ev: &Uevent) {
        if ev.action() == media::RESCAN {
            self.record_lost_uevents(ev);
        }
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
            // Lost uevents (the socket overran): a USB device that arrived or left meanwhile
            // is judged, or forgotten, now.
            if ev.action() == media::RESCAN {
                self.usb_after_lost_events();
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
        // What follows reads the mount table and publishes the device list: worth it only for
        // an event that can change what is judged or shown. Before, every uevent paid for it,
        // and a flood of them (4000 "change" uevents of /dev/null in the desktop scenario)
        // kept the loop busy for minutes: a stick plugged in after it waited that long to be
        // judged (CI, 2026-12-07).
        if !changes_devices(ev) {
            return;
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
        self.premounted_gone(); // issue 15
    }

    // --- copy register and exec refusal (issue 8): media judged, handed to crate::register ---
    pub(super) fn sync_media_files(&mut self) {
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
    pub(super) fn replan(&mut self) {
        let result = self
            .facts()
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

    /// Kernel uevents were dropped (the loss itself is a record: devices that came or went
    /// meanwhile are judged again, see `usb_after_lost_events` and `Media::rescan`).
    fn record_lost_uevents(&mut self, ev: &Uevent) {
        let in_all: Option<u64> = ev.get(LOST_IN_ALL).and_then(|n| n.parse().ok());
        let lost = in_all.map(|n| n.saturating_sub(std::mem::replace(&mut self.uevents_lost, n)));
        send(&self.sink, records::uevents_lost(lost));
    }

    fn usb_after_lost_events(&mut self) {
        let (judged, gone) = usb::after_lost_events(&self.sink, &self.policy, &self.usb_devices);
        self.usb_devices.retain(|d| !gone.contains(&d.node));
        let left: Vec<_> = self
            .usb_grants
            .keys()
            .filter(|path| !path.exists())
            .cloned()
            .collect();
        for path in left {
            self.apply_usb_grants((path, Vec::new()));
        }
        for (record, grants) in judged {
            self.usb_devices.retain(|d| d.node != record.node);
            self.usb_devices.push(record);
            self.apply_usb_grants(grants);
        }
    }

    /// Replace the raw-node rules of one USB device (none: it left or is refused).
    pub(super) fn apply_usb_grants(&mut self, (path, rules): usb::Grants) {
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

    pub(super) fn publish_devices(&mut self) {
        self.publish_devices_at(false)
    }

    /// Publish the devices present and, after them, those that left (history, issue 15).
    /// Linear in the devices listed (up to [`history::DEPARTED_CAP`] departed ones beside
    /// those present): it runs for every uevent that concerns a device.
    pub(super) fn publish_devices_at(&mut self, start: bool) {
        let mut present = self.usb_devices.clone();
        present.extend(self.media.records());
        present.extend(capture::records(&self.plan));
        let key = |d: &DeviceRecord| (d.kind.clone(), d.node.clone(), d.devnum.clone());
        let now = std::time::SystemTime::now();
        // Until the start-up probes are in, absence proves nothing.
        let judging = self.media.at_start.is_some();
        // A device keeps the time it was first seen (across restarts: the history file).
        let now_us = crate::dbus::values::micros(now);
        let since: HashMap<_, u64> = self.present.iter().map(|p| (key(p), p.since_us)).collect();
        for d in &mut present {
            d.since_us = since.get(&key(d)).copied().unwrap_or(0);
            if d.since_us == 0 {
                d.since_us = now_us;
            }
        }
        if !judging {
            let still: HashSet<_> = present.iter().map(key).collect();
            for gone in self.present.iter().filter(|d| !still.contains(&key(d))) {
                self.departed
                    .push(history::departed_record(gone.clone(), now, start));
            }
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
        // Present before, not present now (its departed record has the same node: issue 18,
        // the notice of a refused stick stayed on screen after it was pulled out).
        let present_now: HashSet<&str> = devices
            .iter()
            .filter(|d| d.decision != "departed")
            .map(|d| d.node.as_str())
            .collect();
        let gone: Vec<DeviceRecord> = old
            .iter()
            .filter(|o| o.decision != "departed" && !present_now.contains(o.node.as_str()))
            .cloned()
            .collect();
        let known: HashSet<&DeviceRecord> = old.iter().collect();
        let new: Vec<DeviceRecord> = devices
            .iter()
            .filter(|d| !known.contains(d))
            .cloned()
            .collect();
        for d in new {
            if d.decision != "departed" {
                self.day.device(&d.decision); // issue 19: the day's summary
            }
            self.signal(move |s| async move { s.device_decision(&d).await });
        }
        // A notifier closes the notice of a device that left (issue 18).
        for d in gone {
            self.signal(move |s| async move { s.device_removed(&d).await });
        }
    }

    pub(super) fn publish_layers(&self, log: bool) {
        let layers = self.enforcer.layers().to_vec();
        if log {
            for (layer, st) in &layers {
                let required = matches!(layer, Layer::CgroupNetwork | Layer::Devices);
                send(&self.sink, records::layer(*layer, st, required));
            }
        }
        self.state.write().expect("state lock").layers = layers;
    }
}

/// Whether `ev` can change the media, USB or capture devices judged and listed.
fn changes_devices(ev: &Uevent) -> bool {
    ev.action() == media::RESCAN
        || capture::concerns(ev)
        || match ev.get("SUBSYSTEM") {
            Some("block") => true,
            Some("usb") => ev.get("DEVTYPE") == Some("usb_device"),
            _ => false,
        }
}

/// The RESCAN uevent's count of uevents the kernel dropped since the socket was opened.
const LOST_IN_ALL: &str = "AIRGAPD_UEVENTS_DROPPED";

/// Kernel uevents, from a thread of its own. The socket was subscribed before the first scan,
/// so no arrival is missed (a device seen twice is judged twice, harmlessly).
pub(super) fn watch_uevents(socket: UeventSocket, tx: mpsc::Sender<Uevent>) -> Result<()> {
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
                    tracing::warn!(error = %e, "kernel uevents lost: judging block and USB devices again");
                    // Dropped in all since the socket was opened: the loop records the rise.
                    let dropped = socket.drops().map(|n| n.to_string()).unwrap_or_default();
                    let vars = [
                        ("ACTION".to_string(), media::RESCAN.to_string()),
                        (LOST_IN_ALL.to_string(), dropped),
                    ]
                    .into();
                    if tx.blocking_send(Uevent { vars }).is_err() {
                        return;
                    }
                }
            }
        })?;
    Ok(())
}
