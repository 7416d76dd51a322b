//! Which USB devices an approved `[[media]]` entry of the policy in force (the root's
//! `/etc/airgapd/policy.toml`) matches as a whole: the device showed only storage, and the
//! entry names its vendor, product and serial, all equal. Filesystem UUIDs and labels are not
//! in the kernel's lines, so they cannot be checked from traces (docs/inspection.md); an
//! entry that names only them matches nothing here. A missing or invalid policy approves
//! nothing: unknown means no.

use super::model::{Category, PolicyInfo, UsbDevice};
use super::root::Root;
use crate::paths::POLICY_FILE;

/// Read the policy and set `approved_by` on every device an entry approves.
pub fn judge(root: &Root, devices: &mut [UsbDevice]) -> PolicyInfo {
    let mut info = PolicyInfo {
        path: POLICY_FILE.into(),
        state: "missing".into(),
        error: None,
        id: None,
        serial: None,
        media: 0,
    };
    let text = match root.read(POLICY_FILE) {
        Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        Ok(None) => return info,
        Err(e) => {
            info.state = "invalid".into();
            info.error = Some(e.to_string());
            return info;
        }
    };
    let checked = match airgapd_policy::parse(&text, Some(std::path::Path::new(POLICY_FILE))) {
        Ok(c) => c,
        Err(e) => {
            info.state = "invalid".into();
            info.error = Some(e.to_string());
            return info;
        }
    };
    let policy = checked.policy;
    info.state = "loaded".into();
    info.id = policy.meta.id.clone();
    info.serial = Some(policy.meta.serial);
    info.media = policy.media.len();
    for d in devices.iter_mut() {
        let storage_only =
            !d.capabilities.is_empty() && d.capabilities.iter().all(|c| *c == Category::Storage);
        if !storage_only {
            continue;
        }
        let hex = |s: &Option<String>| s.as_deref().and_then(|v| u16::from_str_radix(v, 16).ok());
        let (vendor, product) = (hex(&d.vendor_id), hex(&d.product_id));
        d.approved_by = policy
            .media
            .iter()
            .find(|m| {
                m.vendor_id.is_some()
                    && m.product_id.is_some()
                    && m.serial.is_some()
                    && m.vendor_id == vendor
                    && m.product_id == product
                    && m.serial == d.serial
            })
            .map(|m| m.name.clone());
    }
    info
}
