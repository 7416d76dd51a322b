//! Why a device was decided so, as a catalog key with its arguments (issue 18).
//!
//! The daemon's own reason is an English sentence (the journal's MESSAGE, stderr). Readers of
//! other languages get the same reason from the translation catalogs: the decision carries a
//! [`ReasonRef`], the key of a `reason-*` message and its arguments, and `airgapctl` renders it
//! in the reader's language, the English sentence being the fallback when the catalog lacks the
//! key (an older client, a newer daemon). USB categories travel as keys (`network`, `keyboard`)
//! and are put into words by the reader's catalog too (`usb-category-*`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::usb_class::{CaptureKind, HidKind, PhoneKind, UsbCategory};

/// The argument names ending in this hold a list of USB category keys, comma-separated.
pub const CATEGORIES_SUFFIX: &str = "_cats";

/// A reason as a catalog key (`reason-{key}`) and its arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonRef {
    /// The message key without its `reason-` prefix; empty: no translatable reason.
    pub key: String,
    /// Named arguments.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
}

impl ReasonRef {
    /// The reason `key` without arguments.
    pub fn new(key: &str) -> ReasonRef {
        ReasonRef {
            key: key.into(),
            args: BTreeMap::new(),
        }
    }

    /// With the argument `name` set to `value`.
    pub fn arg(mut self, name: &str, value: impl Into<String>) -> ReasonRef {
        self.args.insert(name.into(), value.into());
        self
    }

    /// With the argument `{name}_cats` set to the keys of `categories` (duplicates dropped).
    pub fn categories(mut self, name: &str, categories: &[UsbCategory]) -> ReasonRef {
        let mut keys: Vec<&str> = categories.iter().map(|c| category_key(*c)).collect();
        keys.dedup();
        self.args
            .insert(format!("{name}{CATEGORIES_SUFFIX}"), keys.join(","));
        self
    }

    /// The form carried in records and on D-Bus: JSON, or empty for no reason.
    pub fn encode(&self) -> String {
        if self.key.is_empty() {
            return String::new();
        }
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Back from [`ReasonRef::encode`]; None for empty or malformed text (the English reason
    /// is shown then).
    pub fn decode(text: &str) -> Option<ReasonRef> {
        if text.is_empty() {
            return None;
        }
        serde_json::from_str::<ReasonRef>(text)
            .ok()
            .filter(|r| !r.key.is_empty())
    }
}

/// The key of a USB category in the catalogs (`usb-category-{key}`).
pub fn category_key(category: UsbCategory) -> &'static str {
    match category {
        UsbCategory::Storage => "storage",
        UsbCategory::Hid(HidKind::Keyboard) => "keyboard",
        UsbCategory::Hid(HidKind::Mouse) => "mouse",
        UsbCategory::Hid(HidKind::Other) => "input",
        UsbCategory::Hub => "hub",
        UsbCategory::Printer => "printer",
        UsbCategory::Network => "network",
        UsbCategory::Serial => "serial",
        UsbCategory::Wireless => "wireless",
        UsbCategory::Bluetooth => "bluetooth",
        UsbCategory::Phone(PhoneKind::Mtp) => "phone-mtp",
        UsbCategory::Phone(PhoneKind::Ptp) => "phone-ptp",
        UsbCategory::Capture(CaptureKind::Audio) => "audio",
        UsbCategory::Capture(CaptureKind::Video) => "video",
        UsbCategory::SmartCard => "smartcard",
        UsbCategory::VendorSpecific => "vendor",
        UsbCategory::Unknown => "unknown",
    }
}

/// Every category, for the catalogs' completeness test.
pub const ALL_CATEGORIES: [UsbCategory; 17] = [
    UsbCategory::Storage,
    UsbCategory::Hid(HidKind::Keyboard),
    UsbCategory::Hid(HidKind::Mouse),
    UsbCategory::Hid(HidKind::Other),
    UsbCategory::Hub,
    UsbCategory::Printer,
    UsbCategory::Network,
    UsbCategory::Serial,
    UsbCategory::Wireless,
    UsbCategory::Bluetooth,
    UsbCategory::Phone(PhoneKind::Mtp),
    UsbCategory::Phone(PhoneKind::Ptp),
    UsbCategory::Capture(CaptureKind::Audio),
    UsbCategory::Capture(CaptureKind::Video),
    UsbCategory::SmartCard,
    UsbCategory::VendorSpecific,
    UsbCategory::Unknown,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_what_it_did_not_write() {
        let r = ReasonRef::new("usb-refused")
            .arg("first", "network")
            .categories("also", &[UsbCategory::Storage, UsbCategory::Storage]);
        let text = r.encode();
        assert_eq!(ReasonRef::decode(&text), Some(r.clone()));
        assert_eq!(r.args["also_cats"], "storage");
        assert_eq!(ReasonRef::decode(""), None);
        assert_eq!(ReasonRef::decode("{\"key\":\"\"}"), None);
        assert_eq!(ReasonRef::decode("refused: not json"), None);
        assert_eq!(ReasonRef::default().encode(), "");
    }
}
