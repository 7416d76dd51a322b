//! A USB device as sysfs shows it (`/sys/bus/usb/devices/<bus>-<port>`).
//!
//! # Authorization, and when an approved stick's identity is known
//!
//! The kernel's USB authorization works per device: with `authorized_default` = 0 on every root
//! hub, a new device is enumerated (its descriptors and strings are read, so vendor, product,
//! serial and interface classes are all visible here) but never configured, so no driver binds to
//! it until the daemon writes 1 to its `authorized`. The filesystem UUID and label of a stick live
//! on the medium, which can only be read once usb-storage has bound, that is *after* authorization.
//! So approval of a stick happens in two steps, and only the second one opens its data:
//!
//! 1. **USB level** ([`super::usb_decide::decide`]): a device whose interfaces are all mass
//!    storage is authorized when its vendor/product/serial match a `[[media]]` entry (an entry
//!    that names filesystem fields only matches any stick at this step: it cannot be checked yet).
//!    Its block devices then appear but are **not** in the `cgroup/dev` allow map: scoped
//!    processes, udevd's probing included when udevd is in scope, are refused.
//! 2. **Block level** (daemon): the daemon, which runs outside the scope, reads the filesystem
//!    superblock (or udev's `ID_FS_*` when udevd is outside the scope), builds the full
//!    [`super::identity::MediaIdentity`] and matches it again against the entry found in step 1,
//!    with every field given. Only on a full match do the disk and partitions enter the allow map,
//!    with the entry's access mask. On a mismatch the daemon writes 0 to `authorized` again, which
//!    removes the block devices altogether, and records the refusal.
//!
//! Between the steps the medium is readable by nothing in the scope: the raw paths
//! ([`super::raw`]: sg, bsg, `/dev/bus/usb`) are denied by default as well.
//!
//! # Start-up
//!
//! Order matters so that nothing slips through and no keyboard is locked out: first write 0 to
//! `authorized_default` of every root hub (from then on new devices wait for a decision), then
//! judge the devices already present with the same decision. A present device that is HID only
//! stays authorized even when the policy turns HID off (logged instead): it may be the only
//! keyboard of the machine, and it was there before airgapd. Devices arriving while airgapd is
//! down stay unauthorized until it is back, because `authorized_default` stays 0.

use std::path::{Path, PathBuf};

use super::sysfs::{self, read_opt, read_req};
use super::{usb_descriptors, DeviceError};

/// Major number of `/dev/bus/usb/BBB/DDD` nodes (`usb_device` in `/proc/devices`).
pub const USB_DEVICE_MAJOR: u32 = 189;

/// One interface (one alternate setting of it) of one configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbInterface {
    /// `bConfigurationValue` of the configuration it belongs to.
    pub config: u8,
    /// `bInterfaceNumber`.
    pub number: u8,
    /// `bAlternateSetting`.
    pub alt: u8,
    /// `bInterfaceClass`.
    pub class: u8,
    /// `bInterfaceSubClass`.
    pub subclass: u8,
    /// `bInterfaceProtocol`.
    pub protocol: u8,
    /// The interface string (`interface` file, e.g. "MTP"); only a configured device has it.
    pub name: Option<String>,
}

/// A USB device, with every interface it declares in any configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbDevice {
    /// The device's real sysfs directory.
    pub sys_path: PathBuf,
    /// Its kernel name: "2-1", "1-3.1", or "usb1" for a root hub.
    pub name: String,
    /// `idVendor`.
    pub vendor_id: u16,
    /// `idProduct`.
    pub product_id: u16,
    /// `serial`, as the device reports it (absent for many keyboards and mice).
    pub serial: Option<String>,
    /// `manufacturer` string.
    pub manufacturer: Option<String>,
    /// `product` string.
    pub product: Option<String>,
    /// `bDeviceClass`, `bDeviceSubClass`, `bDeviceProtocol`.
    pub class: (u8, u8, u8),
    /// `busnum`.
    pub busnum: u32,
    /// `devnum`.
    pub devnum: u32,
    /// Major and minor of its `/dev/bus/usb` node.
    pub dev: (u32, u32),
    /// `authorized`: 1 once configured and open to drivers.
    pub authorized: bool,
    /// Every interface of every configuration, from the raw descriptors and, when configured,
    /// the interface directories.
    pub interfaces: Vec<UsbInterface>,
}

impl UsbDevice {
    /// Read a USB device directory (`.../usb2/2-1`, or a `bus/usb/devices/2-1` link to it).
    pub fn from_sysfs(dir: &Path) -> Result<UsbDevice, DeviceError> {
        const KIND: &str = "USB";
        let sys_path = sysfs::canonical(dir)?;
        let name = sysfs::file_name(&sys_path);
        let attr = |file: &str| sys_path.join(file);
        let hex_attr = |file: &str| -> Result<u8, DeviceError> {
            let path = attr(file);
            sysfs::hex(&path, &read_req(&path, KIND)?)
        };
        let dec_attr = |file: &str| -> Result<u32, DeviceError> {
            let path = attr(file);
            sysfs::dec(&path, &read_req(&path, KIND)?)
        };
        let vendor_path = attr("idVendor");
        let vendor_id = sysfs::hex(&vendor_path, &read_req(&vendor_path, KIND)?)?;
        let product_path = attr("idProduct");
        let product_id = sysfs::hex(&product_path, &read_req(&product_path, KIND)?)?;
        let class = (
            hex_attr("bDeviceClass")?,
            hex_attr("bDeviceSubClass")?,
            hex_attr("bDeviceProtocol")?,
        );
        let busnum = dec_attr("busnum")?;
        let devnum = dec_attr("devnum")?;
        let dev = match read_opt(&attr("dev"))? {
            Some(text) => sysfs::dev_number(&attr("dev"), &text)?,
            // The usb core numbers nodes this way; `dev` is only missing in trimmed recordings.
            None => (
                USB_DEVICE_MAJOR,
                (busnum.saturating_sub(1)) * 128 + devnum.saturating_sub(1),
            ),
        };
        let authorized_path = attr("authorized");
        let authorized = match read_req(&authorized_path, KIND)?.as_str() {
            "0" => false,
            "1" => true,
            other => {
                return Err(DeviceError::Parse {
                    path: authorized_path,
                    value: other.to_owned(),
                    expected: "0 or 1",
                })
            }
        };
        let interfaces = read_interfaces(&sys_path, &name)?;
        Ok(UsbDevice {
            vendor_id,
            product_id,
            serial: read_opt(&attr("serial"))?,
            manufacturer: read_opt(&attr("manufacturer"))?,
            product: read_opt(&attr("product"))?,
            class,
            busnum,
            devnum,
            dev,
            authorized,
            interfaces,
            name,
            sys_path,
        })
    }

    /// A root hub ("usbN") is the host controller itself, part of the machine.
    pub fn is_root_hub(&self) -> bool {
        self.name.starts_with("usb")
    }

    /// The device node libusb and MTP tools open: `/dev/bus/usb/BBB/DDD`.
    pub fn node(&self) -> String {
        format!("/dev/bus/usb/{:03}/{:03}", self.busnum, self.devnum)
    }

    /// The distinct interface class triples, "cc/ss/pp" in hex, in descriptor order.
    pub fn interface_classes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for i in &self.interfaces {
            let text = format!("{:02x}/{:02x}/{:02x}", i.class, i.subclass, i.protocol);
            if !out.contains(&text) {
                out.push(text);
            }
        }
        out
    }
}

/// Interfaces from the raw descriptors, completed with what the interface directories add (the
/// interface strings). The raw descriptors are authoritative because they exist before
/// authorization; directories only add, never remove, so a mismatch can only refuse more.
fn read_interfaces(sys_path: &Path, name: &str) -> Result<Vec<UsbInterface>, DeviceError> {
    let desc_path = sys_path.join("descriptors");
    let mut interfaces = match std::fs::read(&desc_path) {
        Ok(bytes) => usb_descriptors::parse(&desc_path, &bytes)?
            .interfaces
            .into_iter()
            .map(|r| UsbInterface {
                config: r.config,
                number: r.number,
                alt: r.alt,
                class: r.class,
                subclass: r.subclass,
                protocol: r.protocol,
                name: None,
            })
            .collect(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(err) => return Err(super::read_error(&desc_path)(err)),
    };
    // Interface directories are named "<device>:<config>.<number>", a root hub's "<bus>-0:1.0".
    let prefix = match name.strip_prefix("usb") {
        Some(bus) => format!("{bus}-0:"),
        None => format!("{name}:"),
    };
    for entry in sysfs::entry_names(sys_path)? {
        let Some((config, number)) = entry
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split_once('.'))
        else {
            continue;
        };
        let dir = sys_path.join(&entry);
        let num_err = || DeviceError::Parse {
            path: dir.clone(),
            value: entry.clone(),
            expected: "an interface directory named <device>:<config>.<number>",
        };
        let config: u8 = config.parse().map_err(|_| num_err())?;
        let number: u8 = number.parse().map_err(|_| num_err())?;
        let hex_attr = |file: &str| -> Result<u8, DeviceError> {
            let path = dir.join(file);
            sysfs::hex(&path, &read_req(&path, "USB interface")?)
        };
        let (class, subclass, protocol) = (
            hex_attr("bInterfaceClass")?,
            hex_attr("bInterfaceSubClass")?,
            hex_attr("bInterfaceProtocol")?,
        );
        let alt = match read_opt(&dir.join("bAlternateSetting"))? {
            Some(text) => sysfs::dec(&dir.join("bAlternateSetting"), &text)?,
            None => 0,
        };
        let iname = read_opt(&dir.join("interface"))?;
        let known = interfaces.iter_mut().find(|i| {
            (i.config, i.number, i.class, i.subclass, i.protocol)
                == (config, number, class, subclass, protocol)
        });
        match known {
            Some(i) => i.name = i.name.take().or(iname),
            None => interfaces.push(UsbInterface {
                config,
                number,
                alt,
                class,
                subclass,
                protocol,
                name: iname,
            }),
        }
    }
    Ok(interfaces)
}
