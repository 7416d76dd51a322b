//! Issue 3: the interface (TCX) layer, for frames no socket hook sees. Only ever on veth
//! interfaces inside network namespaces this test creates.

use std::path::Path;

use airgapd::bpf::{Enforcer, LayerState};
use airgapd::maps::NetMode;
use airgapd::scope::Scope;
use airgapd::violation::Kind;
use airgapd_tests::netns::Link;
use airgapd_tests::{run_at, Armed, Place};

fn probe() -> &'static str {
    env!("CARGO_BIN_EXE_airgap-probe")
}

/// AF_PACKET frames from a scoped process never reach the peer; the same frames from outside
/// the scope do. (The cgroup programs cannot see AF_PACKET; this is the layer that does.)
#[tokio::test]
async fn raw_frames_from_the_scope_are_dropped_on_the_wire() {
    let mut armed = Armed::network(NetMode::Loopback);
    let link = Link::new("wire1");
    link.a
        .enter(|| armed.enforcer.enforce_interface("veth-a"))
        .expect("attaching TCX");

    let send = |scope: Option<&Scope>| {
        let before = link.b.stat("veth-b", "rx_packets");
        let place = Place {
            scope,
            fresh_netns: false,
        };
        let args = [
            "netns",
            "exec",
            &link.a.name,
            probe(),
            "packet",
            "veth-a",
            "5",
        ];
        let out = run_at(Path::new("ip"), place, &args);
        (out, link.b.stat("veth-b", "rx_packets") - before)
    };

    let (control, arrived) = send(None);
    assert_eq!(control.result, "ok");
    assert!(
        arrived >= 5,
        "control: the peer must receive the 5 frames, got {arrived}"
    );

    let (inside, arrived) = send(Some(&armed.scope));
    assert_eq!(arrived, 0, "frames from the scope reached the peer");
    // A TC drop reads NET_XMIT_DROP, which AF_PACKET reports as ENOBUFS.
    assert_eq!(
        inside.result, "ENOBUFS",
        "the sender must see its frames refused"
    );
    let ev = armed
        .expect_event("wire egress", |v| v.kind == Kind::NetWireEgress)
        .await;
    assert_eq!(ev.cgroup_id, armed.scope.id());
    assert_eq!(
        armed
            .enforcer
            .counters()
            .get(Kind::NetWireEgress)
            .unwrap()
            .denied,
        5
    );
}

/// With a whole-machine scope, nothing arrives on an enforced interface. The machine scope is
/// only ever combined here with an interface inside the test's own namespace: no cgroup or
/// LSM program is attached by this test.
#[tokio::test]
async fn machine_scope_drops_every_arriving_frame() {
    airgapd_tests::require_root();
    let link = Link::new("wire2");
    let ping = || {
        let args = [
            "netns",
            "exec",
            &link.b.name,
            probe(),
            "icmp-echo",
            "10.231.0.1",
            "1000",
        ];
        run_at(
            Path::new("ip"),
            Place {
                scope: None,
                fresh_netns: false,
            },
            &args,
        )
        .result
    };
    assert_eq!(
        ping(),
        "ok",
        "control: the peer must reach veth-a before enforcement"
    );

    let machine = Scope::machine().expect("cgroup v2 root");
    let mut enforcer = Enforcer::load().expect("loading BPF object");
    enforcer
        .configure(&machine, NetMode::Loopback)
        .expect("config");
    link.a
        .enter(|| enforcer.enforce_interface("veth-a"))
        .expect("attaching TCX");

    assert_eq!(
        ping(),
        "ETIMEDOUT",
        "a frame arrived on an enforced interface"
    );
    let count = enforcer.counters().get(Kind::NetWireIngress).unwrap();
    assert!(count.denied >= 1, "the drop must be counted: {count:?}");
}

/// An interface that appears after enforcement started (a phone's USB tethering, here a veth
/// created later) is found through rtnetlink and gets the interface programs too.
#[tokio::test]
async fn interfaces_that_appear_later_are_covered() {
    let mut armed = Armed::network(NetMode::Loopback);
    let link = Link::new("wire4");
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        let enforcer = &mut armed.enforcer;
        let watcher = s.spawn(|| {
            link.a.enter(|| {
                let mut w = airgapd::network::interfaces::LinkWatcher::open().expect("rtnetlink");
                let now = w.list().expect("listing links");
                assert!(now.iter().any(|i| i.loopback && i.name == "lo"));
                ready_tx.send(()).unwrap();
                loop {
                    for i in w.wait().expect("link events") {
                        if i.name == "veth-late" && !i.loopback {
                            enforcer.enforce_interface(&i.name).expect("attaching TCX");
                            return;
                        }
                    }
                }
            })
        });
        ready_rx.recv().unwrap();
        link.a.exec(&[
            "ip",
            "link",
            "add",
            "veth-late",
            "type",
            "veth",
            "peer",
            "name",
            "veth-late-b",
            "netns",
            &link.b.name,
        ]);
        link.a.exec(&["ip", "link", "set", "veth-late", "up"]);
        link.b.exec(&["ip", "link", "set", "veth-late-b", "up"]);
        watcher.join().expect("watcher");
    });

    let before = link.b.stat("veth-late-b", "rx_packets");
    let place = Place {
        scope: Some(&armed.scope),
        fresh_netns: false,
    };
    let args = [
        "netns",
        "exec",
        &link.a.name,
        probe(),
        "packet",
        "veth-late",
        "3",
    ];
    assert_eq!(run_at(Path::new("ip"), place, &args).result, "ENOBUFS");
    assert_eq!(
        link.b.stat("veth-late-b", "rx_packets"),
        before,
        "frames left on a late interface"
    );
    assert_eq!(
        armed
            .enforcer
            .counters()
            .get(Kind::NetWireEgress)
            .unwrap()
            .denied,
        3
    );
}

fn netprobe() -> &'static str {
    env!("CARGO_BIN_EXE_airgap-netprobe")
}

/// Issue 16 (1, 2): PACKET_QDISC_BYPASS and AF_XDP send through `__dev_direct_xmit`, which never
/// runs TCX egress. Whole-machine configuration, interface programs on the test's veth only,
/// the cgroup programs on a test cgroup the attacker runs in. With the interface layer alone
/// the frames reach the peer (the bypass, shown here each run); with the setsockopt program the
/// options are refused (EPERM), recorded, and nothing arrives.
#[tokio::test]
async fn direct_xmit_paths_are_refused_at_setsockopt() {
    airgapd_tests::require_root();
    let link = Link::new("wire5");
    let machine = Scope::machine().expect("cgroup v2 root");
    let mut enforcer = Enforcer::load().expect("loading BPF object");
    enforcer
        .configure(&machine, NetMode::Loopback)
        .expect("config");
    link.a
        .enter(|| enforcer.enforce_interface("veth-a"))
        .expect("attaching TCX");
    let scope = Scope::create("test").expect("test cgroup");
    let attack = |op: &str| {
        let before = link.b.stat("veth-b", "rx_packets");
        let place = Place {
            scope: Some(&scope),
            fresh_netns: false,
        };
        let args = ["netns", "exec", &link.a.name, netprobe(), op, "veth-a", "5"];
        let out = run_at(Path::new("ip"), place, &args);
        (out, link.b.stat("veth-b", "rx_packets") - before)
    };

    // The interface layer alone: both direct paths get past it.
    for op in ["qdisc-bypass", "xsk"] {
        let (out, arrived) = attack(op);
        assert_eq!(out.result, "ok", "{op} without the setsockopt program");
        assert!(
            arrived >= 5,
            "{op}: the interface layer alone lets the frames out (the bypass this test \
             guards against); got {arrived}"
        );
    }

    enforcer
        .enforce_cgroup_network(&scope)
        .expect("attaching the cgroup programs to the test cgroup");
    let mut events =
        airgapd::events::EventStream::new(enforcer.take_events().unwrap()).expect("events");
    for (op, option) in [
        ("qdisc-bypass", "SOL_PACKET/PACKET_QDISC_BYPASS"),
        ("xsk", "SOL_XDP/XDP_UMEM_REG"),
    ] {
        let (out, arrived) = attack(op);
        assert_eq!(out.result, "EPERM", "{op} must be refused");
        assert_eq!(arrived, 0, "{op}: frames reached the peer");
        let ev = next_event(&mut events, Kind::NetSockopt).await;
        assert_eq!(ev.pid, out.pid, "{op}: recorded for the wrong process");
        assert!(ev.to_string().contains(option), "{op}: {ev}");
        assert_eq!(ev.cgroup_id, scope.id());
    }
    let count = enforcer.counters().get(Kind::NetSockopt).unwrap();
    assert_eq!(count.denied, 2, "{count:?}");
    drop(enforcer);
}

/// The next event of `kind` within 5 s.
async fn next_event(
    events: &mut airgapd::events::EventStream,
    kind: Kind,
) -> airgapd::violation::Violation {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let batch = tokio::time::timeout(left, events.next_batch())
            .await
            .unwrap_or_else(|_| panic!("no {kind:?} event within 5 s"))
            .expect("reading events");
        if let Some(v) = batch.into_iter().find(|v| v.kind == kind) {
            return v;
        }
    }
}

/// Issue 16 (5): listen() without bind() autobinds to the wildcard, which no hook sees. In a
/// cgroup scope the skb hook then dropped arrivals for that port silently, while a closed port
/// answers with a reset: from outside, one bit per port. Scoped sockets are bound to lo, so a
/// port the scope listens on looks closed from the peer. (Failed before: ETIMEDOUT.)
#[tokio::test]
async fn an_autobound_listener_in_a_scope_looks_closed_from_outside() {
    use std::io::{BufRead, BufReader};
    let armed = Armed::network(NetMode::Loopback);
    let link = Link::new("wire6");
    let from_peer = |port: &str| {
        let args = [
            "netns",
            "exec",
            &link.b.name,
            probe(),
            "tcp-to",
            "10.231.0.1",
            port,
            "1500",
        ];
        let place = Place {
            scope: None,
            fresh_netns: false,
        };
        run_at(Path::new("ip"), place, &args).result
    };
    let closed = from_peer("9");
    assert_eq!(closed, "ECONNREFUSED", "control: a closed port");

    let mut cmd = std::process::Command::new("ip");
    cmd.args([
        "netns",
        "exec",
        &link.a.name,
        netprobe(),
        "listen-autobind",
        "10",
    ])
    .stdout(std::process::Stdio::piped());
    let opts = airgapd::spawn::SpawnOptions {
        new_netns: false,
        die_with_parent: true,
    };
    airgapd::spawn::prepare(&mut cmd, &armed.scope, opts).expect("preparing the listener");
    let mut child = cmd.spawn().expect("starting the listener");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("reading the listener");
    let port = line
        .trim()
        .strip_prefix("port ")
        .expect("port N")
        .to_string();
    let seen = from_peer(&port);
    child
        .kill()
        .expect("stopping the listener (our child, by pid)");
    child.wait().expect("reaping the listener");
    assert_eq!(
        seen, closed,
        "the scope's listener on port {port} must look like a closed port from the peer"
    );
}

/// Issue 16 (1), the 32-bit entry: the kernel runs no `cgroup/setsockopt` program for a
/// setsockopt made through `int 0x80` (or by an i386 program), so layer 6 never saw it and
/// PACKET_QDISC_BYPASS got set past it, its frames reaching the peer. Layer 6c, an fmod_ret
/// program on `security_socket_setsockopt`, refuses it where the kernel loads BPF trampolines;
/// where it does not (this development machine), the layer must be reported unavailable, with
/// the kernel's answer and the remedy, never silently. A process outside the scope is never
/// refused by the global program. Frames only ever go between the test's namespaces.
/// (Failed before the layer existed: no layer `compat-setsockopt` was reported while the
/// scoped `int 0x80` setsockopt succeeded and 5 frames reached the peer.)
#[tokio::test]
async fn compat_setsockopt_is_refused_or_reported_unavailable() {
    let mut armed = Armed::network(NetMode::Loopback);
    let link = Link::new("wire7");
    link.a
        .enter(|| armed.enforcer.enforce_interface("veth-a"))
        .expect("attaching TCX");
    let attack = |scope: Option<&Scope>| {
        let before = link.b.stat("veth-b", "rx_packets");
        let place = Place {
            scope,
            fresh_netns: false,
        };
        let args = [
            "netns",
            "exec",
            &link.a.name,
            netprobe(),
            "qdisc-bypass-int80",
            "veth-a",
            "5",
        ];
        let out = run_at(Path::new("ip"), place, &args);
        (out, link.b.stat("veth-b", "rx_packets") - before)
    };

    // Outside the scope the global program must never refuse: the frames go (between the
    // test's own namespaces).
    let (control, arrived) = attack(None);
    assert_eq!(control.result, "ok", "outside the scope: {control:?}");
    assert!(arrived >= 5, "control: the peer must receive 5 frames");

    let state = armed
        .enforcer
        .layers()
        .iter()
        .find(|(l, _)| l.name() == "compat-setsockopt")
        .map(|(_, s)| s.clone());
    let (inside, arrived) = attack(Some(&armed.scope));
    let Some(state) = state else {
        panic!(
            "no layer compat-setsockopt reported, and the scoped int 0x80 setsockopt gave \
             {:?} with {arrived} frames at the peer",
            inside.result
        );
    };
    match state {
        LayerState::Active | LayerState::Limited(_) => {
            assert_eq!(
                inside.result, "EPERM",
                "the 32-bit setsockopt must be refused"
            );
            assert_eq!(arrived, 0, "frames reached the peer");
            let ev = armed
                .expect_event("compat sockopt", |v| v.kind == Kind::NetSockopt)
                .await;
            assert_eq!(ev.pid, inside.pid, "recorded for the wrong process");
            assert!(ev.compat, "the record must say the 32-bit entry: {ev}");
            assert!(
                ev.to_string()
                    .contains("SOL_PACKET/PACKET_QDISC_BYPASS on AF_PACKET through the 32-bit"),
                "{ev}"
            );
            assert_eq!(ev.cgroup_id, armed.scope.id());
        }
        LayerState::Unavailable(why) => {
            // What the report says is true here: the entry is open. It must say why and what
            // closes it.
            assert!(
                why.contains("fmod_ret") && why.contains("ia32_emulation=0"),
                "the reason must name the kernel's refusal and the remedy: {why}"
            );
            eprintln!("layer compat-setsockopt unavailable on this kernel: {why}");
            eprintln!(
                "scoped int 0x80 setsockopt: {} ({arrived} frames at the peer)",
                inside.result
            );
        }
    }
}
