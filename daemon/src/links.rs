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

/// `BPF_F_BEFORE`: with no relative program, a TCX link goes in front of every other one.
const BPF_F_BEFORE: u32 = 1 << 3;

/// BPF_LINK_CREATE: attach `prog` to `target`. An interface (TCX) link goes first on the
/// interface, in front of any program already there: a program before ours could pass a
/// frame (TCX_PASS) that ours would have dropped.
pub fn create(prog: BorrowedFd<'_>, target: Target<'_>, attach: AttachType) -> io::Result<OwnedFd> {
    let (target, flags) = match target {
        Target::Cgroup(fd) => (fd.as_raw_fd() as u32, 0),
        Target::Interface(ifindex) => (ifindex, BPF_F_BEFORE),
        Target::Global => (0, 0),
    };
    // link_create: prog_fd @0, target_fd/ifindex @4, attach_type @8, flags @12, then for TCX
    // relative_fd @16 (0: none) and expected_revision @24 (0: any).
    let mut attr = Attr::new()
        .u32(0, prog.as_raw_fd() as u32)
        .u32(4, target)
        .u32(8, attach as u32)
        .u32(12, flags);
    let trampoline = matches!(
        attach,
        AttachType::BPF_LSM_MAC | AttachType::BPF_MODIFY_RETURN
    );
    match bpf(bpf_cmd::BPF_LINK_CREATE, &mut attr) {
        Ok(fd) => Ok(owned(fd)),
        // Kernels before 5.11 (Debian 11's 5.10) make the links of LSM and fmod_ret programs
        // only with BPF_RAW_TRACEPOINT_OPEN (no name: the program's own attach target); the
        // link is the same kind, pinned and updated alike. Found by the guest's 5.10 boot
        // (issue 22): the BPF guard's programs loaded and their BPF_LINK_CREATE was EINVAL.
        Err(e) if trampoline && e.raw_os_error() == Some(libc::EINVAL) => {
            // raw_tracepoint_open: name @0 (null), prog_fd @8.
            let mut attr = Attr::new().u64(0, 0).u32(8, prog.as_raw_fd() as u32);
            bpf(bpf_cmd::BPF_RAW_TRACEPOINT_OPEN, &mut attr)
                .map(owned)
                .map_err(|_| e)
        }
        Err(e) => Err(e),
    }
}

/// One program attached to an interface (TCX), in the order the kernel runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcxEntry {
    /// The program's id.
    pub prog_id: u32,
    /// The id of the link that holds it; 0 for a program attached without a link
    /// (BPF_PROG_ATTACH).
    pub link_id: u32,
}

/// BPF_PROG_QUERY of `attach` on `target` (an interface index or a cgroup fd): the ids of the
/// programs, first to run first, and with `links` the ids of the links holding them (only
/// TCX answers those; older kernels refuse a query that asks, so a cgroup query does not).
fn prog_query(target: u32, attach: AttachType, links: bool) -> io::Result<Vec<(u32, u32)>> {
    // At most 64 either way: BPF_MPROG_MAX for TCX, BPF_CGROUP_MAX_PROGS for a cgroup.
    let mut progs = [0u32; 64];
    let mut link_ids = [0u32; 64];
    // query: target @0, attach_type @4, query_flags @8, attach_flags @12, prog_ids @16,
    // prog_cnt @24, prog_attach_flags @32, link_ids @40, link_attach_flags @48, revision @56.
    let mut attr = Attr::new()
        .u32(0, target)
        .u32(4, attach as u32)
        .u64(16, progs.as_mut_ptr() as u64)
        .u32(24, progs.len() as u32);
    if links {
        attr = attr.u64(40, link_ids.as_mut_ptr() as u64);
    }
    bpf(bpf_cmd::BPF_PROG_QUERY, &mut attr)?;
    let count = u32::from_ne_bytes(attr.0[24..28].try_into().expect("4 bytes")) as usize;
    Ok((0..count.min(progs.len()))
        .map(|i| (progs[i], link_ids[i]))
        .collect())
}

/// BPF_PROG_QUERY on an interface of the calling thread's namespace: the TCX programs of
/// `attach` (ingress or egress), first to run first.
pub fn tcx_chain(ifindex: u32, attach: AttachType) -> io::Result<Vec<TcxEntry>> {
    Ok(prog_query(ifindex, attach, true)?
        .into_iter()
        .map(|(prog_id, link_id)| TcxEntry { prog_id, link_id })
        .collect())
}

/// BPF_PROG_QUERY on a cgroup: the ids of the programs of `attach` attached to that very
/// cgroup (not those it inherits). An attach type that is not a cgroup one is `EINVAL`.
pub fn cgroup_programs(cgroup: BorrowedFd<'_>, attach: AttachType) -> io::Result<Vec<u32>> {
    let found = prog_query(cgroup.as_raw_fd() as u32, attach, false)?;
    Ok(found.into_iter().map(|(prog, _)| prog).collect())
}

/// BPF_PROG_LOAD of `r0 = 1; exit` as a program of `prog_type` verified for `attach`: a program
/// that decides nothing and allows everything, for measuring what a hook costs before any
/// program body runs (the benchmarks' dispatch floor, issue 23).
pub fn load_return_one(prog_type: u32, attach: AttachType) -> io::Result<OwnedFd> {
    load_returning(prog_type, attach, 1)
}

/// [`load_return_one`] returning `value`: 0 refuses everything (the refusal floor: what a
/// refusal at that hook costs before any judgement).
pub fn load_returning(prog_type: u32, attach: AttachType, value: u8) -> io::Result<OwnedFd> {
    // BPF_MOV64_IMM(BPF_REG_0, value); BPF_EXIT_INSN().
    let insns: [u8; 16] = [0xb7, 0, 0, 0, value, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];
    let license = c"GPL";
    // prog_load: prog_type @0, insn_cnt @4, insns @8, license @16, prog_name @48,
    // expected_attach_type @68.
    let mut attr = Attr::new()
        .u32(0, prog_type)
        .u32(4, 2)
        .u64(8, insns.as_ptr() as u64)
        .u64(16, license.as_ptr() as u64)
        .u32(68, attach as u32);
    attr.0[48..55].copy_from_slice(&[b'f', b'l', b'o', b'o', b'r', b'_', b'0' + value % 10]);
    bpf(bpf_cmd::BPF_PROG_LOAD, &mut attr).map(owned)
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

/// BPF_LINK_DETACH: detach a live link (it stays open, defunct, until its last fd goes).
pub fn detach(link: BorrowedFd<'_>) -> io::Result<()> {
    // link_detach: link_fd @0.
    let mut attr = Attr::new().u32(0, link.as_raw_fd() as u32);
    bpf(bpf_cmd::BPF_LINK_DETACH, &mut attr).map(drop)
}

/// The cgroup id a cgroup link is attached to (0 once detached).
pub fn cgroup_of(link: BorrowedFd<'_>) -> io::Result<u64> {
    Ok(link_info(link)?.target)
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
                // Detached by someone while no daemon ran (`bpftool link detach`): the link
                // is dead; attach a new one in its place (the start-up check has recorded it).
                if have == 0 {
                    let new = create(prog, target, attach)?;
                    std::fs::remove_file(path)?;
                    pin(new.as_fd(), path)?;
                    return Ok((new, Origin::Created));
                }
                if have != want {
                    return Err(io::Error::other(format!(
                        "{} is attached to cgroup {have}, not the scope (cgroup {want}); \
                         lift the old enforcement first",
                        path.display()
                    )));
                }
            }
            // An interface link detached while no daemon ran is dead too (BPF_LINK_UPDATE
            // would answer ENOLINK): a new one, first on the interface, in its place.
            if let Target::Interface(_) = target {
                if link_info(link.as_fd())?.target == 0 {
                    let new = create(prog, target, attach)?;
                    std::fs::remove_file(path)?;
                    pin(new.as_fd(), path)?;
                    return Ok((new, Origin::Created));
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

/// What the kernel says about a link (BPF_OBJ_GET_INFO_BY_FD).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkInfo {
    /// `enum bpf_link_type`.
    pub link_type: u32,
    /// The link's id (stable while it exists).
    pub id: u32,
    /// The id of the program it runs.
    pub prog_id: u32,
    /// For a cgroup link, the cgroup id it is attached to (0 once detached); for a TCX link,
    /// the ifindex (0 once detached); 0 otherwise.
    pub target: u64,
}

/// `enum bpf_link_type` values this module reads.
pub mod link_kind {
    /// BPF_LINK_TYPE_CGROUP.
    pub const CGROUP: u32 = 3;
    /// BPF_LINK_TYPE_TCX.
    pub const TCX: u32 = 11;
}

/// BPF_OBJ_GET_INFO_BY_FD: the info struct of a link, program or map, into `info` (zeroed,
/// with the pointers the struct asks for already set).
fn obj_info<T: Copy>(fd: BorrowedFd<'_>, info: &mut [T]) -> io::Result<()> {
    let mut attr = Attr::new()
        .u32(0, fd.as_raw_fd() as u32)
        .u32(4, size_of_val(info) as u32)
        .u64(8, info.as_mut_ptr() as u64);
    bpf(bpf_cmd::BPF_OBJ_GET_INFO_BY_FD, &mut attr)?;
    Ok(())
}

/// BPF_OBJ_GET_INFO_BY_FD on a link.
pub fn link_info(link: BorrowedFd<'_>) -> io::Result<LinkInfo> {
    // struct bpf_link_info: type @0, id @4, prog_id @8, then the union @16: cgroup starts with
    // cgroup_id (u64), tcx with ifindex (u32).
    let mut info = [0u64; 16];
    obj_info(link, &mut info)?;
    let link_type = info[0] as u32;
    let target = match link_type {
        link_kind::CGROUP => info[2],
        link_kind::TCX => info[2] & 0xffff_ffff,
        _ => 0,
    };
    Ok(LinkInfo {
        link_type,
        id: (info[0] >> 32) as u32,
        prog_id: info[1] as u32,
        target,
    })
}

/// What the kernel says about a program: its name (at most 15 bytes) and the maps it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgInfo {
    /// The program's id.
    pub id: u32,
    /// Its `enum bpf_prog_type`.
    pub prog_type: u32,
    /// Its name as the kernel keeps it (the C function name, cut at 15 bytes).
    pub name: String,
    /// Ids of the maps it uses.
    pub map_ids: Vec<u32>,
}

impl ProgInfo {
    /// Whether this is the program named `full` (the kernel keeps 15 bytes of a name).
    pub fn is_named(&self, full: &str) -> bool {
        let cut = &full.as_bytes()[..full.len().min(15)];
        self.name.as_bytes() == cut
    }
}

fn get_fd_by_id(cmd: bpf_cmd, id: u32) -> io::Result<OwnedFd> {
    let mut attr = Attr::new().u32(0, id);
    bpf(cmd, &mut attr).map(owned)
}

/// Open a link by id (BPF_LINK_GET_FD_BY_ID): `NotFound` once the kernel has freed it.
pub fn link_by_id(id: u32) -> io::Result<OwnedFd> {
    get_fd_by_id(bpf_cmd::BPF_LINK_GET_FD_BY_ID, id)
}

/// The name and maps of the program with `id` (BPF_PROG_GET_FD_BY_ID, then its info).
pub fn prog_info(id: u32) -> io::Result<ProgInfo> {
    let fd = get_fd_by_id(bpf_cmd::BPF_PROG_GET_FD_BY_ID, id)?;
    prog_info_of(fd.as_fd())
}

/// The name and maps of an open program.
pub fn prog_info_of(fd: BorrowedFd<'_>) -> io::Result<ProgInfo> {
    // struct bpf_prog_info: type @0, id @4, ..., nr_map_ids @52, map_ids @56 (pointer),
    // name[16] @64. 256 bytes covers the struct of every kernel (zeros beyond are accepted).
    let mut maps = [0u32; 64];
    let mut info = [0u8; 256];
    info[52..56].copy_from_slice(&(maps.len() as u32).to_ne_bytes());
    info[56..64].copy_from_slice(&(maps.as_mut_ptr() as u64).to_ne_bytes());
    obj_info(fd, &mut info)?;
    let u32_at = |o: usize| u32::from_ne_bytes(info[o..o + 4].try_into().expect("4 bytes"));
    let nr = (u32_at(52) as usize).min(maps.len());
    let name = &info[64..80];
    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    Ok(ProgInfo {
        id: u32_at(4),
        prog_type: u32_at(0),
        name: String::from_utf8_lossy(&name[..end]).into_owned(),
        map_ids: maps[..nr].to_vec(),
    })
}

/// The id of an open map (BPF_OBJ_GET_INFO_BY_FD: struct bpf_map_info has its id @4).
pub fn map_id(fd: BorrowedFd<'_>) -> io::Result<u32> {
    let mut info = [0u32; 32];
    obj_info(fd, &mut info)?;
    Ok(info[1])
}

/// Open a map by id, with its name (struct bpf_map_info: name[16] @24).
pub fn map_by_id(id: u32) -> io::Result<(OwnedFd, String)> {
    let fd = get_fd_by_id(bpf_cmd::BPF_MAP_GET_FD_BY_ID, id)?;
    let mut info = [0u8; 128];
    obj_info(fd.as_fd(), &mut info)?;
    let name = &info[24..40];
    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    Ok((fd, String::from_utf8_lossy(&name[..end]).into_owned()))
}

/// The value stored under the 4-byte `key` of a map whose value layout may not be ours (a
/// map pinned by a daemon of another ABI version): as many bytes as the map says its values
/// have (struct bpf_map_info: value_size @12).
pub fn map_lookup_raw(fd: BorrowedFd<'_>, key: u32) -> io::Result<Vec<u8>> {
    let mut info = [0u32; 32];
    obj_info(fd, &mut info)?;
    let mut value = vec![0u8; info[3] as usize];
    let key = key.to_ne_bytes();
    // BPF_MAP_LOOKUP_ELEM: map_fd @0, key @8, value @16.
    let mut attr = Attr::new()
        .u32(0, fd.as_raw_fd() as u32)
        .u64(8, key.as_ptr() as u64)
        .u64(16, value.as_mut_ptr() as u64);
    bpf(bpf_cmd::BPF_MAP_LOOKUP_ELEM, &mut attr)?;
    Ok(value)
}

/// Every value of an array map of `n` u32 values, in one BPF_MAP_LOOKUP_BATCH (aya 0.14 has no
/// batch operations; one lookup per entry would cost thousands of syscalls per check).
pub fn array_u32_all(fd: BorrowedFd<'_>, n: u32) -> io::Result<Vec<u32>> {
    let mut keys = vec![0u32; n as usize];
    let mut values = vec![0u32; n as usize];
    let mut out_batch = 0u32;
    // union bpf_attr, batch: in_batch @0 (NULL: from the start), out_batch @8, keys @16,
    // values @24, count @32, map_fd @36.
    let mut attr = Attr::new()
        .u64(8, &mut out_batch as *mut u32 as u64)
        .u64(16, keys.as_mut_ptr() as u64)
        .u64(24, values.as_mut_ptr() as u64)
        .u32(32, n)
        .u32(36, fd.as_raw_fd() as u32);
    match bpf(bpf_cmd::BPF_MAP_LOOKUP_BATCH, &mut attr) {
        // ENOENT: the end of the map was reached, with `count` entries copied.
        Ok(_) => {}
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
        Err(e) => return Err(e),
    }
    let count = u32::from_ne_bytes(attr.0[32..36].try_into().expect("four bytes"));
    if count != n || keys.iter().enumerate().any(|(i, &k)| k != i as u32) {
        return Err(io::Error::other(format!(
            "read {count} of {n} array entries"
        )));
    }
    Ok(values)
}

/// Set `entries` (index, value) of an array map of u32 values, in one BPF_MAP_UPDATE_BATCH,
/// in the order given.
pub fn array_u32_set(fd: BorrowedFd<'_>, entries: &[(u32, u32)]) -> io::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let keys: Vec<u32> = entries.iter().map(|e| e.0).collect();
    let values: Vec<u32> = entries.iter().map(|e| e.1).collect();
    let mut attr = Attr::new()
        .u64(16, keys.as_ptr() as u64)
        .u64(24, values.as_ptr() as u64)
        .u32(32, entries.len() as u32)
        .u32(36, fd.as_raw_fd() as u32);
    bpf(bpf_cmd::BPF_MAP_UPDATE_BATCH, &mut attr)?;
    let count = u32::from_ne_bytes(attr.0[32..36].try_into().expect("four bytes"));
    if count as usize != entries.len() {
        return Err(io::Error::other(format!(
            "wrote {count} of {} array entries",
            entries.len()
        )));
    }
    Ok(())
}

/// A `BPF_F_MMAPABLE` array map of u32 values mapped read-only: reading it is reading memory,
/// no syscall, however many entries (the tamper check reads the device index every tick).
pub struct MappedU32Array {
    base: *const u8,
    len: usize,
    entries: u32,
}

// SAFETY: the mapping is read-only and owned by the struct; reads are volatile.
unsafe impl Send for MappedU32Array {}

impl MappedU32Array {
    /// The kernel lays out an array's values at `round_up(value_size, 8)`, from the start of
    /// the mapping.
    const STRIDE: usize = 8;

    /// Map `entries` values of the array `fd`. Fails on a map created without
    /// `BPF_F_MMAPABLE` (an older object's pinned map).
    pub fn map(fd: BorrowedFd<'_>, entries: u32) -> io::Result<MappedU32Array> {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let len = (entries as usize * Self::STRIDE).div_ceil(page) * page;
        // SAFETY: a new shared read-only mapping of a descriptor we hold; the kernel checks
        // the map's flags and size.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(MappedU32Array {
            base: base as *const u8,
            len,
            entries,
        })
    }

    /// Every value, as the kernel holds it now.
    pub fn read(&self) -> Vec<u32> {
        (0..self.entries as usize)
            // SAFETY: in the mapping (entries * STRIDE <= len), aligned to 8; volatile, as the
            // kernel and other processes may write it at any time.
            .map(|i| unsafe {
                std::ptr::read_volatile(self.base.add(i * Self::STRIDE) as *const u32)
            })
            .collect()
    }
}

impl Drop for MappedU32Array {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `map`, unmapped once.
        unsafe { libc::munmap(self.base as *mut libc::c_void, self.len) };
    }
}

/// A tracing program to load by hand (aya 0.14 has no BPF_MODIFY_RETURN programs).
pub struct TracingLoad<'a> {
    /// Its name (the kernel keeps the first 15 bytes).
    pub name: &'a str,
    /// The relocated instructions, 8 bytes each.
    pub insns: &'a [u8],
    /// The attach type it is verified for.
    pub attach: AttachType,
    /// The kernel BTF id of the function it attaches to.
    pub attach_btf_id: u32,
}

/// BPF_PROG_LOAD of a `BPF_PROG_TYPE_TRACING` program. On failure the error carries the
/// verifier's log, when it wrote one.
pub fn load_tracing(p: &TracingLoad<'_>) -> io::Result<OwnedFd> {
    // union bpf_attr, BPF_PROG_LOAD: prog_type @0, insn_cnt @4, insns @8, license @16,
    // log_level @24, log_size @28, log_buf @32, prog_name[16] @48, expected_attach_type @68,
    // attach_btf_id @108.
    let license = c"GPL";
    let mut log = vec![0u8; 64 * 1024];
    let mut name = [0u8; 16];
    let len = p.name.len().min(15);
    name[..len].copy_from_slice(&p.name.as_bytes()[..len]);
    let attr = || {
        let mut a = Attr::new()
            .u32(
                0,
                aya_obj::generated::bpf_prog_type::BPF_PROG_TYPE_TRACING as u32,
            )
            .u32(4, (p.insns.len() / 8) as u32)
            .u64(8, p.insns.as_ptr() as u64)
            .u64(16, license.as_ptr() as u64)
            .u32(68, p.attach as u32)
            .u32(108, p.attach_btf_id);
        a.0[48..64].copy_from_slice(&name);
        a
    };
    match bpf(bpf_cmd::BPF_PROG_LOAD, &mut attr()) {
        Ok(fd) => Ok(owned(fd)),
        Err(first) => {
            // Again with the verifier's log, to say why.
            let mut with_log = attr()
                .u32(24, 1)
                .u32(28, log.len() as u32)
                .u64(32, log.as_mut_ptr() as u64);
            let _ = bpf(bpf_cmd::BPF_PROG_LOAD, &mut with_log);
            let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
            let text = String::from_utf8_lossy(&log[..end]);
            let text = text.trim();
            if text.is_empty() {
                Err(first)
            } else {
                let last: Vec<&str> = text.lines().rev().take(3).collect();
                let last: Vec<&str> = last.into_iter().rev().collect();
                Err(io::Error::new(
                    first.kind(),
                    format!("{first}; verifier: {}", last.join(" / ")),
                ))
            }
        }
    }
}
