//! Removable media as they come and go: judge each block device the plan does not cover, grant
//! an approved medium its access, record every decision (failing closed), withdraw on removal.
//!
//! The loop never reads a medium itself: removals and changes are handled at once, and each
//! superblock is read by a probe thread (`devices::prober`) with a deadline; a medium that does
//! not answer in time stays refused and is recorded so. A grant belongs to one medium instance
//! (its disk sequence number): a swap at the same major:minor withdraws it before anything else,
//! and a probe of the old medium never vouches for the new one.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use airgapd_policy::Policy;

use crate::bpf::Enforcer;
use crate::devices::arrival::{self, Judgement, Verdict};
use crate::devices::block::{block_device_names, BlockDevice};
use crate::devices::fsprobe::Filesystem;
use crate::devices::identity::DeviceIdentity;
use crate::devices::prober::{ProbeResult, Prober, PROBE_DEADLINE};
use crate::devices::readonly::Marker;
use crate::devices::reason::ReasonRef;
use crate::devices::uevent::Uevent;
use crate::journal::{field, AuditRecord, MessageId, Record, Sink};
use crate::maps::{DevAccess, DevMatch, DevType};
use crate::plan::Plan;
use crate::state::DeviceRecord;

use super::records::identity_fields;

#[path = "media_ro.rs"]
mod read_only;

#[path = "media_disk.rs"]
mod whole_disk;

/// The pseudo-action asking for a full rescan (after the uevent queue overflowed).
pub const RESCAN: &str = "airgapd-rescan";

type Dev = (u32, u32);

/// A grant and the medium instance it was made for.
#[derive(Debug)]
struct Grant {
    record: DeviceRecord,
    diskseq: Option<u64>,
    /// For a read-only grant: the block devices marked read-only in the kernel for it
    /// (`devices::readonly::targets`), watched while the grant lasts.
    read_only: Vec<(Dev, String)>,
    /// When it was made, on `CLOCK_BOOTTIME` (ns), the clock of the kernel's stamps (a step of
    /// the wall clock moves neither): refusals from before are the system probing the medium
    /// while it was being identified.
    at: u64,
}

/// A probe under way.
#[derive(Debug)]
struct Pending {
    ticket: u64,
    since: Instant,
    diskseq: Option<u64>,
    /// Recorded as not answering already.
    timed_out: bool,
    /// Another change came while it ran: probe again once it answers.
    again: bool,
    /// The device as it was read when the probe started.
    block: BlockDevice,
}

/// The enforcement side a decision needs.
pub struct Ctx<'a> {
    /// Writes the device rules.
    pub enforcer: &'a mut Enforcer,
    /// The journal.
    pub sink: &'a Sink,
    /// The policy in force.
    pub policy: &'a Policy,
    /// The device plan (internal disks, classes).
    pub plan: &'a Plan,
}

/// Media currently granted, by device number.
#[derive(Debug, Default)]
pub struct Media {
    granted: BTreeMap<Dev, Grant>,
    /// Every decision, for `airgapctl devices` (newest wins per device).
    pub seen: BTreeMap<Dev, DeviceRecord>,
    /// Who each judged device is, filesystem included (for refusal records).
    identities: BTreeMap<Dev, DeviceIdentity>,
    /// The medium instance (disk sequence number) each latest decision was about.
    instances: BTreeMap<Dev, Option<u64>>,
    pending: BTreeMap<Dev, Pending>,
    prober: Prober,
    /// Refused media found mounted at start, with what was done (issue 15): said in their
    /// entry of `airgapctl devices` until they leave.
    pub premounted: BTreeMap<Dev, String>,
    /// While the daemon starts: the devices present when it last stopped (from the history).
    /// Decisions made meanwhile are recorded as "present at start", not as arrivals.
    pub at_start: Option<Vec<DeviceRecord>>,
    /// Sets the kernel's read-only flag of read-only media.
    marker: Marker,
    /// The block devices whose read-only flag the daemon set. A withdrawal leaves the flag set
    /// (the medium is never writable for a moment); only a medium approved read-write that
    /// arrives at the same device clears it.
    marked: std::collections::BTreeSet<Dev>,
    /// Read-write mounts of read-only media that could not be made read-only (mount ids),
    /// recorded once each.
    rw_unrepaired: std::collections::BTreeSet<u64>,
    /// Whole disks of partitioned media granted reading for their partitions (`whole_disk`).
    disks: BTreeMap<Dev, whole_disk::DiskGrant>,
    /// Partitioned disks refused by their own identity, decided once their partitions are.
    held: BTreeMap<Dev, whole_disk::HeldRefusal>,
}

fn covered(plan: &Plan, (major, minor): Dev) -> bool {
    [
        DevMatch::device(DevType::Block, major, minor),
        DevMatch::major(DevType::Block, major),
    ]
    .iter()
    .any(|m| {
        plan.rules
            .get(m)
            .is_some_and(|r| r.access != DevAccess::NONE)
    })
}

/// The medium instance now at a block device (partitions share their disk's).
fn current_diskseq(block: &BlockDevice) -> Option<u64> {
    let dir = match block.partition {
        Some(_) => block.sys_path.parent()?,
        None => &block.sys_path,
    };
    std::fs::read_to_string(dir.join("diskseq"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The medium instance now at block device `dev`, from sysfs alone (a partition's is its
/// disk's), for the refusal path, which must not identify the device.
fn sysfs_diskseq((major, minor): Dev) -> Option<u64> {
    let dir = Path::new("/sys/dev/block").join(format!("{major}:{minor}"));
    std::fs::read_to_string(dir.join("diskseq"))
        .or_else(|_| std::fs::read_to_string(dir.join("../diskseq")))
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn not_answering_reason() -> (String, ReasonRef) {
    (
        format!(
            "refused: this storage device did not answer within {} seconds; it stays refused. \
             Unplug it and hand it to the security officer.",
            PROBE_DEADLINE.as_secs()
        ),
        ReasonRef::new("block-not-answering").arg("seconds", PROBE_DEADLINE.as_secs().to_string()),
    )
}

impl Media {
    /// Judge every block device present that the plan does not cover (start-up, reload, and
    /// after lost uevents), and withdraw grants of devices gone or no longer approved.
    pub fn rescan(&mut self, cx: &mut Ctx) {
        let sysfs = Path::new("/sys");
        let mut present = Vec::new();
        for name in block_device_names(sysfs).unwrap_or_default() {
            let dev = sysfs.join("class/block").join(&name).join("dev");
            let Ok(dev) = std::fs::read_to_string(dev) else {
                continue;
            };
            let Some((major, minor)) = dev.trim().split_once(':') else {
                continue;
            };
            let (Ok(major), Ok(minor)) = (major.parse(), minor.parse()) else {
                continue;
            };
            present.push((major, minor));
        }
        self.seen.retain(|d, _| present.contains(d));
        self.premounted.retain(|d, _| present.contains(d));
        self.identities.retain(|d, _| present.contains(d));
        self.instances.retain(|d, _| present.contains(d));
        self.pending.retain(|d, _| present.contains(d));
        // Gone, or no longer approved as the policy now reads (a reload): withdrawn at once, not
        // after the probe; an approval that still holds is renewed by the probe.
        let stale: Vec<_> = self
            .granted
            .iter()
            .filter(|(d, g)| {
                !present.contains(d)
                    || self.identities.get(d).is_none_or(|id| {
                        cx.policy
                            .find_media(&id.media_identity())
                            .is_none_or(|m| access_of(m.access) != granted_access(&g.record))
                    })
            })
            .map(|(d, _)| *d)
            .collect();
        for d in stale {
            self.seen.remove(&d);
            self.revoke(cx, d, "no longer present or approved");
        }
        for &d in &present {
            self.examine(cx, d);
        }
    }

    /// A kernel uevent about a block device.
    pub fn on_uevent(&mut self, cx: &mut Ctx, ev: &Uevent) {
        if ev.action() == RESCAN {
            return self.rescan(cx);
        }
        if ev.get("SUBSYSTEM") != Some("block") {
            return;
        }
        let Some(devnum) = ev.devnum() else { return };
        match ev.action() {
            // "change": a loop device got a backing file, a card reader a new card.
            "add" | "change" => self.examine(cx, devnum),
            "remove" => self.gone(cx, devnum),
            _ => {}
        }
    }

    fn gone(&mut self, cx: &mut Ctx, devnum: Dev) {
        self.premounted.remove(&devnum);
        self.instances.remove(&devnum);
        self.seen.remove(&devnum);
        self.identities.remove(&devnum);
        self.pending.remove(&devnum);
        self.revoke(cx, devnum, "removed");
        self.forget_disk(cx, devnum, "removed");
    }

    /// A device appeared or changed: withdraw a grant made for another medium, then start a
    /// probe (never read here).
    fn examine(&mut self, cx: &mut Ctx, devnum: Dev) {
        if covered(cx.plan, devnum) {
            return;
        }
        let block = match BlockDevice::from_dev(Path::new("/sys"), devnum.0, devnum.1) {
            Ok(Some(b)) => b,
            Ok(None) => return self.gone(cx, devnum),
            Err(e) => {
                self.revoke(cx, devnum, "unidentifiable");
                // Unidentifiable means refused (no rule is written): say so.
                let r = Record::new(
                    MessageId::DeviceArrival,
                    format!("device {}:{} refused: {e}", devnum.0, devnum.1),
                )
                .field(field::ACTION, field::action::REFUSE)
                .field(field::RESULT, field::result::SUCCESS)
                .field(field::DEVICE, format!("{}:{}", devnum.0, devnum.1));
                let _ = cx.sink.send(&r);
                return;
            }
        };
        self.mark_new_partition(cx, &block);
        let seq = current_diskseq(&block);
        if self.granted.get(&devnum).is_some_and(|g| g.diskseq != seq) {
            self.seen.remove(&devnum);
            self.identities.remove(&devnum);
            if let Some(left) = self.revoke(cx, devnum, "medium changed") {
                self.unmark_left(&left);
            }
        }
        if self
            .disk_grant_diskseq(devnum)
            .is_some_and(|granted| granted != seq)
        {
            self.forget_disk(cx, devnum, "medium changed");
            self.identities.remove(&devnum);
        }
        if let Some(p) = self.pending.get_mut(&devnum) {
            if p.diskseq == seq {
                // One probe per medium at a time; a stuck one is not joined by another.
                p.again = !p.timed_out;
                return;
            }
        }
        match self.prober.start(devnum, &block.name) {
            Ok(ticket) => {
                self.pending.insert(
                    devnum,
                    Pending {
                        ticket,
                        since: Instant::now(),
                        diskseq: seq,
                        timed_out: false,
                        again: false,
                        block,
                    },
                );
            }
            Err(e) => {
                self.pending.remove(&devnum);
                let reason = (
                    format!("refused: {e}"),
                    ReasonRef::new("block-unreadable").arg("error", e.to_string()),
                );
                self.refuse_unread(cx, &block, devnum, reason);
            }
        }
    }

    /// A probe answered.
    pub fn on_probe(&mut self, cx: &mut Ctx, r: ProbeResult) {
        if self
            .pending
            .get(&r.devnum)
            .is_none_or(|p| p.ticket != r.ticket)
        {
            return; // removed or superseded meanwhile
        }
        let p = self.pending.remove(&r.devnum).expect("checked above");
        // The device as read when the probe started, if the same medium instance is there
        // still (its diskseq, unique per medium since boot): reading all of its sysfs again
        // cost about as long as the rest of the grant (issue 23). Without a diskseq (kernels
        // before 5.15) nothing tells one medium from the next at the same number: read again.
        let now = sysfs_diskseq(r.devnum);
        let (block, seq) = if now.is_some() && now == p.diskseq {
            (p.block, now)
        } else {
            match BlockDevice::from_dev(Path::new("/sys"), r.devnum.0, r.devnum.1) {
                Ok(Some(b)) => {
                    let seq = current_diskseq(&b);
                    (b, seq)
                }
                _ => return self.gone(cx, r.devnum),
            }
        };
        let fs = match r.outcome {
            // What was read belongs to another medium than the one there now: read again.
            Ok(probed) if probed.diskseq != seq => return self.examine(cx, r.devnum),
            Ok(probed) => probed.fs,
            Err(e) => {
                // An unreadable device simply has no filesystem identity.
                tracing::info!(device = %format!("{}:{}", r.devnum.0, r.devnum.1), error = %e, "probe read nothing");
                None
            }
        };
        self.decide(cx, &block, (r.devnum, seq), fs);
        if p.again {
            self.examine(cx, r.devnum);
        }
    }

    /// Probes past their deadline: the medium stays refused, and is recorded so once. A
    /// granted medium probed again (a "change" uevent: udisks after an unmount, a partition
    /// table re-read) keeps its grant meanwhile: the same medium instance (its diskseq) was
    /// identified and approved, and a stick busy writing back a large copy can take longer
    /// than the deadline to answer one more read. Withdrawing it then broke the official's
    /// copy and recorded the system's own reads of the stick as violations. Its answer, when
    /// it comes, is judged as any other.
    pub fn deadlines(&mut self, cx: &mut Ctx, now: Instant) -> bool {
        let late: Vec<_> = self
            .pending
            .iter()
            .filter(|(_, p)| !p.timed_out && now.duration_since(p.since) >= PROBE_DEADLINE)
            .map(|(d, _)| *d)
            .collect();
        for &d in &late {
            let mut probed_seq = None;
            if let Some(p) = self.pending.get_mut(&d) {
                p.timed_out = true;
                p.again = false;
                probed_seq = Some(p.diskseq);
            }
            if let Some(g) = self
                .granted
                .get(&d)
                .filter(|g| Some(g.diskseq) == probed_seq)
            {
                tracing::warn!(
                    device = %format!("{}:{}", d.0, d.1),
                    rule = %g.record.rule,
                    "a granted medium probed again has not answered within {} s: its grant stays until it does",
                    PROBE_DEADLINE.as_secs()
                );
                continue;
            }
            let Ok(Some(block)) = BlockDevice::from_dev(Path::new("/sys"), d.0, d.1) else {
                self.gone(cx, d);
                continue;
            };
            self.revoke(cx, d, "not answering");
            self.refuse_unread(cx, &block, d, not_answering_reason());
        }
        !late.is_empty()
    }

    /// Wait (bounded by the probe deadline) for the probes started at start-up, so the daemon
    /// reports ready with present media judged; later ones arrive on the loop.
    pub fn settle(&mut self, cx: &mut Ctx) {
        let until = Instant::now() + PROBE_DEADLINE;
        while !self.pending.values().all(|p| p.timed_out) && Instant::now() < until {
            match self.prober.try_result() {
                Some(r) => self.on_probe(cx, r),
                None => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        self.deadlines(cx, Instant::now() + PROBE_DEADLINE);
    }

    /// The probe results, for the loop.
    pub fn take_results(&mut self) -> Option<tokio::sync::mpsc::UnboundedReceiver<ProbeResult>> {
        self.prober.take_results()
    }

    /// Refused without a filesystem identity (not answering, or no probe possible).
    fn refuse_unread(
        &mut self,
        cx: &mut Ctx,
        block: &BlockDevice,
        devnum: Dev,
        (reason, reason_ref): (String, ReasonRef),
    ) {
        match arrival::judge(block, Path::new("/dev"), None, cx.policy) {
            Ok(mut j) => {
                j.verdict = Verdict::Refused { reason, reason_ref };
                self.record_decision(cx, block, j, (devnum, current_diskseq(block)));
            }
            Err(e) => tracing::error!(error = %e, "identifying a device that does not answer"),
        }
    }

    fn decide(
        &mut self,
        cx: &mut Ctx,
        block: &BlockDevice,
        at: (Dev, Option<u64>),
        fs: Option<Filesystem>,
    ) {
        match arrival::judge(block, Path::new("/dev"), fs, cx.policy) {
            Ok(j) => self.record_decision(cx, block, j, at),
            Err(e) => {
                self.revoke(cx, at.0, "unidentifiable");
                let r = Record::new(
                    MessageId::DeviceArrival,
                    format!("device {}:{} refused: {e}", at.0 .0, at.0 .1),
                )
                .field(field::ACTION, field::action::REFUSE)
                .field(field::RESULT, field::result::SUCCESS)
                .field(field::DEVICE, format!("{}:{}", at.0 .0, at.0 .1));
                let _ = cx.sink.send(&r);
            }
        }
    }

    /// Record a decision and act on it; the whole disk of a partitioned medium is decided by
    /// its partitions (`whole_disk`).
    fn record_decision(
        &mut self,
        cx: &mut Ctx,
        block: &BlockDevice,
        judged: Judgement,
        at: (Dev, Option<u64>),
    ) {
        if self.hold_disk_refusal(cx, block, &judged, at.1) {
            return;
        }
        self.record_own(cx, block, judged, at);
        if block.partition.is_some() {
            if let Ok(disk) = BlockDevice::from_sysfs(Path::new("/sys"), &block.disk) {
                self.settle_disk(cx, &disk);
            }
        }
    }

    fn record_own(
        &mut self,
        cx: &mut Ctx,
        block: &BlockDevice,
        judged: Judgement,
        (devnum, diskseq): (Dev, Option<u64>),
    ) {
        let record = device_record(&judged, devnum);
        // The latest look at the device wins (a first uevent may come before its filesystem
        // is readable), whether or not the decision changed.
        let same_medium = self.instances.insert(devnum, diskseq) == Some(diskseq)
            && self.identities.get(&devnum) == Some(&judged.identity);
        if !same_medium {
            // Another medium there now: what was said of the one mounted at start is not its.
            self.premounted.remove(&devnum);
        }
        self.identities.insert(devnum, judged.identity.clone());
        let same_grant = self
            .granted
            .get(&devnum)
            .is_none_or(|g| g.diskseq == diskseq && g.record == record);
        if same_medium && self.seen.get(&devnum) == Some(&record) && same_grant {
            return; // the same medium announced again: nothing new to say
        }
        let m = DevMatch::device(DevType::Block, devnum.0, devnum.1);
        match &judged.verdict {
            Verdict::Approved { rule, access } => {
                if !same_grant {
                    self.revoke(cx, devnum, "medium changed");
                }
                // A disk read for its partitions before, approved in its own right now.
                self.forget_disk(cx, devnum, "approved in its own right");
                let mut audit = AuditRecord::begin(
                    cx.sink,
                    arrival_record(
                        &judged,
                        &record,
                        field::action::AUTHORIZE,
                        rule,
                        cx.policy.sha256(),
                        self.seen_as(&record),
                    ),
                );
                let read_only = *access == DevAccess::READ;
                audit.field(field::ACCESS, if read_only { "read" } else { "read+write" });
                // Read-only in the kernel before the rule is written: by the time anything may
                // open the medium, the kernel itself knows it is read-only. A failure to mark
                // it refuses the grant (fail closed).
                let marked = match read_only {
                    true => self.mark_read_only(cx, block),
                    false => {
                        self.unmark_for_read_write(block);
                        Ok(Vec::new())
                    }
                };
                let granted = marked.and_then(|ro| {
                    cx.enforcer
                        .dev_rules()
                        .set(m, *access)
                        .map(|()| ro)
                        .map_err(|e| e.to_string())
                });
                match granted {
                    Ok(ro) => {
                        if !ro.is_empty() {
                            let names: Vec<_> = ro.iter().map(|(_, n)| n.as_str()).collect();
                            audit.field(
                                field::STATE,
                                format!("marked read-only in the kernel: {}", names.join(", ")),
                            );
                        }
                        let _ = audit.success();
                        self.granted.insert(
                            devnum,
                            Grant {
                                record: record.clone(),
                                diskseq,
                                read_only: ro,
                                at: crate::violation::BootClock::boot_ns(),
                            },
                        );
                        self.announce(cx, block);
                    }
                    Err(e) => {
                        audit.field(field::STATE, e);
                        let _ = audit.failure();
                    }
                }
            }
            Verdict::Refused { .. } => {
                // A medium swapped for an unapproved one loses the earlier grant first.
                self.revoke(cx, devnum, "medium changed");
                let r = arrival_record(
                    &judged,
                    &record,
                    field::action::REFUSE,
                    "default",
                    cx.policy.sha256(),
                    self.seen_as(&record),
                )
                .field(field::RESULT, field::result::SUCCESS);
                let _ = cx.sink.send(&r);
            }
        }
        self.seen.insert(devnum, record);
    }

    /// How this decision came about, for its record ([`field::SEEN`]): after a uevent, or
    /// found by the start-up scan as it was, or was not, when the daemon last stopped.
    fn seen_as(&self, record: &DeviceRecord) -> (&'static str, &'static str) {
        match &self.at_start {
            None => ("arrival", ""),
            Some(before)
                if before.iter().any(|b| {
                    b.node == record.node
                        && b.devnum == record.devnum
                        && b.decision == record.decision
                }) =>
            {
                (
                    "present-at-start",
                    " (present at start, as when airgapd last stopped)",
                )
            }
            Some(_) => (
                "present-at-start-new",
                " (present at start; not there when airgapd last stopped)",
            ),
        }
    }

    /// Whether the block device `dev` is one the daemon refuses now: present, not opened by
    /// the plan (internal disks, classes) and not granted as an approved medium.
    pub fn refuses(&self, plan: &Plan, dev: Dev) -> bool {
        Path::new(&format!("/sys/dev/block/{}:{}", dev.0, dev.1)).exists()
            && !covered(plan, dev)
            && !self.granted.contains_key(&dev)
            && !self.disks.contains_key(&dev)
    }

    /// Whether `dev` is being judged now: its probe is under way, it is a partitioned disk
    /// waiting for its partitions' decisions, or it has just appeared and its uevent has not
    /// been handled yet (a reader can open a node before the daemon reads that uevent).
    pub fn judging(&self, plan: &Plan, dev: Dev) -> bool {
        let unseen = !self.seen.contains_key(&dev)
            && !self.granted.contains_key(&dev)
            && !self.pending.contains_key(&dev)
            && !covered(plan, dev)
            && Path::new(&format!("/sys/dev/block/{}:{}", dev.0, dev.1)).exists();
        // Judged before, but another medium is there now (its diskseq differs): what the
        // daemon knows of the device is the previous medium's until this one's uevent is read.
        let another = self
            .instances
            .get(&dev)
            .is_some_and(|&judged| judged.is_some() && sysfs_diskseq(dev) != judged);
        unseen
            || another
            || self.pending.get(&dev).is_some_and(|p| !p.timed_out)
            || (self.held.contains_key(&dev)
                && !self.disks.contains_key(&dev)
                && !self.seen.contains_key(&dev))
    }

    /// When the grant `dev` has now was made (its own, or its whole disk's reading).
    pub fn granted_at(&self, dev: Dev) -> Option<u64> {
        self.granted
            .get(&dev)
            .map(|g| g.at)
            .or_else(|| self.disk_granted_at(dev))
    }

    /// The identity of a judged device, filesystem included.
    /// The name of block device `devnum` as judged, for a refusal of it (issue 18: a stick
    /// by its node, model and serial, an approved medium by its policy name, not `8:16`).
    pub fn device_name(&self, devnum: Dev) -> Option<String> {
        self.seen.get(&devnum).map(device_name)
    }

    pub fn identity(&self, devnum: Dev) -> Option<&DeviceIdentity> {
        self.identities.get(&devnum)
    }

    /// Withdraw a grant (rule first, then the record); the grant withdrawn, if there was one.
    /// The kernel's read-only flags stay as they are.
    fn revoke(&mut self, cx: &mut Ctx, devnum: Dev, why: &str) -> Option<Grant> {
        let grant = self.granted.remove(&devnum)?;
        let record = &grant.record;
        if let Some(map) = cx.enforcer.ro_devices() {
            for (dev, _) in &grant.read_only {
                let still = self
                    .granted
                    .values()
                    .any(|g| g.read_only.iter().any(|(d, _)| d == dev));
                if !still {
                    map.remove(*dev);
                }
            }
        }
        let m = DevMatch::device(DevType::Block, devnum.0, devnum.1);
        if let Err(e) = cx.enforcer.dev_rules().remove(m) {
            tracing::error!(error = %e, "could not withdraw a medium's grant");
        }
        let r = Record::new(
            MessageId::DeviceDeparture,
            format!("{} ({}) {why}: access withdrawn", record.node, record.rule),
        )
        .field(field::DEVICE, &record.devnum)
        .field(field::DEV_NODE, &record.node)
        .field(field::RULE, &record.rule);
        let _ = cx.sink.send(&r);
        self.withdraw_disks_serving(cx, devnum, why);
        Some(grant)
    }

    /// Every device decided, for the state.
    pub fn records(&self) -> Vec<DeviceRecord> {
        self.seen
            .iter()
            .map(|(dev, r)| match self.premounted.get(dev) {
                Some(note) => DeviceRecord {
                    reason: format!("{}; {note}", r.reason),
                    ..r.clone()
                },
                None => r.clone(),
            })
            .collect()
    }
}

fn access_of(a: airgapd_policy::Access) -> &'static str {
    match a {
        airgapd_policy::Access::ReadOnly => "read-only",
        airgapd_policy::Access::ReadWrite => "read-write",
    }
}

fn granted_access(r: &DeviceRecord) -> &str {
    &r.decision
}

/// `/dev/sdb "USB Văn phòng 3"` for a medium a policy entry approves, `/dev/sdb SanDisk Ultra
/// 4C530001` for another: the words a person knows the stick by, no language's own.
pub fn device_name(r: &DeviceRecord) -> String {
    let approved = matches!(r.decision.as_str(), "read-only" | "read-write") && r.rule != "default";
    let what = if approved {
        format!("\"{}\"", r.rule)
    } else {
        [r.model.trim(), r.serial.trim()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    [r.node.as_str(), what.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn device_record(j: &Judgement, (major, minor): (u32, u32)) -> DeviceRecord {
    let id = &j.identity;
    let hex = |v: Option<u16>| v.map(|v| format!("{v:04x}")).unwrap_or_default();
    let (decision, rule, (reason, reason_ref)) = match &j.verdict {
        Verdict::Approved { rule, access } => {
            let d = if *access == DevAccess::READ {
                "read-only"
            } else {
                "read-write"
            };
            (
                d.to_string(),
                rule.clone(),
                (
                    format!("approved medium \"{rule}\""),
                    ReasonRef::new("block-approved").arg("name", rule),
                ),
            )
        }
        Verdict::Refused { reason, reason_ref } => (
            "refused".to_string(),
            "default".to_string(),
            (reason.clone(), reason_ref.clone()),
        ),
    };
    DeviceRecord {
        node: j.node.display().to_string(),
        devnum: format!("{major}:{minor}"),
        kind: "block".into(),
        vendor_id: hex(id.vendor_id),
        product_id: hex(id.product_id),
        serial: id.serial.clone().unwrap_or_default(),
        model: id.model.clone().unwrap_or_default(),
        decision,
        rule,
        reason,
        reason_ref: reason_ref.encode(),
        ..DeviceRecord::default()
    }
}

fn arrival_record(
    j: &Judgement,
    d: &DeviceRecord,
    action: &str,
    rule: &str,
    sha: &str,
    (seen, note): (&str, &str),
) -> Record {
    let text = match action {
        a if a == field::action::AUTHORIZE => {
            format!("{} authorized ({}): {}{note}", d.node, d.decision, d.reason)
        }
        _ => format!("{} {}{note}", d.node, d.reason),
    };
    let r = Record::new(MessageId::DeviceArrival, text)
        .field(field::ACTION, action)
        .field(field::SEEN, seen)
        .field(field::DEVICE, &d.devnum)
        .field(field::RULE, rule)
        .field(field::POLICY_SHA256, sha);
    let r = match d.reason_ref.is_empty() {
        true => r,
        false => r.field(field::REASON_REF, &d.reason_ref),
    };
    identity_fields(r, &j.identity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_stick_is_named_by_node_model_and_serial_an_approved_one_by_its_entry() {
        let stick = DeviceRecord {
            node: "/dev/sdb".into(),
            devnum: "8:16".into(),
            model: "SanDisk Ultra".into(),
            serial: "4C530001".into(),
            decision: "refused".into(),
            rule: "default".into(),
            ..DeviceRecord::default()
        };
        assert_eq!(device_name(&stick), "/dev/sdb SanDisk Ultra 4C530001");
        let approved = DeviceRecord {
            decision: "read-only".into(),
            rule: "USB Văn phòng 3".into(),
            ..stick.clone()
        };
        assert_eq!(device_name(&approved), "/dev/sdb \"USB Văn phòng 3\"");
        let bare = DeviceRecord {
            model: String::new(),
            serial: String::new(),
            ..stick
        };
        assert_eq!(device_name(&bare), "/dev/sdb");
    }
}
