//! Programs loaded with raw bpf(2), as an attacker or an older airgapd would have them: nothing
//! of the daemon's loader is involved.

use std::os::fd::{FromRawFd, OwnedFd};

/// A cgroup/sock_create program named `name` (at most 15 bytes) whose every answer is
/// `verdict` (`r0 = verdict; exit`): 1 allows every socket, 0 refuses every one.
pub fn sock_create_returning(verdict: u32, name: &str) -> OwnedFd {
    let insns: [u64; 2] = [
        // BPF_ALU64 | BPF_MOV | BPF_K, dst r0, imm verdict
        0xb7 | (u64::from(verdict) << 32),
        // BPF_JMP | BPF_EXIT
        0x95,
    ];
    let license = c"GPL";
    let mut attr = [0u8; 128];
    let put32 = |a: &mut [u8; 128], o: usize, v: u32| a[o..o + 4].copy_from_slice(&v.to_ne_bytes());
    let put64 = |a: &mut [u8; 128], o: usize, v: u64| a[o..o + 8].copy_from_slice(&v.to_ne_bytes());
    put32(&mut attr, 0, 9); // BPF_PROG_TYPE_CGROUP_SOCK
    put32(&mut attr, 4, 2);
    put64(&mut attr, 8, insns.as_ptr() as u64);
    put64(&mut attr, 16, license.as_ptr() as u64);
    let name = &name.as_bytes()[..name.len().min(15)];
    attr[48..48 + name.len()].copy_from_slice(name);
    put32(&mut attr, 68, 2); // BPF_CGROUP_INET_SOCK_CREATE
                             // SAFETY: a zero-padded bpf_attr for BPF_PROG_LOAD (5) with valid pointers.
    let fd = unsafe { libc::syscall(libc::SYS_bpf, 5, attr.as_mut_ptr(), attr.len()) };
    assert!(
        fd >= 0,
        "BPF_PROG_LOAD: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: the kernel just returned this fd.
    unsafe { OwnedFd::from_raw_fd(fd as i32) }
}
