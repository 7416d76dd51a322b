//! rtnetlink, the few parts airgapd reads: a NETLINK_ROUTE socket, dump requests, and the link,
//! address and route messages (linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h) walked
//! without a crate. Shared by the interface watcher and the isolation watcher; pure parsing is
//! unit-tested on hand-made messages.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use airgapd_policy::MacAddr;

use super::interfaces::Interface;

pub(crate) const NLMSG_HDR: usize = std::mem::size_of::<libc::nlmsghdr>();
/// struct ifinfomsg: family, pad, type (u16), index (i32), flags (u32), change (u32).
pub(crate) const IFINFOMSG: usize = 16;
pub(crate) const RTA_HDR: usize = 4;
pub(crate) const IFLA_ADDRESS: u16 = 1;
pub(crate) const IFLA_IFNAME: u16 = 3;

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

/// Set interface `ifindex` of the calling thread's network namespace administratively up or
/// down (RTM_NEWLINK, IFF_UP only), and wait for the kernel's answer.
pub(crate) fn set_link_up(ifindex: u32, up: bool) -> io::Result<()> {
    let fd = route_socket(0)?;
    let mut req = vec![0u8; NLMSG_HDR + IFINFOMSG];
    let hdr = libc::nlmsghdr {
        nlmsg_len: req.len() as u32,
        nlmsg_type: libc::RTM_NEWLINK,
        nlmsg_flags: (libc::NLM_F_REQUEST | libc::NLM_F_ACK) as u16,
        nlmsg_seq: 1,
        nlmsg_pid: 0,
    };
    // SAFETY: nlmsghdr is plain data and req is large enough for it.
    unsafe { std::ptr::write_unaligned(req.as_mut_ptr().cast(), hdr) };
    let body = &mut req[NLMSG_HDR..];
    body[0] = libc::AF_UNSPEC as u8;
    body[4..8].copy_from_slice(&ifindex.to_ne_bytes());
    let flags = if up { libc::IFF_UP as u32 } else { 0 };
    body[8..12].copy_from_slice(&flags.to_ne_bytes());
    body[12..16].copy_from_slice(&(libc::IFF_UP as u32).to_ne_bytes());
    // SAFETY: valid fd and buffer.
    cvt(unsafe { libc::send(fd.as_raw_fd(), req.as_ptr().cast(), req.len(), 0) as i32 })?;
    let mut buf = [0u8; 1024];
    // SAFETY: valid fd and buffer.
    let n =
        cvt(unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) as i32 })?;
    for (hdr, body) in messages(&buf[..n as usize]) {
        if i32::from(hdr.nlmsg_type) == libc::NLMSG_ERROR && body.len() >= 4 {
            let errno = i32::from_ne_bytes(body[..4].try_into().expect("4 bytes"));
            if errno != 0 {
                return Err(io::Error::from_raw_os_error(-errno));
            }
        }
    }
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
        up: flags & libc::IFF_UP as u32 != 0,
    })
}

/// An rtnetlink route, the parts that matter here.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Route {
    pub(crate) table: u32,
    pub(crate) dst: Option<IpAddr>,
    pub(crate) dst_len: u8,
    pub(crate) oif: u32,
    /// A gateway address, `nexthop N`, or `multipath`.
    pub(crate) via: Option<String>,
    pub(crate) priority: u32,
    pub(crate) unicast: bool,
}

/// One rtnetlink message this module cares about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Msg {
    Link(Interface),
    DelLink(u32),
    Addr {
        index: u32,
        addr: IpAddr,
        prefix: u8,
    },
    DelAddr {
        index: u32,
        addr: IpAddr,
        prefix: u8,
    },
    Route(Route),
    DelRoute(Route),
}

pub(crate) const RT_TABLE_LOCAL: u32 = 255;
pub(crate) const RTN_UNICAST: u8 = 1;

// rtnetlink layouts (linux/rtnetlink.h, linux/if_addr.h).
pub(crate) const IFADDRMSG: usize = 8;
pub(crate) const RTMSG: usize = 12;
pub(crate) const IFA_ADDRESS: u16 = 1;
pub(crate) const IFA_LOCAL: u16 = 2;
pub(crate) const RTA_DST: u16 = 1;
pub(crate) const RTA_OIF: u16 = 4;
pub(crate) const RTA_GATEWAY: u16 = 5;
pub(crate) const RTA_PRIORITY: u16 = 6;
pub(crate) const RTA_MULTIPATH: u16 = 9;
pub(crate) const RTA_TABLE: u16 = 15;
pub(crate) const RTA_VIA: u16 = 18;
pub(crate) const RTA_NH_ID: u16 = 30;

fn ip_from(family: u8, bytes: &[u8]) -> Option<IpAddr> {
    match i32::from(family) {
        libc::AF_INET => <[u8; 4]>::try_from(bytes)
            .ok()
            .map(|b| Ipv4Addr::from(b).into()),
        libc::AF_INET6 => <[u8; 16]>::try_from(bytes)
            .ok()
            .map(|b| Ipv6Addr::from(b).into()),
        _ => None,
    }
}

fn u32_of(bytes: &[u8]) -> Option<u32> {
    <[u8; 4]>::try_from(bytes).ok().map(u32::from_ne_bytes)
}

pub(crate) fn parse_addr(body: &[u8]) -> Option<(u32, IpAddr, u8)> {
    if body.len() < IFADDRMSG {
        return None;
    }
    let (family, prefix) = (body[0], body[1]);
    let index = u32_of(&body[4..8])?;
    let mut address = None;
    let mut local = None;
    for (kind, payload) in attrs(&body[IFADDRMSG..]) {
        match kind {
            IFA_ADDRESS => address = ip_from(family, payload),
            // For IPv4, IFA_LOCAL is the interface's own address (IFA_ADDRESS the far end of a
            // point-to-point link).
            IFA_LOCAL => local = ip_from(family, payload),
            _ => {}
        }
    }
    Some((index, local.or(address)?, prefix))
}

pub(crate) fn parse_route(body: &[u8]) -> Option<Route> {
    if body.len() < RTMSG {
        return None;
    }
    let family = body[0];
    if !matches!(i32::from(family), libc::AF_INET | libc::AF_INET6) {
        return None;
    }
    let mut route = Route {
        table: u32::from(body[4]),
        dst: None,
        dst_len: body[1],
        oif: 0,
        via: None,
        priority: 0,
        unicast: body[7] == RTN_UNICAST,
    };
    for (kind, payload) in attrs(&body[RTMSG..]) {
        match kind {
            RTA_DST => route.dst = ip_from(family, payload),
            RTA_OIF => route.oif = u32_of(payload).unwrap_or(0),
            RTA_GATEWAY => route.via = ip_from(family, payload).map(|ip| ip.to_string()),
            RTA_PRIORITY => route.priority = u32_of(payload).unwrap_or(0),
            RTA_TABLE => route.table = u32_of(payload).unwrap_or(route.table),
            // struct rtvia: a u16 family, then the address (IPv4 routes via IPv6 gateways).
            RTA_VIA if payload.len() > 2 => {
                let fam = if payload.len() == 18 {
                    libc::AF_INET6
                } else {
                    libc::AF_INET
                };
                route.via = ip_from(fam as u8, &payload[2..]).map(|ip| ip.to_string());
            }
            RTA_MULTIPATH => route.via = Some("multipath".into()),
            RTA_NH_ID => route.via = u32_of(payload).map(|id| format!("nexthop {id}")),
            _ => {}
        }
    }
    if route.dst.is_none() && route.dst_len != 0 {
        return None;
    }
    Some(route)
}

/// The messages of a datagram, and whether a dump with `seq` ended in it.
pub(crate) fn parse(buf: &[u8], seq: Option<u32>) -> (Vec<Msg>, bool) {
    let mut out = Vec::new();
    let mut done = false;
    for (hdr, body) in messages(buf) {
        let t = hdr.nlmsg_type;
        let msg = match i32::from(t) {
            libc::NLMSG_DONE | libc::NLMSG_ERROR => {
                done |= seq == Some(hdr.nlmsg_seq);
                None
            }
            _ if t == libc::RTM_NEWLINK => parse_link(body).map(Msg::Link),
            _ if t == libc::RTM_DELLINK => parse_link(body).map(|l| Msg::DelLink(l.index)),
            _ if t == libc::RTM_NEWADDR => {
                parse_addr(body).map(|(index, addr, prefix)| Msg::Addr {
                    index,
                    addr,
                    prefix,
                })
            }
            _ if t == libc::RTM_DELADDR => {
                parse_addr(body).map(|(index, addr, prefix)| Msg::DelAddr {
                    index,
                    addr,
                    prefix,
                })
            }
            _ if t == libc::RTM_NEWROUTE => parse_route(body).map(Msg::Route),
            _ if t == libc::RTM_DELROUTE => parse_route(body).map(Msg::DelRoute),
            _ => None,
        };
        out.extend(msg);
    }
    (out, done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_route_and_address_messages() {
        // RTM_NEWROUTE: rtmsg (AF_INET, dst_len 0, table main, unicast) + RTA_GATEWAY + RTA_OIF.
        let mut body = vec![
            libc::AF_INET as u8,
            0,
            0,
            0,
            254,
            3,
            0,
            RTN_UNICAST,
            0,
            0,
            0,
            0,
        ];
        body.extend_from_slice(&8u16.to_ne_bytes());
        body.extend_from_slice(&RTA_GATEWAY.to_ne_bytes());
        body.extend_from_slice(&[192, 168, 50, 2]);
        body.extend_from_slice(&8u16.to_ne_bytes());
        body.extend_from_slice(&RTA_OIF.to_ne_bytes());
        body.extend_from_slice(&2u32.to_ne_bytes());
        let r = parse_route(&body).unwrap();
        assert_eq!(
            r,
            Route {
                table: 254,
                dst: None,
                dst_len: 0,
                oif: 2,
                via: Some("192.168.50.2".into()),
                priority: 0,
                unicast: true,
            }
        );
        // RTM_NEWADDR: ifaddrmsg (AF_INET, /24, index 2) + IFA_LOCAL.
        let mut body = vec![libc::AF_INET as u8, 24, 0, 0];
        body.extend_from_slice(&2u32.to_ne_bytes());
        body.extend_from_slice(&8u16.to_ne_bytes());
        body.extend_from_slice(&IFA_LOCAL.to_ne_bytes());
        body.extend_from_slice(&[10, 99, 0, 1]);
        assert_eq!(
            parse_addr(&body),
            Some((2, "10.99.0.1".parse().unwrap(), 24))
        );
    }
}
