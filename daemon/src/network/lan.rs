//! The isolated-LAN part of the service and of `airgapd run`: the LAN tries kept resolved
//! against the interfaces, and the isolation watcher (isolated-lan profile only).

use std::io;
use std::path::PathBuf;

use super::isolation::Finding;
use super::log_host::{CgroupWatch, LogHostPlan};
use super::watcher::Watcher;
use crate::bpf::{EnforceError, Enforcer};
use crate::journal::{field, MessageId, Priority, Record};
use crate::maps::LanEntries;
use crate::plan::{LanPlan, Plan};
use crate::scope::Scope;

/// The isolated-LAN part of the service and of `airgapd run`: the LAN tries, kept resolved
/// against the interfaces, and the watcher (isolated-lan profile only).
#[derive(Default)]
pub struct LanGuard {
    lans: Vec<LanPlan>,
    log_host: Option<LogHostPlan>,
    /// The enforcement scope's cgroup directory: the log host's cgroup is relative to it.
    scope_dir: PathBuf,
    watcher: Option<Watcher>,
    /// Follows the upload cgroup (made anew at each start of the service).
    upload: Option<CgroupWatch>,
}

impl LanGuard {
    /// Put `plan`'s LANs in force: watch (only in the isolated-lan profile), resolve each LAN
    /// interface, write the LAN tries. Call before [`Enforcer::configure`]. Returns records of
    /// the losses of isolation present now (none when the LANs did not change: those were
    /// reported already).
    pub fn apply(
        &mut self,
        enforcer: &mut Enforcer,
        plan: &Plan,
        scope: &Scope,
    ) -> Result<Vec<Record>, EnforceError> {
        let mut records = Vec::new();
        if plan.lans.is_empty() {
            self.watcher = None;
        } else if self.watcher.is_none() || self.lans != plan.lans {
            let mut watcher =
                Watcher::open(&plan.lans).map_err(|source| EnforceError::Interfaces { source })?;
            for f in std::mem::take(&mut watcher.pending) {
                if let Finding::Lost(loss) = f {
                    records.push(loss.record());
                }
            }
            self.watcher = Some(watcher);
        }
        self.lans = plan.lans.clone();
        self.scope_dir = scope.path().to_path_buf();
        if self.upload.is_none() || self.log_host != plan.log_host {
            self.upload = None;
            if let (Some(host), Some(_)) = (&plan.log_host, &self.watcher) {
                let target = host.cgroup_dir(&self.scope_dir);
                match CgroupWatch::new(&self.scope_dir, target) {
                    Ok(w) => self.upload = Some(w),
                    Err(e) => records.push(
                        Record::new(
                            MessageId::EnforcementState,
                            format!(
                                "the log host's upload cgroup is not watched (inotify: {e}); \
                                 a restarted upload service stays refused until a reload"
                            ),
                        )
                        .priority(Priority::Warning)
                        .field(field::LAYER, "log-host")
                        .field(field::STATE, field::state::LIMITED),
                    ),
                }
            }
        }
        self.log_host = plan.log_host.clone();
        enforcer.set_lan(&self.entries())?;
        records.extend(self.absent());
        Ok(records)
    }

    fn entries(&self) -> LanEntries {
        let Some(w) = &self.watcher else {
            return LanEntries::default();
        };
        let mut entries = w.state().lan_entries();
        if let Some(host) = &self.log_host {
            let cgroup_id = host.cgroup_id(&self.scope_dir);
            host.add_to(
                &mut entries,
                &self.lans,
                |mac| w.state().ifindex_of(mac),
                cgroup_id,
            );
        }
        entries
    }

    /// A warning for each LAN whose interface is not there: its traffic is refused. Likewise
    /// for the log host's cgroup: the upload is refused until the service runs.
    fn absent(&self) -> Vec<Record> {
        let Some(w) = &self.watcher else {
            return Vec::new();
        };
        let upload = self
            .log_host
            .as_ref()
            .filter(|h| h.cgroup_id(&self.scope_dir) == 0)
            .map(|h| {
                Record::new(
                    MessageId::EnforcementState,
                    format!(
                        "log host {}:{}: the upload service's cgroup {} does not exist (yet); \
                         nothing may reach the log host until it does",
                        h.address,
                        h.port,
                        h.cgroup_dir(&self.scope_dir).display()
                    ),
                )
                .priority(Priority::Warning)
                .field(field::LAYER, "log-host")
                .field(field::STATE, field::state::INACTIVE)
            });
        self.lans
            .iter()
            .filter(|l| w.state().ifindex_of(&l.interface_mac).is_none())
            .map(|l| {
                Record::new(
                    MessageId::EnforcementState,
                    format!(
                        "LAN \"{}\": no single interface has MAC address {}; the LAN's traffic \
                         is refused until it is there",
                        l.name, l.interface_mac
                    ),
                )
                .priority(Priority::Warning)
                .field(field::LAYER, "isolated-lan")
                .field(field::STATE, field::state::INACTIVE)
            })
            .chain(upload)
            .collect()
    }

    /// The next findings of the watcher; never completes without one.
    pub async fn next(&mut self) -> io::Result<Vec<Finding>> {
        let Some(w) = &mut self.watcher else {
            return std::future::pending().await;
        };
        let Some(upload) = &mut self.upload else {
            return w.next().await;
        };
        tokio::select! {
            found = w.next() => found,
            changed = upload.changed() => {
                if let Err(e) = changed {
                    // Resolved once more below; after that only reloads and interface changes.
                    tracing::warn!(error = %e, "watching the upload cgroup failed");
                    self.upload = None;
                }
                Ok(vec![Finding::UploadCgroup])
            }
        }
    }

    /// Act on findings: rewrite the LAN tries when interfaces changed; the records to send.
    /// A broken watcher is dropped and reported (isolation is then no longer watched; the
    /// kernel programs keep enforcing).
    pub fn handle(
        &mut self,
        enforcer: &mut Enforcer,
        found: io::Result<Vec<Finding>>,
    ) -> Vec<Record> {
        let found = match found {
            Ok(found) => found,
            Err(e) => {
                self.watcher = None;
                return vec![Record::new(
                    MessageId::EnforcementState,
                    format!("the isolated LAN is no longer watched (rtnetlink: {e})"),
                )
                .priority(Priority::Critical)
                .field(field::LAYER, "isolated-lan-watch")
                .field(field::STATE, field::state::UNAVAILABLE)];
            }
        };
        let mut records = Vec::new();
        let (mut remap, mut interfaces) = (false, false);
        for f in found {
            match f {
                Finding::Lost(loss) => records.push(loss.record()),
                Finding::Interfaces => (remap, interfaces) = (true, true),
                // The upload service stopping and starting (it restarts on failure while the
                // log host is down) is routine: rewritten, not journaled each time.
                Finding::UploadCgroup => remap = true,
            }
        }
        if remap {
            match enforcer.set_lan(&self.entries()) {
                Ok(()) => {
                    tracing::info!(entries = ?self.entries(), "LAN maps resolved again");
                    if interfaces {
                        records.extend(self.absent());
                    }
                }
                Err(e) => records.push(
                    Record::new(
                        MessageId::EnforcementState,
                        format!("rewriting the LAN maps after a change failed: {e}"),
                    )
                    .priority(Priority::Critical)
                    .field(field::LAYER, "isolated-lan")
                    .field(field::STATE, field::state::UNAVAILABLE),
                ),
            }
        }
        records
    }
}
