//! The network area: which programs of `network.bpf.c` go where.
//!
//! cgroup programs attach to the scope cgroup; interface programs to one interface each (the
//! daemon puts them on every non-loopback interface of a whole-machine scope, tests on interfaces
//! of a namespace they created); the LSM program attaches globally and checks the scope itself.

use std::os::fd::AsFd;

use aya::programs::{
    CgroupAttachMode, CgroupSkb, CgroupSkbAttachType, CgroupSock, CgroupSockAddr, Lsm,
    SchedClassifier, TcAttachType,
};
use aya::{Btf, Ebpf};

use crate::bpf::{program_mut, EnforceError};

/// cgroup/sock_create.
const SOCK_CREATE: &str = "airgap_sock_create";
/// The sockaddr hooks (connect, bind, sendmsg; v4 and v6).
const SOCK_ADDR: [&str; 6] = [
    "airgap_connect4",
    "airgap_connect6",
    "airgap_bind4",
    "airgap_bind6",
    "airgap_sendmsg4",
    "airgap_sendmsg6",
];
const SKB_EGRESS: &str = "airgap_skb_egress";
const SKB_INGRESS: &str = "airgap_skb_ingress";
const WIRE_EGRESS: &str = "airgap_wire_egress";
const WIRE_INGRESS: &str = "airgap_wire_ingress";
/// The BPF LSM hook and the kernel hook it attaches to.
const LSM_SOCKET_CREATE: (&str, &str) = ("airgap_lsm_socket_create", "socket_create");

/// Attach every cgroup program of the area to the scope cgroup.
pub fn attach_cgroup(ebpf: &mut Ebpf, cgroup: impl AsFd + Copy) -> Result<(), EnforceError> {
    let prog: &mut CgroupSock = program_mut(ebpf, SOCK_CREATE)?;
    prog.load().map_err(EnforceError::load(SOCK_CREATE))?;
    prog.attach(cgroup, CgroupAttachMode::Single)
        .map_err(EnforceError::attach(SOCK_CREATE))?;

    for name in SOCK_ADDR {
        let prog: &mut CgroupSockAddr = program_mut(ebpf, name)?;
        prog.load().map_err(EnforceError::load(name))?;
        prog.attach(cgroup, CgroupAttachMode::Single)
            .map_err(EnforceError::attach(name))?;
    }

    for (name, dir) in [
        (SKB_EGRESS, CgroupSkbAttachType::Egress),
        (SKB_INGRESS, CgroupSkbAttachType::Ingress),
    ] {
        let prog: &mut CgroupSkb = program_mut(ebpf, name)?;
        prog.load().map_err(EnforceError::load(name))?;
        prog.attach(cgroup, dir, CgroupAttachMode::Single)
            .map_err(EnforceError::attach(name))?;
    }
    Ok(())
}

/// Attach the interface programs (TCX egress and ingress) to one interface of the calling
/// thread's network namespace. Never call this for `lo`.
pub fn attach_wire(ebpf: &mut Ebpf, interface: &str) -> Result<(), EnforceError> {
    for (name, dir) in [
        (WIRE_EGRESS, TcAttachType::Egress),
        (WIRE_INGRESS, TcAttachType::Ingress),
    ] {
        let prog: &mut SchedClassifier = program_mut(ebpf, name)?;
        if prog.fd().is_err() {
            prog.load().map_err(EnforceError::load(name))?;
        }
        prog.attach(interface, dir)
            .map_err(EnforceError::attach(name))?;
    }
    Ok(())
}

/// Load and attach the BPF LSM program. Fails where the kernel cannot load LSM programs;
/// the caller reports that as an unavailable layer, never silently.
pub fn attach_lsm(ebpf: &mut Ebpf, btf: &Btf) -> Result<(), EnforceError> {
    let (name, hook) = LSM_SOCKET_CREATE;
    let prog: &mut Lsm = program_mut(ebpf, name)?;
    prog.load(hook, btf).map_err(EnforceError::load(name))?;
    prog.attach().map_err(EnforceError::attach(name))?;
    Ok(())
}
