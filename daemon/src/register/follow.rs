//! Following media mounts: when a judged medium is mounted (or remounted, or unmounted), bring
//! the fanotify marks on its filesystem and the noexec attribute of its mounts in line with the
//! policy, and say once per mount what now holds on it.

use std::collections::BTreeSet;
use std::path::Path;

use crate::bpf::Layer;
use crate::noexec::remount::{self, Reached};

use super::catchup::Scan;
use super::jobs::Job;
use super::mounts::{self, MountEntry};
use super::{records, watch, MediaFiles, Medium, Watched};

impl MediaFiles {
    /// Bring marks and mount attributes in line with the media and their mounts now.
    pub(super) fn reconcile(&mut self) {
        // Before the table is read: whatever it shows held from this moment on.
        let now = std::time::SystemTime::now();
        let all = mounts::read(&self.setup.mountinfo).unwrap_or_default();
        let snapshot: Vec<(Medium, Vec<MountEntry>)> = {
            let mut table = self.table.write().expect("media table lock");
            for (dev, t) in table.iter_mut() {
                t.mounts = all.iter().filter(|m| m.is_of(*dev)).cloned().collect();
            }
            table
                .values()
                .map(|t| (t.medium.clone(), t.mounts.clone()))
                .collect()
        };
        let present: BTreeSet<_> = snapshot
            .iter()
            .filter(|(_, m)| !m.is_empty())
            .map(|(medium, _)| medium.dev)
            .collect();
        let left: Vec<_> = self
            .watched
            .keys()
            .filter(|dev| !present.contains(dev))
            .copied()
            .collect();
        for dev in left {
            self.watched.remove(&dev);
            if let Some(watcher) = self.watcher.as_mut() {
                watcher.forget(dev);
            }
        }
        for (medium, mounts) in snapshot.iter().filter(|(_, m)| !m.is_empty()) {
            self.follow(medium, mounts);
        }
        for (medium, mounts) in &snapshot {
            let watched = self.watched.get(&medium.dev).is_some_and(|w| w.register);
            if mounts.is_empty() || watched {
                self.seen.insert(medium.dev, now);
            }
        }
        if !self.lsm_active && matches!(self.host_ns, Some(Ok(()))) {
            self.host_noexec(&snapshot);
        }
    }

    fn report(&mut self, dev: (u32, u32), key: &'static str, record: crate::journal::Record) {
        let w = self.watched.entry(dev).or_default();
        if w.reported.insert(key) {
            let _ = self.sink.send(&record);
        }
    }

    /// One mounted medium: marks on its filesystem, noexec on its mounts, a record per new
    /// mount once everything holds.
    ///
    /// The marks are made again whenever a mount not seen before appears: the medium may have
    /// been unmounted and mounted again in between (a new filesystem instance, whose marks
    /// went with the old one), and marking an instance already marked changes nothing. They
    /// are made through a descriptor of a mount root checked to be of the medium, never
    /// through a path alone.
    fn follow(&mut self, medium: &Medium, mounts: &[MountEntry]) {
        let dev = medium.dev;
        let refuse = !medium.allow_exec;
        let mut w = self.watched.remove(&dev).unwrap_or_default();
        let fresh = mounts.iter().any(|m| !w.mounts.contains(&m.id));
        let mut root = None;
        let mut unreachable = Vec::new();
        for m in mounts {
            match m.open_root(dev) {
                Ok(fd) => {
                    root = Some((fd, m.point.clone()));
                    break;
                }
                Err(e) => unreachable.push(e.to_string()),
            }
        }
        let Some((root, point)) = root else {
            let what = format!(
                "no mount of the medium can be reached to watch it: {}",
                unreachable.join("; ")
            );
            // noexec acts on each mount by its id and says when one is covered: that still
            // holds where no mount root can be opened (a tmpfs over the only mount point).
            if refuse && !self.lsm_active {
                for m in mounts.iter().filter(|m| !m.noexec()) {
                    let new = !w.mounts.contains(&m.id);
                    self.noexec_mount(medium, m, new, &mut w);
                }
            }
            self.watched.insert(dev, w);
            self.report(
                dev,
                "unreachable",
                records::failed(medium, Layer::CopyRegister, what),
            );
            return;
        };
        if medium.approved && (fresh || !w.register) {
            if let Some(watcher) = self.watcher.as_mut() {
                match watcher.watch(dev, &root) {
                    Ok(mode) => {
                        w.register = true;
                        let marked = std::time::SystemTime::now();
                        // Nothing can have been written to a read-only medium between the
                        // mount and the mark (its read-only flag is set before the grant): no
                        // scan, which would only hold its files open for a moment (an unmount
                        // right after reading said "target is busy").
                        let since = self.seen.get(&dev).filter(|_| !medium.read_only);
                        if let (Some(&since), Some(queue)) = (since, &self.queue) {
                            let scan = Job::Scan(Scan { dev, since, marked });
                            if queue.offer(scan).is_err() {
                                tracing::error!(point = %point.display(),
                                    "the register is too busy to look for files written \
                                     between the mount and its watch");
                            }
                        }
                        if mode == watch::Mode::OpenFiles {
                            tracing::info!(point = %point.display(),
                                "this filesystem's handles cannot be decoded: the register \
                                 follows closes only (no renames)");
                        }
                    }
                    Err(e) if w.reported.insert("register") => {
                        w.register = false;
                        let what = format!(
                            "copies to and from {} cannot be recorded: fanotify: {e}",
                            point.display()
                        );
                        let _ = self
                            .sink
                            .send(&records::failed(medium, Layer::CopyRegister, what));
                    }
                    Err(_) => w.register = false,
                }
            }
        }
        if medium.approved && (fresh || !w.paced) {
            if let Some(pace) = &self.pace {
                match pace.mark(&root) {
                    Ok(()) => w.paced = true,
                    Err(e) => {
                        w.paced = false;
                        tracing::error!(error = %e, point = %point.display(),
                            "pacing opens on a medium");
                    }
                }
            }
        }
        if let Some(perm) = &self.perm {
            if refuse && (fresh || !w.exec_marked) {
                match perm.mark(&root) {
                    Ok(()) => w.exec_marked = true,
                    Err(e) if w.reported.insert("exec") => {
                        w.exec_marked = false;
                        let what = format!(
                            "programs on {} are not refused by fanotify: {e}",
                            point.display()
                        );
                        let _ = self
                            .sink
                            .send(&records::failed(medium, Layer::ExecFanotify, what));
                    }
                    Err(_) => w.exec_marked = false,
                }
            } else if !refuse && w.exec_marked && perm.unmark(&root).is_ok() {
                w.exec_marked = false;
            }
        }
        drop(root);
        for m in mounts {
            let new = !w.mounts.contains(&m.id);
            if refuse && !self.lsm_active && !m.noexec() {
                self.noexec_mount(medium, m, new, &mut w);
            }
            if !refuse && w.noexec_by_us.remove(&m.id) {
                if let Err(e) = remount::clear_noexec(&m.point, m.id.into()) {
                    tracing::warn!(error = %e, point = %m.point.display(), "clearing noexec");
                }
            }
            if new {
                let r = self.mounted_record(medium, &m.point, &w);
                let _ = self.sink.send(&r);
            }
        }
        w.mounts = mounts.iter().map(|m| m.id).collect();
        self.watched.insert(dev, w);
    }

    /// noexec on one mount of the daemon's namespace, by its id (never whatever its mount
    /// point leads to now); the records folded per mount.
    fn noexec_mount(&self, medium: &Medium, m: &MountEntry, new: bool, w: &mut Watched) {
        let point = m.point.display();
        let what = match remount::set_noexec(&m.point, m.id.into()) {
            Ok(Reached::Done) => {
                w.noexec_by_us.insert(m.id);
                w.covered.remove(&m.id);
                if new {
                    return;
                }
                format!("noexec was taken off the mount at {point}; the daemon set it again")
            }
            Ok(Reached::Covered { top }) => {
                if !w.covered.insert(m.id) {
                    return;
                }
                format!(
                    "the mount at {point} is not noexec and another mount (id {top}) covers \
                     it: the daemon cannot reach it there; a file on it is opened only once \
                     the daemon has made noexec the mount it is opened through"
                )
            }
            Err(e) => format!("the mount at {point} could not be made noexec: {e}"),
        };
        let r = records::failed(medium, Layer::ExecNoexec, what);
        self.folded.send(format!("mount:{}", m.id), r);
    }

    fn mounted_record(&self, medium: &Medium, point: &Path, w: &Watched) -> crate::journal::Record {
        let mut what = Vec::new();
        if w.register {
            what.push("copies to and from it are recorded in the copy register".to_string());
        }
        if medium.allow_exec {
            what.push("programs on it may run (allow_exec)".to_string());
        } else {
            let mut by = Vec::new();
            if self.lsm_active {
                by.push(Layer::ExecLsm.name());
            }
            if w.exec_marked {
                by.push(Layer::ExecFanotify.name());
            }
            if !w.noexec_by_us.is_empty() || (!self.lsm_active && by.is_empty()) {
                by.push(Layer::ExecNoexec.name());
            }
            what.push(format!("programs on it are refused ({})", by.join(", ")));
        }
        let layer = if w.register {
            Layer::CopyRegister
        } else {
            Layer::ExecFanotify
        };
        records::mounted(medium, point, layer, &what.join("; "))
    }

    /// Media mounted in PID 1's namespace (the daemon runs in one of its own): noexec there.
    fn host_noexec(&mut self, snapshot: &[(Medium, Vec<MountEntry>)]) {
        let Ok(host) = mounts::read(Path::new("/proc/1/mountinfo")) else {
            return;
        };
        for (medium, _) in snapshot.iter().filter(|(m, _)| !m.allow_exec) {
            for m in host.iter().filter(|m| m.is_of(medium.dev) && !m.noexec()) {
                let done = self
                    .watched
                    .get(&medium.dev)
                    .is_some_and(|w| w.host_noexec.contains(&m.id));
                if done {
                    continue;
                }
                let (point, id) = (m.point.clone(), u64::from(m.id));
                let set = remount::in_host_namespace(move || remount::set_noexec(&point, id));
                match set {
                    Ok(Reached::Done) => {
                        self.watched
                            .entry(medium.dev)
                            .or_default()
                            .host_noexec
                            .insert(m.id);
                    }
                    Ok(Reached::Covered { top }) => {
                        let what = format!(
                            "the host's mount at {} is covered by another mount (id {top}) \
                             and was not made noexec",
                            m.point.display()
                        );
                        self.report(
                            medium.dev,
                            "host-noexec",
                            records::failed(medium, Layer::ExecNoexec, what),
                        );
                    }
                    Err(e) => {
                        let what = format!(
                            "the host's mount at {} could not be made noexec: {e}",
                            m.point.display()
                        );
                        self.report(
                            medium.dev,
                            "host-noexec",
                            records::failed(medium, Layer::ExecNoexec, what),
                        );
                    }
                }
            }
        }
    }
}
