//! `[network]` rules: profiles, LAN entries, and what may count as an independent LAN.

mod common;

use std::net::IpAddr;

use airgapd_policy::{Cidr, MacAddr, Profile};
use common::*;

fn lan(subnets: &str, peers: &str) -> String {
    format!(
        "[network]\nprofile = \"isolated-lan\"\n\n[[network.lan]]\nname = \"office\"\n\
         interface_mac = \"52:54:00:AA:bb:01\"\nsubnets = {subnets}\npeers = {peers}\n"
    )
}

fn subnet_error(subnet: &str) -> airgapd_policy::FieldError {
    let error = only_error(&lan(&format!("[\"{subnet}\"]"), "[]"));
    assert_eq!(error.field, "network.lan[0].subnets[0]", "{error}");
    error
}

#[test]
fn isolated_lan_is_typed_and_normalised() {
    let policy = ok(&lan(
        r#"["192.168.50.0/24", "FD00:50::/64"]"#,
        r#"["192.168.50.10"]"#,
    ))
    .policy;
    assert_eq!(policy.network.profile, Profile::IsolatedLan);
    assert!(policy.network.loopback);
    let lan = &policy.network.lan[0];
    assert_eq!(lan.name, "office");
    assert_eq!(lan.interface_mac, MacAddr([0x52, 0x54, 0, 0xaa, 0xbb, 1]));
    assert_eq!(lan.interface_mac.to_string(), "52:54:00:aa:bb:01");
    let subnets: Vec<String> = lan.subnets.iter().map(Cidr::to_string).collect();
    assert_eq!(subnets, ["192.168.50.0/24", "fd00:50::/64"]);
    assert_eq!(lan.peers, ["192.168.50.10".parse::<IpAddr>().unwrap()]);
    assert!(lan.allows("192.168.50.10".parse().unwrap()));
    assert!(!lan.allows("192.168.50.11".parse().unwrap()));
}

#[test]
fn standalone_may_turn_loopback_off() {
    let policy = ok("[network]\nprofile = \"standalone\"\nloopback = false\n").policy;
    assert_eq!(policy.network.profile, Profile::Standalone);
    assert!(!policy.network.loopback);
    assert!(policy.network.lan.is_empty());
    let text =
        lan(r#"["10.20.0.0/16"]"#, "[]").replace("[network]\n", "[network]\nloopback = false\n");
    assert!(!ok(&text).policy.network.loopback);
}

#[test]
fn profile_must_be_known() {
    let error = assert_error(
        "[network]\nprofile = \"lan\"\n",
        "network.profile",
        "unknown value \"lan\"",
    );
    assert_eq!(error.expected, "\"standalone\" or \"isolated-lan\"");
    assert_eq!(at(&error), (2, 11));
}

#[test]
fn lan_needs_the_isolated_lan_profile_and_vice_versa() {
    let standalone = lan(r#"["10.20.0.0/16"]"#, "[]").replace("isolated-lan", "standalone");
    let error = assert_error(&standalone, "network.lan[0]", "profile is \"standalone\"");
    assert_eq!(at(&error), (4, 1));
    let implicit = lan(r#"["10.20.0.0/16"]"#, "[]").replace("profile = \"isolated-lan\"\n", "");
    assert_error(&implicit, "network.lan[0]", "profile is \"standalone\"");
    let error = assert_error(
        "[network]\nprofile = \"isolated-lan\"\n",
        "network.profile",
        "names no LAN",
    );
    assert_eq!(at(&error), (2, 11));
}

#[test]
fn lan_entries_need_name_mac_and_subnets() {
    let text = "[network]\nprofile = \"isolated-lan\"\n[[network.lan]]\npeers = []\n";
    let fields: Vec<String> = errors(text).into_iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        [
            "network.lan[0].name",
            "network.lan[0].interface_mac",
            "network.lan[0].subnets"
        ]
    );
    let error = assert_error(
        &lan("[]", "[]"),
        "network.lan[0].subnets",
        "the list is empty",
    );
    assert_eq!(at(&error), (7, 11));
    let bad_mac = lan(r#"["10.20.0.0/16"]"#, "[]").replace("52:54:00:AA:bb:01", "52:54:00:aa:bb");
    assert_error(
        &bad_mac,
        "network.lan[0].interface_mac",
        "is not a MAC address",
    );
}

#[test]
fn subnets_must_be_networks_with_zero_host_bits() {
    let error = subnet_error("192.168.50.1/24");
    assert_eq!(error.problem, "\"192.168.50.1/24\" has host bits set");
    assert_eq!(error.expected, "the network address \"192.168.50.0/24\"");
    assert!(subnet_error("192.168.50.0")
        .problem
        .contains("is not a network"));
    assert!(subnet_error("192.168.50.0/33")
        .problem
        .contains("longer than"));
}

#[test]
fn public_and_special_space_is_refused() {
    for public in [
        "8.8.8.0/24",
        "100.64.0.0/16",
        "172.32.0.0/16",
        "2001:db8::/48",
        "224.0.0.0/16",
    ] {
        let error = subnet_error(public);
        assert!(
            error.problem.contains("not inside a private range"),
            "{error}"
        );
        assert!(error.expected.contains("law 117/2025"), "{error}");
    }
    // Straddles the edge of 172.16.0.0/12: partly private is not private.
    assert!(subnet_error("172.0.0.0/10")
        .problem
        .contains("not inside a private range"));
    let error = subnet_error("169.254.0.0/16");
    assert_eq!(error.problem, "\"169.254.0.0/16\" is link-local");
    assert!(error.expected.contains("unconfigured"), "{error}");
    assert!(subnet_error("fe80::/64").problem.contains("link-local"));
    assert!(subnet_error("127.0.0.0/16").problem.contains("loopback"));
}

#[test]
fn too_wide_subnets_are_refused() {
    let error = subnet_error("10.0.0.0/8");
    assert_eq!(error.problem, "\"10.0.0.0/8\" is wider than /16");
    assert!(
        error.expected.starts_with("a prefix of /16 or longer"),
        "{error}"
    );
    assert!(subnet_error("172.16.0.0/12")
        .problem
        .contains("wider than /16"));
    assert!(subnet_error("fd00::/40").problem.contains("wider than /48"));
    ok(&lan(
        r#"["10.1.0.0/16", "172.16.0.0/16", "192.168.0.0/16", "fd12:3456:789a::/48"]"#,
        "[]",
    ));
}

#[test]
fn peers_must_be_addresses_inside_the_subnets() {
    let text = lan(
        r#"["192.168.50.0/24", "fd00:50::/64"]"#,
        r#"["192.168.50.10", "192.168.51.1"]"#,
    );
    let error = assert_error(&text, "network.lan[0].peers[1]", "192.168.51.1 is outside");
    assert_eq!(
        error.expected,
        "an address in 192.168.50.0/24, fd00:50::/64"
    );
    assert_eq!(at(&error), (8, 27));
    let text = lan(r#"["192.168.50.0/24"]"#, r#"["192.168.50.10/32"]"#);
    assert_error(&text, "network.lan[0].peers[0]", "is not an IP address");
    // A broken subnet is reported once, not again through every peer inside it.
    let text = lan(r#"["192.168.50.1/24"]"#, r#"["192.168.50.10"]"#);
    assert_error(&text, "network.lan[0].subnets[0]", "host bits");
}

/// Issue 9: a broadcast address in `peers` would reach every host of the subnet.
#[test]
fn peers_must_not_be_broadcast_addresses() {
    let text = lan(r#"["192.168.50.0/24"]"#, r#"["192.168.50.255"]"#);
    let error = assert_error(&text, "network.lan[0].peers[0]", "is a broadcast address");
    assert!(error.expected.contains("every host"), "{}", error.expected);
    let text = lan(r#"["192.168.50.0/24"]"#, r#"["192.168.50.0"]"#);
    assert_error(&text, "network.lan[0].peers[0]", "is a broadcast address");
    // A /31 has no broadcast address (RFC 3021): both ends are hosts.
    let text = lan(
        r#"["192.168.50.0/31"]"#,
        r#"["192.168.50.0", "192.168.50.1"]"#,
    );
    airgapd_policy::parse(&text, None).unwrap();
}

#[test]
fn lans_must_not_share_interfaces_or_overlap() {
    let second = "\n[[network.lan]]\nname = \"two\"\ninterface_mac = \"52:54:00:aa:bb:01\"\n\
                  subnets = [\"10.30.0.0/16\"]\n";
    let text = lan(r#"["10.20.0.0/16"]"#, "[]") + second;
    let error = assert_error(
        &text,
        "network.lan[1].interface_mac",
        "already the interface",
    );
    assert_eq!(at(&error), (12, 17));
    let text = lan(r#"["10.20.0.0/16"]"#, "[]")
        + &second
            .replace("aa:bb:01", "aa:bb:02")
            .replace("10.30", "10.20");
    let error = assert_error(
        &text,
        "network.lan[1].subnets[0]",
        "overlaps \"10.20.0.0/16\"",
    );
    assert!(
        error.problem.contains("network.lan[0].subnets[0]"),
        "{error}"
    );
    assert_error(
        &lan(r#"["10.20.0.0/16", "10.20.5.0/24"]"#, "[]"),
        "network.lan[0].subnets[1]",
        "overlaps",
    );
}
