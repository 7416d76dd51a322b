//! Cameras, microphones and radios under the service: radios soft-blocked (whole-machine scope),
//! every capture device and radio listed with its state, and a re-plan whenever one appears.

use std::path::Path;

use airgapd_policy::Policy;

use super::media;
use crate::devices::capture::{self, CaptureKind};
use crate::devices::uevent::Uevent;
use crate::journal::{field, AuditRecord, MessageId, Record, Sink};
use crate::maps::{DevAccess, DevMatch, DevType};
use crate::plan::Plan;
use crate::state::DeviceRecord;

/// Whether a uevent changes what the plan must say about capture devices or radios.
pub fn concerns(ev: &Uevent) -> bool {
    match (ev.get("SUBSYSTEM"), ev.action()) {
        (Some("sound" | "video4linux"), "add" | "remove") => true,
        _ => concerns_radios(ev),
    }
}

/// Whether a uevent may have left a radio unblocked: one arrived, one changed state (root can
/// unblock it through its `soft` attribute in sysfs, which the device program cannot refuse: it
/// guards /dev/rfkill only), or uevents were lost and anything may have arrived.
pub fn concerns_radios(ev: &Uevent) -> bool {
    ev.action() == media::RESCAN
        || (ev.get("SUBSYSTEM") == Some("rfkill")
            && matches!(ev.action(), "add" | "remove" | "change"))
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
            ..DeviceRecord::default()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(action: &str, subsystem: Option<&str>) -> Uevent {
        let mut vars = std::collections::BTreeMap::new();
        vars.insert("ACTION".to_string(), action.to_string());
        if let Some(s) = subsystem {
            vars.insert("SUBSYSTEM".to_string(), s.to_string());
        }
        Uevent { vars }
    }

    #[test]
    fn capture_nodes_arriving_or_leaving_are_replanned() {
        for sub in ["sound", "video4linux", "rfkill"] {
            assert!(concerns(&ev("add", Some(sub))), "{sub}");
            assert!(concerns(&ev("remove", Some(sub))), "{sub}");
        }
        assert!(!concerns(&ev("change", Some("sound"))));
        assert!(!concerns(&ev("add", Some("block"))));
        assert!(!concerns(&ev("bind", Some("rfkill"))));
    }

    #[test]
    fn a_radio_unblocked_behind_our_back_or_lost_events_block_radios_again() {
        // `echo 0 > /sys/class/rfkill/rfkill0/soft` by root only shows as a change uevent.
        assert!(concerns_radios(&ev("change", Some("rfkill"))));
        assert!(concerns(&ev("change", Some("rfkill"))));
        assert!(concerns_radios(&ev(media::RESCAN, None)));
        assert!(concerns(&ev(media::RESCAN, None)));
        assert!(!concerns_radios(&ev("add", Some("sound"))));
    }
}
