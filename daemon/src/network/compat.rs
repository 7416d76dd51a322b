//! Layer 6c: setsockopt(2) through the 32-bit compat entry.
//!
//! The kernel runs no `cgroup/setsockopt` program for a setsockopt made through the compat
//! entry (an i386 program, or `int 0x80` from a 64-bit one), so layer 6 does not see it. It does
//! call `security_socket_setsockopt` for both entries, and the verifier lets a
//! `BPF_MODIFY_RETURN` (fmod_ret) program attach to any `security_*` function whether or not BPF
//! LSM is in the active LSM list: it is a trampoline on the function itself. The program
//! (`airgap_compat_setsockopt` in `network.bpf.c`) refuses there, for compat calls of scoped
//! tasks only, what layer 6 refuses for native ones.
//!
//! aya 0.14 has no fmod_ret programs, so the daemon loads this one itself: it takes the
//! program's instructions out of the same object aya loaded (parsed again with aya-obj and
//! CO-RE relocated once a start: `kernel_btf`), applies the fds of the maps aya created
//! (config, counters, events: the ones layer 6's program uses), and loads it with
//! `BPF_PROG_LOAD` as `BPF_MODIFY_RETURN`.
//! Kernels without BPF trampolines refuse it; the caller reports the layer unavailable with the
//! kernel's answer.
//!
//! Layer 5 without BPF LSM is loaded the same way: `airgap_fmod_socket_create`, fmod_ret on
//! `security_socket_create`, refuses every socket family but AF_UNIX, AF_NETLINK and the inet
//! ones for scoped tasks (the judgement of the BPF LSM program, which needs `bpf` in `lsm=`),
//! where `cgroup/sock_create` sees only AF_INET and AF_INET6 (docs/architecture.md).

use std::collections::HashSet;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use aya::Btf;
use aya_obj::btf::BtfKind;
use aya_obj::generated::bpf_insn;

use crate::links::{self, AttachType, TracingLoad};

/// The program, in the object.
pub const PROGRAM: &str = "airgap_compat_setsockopt";

/// The kernel function it attaches to.
pub const TARGET: &str = "security_socket_setsockopt";

/// Layer 5 without BPF LSM: the program, in the object.
pub const CREATE_PROGRAM: &str = "airgap_fmod_socket_create";

/// The kernel function it attaches to.
pub const CREATE_TARGET: &str = "security_socket_create";

/// Load the compat setsockopt program; `sibling` is a loaded program of the same object that
/// uses every map this one does (layer 6's `airgap_setsockopt`), whose maps it shares.
pub fn load(sibling: BorrowedFd<'_>, btf: &Btf) -> Result<OwnedFd, String> {
    load_fmod_ret(PROGRAM, TARGET, sibling, btf)
}

/// Load `program` of the object as fmod_ret on the kernel function `target`, sharing the maps
/// of `sibling` (which must use every map `program` uses).
pub fn load_fmod_ret(
    program: &'static str,
    target: &str,
    sibling: BorrowedFd<'_>,
    btf: &Btf,
) -> Result<OwnedFd, String> {
    load_fmod_ret_with(program, target, sibling, &[], btf)
}

/// [`load_fmod_ret`] with maps the sibling does not use, by their names in the object (the
/// read-only media programs' `airgap_ro_dev`, which only they use).
pub fn load_fmod_ret_with(
    program: &'static str,
    target: &str,
    sibling: BorrowedFd<'_>,
    extra: &[(&str, BorrowedFd<'_>)],
    btf: &Btf,
) -> Result<OwnedFd, String> {
    // CO-RE applied to the whole object as aya does (it finds relocations by section), once a
    // start: every fmod_ret program is cut from a copy.
    let mut obj = crate::kernel_btf::relocated_object()?;
    let prog = obj
        .programs
        .get(program)
        .cloned()
        .ok_or_else(|| format!("no program {program} in the object"))?;
    // Only this program's section is relocated and loaded from here on.
    let key = prog.function_key();
    obj.programs.retain(|name, _| name == program);
    obj.functions
        .retain(|(section, _), _| *section == prog.section_index);

    let shared = shared_maps(sibling)?;
    let defs = obj.maps.clone();
    let mut maps = Vec::new();
    for (name, def) in &defs {
        if let Some((_, fd)) = shared.iter().find(|(n, _)| kernel_name(name) == n) {
            maps.push((name.as_str(), fd.as_raw_fd(), def));
        } else if let Some((_, fd)) = extra.iter().find(|(n, _)| n == name) {
            maps.push((name.as_str(), fd.as_raw_fd(), def));
        }
    }
    let text: HashSet<usize> = obj.functions.keys().map(|(s, _)| *s).collect();
    obj.relocate_maps(maps.into_iter(), &text)
        .map_err(|e| format!("relocating maps: {e}"))?;
    obj.relocate_calls(&text)
        .map_err(|e| format!("relocating calls: {e}"))?;
    let insns = &obj
        .functions
        .get(&key)
        .ok_or_else(|| format!("no code for {program}"))?
        .instructions;

    let attach_btf_id = btf
        .id_by_type_name_kind(target, BtfKind::Func)
        .map_err(|e| format!("{target} not in the kernel's BTF: {e}"))?;
    links::load_tracing(&TracingLoad {
        name: program,
        insns: insn_bytes(insns),
        attach: AttachType::BPF_MODIFY_RETURN,
        attach_btf_id,
    })
    .map_err(|e| e.to_string())
}

/// Attach the loaded program (global: it checks the scope itself), pinned at `pin` when given.
pub fn attach(prog: BorrowedFd<'_>, pin: Option<&std::path::Path>) -> std::io::Result<OwnedFd> {
    links::attach(
        prog,
        links::Target::Global,
        AttachType::BPF_MODIFY_RETURN,
        pin,
    )
    .map(|(fd, _)| fd)
}

/// The maps of a loaded program, by their kernel names.
fn shared_maps(sibling: BorrowedFd<'_>) -> Result<Vec<(String, OwnedFd)>, String> {
    let info = links::prog_info_of(sibling.as_fd()).map_err(|e| format!("program info: {e}"))?;
    info.map_ids
        .iter()
        .map(|&id| {
            links::map_by_id(id)
                .map(|(fd, name)| (name, fd))
                .map_err(|e| format!("map {id}: {e}"))
        })
        .collect()
}

/// The kernel keeps the first 15 bytes of a map's name.
fn kernel_name(name: &str) -> &str {
    &name[..name.len().min(15)]
}

fn insn_bytes(insns: &[bpf_insn]) -> &[u8] {
    // SAFETY: bpf_insn is a plain 8-byte #[repr(C)] struct; the bytes are what the kernel reads.
    unsafe { std::slice::from_raw_parts(insns.as_ptr().cast::<u8>(), std::mem::size_of_val(insns)) }
}
