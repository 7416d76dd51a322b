//! Which programs of `network.bpf.c` go where.
//!
//! cgroup programs attach to the scope cgroup; interface programs to one interface each (the
//! daemon puts them on every non-loopback interface of a whole-machine scope, tests on interfaces
//! of a namespace they created); the LSM program attaches globally and checks the scope itself.
//!
//! Interface programs are TCX links (Linux 6.6 and later), pinned like every other link. Older
//! kernels (Debian 12's 6.1) have no TCX: there the same programs go in as classic tc filters
//! (`clsact` qdisc, `cls_bpf` in direct-action mode) at a fixed priority and handle. Such a
//! filter is not a link and cannot be pinned, but it stays with the interface when the daemon
//! exits, and the next daemon replaces it in place (same priority and handle), so there is no
//! moment without it. `airgapd lift` removes them with [`detach_wire_legacy`].

use std::io;

use aya::programs::tc::{self, NlOptions, SchedClassifierLink, TcAttachOptions, TcError, TcHandle};
use aya::programs::{
    CgroupSkb, CgroupSock, CgroupSockAddr, CgroupSockopt, Lsm, ProgramError, SchedClassifier,
    TcAttachType,
};
use aya::{Btf, Ebpf};

use crate::bpf::{program_mut, EnforceError};
use crate::links::AttachType;

/// The cgroup programs every scope gets, and their attach types.
pub const CGROUP_LINKS: [(&str, AttachType); 8] = [
    (
        "airgap_sock_create",
        AttachType::BPF_CGROUP_INET_SOCK_CREATE,
    ),
    ("airgap_connect4", AttachType::BPF_CGROUP_INET4_CONNECT),
    ("airgap_connect6", AttachType::BPF_CGROUP_INET6_CONNECT),
    ("airgap_bind4", AttachType::BPF_CGROUP_INET4_BIND),
    ("airgap_bind6", AttachType::BPF_CGROUP_INET6_BIND),
    ("airgap_sendmsg4", AttachType::BPF_CGROUP_UDP4_SENDMSG),
    ("airgap_sendmsg6", AttachType::BPF_CGROUP_UDP6_SENDMSG),
    ("airgap_setsockopt", AttachType::BPF_CGROUP_SETSOCKOPT),
];

/// The per-packet cgroup programs (layer 3), attached only where [`packet_programs_needed`].
pub const SKB_LINKS: [(&str, AttachType); 2] = [
    ("airgap_skb_egress", AttachType::BPF_CGROUP_INET_EGRESS),
    ("airgap_skb_ingress", AttachType::BPF_CGROUP_INET_INGRESS),
];

/// Whether the per-packet cgroup programs are attached for this configuration.
///
/// Issue 23: each of them runs for every packet of every socket of the scope, loopback
/// included (≈ 60 ns of dispatch a run, eight runs per loopback TCP connection), and lets
/// loopback through at its first test. With a whole-machine scope they add nothing in the
/// loopback and no-network modes: the interface programs are on every non-loopback interface
/// (held down until they are, [`crate::service`]), drop every frame there whatever produced it,
/// and so cover each path the packet programs covered (a socket bound to another interface by
/// `SO_BINDTODEVICE` or `IP_PKTINFO`, source routing, `route_localnet`, a wildcard listener).
/// A cgroup scope has interface programs only in tests' namespaces, so it keeps them; the LAN
/// mode keeps them for the log host, which only the upload service's own sockets may reach.
pub fn packet_programs_needed(scope_level: u32, net_mode: u32) -> bool {
    scope_level != 0 || net_mode & airgapd_ebpf::abi::AIRGAP_NET_LAN != 0
}

/// The interface programs and their TCX attach types.
pub const WIRE_LINKS: [(&str, AttachType); 2] = [
    ("airgap_wire_egress", AttachType::BPF_TCX_EGRESS),
    ("airgap_wire_ingress", AttachType::BPF_TCX_INGRESS),
];

/// The interface programs as classic tc filters, on kernels without TCX.
pub const WIRE_LEGACY: [(&str, TcAttachType); 2] = [
    ("airgap_wire_egress", TcAttachType::Egress),
    ("airgap_wire_ingress", TcAttachType::Ingress),
];

/// Priority of the classic tc filters: first, before any other filter of the interface.
pub const WIRE_LEGACY_PRIORITY: u16 = 1;

/// Handle of the classic tc filters: fixed, so that a restarted daemon replaces its
/// predecessor's filter instead of adding a second one.
pub const WIRE_LEGACY_HANDLE: TcHandle = TcHandle::new(0, 1);

/// The BPF LSM program and the kernel hook it attaches to.
pub const LSM_SOCKET_CREATE: (&str, &str) = ("airgap_lsm_socket_create", "socket_create");

/// Load (verify) every cgroup program of the area. `Ok(Some(reason))`: the setsockopt program
/// is its reduced variant ([`crate::variant::SETSOCKOPT`]), the verifier having refused the
/// full one for `reason`.
/// `reduced`: that variant without trying the full one (tests).
pub fn load_cgroup(ebpf: &mut Ebpf, reduced: bool) -> Result<Option<String>, EnforceError> {
    let (create, _) = CGROUP_LINKS[0];
    let prog: &mut CgroupSock = program_mut(ebpf, create)?;
    prog.load().map_err(EnforceError::load(create))?;
    for (name, _) in &CGROUP_LINKS[1..7] {
        let prog: &mut CgroupSockAddr = program_mut(ebpf, name)?;
        prog.load().map_err(EnforceError::load(name))?;
    }
    for (name, _) in &SKB_LINKS {
        let prog: &mut CgroupSkb = program_mut(ebpf, name)?;
        prog.load().map_err(EnforceError::load(name))?;
    }
    crate::variant::load_either(crate::variant::SETSOCKOPT, reduced, |name| {
        let prog: &mut CgroupSockopt =
            program_mut(ebpf, name).map_err(|_| ProgramError::NotLoaded)?;
        prog.load()
    })
    .map_err(|(name, e)| EnforceError::load(name)(e))
}

/// Load the interface programs, once.
pub fn load_wire(ebpf: &mut Ebpf) -> Result<(), EnforceError> {
    for (name, _) in WIRE_LINKS {
        let prog: &mut SchedClassifier = program_mut(ebpf, name)?;
        if prog.fd().is_err() {
            prog.load().map_err(EnforceError::load(name))?;
        }
    }
    Ok(())
}

/// Load the BPF LSM program. Fails where the kernel cannot load LSM programs; the caller
/// reports that as an unavailable layer, never silently.
pub fn load_lsm(ebpf: &mut Ebpf, btf: &Btf) -> Result<(), EnforceError> {
    let (name, hook) = LSM_SOCKET_CREATE;
    let prog: &mut Lsm = program_mut(ebpf, name)?;
    prog.load(hook, btf).map_err(EnforceError::load(name))
}

/// Whether a failed TCX `BPF_LINK_CREATE` means that this kernel has no TCX: before Linux 6.6
/// the TCX attach types are unknown and the kernel answers EINVAL.
pub fn tcx_missing(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EINVAL)
}

fn legacy_error(name: &'static str, what: &str, e: impl std::fmt::Display) -> EnforceError {
    EnforceError::Link {
        name,
        source: io::Error::other(format!("{what} (tc, no TCX on this kernel): {e}")),
    }
}

/// Whether a netlink error is "already exists" (the clsact qdisc of an earlier daemon).
fn exists(e: &TcError) -> bool {
    match e {
        TcError::NetlinkError(e) => e.raw_os_error() == Some(libc::EEXIST),
        TcError::IoError(e) => e.raw_os_error() == Some(libc::EEXIST),
        _ => false,
    }
}

/// Attach the (loaded) interface programs to `interface` as classic tc filters: the kernels
/// without TCX. A filter an earlier daemon left at the same priority and handle is replaced in
/// place; otherwise one is created. Returns how many were replaced.
pub fn attach_wire_legacy(ebpf: &mut Ebpf, interface: &str) -> Result<usize, EnforceError> {
    let (first, _) = WIRE_LEGACY[0];
    match tc::qdisc_add_clsact(interface) {
        Ok(()) => {}
        Err(e) if exists(&e) => {}
        Err(e) => return Err(legacy_error(first, "adding the clsact qdisc", e)),
    }
    let mut replaced = 0;
    for (name, attach) in WIRE_LEGACY {
        let prog: &mut SchedClassifier = program_mut(ebpf, name)?;
        let earlier = SchedClassifierLink::attached(
            interface,
            attach,
            WIRE_LEGACY_PRIORITY,
            WIRE_LEGACY_HANDLE,
            None,
        )
        .map_err(|e| legacy_error(name, "finding the interface", e))?;
        // Replace first (no gap); a failed replace leaves whatever is there untouched.
        let id = match prog.attach_to_link(earlier) {
            Ok(id) => {
                replaced += 1;
                id
            }
            Err(_) => prog
                .attach_with_options(
                    interface,
                    attach,
                    TcAttachOptions::Netlink(NlOptions {
                        priority: WIRE_LEGACY_PRIORITY,
                        handle: WIRE_LEGACY_HANDLE,
                        classid: None,
                    }),
                )
                .map_err(|e| legacy_error(name, "adding the filter", e))?,
        };
        let link = prog
            .take_link(id)
            .map_err(|e: ProgramError| legacy_error(name, "keeping the filter", e))?;
        // Never detached by this process: like a pinned link, the filter keeps enforcing after
        // the daemon exits, until the next daemon replaces it or `airgapd lift` removes it.
        std::mem::forget(link);
    }
    tracing::info!(
        interface,
        replaced,
        "no TCX on this kernel: interface programs attached as tc filters (clsact)"
    );
    Ok(replaced)
}

/// Remove the classic tc filters of the interface programs from `interface` (for `airgapd
/// lift` on kernels without TCX). Missing filters are not an error.
pub fn detach_wire_legacy(interface: &str) -> Result<(), TcError> {
    for (name, attach) in WIRE_LEGACY {
        match tc::qdisc_detach_program(interface, attach, name) {
            Ok(()) => {}
            Err(TcError::IoError(e)) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
