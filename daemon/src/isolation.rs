//! Is the independent LAN still isolated? (issue 9, law 117/2025)
//!
//! The kernel programs keep this machine's own traffic inside the declared LAN whatever the
//! routing table says. But the law's exception holds only while the LAN *as a whole* connects to
//! nothing outside, and the signs that it no longer does show up on this machine first: a
//! default route or a gateway (someone set up a way out), an address outside the declared
//! subnets (the machine joined another network), a new interface with a carrier (a second NIC, a
//! phone's tethering), the LAN interface's MAC changing (it is not the declared card any more).
//! Each is a loss of isolation, journaled as `NetworkIsolationLost` at critical priority.
//!
//! Watched with rtnetlink (the link, address and route groups of both families): no polling.
//! The socket belongs to the network namespace of the thread that opens it, so tests open it
//! inside a namespace they made. At start the present state is dumped and judged like later
//! changes: a machine that boots with a default route is reported at once.
//!
//! Not losses: loopback (never leaves the machine) and IPv6 link-local addresses and routes
//! (fe80::/10: every IPv6 interface gives itself one the moment it is up, and no router forwards
//! them beyond the link; the link itself is what is watched, through its carrier). IPv4
//! link-local (169.254.0.0/16) *is* reported: it appears when a machine looks for a DHCP server
//! it did not find, i.e. on a network that is not the declared one.
//!
//! The same rtnetlink view resolves each LAN's `interface_mac` to an ifindex for the LAN tries
//! and says when that resolution changes, so the service rewrites the tries at once.

use std::collections::BTreeSet;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, OwnedFd};

use airgapd_policy::MacAddr;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use crate::bpf::{EnforceError, Enforcer};
use crate::interfaces::{self, Interface};
use crate::journal::{field, MessageId, Priority, Record};
use crate::maps::LanEntries;
use crate::plan::{lan_entries, LanPlan, Plan};

/// What changed, as `AIRGAP_CHANGE` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Change {
    /// A default route (0.0.0.0/0, ::/0): a way to everything.
    DefaultRoute,
    /// A route through a gateway (or a nexthop object): a way to another network.
    Gateway,
    /// A route to a network outside the LAN's subnets, or to a LAN subnet through another
    /// interface.
    Route,
    /// An address outside the LAN's subnets, or a LAN address on another interface.
    Address,
    /// An interface other than the LAN's has a carrier.
    Carrier,
    /// The LAN interface's MAC changed, or another interface took it.
    Mac,
}

impl Change {
    /// The value of `AIRGAP_CHANGE`.
    pub fn name(self) -> &'static str {
        match self {
            Change::DefaultRoute => "default-route",
            Change::Gateway => "gateway",
            Change::Route => "route",
            Change::Address => "address",
            Change::Carrier => "carrier",
            Change::Mac => "mac",
        }
    }
}

/// One loss of isolation, with what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    /// Its kind.
    pub change: Change,
    /// The interface concerned, when there is one.
    pub interface: Option<String>,
    /// Its index (0 when none).
    pub ifindex: u32,
    /// The address, network or gateway concerned, as written in the message.
    pub address: Option<String>,
    /// One sentence for the officer.
    pub message: String,
}

impl Loss {
    /// The journal record: `NetworkIsolationLost`, critical.
    pub fn record(&self) -> Record {
        let mut r = Record::new(
            MessageId::NetworkIsolationLost,
            format!("isolated LAN no longer isolated: {}", self.message),
        )
        .field(field::CHANGE, self.change.name());
        if let Some(name) = &self.interface {
            r = r.field(field::INTERFACE, name);
        }
        if self.ifindex != 0 {
            r = r.field(field::IFINDEX, self.ifindex);
        }
        if let Some(address) = &self.address {
            r = r.field(field::ADDRESS, address);
        }
        r
    }
}

/// What the watcher found in a batch of rtnetlink messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Isolation is lost.
    Lost(Loss),
    /// A LAN interface appeared, left or changed: the LAN tries must be resolved again.
    Interfaces,
}

/// An rtnetlink route, the parts that matter here.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Route {
    table: u32,
    dst: Option<IpAddr>,
    dst_len: u8,
    oif: u32,
    /// A gateway address, `nexthop N`, or `multipath`.
    via: Option<String>,
    priority: u32,
    unicast: bool,
}

/// One rtnetlink message this module cares about.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Msg {
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

/// A raised loss, kept while its cause lasts so that each is reported once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Route(Route),
    Addr(u32, IpAddr, u8),
    Carrier(u32),
    SharedMac(MacAddr),
}

const RT_TABLE_LOCAL: u32 = 255;
const RTN_UNICAST: u8 = 1;

fn is_link_local_v6(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V6(a) if a.segments()[0] & 0xffc0 == 0xfe80)
}

/// The judgement, without the socket: the declared LANs and what rtnetlink said so far.
#[derive(Debug, Default)]
pub struct Isolation {
    lans: Vec<LanPlan>,
    links: std::collections::BTreeMap<u32, Interface>,
    raised: BTreeSet<Key>,
    /// While reading everything again after an overrun: losses raised before it, which are
    /// raised again silently if they still hold.
    quiet: BTreeSet<Key>,
}

impl Isolation {
    /// Judge against `lans`.
    pub fn new(lans: &[LanPlan]) -> Isolation {
        Isolation {
            lans: lans.to_vec(),
            ..Isolation::default()
        }
    }

    /// The one non-loopback interface carrying `mac` now (None when absent, or when several
    /// do: then nobody can tell which is the LAN's, and the LAN stays closed).
    pub fn ifindex_of(&self, mac: &MacAddr) -> Option<u32> {
        let mut found = self
            .links
            .values()
            .filter(|l| !l.loopback && l.mac.as_ref() == Some(mac));
        let first = found.next()?;
        found.next().is_none().then_some(first.index)
    }

    /// The LAN tries' contents as the interfaces are now.
    pub fn lan_entries(&self) -> LanEntries {
        lan_entries(&self.lans, |mac| self.ifindex_of(mac))
    }

    /// Judge one rtnetlink datagram as [`Watcher::next`] does (for the fuzz target and the
    /// replay of its corpus).
    pub(crate) fn judge_datagram(&mut self, datagram: &[u8]) -> Vec<Finding> {
        let mut out = Vec::new();
        for m in parse(datagram, None).0 {
            self.apply(m, &mut out);
        }
        out
    }

    fn resolution(&self) -> Vec<Option<u32>> {
        self.lans
            .iter()
            .map(|l| self.ifindex_of(&l.interface_mac))
            .collect()
    }

    fn lan_mac(&self, mac: Option<&MacAddr>) -> bool {
        mac.is_some_and(|m| self.lans.iter().any(|l| l.interface_mac == *m))
    }

    fn name_of(&self, index: u32) -> String {
        self.links
            .get(&index)
            .map_or_else(|| format!("ifindex {index}"), |l| l.name.clone())
    }

    fn subnets(&self) -> String {
        let all: Vec<String> = self
            .lans
            .iter()
            .flat_map(|l| l.subnets.iter().map(|n| n.to_string()))
            .collect();
        all.join(", ")
    }

    /// Raise a loss once while `key` lasts.
    fn raise(&mut self, key: Key, loss: Loss, out: &mut Vec<Finding>) {
        if self.raised.insert(key.clone()) && !self.quiet.contains(&key) {
            out.push(Finding::Lost(loss));
        }
    }

    fn apply(&mut self, msg: Msg, out: &mut Vec<Finding>) {
        let before = self.resolution();
        match msg {
            Msg::Link(link) => self.on_link(link, out),
            Msg::DelLink(index) => {
                self.links.remove(&index);
                self.raised.retain(|k| match k {
                    Key::Carrier(i) | Key::Addr(i, ..) => *i != index,
                    Key::Route(r) => r.oif != index,
                    Key::SharedMac(_) => true,
                });
                self.check_shared_macs();
            }
            Msg::Addr {
                index,
                addr,
                prefix,
            } => self.on_addr(index, addr, prefix, out),
            Msg::DelAddr {
                index,
                addr,
                prefix,
            } => {
                self.raised.remove(&Key::Addr(index, addr, prefix));
            }
            Msg::Route(route) => self.on_route(route, out),
            Msg::DelRoute(route) => {
                self.raised.remove(&Key::Route(route));
            }
        }
        if self.resolution() != before {
            out.push(Finding::Interfaces);
        }
    }

    fn on_link(&mut self, link: Interface, out: &mut Vec<Finding>) {
        let index = link.index;
        let prev = self.links.insert(index, link.clone());
        let mac = |m: Option<MacAddr>| m.map_or_else(|| "none".to_string(), |m| m.to_string());
        if let Some(prev) = prev.filter(|p| p.mac != link.mac) {
            let (was_lan, is_lan) = (
                self.lan_mac(prev.mac.as_ref()),
                self.lan_mac(link.mac.as_ref()),
            );
            if was_lan || is_lan {
                let message = if was_lan {
                    format!(
                        "the LAN interface {} changed its MAC address from {} to {}: it is no \
                         longer the interface the policy declares",
                        link.name,
                        mac(prev.mac),
                        mac(link.mac)
                    )
                } else {
                    format!(
                        "interface {} took the LAN interface's MAC address {} (it had {})",
                        link.name,
                        mac(link.mac),
                        mac(prev.mac)
                    )
                };
                out.push(Finding::Lost(Loss {
                    change: Change::Mac,
                    interface: Some(link.name.clone()),
                    ifindex: index,
                    address: link.mac.map(|m| m.to_string()),
                    message,
                }));
            }
        }
        for lan in self.lans.clone() {
            let names: Vec<String> = self
                .links
                .values()
                .filter(|l| !l.loopback && l.mac == Some(lan.interface_mac))
                .map(|l| l.name.clone())
                .collect();
            if names.len() > 1 {
                let loss = Loss {
                    change: Change::Mac,
                    interface: Some(link.name.clone()),
                    ifindex: index,
                    address: Some(lan.interface_mac.to_string()),
                    message: format!(
                        "interfaces {} all carry the MAC address {} of LAN \"{}\"; none of \
                         them is used for the LAN",
                        names.join(", "),
                        lan.interface_mac,
                        lan.name
                    ),
                };
                self.raise(Key::SharedMac(lan.interface_mac), loss, out);
            }
        }
        self.check_shared_macs();
        let carrier = Key::Carrier(index);
        if link.loopback || !link.carrier || self.lan_mac(link.mac.as_ref()) {
            self.raised.remove(&carrier);
            return;
        }
        let loss = Loss {
            change: Change::Carrier,
            interface: Some(link.name.clone()),
            ifindex: index,
            address: link.mac.map(|m| m.to_string()),
            message: format!(
                "interface {} (index {index}, MAC {}) has a carrier: something other than the \
                 declared LAN is connected to this machine",
                link.name,
                mac(link.mac)
            ),
        };
        self.raise(carrier, loss, out);
    }

    /// Forget shared-MAC losses that no longer hold, so they are reported again if they recur.
    fn check_shared_macs(&mut self) {
        let links = &self.links;
        self.raised.retain(|k| match k {
            Key::SharedMac(mac) => {
                links
                    .values()
                    .filter(|l| !l.loopback && l.mac.as_ref() == Some(mac))
                    .count()
                    > 1
            }
            _ => true,
        });
    }

    fn on_addr(&mut self, index: u32, addr: IpAddr, prefix: u8, out: &mut Vec<Finding>) {
        let on_loopback = self.links.get(&index).is_some_and(|l| l.loopback);
        if on_loopback || addr.is_loopback() || is_link_local_v6(addr) {
            return;
        }
        let name = self.name_of(index);
        let mac = self.links.get(&index).and_then(|l| l.mac);
        let lan = self
            .lans
            .iter()
            .find(|l| l.subnets.iter().any(|n| n.contains(addr)));
        let message = match lan {
            None => format!(
                "address {addr}/{prefix} appeared on {name}, outside the LAN's subnets ({})",
                self.subnets()
            ),
            Some(lan) if mac != Some(lan.interface_mac) => format!(
                "address {addr}/{prefix} of LAN \"{}\" appeared on {name}, which is not the \
                 LAN interface ({})",
                lan.name, lan.interface_mac
            ),
            Some(_) => return,
        };
        let loss = Loss {
            change: Change::Address,
            interface: Some(name),
            ifindex: index,
            address: Some(format!("{addr}/{prefix}")),
            message,
        };
        self.raise(Key::Addr(index, addr, prefix), loss, out);
    }

    fn on_route(&mut self, route: Route, out: &mut Vec<Finding>) {
        let oif_loopback = self.links.get(&route.oif).is_some_and(|l| l.loopback);
        // The local table holds the machine's own addresses (judged as addresses); blackhole,
        // unreachable and prohibit routes lead nowhere.
        if route.table == RT_TABLE_LOCAL || !route.unicast || oif_loopback {
            return;
        }
        let dst = match route.dst {
            Some(dst) => format!("{dst}/{}", route.dst_len),
            None => "default".to_string(),
        };
        if route.via.is_none() && route.dst.is_some_and(is_link_local_v6) {
            return;
        }
        let dev = (route.oif != 0).then(|| self.name_of(route.oif));
        let through = match (&route.via, &dev) {
            (Some(via), Some(dev)) => format!(" via {via} dev {dev}"),
            (Some(via), None) => format!(" via {via}"),
            (None, Some(dev)) => format!(" dev {dev}"),
            (None, None) => String::new(),
        };
        let table = format!("table {}", route.table);
        let (change, message) = if route.dst_len == 0 {
            (
                Change::DefaultRoute,
                format!("a default route appeared ({dst}{through}, {table})"),
            )
        } else if route.via.is_some() {
            (
                Change::Gateway,
                format!("a route through a gateway appeared ({dst}{through}, {table})"),
            )
        } else {
            let dst_addr = route.dst.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            let lan = self.lans.iter().find(|l| {
                l.subnets
                    .iter()
                    .any(|n| n.contains(dst_addr) && n.prefix() <= route.dst_len)
            });
            let oif_mac = self.links.get(&route.oif).and_then(|l| l.mac);
            match lan {
                None => (
                    Change::Route,
                    format!(
                        "a route to {dst} outside the LAN's subnets ({}) appeared{through}",
                        self.subnets()
                    ),
                ),
                Some(lan) if route.oif != 0 && oif_mac != Some(lan.interface_mac) => (
                    Change::Route,
                    format!(
                        "a route to {dst} of LAN \"{}\" goes{through}, not through the LAN \
                         interface ({})",
                        lan.name, lan.interface_mac
                    ),
                ),
                Some(_) => return,
            }
        };
        let loss = Loss {
            change,
            interface: dev,
            ifindex: route.oif,
            address: Some(match &route.via {
                Some(via) if route.dst_len == 0 => via.clone(),
                _ => dst,
            }),
            message,
        };
        self.raise(Key::Route(route), loss, out);
    }
}

// rtnetlink layouts (linux/rtnetlink.h, linux/if_addr.h).
const IFADDRMSG: usize = 8;
const RTMSG: usize = 12;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_PRIORITY: u16 = 6;
const RTA_MULTIPATH: u16 = 9;
const RTA_TABLE: u16 = 15;
const RTA_VIA: u16 = 18;
const RTA_NH_ID: u16 = 30;

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

fn parse_addr(body: &[u8]) -> Option<(u32, IpAddr, u8)> {
    if body.len() < IFADDRMSG {
        return None;
    }
    let (family, prefix) = (body[0], body[1]);
    let index = u32_of(&body[4..8])?;
    let mut address = None;
    let mut local = None;
    for (kind, payload) in interfaces::attrs(&body[IFADDRMSG..]) {
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

fn parse_route(body: &[u8]) -> Option<Route> {
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
    for (kind, payload) in interfaces::attrs(&body[RTMSG..]) {
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
fn parse(buf: &[u8], seq: Option<u32>) -> (Vec<Msg>, bool) {
    let mut out = Vec::new();
    let mut done = false;
    for (hdr, body) in interfaces::messages(buf) {
        let t = hdr.nlmsg_type;
        let msg = match i32::from(t) {
            libc::NLMSG_DONE | libc::NLMSG_ERROR => {
                done |= seq == Some(hdr.nlmsg_seq);
                None
            }
            _ if t == libc::RTM_NEWLINK => interfaces::parse_link(body).map(Msg::Link),
            _ if t == libc::RTM_DELLINK => {
                interfaces::parse_link(body).map(|l| Msg::DelLink(l.index))
            }
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
    pending: Vec<Finding>,
}

impl Watcher {
    /// Subscribe in the calling thread's network namespace, then read the present links,
    /// addresses and routes (losses already present are returned by the first `next`).
    /// Blocking (a dump takes milliseconds); needs no runtime.
    pub fn open(lans: &[LanPlan]) -> io::Result<Watcher> {
        let fd = interfaces::route_socket(GROUPS)?;
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
            (libc::RTM_GETLINK, interfaces::IFINFOMSG),
            (libc::RTM_GETADDR, IFADDRMSG),
            (libc::RTM_GETROUTE, RTMSG),
        ] {
            self.seq += 1;
            let seq = self.seq;
            interfaces::request_dump(self.fd()?, kind, body, seq)?;
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
                    self.state.quiet = std::mem::take(&mut self.state.raised);
                    self.state.links.clear();
                    let dumped = self.dump_all();
                    self.state.quiet.clear();
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

/// The isolated-LAN part of the service and of `airgapd run`: the LAN tries, kept resolved
/// against the interfaces, and the watcher (isolated-lan profile only).
#[derive(Default)]
pub struct LanGuard {
    lans: Vec<LanPlan>,
    watcher: Option<Watcher>,
}

impl LanGuard {
    /// Put `plan`'s LANs in force: watch (only in the isolated-lan profile), resolve each LAN
    /// interface, write the LAN tries. Call before [`Enforcer::configure`]. Returns records of
    /// the losses of isolation present now (none when the LANs did not change: those were
    /// reported already).
    pub fn apply(
        &mut self,
        enforcer: &mut Enforcer,
        plan: &Plan,
    ) -> Result<Vec<Record>, EnforceError> {
        let mut records = Vec::new();
        if plan.lans.is_empty() {
            self.watcher = None;
        } else if self.watcher.is_none() || self.lans != plan.lans {
            let mut watcher =
                Watcher::open(&plan.lans).map_err(|source| EnforceError::Interfaces { source })?;
            for f in std::mem::take(&mut watcher.pending) {
                if let Finding::Lost(loss) = f {
                    records.push(loss.record());
                }
            }
            self.watcher = Some(watcher);
        }
        self.lans = plan.lans.clone();
        enforcer.set_lan(&self.entries())?;
        records.extend(self.absent());
        Ok(records)
    }

    fn entries(&self) -> LanEntries {
        self.watcher
            .as_ref()
            .map_or_else(LanEntries::default, |w| w.state.lan_entries())
    }

    /// A warning for each LAN whose interface is not there: its traffic is refused.
    fn absent(&self) -> Vec<Record> {
        let Some(w) = &self.watcher else {
            return Vec::new();
        };
        self.lans
            .iter()
            .filter(|l| w.state.ifindex_of(&l.interface_mac).is_none())
            .map(|l| {
                Record::new(
                    MessageId::EnforcementState,
                    format!(
                        "LAN \"{}\": no single interface has MAC address {}; the LAN's traffic \
                         is refused until it is there",
                        l.name, l.interface_mac
                    ),
                )
                .priority(Priority::Warning)
                .field(field::LAYER, "isolated-lan")
                .field(field::STATE, field::state::INACTIVE)
            })
            .collect()
    }

    /// The next findings of the watcher; never completes without one.
    pub async fn next(&mut self) -> io::Result<Vec<Finding>> {
        match &mut self.watcher {
            Some(w) => w.next().await,
            None => std::future::pending().await,
        }
    }

    /// Act on findings: rewrite the LAN tries when interfaces changed; the records to send.
    /// A broken watcher is dropped and reported (isolation is then no longer watched; the
    /// kernel programs keep enforcing).
    pub fn handle(
        &mut self,
        enforcer: &mut Enforcer,
        found: io::Result<Vec<Finding>>,
    ) -> Vec<Record> {
        let found = match found {
            Ok(found) => found,
            Err(e) => {
                self.watcher = None;
                return vec![Record::new(
                    MessageId::EnforcementState,
                    format!("the isolated LAN is no longer watched (rtnetlink: {e})"),
                )
                .priority(Priority::Critical)
                .field(field::LAYER, "isolated-lan-watch")
                .field(field::STATE, field::state::UNAVAILABLE)];
            }
        };
        let mut records = Vec::new();
        let mut remap = false;
        for f in found {
            match f {
                Finding::Lost(loss) => records.push(loss.record()),
                Finding::Interfaces => remap = true,
            }
        }
        if remap {
            match enforcer.set_lan(&self.entries()) {
                Ok(()) => {
                    tracing::info!(entries = ?self.entries(), "LAN interfaces resolved again");
                    records.extend(self.absent());
                }
                Err(e) => records.push(
                    Record::new(
                        MessageId::EnforcementState,
                        format!("rewriting the LAN maps after an interface change failed: {e}"),
                    )
                    .priority(Priority::Critical)
                    .field(field::LAYER, "isolated-lan")
                    .field(field::STATE, field::state::UNAVAILABLE),
                ),
            }
        }
        records
    }
}

#[cfg(test)]
mod tests;
