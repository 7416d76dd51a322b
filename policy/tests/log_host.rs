//! `[network.log_host]` (issue 21): the office's log host, reached by the journal upload only.

mod common;

use std::net::IpAddr;

use airgapd_policy::LogHost;
use common::*;

fn with_log_host(peers: &str, table: &str) -> String {
    format!(
        "[network]\nprofile = \"isolated-lan\"\n\n[[network.lan]]\nname = \"office\"\n\
         interface_mac = \"52:54:00:aa:bb:01\"\nsubnets = [\"192.168.50.0/24\"]\n\
         peers = {peers}\n\n[network.log_host]\n{table}"
    )
}

#[test]
fn log_host_is_typed_with_defaults() {
    let policy = ok(&with_log_host("[]", "address = \"192.168.50.2\"\n")).policy;
    let host = policy.network.log_host.expect("a log host");
    assert_eq!(host.address, "192.168.50.2".parse::<IpAddr>().unwrap());
    assert_eq!(host.port, 19532);
    assert_eq!(host.cgroup, "system.slice/systemd-journal-upload.service");
    assert_eq!(host.cgroup, LogHost::DEFAULT_CGROUP);

    let table = "address = \"192.168.50.2\"\nport = 443\ncgroup = \"a.slice//up.service/\"\n";
    let host = ok(&with_log_host("[\"192.168.50.10\"]", table))
        .policy
        .network
        .log_host
        .unwrap();
    assert_eq!(
        (host.port, host.cgroup.as_str()),
        (443, "a.slice/up.service")
    );
    assert!(ok(&with_log_host("[]", "address = \"192.168.50.2\"\n")
        .replace("[network.log_host]\naddress = \"192.168.50.2\"\n", ""))
    .policy
    .network
    .log_host
    .is_none());
}

#[test]
fn log_host_outside_the_lan_is_refused_at_its_line() {
    let error = assert_error(
        &with_log_host("[]", "address = \"192.168.51.2\"\n"),
        "network.log_host.address",
        "192.168.51.2 is outside every LAN's subnets",
    );
    assert_eq!(at(&error), (11, 11));
    assert!(error.expected.contains("192.168.50.0/24"), "{error}");
    assert!(error.to_string().contains("policy.toml"), "{error}");
}

#[test]
fn log_host_must_not_also_be_a_peer_or_a_broadcast() {
    assert_error(
        &with_log_host("[\"192.168.50.2\"]", "address = \"192.168.50.2\"\n"),
        "network.log_host.address",
        "is also a peer of LAN \"office\"",
    );
    assert_error(
        &with_log_host("[]", "address = \"192.168.50.255\"\n"),
        "network.log_host.address",
        "broadcast",
    );
    assert_error(
        &with_log_host("[]", "address = \"log-host\"\n"),
        "network.log_host.address",
        "not an IP address",
    );
}

#[test]
fn bad_port_and_cgroup_are_refused() {
    for port in ["0", "65536", "-1"] {
        let error = assert_error(
            &with_log_host(
                "[]",
                &format!("address = \"192.168.50.2\"\nport = {port}\n"),
            ),
            "network.log_host.port",
            "out of range",
        );
        assert_eq!(at(&error), (12, 8));
        assert_eq!(error.expected, "a whole number from 1 to 65535");
    }
    for cgroup in ["/system.slice/x.service", "", "a/../b"] {
        assert_error(
            &with_log_host(
                "[]",
                &format!("address = \"192.168.50.2\"\ncgroup = {cgroup:?}\n"),
            ),
            "network.log_host.cgroup",
            "",
        );
    }
}

#[test]
fn log_host_needs_the_isolated_lan_profile_and_an_address() {
    let standalone = "[network]\nprofile = \"standalone\"\n\n[network.log_host]\n\
                      address = \"192.168.50.2\"\n";
    let error = assert_error(standalone, "network.log_host", "profile is \"standalone\"");
    assert_eq!(at(&error), (5, 11));
    let error = assert_error(
        &with_log_host("[]", "port = 19532\n"),
        "network.log_host.address",
        "the key is missing",
    );
    assert_eq!(at(&error), (11, 8));
}

/// Issue 21: how long a PC may send nothing before the log host's tools call it silent is the
/// office's decision, written beside the log host; bad values name their line and field.
#[test]
fn silence_limit_defaults_and_is_bounded() {
    let host = |table: &str| {
        ok(&with_log_host("[]", table))
            .policy
            .network
            .log_host
            .unwrap()
    };
    assert_eq!(
        host("address = \"192.168.50.2\"\n").silent_after_hours,
        LogHost::DEFAULT_SILENT_AFTER_HOURS
    );
    assert_eq!(LogHost::DEFAULT_SILENT_AFTER_HOURS, 24);
    let table = "address = \"192.168.50.2\"\nsilent_after_hours = 72\n";
    assert_eq!(host(table).silent_after_hours, 72);
    for hours in ["0", "-3", "8761"] {
        let error = assert_error(
            &with_log_host(
                "[]",
                &format!("address = \"192.168.50.2\"\nsilent_after_hours = {hours}\n"),
            ),
            "network.log_host.silent_after_hours",
            "out of range",
        );
        assert_eq!(at(&error), (12, 22), "{error}");
        assert_eq!(error.expected, "a whole number from 1 to 8760");
        assert!(error.to_string().contains("policy.toml"), "{error}");
    }
    assert_error(
        &with_log_host(
            "[]",
            "address = \"192.168.50.2\"\nsilent_after_hours = \"a day\"\n",
        ),
        "network.log_host.silent_after_hours",
        "",
    );
}
