//! No execution from removable media, approved or not, unless the medium's `[[media]]` entry
//! says `allow_exec = true`. Three layers, each reported in `airgapctl status`:
//!
//! | layer | refuses | errno | recorded | where |
//! |---|---|---|---|---|
//! | `exec-bpf-lsm` ([`lsm`]) | execve of programs, scripts and interpreters; mmap/mprotect with PROT_EXEC (libraries, ld.so) | EPERM | each attempt | kernels that load BPF LSM programs |
//! | `exec-fanotify` ([`perm`]) | execve of programs and scripts; without the LSM layer also `ld.so FILE` | EPERM | each attempt | everywhere; every mount of the filesystem, in every namespace, through overlays |
//! | `exec-noexec` ([`remount`], [`namespaces`], [`hold`]) | execve, and executable mappings: the daemon's mounts by mount id, and before any open completes the mount it goes through (the opener held meanwhile) and overlays over the medium, in the opener's namespace | EACCES / EPERM | no (the daemon's changes are, folded by [`fold`]) | when the LSM layer is not active |
//! | `exec-userns` ([`userns`]) | user namespaces of unprivileged users (policy, default off) | EPERM | no | Debian and Ubuntu kernels, whole-machine scope |
//!
//! The kernel checks noexec before any hook is called, so an `execve` refused by noexec is
//! not seen by fanotify or the LSM and leaves no record. That is why noexec is used only where
//! the BPF LSM layer is not active: there it is the only thing that refuses executable
//! mappings, and refusing comes before recording. Where the LSM layer is active it refuses
//! and records everything noexec would, so media keep their mount options and every attempt
//! is recorded.
//!
//! Running `sh script.sh` with a script on a medium reads the script; no layer refuses reading
//! (copying from approved media is what they are for; the copy register records the read).

pub mod fold;
pub mod hold;
pub mod lsm;
pub mod namespaces;
pub mod perm;
pub mod remount;
pub mod userns;
