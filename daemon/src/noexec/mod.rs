//! No execution from removable media, approved or not, unless the medium's `[[media]]` entry
//! says `allow_exec = true`. Three layers, each reported in `airgapctl status`:
//!
//! | layer | refuses | errno | recorded | where |
//! |---|---|---|---|---|
//! | `exec-bpf-lsm` ([`lsm`]) | execve of programs, scripts and interpreters; mmap/mprotect with PROT_EXEC (libraries, ld.so) | EPERM | each attempt | kernels that load BPF LSM programs |
//! | `exec-fanotify` ([`perm`]) | execve of programs and scripts | EPERM | each attempt | everywhere; every mount of the filesystem, in every namespace |
//! | `exec-noexec` ([`remount`]) | execve, and executable mappings | EACCES / EPERM | no | the media mounts the daemon sees, when the LSM layer is not active |
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
pub mod lsm;
pub mod namespaces;
pub mod perm;
pub mod remount;
pub mod userns;
