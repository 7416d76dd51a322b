//! The block devices under a btrfs filesystem.
//!
//! btrfs can span several devices, so its superblock has an anonymous device number (major 0)
//! of its own: mountinfo's field 3 and `st_dev` never name the stick it is on. The kernel's own
//! list ties the two: `BTRFS_IOC_FS_INFO` on any descriptor of the filesystem gives its fsid,
//! and `/sys/fs/btrfs/<fsid>/devices/` holds a link to each of its block devices in sysfs,
//! whose `dev` is the device number. Neither the mount's source nor the device paths btrfs
//! remembers (both are what root typed) are used.

use std::io;
use std::os::fd::AsRawFd;

/// A device number.
pub type Dev = (u32, u32);

/// `_IOR(0x94, 31, struct btrfs_ioctl_fs_info_args)`, 1024 bytes; the fsid at offset 16.
const BTRFS_IOC_FS_INFO: libc::c_ulong = 0x8400_941f;
const FS_INFO_SIZE: usize = 1024;
const FSID_AT: usize = 16;

/// The filesystem type name btrfs mounts show in mountinfo.
pub const FSTYPE: &str = "btrfs";

/// The fsid of the btrfs filesystem `fd` is on, as sysfs names it (lower-case UUID).
pub fn fsid(fd: &impl AsRawFd) -> io::Result<String> {
    let mut args = vec![0u8; FS_INFO_SIZE];
    // SAFETY: the kernel writes a struct btrfs_ioctl_fs_info_args into a buffer of its size.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), BTRFS_IOC_FS_INFO as _, args.as_mut_ptr()) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(super::fsprobe::uuid_text(&args[FSID_AT..FSID_AT + 16]))
}

/// The block devices of the btrfs filesystem `fd` is on, from the kernel's own list.
pub fn devices(fd: &impl AsRawFd) -> io::Result<Vec<Dev>> {
    let dir = format!("/sys/fs/btrfs/{}/devices", fsid(fd)?);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let text = std::fs::read_to_string(entry?.path().join("dev"))?;
        let dev = text
            .trim()
            .split_once(':')
            .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
        if let Some(dev) = dev {
            out.push(dev);
        }
    }
    out.sort_unstable();
    Ok(out)
}
