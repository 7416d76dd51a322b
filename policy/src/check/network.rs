//! `[network]` rules: the profile, and what may count as an "independent LAN".
//!
//! Law 117/2025 allows secrets on a machine connected only to an independent LAN: one set up
//! within the agency's premises and connected to nothing that leads outside. A policy cannot
//! prove that, but it can refuse what contradicts it: public addresses (which exist to be
//! routed), link-local ones (which any cable brings up unconfigured), and ranges wider than
//! one site needs.

use std::net::IpAddr;

use toml::Spanned;

mod log_host;

use super::{Checker, Lines};
use crate::error::ValueError;
use crate::model::{Lan, Network, Profile};
use crate::raw::{RawLan, RawNetwork};
use crate::value::{Cidr, MacAddr};

const PROFILES: [(&str, Profile); 2] = [
    ("standalone", Profile::Standalone),
    ("isolated-lan", Profile::IsolatedLan),
];

const PRIVATE_RANGES: [&str; 4] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];

/// The widest networks accepted: a /16 is 65,536 addresses, a /48 the standard allocation to
/// one IPv6 site. Anything wider is a routed organisation network, not one office's LAN.
const WIDEST_V4: u8 = 16;
const WIDEST_V6: u8 = 48;

pub(super) fn check(c: &mut Checker<'_>, raw: &RawNetwork) -> Network {
    let profile = match &raw.profile {
        None => Some(Profile::Standalone),
        Some(profile) => c.choice("network.profile", profile, &PROFILES),
    };
    let lan: Vec<Lan> = raw
        .lan
        .iter()
        .enumerate()
        .filter_map(|(i, lan)| check_lan(c, i, lan))
        .collect();
    match (profile, raw.lan.first(), &raw.profile) {
        (Some(Profile::Standalone), Some(first), _) => c.error(
            first.span(),
            "network.lan[0]",
            "a LAN is listed but the profile is \"standalone\"",
            "profile = \"isolated-lan\" in [network], or no [[network.lan]] entries",
        ),
        (Some(Profile::IsolatedLan), None, Some(profile)) => c.error(
            profile.span(),
            "network.profile",
            "the profile \"isolated-lan\" names no LAN",
            "at least one [[network.lan]] entry with name, interface_mac and subnets",
        ),
        _ => {}
    }
    distinct_lans(c, raw);
    // Containment is judged only against a complete list of LANs of the right profile: a typo
    // in a subnet, or a wrong profile, is reported once, not again for the log host.
    let lans_complete = lan.len() == raw.lan.len() && profile == Some(Profile::IsolatedLan);
    let log_host = raw
        .log_host
        .as_ref()
        .and_then(|host| log_host::check(c, host, profile, lans_complete.then_some(&lan[..])));
    Network {
        profile: profile.unwrap_or(Profile::Standalone),
        loopback: raw.loopback.as_ref().is_none_or(|b| *b.get_ref()),
        lan,
        log_host,
    }
}

/// One `[[network.lan]]` entry; `None` if anything in it is wrong.
fn check_lan(c: &mut Checker<'_>, i: usize, raw: &Spanned<RawLan>) -> Option<Lan> {
    let base = format!("network.lan[{i}]");
    let entry = raw.get_ref();
    let errors_before = c.errors.len();

    let name_field = format!("{base}.name");
    let name = c.required(raw.span(), &name_field, &entry.name, "a name for the LAN");
    let name = c.text(&name_field, name, 128, Lines::One);

    let mac_field = format!("{base}.interface_mac");
    let mac = c.required(
        raw.span(),
        &mac_field,
        &entry.interface_mac,
        "the MAC address of the interface on the LAN, e.g. \"52:54:00:12:34:56\"",
    );
    let mac = mac.and_then(|mac| c.parse(&mac_field, mac, str::parse::<MacAddr>));

    let subnets_field = format!("{base}.subnets");
    let mut subnets = Vec::new();
    if let Some(list) = c.required(
        raw.span(),
        &subnets_field,
        &entry.subnets,
        "a list of the LAN's networks, e.g. [\"192.168.50.0/24\"]",
    ) {
        if list.get_ref().is_empty() {
            c.error(
                list.span(),
                &subnets_field,
                "the list is empty",
                "at least one network, e.g. [\"192.168.50.0/24\"]",
            );
        }
        for (j, subnet) in list.get_ref().iter().enumerate() {
            let field = format!("{subnets_field}[{j}]");
            let parsed = subnet
                .get_ref()
                .parse::<Cidr>()
                .and_then(|net| independent_lan(net).map(|()| net));
            match parsed {
                Ok(net) => subnets.push(net),
                Err(e) => c.value_error(subnet.span(), &field, e),
            }
        }
    }
    let subnets_complete = subnets.len() == entry.subnets.as_ref().map_or(0, |l| l.get_ref().len());

    let mut peers = Vec::new();
    for (j, peer) in entry.peers.iter().flat_map(|l| l.get_ref()).enumerate() {
        let field = format!("{base}.peers[{j}]");
        let Ok(ip) = peer.get_ref().parse::<IpAddr>() else {
            c.error(
                peer.span(),
                &field,
                format!("{:?} is not an IP address", peer.get_ref()),
                "an IPv4 or IPv6 address without prefix, e.g. \"192.168.50.10\"",
            );
            continue;
        };
        // Only judge containment against a complete list, or a typo in one subnet would also
        // flag every peer in it.
        if subnets_complete && !subnets.iter().any(|net| net.contains(ip)) {
            c.error(
                peer.span(),
                &field,
                format!("{ip} is outside the LAN's subnets"),
                format!("an address in {}", join_cidrs(&subnets)),
            );
        } else if let Some(net) = subnets.iter().find(|net| is_broadcast(net, ip)) {
            c.error(
                peer.span(),
                &field,
                format!("{ip} is a broadcast address of {net}"),
                "the address of one host: a datagram sent to a broadcast address reaches every \
                 host of the subnet, not one peer (leave out peers to allow the whole subnet)",
            );
        }
        peers.push(ip);
    }

    if c.errors.len() != errors_before {
        return None;
    }
    Some(Lan {
        name: name?,
        interface_mac: mac?,
        subnets,
        peers,
    })
}

/// Why `net` cannot be part of an independent LAN, if it cannot.
fn independent_lan(net: Cidr) -> Result<(), ValueError> {
    let private = PRIVATE_RANGES.map(|r| r.parse::<Cidr>().expect("constant range parses"));
    let addr = net.addr();
    let link_local = match addr {
        IpAddr::V4(a) => a.is_link_local(),
        IpAddr::V6(a) => a.segments()[0] & 0xffc0 == 0xfe80,
    };
    if addr.is_loopback() {
        return Err(ValueError::new(
            format!("\"{net}\" is loopback"),
            "a LAN network; loopback is governed by network.loopback",
        ));
    }
    if link_local {
        return Err(ValueError::new(
            format!("\"{net}\" is link-local"),
            "a network the agency assigned from 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 \
             or fc00::/7: any interface gives itself link-local addresses (169.254.0.0/16, \
             fe80::/10) unconfigured, so they cannot mark out the agency's LAN",
        ));
    }
    if !private.iter().any(|range| range.covers(&net)) {
        return Err(ValueError::new(
            format!("\"{net}\" is not inside a private range"),
            "a network inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or fc00::/7: an \
             independent LAN (law 117/2025) connects to nothing outside, so it has no use \
             for public addresses",
        ));
    }
    let widest = if addr.is_ipv4() { WIDEST_V4 } else { WIDEST_V6 };
    if net.prefix() < widest {
        return Err(ValueError::new(
            format!("\"{net}\" is wider than /{widest}"),
            format!(
                "a prefix of /{widest} or longer: an independent LAN (law 117/2025) is one \
                 agency's premises, and a wider range takes in routed networks beyond it"
            ),
        ));
    }
    Ok(())
}

/// LAN entries must not share an interface or overlap: the daemon must know for every
/// address which single LAN, and so which interface, it belongs to.
fn distinct_lans(c: &mut Checker<'_>, raw: &RawNetwork) {
    let mut macs: Vec<(MacAddr, usize)> = Vec::new();
    let mut nets: Vec<(Cidr, String)> = Vec::new();
    for (i, lan) in raw.lan.iter().enumerate() {
        let lan = lan.get_ref();
        if let Some(mac) = &lan.interface_mac {
            if let Ok(parsed) = mac.get_ref().parse::<MacAddr>() {
                if let Some((_, first)) = macs.iter().find(|(m, _)| *m == parsed) {
                    c.error(
                        mac.span(),
                        &format!("network.lan[{i}].interface_mac"),
                        format!("{parsed} is already the interface of network.lan[{first}]"),
                        "one [[network.lan]] entry per interface, listing all its subnets",
                    );
                }
                macs.push((parsed, i));
            }
        }
        for (j, subnet) in lan.subnets.iter().flat_map(|l| l.get_ref()).enumerate() {
            let Ok(net) = subnet.get_ref().parse::<Cidr>() else {
                continue;
            };
            let field = format!("network.lan[{i}].subnets[{j}]");
            if let Some((other, other_field)) =
                nets.iter().find(|(o, _)| o.covers(&net) || net.covers(o))
            {
                c.error(
                    subnet.span(),
                    &field,
                    format!("\"{net}\" overlaps \"{other}\" ({other_field})"),
                    "networks that do not overlap",
                );
            }
            nets.push((net, field));
        }
    }
}

/// Whether `ip` is the all-ones (broadcast) or all-zeros (old BSD broadcast) address of an
/// IPv4 network with more than two addresses.
pub(super) fn is_broadcast(net: &Cidr, ip: IpAddr) -> bool {
    match (net.addr(), ip) {
        (IpAddr::V4(_), IpAddr::V4(ip)) if net.prefix() < 31 && net.contains(ip.into()) => {
            let host_bits = u32::MAX >> net.prefix();
            let host = u32::from(ip) & host_bits;
            host == 0 || host == host_bits
        }
        _ => false,
    }
}

pub(super) fn join_cidrs(nets: &[Cidr]) -> String {
    let names: Vec<String> = nets.iter().map(Cidr::to_string).collect();
    names.join(", ")
}
