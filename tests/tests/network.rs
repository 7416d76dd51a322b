//! Issue 3: the network air-gap, proven with real syscalls against the real programs.
//!
//! Every refused case runs twice: in the test scope (must be EPERM) and as a control outside
//! it (must not be EPERM), so a test cannot pass with enforcement switched off. Victims that try
//! a non-loopback address run in a fresh, empty network namespace: if enforcement broke, they
//! would see ENETUNREACH, never send a packet.

use std::path::Path;

use airgapd::violation::Kind;
use airgapd_tests::{mode, run_at, Armed, Place};

fn probe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_airgap-probe"))
}

/// Run a probe in scope and as a control; assert EPERM inside and `control` outside.
fn refused(armed: &Armed, args: &[&str], control: &str) -> u32 {
    let inside = run_at(
        probe(),
        Place {
            scope: Some(&armed.scope),
            fresh_netns: true,
        },
        args,
    );
    let outside = run_at(
        probe(),
        Place {
            scope: None,
            fresh_netns: true,
        },
        args,
    );
    assert_eq!(inside.result, "EPERM", "{args:?} in scope");
    assert_eq!(
        outside.result, control,
        "{args:?} outside the scope (control)"
    );
    inside.pid
}

fn allowed(armed: &Armed, args: &[&str]) {
    let inside = run_at(
        probe(),
        Place {
            scope: Some(&armed.scope),
            fresh_netns: true,
        },
        args,
    );
    assert_eq!(inside.result, "ok", "{args:?} in scope must keep working");
}

#[tokio::test]
async fn loopback_false_refuses_every_inet_socket() {
    let mut armed = Armed::network(mode(false));
    let cases: [(&str, &str, &str, u16); 4] = [
        ("2", "1", "0", libc::AF_INET as u16),   // AF_INET stream
        ("2", "2", "0", libc::AF_INET as u16),   // AF_INET dgram
        ("10", "1", "0", libc::AF_INET6 as u16), // AF_INET6 stream
        ("10", "2", "17", libc::AF_INET6 as u16),
    ];
    for (fam, ty, proto, family) in cases {
        let pid = refused(&armed, &["socket", fam, ty, proto], "ok");
        let ev = armed
            .expect_event("socket create", |v| {
                v.kind == Kind::NetCreate && v.pid == pid
            })
            .await;
        assert_eq!(ev.family, family);
        assert_eq!(ev.comm, "airgap-probe");
        assert_eq!(ev.uid, 0);
        assert_eq!(ev.cgroup_id, armed.scope.id());
    }
    // Even loopback is gone in this mode.
    refused(&armed, &["tcp-echo", "127.0.0.1"], "ok");
    // Local IPC stays.
    allowed(&armed, &["unix"]);
    allowed(&armed, &["netlink"]);
}

#[tokio::test]
async fn loopback_true_refuses_every_address_form() {
    let mut armed = Armed::network(mode(true));
    let cases: &[(&[&str], &str, Kind, Option<&str>)] = &[
        (
            &["connect", "tcp", "93.184.216.34", "443"],
            "ENETUNREACH",
            Kind::NetConnect,
            Some("93.184.216.34:443"),
        ),
        (
            &["connect", "udp", "93.184.216.34", "53"],
            "ENETUNREACH",
            Kind::NetConnect,
            Some("93.184.216.34:53"),
        ),
        (
            &["connect", "tcp", "2001:db8::1", "443"],
            "ENETUNREACH",
            Kind::NetConnect,
            Some("[2001:db8::1]:443"),
        ),
        (
            &["connect", "tcp", "::ffff:93.184.216.34", "80"],
            "ENETUNREACH",
            Kind::NetConnect,
            None,
        ),
        (
            &["sendto", "93.184.216.34", "53"],
            "ENETUNREACH",
            Kind::NetSend,
            Some("93.184.216.34:53"),
        ),
        (
            &["sendto", "2001:db8::53", "53"],
            "ENETUNREACH",
            Kind::NetSend,
            Some("[2001:db8::53]:53"),
        ),
        (
            &["fastopen", "93.184.216.34", "443"],
            "ENETUNREACH",
            Kind::NetConnect,
            Some("93.184.216.34:443"),
        ),
        (
            &["bind", "tcp", "0.0.0.0", "8080"],
            "ok",
            Kind::NetBind,
            Some("0.0.0.0:8080"),
        ),
        (
            &["bind", "udp", "::", "8080"],
            "ok",
            Kind::NetBind,
            Some("[::]:8080"),
        ),
        (
            &["bind", "tcp", "192.0.2.7", "80"],
            "EADDRNOTAVAIL",
            Kind::NetBind,
            Some("192.0.2.7:80"),
        ),
    ];
    for (args, control, kind, endpoint) in cases {
        let pid = refused(&armed, args, control);
        let ev = armed
            .expect_event(&format!("{args:?}"), |v| v.kind == *kind && v.pid == pid)
            .await;
        if let Some(ep) = endpoint {
            assert_eq!(ev.endpoint().as_deref(), Some(*ep), "{args:?}");
        }
        assert_eq!(ev.comm, "airgap-probe");
    }
}

#[tokio::test]
async fn loopback_true_refuses_sockets_the_address_hooks_never_see() {
    let mut armed = Armed::network(mode(true));
    // Raw ICMP, raw IPv6, an ICMP "ping" socket, SCTP: refused at creation.
    for (args, control) in [
        (&["socket", "2", "3", "1"][..], "ok"),
        (&["socket", "10", "3", "58"][..], "ok"),
        (&["ping-socket"][..], "ok"),
    ] {
        let pid = refused(&armed, args, control);
        armed
            .expect_event("raw/ping create", |v| {
                v.kind == Kind::NetCreate && v.pid == pid
            })
            .await;
    }
}

#[tokio::test]
async fn loopback_true_keeps_loopback_and_local_ipc() {
    let armed = Armed::network(mode(true));
    for args in [
        &["tcp-echo", "127.0.0.1"][..],
        &["tcp-echo", "127.9.8.7"][..],
        &["tcp-echo", "::1"][..],
        &["tcp-echo", "::ffff:127.0.0.1"][..],
        &["udp-echo", "127.0.0.1"][..],
        &["udp-echo", "::1"][..],
        &["unix"][..],
        &["netlink"][..],
    ] {
        allowed(&armed, args);
    }
}

/// A denial storm fills the ring buffer: detail is lost, the count never is.
#[tokio::test]
async fn storm_loses_detail_never_the_count() {
    let mut armed = Armed::network(mode(true));
    let n = 20_000u64;
    let out = run_at(
        probe(),
        Place {
            scope: Some(&armed.scope),
            fresh_netns: true,
        },
        &["connect-loop", &n.to_string(), "93.184.216.34", "53"],
    );
    assert_eq!(out.result, "EPERM");
    let shown = armed
        .drain()
        .iter()
        .filter(|v| v.kind == Kind::NetConnect)
        .count() as u64;
    let count = armed.enforcer.counters().get(Kind::NetConnect).unwrap();
    assert_eq!(count.denied, n, "every refusal counted");
    assert!(
        count.lost > 0,
        "a 256 KiB ring buffer cannot hold {n} events"
    );
    assert_eq!(
        shown + count.lost,
        n,
        "shown {shown} + lost {} must equal refused",
        count.lost
    );
}
