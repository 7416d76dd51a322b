//! Cutting a refused medium off the machine, for filesystems the kernel cannot shut down (FAT;
//! btrfs on kernels without its shutdown): a descriptor opened for writing before the start
//! otherwise goes on writing to the medium, since fanotify has no permission event for writes.
//!
//! The disk itself is made to refuse every further I/O, below the filesystem:
//!
//! - a SCSI disk (USB mass storage and UAS sticks, card readers, SATA) is deleted
//!   (`/sys/block/sdX/device/delete`): the kernel removes the disk and fails every request to
//!   it; the USB device stays plugged in (and refused), and comes back only when it is
//!   plugged in again or root rescans its SCSI host, to be judged again;
//! - a loop device is moved past the end of its image (`LOOP_SET_STATUS64` with an offset
//!   beyond it): its capacity is 0 and every request fails. `LOOP_CLR_FD` cannot do it: on a
//!   device in use it only marks it to be let go at its last close, which a mounted
//!   filesystem never makes.
//!
//! Everything on that disk goes with it, so a disk is cut only when every other partition of
//! it is refused too and none holds what the machine or the daemon needs. Other disks (MMC,
//! NVMe, virtio) are not cut: the record says so.
//!
//! After the cut the filesystem is synced once (`syncfs`): the writes it still caches fail at
//! once, which makes btrfs turn read-only (later writes fail with EROFS) instead of at its next
//! commit. Nothing reaches the medium either way.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use super::walk::Dev;
use crate::devices::probe::PrivateNodes;

/// `LOOP_GET_STATUS64`, `LOOP_SET_STATUS64`.
const LOOP_GET_STATUS64: libc::c_ulong = 0x4C05;
const LOOP_SET_STATUS64: libc::c_ulong = 0x4C04;
/// `struct loop_info64`: its size, and where `lo_offset` is in it.
const LOOP_INFO64_SIZE: usize = 232;
const LO_OFFSET_AT: usize = 24;
/// An offset past the end of any image (2^62 bytes).
const PAST_THE_END: u64 = 1 << 62;

/// The sysfs directory of the disk `dev` is on (`dev` itself when it is a whole disk).
fn disk_of(dev: Dev) -> io::Result<PathBuf> {
    let dir = std::fs::canonicalize(format!("/sys/dev/block/{}:{}", dev.0, dev.1))?;
    if dir.join("partition").exists() {
        return dir
            .parent()
            .map(Path::to_path_buf)
            .ok_or_else(|| io::Error::other("a partition without a disk"));
    }
    Ok(dir)
}

fn dev_file(dir: &Path) -> Option<Dev> {
    let text = std::fs::read_to_string(dir.join("dev")).ok()?;
    let (major, minor) = text.trim().split_once(':')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

fn name_of(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The disk and each of its partitions, with their names.
fn on_disk(disk: &Path) -> Vec<(Dev, String)> {
    let mut out: Vec<(Dev, String)> = dev_file(disk)
        .map(|d| (d, name_of(disk)))
        .into_iter()
        .collect();
    let entries = std::fs::read_dir(disk).into_iter().flatten().flatten();
    for entry in entries {
        let path = entry.path();
        if path.join("partition").exists() {
            if let Some(d) = dev_file(&path) {
                out.push((d, name_of(&path)));
            }
        }
    }
    out
}

/// The other block devices on the disk `dev` is on (the disk and its partitions).
pub fn neighbours(dev: Dev) -> Vec<Dev> {
    disk_of(dev)
        .map(|disk| {
            on_disk(&disk)
                .into_iter()
                .map(|(d, _)| d)
                .filter(|d| *d != dev)
                .collect()
        })
        .unwrap_or_default()
}

/// Cut the disk under the refused filesystem on `dev` off, unless `spared` names a reason to
/// keep one of the other block devices on it. `fs` is a descriptor on the filesystem, synced
/// once the disk is cut. Returns what was done, for the record.
pub fn cut(dev: Dev, fs: &OwnedFd, spared: impl Fn(Dev) -> Option<String>) -> io::Result<String> {
    let disk = disk_of(dev)?;
    let name = name_of(&disk);
    for (other, other_name) in on_disk(&disk) {
        if other == dev {
            continue;
        }
        if let Some(why) = spared(other) {
            return Err(io::Error::other(format!(
                "{other_name}, on the same disk {name}, {why}"
            )));
        }
    }
    let done = if disk.join("device/delete").exists() {
        std::fs::write(disk.join("device/delete"), "1")?;
        format!(
            "its disk {name} was removed from the machine (SCSI delete): nothing more is read \
             from or written to the medium, also through descriptors opened before (what they \
             write fails or goes nowhere); plugging the medium in again brings it back, refused"
        )
    } else if disk.join("loop").is_dir() {
        let whole = dev_file(&disk).ok_or_else(|| io::Error::other("no device number"))?;
        cut_loop(whole, &name)?;
        format!(
            "its loop device {name} was moved past the end of its image (capacity 0): nothing \
             more is read from or written to the image, also through descriptors opened before \
             (what they write fails or goes nowhere)"
        )
    } else {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("the daemon has no way to take the disk {name} away (neither SCSI nor loop)"),
        ));
    };
    // SAFETY: a valid descriptor.
    unsafe { libc::syncfs(fs.as_raw_fd()) };
    Ok(done)
}

fn cut_loop(whole: Dev, name: &str) -> io::Result<()> {
    let file = PrivateNodes::new().open(whole, name)?;
    let mut info = [0u8; LOOP_INFO64_SIZE];
    // SAFETY: the kernel writes a struct loop_info64 into a buffer of its size.
    if unsafe { libc::ioctl(file.as_raw_fd(), LOOP_GET_STATUS64 as _, info.as_mut_ptr()) } < 0 {
        return Err(io::Error::last_os_error());
    }
    info[LO_OFFSET_AT..LO_OFFSET_AT + 8].copy_from_slice(&PAST_THE_END.to_ne_bytes());
    // The kernel may answer EAGAIN while it still has pages of the device to drop: retry.
    for _ in 0..20 {
        // SAFETY: the kernel reads a struct loop_info64 from a buffer of its size.
        if unsafe { libc::ioctl(file.as_raw_fd(), LOOP_SET_STATUS64 as _, info.as_ptr()) } == 0 {
            let size = std::fs::read_to_string(format!("/sys/block/{name}/size"))?;
            if size.trim() != "0" {
                return Err(io::Error::other(format!(
                    "its capacity is {} sectors still",
                    size.trim()
                )));
            }
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EAGAIN) {
            return Err(e);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Err(io::Error::from_raw_os_error(libc::EAGAIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_disk_of_the_root_filesystem_is_found_with_its_partitions() {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata("/").unwrap();
        let dev = (libc::major(m.dev()), libc::minor(m.dev()));
        let Ok(disk) = disk_of(dev) else {
            return; // a root without a block device (a container)
        };
        assert!(on_disk(&disk).iter().any(|(d, _)| *d == dev));
    }
}
