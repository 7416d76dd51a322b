//! The isolation watcher: an rtnetlink socket of one network namespace, subscribed to the link,
//! address and route groups of both families (no polling), feeding [`Isolation`]. The socket
//! belongs to the network namespace of the thread that opens it, so tests open it inside a
//! namespace they made.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use super::isolation::{Finding, Isolation};
use super::rtnetlink::{self, parse, IFADDRMSG, IFINFOMSG, RTMSG};
use crate::plan::LanPlan;

/// The rtnetlink groups watched: links, and addresses and routes of both families.
const GROUPS: u32 = (libc::RTMGRP_LINK
    | libc::RTMGRP_IPV4_IFADDR
    | libc::RTMGRP_IPV4_ROUTE
    | libc::RTMGRP_IPV6_IFADDR
    | libc::RTMGRP_IPV6_ROUTE) as u32;

/// How long a dump may take before the watcher gives up on it.
const DUMP_TIMEOUT_MS: libc::c_int = 5000;

enum Socket {
    /// Opened, not yet registered with a tokio runtime (tests open it on a thread that entered
    /// a namespace and has none).
    Plain(OwnedFd),
    Async(AsyncFd<OwnedFd>),
    Closed,
}

/// The rtnetlink watcher: a socket of one network namespace and the judgement.
pub struct Watcher {
    socket: Socket,
    seq: u32,
    state: Isolation,
    /// Findings of the start-up dump, handed out by the first [`Watcher::next`].
    pub(super) pending: Vec<Finding>,
}

impl Watcher {
    /// Subscribe in the calling thread's network namespace, then read the present links,
    /// addresses and routes (losses already present are returned by the first `next`).
    /// Blocking (a dump takes milliseconds); needs no runtime.
    pub fn open(lans: &[LanPlan]) -> io::Result<Watcher> {
        let fd = rtnetlink::route_socket(GROUPS)?;
        // A burst (a NIC with many addresses, a routing daemon) must not overrun the socket.
        let size: libc::c_int = 1 << 20;
        // SAFETY: valid fd and option value of the declared size.
        unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as u32,
            )
        };
        set_nonblocking(&fd)?;
        let mut watcher = Watcher {
            socket: Socket::Plain(fd),
            seq: 0,
            state: Isolation::new(lans),
            pending: Vec::new(),
        };
        let found = watcher.dump_all()?;
        watcher.pending = found;
        Ok(watcher)
    }

    /// The judgement and interface view so far.
    pub fn state(&self) -> &Isolation {
        &self.state
    }

    fn fd(&self) -> io::Result<&OwnedFd> {
        match &self.socket {
            Socket::Plain(fd) => Ok(fd),
            Socket::Async(afd) => Ok(afd.get_ref()),
            Socket::Closed => Err(io::Error::other("the rtnetlink socket is closed")),
        }
    }

    /// Dump links, then addresses, then routes (one dump at a time per socket), judging every
    /// message that arrives meanwhile too.
    fn dump_all(&mut self) -> io::Result<Vec<Finding>> {
        let mut out = Vec::new();
        for (kind, body) in [
            (libc::RTM_GETLINK, IFINFOMSG),
            (libc::RTM_GETADDR, IFADDRMSG),
            (libc::RTM_GETROUTE, RTMSG),
        ] {
            self.seq += 1;
            let seq = self.seq;
            rtnetlink::request_dump(self.fd()?, kind, body, seq)?;
            loop {
                let buf = recv_waiting(self.fd()?)?;
                let (msgs, done) = parse(&buf, Some(seq));
                for m in msgs {
                    self.state.apply(m, &mut out);
                }
                if done {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Wait for the next findings (losses, interface changes). Must run inside a tokio runtime.
    pub async fn next(&mut self) -> io::Result<Vec<Finding>> {
        if !self.pending.is_empty() {
            return Ok(std::mem::take(&mut self.pending));
        }
        if let Socket::Plain(_) = self.socket {
            let Socket::Plain(fd) = std::mem::replace(&mut self.socket, Socket::Closed) else {
                unreachable!()
            };
            // SAFETY: the AsyncFd owns the OwnedFd, which stays open as long as it does.
            let afd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }
                .map_err(io::Error::from)?;
            self.socket = Socket::Async(afd);
        }
        loop {
            let Socket::Async(afd) = &self.socket else {
                return Err(io::Error::other("the rtnetlink socket is closed"));
            };
            let mut guard = afd.readable().await?;
            let got = guard.try_io(|fd| recv(fd.get_ref()));
            drop(guard);
            let mut out = Vec::new();
            match got {
                Err(_would_block) => continue,
                Ok(Ok(buf)) => {
                    for m in parse(&buf, None).0 {
                        self.state.apply(m, &mut out);
                    }
                }
                // Overrun: notifications were lost. Read the whole state again; what is still
                // raised stays raised, anything new is reported.
                Ok(Err(e)) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    tracing::warn!("rtnetlink overrun: reading links, addresses and routes again");
                    self.state.begin_rescan();
                    let dumped = self.dump_all();
                    self.state.end_rescan();
                    out = dumped?;
                }
                Ok(Err(e)) => return Err(e),
            }
            if !out.is_empty() {
                return Ok(out);
            }
        }
    }
}

fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: fcntl on a valid fd.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0
        || unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0
    {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// One datagram (non-blocking socket: WouldBlock when there is none).
fn recv(fd: &OwnedFd) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; 64 * 1024];
    // SAFETY: valid fd and buffer.
    let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    buf.truncate(n as usize);
    Ok(buf)
}

/// One datagram, waiting for it (during a dump).
fn recv_waiting(fd: &OwnedFd) -> io::Result<Vec<u8>> {
    loop {
        match recv(fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let mut pfd = libc::pollfd {
                    fd: fd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd.
                let n = unsafe { libc::poll(&mut pfd, 1, DUMP_TIMEOUT_MS) };
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "rtnetlink dump did not finish",
                    ));
                }
                if n < 0 {
                    let e = io::Error::last_os_error();
                    if e.kind() != io::ErrorKind::Interrupted {
                        return Err(e);
                    }
                }
            }
            other => return other,
        }
    }
}
