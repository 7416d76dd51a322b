//! What `airgapd run` does not do, said where a person looks: its `--help`, and one line per
//! part of the given policy that a cgroup scope cannot apply. A scoped trial must never be
//! mistaken for a whole-machine air gap, nor half a policy be applied in silence.
//!
//! Every sentence of this module is here, whole, ready to move into the message catalog.

use airgapd_policy::{Decision, Policy};

/// The limits of a cgroup scope, shown at the end of `airgapd run --help`.
pub const SCOPE_LIMITS: &str = "\
A run is a trial of a policy in one cgroup, not an air gap: only the command and its
descendants are judged, and machine-wide layers are not used. Closed in the scope besides
addresses: raw and ping sockets, PACKET_QDISC_BYPASS and AF_XDP (their socket options),
multicast joins, and autobound ports (scoped sockets are bound to lo).

What a cgroup scope cannot close (airgapd service closes the first three for the whole
machine):
  - raw frames (AF_PACKET) and other non-inet sockets from root in the scope where the kernel
    loads neither BPF LSM nor BPF trampoline programs (the run then says layers bpf-lsm and
    socket-create-fmod-ret are unavailable): the interface programs need a whole-machine scope;
  - USB authorization, approval of [[media]], and switching radios off are machine-wide;
  - root in the scope can leave the cgroup, change routes, rebind sockets to another
    interface (SO_BINDTODEVICE), or mirror loopback traffic to another interface (tc mirred);
  - a process in the scope can ptrace, or write the memory of, a process of the same user
    outside it and act through it (kernel.yama.ptrace_scope=1 or higher stops that);
  - sockets passed in from outside (SCM_RIGHTS) keep the cgroup they were made in;
  - 32-bit system calls skip the socket option checks where the kernel loads no BPF
    trampolines (the run then says layer compat-setsockopt is unavailable; boot with
    ia32_emulation=0).";

const MEDIA: &str = "the policy's [[media]] entries are not applied: approving a medium needs \
the USB and superblock checks of airgapd service, so every removable medium stays refused in \
the scope";
const USB: &str = "the policy's [usb] part is not applied: USB authorization is machine-wide \
(airgapd service)";
const RADIO: &str = "the policy's [capture] radio = \"deny\" is applied only as /dev/rfkill \
read-only in the scope: switching radios off is machine-wide (airgapd service)";
const LOGGING: &str = "the policy's [logging] part is not applied: a run prints every refusal";
const PTRACE: &str = "kernel.yama.ptrace_scope is 0: a process in the scope can ptrace a process \
of the same user outside it and act through it";

/// One sentence for each part of `policy` that a run does not apply, in file order.
pub fn unapplied(policy: &Policy) -> Vec<&'static str> {
    let default = Policy::default_policy();
    let mut out = Vec::new();
    if !policy.media.is_empty() {
        out.push(MEDIA);
    }
    if policy.usb != default.usb {
        out.push(USB);
    }
    if policy.capture.radio == Decision::Deny {
        out.push(RADIO);
    }
    if policy.logging != default.logging {
        out.push(LOGGING);
    }
    out
}

/// A warning when the machine lets the scope reach same-user processes outside it.
pub fn ptrace_warning() -> Option<&'static str> {
    let scope = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope").ok();
    match scope.as_deref().map(str::trim) {
        Some("0") | None => Some(PTRACE),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_part_a_run_does_not_apply_is_named() {
        let text = "[[media]]\nname = \"Stick\"\nvendor_id = \"0781\"\nproduct_id = \"5581\"\n\
                    serial = \"4C530001\"\nfs_label = \"SECRET\"\naccess = \"read-only\"\n\
                    [usb]\nprinters = \"deny\"\n[logging]\nstorm_interval_ms = 5000\n";
        let policy = airgapd_policy::parse(text, None).unwrap().policy;
        assert_eq!(unapplied(&policy), [MEDIA, USB, RADIO, LOGGING]);
    }

    #[test]
    fn the_default_policy_names_only_the_radios() {
        assert_eq!(unapplied(&Policy::default_policy()), [RADIO]);
    }
}
