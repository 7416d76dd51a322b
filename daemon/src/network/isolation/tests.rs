//! The isolation judgement, fed rtnetlink messages by hand: each loss has a harmless twin.

use super::*;
use crate::journal::Priority;
use crate::network::rtnetlink::Route;

const LAN_MAC: MacAddr = MacAddr([0x02, 0, 0, 0, 0x50, 0x01]);
const OTHER_MAC: MacAddr = MacAddr([0x02, 0, 0, 0, 0x77, 0x01]);

fn lans() -> Vec<LanPlan> {
    let text = "[network]\nprofile = \"isolated-lan\"\n[[network.lan]]\nname = \"office\"\n\
                interface_mac = \"02:00:00:00:50:01\"\n\
                subnets = [\"192.168.50.0/24\", \"fd00:50::/64\"]\n";
    let policy = airgapd_policy::parse(text, None).unwrap().policy;
    LanPlan::from_policy(&policy.network)
}

fn link(index: u32, name: &str, mac: Option<MacAddr>, carrier: bool) -> Msg {
    Msg::Link(Interface {
        index,
        name: name.into(),
        loopback: name == "lo",
        mac,
        carrier,
        up: carrier,
    })
}

fn addr(index: u32, a: &str, prefix: u8) -> Msg {
    Msg::Addr {
        index,
        addr: a.parse().unwrap(),
        prefix,
    }
}

fn route(dst: Option<&str>, dst_len: u8, oif: u32, via: Option<&str>) -> Route {
    Route {
        table: 254,
        dst: dst.map(|d| d.parse().unwrap()),
        dst_len,
        oif,
        via: via.map(str::to_string),
        priority: 0,
        unicast: true,
    }
}

/// A machine on its LAN: lo, the LAN interface with a LAN address and its prefix route.
fn isolated() -> Isolation {
    let mut iso = Isolation::new(&lans());
    let mut out = Vec::new();
    for m in [
        link(1, "lo", None, true),
        link(2, "eth0", Some(LAN_MAC), true),
        addr(1, "127.0.0.1", 8),
        addr(1, "::1", 128),
        addr(2, "192.168.50.1", 24),
        addr(2, "fe80::50:1", 64),
        Msg::Route(route(Some("192.168.50.0"), 24, 2, None)),
        Msg::Route(route(Some("fe80::"), 64, 2, None)),
        Msg::Route(Route {
            table: RT_TABLE_LOCAL,
            ..route(Some("192.168.50.1"), 32, 2, None)
        }),
    ] {
        iso.apply(m, &mut out);
    }
    assert_eq!(
        out,
        [Finding::Interfaces],
        "the LAN interface resolved, nothing lost"
    );
    assert_eq!(iso.ifindex_of(&LAN_MAC), Some(2));
    iso
}

fn losses(iso: &mut Isolation, msgs: Vec<Msg>) -> Vec<(Change, String)> {
    let mut out = Vec::new();
    for m in msgs {
        iso.apply(m, &mut out);
    }
    out.into_iter()
        .filter_map(|f| match f {
            Finding::Lost(l) => Some((l.change, l.address.unwrap_or_default())),
            Finding::Interfaces | Finding::UploadCgroup => None,
        })
        .collect()
}

#[test]
fn a_default_route_is_lost_isolation_an_unreachable_one_is_not() {
    let mut iso = isolated();
    let mut blackhole = route(None, 0, 0, None);
    blackhole.unicast = false;
    assert!(losses(&mut iso, vec![Msg::Route(blackhole)]).is_empty());
    let default = route(None, 0, 2, Some("192.168.50.254"));
    let lost = losses(&mut iso, vec![Msg::Route(default.clone())]);
    assert_eq!(lost, [(Change::DefaultRoute, "192.168.50.254".to_string())]);
    // Reported once while it lasts, again when it comes back.
    assert!(losses(&mut iso, vec![Msg::Route(default.clone())]).is_empty());
    let lost = losses(
        &mut iso,
        vec![Msg::DelRoute(default.clone()), Msg::Route(default)],
    );
    assert_eq!(lost.len(), 1);
}

#[test]
fn gateways_and_routes_out_of_the_lan_are_lost_isolation() {
    let mut iso = isolated();
    // A second route into the LAN over the LAN interface: harmless.
    assert!(losses(
        &mut iso,
        vec![Msg::Route(route(Some("192.168.50.128"), 25, 2, None))]
    )
    .is_empty());
    let lost = losses(
        &mut iso,
        vec![
            Msg::Route(route(Some("10.0.0.0"), 8, 2, Some("192.168.50.254"))),
            Msg::Route(route(Some("10.77.0.0"), 24, 2, None)),
            Msg::Route(Route {
                via: Some("nexthop 4".into()),
                ..route(Some("172.16.0.0"), 16, 0, None)
            }),
        ],
    );
    assert_eq!(
        lost,
        [
            (Change::Gateway, "10.0.0.0/8".to_string()),
            (Change::Route, "10.77.0.0/24".to_string()),
            (Change::Gateway, "172.16.0.0/16".to_string()),
        ]
    );
}

#[test]
fn a_lan_subnet_through_another_interface_is_lost_isolation() {
    let mut iso = isolated();
    losses(&mut iso, vec![link(3, "usb0", Some(OTHER_MAC), false)]);
    let lost = losses(
        &mut iso,
        vec![Msg::Route(route(Some("192.168.50.0"), 24, 3, None))],
    );
    assert_eq!(lost, [(Change::Route, "192.168.50.0/24".to_string())]);
}

#[test]
fn foreign_addresses_are_lost_isolation_link_local_and_loopback_are_not() {
    let mut iso = isolated();
    assert!(losses(
        &mut iso,
        vec![
            addr(2, "192.168.50.9", 24),
            addr(2, "fd00:50::9", 64),
            addr(2, "fe80::1234", 64),
            addr(1, "127.0.0.2", 8),
        ]
    )
    .is_empty());
    let lost = losses(
        &mut iso,
        vec![addr(2, "10.99.0.1", 24), addr(2, "169.254.7.7", 16)],
    );
    assert_eq!(
        lost,
        [
            (Change::Address, "10.99.0.1/24".to_string()),
            (Change::Address, "169.254.7.7/16".to_string()),
        ]
    );
    // A LAN address on an interface that is not the LAN's.
    losses(&mut iso, vec![link(3, "wlan0", Some(OTHER_MAC), false)]);
    let lost = losses(&mut iso, vec![addr(3, "192.168.50.7", 24)]);
    assert_eq!(lost, [(Change::Address, "192.168.50.7/24".to_string())]);
}

#[test]
fn another_interface_with_a_carrier_is_lost_isolation() {
    let mut iso = isolated();
    assert!(losses(&mut iso, vec![link(3, "enx0", Some(OTHER_MAC), false)]).is_empty());
    let lost = losses(&mut iso, vec![link(3, "enx0", Some(OTHER_MAC), true)]);
    assert_eq!(lost, [(Change::Carrier, OTHER_MAC.to_string())]);
    assert!(losses(&mut iso, vec![link(3, "enx0", Some(OTHER_MAC), true)]).is_empty());
    // The LAN interface's own carrier is the LAN.
    assert!(losses(&mut iso, vec![link(2, "eth0", Some(LAN_MAC), true)]).is_empty());
}

#[test]
fn the_lan_interface_changing_its_mac_is_lost_isolation_and_closes_the_lan() {
    let mut iso = isolated();
    let mut out = Vec::new();
    iso.apply(link(2, "eth0", Some(OTHER_MAC), true), &mut out);
    assert!(matches!(&out[0], Finding::Lost(l) if l.change == Change::Mac));
    assert!(out.contains(&Finding::Interfaces));
    assert_eq!(iso.ifindex_of(&LAN_MAC), None);
    assert_eq!(
        iso.lan_entries().peers[&"192.168.50.0/24".parse().unwrap()],
        0,
        "no interface, no LAN"
    );
}

#[test]
fn two_interfaces_with_the_lan_mac_resolve_to_none() {
    let mut iso = isolated();
    let lost = losses(&mut iso, vec![link(5, "eth1", Some(LAN_MAC), false)]);
    assert_eq!(lost, [(Change::Mac, LAN_MAC.to_string())]);
    assert_eq!(iso.ifindex_of(&LAN_MAC), None);
    let mut out = Vec::new();
    iso.apply(Msg::DelLink(5), &mut out);
    assert_eq!(out, [Finding::Interfaces]);
    assert_eq!(iso.ifindex_of(&LAN_MAC), Some(2));
}

#[test]
fn a_loss_is_a_critical_record_with_what_changed() {
    let loss = Loss {
        change: Change::DefaultRoute,
        interface: Some("eth0".into()),
        ifindex: 2,
        address: Some("192.168.50.254".into()),
        message: "a default route appeared".into(),
    };
    let r = loss.record();
    assert_eq!(r.message_id, MessageId::NetworkIsolationLost);
    assert_eq!(r.priority, Priority::Critical);
    assert_eq!(r.get(field::CHANGE), Some("default-route"));
    assert_eq!(r.get(field::INTERFACE), Some("eth0"));
    assert!(r.missing_catalog_fields().is_empty());
}

#[test]
fn after_an_overrun_only_new_losses_are_reported_again() {
    let mut iso = isolated();
    let default = route(None, 0, 2, Some("192.168.50.254"));
    assert_eq!(losses(&mut iso, vec![Msg::Route(default.clone())]).len(), 1);
    // What the watcher does on ENOBUFS: forget, read everything again, quietly for old losses.
    iso.begin_rescan();
    let lost = losses(
        &mut iso,
        vec![
            link(1, "lo", None, true),
            link(2, "eth0", Some(LAN_MAC), true),
            Msg::Route(default.clone()),
            addr(2, "10.99.0.1", 24),
        ],
    );
    iso.end_rescan();
    assert_eq!(lost, [(Change::Address, "10.99.0.1/24".to_string())]);
    // The default route is still known to be raised: removed and back, it is reported again.
    let lost = losses(
        &mut iso,
        vec![Msg::DelRoute(default.clone()), Msg::Route(default)],
    );
    assert_eq!(lost.len(), 1);
}
