//! Where media are mounted: `/proc/self/mountinfo`, read again whenever the kernel says the
//! mount table changed (poll(2) reports `POLLPRI` on an open mountinfo file after every mount,
//! unmount and remount in the namespace of whoever opened it).
//!
//! The daemon sees the mounts of its own mount namespace. Under systemd, whose sandboxing
//! options give the service a namespace of its own, mounts made on the host (a desktop's
//! `/media/<user>/<label>`) propagate into it; a mount made in another private namespace is not
//! seen, and is covered only by the filesystem-wide fanotify marks and BPF LSM programs.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::devices::btrfs::Dev;
use crate::devices::internal::unescape;

/// One mount of `/proc/<pid>/mountinfo`, with what the media code needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    /// Field 1: the mount id, unique while mounted.
    pub id: u32,
    /// Field 3: the filesystem's device (`st_dev`). For btrfs, whose superblock's number
    /// (field 3) is not what its files show, the `st_dev` of the mount's root instead.
    pub dev: (u32, u32),
    /// Field 4: the directory of the filesystem that is the root of this mount.
    pub root: String,
    /// Field 5: where it is mounted, unescaped.
    pub point: PathBuf,
    /// Field 6: per-mount options (`rw,nosuid,noexec,...`).
    pub options: String,
    /// The mount source after the filesystem type, unescaped (`/dev/sdb1`).
    pub source: String,
    /// The filesystem type (set by the kernel: `ext4`, `vfat`, `fuse.sshfs`).
    pub fstype: String,
    /// The block devices under the filesystem: its device number when that is a block device;
    /// for btrfs, whose device number is anonymous, the devices the kernel lists for it
    /// ([`read`] finds them; `crate::devices::btrfs`); none for the others.
    pub devices: Vec<(u32, u32)>,
}

impl MountEntry {
    /// Whether the mount has the noexec attribute.
    pub fn noexec(&self) -> bool {
        self.options.split(',').any(|o| o == "noexec")
    }

    /// The path on the medium of `path`, a path under this mount point (bytes kept exactly).
    pub fn medium_path(&self, path: &Path) -> Option<PathBuf> {
        let rest = path.strip_prefix(&self.point).ok()?;
        let root = Path::new(&self.root);
        Some(if rest.as_os_str().is_empty() {
            root.to_path_buf()
        } else {
            root.join(rest)
        })
    }

    /// Whether this mount is of the filesystem on the block device `dev`: by the device
    /// number of the mount's superblock (field 3), which the kernel sets and no mounter
    /// chooses. The mount's source (`/dev/sdb1` after the type) is the mounter's own claim: a
    /// FUSE filesystem of any user's (`-o fsname=/dev/sdb1`) or a tmpfs "mounted from" the
    /// device show the medium's name there, and are never taken for it. The media the daemon
    /// identifies (ext2/3/4, FAT, exFAT) report their block device as their device number;
    /// btrfs, whose number is anonymous, is tied to its devices by the kernel's list of them.
    pub fn is_of(&self, dev: (u32, u32)) -> bool {
        self.devices.contains(&dev)
    }

    /// Open the root of this very mount and check, on the open directory itself, that it is
    /// this mount (`statx` `STATX_MNT_ID`), its root, and of the filesystem `dev`: the mount
    /// point is a path, and between reading the table and opening it another mount may have
    /// been stacked there or the mount moved. Everything the daemon does to a medium's
    /// filesystem (marking it, opening files by handle) goes through a descriptor checked so.
    pub fn open_root(&self, dev: (u32, u32)) -> io::Result<OwnedFd> {
        let fd = open_dir(&self.point, libc::O_RDONLY)?;
        let st = statx_fd(&fd)?;
        let found = (st.stx_dev_major, st.stx_dev_minor);
        let root = st.stx_attributes & libc::STATX_ATTR_MOUNT_ROOT as u64 != 0;
        if st.stx_mask & libc::STATX_MNT_ID == 0
            || st.stx_mnt_id != u64::from(self.id)
            || found != self.dev
            || !self.is_of(dev)
            || !root
        {
            return Err(io::Error::other(format!(
                "{} is no longer the root of mount {} of {}:{} (it leads to mount {} of {}:{})",
                self.point.display(),
                self.id,
                dev.0,
                dev.1,
                st.stx_mnt_id,
                found.0,
                found.1
            )));
        }
        Ok(fd)
    }
}

/// Open the directory `path` without following a last symlink, close-on-exec, with `access`
/// (`O_RDONLY` to read it, `O_PATH` for a handle): the mount points the daemon acts on.
pub fn open_dir(path: &std::path::Path, access: libc::c_int) -> io::Result<OwnedFd> {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            access | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this new descriptor to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A private copy of the mount whose root `fd` is (`open_tree(OPEN_TREE_CLONE)`): attached
/// nowhere, of the same filesystem. A file the daemon opens through it keeps that copy busy,
/// never the user's mount: `umount` of the medium succeeds while the daemon still reads a file
/// (the filesystem itself lives on until the daemon closes it; see `hash.rs`).
pub fn private_copy(fd: &impl AsRawFd) -> io::Result<OwnedFd> {
    const OPEN_TREE_CLONE: libc::c_uint = 1;
    // SAFETY: an empty path with AT_EMPTY_PATH names `fd`; the result is a new descriptor.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_open_tree,
            fd.as_raw_fd(),
            c"".as_ptr(),
            OPEN_TREE_CLONE | libc::O_CLOEXEC as libc::c_uint | libc::AT_EMPTY_PATH as libc::c_uint,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this new descriptor to us.
    let tree = unsafe { OwnedFd::from_raw_fd(rc as i32) };
    // A descriptor of the copy's root that is not O_PATH (`open_by_handle_at` takes no other);
    // it keeps the copy, which closing `tree` detaches from everything.
    // SAFETY: a valid directory descriptor and C string.
    let root = unsafe {
        libc::openat(
            tree.as_raw_fd(),
            c".".as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if root < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this new descriptor to us.
    Ok(unsafe { OwnedFd::from_raw_fd(root) })
}

/// `statx` of an open descriptor, with its mount id.
pub fn statx_fd(fd: &impl AsRawFd) -> io::Result<libc::statx> {
    let mut st = std::mem::MaybeUninit::<libc::statx>::zeroed();
    // SAFETY: the empty path with AT_EMPTY_PATH names `fd`; `st` is valid for writes.
    let rc = unsafe {
        libc::statx(
            fd.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            libc::STATX_BASIC_STATS | libc::STATX_MNT_ID,
            st.as_mut_ptr(),
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: statx succeeded and filled the struct.
    Ok(unsafe { st.assume_init() })
}

/// Parse mountinfo text; lines that do not parse are skipped (they are never media).
pub fn parse(text: &str) -> Vec<MountEntry> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<MountEntry> {
    let fields: Vec<&str> = line.split(' ').collect();
    // id parent maj:min root mount-point options [optional...] - fstype source super-options
    let sep = fields.iter().skip(6).position(|f| *f == "-")? + 6;
    let (major, minor) = fields.get(2)?.split_once(':')?;
    let dev: (u32, u32) = (major.parse().ok()?, minor.parse().ok()?);
    Some(MountEntry {
        id: fields.first()?.parse().ok()?,
        dev,
        devices: if dev.0 == 0 { Vec::new() } else { vec![dev] },
        fstype: unescape(fields.get(sep + 1)?),
        root: unescape(fields.get(3)?),
        point: PathBuf::from(unescape(fields.get(4)?)),
        options: (*fields.get(5)?).to_owned(),
        source: unescape(fields.get(sep + 2)?),
    })
}

/// Read and parse a mountinfo file (`/proc/PID/mountinfo`), and find the devices of each btrfs
/// mount in it: its root is opened through that process's view (`/proc/PID/root`), checked on
/// the descriptor to be that mount of that filesystem, and asked (a mount that cannot be
/// reached keeps no devices).
pub fn read(path: &Path) -> io::Result<Vec<MountEntry>> {
    let mut list = parse(&std::fs::read_to_string(path)?);
    let view = path.with_file_name("root");
    for m in list
        .iter_mut()
        .filter(|m| m.dev.0 == 0 && m.fstype == crate::devices::btrfs::FSTYPE)
    {
        match btrfs_devices(m, &view) {
            Ok((dev, devices)) => (m.dev, m.devices) = (dev, devices),
            Err(e) => {
                tracing::debug!(error = %e, point = %m.point.display(), "the devices of a btrfs mount");
            }
        }
    }
    Ok(list)
}

/// The device number files of the btrfs mount `m` show (each subvolume has an anonymous one
/// of its own, not the superblock's of mountinfo), and the filesystem's block devices.
fn btrfs_devices(m: &MountEntry, view: &Path) -> io::Result<(Dev, Vec<Dev>)> {
    let rel = m.point.strip_prefix("/").unwrap_or(&m.point);
    let fd = open_dir(&view.join(rel), libc::O_RDONLY)?;
    let st = statx_fd(&fd)?;
    if st.stx_mask & libc::STATX_MNT_ID == 0 || st.stx_mnt_id != u64::from(m.id) {
        return Err(io::Error::other(
            "the mount point leads to another mount now",
        ));
    }
    let dev = (st.stx_dev_major, st.stx_dev_minor);
    Ok((dev, crate::devices::btrfs::devices(&fd)?))
}

/// Watch `path` (a mountinfo file) from a thread of its own: one message on `tx` after each
/// change of the mount table (several changes may fold into one message; the receiver reads
/// the whole table again).
pub fn watch(path: &Path, tx: mpsc::Sender<()>) -> io::Result<()> {
    let file = std::fs::File::open(path)?;
    std::thread::Builder::new()
        .name("airgapd-mounts".into())
        .spawn(move || loop {
            let mut pfd = libc::pollfd {
                fd: file.as_raw_fd(),
                events: libc::POLLPRI,
                revents: 0,
            };
            // SAFETY: `pfd` is one valid pollfd for the duration of the call.
            let n = unsafe { libc::poll(&raw mut pfd, 1, -1) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    tracing::error!(error = %e, "watching the mount table");
                    std::thread::sleep(Duration::from_secs(1));
                }
                continue;
            }
            if pfd.revents & (libc::POLLPRI | libc::POLLERR) != 0 {
                match tx.try_send(()) {
                    Ok(()) | Err(mpsc::error::TrySendError::Full(())) => {}
                    Err(mpsc::error::TrySendError::Closed(())) => return,
                }
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
81 22 7:3 / /run/media/clerk/SECRET\\0403 rw,nosuid,nodev,relatime shared:44 - ext4 /dev/loop3 rw
82 22 7:3 /docs /srv/bound ro,noexec master:44 - ext4 /dev/loop3 rw
";

    #[test]
    fn reads_ids_roots_points_and_options() {
        let mounts = parse(TEXT);
        assert_eq!(mounts.len(), 3);
        let m = &mounts[1];
        assert_eq!((m.id, m.dev), (81, (7, 3)));
        assert_eq!(m.point, Path::new("/run/media/clerk/SECRET 3"));
        assert!(!m.noexec());
        assert!(mounts[2].noexec());
        assert_eq!(mounts[2].root, "/docs");
    }

    #[test]
    fn paths_on_the_medium_start_at_the_mount_root() {
        let mounts = parse(TEXT);
        let whole = &mounts[1];
        let p = whole.point.join("reports/a.odt");
        assert_eq!(whole.medium_path(&p).unwrap(), Path::new("/reports/a.odt"));
        let bound = &mounts[2];
        assert_eq!(
            bound.medium_path(Path::new("/srv/bound/b.pdf")).unwrap(),
            Path::new("/docs/b.pdf")
        );
        assert_eq!(bound.medium_path(Path::new("/elsewhere/c")), None);
    }
}
