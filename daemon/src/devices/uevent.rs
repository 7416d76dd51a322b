//! Kernel uevents (NETLINK_KOBJECT_UEVENT, the kernel's own multicast group): device arrivals and
//! departures as the kernel announces them, with or without udevd. airgapd does not need udev's
//! database: it identifies media itself (see `fsprobe`).

use std::collections::BTreeMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// One uevent: `ACTION`, `DEVPATH`, `SUBSYSTEM`, `MAJOR`, `MINOR`, `DEVNAME`, `DEVTYPE`, ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uevent {
    /// Every KEY=VALUE of the message.
    pub vars: BTreeMap<String, String>,
}

impl Uevent {
    /// A variable, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(String::as_str)
    }

    /// `add`, `remove`, `change`, `bind`, ...
    pub fn action(&self) -> &str {
        self.get("ACTION").unwrap_or("")
    }

    /// `(major, minor)` when the event is about a device node.
    pub fn devnum(&self) -> Option<(u32, u32)> {
        Some((
            self.get("MAJOR")?.parse().ok()?,
            self.get("MINOR")?.parse().ok()?,
        ))
    }

    /// Parse one kernel message: `action@devpath\0KEY=VALUE\0...`. udev's own messages (which
    /// start with "libudev") are not for us and give None.
    pub fn parse(msg: &[u8]) -> Option<Uevent> {
        let mut parts = msg.split(|&b| b == 0);
        let header = parts.next()?;
        if !header.contains(&b'@') {
            return None;
        }
        let vars = parts
            .filter_map(|p| {
                let s = std::str::from_utf8(p).ok()?;
                let (k, v) = s.split_once('=')?;
                Some((k.to_string(), v.to_string()))
            })
            .collect::<BTreeMap<_, _>>();
        vars.contains_key("ACTION").then_some(Uevent { vars })
    }
}

/// A socket on the kernel's uevent multicast group.
pub struct UeventSocket {
    fd: OwnedFd,
}

impl UeventSocket {
    /// Subscribe. Needs no privilege beyond being in the initial network namespace.
    pub fn open() -> io::Result<UeventSocket> {
        // SAFETY: socket(2) returns a new fd that we own from here on.
        let fd = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                libc::NETLINK_KOBJECT_UEVENT,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is fresh and owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // A burst of arrivals (a hub with four sticks) must not overflow the queue.
        let size: libc::c_int = 1 << 20;
        // SAFETY: valid fd and option value.
        unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUFFORCE,
                (&size as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as u32,
            );
        }
        // SAFETY: zeroed sockaddr_nl is valid; group 1 is the kernel's.
        let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        sa.nl_family = libc::AF_NETLINK as u16;
        sa.nl_groups = 1;
        // SAFETY: valid fd and sockaddr_nl.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&sa as *const libc::sockaddr_nl).cast(),
                size_of::<libc::sockaddr_nl>() as u32,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(UeventSocket { fd })
    }

    /// How many uevents the kernel dropped for this socket since it was opened (its buffer
    /// was full): `SO_MEMINFO`'s drop count. None if the kernel does not say.
    pub fn drops(&self) -> Option<u32> {
        // SK_MEMINFO_VARS entries; SK_MEMINFO_DROPS is the last (include/uapi/linux/sock_diag.h).
        const SK_MEMINFO_DROPS: usize = 8;
        let mut info = [0u32; SK_MEMINFO_DROPS + 1];
        let mut len = std::mem::size_of_val(&info) as libc::socklen_t;
        // SAFETY: valid fd; `info` is a live buffer of `len` bytes.
        let rc = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_MEMINFO,
                info.as_mut_ptr().cast(),
                &mut len,
            )
        };
        (rc == 0 && len as usize > SK_MEMINFO_DROPS * 4).then_some(info[SK_MEMINFO_DROPS])
    }

    /// Block for the next kernel uevent. Messages not sent by the kernel itself (a root process
    /// can multicast on this group too) are dropped here: a forged "remove" must never withdraw
    /// a grant or write a false record, a forged "add" never trigger a judgement.
    pub fn recv(&self) -> io::Result<Uevent> {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            // SAFETY: zeroed sockaddr_nl is valid.
            let mut from: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
            let mut iov = libc::iovec {
                iov_base: buf.as_mut_ptr().cast(),
                iov_len: buf.len(),
            };
            // SAFETY: zeroed msghdr is valid; we fill the pointers below.
            let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
            msg.msg_name = (&mut from as *mut libc::sockaddr_nl).cast();
            msg.msg_namelen = size_of::<libc::sockaddr_nl>() as u32;
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            // SAFETY: valid fd; msg points at live buffers for the duration of the call.
            let n = unsafe { libc::recvmsg(self.fd.as_raw_fd(), &mut msg, 0) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::ENOBUFS) {
                    // Overrun: events were lost; the caller rescans.
                    return Err(e);
                }
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if !from_kernel(&from, msg.msg_namelen) {
                tracing::warn!(
                    sender_port = from.nl_pid,
                    "dropped a uevent not sent by the kernel"
                );
                continue;
            }
            if let Some(ev) = Uevent::parse(&buf[..n as usize]) {
                return Ok(ev);
            }
        }
    }
}

/// The kernel sends from port 0; any other port is a process.
fn from_kernel(from: &libc::sockaddr_nl, len: u32) -> bool {
    len as usize >= size_of::<libc::sockaddr_nl>()
        && from.nl_family == libc::AF_NETLINK as u16
        && from.nl_pid == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_block_add() {
        let msg = b"add@/devices/virtual/block/loop3\0ACTION=add\0DEVPATH=/devices/virtual/block/loop3\0SUBSYSTEM=block\0MAJOR=7\0MINOR=3\0DEVNAME=loop3\0DEVTYPE=disk\0SEQNUM=4242\0";
        let ev = Uevent::parse(msg).unwrap();
        assert_eq!(ev.action(), "add");
        assert_eq!(ev.devnum(), Some((7, 3)));
        assert_eq!(ev.get("DEVNAME"), Some("loop3"));
    }

    #[test]
    fn only_the_kernel_is_a_sender() {
        // SAFETY: zeroed sockaddr_nl is valid.
        let mut from: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        from.nl_family = libc::AF_NETLINK as u16;
        let len = size_of::<libc::sockaddr_nl>() as u32;
        assert!(from_kernel(&from, len));
        from.nl_pid = 4242;
        assert!(!from_kernel(&from, len), "a process's port");
        from.nl_pid = 0;
        assert!(!from_kernel(&from, 0), "no source address");
    }

    #[test]
    fn ignores_udev_messages_and_garbage() {
        assert!(Uevent::parse(b"libudev\0\xfe\xed").is_none());
        assert!(Uevent::parse(b"").is_none());
    }
}
