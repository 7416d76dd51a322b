//! The whole disk of a partitioned medium (issue 17). A stick's filesystem usually lives on a
//! partition (`sdb1`), and the `[[media]]` entry names that filesystem; the disk itself (`sdb`:
//! the partition table) is not a filesystem and matches no entry. Yet everything that uses a
//! partition reads its disk: udev's worker takes a shared lock on the whole disk before it
//! handles any event of a partition (and gives up on the event when the disk cannot be opened:
//! no filesystem properties, no /dev/disk/by-label link, nothing for udisks), and blkid, udisks
//! and fdisk read the partition table. Refusing those reads journaled the system's own probing
//! of approved media as violations.
//!
//! So the disk of a partitioned medium is judged by its partitions: once every partition on it
//! is granted (and only then: a disk also holding a partition that is not approved stays
//! refused, since reading the disk reads that partition too), the disk is granted reading,
//! never writing (the partition table cannot be changed through it), recorded as an
//! authorization naming the entries it serves. Its own refusal is held until its partitions
//! have been judged, so an approved stick's disk is never recorded as refused on the way. A
//! disk approved in its own right keeps its own grant.
//!
//! Once a medium can be read, udev is asked to handle it again (an "add" uevent, as at boot):
//! the probe it made on arrival was refused, and udisks, the desktop's automount and
//! /dev/disk/by-* links come from what udev learns.

use std::path::Path;

use crate::devices::arrival::Judgement;
use crate::devices::block::BlockDevice;
use crate::devices::reason::ReasonRef;
use crate::journal::{field, AuditRecord, MessageId, Record};
use crate::maps::{DevAccess, DevMatch, DevType};
use crate::state::DeviceRecord;

use super::super::records::identity_fields;
use super::{covered, device_record, Ctx, Dev, Media};

/// A whole disk granted reading for its granted partitions.
#[derive(Debug)]
pub(super) struct DiskGrant {
    diskseq: Option<u64>,
    /// When it was granted, on `CLOCK_BOOTTIME` (ns), the clock of the kernel's refusals.
    at: u64,
    /// The partitions it serves (all there were when it was granted).
    parts: Vec<Dev>,
}

/// A partitioned disk's own refusal, held until its partitions are judged.
#[derive(Debug)]
pub(super) struct HeldRefusal {
    judged: Judgement,
    diskseq: Option<u64>,
}

impl Media {
    /// Whether `block` is a whole disk with partitions that its own identity refuses: then its
    /// decision follows its partitions' ([`Media::settle_disk`]). Every whole disk's own
    /// refusal is kept for that.
    pub(super) fn hold_disk_refusal(
        &mut self,
        cx: &mut Ctx,
        block: &BlockDevice,
        judged: &Judgement,
        diskseq: Option<u64>,
    ) -> bool {
        if block.partition.is_some()
            || !matches!(
                judged.verdict,
                crate::devices::arrival::Verdict::Refused { .. }
            )
        {
            return false;
        }
        // Kept even for a disk without partitions yet: partitions added later (`BLKPG`, a
        // table re-read) decide it again.
        self.held.insert(
            block.dev,
            HeldRefusal {
                judged: judged.clone(),
                diskseq,
            },
        );
        if block.partitions().unwrap_or_default().is_empty() {
            return false;
        }
        // Who it is, for the records of refused reads meanwhile.
        self.identities.insert(block.dev, judged.identity.clone());
        // Granted in its own right before (a reload): that grant ends as any would.
        if self.granted.contains_key(&block.dev) {
            self.revoke(cx, block.dev, "no longer approved in its own right");
        }
        self.settle_disk(cx, block);
        true
    }

    /// Decide a partitioned disk refused by its own identity, once none of its partitions is
    /// being probed: reading when all are granted, its own refusal recorded otherwise.
    pub(super) fn settle_disk(&mut self, cx: &mut Ctx, disk: &BlockDevice) {
        if !self.held.contains_key(&disk.dev) || covered(cx.plan, disk.dev) {
            return;
        }
        let sysfs = Path::new("/sys");
        let parts: Vec<BlockDevice> = disk
            .partitions()
            .unwrap_or_default()
            .iter()
            .filter_map(|name| BlockDevice::from_sysfs(sysfs, name).ok())
            .collect();
        // A partition whose uevent has not been handled yet: judge it now.
        for p in &parts {
            if !self.seen.contains_key(&p.dev) && !self.pending.contains_key(&p.dev) {
                self.examine(cx, p.dev);
            }
        }
        let waiting = parts.iter().any(|p| {
            self.pending
                .get(&p.dev)
                .is_some_and(|pending| !pending.timed_out)
        });
        let Some((judged, diskseq)) = self
            .held
            .get(&disk.dev)
            .map(|h| (h.judged.clone(), h.diskseq))
        else {
            return; // decided meanwhile (a nested call)
        };
        if waiting {
            return;
        }
        if parts.is_empty() {
            return; // its own refusal stands (recorded when it was made)
        }
        let devs: Vec<Dev> = parts.iter().map(|p| p.dev).collect();
        let all_granted = devs.iter().all(|d| self.granted.contains_key(d));
        if all_granted {
            if self
                .disks
                .get(&disk.dev)
                .is_some_and(|g| g.diskseq == diskseq && g.parts == devs)
            {
                return; // granted already, for these partitions
            }
            return self.grant_disk(cx, disk, &judged, diskseq, devs);
        }
        self.withdraw_disk(cx, disk.dev, "a partition on it is not granted");
        self.record_own(cx, disk, judged, (disk.dev, diskseq));
    }

    fn grant_disk(
        &mut self,
        cx: &mut Ctx,
        disk: &BlockDevice,
        judged: &Judgement,
        diskseq: Option<u64>,
        parts: Vec<Dev>,
    ) {
        let mut rules: Vec<&str> = parts
            .iter()
            .filter_map(|d| self.granted.get(d).map(|g| g.record.rule.as_str()))
            .collect();
        rules.dedup();
        let names: Vec<String> = parts
            .iter()
            .filter_map(|d| self.seen.get(d).map(|r| r.node.clone()))
            .collect();
        let rule = rules.join(", ");
        let own = device_record(judged, disk.dev);
        let record = DeviceRecord {
            decision: "read-only".into(),
            rule: rule.clone(),
            reason: format!(
                "whole disk of approved medium \"{rule}\" ({}): read only (partition table)",
                names.join(", ")
            ),
            reason_ref: ReasonRef::new("block-whole-disk")
                .arg("name", &rule)
                .arg("partitions", names.join(", "))
                .encode(),
            ..own
        };
        let text = format!(
            "{} authorized (read-only): the whole disk of approved medium \"{rule}\" ({}), \
             so that its partition table can be read; never written",
            record.node,
            names.join(", ")
        );
        let mut audit = AuditRecord::begin(
            cx.sink,
            identity_fields(
                Record::new(MessageId::DeviceArrival, text)
                    .field(field::ACTION, field::action::AUTHORIZE)
                    .field(field::SEEN, self.seen_as(&record).0)
                    .field(field::DEVICE, &record.devnum)
                    .field(field::RULE, &rule)
                    .field(field::POLICY_SHA256, cx.policy.sha256()),
                &judged.identity,
            ),
        );
        audit.field(field::ACCESS, "read");
        let m = DevMatch::device(DevType::Block, disk.dev.0, disk.dev.1);
        match cx.enforcer.dev_rules().set(m, DevAccess::READ) {
            Ok(()) => {
                let _ = audit.success();
                self.disks.insert(
                    disk.dev,
                    DiskGrant {
                        diskseq,
                        at: crate::violation::BootClock::boot_ns(),
                        parts,
                    },
                );
                self.seen.insert(disk.dev, record);
                self.announce(cx, disk);
            }
            Err(e) => {
                audit.field(field::STATE, e);
                let _ = audit.failure();
            }
        }
    }

    /// End the reading grant of whole disk `disk`, if it has one (rule first, then the record).
    pub(super) fn withdraw_disk(&mut self, cx: &mut Ctx, disk: Dev, why: &str) {
        let Some(_grant) = self.disks.remove(&disk) else {
            return;
        };
        let m = DevMatch::device(DevType::Block, disk.0, disk.1);
        if let Err(e) = cx.enforcer.dev_rules().remove(m) {
            tracing::error!(error = %e, "could not withdraw a whole disk's reading grant");
        }
        let record = self.seen.remove(&disk);
        let (node, rule) = record
            .map(|r| (r.node, r.rule))
            .unwrap_or_else(|| (format!("{}:{}", disk.0, disk.1), String::new()));
        let r = Record::new(
            MessageId::DeviceDeparture,
            format!("{node} (whole disk of {rule}) {why}: access withdrawn"),
        )
        .field(field::DEVICE, format!("{}:{}", disk.0, disk.1))
        .field(field::DEV_NODE, &node)
        .field(field::RULE, &rule);
        let _ = cx.sink.send(&r);
    }

    /// The grant of `devnum` ended: the disk reading grant that served it ends too.
    pub(super) fn withdraw_disks_serving(&mut self, cx: &mut Ctx, devnum: Dev, why: &str) {
        let disks: Vec<Dev> = self
            .disks
            .iter()
            .filter(|(_, g)| g.parts.contains(&devnum))
            .map(|(d, _)| *d)
            .collect();
        for d in disks {
            self.withdraw_disk(cx, d, &format!("its partition {why}"));
        }
    }

    /// A disk left or changed medium: its held refusal and reading grant go with it.
    pub(super) fn forget_disk(&mut self, cx: &mut Ctx, disk: Dev, why: &str) {
        self.held.remove(&disk);
        self.withdraw_disk(cx, disk, why);
    }

    /// The disk reading grant's medium instance, if the disk has one.
    pub(super) fn disk_grant_diskseq(&self, disk: Dev) -> Option<Option<u64>> {
        self.disks.get(&disk).map(|g| g.diskseq)
    }

    /// When the whole disk `disk` was granted reading, if it is.
    pub(super) fn disk_granted_at(&self, disk: Dev) -> Option<u64> {
        self.disks.get(&disk).map(|g| g.at)
    }

    /// Whether the whole disk of `block` can be read (udev locks it before handling any of
    /// its partitions' events).
    fn disk_readable(&self, cx: &Ctx, block: &BlockDevice) -> Option<BlockDevice> {
        let disk = match block.partition {
            Some(_) => BlockDevice::from_sysfs(Path::new("/sys"), &block.disk).ok()?,
            None => block.clone(),
        };
        (covered(cx.plan, disk.dev)
            || self.granted.contains_key(&disk.dev)
            || self.disks.contains_key(&disk.dev))
        .then_some(disk)
    }

    /// A device was granted: ask udev to handle it again, now that it can read it, so that its
    /// filesystem properties and /dev/disk/by-* links exist and udisks sees it. An "add", as
    /// at boot (`udevadm trigger`): udisks makes a drive object (what `udisksctl status` lists,
    /// and what makes a stick removable rather than a system disk to polkit) only on "add",
    /// never on "change", and the first "add" reached it while udev could not read the disk.
    /// A readable disk brings its granted partitions along; a partition waits for its disk.
    pub(super) fn announce(&self, cx: &Ctx, block: &BlockDevice) {
        let Some(disk) = self.disk_readable(cx, block) else {
            return;
        };
        let mut names = Vec::new();
        if block.partition.is_some() {
            names.push(block.name.clone());
        } else {
            names.push(disk.name.clone());
            let sysfs = Path::new("/sys");
            for p in disk.partitions().unwrap_or_default() {
                if BlockDevice::from_sysfs(sysfs, &p)
                    .is_ok_and(|b| self.granted.contains_key(&b.dev))
                {
                    names.push(p);
                }
            }
        }
        for name in names {
            let path = Path::new("/sys/class/block").join(&name).join("uevent");
            if let Err(e) = std::fs::write(&path, "add") {
                tracing::warn!(device = %name, error = %e, "could not ask udev to look at a granted medium again");
            }
        }
    }
}
