//! `[usb]` and `[capture]`: USB device classes, and specific devices allowed by id.

use std::fmt;

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Allowed.
    Allow,
    /// Denied.
    Deny,
}

impl Decision {
    /// The spelling used in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        }
    }

    /// True for [`Decision::Allow`].
    pub fn is_allow(self) -> bool {
        self == Decision::Allow
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// USB devices by class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usb {
    /// Keyboards and mice (allowed by default, and logged when they arrive).
    pub hid: Decision,
    /// Printers.
    pub printers: Decision,
    /// Devices of any other class that no rule names. Always [`Decision::Deny`] today; typed as
    /// a decision so a later policy version can widen it without an API change.
    pub authorize_default: Decision,
    /// Devices allowed whatever their class, e.g. a smart-card reader.
    pub allow: Vec<UsbDevice>,
}

/// Cameras, microphones and radios (law 29/2018 art. 5 cl. 8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// Every camera.
    pub camera: Decision,
    /// Every microphone.
    pub microphone: Decision,
    /// Every radio: Wi-Fi, Bluetooth.
    pub radio: Decision,
    /// Specific capture devices allowed even where their class is denied.
    pub allow: Vec<UsbDevice>,
}

/// A specific USB device, named by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbDevice {
    /// Human name, for logs.
    pub name: String,
    /// USB vendor id.
    pub vendor_id: u16,
    /// USB product id.
    pub product_id: u16,
    /// If given, only the device with this exact serial number matches.
    pub serial: Option<String>,
}

impl UsbDevice {
    /// True if a device with these ids (and serial, as the device reports it) is this one.
    pub fn matches(&self, vendor_id: u16, product_id: u16, serial: Option<&str>) -> bool {
        self.vendor_id == vendor_id
            && self.product_id == product_id
            && self
                .serial
                .as_deref()
                .is_none_or(|wanted| serial == Some(wanted))
    }
}
