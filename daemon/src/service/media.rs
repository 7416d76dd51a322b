//! Removable media as they come and go: judge each block device the plan does not cover, grant
//! an approved medium its access, record every decision (failing closed), withdraw on removal.

use std::collections::BTreeMap;
use std::path::Path;

use airgapd_policy::Policy;

use crate::bpf::Enforcer;
use crate::devices::arrival::{self, Judgement, Verdict};
use crate::devices::block::block_device_names;
use crate::devices::identity::DeviceIdentity;
use crate::devices::uevent::Uevent;
use crate::journal::{field, AuditRecord, MessageId, Record, Sink};
use crate::maps::{DevAccess, DevMatch, DevType};
use crate::plan::Plan;
use crate::state::DeviceRecord;

use super::records::identity_fields;

/// The pseudo-action asking for a full rescan (after the uevent queue overflowed).
pub const RESCAN: &str = "airgapd-rescan";

/// Media currently granted, by device number.
#[derive(Debug, Default)]
pub struct Media {
    granted: BTreeMap<(u32, u32), DeviceRecord>,
    /// Every decision, for `airgapctl devices` (newest wins per device).
    pub seen: BTreeMap<(u32, u32), DeviceRecord>,
    /// Who each judged device is, filesystem included (for refusal records).
    identities: BTreeMap<(u32, u32), DeviceIdentity>,
}

fn covered(plan: &Plan, (major, minor): (u32, u32)) -> bool {
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

impl Media {
    /// Judge every block device present that the plan does not cover (start-up, reload, and
    /// after lost uevents), and withdraw grants of devices gone or no longer approved.
    pub fn rescan(&mut self, enforcer: &mut Enforcer, sink: &Sink, policy: &Policy, plan: &Plan) {
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
        self.identities.retain(|d, _| present.contains(d));
        for &d in &present {
            self.judge(enforcer, sink, policy, plan, d);
        }
        let stale: Vec<_> = self
            .granted
            .keys()
            .filter(|d| self.seen.get(d).is_none_or(|r| r.decision == "refused"))
            .copied()
            .collect();
        for d in stale {
            self.revoke(enforcer, sink, d, "no longer present or approved");
        }
    }

    /// A kernel uevent about a block device.
    pub fn on_uevent(
        &mut self,
        enforcer: &mut Enforcer,
        sink: &Sink,
        policy: &Policy,
        plan: &Plan,
        ev: &Uevent,
    ) {
        if ev.action() == RESCAN {
            return self.rescan(enforcer, sink, policy, plan);
        }
        if ev.get("SUBSYSTEM") != Some("block") {
            return;
        }
        let Some(devnum) = ev.devnum() else { return };
        match ev.action() {
            // "change": a loop device got a backing file, a card reader a new card.
            "add" | "change" => self.judge(enforcer, sink, policy, plan, devnum),
            "remove" => {
                self.seen.remove(&devnum);
                self.identities.remove(&devnum);
                self.revoke(enforcer, sink, devnum, "removed");
            }
            _ => {}
        }
    }

    fn judge(
        &mut self,
        enforcer: &mut Enforcer,
        sink: &Sink,
        policy: &Policy,
        plan: &Plan,
        devnum: (u32, u32),
    ) {
        if covered(plan, devnum) {
            return;
        }
        let judged = match arrival::judge(
            Path::new("/sys"),
            Path::new("/dev"),
            devnum,
            policy,
            arrival::probe_node,
        ) {
            Ok(Some(j)) => j,
            Ok(None) => return,
            Err(e) => {
                // Unidentifiable means refused (no rule is written): say so.
                let r = Record::new(
                    MessageId::DeviceArrival,
                    format!("device {}:{} refused: {e}", devnum.0, devnum.1),
                )
                .field(field::ACTION, field::action::REFUSE)
                .field(field::RESULT, field::result::SUCCESS)
                .field(field::DEVICE, format!("{}:{}", devnum.0, devnum.1));
                let _ = sink.send(&r);
                return;
            }
        };
        let record = device_record(&judged, devnum);
        // The latest look at the device wins (a first uevent may come before its filesystem
        // is readable), whether or not the decision changed.
        self.identities.insert(devnum, judged.identity.clone());
        if self.seen.get(&devnum) == Some(&record) {
            return; // the same medium announced again: nothing new to say
        }
        let m = DevMatch::device(DevType::Block, devnum.0, devnum.1);
        match &judged.verdict {
            Verdict::Approved { rule, access } => {
                let mut audit = AuditRecord::begin(
                    sink,
                    arrival_record(
                        &judged,
                        &record,
                        field::action::AUTHORIZE,
                        rule,
                        policy.sha256(),
                    ),
                );
                audit.field(
                    field::ACCESS,
                    if *access == DevAccess::READ {
                        "read"
                    } else {
                        "read+write"
                    },
                );
                match enforcer.dev_rules().set(m, *access) {
                    Ok(()) => {
                        let _ = audit.success();
                        self.granted.insert(devnum, record.clone());
                    }
                    Err(e) => {
                        audit.field(field::STATE, e.to_string());
                        let _ = audit.failure();
                    }
                }
            }
            Verdict::Refused { .. } => {
                // A medium swapped for an unapproved one loses the earlier grant first.
                if self.granted.contains_key(&devnum) {
                    self.revoke(enforcer, sink, devnum, "medium changed");
                }
                let r = arrival_record(
                    &judged,
                    &record,
                    field::action::REFUSE,
                    "default",
                    policy.sha256(),
                )
                .field(field::RESULT, field::result::SUCCESS);
                let _ = sink.send(&r);
            }
        }
        self.seen.insert(devnum, record);
    }

    /// The identity of a judged device, filesystem included.
    pub fn identity(&self, devnum: (u32, u32)) -> Option<&DeviceIdentity> {
        self.identities.get(&devnum)
    }

    fn revoke(&mut self, enforcer: &mut Enforcer, sink: &Sink, devnum: (u32, u32), why: &str) {
        let Some(record) = self.granted.remove(&devnum) else {
            return;
        };
        let m = DevMatch::device(DevType::Block, devnum.0, devnum.1);
        if let Err(e) = enforcer.dev_rules().remove(m) {
            tracing::error!(error = %e, "could not withdraw a medium's grant");
        }
        let r = Record::new(
            MessageId::DeviceDeparture,
            format!("{} ({}) {why}: access withdrawn", record.node, record.rule),
        )
        .field(field::DEVICE, &record.devnum)
        .field(field::DEV_NODE, &record.node)
        .field(field::RULE, &record.rule);
        let _ = sink.send(&r);
    }

    /// Every device decided, for the state.
    pub fn records(&self) -> Vec<DeviceRecord> {
        self.seen.values().cloned().collect()
    }
}

fn device_record(j: &Judgement, (major, minor): (u32, u32)) -> DeviceRecord {
    let id = &j.identity;
    let hex = |v: Option<u16>| v.map(|v| format!("{v:04x}")).unwrap_or_default();
    let (decision, rule, reason) = match &j.verdict {
        Verdict::Approved { rule, access } => {
            let d = if *access == DevAccess::READ {
                "read-only"
            } else {
                "read-write"
            };
            (
                d.to_string(),
                rule.clone(),
                format!("approved medium \"{rule}\""),
            )
        }
        Verdict::Refused { reason } => {
            ("refused".to_string(), "default".to_string(), reason.clone())
        }
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
    }
}

fn arrival_record(j: &Judgement, d: &DeviceRecord, action: &str, rule: &str, sha: &str) -> Record {
    let text = match action {
        a if a == field::action::AUTHORIZE => {
            format!("{} authorized ({}): {}", d.node, d.decision, d.reason)
        }
        _ => format!("{} {}", d.node, d.reason),
    };
    let r = Record::new(MessageId::DeviceArrival, text)
        .field(field::ACTION, action)
        .field(field::DEVICE, &d.devnum)
        .field(field::RULE, rule)
        .field(field::POLICY_SHA256, sha);
    identity_fields(r, &j.identity)
}
