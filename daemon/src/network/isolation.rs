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
//! This module is the judgement alone, fed rtnetlink messages ([`super::watcher`] owns the
//! socket): at start the present state is judged like later changes, so a machine that boots
//! with a default route is reported at once.
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
use std::net::{IpAddr, Ipv4Addr};

use airgapd_policy::MacAddr;

use super::interfaces::Interface;
use super::rtnetlink::{Msg, Route, RT_TABLE_LOCAL};
use crate::journal::{field, MessageId, Record};
use crate::maps::LanEntries;
use crate::plan::{lan_entries, LanPlan};

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
    /// The log host's upload cgroup appeared or went (not from rtnetlink: the LAN guard's
    /// cgroup watch): its entry must be resolved again.
    UploadCgroup,
}

/// A raised loss, kept while its cause lasts so that each is reported once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Route(Route),
    Addr(u32, IpAddr, u8),
    Carrier(u32),
    SharedMac(MacAddr),
}

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

    /// Before reading everything again after an overrun: forget the links, keep what was raised
    /// so that a loss still present is raised again silently.
    pub(crate) fn begin_rescan(&mut self) {
        self.quiet = std::mem::take(&mut self.raised);
        self.links.clear();
    }

    /// After the rescan: what was not raised again has ended.
    pub(crate) fn end_rescan(&mut self) {
        self.quiet.clear();
    }

    /// Raise a loss once while `key` lasts.
    fn raise(&mut self, key: Key, loss: Loss, out: &mut Vec<Finding>) {
        if self.raised.insert(key.clone()) && !self.quiet.contains(&key) {
            out.push(Finding::Lost(loss));
        }
    }

    /// Judge one rtnetlink datagram as the watcher does (for the fuzz target and the replay of
    /// its corpus).
    pub(crate) fn judge_datagram(&mut self, datagram: &[u8]) -> Vec<Finding> {
        let mut out = Vec::new();
        for m in super::rtnetlink::parse(datagram, None).0 {
            self.apply(m, &mut out);
        }
        out
    }

    pub(crate) fn apply(&mut self, msg: Msg, out: &mut Vec<Finding>) {
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

#[cfg(test)]
mod tests;
