//! Issue 23: with a whole-machine scope in loopback mode, no per-packet cgroup program runs
//! (each ran for every loopback packet of the machine). These tests take each path those
//! programs covered and show what covers it now: the interface programs, which drop every frame
//! on a non-loopback interface whatever produced it.
//!
//! The whole-machine program set is built the one safe way: the configuration says "whole
//! machine", the cgroup programs go on a test cgroup the attacker runs in, and the interface
//! programs only on a veth in a namespace the test made. Each test first shows the path open
//! with the cgroup programs alone (the frames reach the peer namespace: no per-packet program
//! is there to stop them), then closed once the interface programs are on the veth.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use airgapd::bpf::Enforcer;
use airgapd::maps::NetMode;
use airgapd::scope::Scope;
use airgapd::violation::Kind;
use airgapd_tests::netns::Link;
use airgapd_tests::{run_at, Armed, Place};

fn probe() -> &'static str {
    env!("CARGO_BIN_EXE_airgap-probe")
}

fn netprobe() -> &'static str {
    env!("CARGO_BIN_EXE_airgap-netprobe")
}

/// The machine's program set on a test cgroup (see the module's documentation), and a link
/// whose peer answers for loopback addresses (`route_localnet`), so that what leaves veth-a
/// shows as frames arriving at veth-b.
fn machine_set(tag: &str) -> (Armed, Link) {
    airgapd_tests::require_root();
    let link = Link::new(tag);
    link.b.exec(&[
        "sysctl",
        "-q",
        "-w",
        "net.ipv4.conf.veth-b.route_localnet=1",
    ]);
    let machine = Scope::machine().expect("cgroup v2 root");
    let mut enforcer = Enforcer::load().expect("loading BPF object");
    enforcer
        .configure(&machine, NetMode::Loopback)
        .expect("config");
    let scope = Scope::create("test").expect("test cgroup");
    enforcer
        .enforce_cgroup_network(&scope)
        .expect("attaching the cgroup programs to the test cgroup");
    (Armed::network_on_attached(scope, enforcer), link)
}

fn in_a<'a>(armed: &'a Armed) -> Place<'a> {
    Place {
        scope: Some(&armed.scope),
        fresh_netns: false,
    }
}

fn outside() -> Place<'static> {
    Place {
        scope: None,
        fresh_netns: false,
    }
}

/// `ip netns exec NS EXE ARGS...`, as `ip`'s arguments.
fn in_ns<'a>(ns: &'a str, exe: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["netns", "exec", ns, exe];
    all.extend_from_slice(args);
    all
}

/// `netprobe ARGS...` in namespace `ns` and the scope, left running; its first line read.
fn spawn_in_scope(armed: &Armed, ns: &str, args: &[&str]) -> (Killed, String) {
    let mut cmd = Command::new("ip");
    cmd.args(in_ns(ns, netprobe(), args)).stdout(Stdio::piped());
    let opts = airgapd::spawn::SpawnOptions {
        new_netns: false,
        die_with_parent: true,
    };
    airgapd::spawn::prepare(&mut cmd, &armed.scope, opts).expect("preparing the probe");
    let mut child = Killed(cmd.spawn().expect("starting the probe"));
    let line = first_line(&mut child.0);
    (child, line)
}

fn denied(armed: &Armed, kind: Kind) -> u64 {
    armed.enforcer.counters().get(kind).unwrap().denied
}

/// A datagram for 127.0.0.1 (which the address hooks allow) sent out of veth-a by
/// SO_BINDTODEVICE (no privilege needed on an unbound socket), by IP_PKTINFO naming veth-a, or
/// by a loose source route through the peer. (Fails if the interface programs are not attached
/// in the second half: the frames arrive as in the first.)
#[tokio::test]
async fn loopback_datagrams_sent_out_of_another_interface_are_dropped_on_the_wire() {
    for (n, (how, via)) in [
        ("bindtodevice", "veth-a"),
        ("pktinfo", "veth-a"),
        ("lsrr", "10.231.0.2"),
    ]
    .into_iter()
    .enumerate()
    {
        // A namespace pair each: the neighbour entry one path made would serve the next.
        let (mut armed, link) = machine_set(&format!("mp{n}"));
        let send = |armed: &Armed| {
            let before = link.b.stat("veth-b", "rx_packets");
            let args = in_ns(
                &link.a.name,
                netprobe(),
                &["udp-via", how, via, "127.0.0.1", "9", "3"],
            );
            let out = run_at(Path::new("ip"), in_a(armed), &args);
            (out.result, link.b.stat("veth-b", "rx_packets") - before)
        };
        let (result, arrived) = send(&armed);
        assert_eq!(result, "ok", "{how}: control");
        assert!(
            arrived >= 3,
            "{how}: with the cgroup programs alone the datagrams must reach the peer (the path \
             this test guards), got {arrived} frames"
        );

        link.a
            .enter(|| armed.enforcer.enforce_interface("veth-a"))
            .expect("attaching the interface programs");
        let (_, arrived) = send(&armed);
        assert_eq!(arrived, 0, "{how}: frames left by veth-a");
        assert!(
            denied(&armed, Kind::NetWireEgress) >= 3,
            "{how}: the drops must be counted"
        );
        let ev = armed
            .expect_event("wire egress", |v| v.kind == Kind::NetWireEgress)
            .await;
        assert_eq!(
            ev.ifindex,
            link.a
                .enter(|| nix::net::if_::if_nametoindex("veth-a").unwrap())
        );
    }
}

/// listen() without bind() autobinds to the wildcard, which no hook sees; in a whole-machine
/// scope sockets are not bound to lo, so only the interface programs keep the peer from
/// connecting. (Fails if they are not attached: the connection succeeds as in the control.)
#[tokio::test]
async fn a_wildcard_listener_is_not_reached_from_another_interface() {
    let (mut armed, link) = machine_set("mp3");
    let (_listener, line) = spawn_in_scope(&armed, &link.a.name, &["listen-autobind", "20"]);
    let port = line.strip_prefix("port ").expect("port N").to_string();
    // Whatever the connection does afterwards, an answer from the listener's side shows as
    // frames arriving at veth-b (SYN-ACK); a SYN dropped on arrival leaves veth-b silent. The
    // peer learns veth-a's address first (a ping), so that no ARP answer counts as one.
    let ping = in_ns(&link.b.name, probe(), &["icmp-echo", "10.231.0.1", "1000"]);
    assert_eq!(run_at(Path::new("ip"), outside(), &ping).result, "ok");
    let connect = || {
        let before = link.b.stat("veth-b", "rx_packets");
        let args = in_ns(
            &link.b.name,
            probe(),
            &["tcp-to", "10.231.0.1", &port, "1000"],
        );
        run_at(Path::new("ip"), outside(), &args);
        link.b.stat("veth-b", "rx_packets") - before
    };
    assert!(
        connect() >= 1,
        "control: the wildcard listener must answer the peer"
    );
    link.a
        .enter(|| armed.enforcer.enforce_interface("veth-a"))
        .expect("attaching the interface programs");
    assert_eq!(connect(), 0, "the listener's side answered the peer");
    assert!(denied(&armed, Kind::NetWireIngress) >= 1);
    armed
        .expect_event("wire ingress", |v| v.kind == Kind::NetWireIngress)
        .await;
}

/// route_localnet on an interface makes the kernel accept packets for 127.0.0.0/8 arriving
/// there: a loopback-only service of the scope becomes reachable from that interface. (Fails
/// if the interface programs are not attached: the datagram arrives as in the control.)
#[tokio::test]
async fn route_localnet_does_not_open_loopback_services_to_another_interface() {
    let (mut armed, link) = machine_set("mp4");
    link.a.exec(&[
        "sysctl",
        "-q",
        "-w",
        "net.ipv4.conf.veth-a.route_localnet=1",
    ]);
    let attempt = |armed: &Armed, port: &str| {
        let (mut receiver, ready) = spawn_in_scope(
            armed,
            &link.a.name,
            &["udp-recv", "127.0.0.1", port, "1500"],
        );
        assert_eq!(ready, "ready");
        let args = in_ns(
            &link.b.name,
            netprobe(),
            &["udp-via", "bindtodevice", "veth-b", "127.0.0.1", port, "3"],
        );
        assert_eq!(run_at(Path::new("ip"), outside(), &args).result, "ok");
        first_line(&mut receiver.0)
    };
    assert_eq!(
        attempt(&armed, "7001"),
        "ok",
        "control: the peer must reach the loopback service"
    );
    link.a
        .enter(|| armed.enforcer.enforce_interface("veth-a"))
        .expect("attaching the interface programs");
    assert_ne!(
        attempt(&armed, "7002"),
        "ok",
        "the peer reached a loopback service"
    );
    assert!(denied(&armed, Kind::NetWireIngress) >= 1);
    armed
        .expect_event("wire ingress", |v| v.kind == Kind::NetWireIngress)
        .await;
}

/// A child killed (by pid, ours) and reaped when the test ends, passing or failing.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn first_line(child: &mut Child) -> String {
    let out = child.stdout.as_mut().expect("piped stdout");
    let mut line = String::new();
    // One byte at a time: a BufReader would keep what follows the line.
    let mut byte = [0u8; 1];
    while std::io::Read::read(out, &mut byte).expect("reading the child") == 1 && byte[0] != b'\n' {
        line.push(byte[0] as char);
    }
    line.trim().to_string()
}

/// The per-packet programs follow the configuration: none for a whole machine in loopback mode,
/// both once a reload switches to the LAN mode (attached before the mode is written), none
/// again back in loopback mode; a cgroup scope always has them. Read from the kernel
/// (BPF_PROG_QUERY on the cgroup). (Fails if the programs were attached or left regardless.)
#[tokio::test]
async fn the_packet_programs_follow_the_scope_and_the_mode() {
    use airgapd::links::{cgroup_programs, AttachType};
    use std::os::fd::AsFd;
    airgapd_tests::require_root();
    let on_cgroup = |scope: &Scope| {
        let dir = std::fs::File::open(scope.path()).unwrap();
        [
            AttachType::BPF_CGROUP_INET_EGRESS,
            AttachType::BPF_CGROUP_INET_INGRESS,
        ]
        .map(|a| cgroup_programs(dir.as_fd(), a).unwrap().len())
    };
    let machine = Scope::machine().expect("cgroup v2 root");
    let scope = Scope::create("test").expect("test cgroup");
    let mut enforcer = Enforcer::load().expect("loading BPF object");
    enforcer
        .configure(&machine, NetMode::Loopback)
        .expect("config");
    enforcer.enforce_cgroup_network(&scope).expect("attach");
    assert_eq!(on_cgroup(&scope), [0, 0], "whole machine, loopback");

    let lan = NetMode::Lan { loopback: true };
    enforcer
        .packet_programs_before(&machine, lan)
        .expect("before the LAN mode");
    assert_eq!(
        on_cgroup(&scope),
        [1, 1],
        "attached before the LAN mode is written"
    );
    enforcer.configure(&machine, lan).expect("config");
    enforcer.fit_packet_programs().expect("fit");
    assert_eq!(on_cgroup(&scope), [1, 1], "whole machine, LAN");

    enforcer
        .packet_programs_before(&machine, NetMode::Loopback)
        .expect("before loopback");
    enforcer
        .configure(&machine, NetMode::Loopback)
        .expect("config");
    enforcer.fit_packet_programs().expect("fit");
    // Detached when the link's last descriptor closes: a child another test thread forks at
    // that moment holds a copy until its exec (seen once in a full run: [1, 0] at once).
    let end = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while on_cgroup(&scope) != [0, 0] && std::time::Instant::now() < end {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(on_cgroup(&scope), [0, 0], "back to loopback");
    drop(enforcer);

    let mut enforcer = Enforcer::load().expect("loading BPF object");
    let cgroup = Scope::create("test").expect("test cgroup");
    enforcer
        .configure(&cgroup, NetMode::Loopback)
        .expect("config");
    enforcer.enforce_cgroup_network(&cgroup).expect("attach");
    assert_eq!(on_cgroup(&cgroup), [1, 1], "a cgroup scope");
}

/// An earlier daemon's pinned per-packet links (a cgroup scope, or a version before issue 23)
/// are adopted by nothing in a whole-machine configuration: their pins are removed, so the
/// kernel detaches them, and the cgroup runs no per-packet program. (Fails if the pins were
/// left: the pinned links would keep running for the machine's life.)
#[tokio::test]
async fn an_earlier_daemons_packet_links_are_removed_with_their_pins() {
    use airgapd::links::{cgroup_programs, AttachType};
    use std::os::fd::AsFd;
    airgapd_tests::require_root();
    let fs = airgapd_tests::bpffs::TestBpffs::mount("mp5");
    let pins = fs.join("airgapd");
    std::fs::create_dir_all(&pins).unwrap();
    let scope = Scope::create("test").expect("test cgroup");
    let skb = || {
        let dir = std::fs::File::open(scope.path()).unwrap();
        cgroup_programs(dir.as_fd(), AttachType::BPF_CGROUP_INET_EGRESS)
            .unwrap()
            .len()
    };
    let mut earlier = Enforcer::load_pinned(&pins).expect("loading BPF object");
    earlier
        .configure(&scope, NetMode::Loopback)
        .expect("config");
    earlier.enforce_cgroup_network(&scope).expect("attach");
    drop(earlier);
    assert!(pins.join("link_airgap_skb_egress").exists());
    assert_eq!(skb(), 1, "the earlier daemon's pinned link runs on");

    let machine = Scope::machine().expect("cgroup v2 root");
    let mut next = Enforcer::load_pinned(&pins).expect("loading BPF object");
    next.configure(&machine, NetMode::Loopback).expect("config");
    next.enforce_cgroup_network(&scope).expect("attach");
    assert!(!pins.join("link_airgap_skb_egress").exists());
    assert!(!pins.join("link_airgap_skb_ingress").exists());
    assert_eq!(skb(), 0, "a per-packet program still runs");
    assert!(next.adopted() >= 8, "the other links are adopted");
    drop(next);
    for pin in std::fs::read_dir(&pins).unwrap() {
        std::fs::remove_file(pin.unwrap().path()).unwrap();
    }
}

/// Root moving a covered interface into another network namespace (a container's) takes it out
/// of the daemon's rtnetlink view; without per-packet programs only the interface programs can
/// still drop what a socket there sends. They move with the interface. (Fails if the move
/// detached them: the datagrams reach the peer as without them.)
#[tokio::test]
async fn an_interface_moved_to_another_namespace_keeps_its_programs() {
    let (mut armed, link) = machine_set("mp6");
    link.a
        .enter(|| armed.enforcer.enforce_interface("veth-a"))
        .expect("attaching the interface programs");
    let other = airgapd_tests::netns::NetNs::new("mp6c");
    link.a
        .exec(&["ip", "link", "set", "veth-a", "netns", &other.name]);
    other.exec(&["ip", "addr", "add", "10.231.0.1/24", "dev", "veth-a"]);
    other.exec(&["ip", "link", "set", "veth-a", "up"]);
    let before = link.b.stat("veth-b", "rx_packets");
    let args = in_ns(
        &other.name,
        netprobe(),
        &["udp-via", "lsrr", "10.231.0.2", "127.0.0.1", "9", "3"],
    );
    assert_eq!(run_at(Path::new("ip"), outside(), &args).result, "ok");
    assert_eq!(
        link.b.stat("veth-b", "rx_packets") - before,
        0,
        "frames left the moved interface"
    );
    assert!(denied(&armed, Kind::NetWireEgress) >= 1);
}
