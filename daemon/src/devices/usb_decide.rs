//! Authorize or refuse a USB device, judged by all its interfaces.
//!
//! Order of the checks, and why:
//! 1. Root hubs are the host controller: always authorized (refusing one would cut every device).
//! 2. A device that declares no interface at all cannot be judged: refused.
//! 3. Storage together with anything else is refused as a whole, whatever the policy says: a
//!    "stick" that is also a keyboard types commands (BadUSB), and a keyboard with a storage
//!    interface carries data past the media check. Explicit allows do not override this, because
//!    vendor/product/serial are chosen by the device and can be copied from an allowed one.
//! 4. Storage alone is governed by `[[media]]` only (`approved`); see [`super::usb`] for the two
//!    steps of approval. Explicit allows do not apply to it.
//! 5. A device named in the policy's explicit allow list is authorized.
//! 6. Any refused category refuses the device: network, serial, radio, phone, capture,
//!    vendor-specific, unknown; HID, printers and smart card readers when the policy turns them off.
//! 7. What is left (keyboards, mice, other HID, hubs, printers, smart card readers) is authorized
//!    by default and recorded on arrival.
//!
//! Smart card readers are allowed by default: officials authenticate with their card, so refusing
//! readers would lock people out of the machine much like refusing keyboards; a card holds
//! kilobytes reached only through APDUs, not a file system; and the reader is judged with the rest
//! of the device, so a token that also declares flash storage is refused by rule 3.

use serde::Serialize;

use super::reason::ReasonRef;
use super::usb::UsbDevice;
use super::usb_class::{classify, CaptureKind, HidKind, PhoneKind, UsbCategory};

/// A device the policy allows by identity, whatever its classes (rule 3 and 4 aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbAllow {
    /// The policy entry's name, reported as the deciding rule.
    pub name: String,
    /// `idVendor` to match.
    pub vendor_id: u16,
    /// `idProduct` to match.
    pub product_id: u16,
    /// Serial to match exactly; `None` matches any serial.
    pub serial: Option<String>,
}

/// The USB part of the policy, as the daemon fills it from the validated policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbRules {
    /// Keyboards, mice and other HID devices may be authorized.
    pub hid_allowed: bool,
    /// Printers may be authorized.
    pub printers_allowed: bool,
    /// Smart card readers may be authorized.
    pub smartcards_allowed: bool,
    /// Devices allowed by identity.
    pub explicit_allow: Vec<UsbAllow>,
}

impl Default for UsbRules {
    /// Input devices, printers and smart card readers allowed; nothing named.
    fn default() -> Self {
        UsbRules {
            hid_allowed: true,
            printers_allowed: true,
            smartcards_allowed: true,
            explicit_allow: Vec::new(),
        }
    }
}

/// What to write to the device's `authorized` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// Write 1: drivers may bind.
    Authorize,
    /// Leave (or set) 0.
    Refuse,
}

/// Which check decided; the daemon uses it to pick the raw paths to open ([`super::raw`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DecisionBasis {
    /// A root hub of the machine's own controller.
    RootHub,
    /// Storage matching a `[[media]]` entry at the USB level.
    ApprovedMedium,
    /// Named in the explicit allow list.
    ExplicitAllow,
    /// Only default-allowed classes.
    ClassDefault,
    /// Refused.
    Refused,
}

/// The decision, with words for the official reading the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsbDecision {
    /// Authorize or refuse.
    pub verdict: Verdict,
    /// Plain-language reason, starting with "authorized:" or "refused:".
    pub reason: String,
    /// The same reason for the translation catalogs.
    pub reason_ref: ReasonRef,
    /// "default" or the name of the policy entry that decided.
    pub rule: String,
    /// Record the arrival even though nothing was refused (every device but root hubs).
    pub log_arrival: bool,
    /// Which check decided.
    pub basis: DecisionBasis,
    /// The device's categories, for the record.
    pub categories: Vec<UsbCategory>,
}

impl UsbDecision {
    /// Only keyboards, mice, other HID and hubs: at start-up such a present device is kept even
    /// when the policy turns HID off, so that the machine's keyboard is never locked out (see
    /// [`super::usb`], "Start-up").
    pub fn input_only(&self) -> bool {
        !self.categories.is_empty()
            && self
                .categories
                .iter()
                .all(|c| matches!(c, UsbCategory::Hid(_) | UsbCategory::Hub))
    }
}

/// Decide on `dev`. `approved` returns the name of the `[[media]]` entry whose USB-level fields
/// (vendor, product, serial) match, if any.
pub fn decide(
    dev: &UsbDevice,
    rules: &UsbRules,
    approved: impl Fn(&UsbDevice) -> Option<String>,
) -> UsbDecision {
    let classification = classify(dev);
    let categories = classification.categories();
    let decision =
        |verdict, (reason, reason_ref): (String, ReasonRef), rule: &str, basis| UsbDecision {
            verdict,
            reason,
            reason_ref,
            rule: rule.to_owned(),
            log_arrival: basis != DecisionBasis::RootHub,
            basis,
            categories: categories.clone(),
        };
    let refuse = |reason: (String, ReasonRef)| {
        decision(Verdict::Refuse, reason, "default", DecisionBasis::Refused)
    };

    if dev.is_root_hub() {
        let reason = (
            "authorized: the USB controller's own root hub, part of this PC".to_owned(),
            ReasonRef::new("usb-root-hub"),
        );
        return decision(
            Verdict::Authorize,
            reason,
            "default",
            DecisionBasis::RootHub,
        );
    }
    if classification.interfaces.is_empty() {
        return refuse((
            "refused: the device does not say what kind of device it is (it declares no interface)"
                .into(),
            ReasonRef::new("usb-no-interface"),
        ));
    }
    let others: Vec<UsbCategory> = categories
        .iter()
        .copied()
        .filter(|c| *c != UsbCategory::Storage)
        .collect();
    if categories.contains(&UsbCategory::Storage) {
        if !others.is_empty() {
            return refuse((
                format!(
                    "refused: this device presents itself as a memory stick or disk and also as {}; a storage \
                     device with other functions is refused as a whole (a stick that types keystrokes is a known attack)",
                    join(&others)
                ),
                ReasonRef::new("usb-storage-and-more").categories("others", &others),
            ));
        }
        return match approved(dev) {
            Some(name) => decision(
                Verdict::Authorize,
                (
                    format!("authorized: approved medium \"{name}\"; its contents stay locked until its full identity is checked"),
                    ReasonRef::new("usb-approved-medium").arg("name", &name),
                ),
                &name,
                DecisionBasis::ApprovedMedium,
            ),
            None => refuse((
                format!(
                    "refused: this is a memory stick or disk ({}) that is not on the list of approved media",
                    id_words(dev)
                ),
                match &dev.serial {
                    Some(serial) => ReasonRef::new("usb-storage-not-approved").arg("serial", serial),
                    None => ReasonRef::new("usb-storage-not-approved-no-serial"),
                }
                .arg("vendor", format!("{:04x}", dev.vendor_id))
                .arg("product", format!("{:04x}", dev.product_id)),
            )),
        };
    }
    if let Some(allow) = rules.explicit_allow.iter().find(|a| allow_matches(a, dev)) {
        let reason = (
            format!(
                "authorized: named in the policy as \"{}\" ({})",
                allow.name,
                join(&categories)
            ),
            ReasonRef::new("usb-named")
                .arg("name", &allow.name)
                .categories("what", &categories),
        );
        return decision(
            Verdict::Authorize,
            reason,
            &allow.name,
            DecisionBasis::ExplicitAllow,
        );
    }
    let mut refused: Vec<UsbCategory> = categories
        .iter()
        .copied()
        .filter(|c| !allowed(*c, rules))
        .collect();
    refused.sort_by_key(|c| priority(*c));
    if let Some(first) = refused.first() {
        let rest: Vec<UsbCategory> = categories.iter().copied().filter(|c| c != first).collect();
        let also = if rest.is_empty() {
            String::new()
        } else {
            format!(" (it also declares {})", join(&rest))
        };
        let mut reason_ref = ReasonRef::new("usb-refused")
            .categories("first", &[*first])
            .arg("classes", dev.interface_classes().join(", "));
        if !rest.is_empty() {
            reason_ref = reason_ref.categories("also", &rest);
        }
        return refuse((
            format!(
                "refused: this device is {}; {}{also}",
                words(*first),
                why_refused(*first, dev)
            ),
            reason_ref,
        ));
    }
    let reason = (
        format!(
            "authorized: this device is {}; keyboards, mice, hubs, printers and smart card readers are allowed and recorded",
            join(&categories)
        ),
        ReasonRef::new("usb-allowed-kind").categories("what", &categories),
    );
    decision(
        Verdict::Authorize,
        reason,
        "default",
        DecisionBasis::ClassDefault,
    )
}

fn allow_matches(allow: &UsbAllow, dev: &UsbDevice) -> bool {
    allow.vendor_id == dev.vendor_id
        && allow.product_id == dev.product_id
        && allow
            .serial
            .as_ref()
            .is_none_or(|s| dev.serial.as_ref() == Some(s))
}

fn allowed(category: UsbCategory, rules: &UsbRules) -> bool {
    match category {
        UsbCategory::Hid(_) => rules.hid_allowed,
        UsbCategory::Printer => rules.printers_allowed,
        UsbCategory::SmartCard => rules.smartcards_allowed,
        UsbCategory::Hub => true,
        _ => false,
    }
}

/// Which refused category names the device in the reason: the most telling one first.
fn priority(category: UsbCategory) -> u8 {
    match category {
        UsbCategory::Phone(_) => 0,
        UsbCategory::Network => 1,
        UsbCategory::Serial => 2,
        UsbCategory::Bluetooth => 3,
        UsbCategory::Wireless => 4,
        UsbCategory::Capture(CaptureKind::Video) => 5,
        UsbCategory::Capture(CaptureKind::Audio) => 6,
        UsbCategory::SmartCard => 7,
        UsbCategory::Printer => 8,
        UsbCategory::Hid(_) => 9,
        UsbCategory::VendorSpecific => 10,
        UsbCategory::Unknown => 11,
        UsbCategory::Storage | UsbCategory::Hub => 12,
    }
}

/// The category in words an official can read.
pub fn words(category: UsbCategory) -> &'static str {
    match category {
        UsbCategory::Storage => "a memory stick or disk",
        UsbCategory::Hid(HidKind::Keyboard) => "a keyboard",
        UsbCategory::Hid(HidKind::Mouse) => "a mouse",
        UsbCategory::Hid(HidKind::Other) => "an input device",
        UsbCategory::Hub => "a USB hub",
        UsbCategory::Printer => "a printer",
        UsbCategory::Network => "a network adapter (phone tethering or USB Ethernet)",
        UsbCategory::Serial => "a serial port or modem",
        UsbCategory::Wireless => "a wireless controller",
        UsbCategory::Bluetooth => "a Bluetooth adapter",
        UsbCategory::Phone(PhoneKind::Mtp) => "a phone offering file transfer (MTP)",
        UsbCategory::Phone(PhoneKind::Ptp) => "a phone or camera offering picture transfer (PTP)",
        UsbCategory::Capture(CaptureKind::Audio) => "a microphone or other sound recording device",
        UsbCategory::Capture(CaptureKind::Video) => "a camera or other video recording device",
        UsbCategory::SmartCard => "a smart card reader",
        UsbCategory::VendorSpecific => "a manufacturer-specific device",
        UsbCategory::Unknown => "an unknown kind of device",
    }
}

fn why_refused(category: UsbCategory, dev: &UsbDevice) -> String {
    match category {
        UsbCategory::Network => "network devices are not allowed on this drafting PC".into(),
        UsbCategory::Serial => {
            "serial links to other equipment are not allowed on this drafting PC".into()
        }
        UsbCategory::Wireless | UsbCategory::Bluetooth => {
            "radio devices are not allowed on this drafting PC".into()
        }
        UsbCategory::Phone(_) => {
            "phones and cameras may not exchange files with this drafting PC".into()
        }
        UsbCategory::Capture(_) => "recording devices are not allowed on this drafting PC".into(),
        UsbCategory::VendorSpecific => {
            "what it does cannot be checked (USB Ethernet, Wi-Fi and serial adapters \
            look like this), so it is allowed only when the policy names it"
                .into()
        }
        UsbCategory::Unknown => format!(
            "only known kinds of device are allowed (USB classes {})",
            dev.interface_classes().join(", ")
        ),
        UsbCategory::SmartCard => "the policy does not allow smart card readers".into(),
        UsbCategory::Printer => "the policy does not allow printers".into(),
        UsbCategory::Hid(_) => {
            "the policy does not allow new keyboards, mice or other input devices".into()
        }
        UsbCategory::Storage | UsbCategory::Hub => "it is not allowed".into(),
    }
}

fn join(categories: &[UsbCategory]) -> String {
    let mut parts: Vec<&str> = categories.iter().map(|c| words(*c)).collect();
    parts.dedup();
    match parts.split_last() {
        None => "nothing".into(),
        Some((last, [])) => (*last).into(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

fn id_words(dev: &UsbDevice) -> String {
    let serial = dev
        .serial
        .as_deref()
        .map_or("no serial".to_owned(), |s| format!("serial {s}"));
    format!(
        "vendor {:04x}, product {:04x}, {serial}",
        dev.vendor_id, dev.product_id
    )
}
