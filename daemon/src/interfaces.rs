//! Network interfaces as rtnetlink reports them: the ones there now and every one that appears
//! later (a phone's USB tethering, a hot-plugged NIC), so the interface programs reach each.
//!
//! A plain NETLINK_ROUTE socket subscribed to RTMGRP_LINK: no polling, no extra crate. It sees
//! the network namespace of the thread that opened it. The netlink plumbing here (socket, dump
//! request, message and attribute walking) is shared with `isolation.rs`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use airgapd_policy::MacAddr;

/// An interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// ifindex.
    pub index: u32,
    /// Name (`eth0`, `enx0a1b2c3d4e5f`).
    pub name: String,
    /// The loopback device: never gets the interface programs.
    pub loopback: bool,
    /// Its Ethernet address (None for devices without one: lo, tun, wireguard).
    pub mac: Option<MacAddr>,
    /// The link layer is up (IFF_LOWER_UP): a cable, a radio association, a veth peer.
    pub carrier: bool,
}

/// A NETLINK_ROUTE socket that lists links and then reports new ones.
pub struct LinkWatcher {
    fd: OwnedFd,
    seq: u32,
}

pub(crate) const NLMSG_HDR: usize = std::mem::size_of::<libc::nlmsghdr>();
/// struct ifinfomsg: family, pad, type (u16), index (i32), flags (u32), change (u32).
pub(crate) const IFINFOMSG: usize = 16;
const RTA_HDR: usize = 4;
const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;

pub(crate) fn align4(n: usize) -> usize {
    (n + 3) & !3
}

fn cvt(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// A NETLINK_ROUTE socket of the calling thread's network namespace, subscribed to `groups`
/// (RTMGRP_* bits).
pub(crate) fn route_socket(groups: u32) -> io::Result<OwnedFd> {
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
    sa.nl_groups = groups;
    // SAFETY: valid fd and sockaddr_nl of the right size.
    cvt(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&sa as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as u32,
        )
    })?;
    Ok(fd)
}

/// Ask for a dump: `kind` is RTM_GETLINK, RTM_GETADDR or RTM_GETROUTE, `body` the length of its
/// family header (ifinfomsg, ifaddrmsg, rtmsg), which is sent zeroed but for AF_UNSPEC.
pub(crate) fn request_dump(fd: &OwnedFd, kind: u16, body: usize, seq: u32) -> io::Result<()> {
    let mut req = vec![0u8; NLMSG_HDR + body];
    let hdr = libc::nlmsghdr {
        nlmsg_len: req.len() as u32,
        nlmsg_type: kind,
        nlmsg_flags: (libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16,
        nlmsg_seq: seq,
        nlmsg_pid: 0,
    };
    // SAFETY: nlmsghdr is plain data and req is large enough for it.
    unsafe { std::ptr::write_unaligned(req.as_mut_ptr().cast(), hdr) };
    req[NLMSG_HDR] = libc::AF_UNSPEC as u8;
    // SAFETY: valid fd and buffer.
    cvt(unsafe { libc::send(fd.as_raw_fd(), req.as_ptr().cast(), req.len(), 0) as i32 })?;
    Ok(())
}

/// The netlink messages of a datagram: header and body each (truncation ends the walk).
pub(crate) fn messages(mut buf: &[u8]) -> impl Iterator<Item = (libc::nlmsghdr, &[u8])> {
    std::iter::from_fn(move || {
        if buf.len() < NLMSG_HDR {
            return None;
        }
        // SAFETY: at least NLMSG_HDR bytes; read_unaligned copes with any alignment.
        let hdr: libc::nlmsghdr = unsafe { std::ptr::read_unaligned(buf.as_ptr().cast()) };
        let len = hdr.nlmsg_len as usize;
        if len < NLMSG_HDR || len > buf.len() {
            return None;
        }
        let body = &buf[NLMSG_HDR..len];
        buf = &buf[align4(len).min(buf.len())..];
        Some((hdr, body))
    })
}

/// The route attributes (type, payload) of a message body past its family header.
pub(crate) fn attrs(mut buf: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        if buf.len() < RTA_HDR {
            return None;
        }
        let len = u16::from_ne_bytes([buf[0], buf[1]]) as usize;
        let kind = u16::from_ne_bytes([buf[2], buf[3]]);
        if len < RTA_HDR || len > buf.len() {
            return None;
        }
        let payload = &buf[RTA_HDR..len];
        buf = &buf[align4(len).min(buf.len())..];
        // NLA_F_NESTED and NLA_F_NET_BYTEORDER are flags, not part of the type.
        Some((kind & 0x3fff, payload))
    })
}

impl LinkWatcher {
    /// Subscribe to link notifications in the calling thread's network namespace.
    pub fn open() -> io::Result<LinkWatcher> {
        let fd = route_socket(libc::RTMGRP_LINK as u32)?;
        Ok(LinkWatcher { fd, seq: 0 })
    }

    /// Every interface there is now (RTM_GETLINK dump).
    pub fn list(&mut self) -> io::Result<Vec<Interface>> {
        self.seq += 1;
        request_dump(&self.fd, libc::RTM_GETLINK, IFINFOMSG, self.seq)?;
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
pub(crate) fn parse(buf: &[u8], seq: Option<u32>) -> (Vec<Interface>, bool) {
    let mut links = Vec::new();
    let mut done = false;
    for (hdr, body) in messages(buf) {
        let ours = seq.is_none_or(|s| hdr.nlmsg_seq == s);
        match i32::from(hdr.nlmsg_type) {
            libc::NLMSG_DONE | libc::NLMSG_ERROR if ours && seq.is_some() => done = true,
            t if t == i32::from(libc::RTM_NEWLINK) => {
                if let Some(link) = parse_link(body) {
                    links.push(link);
                }
            }
            _ => {}
        }
    }
    (links, done)
}

/// The interface an RTM_NEWLINK/RTM_DELLINK body describes (None without a name).
pub(crate) fn parse_link(body: &[u8]) -> Option<Interface> {
    if body.len() < IFINFOMSG {
        return None;
    }
    let index = u32::from_ne_bytes(body[4..8].try_into().ok()?);
    let flags = u32::from_ne_bytes(body[8..12].try_into().ok()?);
    let mut name = None;
    let mut mac = None;
    for (kind, payload) in attrs(&body[IFINFOMSG..]) {
        match kind {
            IFLA_IFNAME => {
                let raw = payload.split(|&b| b == 0).next()?;
                name = Some(String::from_utf8_lossy(raw).into_owned());
            }
            IFLA_ADDRESS => mac = <[u8; 6]>::try_from(payload).ok().map(MacAddr),
            _ => {}
        }
    }
    Some(Interface {
        index,
        name: name?,
        loopback: flags & libc::IFF_LOOPBACK as u32 != 0,
        mac,
        carrier: flags & libc::IFF_LOWER_UP as u32 != 0,
    })
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
        if name.starts_with("enx") {
            attr.extend_from_slice(&10u16.to_ne_bytes());
            attr.extend_from_slice(&IFLA_ADDRESS.to_ne_bytes());
            attr.extend_from_slice(&[0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0, 0]);
        }
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
        let up = libc::IFF_LOWER_UP as u32;
        buf.extend(msg(libc::RTM_NEWLINK, 7, 2, up, "enx0a1b2c3d4e5f"));
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
                loopback: false,
                mac: Some(MacAddr([0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f])),
                carrier: true,
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
