//! The internal block devices: the ones the allow map opens to everyone from start-up on.
//!
//! Internal means:
//! - the disks holding the filesystems mounted when airgapd starts: the mounted device is followed
//!   down its `slaves/` (LVM on dm-crypt on a partition, md, ...) to the physical devices, and each
//!   of those counts with its whole disk and all its partitions;
//! - every device stacked on internal devices only (`holders/`, to a fixed point): the swap volume
//!   next to the root volume is internal although it is not mounted; a volume group spanning an
//!   internal disk and a USB disk is not;
//! - loop devices, unless the policy declares them removable, or they are backed by another device
//!   node (`losetup /dev/loop1 /dev/sdb` would otherwise launder a stick into an internal device);
//!   zram and RAM disks (their data is memory);
//! - what the policy names (`MAJ:MIN`, `/dev/<name>` or `/dev/mapper/<name>`), treated like a
//!   mounted device but without the external check below. Swap devices (`/proc/swaps`,
//!   [`parse_swaps`]) are passed this way.
//!
//! An external disk (USB, removable, SD card, external port: see [`super::block`]) is **never**
//! internal because it is mounted: a stick that a desktop auto-mounted before airgapd started, or
//! one mounted by an intruder during boot, would otherwise become "internal" for as long as the
//! machine runs. New opens of the device are refused until it is approved as a medium or named
//! in the policy, and at start the daemon makes such a mount unusable and records it at
//! critical priority ([`super::premount`]), once every medium present has been judged. The
//! same holds for a loop device declared removable even if it is mounted (snap images on
//! Ubuntu then need naming).
//!
//! The mounts that count are those of the start: a reload plans with the mount table read at
//! start (issue 17: a medium the daemon granted and a desktop mounted since is neither
//! internal nor a pre-start mount). This module only computes; it says nothing to the
//! officer.
//!
//! Loop devices created after start-up are judged with [`loop_is_internal`] when they appear.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::block::{block_device_names, BlockDevice};
use super::sysfs::parse_maj_min;
use super::DeviceError;

/// One mount from `/proc/self/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Field 3: the device the kernel reports (0:N for virtual and btrfs filesystems).
    pub dev: (u32, u32),
    /// Field 5, unescaped.
    pub mount_point: String,
    /// The filesystem type after the " - " separator.
    pub fstype: String,
    /// The mount source after the filesystem type, unescaped ("/dev/vda1", "tmpfs", ...).
    pub source: String,
}

/// Parse `/proc/self/mountinfo` text.
pub fn parse_mountinfo(text: &str) -> Result<Vec<Mount>, DeviceError> {
    let mut mounts = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let err = |detail| DeviceError::Mountinfo {
            line: index + 1,
            detail,
        };
        let fields: Vec<&str> = line.split(' ').collect();
        // id parent maj:min root mount-point options [optional...] - fstype source super-options
        let sep = fields
            .iter()
            .skip(6)
            .position(|f| *f == "-")
            .map(|p| p + 6)
            .ok_or(err("no \" - \" separator"))?;
        let dev = fields
            .get(2)
            .and_then(|f| parse_maj_min(f))
            .ok_or(err("field 3 is not MAJOR:MINOR"))?;
        let fstype = fields.get(sep + 1).ok_or(err("no filesystem type"))?;
        let source = fields.get(sep + 2).ok_or(err("no mount source"))?;
        mounts.push(Mount {
            dev,
            mount_point: unescape(fields[4]),
            fstype: (*fstype).to_owned(),
            source: unescape(source),
        });
    }
    Ok(mounts)
}

/// The device paths in `/proc/swaps` (swap files are skipped: they live on a mounted filesystem).
pub fn parse_swaps(text: &str) -> Vec<String> {
    text.lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().next())
        .filter(|path| path.starts_with("/dev/"))
        .map(unescape)
        .collect()
}

/// A loop device created now: internal unless the policy declares loops removable or it is
/// backed by a device node rather than a file.
pub fn loop_is_internal(dev: &BlockDevice, loop_removable: bool) -> bool {
    dev.is_loop()
        && !loop_removable
        && !dev
            .loop_backing_file
            .as_deref()
            .is_some_and(|f| f.starts_with("/dev/"))
}

/// The internal devices, as (major, minor) pairs; see the module comment for the rules.
pub fn internal_devices(
    sysfs_root: &Path,
    mountinfo_text: &str,
    loop_removable: bool,
    extra: &[String],
) -> Result<BTreeSet<(u32, u32)>, DeviceError> {
    let mounts = parse_mountinfo(mountinfo_text)?;
    let mut devices = BTreeMap::new();
    for name in block_device_names(sysfs_root)? {
        devices.insert(name.clone(), BlockDevice::from_sysfs(sysfs_root, &name)?);
    }
    let by_dev: BTreeMap<(u32, u32), String> =
        devices.values().map(|d| (d.dev, d.name.clone())).collect();

    let mut roots = BTreeSet::new();
    for mount in &mounts {
        // btrfs (and other multi-device filesystems) report an anonymous 0:N; their source names
        // the device instead.
        let name = match by_dev.get(&mount.dev) {
            Some(name) if mount.dev.0 != 0 => Some(name.clone()),
            _ if mount.source.starts_with("/dev/") => resolve(&devices, &by_dev, &mount.source),
            _ => None,
        };
        let Some(name) = name else { continue };
        for leaf in leaves(&devices, &name) {
            match not_internal(&devices[&leaf], loop_removable) {
                // A medium, not an internal disk: judged as one, and dealt with at start
                // if refused (`super::premount`), never here.
                Some(why) => tracing::debug!(
                    device = %devices[&leaf].node(), mounted = %name, mount_point = %mount.mount_point, why,
                    "mounted but not internal"
                ),
                None => {
                    roots.insert(leaf);
                }
            }
        }
    }
    for dev in devices.values() {
        if loop_is_internal(dev, loop_removable) || dev.name.starts_with("zram") || dev.dev.0 == 1 {
            roots.insert(dev.name.clone());
        }
    }
    for spec in extra {
        match resolve(&devices, &by_dev, spec) {
            Some(name) => roots.extend(leaves(&devices, &name)),
            None => {
                tracing::warn!(device = %spec, "policy names a device that is not on this machine; ignored")
            }
        }
    }

    let mut internal = BTreeSet::new();
    for root in &roots {
        add_family(&devices, root, &mut internal)?;
    }
    // Stacked devices whose every slave is internal are internal too, up to a fixed point.
    loop {
        let candidates: BTreeSet<String> = internal
            .iter()
            .flat_map(|n: &String| devices[n].holders.iter().cloned())
            .filter(|h| !internal.contains(h) && devices.contains_key(h))
            .filter(|h| devices[h].slaves.iter().all(|s| internal.contains(s)))
            .collect();
        if candidates.is_empty() {
            break;
        }
        for holder in &candidates {
            add_family(&devices, holder, &mut internal)?;
        }
    }
    for name in &internal {
        tracing::debug!(device = %devices[name].node(), dev = ?devices[name].dev, "internal block device");
    }
    Ok(internal.iter().map(|n| devices[n].dev).collect())
}

/// Why a physical device under a mount does not make it internal, if it does not.
fn not_internal(dev: &BlockDevice, loop_removable: bool) -> Option<&'static str> {
    if let Some(why) = dev.external {
        return Some(why);
    }
    if dev.is_loop() && !loop_is_internal(dev, loop_removable) {
        return Some(if loop_removable {
            "loop devices are declared removable by the policy"
        } else {
            "a loop device backed by another device node"
        });
    }
    None
}

/// The devices at the bottom of `name`'s `slaves/` chains (itself when it has none).
fn leaves(devices: &BTreeMap<String, BlockDevice>, name: &str) -> BTreeSet<String> {
    let (mut out, mut seen, mut stack) = (BTreeSet::new(), BTreeSet::new(), vec![name.to_owned()]);
    while let Some(current) = stack.pop() {
        if !seen.insert(current.clone()) {
            continue;
        }
        let Some(dev) = devices.get(&current) else {
            continue;
        };
        if dev.slaves.is_empty() {
            out.insert(current);
        } else {
            stack.extend(dev.slaves.iter().cloned());
        }
    }
    out
}

/// `name`, its whole disk and every partition of that disk.
fn add_family(
    devices: &BTreeMap<String, BlockDevice>,
    name: &str,
    into: &mut BTreeSet<String>,
) -> Result<(), DeviceError> {
    let Some(dev) = devices.get(name) else {
        return Ok(());
    };
    into.insert(name.to_owned());
    if devices.contains_key(&dev.disk) {
        into.insert(dev.disk.clone());
    }
    for part in dev.partitions()? {
        if devices.contains_key(&part) {
            into.insert(part);
        }
    }
    Ok(())
}

/// "MAJ:MIN", "/dev/<name>" or "/dev/mapper/<name>" to a kernel name. Links such as
/// `/dev/disk/by-uuid/...` must be resolved by the caller (they live in the real `/dev`).
pub(crate) fn resolve(
    devices: &BTreeMap<String, BlockDevice>,
    by_dev: &BTreeMap<(u32, u32), String>,
    spec: &str,
) -> Option<String> {
    if let Some(dev) = parse_maj_min(spec) {
        return by_dev.get(&dev).cloned();
    }
    let rest = spec.strip_prefix("/dev/")?;
    if let Some(dm) = rest.strip_prefix("mapper/") {
        return devices
            .values()
            .find(|d| d.dm_name.as_deref() == Some(dm))
            .map(|d| d.name.clone());
    }
    devices.contains_key(rest).then(|| rest.to_owned())
}

/// Undo the octal escapes (`\040` for space, ...) the kernel writes in mountinfo and swaps.
pub(crate) fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)))
            .and_then(|d| {
                u8::try_from(d.iter().fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0'))).ok()
            });
        match octal {
            Some(byte) => {
                out.push(byte);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
