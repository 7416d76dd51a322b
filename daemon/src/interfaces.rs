//! Network interfaces as rtnetlink reports them: the ones there now and every one that appears
//! later (a phone's USB tethering, a hot-plugged NIC), so the interface programs reach each.
//!
//! A plain NETLINK_ROUTE socket subscribed to RTMGRP_LINK: no polling, no extra crate. It sees
//! the network namespace of the thread that opened it.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// An interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// ifindex.
    pub index: u32,
    /// Name (`eth0`, `enx0a1b2c3d4e5f`).
    pub name: String,
    /// The loopback device: never gets the interface programs.
    pub loopback: bool,
}

/// A NETLINK_ROUTE socket that lists links and then reports new ones.
pub struct LinkWatcher {
    fd: OwnedFd,
    seq: u32,
}

const NLMSG_HDR: usize = std::mem::size_of::<libc::nlmsghdr>();
/// struct ifinfomsg: family, pad, type (u16), index (i32), flags (u32), change (u32).
const IFINFOMSG: usize = 16;
const RTA_HDR: usize = 4;
const IFLA_IFNAME: u16 = 3;

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

fn cvt(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

impl LinkWatcher {
    /// Subscribe to link notifications in the calling thread's network namespace.
    pub fn open() -> io::Result<LinkWatcher> {
        // SAFETY: socket(2) returns a new fd that we own from here on.
        let fd = cvt(unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_ROUTE,
            )
        })?;
        // SAFETY: fd is fresh and owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: zeroed sockaddr_nl is valid; we set family and groups.
        let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        sa.nl_family = libc::AF_NETLINK as u16;
        sa.nl_groups = libc::RTMGRP_LINK as u32;
        // SAFETY: valid fd and sockaddr_nl of the right size.
        cvt(unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&sa as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as u32,
            )
        })?;
        Ok(LinkWatcher { fd, seq: 0 })
    }

    /// Every interface there is now (RTM_GETLINK dump).
    pub fn list(&mut self) -> io::Result<Vec<Interface>> {
        self.seq += 1;
        let mut req = [0u8; NLMSG_HDR + IFINFOMSG];
        let hdr = libc::nlmsghdr {
            nlmsg_len: req.len() as u32,
            nlmsg_type: libc::RTM_GETLINK,
            nlmsg_flags: (libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16,
            nlmsg_seq: self.seq,
            nlmsg_pid: 0,
        };
        // SAFETY: nlmsghdr is plain data and req is large enough for it.
        unsafe { std::ptr::write_unaligned(req.as_mut_ptr().cast(), hdr) };
        req[NLMSG_HDR] = libc::AF_UNSPEC as u8;
        // SAFETY: valid fd and buffer.
        cvt(unsafe { libc::send(self.fd.as_raw_fd(), req.as_ptr().cast(), req.len(), 0) as i32 })?;
        let mut out = Vec::new();
        loop {
            let (links, done) = self.recv_batch(Some(self.seq))?;
            out.extend(links);
            if done {
                return Ok(out);
            }
        }
    }

    /// Block until the kernel reports new or changed links; returns them.
    pub fn wait(&mut self) -> io::Result<Vec<Interface>> {
        loop {
            let (links, _) = self.recv_batch(None)?;
            if !links.is_empty() {
                return Ok(links);
            }
        }
    }

    /// One recv: the RTM_NEWLINK entries in it, and whether a dump with `seq` ended.
    fn recv_batch(&mut self, seq: Option<u32>) -> io::Result<(Vec<Interface>, bool)> {
        let mut buf = vec![0u8; 32 * 1024];
        // SAFETY: valid fd and buffer.
        let n = unsafe { libc::recv(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(parse(&buf[..n as usize], seq))
    }
}

/// Parse a netlink datagram into the links it announces.
fn parse(mut buf: &[u8], seq: Option<u32>) -> (Vec<Interface>, bool) {
    let mut links = Vec::new();
    let mut done = false;
    while buf.len() >= NLMSG_HDR {
        // SAFETY: at least NLMSG_HDR bytes; read_unaligned copes with any alignment.
        let hdr: libc::nlmsghdr = unsafe { std::ptr::read_unaligned(buf.as_ptr().cast()) };
        let len = hdr.nlmsg_len as usize;
        if len < NLMSG_HDR || len > buf.len() {
            break;
        }
        let body = &buf[NLMSG_HDR..len];
        let ours = seq.is_none_or(|s| hdr.nlmsg_seq == s);
        match i32::from(hdr.nlmsg_type) {
            libc::NLMSG_DONE | libc::NLMSG_ERROR if ours && seq.is_some() => done = true,
            t if t == i32::from(libc::RTM_NEWLINK) && body.len() >= IFINFOMSG => {
                if let Some(link) = parse_link(body) {
                    links.push(link);
                }
            }
            _ => {}
        }
        buf = &buf[align4(len).min(buf.len())..];
    }
    (links, done)
}

fn parse_link(body: &[u8]) -> Option<Interface> {
    let index = u32::from_ne_bytes(body[4..8].try_into().ok()?);
    let flags = u32::from_ne_bytes(body[8..12].try_into().ok()?);
    let mut attrs = &body[IFINFOMSG..];
    while attrs.len() >= RTA_HDR {
        let len = u16::from_ne_bytes([attrs[0], attrs[1]]) as usize;
        let kind = u16::from_ne_bytes([attrs[2], attrs[3]]);
        if len < RTA_HDR || len > attrs.len() {
            return None;
        }
        if kind == IFLA_IFNAME {
            let raw = &attrs[RTA_HDR..len];
            let name = raw.split(|&b| b == 0).next()?;
            return Some(Interface {
                index,
                name: String::from_utf8_lossy(name).into_owned(),
                loopback: flags & libc::IFF_LOOPBACK as u32 != 0,
            });
        }
        attrs = &attrs[align4(len).min(attrs.len())..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(kind: u16, seq: u32, index: u32, flags: u32, name: &str) -> Vec<u8> {
        let mut attr = Vec::new();
        let alen = RTA_HDR + name.len() + 1;
        attr.extend_from_slice(&(alen as u16).to_ne_bytes());
        attr.extend_from_slice(&IFLA_IFNAME.to_ne_bytes());
        attr.extend_from_slice(name.as_bytes());
        attr.push(0);
        attr.resize(align4(attr.len()), 0);
        let mut body = vec![0u8; IFINFOMSG];
        body[4..8].copy_from_slice(&index.to_ne_bytes());
        body[8..12].copy_from_slice(&flags.to_ne_bytes());
        body.extend(attr);
        let mut m = Vec::new();
        m.extend_from_slice(&((NLMSG_HDR + body.len()) as u32).to_ne_bytes());
        m.extend_from_slice(&kind.to_ne_bytes());
        m.extend_from_slice(&0u16.to_ne_bytes());
        m.extend_from_slice(&seq.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend(body);
        m
    }

    #[test]
    fn parses_a_dump_with_loopback_and_done() {
        let mut buf = msg(libc::RTM_NEWLINK, 7, 1, libc::IFF_LOOPBACK as u32, "lo");
        buf.extend(msg(libc::RTM_NEWLINK, 7, 2, 0, "enx0a1b2c3d4e5f"));
        buf.extend(msg(libc::NLMSG_DONE as u16, 7, 0, 0, ""));
        let (links, done) = parse(&buf, Some(7));
        assert!(done);
        assert_eq!(links.len(), 2);
        assert!(links[0].loopback);
        assert_eq!(
            links[1],
            Interface {
                index: 2,
                name: "enx0a1b2c3d4e5f".into(),
                loopback: false
            }
        );
    }

    #[test]
    fn ignores_other_messages_and_truncation() {
        let mut buf = msg(libc::RTM_DELLINK, 0, 3, 0, "usb0");
        buf.extend_from_slice(&[1, 2, 3]);
        let (links, done) = parse(&buf, None);
        assert!(links.is_empty() && !done);
    }
}
