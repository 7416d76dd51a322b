//! The noexec layer: the mount attribute that makes the kernel refuse `execve` (EACCES) and
//! executable mappings (EPERM) of every file under a mount, set with `mount_setattr(2)`, which
//! changes that one attribute and leaves the others as the user mounted them.
//!
//! **By handle, never by path.** A mount is named by its mount id (mountinfo's first field).
//! The daemon opens the mount point, checks with `statx(STATX_MNT_ID)` on that very descriptor
//! that it is the mount meant, and changes the attribute through the descriptor: a mount point
//! covered by another mount (root mounting a tmpfs over a stick) or replaced meanwhile is
//! reported as [`Reached::Covered`] and left alone, never mistaken for the medium.
//! Descriptors are not kept: an open descriptor would make the stick impossible to unmount.
//!
//! A mount attribute belongs to one mount in one mount namespace. The daemon sets it on the
//! mounts of its own namespace here, and in other namespaces by entering them from a thread of
//! its own ([`in_namespace`], used by [`super::namespaces`]). Entering one needs CAP_SYS_ADMIN
//! and CAP_SYS_CHROOT and a seccomp filter that lets `setns` through.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
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

/// What became of a request to change the mount with a given id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reached {
    /// The attribute was changed on that mount.
    Done,
    /// The path leads to another mount (`top`): the mount meant is covered or gone, and was
    /// not touched.
    Covered {
        /// The mount the path leads to now.
        top: u64,
    },
}

/// `mount_setattr` on the mount `fd` is on.
fn setattr_fd(fd: BorrowedFd<'_>, set: u64, clear: u64) -> io::Result<()> {
    let attr = MountAttr {
        attr_set: set,
        attr_clr: clear,
        propagation: 0,
        userns_fd: 0,
    };
    // SAFETY: `fd` is open, the path is the empty C string and `attr` a valid struct of the
    // size passed.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            fd.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH as u32,
            &raw const attr,
            size_of::<MountAttr>(),
        )
    };
    if rc < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::ENOSYS) {
            // Kernels before 5.12 (Debian 11's 5.10) have no mount_setattr (found by the
            // guest's 5.10 boot, issue 22: every approved stick's files were refused, the
            // mounts never made noexec).
            return remount_bind(fd, set, clear);
        }
        return Err(e);
    }
    Ok(())
}

/// What [`setattr_fd`] does, with a bind remount (`MS_REMOUNT | MS_BIND`) of the mount `fd`
/// is the root of: it sets the per-mount flags all at once, so the ones the mount has now are
/// read (fstatvfs) and given again with `set` added and `clear` taken away. The kernel refuses
/// (EINVAL) when `fd` is not the mount's root.
fn remount_bind(fd: BorrowedFd<'_>, set: u64, clear: u64) -> io::Result<()> {
    // SAFETY: an all-zero statvfs is a valid value to be filled.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is open and `st` valid for writing.
    if unsafe { libc::fstatvfs(fd.as_raw_fd(), &raw mut st) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let flags = remount_flags(st.f_flag, set, clear);
    let target = std::ffi::CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        .map_err(io::Error::other)?;
    // SAFETY: a valid C string target, null source, type and data (allowed for a remount).
    let rc = unsafe {
        libc::mount(
            std::ptr::null(),
            target.as_ptr(),
            std::ptr::null(),
            flags,
            std::ptr::null(),
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The mount(2) flags of a bind remount keeping the per-mount flags `f_flag` (statvfs) with the
/// `MOUNT_ATTR_*` bits of `set` added and `clear` taken away (only noexec is ever changed).
fn remount_flags(f_flag: libc::c_ulong, set: u64, clear: u64) -> libc::c_ulong {
    let kept = [
        (libc::ST_RDONLY, libc::MS_RDONLY),
        (libc::ST_NOSUID, libc::MS_NOSUID),
        (libc::ST_NODEV, libc::MS_NODEV),
        (libc::ST_NOEXEC, libc::MS_NOEXEC),
        (libc::ST_NOATIME, libc::MS_NOATIME),
        (libc::ST_NODIRATIME, libc::MS_NODIRATIME),
        (libc::ST_RELATIME, libc::MS_RELATIME),
    ];
    let mut flags = libc::MS_REMOUNT | libc::MS_BIND;
    for (st, ms) in kept {
        if f_flag & st != 0 {
            flags |= ms;
        }
    }
    // Neither noatime nor relatime: strictatime (else the kernel would make it relatime).
    if f_flag & (libc::ST_NOATIME | libc::ST_RELATIME) == 0 {
        flags |= libc::MS_STRICTATIME;
    }
    if set & MOUNT_ATTR_NOEXEC != 0 {
        flags |= libc::MS_NOEXEC;
    }
    if clear & MOUNT_ATTR_NOEXEC != 0 {
        flags &= !libc::MS_NOEXEC;
    }
    flags
}

/// The mount id of the mount `fd` is on (the id mountinfo lists first).
pub fn mount_id(fd: BorrowedFd<'_>) -> io::Result<u64> {
    // SAFETY: an all-zero statx is a valid value to be filled.
    let mut stx: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is open, the path is empty and `stx` valid for writing.
    let rc = unsafe {
        libc::statx(
            fd.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            libc::STATX_MNT_ID,
            &raw mut stx,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    if stx.stx_mask & libc::STATX_MNT_ID == 0 {
        return Err(io::Error::other("the kernel gave no mount id (statx)"));
    }
    Ok(stx.stx_mnt_id)
}

/// Whether the mount `fd` is on has the noexec attribute.
pub fn is_noexec(fd: BorrowedFd<'_>) -> io::Result<bool> {
    // SAFETY: an all-zero statvfs is a valid value to be filled.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is open and `st` valid for writing.
    if unsafe { libc::fstatvfs(fd.as_raw_fd(), &raw mut st) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(st.f_flag & libc::ST_NOEXEC != 0)
}

/// Open the mount point `point` (relative to the calling thread's root) as a handle.
fn open_point(point: &Path) -> io::Result<OwnedFd> {
    crate::register::mounts::open_dir(point, libc::O_PATH)
}

fn change(point: &Path, id: u64, set: u64, clear: u64) -> io::Result<Reached> {
    let fd = open_point(point)?;
    let top = mount_id(fd.as_fd())?;
    if top != id {
        return Ok(Reached::Covered { top });
    }
    setattr_fd(fd.as_fd(), set, clear)?;
    Ok(Reached::Done)
}

/// Make the mount with id `id`, mounted at `point`, noexec.
pub fn set_noexec(point: &Path, id: u64) -> io::Result<Reached> {
    change(point, id, MOUNT_ATTR_NOEXEC, 0)
}

/// Undo [`set_noexec`] (a policy now lets the medium run programs).
pub fn clear_noexec(point: &Path, id: u64) -> io::Result<Reached> {
    change(point, id, 0, MOUNT_ATTR_NOEXEC)
}

/// Make the mount that `fd` (any file or directory on it) is on noexec. The mount must be in
/// the calling thread's mount namespace.
pub fn set_noexec_fd(fd: BorrowedFd<'_>) -> io::Result<()> {
    setattr_fd(fd, MOUNT_ATTR_NOEXEC, 0)
}

/// The mount namespace of `pid` (its inode), or None when it cannot be read.
pub fn namespace_of(pid: &str) -> Option<u64> {
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

/// Run `f` inside the mount namespace `ns` (an open `/proc/PID/ns/mnt`), on a thread of its
/// own (a thread's namespace can be changed once it no longer shares its filesystem context;
/// the daemon's other threads keep theirs). Paths `f` uses resolve in that namespace, from its
/// root.
pub fn in_namespace<T: Send + 'static>(
    ns: File,
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    std::thread::Builder::new()
        .name("airgapd-mntns".into())
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
        .map_err(|_| io::Error::other("the mount namespace thread panicked"))?
}

/// [`in_namespace`], waiting at most `within` for `f`: past that the caller goes on with an
/// error (`TimedOut`) and the thread finishes on its own. For callers that hold a process (an
/// unanswered permission event) while `f` runs.
pub fn in_namespace_within<T: Send + 'static>(
    ns: File,
    within: std::time::Duration,
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("airgapd-mntns".into())
        .spawn(move || {
            let _ = tx.send(in_namespace(ns, f));
        })?;
    rx.recv_timeout(within).map_err(|_| {
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no answer within {} ms", within.as_millis()),
        )
    })?
}

/// Run `f` inside PID 1's mount namespace ([`in_namespace`]).
pub fn in_host_namespace<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    in_namespace(File::open("/proc/1/ns/mnt")?, f)
}

/// Whether the daemon may act in PID 1's mount namespace (probed once at start).
pub fn probe_host_namespace() -> io::Result<()> {
    in_host_namespace(|| Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mount_id_of_a_descriptor_is_the_one_mountinfo_lists() {
        let fd = open_point(Path::new("/")).unwrap();
        let id = mount_id(fd.as_fd()).unwrap();
        let info = std::fs::read_to_string("/proc/thread-self/mountinfo").unwrap();
        let root = info
            .lines()
            .rfind(|l| l.split(' ').nth(4) == Some("/"))
            .unwrap();
        assert_eq!(root.split(' ').next().unwrap().parse::<u64>().unwrap(), id);
    }

    #[test]
    fn a_bind_remount_keeps_the_other_flags() {
        let ro_nosuid_relatime = libc::ST_RDONLY | libc::ST_NOSUID | libc::ST_RELATIME;
        let f = remount_flags(ro_nosuid_relatime, MOUNT_ATTR_NOEXEC, 0);
        let want = libc::MS_REMOUNT
            | libc::MS_BIND
            | libc::MS_RDONLY
            | libc::MS_NOSUID
            | libc::MS_RELATIME
            | libc::MS_NOEXEC;
        assert_eq!(f, want);
        let f = remount_flags(libc::ST_NOEXEC | libc::ST_NODEV, 0, MOUNT_ATTR_NOEXEC);
        assert_eq!(
            f,
            libc::MS_REMOUNT | libc::MS_BIND | libc::MS_NODEV | libc::MS_STRICTATIME
        );
    }

    /// The fallback for kernels without mount_setattr (5.10), by a real bind remount of a
    /// tmpfs made here: noexec set and cleared, nosuid and read-only kept.
    #[test]
    fn a_bind_remount_sets_noexec_on_a_real_mount() {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("skipped: needs root to mount");
            return;
        }
        let dir = std::env::temp_dir().join(format!("airgapd-remount-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let point = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: valid C strings; a tmpfs on a directory this test made.
        let rc = unsafe {
            libc::mount(
                c"tmpfs".as_ptr(),
                point.as_ptr(),
                c"tmpfs".as_ptr(),
                libc::MS_NOSUID | libc::MS_RDONLY,
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "{}", io::Error::last_os_error());
        let fd = open_point(&dir).unwrap();
        let result = remount_bind(fd.as_fd(), MOUNT_ATTR_NOEXEC, 0);
        let noexec = is_noexec(fd.as_fd());
        let cleared = remount_bind(fd.as_fd(), 0, MOUNT_ATTR_NOEXEC);
        let after = is_noexec(fd.as_fd());
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        // SAFETY: `fd` is open and `st` valid for writing.
        unsafe { libc::fstatvfs(fd.as_raw_fd(), &raw mut st) };
        drop(fd);
        // SAFETY: the mount made above.
        unsafe { libc::umount2(point.as_ptr(), libc::MNT_DETACH) };
        let _ = std::fs::remove_dir(&dir);
        result.unwrap();
        cleared.unwrap();
        assert!(noexec.unwrap(), "noexec after the bind remount");
        assert!(!after.unwrap(), "noexec cleared again");
        assert_ne!(st.f_flag & libc::ST_NOSUID, 0, "nosuid kept");
        assert_ne!(st.f_flag & libc::ST_RDONLY, 0, "read-only kept");
    }

    #[test]
    fn a_path_that_leads_to_another_mount_is_not_changed() {
        // "/" is never mount 0: asking for that id must leave "/" alone.
        assert!(matches!(
            set_noexec(Path::new("/"), 0),
            Ok(Reached::Covered { .. })
        ));
        let fd = open_point(Path::new("/")).unwrap();
        assert!(!is_noexec(fd.as_fd()).unwrap());
    }
}
