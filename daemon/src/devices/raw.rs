//! Character devices that reach a device's data without its block device, which of them belong
//! to a given USB or block device, and which the allow map opens when that device is authorized.
//!
//! The `cgroup/dev` program denies, inside the scope, every block device not in the allow map and
//! every character device whose major is in [`super::raw_majors::denied_char_majors`]. The paths a
//! careful attacker tries, and how each is closed:
//!
//! | path | how it is closed |
//! | --- | --- |
//! | `/dev/sg*` (char 21) | major denied; SG_IO there sends any SCSI command, WRITE included |
//! | `/dev/bsg/*` (dynamic "bsg") | major denied, same reason |
//! | `/dev/bus/usb/*` (char 189) | major denied; opened per device only for printers and smart card readers (CUPS and pcscd use libusb), never for storage: usbfs can send raw mass-storage commands |
//! | `/dev/usb/*` (char 180: `lp*`, `hiddev*`) | major denied; `lp*` of an allowed printer opened |
//! | `/dev/hidraw*` (dynamic "hidraw") | major denied: raw HID reports carry data both ways (a "keyboard" can be a 64 KB/s channel); typing goes through evdev (char 13), which stays open |
//! | `/dev/ng*` (dynamic "nvme-generic"), `/dev/nvme*` controllers ("nvme") | majors denied: NVMe passthrough reads and writes any namespace |
//! | `/dev/usbmon*` (dynamic "usbmon") | major denied: it sees every USB transfer, approved media and card PINs included |
//! | `/dev/st*`, `/dev/nst*` (char 9), `/dev/sch*` (char 86) | majors denied: tapes and changers are media the block layer never sees |
//! | `/dev/raw/*` (char 162) | major denied (raw block I/O; gone since Linux 5.14) |
//! | `/dev/vfio/*`, `/dev/uio*` (dynamic) | majors denied: a USB host controller handed to user space bypasses USB authorization |
//! | `/dev/fw*` (dynamic "firewire") | major denied: raw FireWire, DMA-capable |
//! | `/dev/sr*` (block 11) | block default-deny: optical discs are media |
//! | `/dev/loop-control` + LOOP_SET_FD | the new loop device is judged on arrival ([`super::internal::loop_is_internal`]); one backed by a device node is never internal, and opening the node it wraps is checked |
//! | `/dev/mapper/control`, md, bcache | a new stacked device is internal only if all its slaves are; the kernel opens the slaves for the calling task through the block layer, where the device-cgroup check that sees `mount(2)` sits (to be confirmed by the guest test) |
//! | `/dev/fuse` | not a path to a device: a FUSE server must open the device itself, and is checked |
//! | `/dev/uhid`, `/dev/uinput` | create input devices, not read media: out of scope (keystroke injection needs root in the scope already) |
//! | `/dev/mem`, `/dev/kmem`, `/dev/port` | out of scope: memory, not a device's data; lockdown (integrity, as on our machines) refuses them |
//! | `/dev/ttyUSB*`, `/dev/ttyACM*` | their devices are refused at USB authorization; explicitly allowed ones need them |
//!
//! One hole this module cannot close: a process with CAP_SYS_RAWIO may send SG_IO write commands
//! through a block device opened **read-only** (the kernel's SCSI command filter lets
//! CAP_SYS_RAWIO through). Read-only media therefore need CAP_SYS_RAWIO dropped from the scope, or
//! a BPF LSM `file_ioctl` hook where the kernel supports it.
//!
//! Dynamic majors are only known once the driver registered them: the daemon re-reads
//! `/proc/devices` when a module is loaded (uevent `SUBSYSTEM=module`).

use std::path::{Path, PathBuf};

use airgapd_ebpf::abi;

use super::block::BlockDevice;
use super::sysfs::{self, read_opt};
use super::usb::UsbDevice;
use super::usb_class::UsbCategory;
use super::usb_decide::DecisionBasis;
use super::DeviceError;

/// Access bits of the allow map (the `cgroup/dev` access mask).
pub const ACCESS_READ: u32 = abi::AIRGAP_ACC_READ;
/// See [`ACCESS_READ`].
pub const ACCESS_WRITE: u32 = abi::AIRGAP_ACC_WRITE;
/// See [`ACCESS_READ`].
pub const ACCESS_MKNOD: u32 = abi::AIRGAP_ACC_MKNOD;

/// Block or character device: the one the kernel maps are written with.
pub use crate::maps::DevType;

/// An allow map entry: device and access mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AllowEntry {
    /// Block or character.
    pub kind: DevType,
    /// Major number.
    pub major: u32,
    /// Minor number.
    pub minor: u32,
    /// [`ACCESS_READ`] | [`ACCESS_WRITE`] | [`ACCESS_MKNOD`].
    pub access: u32,
}

impl AllowEntry {
    /// The rule this entry becomes in the kernel's device map.
    pub fn rule(&self) -> (crate::maps::DevMatch, crate::maps::DevAccess) {
        let m = crate::maps::DevMatch::device(self.kind, self.major, self.minor);
        (m, crate::maps::DevAccess(self.access))
    }
}

/// What kind of raw character node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RawKind {
    /// `/dev/sgN`.
    ScsiGeneric,
    /// `/dev/bsg/H:C:T:L`.
    Bsg,
    /// `/dev/bus/usb/BBB/DDD`.
    UsbDevice,
    /// `/dev/usb/lpN`, `/dev/usb/hiddevN`, ...
    UsbMisc,
    /// `/dev/hidrawN`.
    Hidraw,
    /// `/dev/ngXnY`.
    NvmeGeneric,
    /// `/dev/nvmeX`.
    NvmeController,
    /// Any other character device under the device (input event nodes, ttys): its subsystem.
    Other(String),
}

/// A character node found in sysfs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawNode {
    /// What it is.
    pub kind: RawKind,
    /// Its sysfs name ("sg0", "0:0:0:0", "2-1", "hidraw0").
    pub name: String,
    /// Major number.
    pub major: u32,
    /// Minor number.
    pub minor: u32,
    /// Its real sysfs directory.
    pub sys_path: PathBuf,
}

/// A character device and what it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharOwner {
    /// The node itself.
    pub node: RawNode,
    /// The USB device it is part of, if any.
    pub usb_device: Option<PathBuf>,
    /// Whole-disk block devices of the same hardware ("sda" for sg0).
    pub block_devices: Vec<String>,
}

/// What the character device (major, minor) is, via `<sysfs_root>/dev/char/MAJ:MIN`; `None` when
/// the kernel has no such device.
pub fn identify_char(
    sysfs_root: &Path,
    major: u32,
    minor: u32,
) -> Result<Option<CharOwner>, DeviceError> {
    let link = sysfs_root.join("dev/char").join(format!("{major}:{minor}"));
    match std::fs::symlink_metadata(&link) {
        Ok(_) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(super::read_error(link)(err)),
    }
    let dir = sysfs::canonical(&link)?;
    let Some(node) = node_at(&dir)? else {
        return Ok(None);
    };
    // sg and bsg sit in <scsi device>/{scsi_generic,bsg}/<name>; ng and nvme in the controller.
    let hardware = match node.kind {
        RawKind::ScsiGeneric | RawKind::Bsg => {
            dir.parent().and_then(Path::parent).map(Path::to_path_buf)
        }
        RawKind::NvmeGeneric => dir.parent().map(Path::to_path_buf),
        _ => Some(dir.clone()),
    };
    let root = sysfs::canonical(sysfs_root)?;
    let mut usb_device = None;
    let mut up = Some(dir.as_path());
    while let Some(d) = up.filter(|d| d.starts_with(&root) && *d != root) {
        if d.join("idVendor").is_file() {
            usb_device = Some(d.to_path_buf());
            break;
        }
        up = d.parent();
    }
    let mut block_devices = Vec::new();
    if let Some(hw) = hardware {
        for name in super::block::block_device_names(sysfs_root)? {
            let path = sysfs::canonical(&root.join("class/block").join(&name))?;
            if path.starts_with(&hw) && !path.join("partition").is_file() {
                block_devices.push(name);
            }
        }
    }
    Ok(Some(CharOwner {
        node,
        usb_device,
        block_devices,
    }))
}

/// The raw nodes reaching a block device's hardware: sg and bsg of a SCSI disk, the controller and
/// generic nodes of an NVMe disk. Media approval never opens them (see the module comment); the
/// daemon uses them to name the device in refusal events.
pub fn raw_paths_for_block(block: &BlockDevice) -> Result<Vec<RawNode>, DeviceError> {
    let disk_dir = if block.partition.is_some() {
        block.sys_path.parent()
    } else {
        Some(block.sys_path.as_path())
    };
    let Some(device_link) = disk_dir
        .map(|d| d.join("device"))
        .filter(|l| std::fs::symlink_metadata(l).is_ok())
    else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    collect_nodes(&sysfs::canonical(&device_link)?, 2, &mut out)?;
    Ok(out)
}

/// Every character node of a USB device: its `/dev/bus/usb` node and those of its interfaces
/// (sg, bsg, hidraw, lp, input, tty, ...), not those of devices behind it if it is a hub.
pub fn raw_paths_for_usb(usb: &UsbDevice) -> Result<Vec<RawNode>, DeviceError> {
    let mut out = Vec::new();
    collect_nodes(&usb.sys_path, 8, &mut out)?;
    Ok(out)
}

/// The allow map entries for the raw nodes of an authorized USB device: printers get their
/// `/dev/bus/usb` and `lp` nodes (CUPS' usb backend uses libusb), smart card readers their
/// `/dev/bus/usb` node (pcscd), explicitly allowed devices their USB, usbmisc and hidraw nodes
/// (security keys use hidraw). Storage, HID and hubs get none: they work through their kernel
/// drivers. Never the mknod bit.
pub fn usb_raw_grants(
    nodes: &[RawNode],
    basis: DecisionBasis,
    categories: &[UsbCategory],
) -> Vec<AllowEntry> {
    let wanted = |kind: &RawKind| match basis {
        DecisionBasis::ExplicitAllow => matches!(
            kind,
            RawKind::UsbDevice | RawKind::UsbMisc | RawKind::Hidraw
        ),
        DecisionBasis::ClassDefault => {
            let printer = categories.contains(&UsbCategory::Printer);
            let reader = categories.contains(&UsbCategory::SmartCard);
            (matches!(kind, RawKind::UsbDevice) && (printer || reader))
                || (matches!(kind, RawKind::UsbMisc) && printer)
        }
        DecisionBasis::RootHub | DecisionBasis::ApprovedMedium | DecisionBasis::Refused => false,
    };
    let mut out: Vec<AllowEntry> = nodes
        .iter()
        .filter(|n| wanted(&n.kind))
        .map(|n| AllowEntry {
            kind: DevType::Char,
            major: n.major,
            minor: n.minor,
            access: ACCESS_READ | ACCESS_WRITE,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Collect character nodes at and below `dir`, without following links, skipping block devices
/// and USB devices below `dir` (the devices behind a hub are judged on their own).
fn collect_nodes(dir: &Path, depth: usize, out: &mut Vec<RawNode>) -> Result<(), DeviceError> {
    if let Some(node) = node_at(dir)? {
        out.push(node);
    }
    if depth == 0 {
        return Ok(());
    }
    for name in sysfs::entry_names(dir)? {
        let child = dir.join(&name);
        let meta = std::fs::symlink_metadata(&child).map_err(super::read_error(&child))?;
        if !meta.is_dir() || name == "power" {
            continue;
        }
        if child.join("idVendor").is_file() {
            continue;
        }
        collect_nodes(&child, depth - 1, out)?;
    }
    Ok(())
}

/// The character node whose sysfs directory is `dir`, if it is one.
fn node_at(dir: &Path) -> Result<Option<RawNode>, DeviceError> {
    let Some(text) = read_opt(&dir.join("dev"))? else {
        return Ok(None);
    };
    let (major, minor) = sysfs::dev_number(&dir.join("dev"), &text)?;
    // The subsystem link names the class; recordings without it fall back to the parent's name,
    // which is the class directory for class devices (".../scsi_generic/sg0").
    let subsystem = match std::fs::read_link(dir.join("subsystem")) {
        Ok(target) => sysfs::file_name(&target),
        Err(_) => dir.parent().map(sysfs::file_name).unwrap_or_default(),
    };
    let kind = match subsystem.as_str() {
        "block" => return Ok(None),
        "scsi_generic" => RawKind::ScsiGeneric,
        "bsg" => RawKind::Bsg,
        "usb" if dir.join("idVendor").is_file() => RawKind::UsbDevice,
        "usbmisc" => RawKind::UsbMisc,
        "hidraw" => RawKind::Hidraw,
        "nvme-generic" => RawKind::NvmeGeneric,
        "nvme" => RawKind::NvmeController,
        other => RawKind::Other(other.to_owned()),
    };
    Ok(Some(RawNode {
        kind,
        name: sysfs::file_name(dir),
        major,
        minor,
        sys_path: dir.to_path_buf(),
    }))
}
