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
