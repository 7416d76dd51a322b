//! The character majors the `cgroup/dev` program denies inside the scope unless the allow map
//! names the exact (major, minor): see [`super::raw`] for what each one reaches.
//!
//! Some majors are fixed by the kernel (`Documentation/admin-guide/devices.txt`) and are denied
//! whether or not their driver is loaded yet, since a module can load at any time (sg loads on the
//! first SCSI device). The others are allocated at registration and read from `/proc/devices`.

use serde::Serialize;

use super::DeviceError;

/// A character major to deny by default, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeniedMajor {
    /// The major number.
    pub major: u32,
    /// The driver's name in `/proc/devices`.
    pub name: String,
    /// What it would reach, in words.
    pub why: &'static str,
}

/// Drivers whose nodes reach device data around the block layer or the USB authorization:
/// name in `/proc/devices`, fixed major if the kernel assigns one, and why.
const RAW_DRIVERS: &[(&str, Option<u32>, &str)] = &[
    ("st", Some(9), "SCSI tape drives"),
    ("sg", Some(21), "SCSI generic: any SCSI command to any disk"),
    ("ch", Some(86), "SCSI media changers"),
    ("raw", Some(162), "raw block I/O (kernels before 5.14)"),
    (
        "usb",
        Some(180),
        "USB class nodes: printers (lp), raw HID (hiddev)",
    ),
    (
        "usb_device",
        Some(189),
        "raw USB device nodes (/dev/bus/usb: libusb, MTP)",
    ),
    ("bsg", None, "block SCSI generic: any SCSI command"),
    ("usbmon", None, "USB traffic capture of every bus"),
    ("hidraw", None, "raw HID reports, a data channel both ways"),
    ("nvme-generic", None, "NVMe namespace passthrough (ng)"),
    ("nvme", None, "NVMe controller passthrough"),
    (
        "vfio",
        None,
        "PCI devices, USB controllers included, handed to user space",
    ),
    ("uio", None, "devices driven from user space"),
    ("firewire", None, "raw FireWire, DMA-capable"),
];

/// `/proc/devices`: the character and block sections as (major, name) pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcDevices {
    /// "Character devices:" section.
    pub char: Vec<(u32, String)>,
    /// "Block devices:" section.
    pub block: Vec<(u32, String)>,
}

/// Parse `/proc/devices` text.
pub fn parse_proc_devices(text: &str) -> Result<ProcDevices, DeviceError> {
    let mut out = ProcDevices::default();
    let mut section: Option<&mut Vec<(u32, String)>> = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        match trimmed {
            "" => continue,
            "Character devices:" => section = Some(&mut out.char),
            "Block devices:" => section = Some(&mut out.block),
            _ => {
                let bad = || DeviceError::ProcDevices {
                    line: index + 1,
                    text: line.to_owned(),
                };
                let (major, name) = trimmed.split_once(' ').ok_or_else(bad)?;
                let major = major.parse().map_err(|_| bad())?;
                section
                    .as_mut()
                    .ok_or_else(bad)?
                    .push((major, name.trim().to_owned()));
            }
        }
    }
    Ok(out)
}

/// The raw-path drivers registered with an allocated major, as `/proc/devices` lists them now.
pub fn dynamic_char_majors(proc_devices_text: &str) -> Result<Vec<DeniedMajor>, DeviceError> {
    let devices = parse_proc_devices(proc_devices_text)?;
    let mut out = Vec::new();
    for (name, fixed, why) in RAW_DRIVERS.iter().filter(|(_, fixed, _)| fixed.is_none()) {
        for (major, registered) in &devices.char {
            if registered == name && Some(*major) != *fixed {
                out.push(DeniedMajor {
                    major: *major,
                    name: (*name).to_owned(),
                    why,
                });
            }
        }
    }
    out.sort_by_key(|d| d.major);
    Ok(out)
}

/// Every character major to deny by default: the fixed ones always, plus the dynamic ones
/// registered now. Sorted by major, one entry per major.
pub fn denied_char_majors(proc_devices_text: &str) -> Result<Vec<DeniedMajor>, DeviceError> {
    let mut out: Vec<DeniedMajor> = RAW_DRIVERS
        .iter()
        .filter_map(|(name, fixed, why)| {
            fixed.map(|major| DeniedMajor {
                major,
                name: (*name).to_owned(),
                why,
            })
        })
        .collect();
    out.extend(dynamic_char_majors(proc_devices_text)?);
    out.sort_by_key(|d| d.major);
    out.dedup_by_key(|d| d.major);
    Ok(out)
}
