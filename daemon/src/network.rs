//! The network area: which programs of `network.bpf.c` go where.
//!
//! cgroup programs attach to the scope cgroup; interface programs to one interface each (the
//! daemon puts them on every non-loopback interface of a whole-machine scope, tests on interfaces
//! of a namespace they created); the LSM program attaches globally and checks the scope itself.

use aya::programs::{CgroupSkb, CgroupSock, CgroupSockAddr, Lsm, SchedClassifier};
use aya::{Btf, Ebpf};

use crate::bpf::{program_mut, EnforceError};
use crate::links::AttachType;

/// The cgroup programs and their attach types.
pub const CGROUP_LINKS: [(&str, AttachType); 9] = [
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
    ("airgap_skb_egress", AttachType::BPF_CGROUP_INET_EGRESS),
    ("airgap_skb_ingress", AttachType::BPF_CGROUP_INET_INGRESS),
];

/// The interface programs and their TCX attach types.
pub const WIRE_LINKS: [(&str, AttachType); 2] = [
    ("airgap_wire_egress", AttachType::BPF_TCX_EGRESS),
    ("airgap_wire_ingress", AttachType::BPF_TCX_INGRESS),
];

/// The BPF LSM program and the kernel hook it attaches to.
pub const LSM_SOCKET_CREATE: (&str, &str) = ("airgap_lsm_socket_create", "socket_create");

/// Load (verify) every cgroup program of the area.
pub fn load_cgroup(ebpf: &mut Ebpf) -> Result<(), EnforceError> {
    let (create, _) = CGROUP_LINKS[0];
    let prog: &mut CgroupSock = program_mut(ebpf, create)?;
    prog.load().map_err(EnforceError::load(create))?;
    for (name, _) in &CGROUP_LINKS[1..7] {
        let prog: &mut CgroupSockAddr = program_mut(ebpf, name)?;
        prog.load().map_err(EnforceError::load(name))?;
    }
    for (name, _) in &CGROUP_LINKS[7..] {
        let prog: &mut CgroupSkb = program_mut(ebpf, name)?;
        prog.load().map_err(EnforceError::load(name))?;
    }
    Ok(())
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
