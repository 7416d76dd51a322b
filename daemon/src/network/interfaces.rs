//! Network interfaces as rtnetlink reports them: the ones there now and every one that appears
//! later (a phone's USB tethering, a hot-plugged NIC), so the interface programs reach each.
//!
//! A plain NETLINK_ROUTE socket subscribed to RTMGRP_LINK: no polling, no extra crate. It sees
//! the network namespace of the thread that opened it. The netlink plumbing is in
//! [`super::rtnetlink`], shared with the isolation watcher.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use airgapd_policy::MacAddr;

use super::rtnetlink::{messages, parse_link, request_dump, route_socket, IFINFOMSG};

/// Whether the calling thread's network namespace is one made with `ip netns add` (bound
/// under /run/netns) and not pid 1's: a namespace a test or an administrator made, never the
/// machine's own. pid 1's namespace cannot always be read (containers, sandboxes): the
/// /run/netns binding is the positive proof.
pub fn in_named_netns() -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let id = |m: std::fs::Metadata| (m.dev(), m.ino());
    let ours = id(std::fs::metadata("/proc/thread-self/ns/net")?);
    if std::fs::metadata("/proc/1/ns/net").is_ok_and(|m| id(m) == ours) {
        return Ok(false);
    }
    let named = match std::fs::read_dir("/run/netns") {
        Ok(dir) => dir,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    Ok(named
        .flatten()
        .any(|e| std::fs::metadata(e.path()).is_ok_and(|m| id(m) == ours)))
}

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
    /// Administratively up (IFF_UP): it may send and receive.
    pub up: bool,
}

/// A NETLINK_ROUTE socket that lists links and then reports new ones.
pub struct LinkWatcher {
    fd: OwnedFd,
    seq: u32,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::rtnetlink::{align4, IFLA_ADDRESS, IFLA_IFNAME, NLMSG_HDR, RTA_HDR};

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
                up: false,
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
