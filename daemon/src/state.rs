//! What the running daemon knows, shared between its enforcement loop (writer) and the D-Bus
//! interface (readers). Plain data: the interface turns it into D-Bus values.

use std::collections::VecDeque;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use crate::bpf::{Layer, LayerState};
use crate::maps::Count;
use crate::violation::{Kind, Violation};

/// The policy in force, as the officer identifies it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyInfo {
    /// `[meta] id`, empty when the policy has none.
    pub id: String,
    /// `[meta] serial`.
    pub serial: u64,
    /// SHA-256 of the policy file's bytes (lowercase hex).
    pub sha256: String,
    /// The file it came from; empty for a built-in policy.
    pub path: String,
    /// True when the built-in strict policy is in force (file missing or invalid at boot).
    pub builtin: bool,
    /// Why the built-in policy is in force, when it is.
    pub fallback_reason: String,
}

/// One device the daemon has judged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DeviceRecord {
    /// `/dev/sdb`, `/dev/bus/usb/001/004`, or the sysfs name when there is no node.
    pub node: String,
    /// `major:minor`, empty for USB devices without a node.
    pub devnum: String,
    /// `block`, `usb`, `char`.
    pub kind: String,
    /// USB vendor id (4 hex digits) or empty.
    pub vendor_id: String,
    /// USB product id or empty.
    pub product_id: String,
    /// Serial number or empty.
    pub serial: String,
    /// Model or product string.
    pub model: String,
    /// `internal`, `read-only`, `read-write`, `refused`, `authorized`; `departed` for a device
    /// no longer there (history: the reason says what it was and when it left).
    pub decision: String,
    /// The policy entry that decided, or `default`.
    pub rule: String,
    /// Plain words for the person at the keyboard.
    pub reason: String,
    /// The same reason for the translation catalogs ([`crate::devices::reason::ReasonRef`],
    /// encoded); empty when there is none.
    pub reason_ref: String,
    /// When airgapd first saw it present (µs since the epoch; 0 unknown).
    pub since_us: u64,
    /// When it left (µs since the epoch); 0 while it is present.
    pub left_us: u64,
    /// For a departed device, what was decided while it was present; empty otherwise.
    pub was: String,
}

/// A violation as kept for `airgapctl violations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViolationRecord {
    /// Increasing sequence number, for paging.
    pub seq: u64,
    /// The refusal.
    pub violation: Violation,
    /// Identical refusals folded into this record by storm aggregation.
    pub repeats: u64,
    /// The refused block device as airgapd knew it then (node, model and serial, or the
    /// medium's policy name), so that it is not named by `8:16` alone; empty when unknown.
    pub device_name: String,
}

/// Everything the daemon reports.
#[derive(Debug)]
pub struct State {
    /// When the daemon started.
    pub started_at: SystemTime,
    /// `enforcing` (whole machine) or `scoped:<cgroup path>`.
    pub mode: String,
    /// Each enforcement layer and its state.
    pub layers: Vec<(Layer, LayerState)>,
    /// Covered interfaces where airgapd's interface program is detached or not first, in
    /// words (issue 14): while any is, the machine is not air-gapped.
    pub uncovered: Vec<String>,
    /// The policy in force.
    pub policy: PolicyInfo,
    /// Devices judged, newest last.
    pub devices: Vec<DeviceRecord>,
    /// Kernel counters, refreshed by the daemon.
    pub counts: Vec<(Kind, Count)>,
    violations: VecDeque<ViolationRecord>,
    capacity: usize,
    next_seq: u64,
}

/// The handle both sides hold.
pub type Shared = Arc<RwLock<State>>;

impl State {
    /// A fresh state keeping at most `capacity` recent violations.
    pub fn new(mode: String, capacity: usize) -> State {
        State {
            started_at: SystemTime::now(),
            mode,
            layers: Vec::new(),
            uncovered: Vec::new(),
            policy: PolicyInfo::default(),
            devices: Vec::new(),
            counts: Vec::new(),
            violations: VecDeque::new(),
            capacity: capacity.max(1),
            next_seq: 1,
        }
    }

    /// Wrap for sharing.
    pub fn shared(self) -> Shared {
        Arc::new(RwLock::new(self))
    }

    /// Keep a violation; returns its sequence number. The oldest goes when full.
    pub fn push_violation(&mut self, violation: Violation, repeats: u64) -> u64 {
        self.push_violation_named(violation, repeats, String::new())
    }

    /// [`Self::push_violation`] with the refused device's name ([`ViolationRecord::device_name`]).
    pub fn push_violation_named(
        &mut self,
        violation: Violation,
        repeats: u64,
        device_name: String,
    ) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        if self.violations.len() == self.capacity {
            self.violations.pop_front();
        }
        self.violations.push_back(ViolationRecord {
            seq,
            violation,
            repeats,
            device_name,
        });
        seq
    }

    /// Violations kept before a restart (oldest first): the newest `capacity` stay, and new
    /// ones are numbered after them.
    pub fn restore_violations(&mut self, kept: Vec<ViolationRecord>, next_seq: u64) {
        let skip = kept.len().saturating_sub(self.capacity);
        let last = kept.last().map_or(0, |r| r.seq);
        self.violations = kept.into_iter().skip(skip).collect();
        self.next_seq = next_seq.max(last + 1).max(self.next_seq);
    }

    /// The sequence number the next violation gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Up to `limit` violations with a sequence number above `after`, oldest first.
    pub fn violations_after(&self, after: u64, limit: usize) -> Vec<ViolationRecord> {
        self.violations
            .iter()
            .filter(|r| r.seq > after)
            .take(limit)
            .cloned()
            .collect()
    }

    /// Whether every layer that matters is active (the network cgroup layer and devices) and
    /// no covered interface is left without its program.
    pub fn air_gapped(&self) -> bool {
        // A refused medium mounted before the start and left usable (issue 15) is a device
        // the device layer does not hold: the machine is not air-gapped while it is there.
        let premount_left = self
            .layers
            .iter()
            .any(|(l, s)| *l == Layer::PremountedMedia && !s.is_active());
        self.uncovered.is_empty()
            && !premount_left
            && [Layer::CgroupNetwork, Layer::Devices].iter().all(|l| {
                self.layers
                    .iter()
                    .any(|(have, state)| have == l && state.is_active())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::violation::BootClock;

    fn v(pid: u32) -> Violation {
        let e = airgapd_ebpf::abi::airgap_event {
            kind: airgapd_ebpf::abi::AIRGAP_KIND_NET_CONNECT as u16,
            family: libc::AF_INET as u16,
            tgid: pid,
            ..Default::default()
        };
        Violation::from_event(&e, &BootClock::now()).unwrap()
    }

    #[test]
    fn keeps_the_newest_and_pages_by_sequence() {
        let mut s = State::new("scoped:/x".into(), 3);
        for pid in 1..=5 {
            s.push_violation(v(pid), 0);
        }
        let all = s.violations_after(0, 10);
        assert_eq!(all.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![3, 4, 5]);
        assert_eq!(s.violations_after(3, 1)[0].violation.pid, 4);
    }

    #[test]
    fn restored_violations_keep_their_numbers_and_the_cap() {
        let mut s = State::new("scoped:/x".into(), 2);
        let kept = (1..=3)
            .map(|seq| ViolationRecord {
                seq,
                violation: v(seq as u32),
                repeats: 0,
                device_name: String::new(),
            })
            .collect();
        s.restore_violations(kept, 4);
        assert_eq!(s.push_violation(v(9), 0), 4);
        let all = s.violations_after(0, 10);
        assert_eq!(all.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![3, 4]);
    }

    #[test]
    fn air_gapped_needs_network_and_devices_active() {
        let mut s = State::new("enforcing".into(), 10);
        s.layers.push((Layer::CgroupNetwork, LayerState::Active));
        assert!(!s.air_gapped());
        s.layers.push((Layer::Devices, LayerState::Active));
        s.layers
            .push((Layer::Lsm, LayerState::Unavailable("no".into())));
        assert!(s.air_gapped());
        s.uncovered
            .push("veth0 egress: airgapd's program is detached".into());
        assert!(!s.air_gapped(), "an uncovered interface");
        s.layers.push((
            Layer::PremountedMedia,
            LayerState::Unavailable("left usable".into()),
        ));
        assert!(!s.air_gapped(), "a refused medium left usable");
    }
}
