//! USB devices under a whole-machine scope: new devices wait unauthorized (`authorized_default`
//! 0) until judged; each decision is written to `authorized` and recorded with its reason.

use std::path::{Path, PathBuf};

use airgapd_policy::Policy;

use crate::bpf::LayerState;
use crate::devices::raw::{raw_paths_for_usb, usb_raw_grants};
use crate::devices::uevent::Uevent;
use crate::devices::usb::UsbDevice;
use crate::devices::usb_authorize;
use crate::devices::usb_decide::{UsbDecision, Verdict};
use crate::journal::{field, AuditRecord, MessageId, Record, Sink};
use crate::maps::{DevAccess, DevMatch};
use crate::state::DeviceRecord;

/// Raw device rules an authorized device needs to work: a printer its `/dev/bus/usb` and `lp`
/// nodes (CUPS uses libusb), a smart card reader its `/dev/bus/usb` node (pcscd), an explicitly
/// allowed device its USB and hidraw nodes. Keyed by the device's sysfs path.
pub type Grants = (PathBuf, Vec<(DevMatch, DevAccess)>);

fn grants(dev: &UsbDevice, d: &UsbDecision) -> Grants {
    let rules = match (d.verdict, raw_paths_for_usb(dev)) {
        (Verdict::Authorize, Ok(nodes)) => usb_raw_grants(&nodes, d.basis, &d.categories)
            .iter()
            .map(|e| e.rule())
            .collect(),
        _ => Vec::new(),
    };
    (dev.sys_path.clone(), rules)
}

/// A raw node (`lp`, hidraw) appeared after its device's driver bound: the device's grants,
/// computed again. A device that went away: its path, with no grants.
pub fn regrant(policy: &Policy, ev: &Uevent) -> Option<Grants> {
    let path = Path::new("/sys").join(ev.get("DEVPATH")?.trim_start_matches('/'));
    match (ev.get("SUBSYSTEM")?, ev.action()) {
        ("usbmisc" | "hidraw", "add") => {
            let dev = path
                .ancestors()
                .filter(|p| p.join("idVendor").exists())
                .find_map(|p| UsbDevice::from_sysfs(p).ok())?;
            Some(grants(&dev, &usb_authorize::judge(policy, &dev)))
        }
        ("usb", "remove") if ev.get("DEVTYPE") == Some("usb_device") => Some((path, Vec::new())),
        _ => None,
    }
}

/// Close the root hubs and judge the present devices. The layer state says what happened.
pub fn startup(sink: &Sink, policy: &Policy) -> (LayerState, Vec<DeviceRecord>, Vec<Grants>) {
    let sysfs = Path::new("/sys");
    if !sysfs.join("bus/usb/devices").exists() {
        return (
            LayerState::Unavailable("this machine has no USB bus".into()),
            Vec::new(),
            Vec::new(),
        );
    }
    match usb_authorize::startup(sysfs, policy) {
        Ok(decisions) => {
            let records = decisions
                .iter()
                .map(|(dev, d)| record(sink, policy, dev, d, true))
                .collect();
            let grants = decisions.iter().map(|(dev, d)| grants(dev, d)).collect();
            (LayerState::Active, records, grants)
        }
        Err(e) => (
            LayerState::Unavailable(format!("writing USB authorization: {e}")),
            Vec::new(),
            Vec::new(),
        ),
    }
}

/// A root hub appeared: a new USB bus.
pub fn is_new_bus(ev: &Uevent) -> bool {
    ev.get("SUBSYSTEM") == Some("usb")
        && ev.get("DEVTYPE") == Some("usb_device")
        && ev.action() == "add"
        && ev
            .get("DEVPATH")
            .and_then(|p| p.rsplit('/').next())
            .is_some_and(|name| name.starts_with("usb"))
}

/// Kernel uevents were lost (the socket overran): a USB device whose "add" was among them was
/// never judged, so it waits unauthorized with no record of it, and a lost "remove" leaves a
/// device listed that is gone. Judge every present device not in `known` (by its node and
/// ids) as on arrival, and say which known ones are gone (their nodes).
pub fn after_lost_events(
    sink: &Sink,
    policy: &Policy,
    known: &[DeviceRecord],
) -> (Vec<(DeviceRecord, Grants)>, Vec<String>) {
    let present: Vec<UsbDevice> = usb_authorize::devices(Path::new("/sys"))
        .into_iter()
        .filter(|d| !d.is_root_hub())
        .collect();
    let is_known = |d: &UsbDevice| {
        known.iter().any(|k| {
            k.node == d.node()
                && k.vendor_id == format!("{:04x}", d.vendor_id)
                && k.product_id == format!("{:04x}", d.product_id)
                && k.serial == d.serial.clone().unwrap_or_default()
        })
    };
    let judged = present
        .iter()
        .filter(|d| !is_known(d))
        .map(|dev| {
            let decision = usb_authorize::judge(policy, dev);
            (
                record(sink, policy, dev, &decision, false),
                grants(dev, &decision),
            )
        })
        .collect();
    let gone = known
        .iter()
        .filter(|k| !present.iter().any(|d| d.node() == k.node))
        .map(|k| k.node.clone())
        .collect();
    (judged, gone)
}

/// A kernel uevent: judge a newly added USB device.
pub fn on_uevent(sink: &Sink, policy: &Policy, ev: &Uevent) -> Option<(DeviceRecord, Grants)> {
    if ev.get("SUBSYSTEM") != Some("usb")
        || ev.get("DEVTYPE") != Some("usb_device")
        || ev.action() != "add"
    {
        return None;
    }
    let path = Path::new("/sys").join(ev.get("DEVPATH")?.trim_start_matches('/'));
    let dev = match UsbDevice::from_sysfs(&path) {
        Ok(dev) => dev,
        Err(e) => {
            // Unreadable: it stays unauthorized (authorized_default is 0). Say so.
            let r = Record::new(
                MessageId::DeviceArrival,
                format!("USB device {} refused: {e}", path.display()),
            )
            .field(field::ACTION, field::action::REFUSE)
            .field(field::RESULT, field::result::SUCCESS);
            let _ = sink.send(&r);
            return None;
        }
    };
    if dev.is_root_hub() {
        return None;
    }
    let decision = usb_authorize::judge(policy, &dev);
    Some((
        record(sink, policy, &dev, &decision, false),
        grants(&dev, &decision),
    ))
}

fn record(
    sink: &Sink,
    policy: &Policy,
    dev: &UsbDevice,
    d: &UsbDecision,
    startup: bool,
) -> DeviceRecord {
    let action = if d.verdict == Verdict::Authorize {
        field::action::AUTHORIZE
    } else {
        field::action::REFUSE
    };
    let name = dev
        .product
        .clone()
        .unwrap_or_else(|| format!("{:04x}:{:04x}", dev.vendor_id, dev.product_id));
    let mut r = Record::new(
        MessageId::DeviceArrival,
        format!("USB {name} ({}): {}", dev.node(), d.reason),
    )
    .field(field::ACTION, action)
    .field(field::DEV_NODE, dev.node())
    .field(field::VENDOR_ID, format!("{:04x}", dev.vendor_id))
    .field(field::PRODUCT_ID, format!("{:04x}", dev.product_id))
    .field(field::BUS_PATH, dev.sys_path.display())
    .field(field::RULE, &d.rule)
    .field(field::REASON_REF, d.reason_ref.encode())
    .field(field::POLICY_SHA256, policy.sha256());
    if let Some(serial) = &dev.serial {
        r = r.field(field::SERIAL, serial);
    }
    let audit = AuditRecord::begin(sink, r);
    // At start-up the decision was already written by usb_authorize::startup.
    let written = if startup {
        Ok(())
    } else {
        usb_authorize::apply(dev, d)
    };
    match written {
        Ok(()) => drop(audit.success()),
        Err(_) => drop(audit.failure()),
    }
    DeviceRecord {
        node: dev.node(),
        devnum: String::new(),
        kind: "usb".into(),
        vendor_id: format!("{:04x}", dev.vendor_id),
        product_id: format!("{:04x}", dev.product_id),
        serial: dev.serial.clone().unwrap_or_default(),
        model: dev.product.clone().unwrap_or_default(),
        decision: if d.verdict == Verdict::Authorize {
            "authorized"
        } else {
            "refused"
        }
        .into(),
        rule: d.rule.clone(),
        reason: d.reason.clone(),
        reason_ref: d.reason_ref.encode(),
        ..DeviceRecord::default()
    }
}
