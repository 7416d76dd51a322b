//! Opening a block device to read its superblock without trusting any path.
//!
//! `/dev/<name>` is whatever root (or a compromised udev rule) put there: a bind-mounted image
//! carrying an approved UUID, a FIFO that blocks forever, a symlink to another disk. So the
//! daemon makes its own node, by device number, in a tmpfs mounted nowhere (`fsopen` +
//! `fsmount`: reachable only through the daemon's file descriptor), and checks with `fstat`
//! that what it opened is a block device with that number. Where the private node cannot be
//! made, `/dev/<name>` is opened with `O_NOFOLLOW | O_NONBLOCK` and the same `fstat` check, so
//! neither a fake image nor a FIFO is ever read.
//!
//! The medium instance is named by its disk sequence number (`BLKGETDISKSEQ`, kernel 5.15):
//! it changes at every media change, loop re-binding included, so a probe whose medium was
//! swapped while it read says so instead of vouching for the new one.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::sync::atomic::{AtomicU64, Ordering};

use super::fsprobe::{self, Filesystem};

/// `_IOR(0x12, 128, __u64)`.
const BLKGETDISKSEQ: libc::c_ulong = 0x8008_1280;
const FSCONFIG_CMD_CREATE: libc::c_uint = 6;
const FSOPEN_CLOEXEC: libc::c_uint = 1;
const FSMOUNT_CLOEXEC: libc::c_uint = 1;

/// What a probe found on one medium instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probed {
    /// The superblock's identity, None when no known filesystem is there.
    pub fs: Option<Filesystem>,
    /// The disk sequence number of the medium read (None on kernels without it).
    pub diskseq: Option<u64>,
}

/// A tmpfs mounted nowhere, where the daemon makes its device nodes.
pub struct PrivateNodes {
    mnt: Option<OwnedFd>,
}

static NEXT_NODE: AtomicU64 = AtomicU64::new(0);

impl PrivateNodes {
    /// Make the detached tmpfs; when the kernel refuses (no new mount API, no privilege), the
    /// checked `/dev` path is used instead.
    pub fn new() -> PrivateNodes {
        match detached_tmpfs() {
            Ok(fd) => PrivateNodes { mnt: Some(fd) },
            Err(e) => {
                tracing::warn!(error = %e, "no private tmpfs for device nodes; probing /dev with fstat checks");
                PrivateNodes { mnt: None }
            }
        }
    }

    /// Open block device `devnum` read-only, through a private node when possible, else through
    /// `/dev/<name>`; in both cases it is checked to be that very device.
    pub fn open(&self, devnum: (u32, u32), name: &str) -> io::Result<File> {
        let file = match &self.mnt {
            Some(mnt) => match private_open(mnt, devnum) {
                Ok(f) => f,
                // The device program may refuse the daemon's mknod: fall back, still checked.
                Err(e) if e.raw_os_error() == Some(libc::EPERM) => dev_open(name)?,
                Err(e) => return Err(e),
            },
            None => dev_open(name)?,
        };
        check_is(&file, devnum)?;
        // Reads of a block device must wait for the medium (the deadline is the caller's).
        // SAFETY: valid fd; F_SETFL with plain flags.
        unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETFL, libc::O_RDONLY) };
        Ok(file)
    }
}

impl Default for PrivateNodes {
    fn default() -> Self {
        PrivateNodes::new()
    }
}

fn cvt(rc: libc::c_long) -> io::Result<libc::c_long> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

fn detached_tmpfs() -> io::Result<OwnedFd> {
    // SAFETY: plain syscalls with valid C strings; each returned fd is owned right away.
    unsafe {
        let fs = cvt(libc::syscall(
            libc::SYS_fsopen,
            c"tmpfs".as_ptr(),
            FSOPEN_CLOEXEC,
        ))?;
        let fs = OwnedFd::from_raw_fd(fs as i32);
        for (key, value) in [(c"mode", c"0700"), (c"size", c"64k")] {
            cvt(libc::syscall(
                libc::SYS_fsconfig,
                fs.as_raw_fd(),
                1, /* FSCONFIG_SET_STRING */
                key.as_ptr(),
                value.as_ptr(),
                0,
            ))?;
        }
        cvt(libc::syscall(
            libc::SYS_fsconfig,
            fs.as_raw_fd(),
            FSCONFIG_CMD_CREATE,
            std::ptr::null::<libc::c_char>(),
            std::ptr::null::<libc::c_char>(),
            0,
        ))?;
        // No MOUNT_ATTR_NODEV: the nodes in it must open.
        let mnt = cvt(libc::syscall(
            libc::SYS_fsmount,
            fs.as_raw_fd(),
            FSMOUNT_CLOEXEC,
            libc::MOUNT_ATTR_NOSUID | libc::MOUNT_ATTR_NOEXEC,
        ))?;
        Ok(OwnedFd::from_raw_fd(mnt as i32))
    }
}

fn private_open(mnt: &OwnedFd, (major, minor): (u32, u32)) -> io::Result<File> {
    let n = NEXT_NODE.fetch_add(1, Ordering::Relaxed);
    let name = std::ffi::CString::new(format!("b{major}-{minor}-{n}")).expect("no NUL");
    // SAFETY: valid directory fd and C string.
    let rc = unsafe {
        libc::mknodat(
            mnt.as_raw_fd(),
            name.as_ptr(),
            libc::S_IFBLK | 0o400,
            libc::makedev(major, minor),
        )
    };
    cvt(rc as libc::c_long)?;
    // SAFETY: valid directory fd and C string.
    let fd = unsafe {
        libc::openat(
            mnt.as_raw_fd(),
            name.as_ptr(),
            libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC,
        )
    };
    let opened = cvt(fd as libc::c_long);
    // SAFETY: valid directory fd and C string; the node is not needed once open.
    unsafe { libc::unlinkat(mnt.as_raw_fd(), name.as_ptr(), 0) };
    // SAFETY: a fresh fd we own.
    Ok(unsafe { File::from_raw_fd(opened? as i32) })
}

fn dev_open(name: &str) -> io::Result<File> {
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("unusable device name {name:?}"),
        ));
    }
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(format!("/dev/{name}"))
}

/// The open file must be the block device `devnum` itself.
pub fn check_is(file: &File, (major, minor): (u32, u32)) -> io::Result<()> {
    let meta = file.metadata()?;
    if !meta.file_type().is_block_device() {
        return Err(io::Error::other(
            "the device node is not a block device (a file or FIFO put in its place)",
        ));
    }
    let rdev = meta.rdev();
    if (libc::major(rdev), libc::minor(rdev)) != (major, minor) {
        return Err(io::Error::other(format!(
            "the device node is block device {}:{}, not {major}:{minor}",
            libc::major(rdev),
            libc::minor(rdev)
        )));
    }
    Ok(())
}

/// The disk sequence number of the medium behind an open block device.
pub fn diskseq(file: &File) -> Option<u64> {
    let mut seq: u64 = 0;
    // SAFETY: valid fd; the ioctl writes one u64.
    let rc = unsafe { libc::ioctl(file.as_raw_fd(), BLKGETDISKSEQ as _, &mut seq) };
    (rc == 0).then_some(seq)
}

/// Read the superblock of an open block device, and say which medium instance it came from.
/// A medium changed while it was read is an error, never a mixed answer.
pub fn probe_file(mut file: &File) -> io::Result<Probed> {
    let before = diskseq(file);
    let mut head = vec![0u8; fsprobe::HEAD_BYTES];
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    head.truncate(n);
    if diskseq(file) != before {
        return Err(io::Error::other("the medium changed while it was read"));
    }
    Ok(Probed {
        fs: fsprobe::parse(&head),
        diskseq: before,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_or_fifo_is_not_a_block_device() {
        let dir = std::env::temp_dir().join(format!("airgapd-probe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let img = dir.join("img");
        std::fs::write(&img, [0u8; 4096]).unwrap();
        let f = File::open(&img).unwrap();
        assert!(check_is(&f, (7, 0)).is_err());
        let fifo = dir.join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        // O_NONBLOCK: opening a FIFO for reading does not wait for a writer.
        use std::os::unix::fs::OpenOptionsExt;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo)
            .unwrap();
        assert!(check_is(&f, (7, 0)).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn device_names_cannot_leave_dev() {
        assert!(dev_open("../etc/passwd").is_err());
        assert!(dev_open("").is_err());
    }
}
