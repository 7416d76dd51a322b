//! The noexec layer: the mount attribute that makes the kernel refuse `execve` (EACCES) and
//! executable mappings (EPERM) of every file under a mount, set with `mount_setattr(2)`, which
//! changes that one attribute and leaves the others as the user mounted them.
//!
//! A mount attribute belongs to one mount in one mount namespace. The daemon sets it on the
//! mounts of its own namespace and, when it runs in a namespace of its own (systemd's
//! sandboxing), on the host's mounts too, by entering PID 1's mount namespace from a thread of
//! its own. Entering it needs CAP_SYS_ADMIN and CAP_SYS_CHROOT and a seccomp filter that lets
//! `setns` through; without them, host mounts are left as they are and this is reported.

use std::ffi::CString;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// `MOUNT_ATTR_NOEXEC` (linux/mount.h).
const MOUNT_ATTR_NOEXEC: u64 = 0x0000_0008;

/// `struct mount_attr` (linux/mount.h), version 0.
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

fn mount_setattr(point: &Path, set: u64, clear: u64) -> io::Result<()> {
    let p = CString::new(point.as_os_str().as_bytes())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let attr = MountAttr {
        attr_set: set,
        attr_clr: clear,
        propagation: 0,
        userns_fd: 0,
    };
    // SAFETY: `p` is a valid path and `attr` a valid struct mount_attr of the size passed.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            p.as_ptr(),
            0u32,
            &raw const attr,
            size_of::<MountAttr>(),
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Make the mount at `point` noexec.
pub fn set_noexec(point: &Path) -> io::Result<()> {
    mount_setattr(point, MOUNT_ATTR_NOEXEC, 0)
}

/// Undo [`set_noexec`] (a policy now lets the medium run programs).
pub fn clear_noexec(point: &Path) -> io::Result<()> {
    mount_setattr(point, 0, MOUNT_ATTR_NOEXEC)
}

/// The mount namespace of `pid` (its inode), or None when it cannot be read.
fn namespace_of(pid: &str) -> Option<u64> {
    std::fs::metadata(format!("/proc/{pid}/ns/mnt"))
        .ok()
        .map(|m| m.ino())
}

/// Whether the daemon runs in a mount namespace other than PID 1's.
pub fn own_namespace() -> bool {
    match (namespace_of("self"), namespace_of("1")) {
        (Some(me), Some(init)) => me != init,
        _ => false,
    }
}

/// Run `f` inside PID 1's mount namespace, on a thread of its own (a thread's namespace can be
/// changed once it no longer shares its filesystem context; the daemon's other threads keep
/// theirs).
pub fn in_host_namespace<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    let ns = std::fs::File::open("/proc/1/ns/mnt")?;
    std::thread::Builder::new()
        .name("airgapd-hostns".into())
        .spawn(move || {
            // SAFETY: plain syscalls on this thread only.
            if unsafe { libc::unshare(libc::CLONE_FS) } < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: `ns` is an open namespace file for the duration of the call.
            if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNS) } < 0 {
                return Err(io::Error::last_os_error());
            }
            f()
        })?
        .join()
        .map_err(|_| io::Error::other("the host namespace thread panicked"))?
}

/// Whether the daemon may act in PID 1's mount namespace (probed once at start).
pub fn probe_host_namespace() -> io::Result<()> {
    in_host_namespace(|| Ok(()))
}
