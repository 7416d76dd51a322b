//! What each USB interface is, from its class triple (USB-IF defined class codes) and, for the
//! one case where the class says nothing, its interface string (MTP).
//!
//! Smart card readers (class 0b, CCID) get their own category, allowed by default like keyboards
//! (see [`super::usb_decide`] for why), and judged with the rest of the device: a "reader" that
//! also declares storage or a network function is refused as a whole.

use serde::Serialize;

use super::usb::{UsbDevice, UsbInterface};

/// Kinds of human input device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum HidKind {
    /// Boot-protocol keyboard (03/01/01).
    Keyboard,
    /// Boot-protocol mouse (03/01/02).
    Mouse,
    /// Any other HID interface: media keys, touchpads, security keys, vendor HID.
    Other,
}

/// Kinds of phone/camera file transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum PhoneKind {
    /// Picture Transfer Protocol: still-image class 06/01/01 (cameras, phones in PTP mode).
    Ptp,
    /// Media Transfer Protocol: a vendor-specific interface whose string says "MTP", or the
    /// still-image interface of a phone that also declares one.
    Mtp,
}

/// Kinds of capture device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum CaptureKind {
    /// Audio class 01: microphones, headsets, audio interfaces.
    Audio,
    /// Video class 0e, audio/video class 10, USB3 Vision: webcams, grabbers.
    Video,
}

/// The category of one interface (or of the device's own class triple).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum UsbCategory {
    /// Mass storage (08): sticks, disks, card readers.
    Storage,
    /// Human input (03).
    Hid(HidKind),
    /// Hub (09).
    Hub,
    /// Printer (07).
    Printer,
    /// Network adapter: CDC ECM/NCM/EEM/MBIM (02), CDC data (0a), RNDIS (e0/01/03, ef/04/xx).
    Network,
    /// Serial port or modem: CDC ACM (02/02).
    Serial,
    /// Wireless controller (e0) other than Bluetooth and RNDIS.
    Wireless,
    /// Bluetooth (e0/01/01, AMP e0/01/04).
    Bluetooth,
    /// Phone or camera file transfer.
    Phone(PhoneKind),
    /// Microphone or camera.
    Capture(CaptureKind),
    /// Smart card reader (0b, CCID).
    SmartCard,
    /// Vendor-specific (ff): its purpose cannot be told from the descriptors.
    VendorSpecific,
    /// Any other or invalid class: DFU (fe/01), billboard (11), diagnostic (dc), 00, ...
    Unknown,
}

/// Every interface of a device with its category, and the device-level category when the device
/// declares one (bDeviceClass other than 00 "per interface" and ef "miscellaneous/IAD").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbClassification {
    /// The category of the device's own class triple, if it has one.
    pub device: Option<UsbCategory>,
    /// Each interface with its category, in descriptor order.
    pub interfaces: Vec<(UsbInterface, UsbCategory)>,
}

impl UsbClassification {
    /// The distinct categories, device level included, sorted.
    pub fn categories(&self) -> Vec<UsbCategory> {
        let mut all: Vec<UsbCategory> = self
            .device
            .into_iter()
            .chain(self.interfaces.iter().map(|(_, c)| *c))
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

/// Classify every interface of `dev`.
pub fn classify(dev: &UsbDevice) -> UsbClassification {
    // A phone that declares both a still-image interface and an "MTP" one speaks MTP over the
    // still-image interface too; say so instead of "camera".
    let speaks_mtp = dev.interfaces.iter().any(names_mtp);
    let interfaces = dev
        .interfaces
        .iter()
        .map(|i| {
            let mut category = category_of(i.class, i.subclass, i.protocol, names_mtp(i));
            if speaks_mtp && category == UsbCategory::Phone(PhoneKind::Ptp) {
                category = UsbCategory::Phone(PhoneKind::Mtp);
            }
            (i.clone(), category)
        })
        .collect();
    let (class, subclass, protocol) = dev.class;
    let device = match class {
        // 00: "see the interfaces"; ef/02/01: interface association, again per interface.
        0x00 | 0xef => None,
        _ => Some(category_of(class, subclass, protocol, false)),
    };
    UsbClassification { device, interfaces }
}

fn names_mtp(i: &UsbInterface) -> bool {
    i.name
        .as_deref()
        .is_some_and(|n| n.to_ascii_uppercase().contains("MTP"))
}

/// The category of one class triple (codes from the USB-IF "Defined Class Codes" list).
pub fn category_of(class: u8, subclass: u8, protocol: u8, names_mtp: bool) -> UsbCategory {
    use UsbCategory::*;
    match (class, subclass, protocol) {
        (0x01, _, _) => Capture(CaptureKind::Audio),
        (0x02, 0x02, _) => Serial,
        (0x02, _, _) | (0x0a, _, _) => Network,
        (0x03, 0x01, 0x01) => Hid(HidKind::Keyboard),
        (0x03, 0x01, 0x02) => Hid(HidKind::Mouse),
        (0x03, _, _) => Hid(HidKind::Other),
        (0x06, 0x01, _) if names_mtp => Phone(PhoneKind::Mtp),
        (0x06, 0x01, _) => Phone(PhoneKind::Ptp),
        (0x07, _, _) => Printer,
        (0x08, _, _) => Storage,
        (0x09, _, _) => Hub,
        (0x0b, _, _) => SmartCard,
        (0x0e, _, _) | (0x10, _, _) | (0xef, 0x05, _) => Capture(CaptureKind::Video),
        (0xe0, 0x01, 0x01) | (0xe0, 0x01, 0x04) => Bluetooth,
        (0xe0, 0x01, 0x03) | (0xef, 0x04, _) => Network,
        (0xe0, _, _) => Wireless,
        (0xff, _, _) if names_mtp => Phone(PhoneKind::Mtp),
        (0xff, _, _) => VendorSpecific,
        _ => Unknown,
    }
}
