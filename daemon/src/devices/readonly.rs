//! Read-only media marked read-only in the kernel (`BLKROSET`), and that mark watched.
//!
//! The device rule alone makes an approved read-only medium refuse opens for writing, but the
//! kernel does not know the medium is read-only: `lsblk` says RO 0, so mount(8) and udisks do
//! not mount it read-only by themselves, a read-only mount of a dirty ext4 replays its journal
//! (writing the medium), and `mount -o remount,rw` of a mounted one succeeds, since a remount
//! never opens the device again. With the block device's own read-only flag set, the kernel
//! refuses all three: `reconfigure_super` and ext4's journal recovery check `bdev_read_only`.
//!
//! The flag belongs to one `block_device`: the whole disk's flag does not cover its partitions,
//! nor a partition's its disk, so every block device that reaches the medium's data is marked
//! ([`targets`]). A partition made later (a partition table re-read, `BLKPG`) comes with its
//! flag clear and is marked when it appears, before anything can be granted on it.
//!
//! Root can clear the flag again (`BLKROSET 0` on a read-only descriptor, CAP_SYS_ADMIN). Where
//! BPF LSM loads, `media_ro.bpf.c` refuses that; where it does not, the daemon reads the flag
//! on every tick ([`is_read_only`], from sysfs, without opening the medium) and sets it again.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

use super::block::BlockDevice;
use super::probe::PrivateNodes;

/// `_IO(0x12, 93)`: set the block device's read-only flag (an `int`: 1 set, 0 clear).
const BLKROSET: libc::c_ulong = 0x125d;

/// Opens block devices for the read-only flag, through a node of the daemon's own.
#[derive(Default)]
pub struct Marker {
    nodes: PrivateNodes,
}

impl std::fmt::Debug for Marker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Marker")
    }
}

impl Marker {
    /// Set (or, for a medium approved read-write that replaced a read-only one, clear) the
    /// read-only flag of block device `devnum`, kernel name `name`. Opened read-only with
    /// `O_NONBLOCK` and fstat-checked (see [`PrivateNodes::open`]); nothing is read.
    pub fn set(&self, devnum: (u32, u32), name: &str, read_only: bool) -> io::Result<()> {
        let file: File = self.nodes.open(devnum, name)?;
        let value: libc::c_int = read_only.into();
        // SAFETY: valid fd; BLKROSET reads one int from the pointer.
        let rc = unsafe { libc::ioctl(file.as_raw_fd(), BLKROSET as _, &value) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// The block devices whose flag a read-only grant of `block` sets: the device; for a partition
/// its whole disk (writing the disk writes the partition); for a whole disk its partitions (a
/// partition over the filesystem's blocks writes them as well). Each with its device number.
pub fn targets(sysfs: &Path, block: &BlockDevice) -> Vec<((u32, u32), String)> {
    let mut out = vec![(block.dev, block.name.clone())];
    let mut add = |name: &str| {
        if name == block.name {
            return;
        }
        if let Ok(b) = BlockDevice::from_sysfs(sysfs, name) {
            out.push((b.dev, b.name));
        }
    };
    if block.partition.is_some() {
        add(&block.disk.clone());
    } else {
        for p in block.partitions().unwrap_or_default() {
            add(&p);
        }
    }
    out
}

/// The kernel's read-only flag of block device `name` as sysfs shows it (`ro`: the device's own
/// flag or the whole disk's write protection). None when the device is gone.
pub fn is_read_only(sysfs: &Path, name: &str) -> Option<bool> {
    let text = std::fs::read_to_string(sysfs.join("class/block").join(name).join("ro")).ok()?;
    Some(text.trim() != "0")
}

/// A mount whose filesystem is on a read-only medium yet read-write (the flag was cleared and
/// the filesystem remounted read-write before the daemon's tick set it again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadWriteMount {
    /// Mount id (mountinfo's first field).
    pub id: u64,
    /// Where it is mounted, as the daemon's mount namespace sees it.
    pub point: String,
    /// The block device.
    pub dev: (u32, u32),
}

/// The mounts in `mountinfo` of the devices `devs` whose filesystem (the superblock options
/// after " - ") is read-write.
pub fn read_write_mounts(mountinfo: &str, devs: &[(u32, u32)]) -> Vec<ReadWriteMount> {
    let mut out = Vec::new();
    for line in mountinfo.lines() {
        let Some((mount, sb)) = line.split_once(" - ") else {
            continue;
        };
        let f: Vec<&str> = mount.split(' ').collect();
        let (Some(id), Some(majmin), Some(point)) = (f.first(), f.get(2), f.get(4)) else {
            continue;
        };
        let dev = majmin
            .split_once(':')
            .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
        let Some(dev) = dev.filter(|d| devs.contains(d)) else {
            continue;
        };
        let rw = sb
            .split(' ')
            .nth(2)
            .is_some_and(|o| o.split(',').next() == Some("rw"));
        if let (true, Ok(id)) = (rw, id.parse()) {
            out.push(ReadWriteMount {
                id,
                point: super::internal::unescape(point),
                dev,
            });
        }
    }
    out
}

/// Make the filesystem of mount `m` read-only again: its superblock only (`fspick` +
/// `fsconfig` "ro" + reconfigure), so that the mount's own attributes (noexec, nosuid) stay as
/// they are; through a handle checked to be that mount (`statx` mount id), never a mount
/// covering it. Fails with EBUSY while files on it are open for writing.
pub fn remount_read_only(m: &ReadWriteMount) -> io::Result<()> {
    use std::os::fd::{AsFd, FromRawFd, OwnedFd};
    const FSPICK_CLOEXEC: libc::c_uint = 1;
    const FSPICK_NO_AUTOMOUNT: libc::c_uint = 4;
    const FSPICK_EMPTY_PATH: libc::c_uint = 8;
    const FSCONFIG_SET_FLAG: libc::c_uint = 0;
    const FSCONFIG_CMD_RECONFIGURE: libc::c_uint = 7;
    let point = crate::register::mounts::open_dir(std::path::Path::new(&m.point), libc::O_PATH)?;
    let top = crate::noexec::remount::mount_id(point.as_fd())?;
    if top != m.id {
        return Err(io::Error::other(format!(
            "{} is covered by another mount ({top})",
            m.point
        )));
    }
    // SAFETY: valid descriptor and empty path; the returned descriptor is owned at once.
    let fs = unsafe {
        libc::syscall(
            libc::SYS_fspick,
            point.as_raw_fd(),
            c"".as_ptr(),
            FSPICK_CLOEXEC | FSPICK_NO_AUTOMOUNT | FSPICK_EMPTY_PATH,
        )
    };
    if fs < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor.
    let fs = unsafe { OwnedFd::from_raw_fd(fs as i32) };
    for (cmd, key) in [
        (FSCONFIG_SET_FLAG, c"ro".as_ptr()),
        (FSCONFIG_CMD_RECONFIGURE, std::ptr::null()),
    ] {
        // SAFETY: valid descriptor; key is a C string or null as the command wants.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_fsconfig,
                fs.as_raw_fd(),
                cmd,
                key,
                std::ptr::null::<libc::c_char>(),
                0,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
