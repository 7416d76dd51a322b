//! What a notice says: the thing refused by its name, why in one plain sentence, what to do;
//! all from the catalog (`notify.ftl`) in the reader's language.

use crate::dbus::{DeviceEntry, ViolationEntry};
use crate::i18n::Catalog;
use crate::tr_in;

/// One notice's words and manner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    /// The title line.
    pub summary: String,
    /// The body: what, why, what to do.
    pub body: String,
    /// Stays until the device leaves (a refused device), instead of expiring.
    pub persistent: bool,
}

impl Words {
    /// The body with how many refusals were folded into the notice.
    pub fn body_with_count(&self, catalog: &Catalog, count: u64) -> String {
        if count > 1 {
            tr_in!(catalog, "notify-count", body = &self.body, count = count)
        } else {
            self.body.clone()
        }
    }
}

/// The `major:minor` of a device refusal's target (`8:16`, or `/dev/sdb ... (8:16)` when the
/// daemon named the device).
pub fn devnum_of(target: &str) -> &str {
    target
        .strip_suffix(')')
        .and_then(|t| t.rsplit_once(" ("))
        .map_or(target, |(_, devnum)| devnum)
}

/// The decisions a notice is for.
pub fn is_refusal(decision: &str) -> bool {
    matches!(decision, "refused" | "blocked")
}

/// A device as its owner knows it: model and serial, else its USB ids, else its node.
pub fn device_name(catalog: &Catalog, d: &DeviceEntry) -> String {
    match (d.model.is_empty(), d.serial.is_empty()) {
        (false, false) => tr_in!(
            catalog,
            "notify-name-model-serial",
            model = &d.model,
            serial = &d.serial
        ),
        (false, true) => d.model.clone(),
        _ if !d.vendor_id.is_empty() => tr_in!(
            catalog,
            "notify-name-usb",
            vendor = &d.vendor_id,
            product = &d.product_id,
            serial = &d.serial
        ),
        _ => d.node.clone(),
    }
}

/// The notice for a refused device.
pub fn device(catalog: &Catalog, d: &DeviceEntry) -> Words {
    let kind = match d.kind.as_str() {
        "camera" | "microphone" | "radio" | "block" | "usb" => d.kind.as_str(),
        _ => "other",
    };
    Words {
        summary: tr_in!(
            catalog,
            "notify-device-summary",
            name = device_name(catalog, d)
        ),
        body: tr_in!(catalog, "notify-device-body", kind = kind),
        persistent: true,
    }
}

/// The notice for a refusal the kernel reported; `device` names the device of a `dev.*`
/// refusal when it is known.
pub fn refusal(catalog: &Catalog, v: &ViolationEntry, device: Option<&DeviceEntry>) -> Words {
    if v.kind == "exec" {
        let file = v.target.rsplit('/').next().unwrap_or(&v.target).to_string();
        return Words {
            summary: tr_in!(catalog, "notify-exec-summary"),
            body: tr_in!(catalog, "notify-exec-body", file = file),
            persistent: false,
        };
    }
    if v.kind.starts_with("dev.") {
        let name = match device {
            Some(d) => device_name(catalog, d),
            None => v.target.clone(),
        };
        return Words {
            summary: tr_in!(catalog, "notify-device-summary", name = name),
            body: tr_in!(catalog, "notify-device-body", kind = "block"),
            persistent: false,
        };
    }
    Words {
        summary: tr_in!(catalog, "notify-network-summary"),
        body: tr_in!(
            catalog,
            "notify-network-body",
            program = &v.comm,
            target = &v.target
        ),
        persistent: false,
    }
}

/// The notice for refusals beyond the few shown separately.
pub fn others(catalog: &Catalog) -> Words {
    Words {
        summary: tr_in!(catalog, "notify-others-summary"),
        body: tr_in!(catalog, "notify-others-body"),
        persistent: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_device_refusal_still_gives_its_number() {
        assert_eq!(devnum_of("8:16"), "8:16");
        assert_eq!(devnum_of("/dev/sdb SanDisk Ultra 4C53 (8:16)"), "8:16");
        assert_eq!(devnum_of("/dev/sdb \"USB (phòng 3)\" (8:17)"), "8:17");
    }
}
