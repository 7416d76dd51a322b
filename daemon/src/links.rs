//! BPF links made with bpf(2) directly: created, pinned under bpffs so enforcement outlives the
//! daemon, and adopted by the next daemon with `BPF_LINK_UPDATE`, which swaps the program of a
//! live link with no moment where nothing is attached.
//!
//! aya 0.14 cannot turn a `cgroup/dev` link into a pinnable link and does not expose
//! `BPF_LINK_UPDATE` (shared/notes/kernel.md), so every link goes through here, uniformly.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub use aya_obj::generated::bpf_attach_type as AttachType;
use aya_obj::generated::bpf_cmd;

/// What a link attaches to.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A cgroup directory.
    Cgroup(BorrowedFd<'a>),
    /// A network interface (TCX), by index in the calling thread's namespace.
    Interface(u32),
    /// Nothing (LSM and other tracing-style links).
    Global,
}

/// The bpf(2) attribute union, big enough for every command used here.
#[repr(C, align(8))]
struct Attr([u8; 128]);

impl Attr {
    fn new() -> Attr {
        Attr([0; 128])
    }

    fn u32(mut self, offset: usize, v: u32) -> Attr {
        self.0[offset..offset + 4].copy_from_slice(&v.to_ne_bytes());
        self
    }

    fn u64(mut self, offset: usize, v: u64) -> Attr {
        self.0[offset..offset + 8].copy_from_slice(&v.to_ne_bytes());
        self
    }
}

fn bpf(cmd: bpf_cmd, attr: &mut Attr) -> io::Result<i32> {
    // SAFETY: attr is a zero-padded bpf_attr of sufficient size for every command used here.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd as libc::c_long,
            attr as *mut Attr,
            size_of::<Attr>(),
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc as i32)
    }
}

fn owned(fd: i32) -> OwnedFd {
    // SAFETY: the kernel just returned this new fd to us.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// BPF_LINK_CREATE: attach `prog` to `target`.
pub fn create(prog: BorrowedFd<'_>, target: Target<'_>, attach: AttachType) -> io::Result<OwnedFd> {
    let target = match target {
        Target::Cgroup(fd) => fd.as_raw_fd() as u32,
        Target::Interface(ifindex) => ifindex,
        Target::Global => 0,
    };
    // link_create: prog_fd @0, target_fd/ifindex @4, attach_type @8, flags @12.
    let mut attr = Attr::new()
        .u32(0, prog.as_raw_fd() as u32)
        .u32(4, target)
        .u32(8, attach as u32);
    bpf(bpf_cmd::BPF_LINK_CREATE, &mut attr).map(owned)
}

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
}

/// BPF_OBJ_PIN: make `fd` outlive this process at `path` (inside bpffs).
pub fn pin(fd: BorrowedFd<'_>, path: &Path) -> io::Result<()> {
    let p = c_path(path)?;
    // obj_pin: pathname @0, bpf_fd @8.
    let mut attr = Attr::new()
        .u64(0, p.as_ptr() as u64)
        .u32(8, fd.as_raw_fd() as u32);
    bpf(bpf_cmd::BPF_OBJ_PIN, &mut attr).map(drop)
}

/// BPF_OBJ_GET: open a pinned object. `NotFound` when nothing is pinned there.
pub fn get(path: &Path) -> io::Result<OwnedFd> {
    let p = c_path(path)?;
    let mut attr = Attr::new().u64(0, p.as_ptr() as u64);
    bpf(bpf_cmd::BPF_OBJ_GET, &mut attr).map(owned)
}

/// BPF_LINK_UPDATE: replace the program of a live link, atomically.
pub fn update(link: BorrowedFd<'_>, prog: BorrowedFd<'_>) -> io::Result<()> {
    // link_update: link_fd @0, new_prog_fd @4, flags @8, old_prog_fd @12.
    let mut attr = Attr::new()
        .u32(0, link.as_raw_fd() as u32)
        .u32(4, prog.as_raw_fd() as u32);
    bpf(bpf_cmd::BPF_LINK_UPDATE, &mut attr).map(drop)
}

/// The cgroup id a cgroup link is attached to (from BPF_OBJ_GET_INFO_BY_FD).
pub fn cgroup_of(link: BorrowedFd<'_>) -> io::Result<u64> {
    // struct bpf_link_info: type, id, prog_id (u32 each), then the union at offset 16, whose
    // cgroup member starts with cgroup_id (u64).
    let mut info = [0u64; 16];
    let mut attr = Attr::new()
        .u32(0, link.as_raw_fd() as u32)
        .u32(4, size_of_val(&info) as u32)
        .u64(8, info.as_mut_ptr() as u64);
    bpf(bpf_cmd::BPF_OBJ_GET_INFO_BY_FD, &mut attr)?;
    Ok(info[2])
}

/// How a link came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Created now.
    Created,
    /// A pinned link of an earlier daemon, now running our program.
    Adopted,
}

/// Attach `prog` to `target`; with `pin`, adopt the link pinned there (swapping in `prog`) or
/// create and pin a new one. For cgroup targets an adopted link must be on the same cgroup.
pub fn attach(
    prog: BorrowedFd<'_>,
    target: Target<'_>,
    attach: AttachType,
    pin_path: Option<&Path>,
) -> io::Result<(OwnedFd, Origin)> {
    let Some(path) = pin_path else {
        return Ok((create(prog, target, attach)?, Origin::Created));
    };
    match get(path) {
        Ok(link) => {
            if let Target::Cgroup(cg) = target {
                let want = cgroup_id(cg)?;
                let have = cgroup_of(link.as_fd())?;
                if have != want {
                    return Err(io::Error::other(format!(
                        "{} is attached to cgroup {have}, not the scope (cgroup {want}); \
                         lift the old enforcement first",
                        path.display()
                    )));
                }
            }
            match update(link.as_fd(), prog) {
                Ok(()) => Ok((link, Origin::Adopted)),
                // LSM (tracing) links cannot swap their program (EINVAL, seen on 6.1): attach
                // the new program beside the old one, then move the pin to it. The old link
                // enforces until the new one is attached; only then is it dropped.
                Err(e)
                    if e.raw_os_error() == Some(libc::EINVAL)
                        && matches!(target, Target::Global) =>
                {
                    let new = create(prog, target, attach)?;
                    std::fs::remove_file(path)?;
                    pin(new.as_fd(), path)?;
                    drop(link);
                    Ok((new, Origin::Created))
                }
                Err(e) => Err(e),
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let link = create(prog, target, attach)?;
            pin(link.as_fd(), path)?;
            Ok((link, Origin::Created))
        }
        Err(e) => Err(e),
    }
}

/// The cgroup v2 id of an open cgroup directory (its inode number).
fn cgroup_id(dir: BorrowedFd<'_>) -> io::Result<u64> {
    let st = nix::sys::stat::fstat(dir.as_raw_fd()).map_err(io::Error::from)?;
    Ok(st.st_ino)
}
