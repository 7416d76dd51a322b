//! The identity of a device as events and journal records carry it, and the part of it that
//! `[[media]]` entries are matched against.
//!
//! Sources, most trusted first: the kernel's USB attributes (read straight from the device's
//! descriptors at enumeration), then udev properties, then the block device's own attributes.
//! udev is user space and its rules can be edited, so when it disagrees with the kernel about
//! vendor, product or serial the kernel wins and the disagreement is logged. Filesystem UUID and
//! label come from udev's probe or from the daemon's own ([`DeviceIdentity::with_filesystem`]).

use std::collections::BTreeMap;

use serde::Serialize;

use super::block::BlockDevice;
use super::usb::UsbDevice;

/// Who a device is, as far as is known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeviceIdentity {
    /// Major and minor of the block device (none for a USB device without one).
    pub dev: Option<(u32, u32)>,
    /// Device node: "/dev/sda1", "/dev/bus/usb/002/002".
    pub node: Option<String>,
    /// USB vendor id.
    pub vendor_id: Option<u16>,
    /// USB product id.
    pub product_id: Option<u16>,
    /// Vendor name: USB manufacturer string, SCSI vendor, or udev `ID_VENDOR`.
    pub vendor: Option<String>,
    /// Model: USB product string, SCSI/NVMe model, or udev `ID_MODEL`.
    pub model: Option<String>,
    /// Serial: USB serial, udev `ID_SERIAL_SHORT`, or the disk's own.
    pub serial: Option<String>,
    /// Bus: "usb", "nvme", "virtio", "ata", "scsi", "mmc", "virtual".
    pub bus: Option<String>,
    /// The sysfs device path: the USB device for USB media, else the hardware or block device.
    pub bus_path: Option<String>,
    /// USB interface classes, "cc/ss/pp" in hex.
    pub interface_classes: Vec<String>,
    /// Filesystem UUID, when probed.
    pub fs_uuid: Option<String>,
    /// Filesystem label, when probed.
    pub fs_label: Option<String>,
}

/// The fields a `[[media]]` entry matches: the policy's own type, filled from a device.
/// `fs_uuid` is lowercased (blkid prints FAT and NTFS serials in upper case).
pub use airgapd_policy::MediaIdentity;

impl DeviceIdentity {
    /// Identity of a USB device on its own (arrival, USB-level refusal).
    pub fn from_usb(usb: &UsbDevice) -> DeviceIdentity {
        DeviceIdentity {
            dev: None,
            node: Some(usb.node()),
            vendor_id: Some(usb.vendor_id),
            product_id: Some(usb.product_id),
            vendor: usb.manufacturer.clone(),
            model: usb.product.clone(),
            serial: usb.serial.clone(),
            bus: Some("usb".into()),
            bus_path: Some(usb_devpath(usb)),
            interface_classes: usb.interface_classes(),
            fs_uuid: None,
            fs_label: None,
        }
    }

    /// Identity of a block device, with its USB parent and udev properties when known.
    pub fn from_block(
        block: &BlockDevice,
        usb: Option<&UsbDevice>,
        udev: Option<&BTreeMap<String, String>>,
    ) -> DeviceIdentity {
        let prop = |key: &str| {
            udev.and_then(|u| u.get(key))
                .filter(|v| !v.is_empty())
                .cloned()
        };
        let prop_hex = |key: &str| prop(key).and_then(|v| u16::from_str_radix(&v, 16).ok());
        let mut id = match usb {
            Some(usb) => {
                check_agrees(
                    block,
                    "vendor id",
                    Some(usb.vendor_id),
                    prop_hex("ID_VENDOR_ID"),
                );
                check_agrees(
                    block,
                    "product id",
                    Some(usb.product_id),
                    prop_hex("ID_MODEL_ID"),
                );
                check_agrees(block, "serial", usb.serial.clone(), prop("ID_SERIAL_SHORT"));
                DeviceIdentity::from_usb(usb)
            }
            None => DeviceIdentity {
                vendor_id: prop_hex("ID_VENDOR_ID"),
                product_id: prop_hex("ID_MODEL_ID"),
                serial: prop("ID_SERIAL_SHORT").or_else(|| block.serial.clone()),
                bus: prop("ID_BUS").or_else(|| Some(bus_of(&block.devpath).into())),
                bus_path: Some(
                    block
                        .bus_path
                        .clone()
                        .unwrap_or_else(|| block.devpath.clone()),
                ),
                ..DeviceIdentity::default()
            },
        };
        id.dev = Some(block.dev);
        id.node = Some(block.node());
        id.vendor = id
            .vendor
            .or_else(|| block.vendor.clone())
            .or_else(|| prop("ID_VENDOR"));
        id.model = id
            .model
            .or_else(|| block.model.clone())
            .or_else(|| prop("ID_MODEL"));
        id.fs_uuid = prop("ID_FS_UUID");
        id.fs_label = prop("ID_FS_LABEL");
        id
    }

    /// Who a device node is, from sysfs alone (for refusal records): a block device with its
    /// USB parent, or a character device with the USB device it hangs from, if any.
    pub fn of_device(
        sysfs: &std::path::Path,
        block: bool,
        major: u32,
        minor: u32,
    ) -> Option<DeviceIdentity> {
        if block {
            let dev = BlockDevice::from_dev(sysfs, major, minor).ok()??;
            let usb = dev.usb_parent().ok().flatten();
            return Some(DeviceIdentity::from_block(&dev, usb.as_ref(), None));
        }
        let dir = std::fs::canonicalize(sysfs.join(format!("dev/char/{major}:{minor}"))).ok()?;
        let name = dir.file_name()?.to_string_lossy().into_owned();
        let usb = dir
            .ancestors()
            .filter(|p| p.join("idVendor").exists())
            .find_map(|p| UsbDevice::from_sysfs(p).ok());
        let mut id = match &usb {
            Some(usb) => DeviceIdentity::from_usb(usb),
            None => DeviceIdentity {
                bus_path: Some(dir.display().to_string()),
                ..DeviceIdentity::default()
            },
        };
        id.dev = Some((major, minor));
        id.node = Some(format!("/dev/{name}"));
        Some(id)
    }

    /// Set the filesystem fields from the daemon's own probe of the superblock.
    pub fn with_filesystem(
        mut self,
        uuid: Option<String>,
        label: Option<String>,
    ) -> DeviceIdentity {
        self.fs_uuid = uuid.or(self.fs_uuid);
        self.fs_label = label.or(self.fs_label);
        self
    }

    /// The fields media entries are matched against.
    pub fn media_identity(&self) -> MediaIdentity {
        MediaIdentity {
            vendor_id: self.vendor_id,
            product_id: self.product_id,
            serial: self.serial.clone(),
            fs_uuid: self.fs_uuid.as_ref().map(|u| u.to_ascii_lowercase()),
            fs_label: self.fs_label.clone(),
        }
    }
}

/// Parse `udevadm info --query=property` output (or the properties of a udev event dumped as
/// KEY=VALUE lines).
pub fn parse_udev_properties(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
        .collect()
}

fn check_agrees<T: PartialEq + std::fmt::Debug>(
    block: &BlockDevice,
    what: &str,
    kernel: Option<T>,
    udev: Option<T>,
) {
    if let (Some(k), Some(u)) = (&kernel, &udev) {
        if k != u {
            tracing::warn!(device = %block.node(), what, kernel = ?k, udev = ?u,
                "udev disagrees with the kernel's USB attributes; using the kernel's");
        }
    }
}

fn usb_devpath(usb: &UsbDevice) -> String {
    // The part from "/devices/" on, whatever root the tree was read from.
    let full = usb.sys_path.display().to_string();
    match full.find("/devices/") {
        Some(at) => full[at..].to_owned(),
        None => full,
    }
}

fn bus_of(devpath: &str) -> &'static str {
    if devpath.contains("/nvme/") {
        "nvme"
    } else if devpath.contains("/virtio") {
        "virtio"
    } else if devpath.contains("/mmc_host/") {
        "mmc"
    } else if devpath.contains("/ata") {
        "ata"
    } else if devpath.contains("/host") {
        "scsi"
    } else if devpath.starts_with("/devices/virtual/") {
        "virtual"
    } else {
        "other"
    }
}
