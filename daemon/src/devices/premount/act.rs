//! What the daemon does to a refused medium's filesystem: shut it down, detach its mounts,
//! find who still holds files on it; and what it never does (the machine's own root, `/usr`,
//! swap, or where the daemon keeps its records).

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::walk::{Dev, Place, ScopeView};
use crate::noexec::remount;

/// `FS_IOC_SHUTDOWN` (`_IOR('X', 125, __u32)`: ext4, XFS, f2fs, exFAT and others).
const FS_IOC_SHUTDOWN: libc::c_ulong = 0x8004_587d;
/// Shut down without writing the journal or the data still cached: nothing more reaches the
/// refused medium (`EXT4_GOING_FLAGS_NOLOGFLUSH`, `XFS_FSOP_GOING_FLAGS_NOLOGFLUSH`,
/// `EXFAT_GOING_DOWN_NOSYNC`: the same value in each). A journaled filesystem replays its
/// journal at its next mount, as after a power cut.
const SHUTDOWN_NOSYNC: u32 = 2;

fn dev_of(meta: &std::fs::Metadata) -> Dev {
    (libc::major(meta.dev()), libc::minor(meta.dev()))
}

/// The swap areas in use: each path in `/proc/swaps` and its metadata.
fn swaps() -> Vec<(String, std::fs::Metadata)> {
    let swaps = std::fs::read_to_string("/proc/swaps").unwrap_or_default();
    swaps
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .map(crate::devices::internal::unescape)
        .filter_map(|p| std::fs::metadata(&p).ok().map(|m| (p, m)))
        .collect()
}

/// Why the block device `dev` must be left alone, if it must: it is swap in use.
pub fn swap_on(dev: Dev) -> Option<String> {
    swaps().into_iter().find_map(|(path, m)| {
        let node = (libc::major(m.rdev()), libc::minor(m.rdev()));
        (m.file_type_is_block() && node == dev).then(|| format!("it holds swap in use ({path})"))
    })
}

/// Why the filesystem whose device number is `dev` must be left usable, if it must: taking it
/// away would stop the machine (root, `/usr`, a swap file) or blind the daemon's records
/// (`keep`: the files the daemon writes). A swap partition is [`swap_on`].
pub fn essential(dev: Dev, keep: &[PathBuf]) -> Option<String> {
    let on = |p: &Path| std::fs::metadata(p).is_ok_and(|m| dev_of(&m) == dev);
    for (path, what) in [
        ("/proc/1/root", "the root filesystem of the machine"),
        ("/proc/1/root/usr", "/usr of the machine"),
        ("/", "the daemon's root filesystem"),
        ("/proc/self/exe", "the daemon's own program"),
    ] {
        if on(Path::new(path)) {
            return Some(format!("it holds {what}"));
        }
    }
    if let Some((path, _)) = swaps().into_iter().find(|(_, m)| dev_of(m) == dev) {
        return Some(format!("it holds swap in use ({path})"));
    }
    // A loop device reading an image from it (a live system's root image on its CD or stick):
    // refusing those reads, or shutting it down, would take the loop device's data away too.
    let loops = std::fs::read_dir("/sys/block")
        .into_iter()
        .flatten()
        .flatten();
    for entry in loops {
        let backing = entry.path().join("loop/backing_file");
        let Ok(file) = std::fs::read_to_string(&backing) else {
            continue;
        };
        let file = file.trim_end();
        if on(Path::new(file)) {
            let name = entry.file_name().to_string_lossy().into_owned();
            return Some(format!("it holds the image {file} of loop device {name}"));
        }
    }
    for path in keep {
        let dir = path.parent().unwrap_or(path);
        if on(path) || on(dir) {
            return Some(format!(
                "the daemon keeps its records there ({})",
                path.display()
            ));
        }
    }
    None
}

trait BlockType {
    fn file_type_is_block(&self) -> bool;
}

impl BlockType for std::fs::Metadata {
    fn file_type_is_block(&self) -> bool {
        use std::os::unix::fs::FileTypeExt;
        self.file_type().is_block_device()
    }
}

/// Open the root of a mount of the filesystem on `dev`, through the namespace's own view
/// (`/proc/PID/root/POINT`), and check on the descriptor that it is that filesystem.
pub fn open_fs(place: &Place, dev: Dev) -> io::Result<OwnedFd> {
    let rel = place.point.strip_prefix("/").unwrap_or(&place.point);
    let path = Path::new(&format!("/proc/{}/root", place.pid)).join(rel);
    let fd = crate::register::mounts::open_dir(&path, libc::O_RDONLY)?;
    let st = crate::register::mounts::statx_fd(&fd)?;
    let found = (st.stx_dev_major, st.stx_dev_minor);
    if found != dev {
        return Err(io::Error::other(format!(
            "{} leads to {}:{} now",
            place.point.display(),
            found.0,
            found.1
        )));
    }
    Ok(fd)
}

/// Shut the filesystem `fd` is on down: every read, write, open and new mapping of it fails
/// from now on, also through descriptors opened long ago. `Ok(false)`: the filesystem has no
/// shutdown (FAT).
pub fn shutdown(fd: &OwnedFd) -> io::Result<bool> {
    let flags = SHUTDOWN_NOSYNC;
    // SAFETY: the ioctl reads one u32 from a valid pointer.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), FS_IOC_SHUTDOWN as _, &raw const flags) };
    if rc == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::ENOTTY | libc::EOPNOTSUPP | libc::EINVAL) => Ok(false),
        _ => Err(e),
    }
}

/// What became of a mount the daemon tried to detach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detach {
    /// Detached (lazily: what is still in use stays alive for its users, unreachable by path).
    Done,
    /// Gone already: detached with another mount (a parent, or a peer whose unmount
    /// propagated here).
    Gone,
    /// Its mount point leads to another mount (`top`): covered, or gone already with a
    /// mount above it.
    Covered {
        /// The mount the point leads to.
        top: u64,
    },
}

/// Detach the mount `place` in its own namespace (entered from a thread of the daemon's),
/// checking first, on a descriptor of the mount point, that the path leads to that mount.
pub fn detach(place: &Place) -> io::Result<Detach> {
    let ns = File::open(format!("/proc/{}/ns/mnt", place.pid))?;
    let point = place.point.clone();
    let id = u64::from(place.id);
    remount::in_namespace(ns, move || {
        let c = CString::new(point.as_os_str().as_bytes())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        // SAFETY: `c` is a valid C string.
        let fd = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh descriptor owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let top = remount::mount_id(std::os::fd::AsFd::as_fd(&fd))?;
        drop(fd);
        if top != id {
            let table = std::fs::read_to_string("/proc/thread-self/mountinfo")?;
            let still = crate::register::mounts::parse(&table)
                .iter()
                .any(|m| u64::from(m.id) == id);
            return Ok(if still {
                Detach::Covered { top }
            } else {
                Detach::Gone
            });
        }
        // SAFETY: `c` is a valid C string.
        if unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH | libc::UMOUNT_NOFOLLOW) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Detach::Done)
    })
}

/// Processes in `scope` that still hold a file, their working directory or their root on
/// the filesystem `dev`: `pid (comm)` each, for the record.
pub fn holders(dev: Dev, scope: &ScopeView) -> Vec<String> {
    let mut out = Vec::new();
    let on = |p: PathBuf| std::fs::metadata(p).is_ok_and(|m| dev_of(&m) == dev);
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || !scope.contains(pid) {
            continue;
        }
        let base = PathBuf::from(format!("/proc/{pid}"));
        let mut holds = on(base.join("cwd")) || on(base.join("root"));
        if !holds {
            if let Ok(fds) = std::fs::read_dir(base.join("fd")) {
                holds = fds.flatten().any(|fd| on(fd.path()));
            }
        }
        if holds {
            let comm = std::fs::read_to_string(base.join("comm")).unwrap_or_default();
            out.push(format!("{pid} ({})", comm.trim_end()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filesystem_the_daemon_runs_from_is_never_taken_away() {
        let root = std::fs::metadata("/").unwrap();
        assert!(essential(dev_of(&root), &[]).is_some());
        let keep = std::env::temp_dir().join("airgapd-premount-keep");
        let tmp = std::fs::metadata(std::env::temp_dir()).unwrap();
        assert!(essential(dev_of(&tmp), std::slice::from_ref(&keep)).is_some());
        assert_eq!(essential((0, 0), &[]), None);
    }
}
