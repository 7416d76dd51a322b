//! Read-only media stay read-only (issue 17): the kernel's read-only flag of every block device
//! of a read-only grant, set before the rule, listed for the BPF LSM programs, watched on every
//! tick where those cannot load (a cleared flag set again, a read-write remount undone, both
//! recorded at alert priority), and cleared only when another medium is at the device.

use std::path::Path;

use crate::devices::block::BlockDevice;
use crate::devices::readonly;
use crate::journal::{field, MessageId, Record};

use super::{Ctx, Dev, Grant, Media};

impl Media {
    /// A read-only medium has left its device (another medium instance is there now, with no
    /// rule yet): the flags set for it are cleared, so that a card reader or a loop device
    /// serves the next medium as that medium is. Never for a medium still there.
    pub(super) fn unmark_left(&mut self, left: &Grant) {
        for (dev, name) in &left.read_only {
            let still = self
                .granted
                .values()
                .any(|g| g.read_only.iter().any(|(d, _)| d == dev));
            if still || !self.marked.contains(dev) {
                continue;
            }
            match self.marker.set(*dev, name, false) {
                Ok(()) => {
                    self.marked.remove(dev);
                }
                Err(e) => {
                    tracing::info!(device = %name, error = %e, "read-only flag of a medium that left not cleared")
                }
            }
        }
    }

    /// Mark every block device that reaches a read-only medium's data read-only in the kernel
    /// (`readonly::targets`); the devices marked, or why one could not be.
    /// Each is then listed for the BPF LSM programs (where they load), before its rule.
    pub(super) fn mark_read_only(
        &mut self,
        cx: &mut Ctx,
        block: &BlockDevice,
    ) -> Result<Vec<(Dev, String)>, String> {
        let sysfs = Path::new("/sys");
        let targets = readonly::targets(sysfs, block);
        for (dev, name) in &targets {
            // Already read-only (write-protected, or marked for this grant before a reload):
            // left as it is; the LSM programs would refuse even the daemon's BLKROSET.
            if readonly::is_read_only(sysfs, name) != Some(true) {
                self.marker.set(*dev, name, true).map_err(|e| {
                    format!("refused: /dev/{name} could not be marked read-only in the kernel: {e}")
                })?;
                self.marked.insert(*dev);
            }
            if let Some(map) = cx.enforcer.ro_devices() {
                map.insert(*dev)?;
            }
        }
        Ok(targets)
    }

    /// A medium approved read-write at devices the daemon marked read-only for an earlier
    /// (read-only) medium or grant: clear the flags no read-only grant still needs.
    pub(super) fn unmark_for_read_write(&mut self, block: &BlockDevice) {
        for (dev, name) in readonly::targets(Path::new("/sys"), block) {
            let still = self
                .granted
                .values()
                .any(|g| g.read_only.iter().any(|(d, _)| *d == dev));
            if still || !self.marked.contains(&dev) {
                continue;
            }
            match self.marker.set(dev, &name, false) {
                Ok(()) => {
                    self.marked.remove(&dev);
                }
                Err(e) => {
                    tracing::error!(device = %name, error = %e, "could not clear the read-only flag for a read-write medium")
                }
            }
        }
    }

    /// A partition appearing on a disk granted read-only comes with its flag clear: mark it
    /// before anything else (it is refused until judged, and marked whatever its verdict).
    pub(super) fn mark_new_partition(&mut self, cx: &mut Ctx, block: &BlockDevice) {
        if block.partition.is_none() {
            return;
        }
        let Some(grant) = self
            .granted
            .values_mut()
            .find(|g| !g.read_only.is_empty() && g.read_only[0].1 == block.disk)
        else {
            return;
        };
        if grant.read_only.iter().any(|(d, _)| *d == block.dev) {
            return; // known, and listed for the LSM programs already
        }
        grant.read_only.push((block.dev, block.name.clone()));
        match self.marker.set(block.dev, &block.name, true) {
            Ok(()) => {
                self.marked.insert(block.dev);
                if let Some(map) = cx.enforcer.ro_devices() {
                    if let Err(e) = map.insert(block.dev) {
                        tracing::error!(device = %block.name, error = %e, "read-only partition not listed for the LSM programs");
                    }
                }
            }
            Err(e) => {
                tracing::error!(device = %block.name, error = %e, "could not mark a partition of a read-only medium read-only")
            }
        }
    }

    /// On every tick: the kernel's read-only flag of each device of a read-only grant. Where
    /// BPF LSM cannot refuse clearing it (`BLKROSET 0` as root), a cleared flag is set again
    /// and recorded at alert priority.
    pub fn watch_read_only(&mut self, cx: &mut Ctx) {
        let sysfs = Path::new("/sys");
        let mut cleared = Vec::new();
        for g in self.granted.values() {
            for (dev, name) in &g.read_only {
                if readonly::is_read_only(sysfs, name) == Some(false) {
                    cleared.push((*dev, name.clone(), g.record.rule.clone()));
                }
            }
        }
        for (dev, name, rule) in cleared {
            let repaired = self.marker.set(dev, &name, true);
            let object = format!("read-only flag of /dev/{name} (read-only medium \"{rule}\")");
            let outcome = match &repaired {
                Ok(()) => "airgapd set it again".to_string(),
                Err(e) => format!("airgapd could NOT set it again: {e}"),
            };
            let r = Record::new(
                MessageId::EnforcementTampered,
                format!("{object} was cleared: the medium was writable in the kernel; {outcome}"),
            )
            .field(field::OBJECT, &object)
            .field(field::BEFORE, "read-only")
            .field(field::AFTER, "read-write")
            .field(field::DEVICE, format!("{}:{}", dev.0, dev.1))
            .field(field::DEV_NODE, format!("/dev/{name}"))
            .field(field::RULE, &rule)
            .field(
                field::RESULT,
                if repaired.is_ok() {
                    field::result::SUCCESS
                } else {
                    field::result::FAILURE
                },
            );
            let _ = cx.sink.send(&r);
        }
        self.watch_read_write_mounts(cx);
    }

    /// A read-only medium's filesystem mounted read-write (root cleared the flag and remounted
    /// within one tick): made read-only again, and recorded at alert priority.
    fn watch_read_write_mounts(&mut self, cx: &mut Ctx) {
        let devs: Vec<Dev> = self
            .granted
            .values()
            .flat_map(|g| g.read_only.iter().map(|(d, _)| *d))
            .collect();
        if devs.is_empty() {
            self.rw_unrepaired.clear();
            return;
        }
        let Ok(mountinfo) = std::fs::read_to_string(crate::paths::MOUNTINFO) else {
            return;
        };
        let found = readonly::read_write_mounts(&mountinfo, &devs);
        self.rw_unrepaired
            .retain(|id| found.iter().any(|m| m.id == *id));
        for m in found {
            if self.rw_unrepaired.contains(&m.id) {
                continue;
            }
            let rule = self
                .granted
                .values()
                .find(|g| g.read_only.iter().any(|(d, _)| *d == m.dev))
                .map(|g| g.record.rule.clone())
                .unwrap_or_default();
            let repaired = readonly::remount_read_only(&m);
            let object = format!(
                "filesystem of read-only medium \"{rule}\" mounted at {}",
                m.point
            );
            let outcome = match &repaired {
                Ok(()) => "airgapd made it read-only again".to_string(),
                Err(e) => {
                    self.rw_unrepaired.insert(m.id);
                    format!("airgapd could NOT make it read-only again: {e}")
                }
            };
            let r = Record::new(
                MessageId::EnforcementTampered,
                format!("{object} was made read-write; {outcome}"),
            )
            .field(field::OBJECT, &object)
            .field(field::BEFORE, "read-only")
            .field(field::AFTER, "read-write")
            .field(field::DEVICE, format!("{}:{}", m.dev.0, m.dev.1))
            .field(field::RULE, &rule)
            .field(
                field::RESULT,
                if repaired.is_ok() {
                    field::result::SUCCESS
                } else {
                    field::result::FAILURE
                },
            );
            let _ = cx.sink.send(&r);
        }
    }
}
