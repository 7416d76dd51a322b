//! Cameras, microphones and radios under the service: radios soft-blocked (whole-machine scope),
//! every capture device and radio listed with its state, and a re-plan whenever one appears.

use std::path::Path;

use airgapd_policy::Policy;

use crate::devices::capture::{self, CaptureKind};
use crate::devices::uevent::Uevent;
use crate::journal::{field, AuditRecord, MessageId, Record, Sink};
use crate::maps::{DevAccess, DevMatch, DevType};
use crate::plan::Plan;
use crate::state::DeviceRecord;

/// Whether a uevent changes what the plan must say about capture devices or radios.
pub fn concerns(ev: &Uevent) -> bool {
    matches!(
        ev.get("SUBSYSTEM"),
        Some("sound" | "video4linux" | "rfkill")
    ) && matches!(ev.action(), "add" | "remove")
}

/// Soft-block every radio the policy does not allow; each block is an audit record.
pub fn block_radios(sink: &Sink, policy: &Policy) {
    if policy.capture.radio.is_allow() {
        return;
    }
    for radio in capture::radios(Path::new("/sys"))
        .into_iter()
        .filter(|r| !r.soft_blocked)
    {
        let r = Record::new(
            MessageId::DeviceArrival,
            format!(
                "radio {} ({}) blocked: radios are refused where secrets are handled",
                radio.name, radio.kind
            ),
        )
        .field(field::ACTION, field::action::REFUSE)
        .field(field::DEV_NODE, &radio.name)
        .field(field::BUS_PATH, radio.sys_path.display())
        .field(field::RULE, "default")
        .field(field::POLICY_SHA256, policy.sha256());
        let audit = AuditRecord::begin(sink, r);
        match capture::block(&radio) {
            Ok(()) => drop(audit.success()),
            Err(_) => drop(audit.failure()),
        }
    }
}

/// Every capture device and radio with what the plan decided for it.
pub fn records(plan: &Plan) -> Vec<DeviceRecord> {
    let sysfs = Path::new("/sys");
    let mut out = Vec::new();
    for node in capture::capture_nodes(sysfs) {
        let (major, minor) = node.dev;
        let exact = plan
            .rules
            .get(&DevMatch::device(DevType::Char, major, minor));
        let class = plan.rules.get(&DevMatch::major(DevType::Char, major));
        let rule = exact.or(class);
        let refused = rule.is_some_and(|r| r.access == DevAccess::NONE);
        let usb = capture::usb_owner(&node);
        out.push(DeviceRecord {
            node: format!(
                "/dev/{}{}",
                if node.kind == CaptureKind::Microphone {
                    "snd/"
                } else {
                    ""
                },
                node.name
            ),
            devnum: format!("{major}:{minor}"),
            kind: if node.kind == CaptureKind::Camera {
                "camera"
            } else {
                "microphone"
            }
            .into(),
            vendor_id: usb
                .as_ref()
                .map(|u| format!("{:04x}", u.vendor_id))
                .unwrap_or_default(),
            product_id: usb
                .as_ref()
                .map(|u| format!("{:04x}", u.product_id))
                .unwrap_or_default(),
            serial: usb
                .as_ref()
                .and_then(|u| u.serial.clone())
                .unwrap_or_default(),
            model: usb
                .as_ref()
                .and_then(|u| u.product.clone())
                .unwrap_or_default(),
            decision: if refused { "refused" } else { "allowed" }.into(),
            rule: rule
                .map(|r| r.why.clone())
                .unwrap_or_else(|| "default".into()),
            reason: rule.map(|r| r.why.clone()).unwrap_or_default(),
        });
    }
    for radio in capture::radios(sysfs) {
        let state = match (radio.soft_blocked, radio.hard_blocked) {
            (_, true) => "blocked (hardware switch)",
            (true, false) => "blocked",
            (false, false) => "on",
        };
        out.push(DeviceRecord {
            node: radio.name.clone(),
            kind: format!("radio ({})", radio.kind),
            decision: state.into(),
            rule: "default".into(),
            ..DeviceRecord::default()
        });
    }
    out
}
