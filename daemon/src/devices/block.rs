//! A block device as sysfs shows it (`/sys/class/block/<name>`), and where it is attached.
//!
//! "Where" matters more than "what": a disk is external when any ancestor of its sysfs directory
//! is a USB device, when the kernel flags it removable, when it is an SD card, or when it hangs
//! below a PCI port the firmware marks as external (Thunderbolt/USB4 enclosures look like ordinary
//! NVMe otherwise). [`super::internal`] never counts an external disk as internal because of a
//! mount.

use std::path::{Path, PathBuf};

use super::sysfs::{self, read_opt, read_req};
use super::usb::UsbDevice;
use super::DeviceError;

/// Major number of loop devices.
pub const LOOP_MAJOR: u32 = 7;

/// A block device: a whole disk, a partition, or a stacked device (dm, md, loop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockDevice {
    /// Kernel name: "sda1", "nvme0n1", "dm-0", "loop0".
    pub name: String,
    /// Major and minor (`dev`).
    pub dev: (u32, u32),
    /// The real sysfs directory.
    pub sys_path: PathBuf,
    /// The device path below the sysfs root, "/devices/...", as uevents and udev name it.
    pub devpath: String,
    /// The whole disk this is a partition of, or its own name.
    pub disk: String,
    /// Partition number, for partitions.
    pub partition: Option<u32>,
    /// The whole disk's `removable` flag.
    pub removable: bool,
    /// `ro`.
    pub read_only: bool,
    /// `size`, in 512-byte sectors.
    pub size_sectors: u64,
    /// Devices this one is built on (`slaves/`): the crypt device under an LVM volume, ...
    pub slaves: Vec<String>,
    /// Devices built on this one (`holders/`).
    pub holders: Vec<String>,
    /// The hardware device below the sysfs root ("/devices/pci.../0:0:0:0"), none for virtual ones.
    pub bus_path: Option<String>,
    /// The USB device the disk hangs from, if any.
    pub usb_device: Option<PathBuf>,
    /// Why the disk is external, if it is (see the module comment).
    pub external: Option<&'static str>,
    /// `loop/backing_file` of a bound loop device.
    pub loop_backing_file: Option<String>,
    /// `dm/name` of a device-mapper device (what `/dev/mapper/<name>` is called).
    pub dm_name: Option<String>,
    /// Vendor reported by the disk (SCSI `vendor`).
    pub vendor: Option<String>,
    /// Model reported by the disk (SCSI or NVMe `model`).
    pub model: Option<String>,
    /// Serial reported by the disk (NVMe or virtio `serial`).
    pub serial: Option<String>,
}

impl BlockDevice {
    /// Read `<sysfs_root>/class/block/<name>`.
    pub fn from_sysfs(sysfs_root: &Path, name: &str) -> Result<BlockDevice, DeviceError> {
        const KIND: &str = "block";
        let root = sysfs::canonical(sysfs_root)?;
        let sys_path = sysfs::canonical(&root.join("class/block").join(name))?;
        let dev_path = sys_path.join("dev");
        let dev = sysfs::dev_number(&dev_path, &read_req(&dev_path, KIND)?)?;
        let partition = match read_opt(&sys_path.join("partition"))? {
            Some(text) => Some(sysfs::dec(&sys_path.join("partition"), &text)?),
            None => None,
        };
        // A partition's directory sits inside its disk's; the disk carries the hardware attributes.
        let disk_path = match partition {
            Some(_) => sys_path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| sys_path.clone()),
            None => sys_path.clone(),
        };
        let flag = |path: PathBuf| -> Result<bool, DeviceError> {
            Ok(match read_opt(&path)? {
                Some(text) => sysfs::dec::<u8>(&path, &text)? != 0,
                None => false,
            })
        };
        let removable = flag(disk_path.join("removable"))?;
        let size_path = sys_path.join("size");
        let size_sectors = sysfs::dec(&size_path, &read_req(&size_path, KIND)?)?;
        // Virtual devices (loop, dm, zram) have no `device` link.
        let hardware = match std::fs::symlink_metadata(disk_path.join("device")) {
            Ok(_) => Some(sysfs::canonical(&disk_path.join("device"))?),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(err) => return Err(super::read_error(disk_path.join("device"))(err)),
        };
        let (usb_device, port_external, sd_card) = attachment(&root, &disk_path)?;
        let external = if usb_device.is_some() {
            Some("attached over USB")
        } else if removable {
            Some("marked removable by the kernel")
        } else if sd_card {
            Some("an SD memory card")
        } else if port_external {
            Some("attached through an external port (Thunderbolt, USB4, ExpressCard)")
        } else {
            None
        };
        let text = |dir: &Option<PathBuf>, file: &str| -> Result<Option<String>, DeviceError> {
            Ok(match dir {
                Some(dir) => read_opt(&dir.join(file))?.filter(|s| !s.is_empty()),
                None => None,
            })
        };
        let serial = match text(&hardware, "serial")? {
            Some(s) => Some(s),
            None => read_opt(&disk_path.join("serial"))?.filter(|s| !s.is_empty()),
        };
        Ok(BlockDevice {
            name: name.to_owned(),
            dev,
            devpath: below(&root, &sys_path),
            disk: sysfs::file_name(&disk_path),
            partition,
            removable,
            read_only: flag(sys_path.join("ro"))?,
            size_sectors,
            slaves: sysfs::entry_names(&sys_path.join("slaves"))?,
            holders: sysfs::entry_names(&sys_path.join("holders"))?,
            bus_path: hardware.as_deref().map(|h| below(&root, h)),
            usb_device,
            external,
            loop_backing_file: read_opt(&sys_path.join("loop/backing_file"))?,
            dm_name: read_opt(&sys_path.join("dm/name"))?,
            vendor: text(&hardware, "vendor")?,
            model: text(&hardware, "model")?,
            serial,
            sys_path,
        })
    }

    /// The block device (major, minor), as a refusal event names it; `None` when there is none
    /// (it may have left already).
    pub fn from_dev(
        sysfs_root: &Path,
        major: u32,
        minor: u32,
    ) -> Result<Option<BlockDevice>, DeviceError> {
        let link = sysfs_root
            .join("dev/block")
            .join(format!("{major}:{minor}"));
        let target = match std::fs::read_link(&link) {
            Ok(target) => target,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(super::read_error(link)(err)),
        };
        BlockDevice::from_sysfs(sysfs_root, &sysfs::file_name(&target)).map(Some)
    }

    /// A loop device (major 7).
    pub fn is_loop(&self) -> bool {
        self.dev.0 == LOOP_MAJOR
    }

    /// Its node under `/dev`.
    pub fn node(&self) -> String {
        format!("/dev/{}", self.name)
    }

    /// The names of the partitions of this device's whole disk, sorted.
    pub fn partitions(&self) -> Result<Vec<String>, DeviceError> {
        let disk_path = if self.partition.is_some() {
            self.sys_path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| self.sys_path.clone())
        } else {
            self.sys_path.clone()
        };
        let mut out = Vec::new();
        for name in sysfs::entry_names(&disk_path)? {
            if disk_path.join(&name).join("partition").is_file() {
                out.push(name);
            }
        }
        Ok(out)
    }

    /// The USB device the disk hangs from, read afresh.
    pub fn usb_parent(&self) -> Result<Option<UsbDevice>, DeviceError> {
        self.usb_device
            .as_deref()
            .map(UsbDevice::from_sysfs)
            .transpose()
    }
}

/// The names in `<sysfs_root>/class/block`, sorted.
pub fn block_device_names(sysfs_root: &Path) -> Result<Vec<String>, DeviceError> {
    sysfs::entry_names(&sysfs_root.join("class/block"))
}

/// Walk the ancestors of a disk's directory up to the sysfs root: the nearest USB device (it has
/// `idVendor`), whether a port on the way is marked "removable" (PCI external-facing ports, USB
/// ports), and whether it is an SD card (`type` "SD" on the MMC card device).
fn attachment(root: &Path, disk_path: &Path) -> Result<(Option<PathBuf>, bool, bool), DeviceError> {
    let (mut usb, mut port_external, mut sd_card) = (None, false, false);
    let mut dir = disk_path.parent();
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) {
            break;
        }
        if usb.is_none() && d.join("idVendor").is_file() {
            usb = Some(d.to_path_buf());
        }
        if read_opt(&d.join("removable"))?.as_deref() == Some("removable") {
            port_external = true;
        }
        if matches!(read_opt(&d.join("type"))?.as_deref(), Some("SD" | "SDIO")) {
            sd_card = true;
        }
        dir = d.parent();
    }
    Ok((usb, port_external, sd_card))
}

/// `path` below the sysfs root, with a leading "/": "/devices/virtual/block/loop0".
fn below(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rest) => format!("/{}", rest.display()),
        Err(_) => path.display().to_string(),
    }
}
