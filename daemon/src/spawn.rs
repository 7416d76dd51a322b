//! Starting a process inside an enforcement scope.
//!
//! The child joins the scope between fork and exec, so not one instruction of the command runs
//! unenforced. Optionally it first gets a fresh network namespace with only `lo` up: on a shared
//! machine a demonstration or test that tries a non-loopback address then cannot emit a packet
//! even if enforcement were broken (the failure would read ENETUNREACH, never EPERM).

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::scope::Scope;

/// Options for [`prepare`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SpawnOptions {
    /// Give the child a new, empty network namespace (loopback only, up).
    pub new_netns: bool,
    /// Kill the child when the spawning thread dies, so it never outlives enforcement.
    pub die_with_parent: bool,
}

/// Arrange for `cmd` to start inside `scope`.
pub fn prepare(cmd: &mut Command, scope: &Scope, opts: SpawnOptions) -> io::Result<()> {
    let procs = CString::new(scope.procs_file().as_os_str().as_bytes())?;
    // SAFETY: the closure only makes raw syscalls on memory prepared before fork (no allocation,
    // no locks), which is what is allowed between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            default_handlers();
            if opts.die_with_parent && libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            if opts.new_netns {
                if libc::unshare(libc::CLONE_NEWNET) != 0 {
                    return Err(io::Error::last_os_error());
                }
                loopback_up()?;
            }
            join(&procs)
        });
    }
    Ok(())
}

/// Give the signals a terminal or a service manager sends back their default action now, as
/// execve would (a handler does not survive it; an ignored signal stays ignored). Until exec
/// the child has the parent's handlers (tokio's, for Ctrl-C), which would swallow a Ctrl-C
/// sent once the child is seen in the scope (`cgroup.procs`) and before it is the command:
/// the command then ran on as if nothing was pressed.
fn default_handlers() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
        // SAFETY: sigaction with a zeroed struct to read into, then SIG_DFL: async-signal-safe.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &raw mut old) == 0
                && old.sa_sigaction != libc::SIG_IGN
                && old.sa_sigaction != libc::SIG_DFL
            {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
    }
}

/// Write our own pid into `cgroup.procs` (writing "0" means "the writing process").
fn join(procs: &CString) -> io::Result<()> {
    // SAFETY: plain syscalls on a valid NUL-terminated path and a static buffer.
    unsafe {
        let fd = libc::open(procs.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = libc::write(fd, b"0".as_ptr().cast(), 1);
        let err = io::Error::last_os_error();
        libc::close(fd);
        if n != 1 {
            return Err(err);
        }
    }
    Ok(())
}

/// `ip link set lo up` in the current network namespace. An AF_UNIX socket is enough to reach
/// the device ioctls, and unlike AF_INET it is never subject to the network programs.
pub fn loopback_up() -> io::Result<()> {
    // SAFETY: plain syscalls with a zeroed, correctly sized ifreq.
    unsafe {
        let fd = libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut ifr: libc::ifreq = std::mem::zeroed();
        ifr.ifr_name[0] = b'l' as libc::c_char;
        ifr.ifr_name[1] = b'o' as libc::c_char;
        let mut rc = libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut ifr);
        if rc == 0 {
            ifr.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            rc = libc::ioctl(fd, libc::SIOCSIFFLAGS, &ifr);
        }
        let err = io::Error::last_os_error();
        libc::close(fd);
        if rc != 0 {
            return Err(err);
        }
    }
    Ok(())
}
