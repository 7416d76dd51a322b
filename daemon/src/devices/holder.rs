//! The holder: a child process that keeps a second reference to each block device file a probe
//! is reading, and drops it when the probe is done.
//!
//! Why: the kernel's last close of a block device truncates its page cache and waits,
//! uninterruptibly, for the reads in flight. A medium that never answers would make the
//! daemon's exit (SIGTERM, a restart) hang in that close forever. With the holder owning a
//! reference (passed with SCM_RIGHTS: the same open file, not a new open, so the device program
//! is not asked again), the daemon's close is never the last; if the daemon stops during a
//! stall, the holder is the one left waiting, until the medium answers or is pulled out.
//!
//! The child is forked from a threaded process, so it only makes raw system calls on fixed
//! buffers: no allocation, no locks.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

const HOLD: u8 = 1;
const RELEASE: u8 = 2;
/// Files held at once (probes beyond `prober::MAX_STUCK` never start).
const SLOTS: usize = 64;

/// The daemon's end of the holder's socket.
pub struct Holder {
    sock: OwnedFd,
}

impl Holder {
    /// Fork the holder. None (and a warning) when it cannot be made: probes still work, but a
    /// stopping daemon may then wait for a medium that never answers.
    pub fn spawn() -> Option<Holder> {
        match spawn() {
            Ok(h) => Some(h),
            Err(e) => {
                tracing::warn!(error = %e, "no holder process for probed devices");
                None
            }
        }
    }

    /// Give the holder a reference to `file`, under `ticket`.
    pub fn hold(&self, ticket: u64, file: &File) -> io::Result<()> {
        send(&self.sock, HOLD, ticket, Some(file.as_raw_fd()))
    }

    /// The holder drops its reference of `ticket`.
    pub fn release(&self, ticket: u64) {
        if let Err(e) = send(&self.sock, RELEASE, ticket, None) {
            tracing::warn!(error = %e, "telling the holder to release a device");
        }
    }
}

fn spawn() -> io::Result<Holder> {
    let mut fds = [0i32; 2];
    // SAFETY: valid array of two ints.
    let rc = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fresh fds we own.
    let (ours, theirs) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: the child only runs `serve`, which makes raw system calls and never returns.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => serve(theirs.as_raw_fd()),
        _ => Ok(Holder { sock: ours }),
    }
}

fn send(sock: &OwnedFd, op: u8, ticket: u64, fd: Option<i32>) -> io::Result<()> {
    let mut msg = [0u8; 9];
    msg[0] = op;
    msg[1..9].copy_from_slice(&ticket.to_ne_bytes());
    let mut iov = libc::iovec {
        iov_base: msg.as_mut_ptr().cast(),
        iov_len: msg.len(),
    };
    // Room for one control message carrying one fd, aligned for cmsghdr.
    let mut control = [0u64; 4];
    // SAFETY: zeroed msghdr is valid; the pointers set below outlive the call.
    let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
    hdr.msg_iov = &mut iov;
    hdr.msg_iovlen = 1;
    if let Some(fd) = fd {
        // SAFETY: CMSG_SPACE/CMSG_LEN are pure arithmetic; the buffer holds CMSG_SPACE(4).
        unsafe {
            hdr.msg_control = control.as_mut_ptr().cast();
            hdr.msg_controllen = libc::CMSG_SPACE(4) as _;
            let c = libc::CMSG_FIRSTHDR(&hdr);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(4) as _;
            std::ptr::write_unaligned(libc::CMSG_DATA(c).cast::<i32>(), fd);
        }
    }
    // SAFETY: valid socket and message.
    let n = unsafe { libc::sendmsg(sock.as_raw_fd(), &hdr, libc::MSG_NOSIGNAL) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The holder's life: receive, hold, release; exit when the daemon's end closes.
fn serve(sock: i32) -> ! {
    // SAFETY: raw system calls on fixed buffers only (see the module comment).
    unsafe {
        // Keep nothing of the daemon's but the socket: maps, links and sockets stay its own.
        if libc::dup2(sock, 3) < 0 {
            libc::_exit(1);
        }
        libc::syscall(libc::SYS_close_range, 4u32, u32::MAX, 0u32);
        libc::prctl(libc::PR_SET_NAME, c"airgapd-holder".as_ptr());
        let mut held = [(0u64, -1i32); SLOTS];
        loop {
            let mut msg = [0u8; 9];
            let mut iov = libc::iovec {
                iov_base: msg.as_mut_ptr().cast(),
                iov_len: msg.len(),
            };
            let mut control = [0u64; 4];
            let mut hdr: libc::msghdr = std::mem::zeroed();
            hdr.msg_iov = &mut iov;
            hdr.msg_iovlen = 1;
            hdr.msg_control = control.as_mut_ptr().cast();
            hdr.msg_controllen = std::mem::size_of_val(&control) as _;
            let n = libc::recvmsg(3, &mut hdr, libc::MSG_CMSG_CLOEXEC);
            if n == 0 {
                // The daemon is gone: whatever is still held closes on exit, here.
                libc::_exit(0);
            }
            if n < 0 {
                if *libc::__errno_location() == libc::EINTR {
                    continue;
                }
                libc::_exit(1);
            }
            let ticket = u64::from_ne_bytes([
                msg[1], msg[2], msg[3], msg[4], msg[5], msg[6], msg[7], msg[8],
            ]);
            let c = libc::CMSG_FIRSTHDR(&hdr);
            let fd = if !c.is_null()
                && (*c).cmsg_level == libc::SOL_SOCKET
                && (*c).cmsg_type == libc::SCM_RIGHTS
            {
                std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<i32>())
            } else {
                -1
            };
            match msg[0] {
                HOLD if fd >= 0 => match held.iter_mut().find(|(_, f)| *f < 0) {
                    Some(slot) => *slot = (ticket, fd),
                    None => {
                        libc::close(fd);
                    }
                },
                RELEASE => {
                    for slot in held.iter_mut() {
                        if slot.1 >= 0 && slot.0 == ticket {
                            libc::close(slot.1);
                            *slot = (0, -1);
                        }
                    }
                }
                _ => {
                    if fd >= 0 {
                        libc::close(fd);
                    }
                }
            }
        }
    }
}
