//! Issue 9: the isolated-lan profile (law 117/2025), proven with real syscalls against the real
//! programs, between network namespaces this test creates:
//!
//! ```text
//!  A (enforced)                             B (the test's peer host)
//!  veth-a 192.168.50.1/24  <----------->  veth-b 192.168.50.2/24, .3/24, 10.88.0.2/24
//!  route 10.88.0.0/24 via .2                lo 93.184.216.34/32 ("the Internet", only in B)
//!  veth-c 10.77.0.1/24     <----------->  C: veth-d 10.77.0.2/24   (a second interface)
//! ```
//!
//! Every allowed case has a refused twin and every refused case a control outside the scope (or
//! before enforcement) that works, so no test passes with enforcement switched off. Nothing
//! here can leave the machine: A, B and C have no interface but these veths and lo.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use airgapd::bpf::Enforcer;
use airgapd::events::EventStream;
use airgapd::maps::NetMode;
use airgapd::network::isolation::{Change, Finding, Loss};
use airgapd::network::watcher::Watcher;
use airgapd::plan::LanPlan;
use airgapd::scope::Scope;
use airgapd::spawn::{self, SpawnOptions};
use airgapd::violation::Kind;
use airgapd_tests::netns::NetNs;
use airgapd_tests::{require_root, run_at, Armed, Place};

const LAN_MAC: &str = "02:00:00:00:50:01";
/// veth-c (A's second interface) and veth-d (C's end).
const C_MACS: (&str, &str) = ("02:00:00:00:77:01", "02:00:00:00:77:02");
const PORT: &str = "7000";
/// Long enough for a round trip between namespaces, short enough for a dropped SYN.
const MS: &str = "1500";

fn probe() -> &'static str {
    env!("CARGO_BIN_EXE_airgap-probe")
}

fn policy(peers: &str) -> airgapd_policy::Policy {
    let text = format!(
        "[network]\nprofile = \"isolated-lan\"\n\
         [[network.lan]]\nname = \"office\"\ninterface_mac = \"{LAN_MAC}\"\n\
         subnets = [\"192.168.50.0/24\"]\n{peers}"
    );
    airgapd_policy::parse(&text, None).unwrap().policy
}

/// The namespaces of the picture above; C only once [`Net::second_interface`] made it.
struct Net {
    a: NetNs,
    b: NetNs,
    c: Option<NetNs>,
    tag: String,
}

impl Net {
    fn new(tag: &str) -> Net {
        let a = NetNs::new(&format!("{tag}a"));
        let b = NetNs::new(&format!("{tag}b"));
        a.exec(&[
            "ip", "link", "add", "veth-a", "address", LAN_MAC, "type", "veth", "peer", "name",
            "veth-b", "netns", &b.name,
        ]);
        a.exec(&["ip", "addr", "add", "192.168.50.1/24", "dev", "veth-a"]);
        for addr in ["192.168.50.2/24", "192.168.50.3/24", "10.88.0.2/24"] {
            b.exec(&["ip", "addr", "add", addr, "dev", "veth-b"]);
        }
        b.exec(&["ip", "addr", "add", "93.184.216.34/32", "dev", "lo"]);
        a.exec(&["ip", "link", "set", "veth-a", "up"]);
        b.exec(&["ip", "link", "set", "veth-b", "up"]);
        a.exec(&["ip", "route", "add", "10.88.0.0/24", "via", "192.168.50.2"]);
        Net {
            a,
            b,
            c: None,
            tag: tag.to_string(),
        }
    }

    /// A second interface of A (veth-c) to another host C on 10.77.0.0/24.
    fn second_interface(&mut self) -> &NetNs {
        let c = NetNs::new(&format!("{}c", self.tag));
        self.a.exec(&[
            "ip", "link", "add", "veth-c", "address", C_MACS.0, "type", "veth", "peer", "name",
            "veth-d", "address", C_MACS.1, "netns", &c.name,
        ]);
        self.a
            .exec(&["ip", "addr", "add", "10.77.0.1/24", "dev", "veth-c"]);
        c.exec(&["ip", "addr", "add", "10.77.0.2/24", "dev", "veth-d"]);
        self.a.exec(&["ip", "link", "set", "veth-c", "up"]);
        c.exec(&["ip", "link", "set", "veth-d", "up"]);
        self.c.insert(c)
    }

    /// An interface's index inside A.
    fn a_ifindex(&self, name: &str) -> u32 {
        self.a
            .enter(|| nix::net::if_::if_nametoindex(name))
            .expect("ifindex")
    }

    /// The LAN tries' contents for `lans` as A's interfaces are.
    fn entries(&self, lans: &[LanPlan]) -> airgapd::maps::LanEntries {
        self.a.enter(|| {
            Watcher::open(lans)
                .expect("rtnetlink in A")
                .state()
                .lan_entries()
        })
    }
}

/// The cgroup layer armed with `policy` on a fresh test cgroup, the LAN resolved in A.
fn arm(net: &Net, policy: &airgapd_policy::Policy) -> Armed {
    require_root();
    let lans = LanPlan::from_policy(&policy.network);
    let scope = Scope::create("lan").expect("creating test cgroup");
    let mut enforcer = Enforcer::load().expect("loading BPF object");
    let entries = net.entries(&lans);
    assert!(
        entries
            .peers
            .values()
            .all(|&i| i == net.a_ifindex("veth-a")),
        "the LAN resolves to veth-a: {entries:?}"
    );
    enforcer.set_lan(&entries).expect("writing the LAN tries");
    Armed::network_on(scope, enforcer, NetMode::from_policy(&policy.network))
}

/// A probe running in the background (a server), killed by pid on drop.
struct Bg {
    child: Child,
    out: BufReader<ChildStdout>,
}

impl Bg {
    /// Start it and wait for its `ready` line.
    fn start(mut cmd: Command) -> Bg {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting a background probe");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).expect("reading the probe");
        assert_eq!(line.trim(), "ready", "background probe did not start");
        Bg { child, out }
    }

    /// An echo server in `ns` on every IPv4 address, outside any scope.
    fn echo(ns: &NetNs) -> Bg {
        Bg::echo_at(ns, "0.0.0.0")
    }

    /// An echo server in `ns` on `addr`, outside any scope.
    fn echo_at(ns: &NetNs, addr: &str) -> Bg {
        let mut cmd = Command::new("ip");
        cmd.args([
            "netns",
            "exec",
            &ns.name,
            probe(),
            "echo-server",
            addr,
            PORT,
            "60",
        ]);
        Bg::start(cmd)
    }

    /// What it printed after `ready`, once it exited (or was killed).
    fn finish(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut rest = String::new();
        let _ = self.out.read_to_string(&mut rest);
        rest.lines().map(str::to_string).collect()
    }

    /// Wait for it to exit by itself (bounded) and return its last line.
    fn result(mut self) -> String {
        for _ in 0..100 {
            if self.child.try_wait().expect("waiting").is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.finish().last().cloned().unwrap_or_default()
    }
}

impl Drop for Bg {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `airgap-probe ARGS` in namespace `ns`, in `scope` (None: the control, outside any scope).
fn in_ns(ns: &NetNs, scope: Option<&Scope>, args: &[&str]) -> String {
    let mut all = vec!["netns", "exec", &ns.name, probe()];
    all.extend_from_slice(args);
    let place = Place {
        scope,
        fresh_netns: false,
    };
    run_at(Path::new("ip"), place, &all).result
}

/// Refused in scope (EPERM), working outside it (the control, run second).
fn refused(net: &Net, armed: &Armed, args: &[&str]) {
    assert_eq!(
        in_ns(&net.a, Some(&armed.scope), args),
        "EPERM",
        "{args:?} in scope"
    );
    assert_eq!(
        in_ns(&net.a, None, args),
        "ok",
        "{args:?} outside the scope"
    );
}

fn allowed(net: &Net, armed: &Armed, args: &[&str]) {
    assert_eq!(
        in_ns(&net.a, Some(&armed.scope), args),
        "ok",
        "{args:?} in scope"
    );
}

/// With only subnets listed: the LAN works both ways over its interface, in TCP and UDP, and
/// every way out of it is refused: another subnet through a LAN host, the Internet through an
/// added default route, a second interface, and a LAN address routed over that interface.
#[tokio::test]
async fn the_lan_and_nothing_else() {
    let mut net = Net::new("lan1");
    let mut armed = arm(&net, &policy(""));
    let server_b = Bg::echo(&net.b);

    allowed(&net, &armed, &["tcp-to", "192.168.50.2", PORT, MS]);
    allowed(&net, &armed, &["udp-to", "192.168.50.2", PORT, MS]);
    allowed(&net, &armed, &["tcp-to", "192.168.50.3", PORT, MS]);
    allowed(&net, &armed, &["tcp-echo", "127.0.0.1"]);

    // Another subnet, reached through a LAN host acting as a router. (Each event is awaited
    // before the next refusal: a batch is read past the event looked for.)
    refused(&net, &armed, &["tcp-to", "10.88.0.2", PORT, MS]);
    let ev = armed
        .expect_event("connect to another subnet", |v| {
            v.kind == Kind::NetConnect && v.endpoint().as_deref() == Some("10.88.0.2:7000")
        })
        .await;
    assert_eq!(ev.comm, "airgap-probe");
    refused(&net, &armed, &["udp-to", "10.88.0.2", PORT, MS]);
    armed
        .expect_event("send to another subnet", |v| {
            v.kind == Kind::NetSend && v.endpoint().as_deref() == Some("10.88.0.2:7000")
        })
        .await;

    // Root adds a default route: the Internet (B's 93.184.216.34) is reachable from outside
    // the scope, and still nothing of the scope's leaves.
    net.a
        .exec(&["ip", "route", "add", "default", "via", "192.168.50.2"]);
    let before = net.b.stat("veth-b", "rx_packets");
    assert_eq!(
        in_ns(
            &net.a,
            Some(&armed.scope),
            &["tcp-to", "93.184.216.34", PORT, MS]
        ),
        "EPERM"
    );
    armed
        .expect_event("connect through the default route", |v| {
            v.kind == Kind::NetConnect && v.endpoint().as_deref() == Some("93.184.216.34:7000")
        })
        .await;
    assert_eq!(
        in_ns(
            &net.a,
            Some(&armed.scope),
            &["udp-to", "93.184.216.34", "53", MS]
        ),
        "EPERM"
    );
    assert_eq!(
        net.b.stat("veth-b", "rx_packets"),
        before,
        "a refused connection sent a packet"
    );
    assert_eq!(
        in_ns(&net.a, None, &["tcp-to", "93.184.216.34", PORT, MS]),
        "ok",
        "control: the default route works outside the scope"
    );

    // A second interface, to a host that is not on the LAN.
    let server_c = Bg::echo(net.second_interface());
    refused(&net, &armed, &["tcp-to", "10.77.0.2", PORT, MS]);
    // A LAN address routed over the second interface (to C, which answers for it): the
    // address hooks allow the peer, the packet layer refuses the interface.
    let c = net.c.as_ref().unwrap();
    c.exec(&["ip", "addr", "add", "192.168.50.2/32", "dev", "lo"]);
    c.exec(&["ip", "route", "add", "192.168.50.0/24", "via", "10.77.0.1"]);
    net.a.exec(&[
        "ip",
        "route",
        "add",
        "192.168.50.2/32",
        "via",
        "10.77.0.2",
        "dev",
        "veth-c",
    ]);
    refused(&net, &armed, &["udp-to", "192.168.50.2", PORT, MS]);
    let veth_c = net.a_ifindex("veth-c");
    let ev = armed
        .expect_event("a LAN peer over the wrong interface", |v| {
            v.kind == Kind::NetSkbEgress && v.ifindex == veth_c
        })
        .await;
    assert_eq!(ev.addr, Some("192.168.50.2".parse().unwrap()));
    assert_eq!(ev.cgroup_id, armed.scope.id());
    net.a.exec(&["ip", "route", "del", "192.168.50.2/32"]);
    allowed(&net, &armed, &["udp-to", "192.168.50.2", PORT, MS]);

    // What reached C: the controls only (one TCP connection, one datagram), never the scope.
    let served_c = server_c.finish();
    assert_eq!(served_c.len(), 2, "{served_c:?}");
    drop(server_b);
}

/// With peers listed, only they are reachable, both ways: a host of the subnet that is not a
/// peer can neither be reached nor reach a server in the scope. Binding: LAN addresses and the
/// wildcard (the packet layer judges what arrives), nothing else.
#[tokio::test]
async fn only_the_listed_peers() {
    let net = Net::new("lan2");
    let mut armed = arm(&net, &policy("peers = [\"192.168.50.2\"]\n"));
    let _server = Bg::echo(&net.b);

    allowed(&net, &armed, &["tcp-to", "192.168.50.2", PORT, MS]);
    refused(&net, &armed, &["tcp-to", "192.168.50.3", PORT, MS]);
    refused(&net, &armed, &["udp-to", "192.168.50.3", PORT, MS]);
    armed
        .expect_event("a host of the subnet that is not a peer", |v| {
            v.kind == Kind::NetConnect && v.endpoint().as_deref() == Some("192.168.50.3:7000")
        })
        .await;

    allowed(&net, &armed, &["bind", "tcp", "192.168.50.1", "7100"]);
    allowed(&net, &armed, &["bind", "udp", "0.0.0.0", "7100"]);
    assert_eq!(
        in_ns(
            &net.a,
            Some(&armed.scope),
            &["bind", "tcp", "10.88.0.1", "7100"]
        ),
        "EPERM"
    );
    assert_eq!(
        in_ns(&net.a, None, &["bind", "tcp", "10.88.0.1", "7100"]),
        "EADDRNOTAVAIL",
        "control: the kernel's own answer"
    );

    // A server in the scope, on the wildcard: the peer gets an answer, the other host not.
    let serve = |port: &str| {
        let mut cmd = Command::new("ip");
        cmd.args([
            "netns",
            "exec",
            &net.a.name,
            probe(),
            "tcp-accept",
            "0.0.0.0",
            port,
            "3000",
        ]);
        let opts = SpawnOptions {
            new_netns: false,
            die_with_parent: false,
        };
        spawn::prepare(&mut cmd, &armed.scope, opts).expect("preparing the server");
        Bg::start(cmd)
    };
    let client =
        |from: &str, port: &str| in_ns(&net.b, None, &["tcp-to", "192.168.50.1", port, MS, from]);
    let server = serve("7101");
    assert_eq!(
        client("192.168.50.2", "7101"),
        "ok",
        "the peer reaches the server"
    );
    assert_eq!(server.result(), "ok");
    let server = serve("7102");
    assert_eq!(
        client("192.168.50.3", "7102"),
        "ETIMEDOUT",
        "a non-peer of the subnet reaches a server in the scope"
    );
    assert_eq!(server.result(), "ETIMEDOUT");
    let ev = armed
        .expect_event("a packet from a non-peer", |v| {
            v.kind == Kind::NetSkbIngress && v.addr == Some("192.168.50.3".parse().unwrap())
        })
        .await;
    assert_eq!(ev.ifindex, net.a_ifindex("veth-a"));
    // Control: outside the scope the same server is reachable from that host.
    let mut cmd = Command::new("ip");
    cmd.args([
        "netns",
        "exec",
        &net.a.name,
        probe(),
        "tcp-accept",
        "0.0.0.0",
        "7103",
        "3000",
    ]);
    let server = Bg::start(cmd);
    assert_eq!(client("192.168.50.3", "7103"), "ok");
    assert_eq!(server.result(), "ok");
}

/// The interface layer with a whole-machine scope, attached only to A's interfaces: on the LAN
/// interface ARP and IP frames of peers pass and everything else is dropped; on the second
/// interface everything is dropped.
#[tokio::test]
async fn on_the_wire_only_peers_pass_and_only_on_the_lan_interface() {
    require_root();
    let mut net = Net::new("lan3");
    net.second_interface();
    let ping = |ns: &NetNs, to: &str, from: &str| in_ns(ns, None, &["icmp-echo", to, "1000", from]);
    let c = net.c.as_ref().unwrap();
    // C also answers for the LAN peer's address, and A and C know each other's MAC for good
    // (no ARP needed on that link, so only the address and the interface decide).
    c.exec(&["ip", "addr", "add", "192.168.50.2/32", "dev", "lo"]);
    c.exec(&[
        "ip",
        "neigh",
        "replace",
        "10.77.0.1",
        "lladdr",
        C_MACS.0,
        "dev",
        "veth-d",
        "nud",
        "permanent",
    ]);
    net.a.exec(&[
        "ip",
        "neigh",
        "replace",
        "10.77.0.2",
        "lladdr",
        C_MACS.1,
        "dev",
        "veth-c",
        "nud",
        "permanent",
    ]);
    let peer_via_c = ["192.168.50.2/32", "via", "10.77.0.2", "dev", "veth-c"];
    // Controls before enforcement: every path works.
    assert_eq!(ping(&net.b, "192.168.50.1", "192.168.50.2"), "ok");
    assert_eq!(ping(&net.b, "192.168.50.1", "192.168.50.3"), "ok");
    assert_eq!(ping(c, "10.77.0.1", "10.77.0.2"), "ok");
    net.a
        .exec(&[&["ip", "route", "add"][..], &peer_via_c].concat());
    assert_eq!(ping(c, "10.77.0.1", "192.168.50.2"), "ok");
    net.a.exec(&["ip", "route", "del", "192.168.50.2/32"]);

    let p = policy("peers = [\"192.168.50.2\"]\n");
    let machine = Scope::machine().expect("cgroup v2 root");
    let mut enforcer = Enforcer::load().expect("loading BPF object");
    enforcer
        .set_lan(&net.entries(&LanPlan::from_policy(&p.network)))
        .expect("LAN tries");
    enforcer
        .configure(&machine, NetMode::from_policy(&p.network))
        .expect("config");
    for ifname in ["veth-a", "veth-c"] {
        net.a
            .enter(|| enforcer.enforce_interface(ifname))
            .expect("attaching TCX");
    }
    let mut events = EventStream::new(enforcer.take_events().unwrap()).expect("events");
    // Forget what the neighbours learnt before: resolution must work through the programs.
    net.b.exec(&["ip", "neigh", "flush", "dev", "veth-b"]);
    net.a.exec(&["ip", "neigh", "flush", "dev", "veth-a"]);

    assert_eq!(
        ping(&net.b, "192.168.50.1", "192.168.50.2"),
        "ok",
        "the peer (ARP and IP both ways) must pass"
    );
    assert_eq!(
        ping(&net.b, "192.168.50.1", "192.168.50.3"),
        "ETIMEDOUT",
        "a host of the subnet that is no peer"
    );
    assert_eq!(
        ping(c, "10.77.0.1", "10.77.0.2"),
        "ETIMEDOUT",
        "the second interface"
    );
    // The peer's address over the second interface: a peer, but not on the LAN's interface.
    net.a
        .exec(&[&["ip", "route", "add"][..], &peer_via_c].concat());
    assert_eq!(
        ping(c, "10.77.0.1", "192.168.50.2"),
        "ETIMEDOUT",
        "a LAN peer's address over another interface"
    );
    // Frames no socket hook sees stay dropped on the LAN interface too.
    assert_eq!(in_ns(&net.a, None, &["packet", "veth-a", "3"]), "ENOBUFS");

    // Each refusal is recorded with the peer's address and the interface.
    let (veth_a, veth_c) = (net.a_ifindex("veth-a"), net.a_ifindex("veth-c"));
    let wanted: [(&str, u32); 2] = [("192.168.50.3", veth_a), ("192.168.50.2", veth_c)];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut seen = Vec::new();
    while !wanted.iter().all(|(addr, ifindex)| {
        seen.iter().any(|v: &airgapd::violation::Violation| {
            v.kind == Kind::NetWireIngress
                && v.ifindex == *ifindex
                && v.addr == Some(addr.parse().unwrap())
        })
    }) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let batch = tokio::time::timeout(left, events.next_batch())
            .await
            .unwrap_or_else(|_| panic!("wire events {wanted:?} not all seen: {seen:#?}"))
            .expect("events");
        seen.extend(batch);
    }
    let count = enforcer.counters().get(Kind::NetWireEgress).unwrap();
    assert!(count.denied >= 3, "AF_PACKET frames counted: {count:?}");
}

/// The next loss the watcher reports (skipping interface changes), within 5 s.
async fn next_loss(w: &mut Watcher) -> Loss {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let found = tokio::time::timeout(left, w.next())
            .await
            .expect("a loss of isolation within 5 s")
            .expect("rtnetlink");
        if let Some(loss) = found.into_iter().find_map(|f| match f {
            Finding::Lost(l) => Some(l),
            Finding::Interfaces | Finding::UploadCgroup => None,
        }) {
            return loss;
        }
    }
}

/// The isolation watcher in A's namespace: harmless changes raise nothing, each way out is
/// raised with what changed. Each step makes a harmless change first, so the loss that follows
/// must be the violating change's, not the harmless one's.
#[tokio::test]
async fn losing_isolation_is_detected() {
    require_root();
    let net = Net::new("lan4");
    let lans = LanPlan::from_policy(&policy("").network);
    let mut w = net
        .a
        .enter(|| Watcher::open(&lans))
        .expect("rtnetlink in A");
    let veth_a = net.a_ifindex("veth-a");
    assert_eq!(
        w.state().ifindex_of(&LAN_MAC.parse().unwrap()),
        Some(veth_a)
    );
    // The present state: the LAN resolved, nothing lost (the 10.88.0.0/24 route of the set-up
    // goes through a gateway, so start from a namespace without it).
    let first = w.next().await.unwrap();
    let lost: Vec<_> = first
        .iter()
        .filter_map(|f| match f {
            Finding::Lost(l) => Some(l.clone()),
            Finding::Interfaces | Finding::UploadCgroup => None,
        })
        .collect();
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert_eq!(lost[0].change, Change::Gateway);
    assert_eq!(lost[0].address.as_deref(), Some("10.88.0.0/24"));
    net.a.exec(&["ip", "route", "del", "10.88.0.0/24"]);

    net.a
        .exec(&["ip", "route", "add", "192.168.50.128/25", "dev", "veth-a"]);
    net.a
        .exec(&["ip", "route", "add", "default", "via", "192.168.50.2"]);
    let loss = next_loss(&mut w).await;
    assert_eq!(loss.change, Change::DefaultRoute, "{loss:?}");
    assert_eq!(loss.address.as_deref(), Some("192.168.50.2"));
    assert_eq!(loss.interface.as_deref(), Some("veth-a"));
    assert_eq!(loss.record().get("AIRGAP_CHANGE"), Some("default-route"));

    net.a
        .exec(&["ip", "addr", "add", "192.168.50.9/24", "dev", "veth-a"]);
    net.a
        .exec(&["ip", "addr", "add", "10.99.0.1/24", "dev", "veth-a"]);
    let loss = next_loss(&mut w).await;
    assert_eq!(loss.change, Change::Address, "{loss:?}");
    assert_eq!(loss.address.as_deref(), Some("10.99.0.1/24"));
    let loss = next_loss(&mut w).await;
    assert_eq!(
        (loss.change, loss.address.as_deref()),
        (Change::Route, Some("10.99.0.0/24")),
        "the prefix route of the foreign address"
    );

    // A new interface: no carrier, nothing; carrier, lost.
    net.a.exec(&[
        "ip",
        "link",
        "add",
        "veth-x",
        "type",
        "veth",
        "peer",
        "name",
        "veth-y",
        "netns",
        &net.b.name,
    ]);
    net.a.exec(&["ip", "link", "set", "veth-x", "up"]);
    net.b.exec(&["ip", "link", "set", "veth-y", "up"]);
    let loss = next_loss(&mut w).await;
    assert_eq!(loss.change, Change::Carrier, "{loss:?}");
    assert_eq!(loss.interface.as_deref(), Some("veth-x"));

    // The LAN interface changes its MAC: lost, and the LAN no longer resolves (closed).
    net.a.exec(&[
        "ip",
        "link",
        "set",
        "veth-a",
        "address",
        "02:00:00:00:99:01",
    ]);
    let loss = next_loss(&mut w).await;
    assert_eq!(loss.change, Change::Mac, "{loss:?}");
    assert_eq!(loss.interface.as_deref(), Some("veth-a"));
    assert_eq!(w.state().ifindex_of(&LAN_MAC.parse().unwrap()), None);
    assert!(w.state().lan_entries().peers.values().all(|&i| i == 0));
}

/// The `airgapd` binary of this build, built once per test run into the same target directory
/// and profile (as the D-Bus harness builds `airgapctl`).
fn airgapd_bin() -> &'static Path {
    static PATH: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let exe = std::env::current_exe().expect("current_exe");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("<target>/<profile>");
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.args(["build", "--quiet", "-p", "airgapd", "--bin", "airgapd"])
            .arg("--manifest-path")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml"))
            .arg("--target-dir")
            .arg(profile_dir.parent().expect("target directory"));
        match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") => {}
            Some("release") => {
                cmd.arg("--release");
            }
            Some(other) => {
                cmd.args(["--profile", other]);
            }
            None => panic!("profile directory name"),
        }
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .expect("running cargo build");
        assert!(
            out.status.success(),
            "building airgapd failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        profile_dir.join("airgapd")
    })
}

/// A journald stand-in: a datagram socket that decodes journald's native protocol.
struct Journal {
    socket: std::os::unix::net::UnixDatagram,
    dir: std::path::PathBuf,
    seen: Vec<std::collections::BTreeMap<String, String>>,
}

impl Journal {
    fn new(tag: &str) -> Journal {
        let dir = std::env::temp_dir().join(format!("airgapd-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let socket = std::os::unix::net::UnixDatagram::bind(dir.join("journal")).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        Journal {
            socket,
            dir,
            seen: Vec::new(),
        }
    }

    fn path(&self) -> std::path::PathBuf {
        self.dir.join("journal")
    }

    /// `NAME=value\n`, or `NAME\n` + 64-bit little-endian length + value + `\n`.
    fn decode(mut buf: &[u8]) -> std::collections::BTreeMap<String, String> {
        let mut fields = std::collections::BTreeMap::new();
        while let Some(nl) = buf.iter().position(|&b| b == b'\n') {
            let line = &buf[..nl];
            if let Some(eq) = line.iter().position(|&b| b == b'=') {
                let (name, value) = (&line[..eq], &line[eq + 1..]);
                fields.insert(
                    String::from_utf8_lossy(name).into_owned(),
                    String::from_utf8_lossy(value).into_owned(),
                );
                buf = &buf[nl + 1..];
            } else {
                let len = u64::from_le_bytes(buf[nl + 1..nl + 9].try_into().unwrap()) as usize;
                let value = &buf[nl + 9..nl + 9 + len];
                fields.insert(
                    String::from_utf8_lossy(line).into_owned(),
                    String::from_utf8_lossy(value).into_owned(),
                );
                buf = &buf[(nl + 10 + len).min(buf.len())..];
            }
        }
        fields
    }

    /// The first record with every `NAME=value` of `matches` (waiting up to 20 s).
    fn expect(&mut self, matches: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
        let hit = |r: &std::collections::BTreeMap<String, String>| {
            matches
                .iter()
                .all(|(n, v)| r.get(*n).map(String::as_str) == Some(*v))
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(r) = self.seen.iter().find(|r| hit(r)) {
                return r.clone();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no record {matches:?} within 20 s; got {:#?}",
                self.seen
            );
            let mut buf = vec![0u8; 64 * 1024];
            if let Ok(n) = self.socket.recv(&mut buf) {
                self.seen.push(Journal::decode(&buf[..n]));
            }
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `airgapd service` started inside namespace A (its rtnetlink view is A's), scoped to a test
/// cgroup. Dropped: killed by pid, its pins lifted, its cgroup removed.
struct Service {
    child: Child,
    pin_dir: std::path::PathBuf,
    journal: std::path::PathBuf,
    scope: Option<Scope>,
    /// The bpffs its pin directory is on (last: unmounted after the drop lifted its pins).
    _bpffs: airgapd_tests::bpffs::TestBpffs,
}

impl Service {
    fn start(ns: &NetNs, policy_text: &str, journal: &Journal) -> Service {
        use std::os::unix::fs::PermissionsExt;
        use std::os::unix::process::CommandExt;
        let policy = journal.dir.join("policy.toml");
        std::fs::write(&policy, policy_text).unwrap();
        std::fs::set_permissions(&policy, std::fs::Permissions::from_mode(0o644)).unwrap();
        let scope = Scope::create("lansvc").expect("test cgroup");
        let bpffs = airgapd_tests::bpffs::TestBpffs::mount("lan");
        let pin_dir = bpffs.join(&format!("airgapd-test-lan-{}", std::process::id()));
        let netns = std::fs::File::open(format!("/run/netns/{}", ns.name)).expect("netns");
        let mut cmd = Command::new(airgapd_bin());
        cmd.arg("service")
            .arg("--policy")
            .arg(&policy)
            .arg("--scope-cgroup")
            .arg(scope.path())
            .arg("--pin-dir")
            .arg(&pin_dir)
            .arg("--journal-socket")
            .arg(journal.path())
            .args(["--bus", "none"])
            // The daemon's files in the test's folder, never the machine's /var/lib, /run.
            .arg("--register")
            .arg(journal.dir.join("register.jsonl"))
            .arg("--history")
            .arg(journal.dir.join("history.json"))
            .arg("--record")
            .arg(journal.dir.join("enforcement.json"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: only setns(2) between fork and exec; the fd stays open in the parent.
        unsafe {
            cmd.pre_exec(move || {
                use std::os::fd::AsRawFd;
                if libc::setns(netns.as_raw_fd(), libc::CLONE_NEWNET) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        Service {
            child: cmd.spawn().expect("starting airgapd service"),
            pin_dir,
            journal: journal.path(),
            scope: Some(scope),
            _bpffs: bpffs,
        }
    }

    fn scope(&self) -> &Scope {
        self.scope.as_ref().unwrap()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child, not yet reaped.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let _ = self.child.wait();
        if self.pin_dir.exists() {
            let _ = Command::new(airgapd_bin())
                .args(["lift", "--yes", "--pin-dir"])
                .arg(&self.pin_dir)
                .arg("--record")
                .arg(self.journal.with_file_name("enforcement.json"))
                .arg("--journal-socket")
                .arg(&self.journal)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        drop(self.scope.take());
    }
}

/// Through the service, as an officer sees it: the isolated-lan policy is enforced (the LAN
/// works from the scope, the Internet does not), a gateway present at start and a default
/// route added later are journaled as `NetworkIsolationLost` at critical priority, with what
/// changed.
#[test]
fn the_service_enforces_the_lan_and_journals_lost_isolation() {
    require_root();
    let net = Net::new("lan5");
    let _server = Bg::echo(&net.b);
    let mut journal = Journal::new("lan5");
    let text = format!(
        "[meta]\nid = \"lan-test\"\nserial = 1\n\
         [network]\nprofile = \"isolated-lan\"\n\
         [[network.lan]]\nname = \"office\"\ninterface_mac = \"{LAN_MAC}\"\n\
         subnets = [\"192.168.50.0/24\"]\n"
    );
    let service = Service::start(&net.a, &text, &journal);
    let lost = airgapd::journal::MessageId::NetworkIsolationLost.to_string();
    let started = airgapd::journal::MessageId::DaemonStarted.to_string();
    // Present at start: the set-up's route to 10.88.0.0/24 through 192.168.50.2.
    let r = journal.expect(&[("MESSAGE_ID", &lost), ("AIRGAP_CHANGE", "gateway")]);
    assert_eq!(r["PRIORITY"], "2");
    assert_eq!(r["AIRGAP_ADDRESS"], "10.88.0.0/24");
    journal.expect(&[("MESSAGE_ID", &started)]);

    let scoped = |args: &[&str]| in_ns(&net.a, Some(service.scope()), args);
    assert_eq!(scoped(&["tcp-to", "192.168.50.2", PORT, MS]), "ok");
    net.a
        .exec(&["ip", "route", "add", "default", "via", "192.168.50.2"]);
    let r = journal.expect(&[("MESSAGE_ID", &lost), ("AIRGAP_CHANGE", "default-route")]);
    assert_eq!(r["PRIORITY"], "2");
    assert_eq!(r["AIRGAP_INTERFACE"], "veth-a");
    assert_eq!(r["AIRGAP_ADDRESS"], "192.168.50.2");
    assert!(r["MESSAGE"].contains("default route"), "{r:?}");
    assert_eq!(scoped(&["tcp-to", "93.184.216.34", PORT, MS]), "EPERM");
    assert_eq!(
        in_ns(&net.a, None, &["tcp-to", "93.184.216.34", PORT, MS]),
        "ok",
        "control"
    );
    let violation = airgapd::journal::MessageId::NetworkViolation.to_string();
    journal.expect(&[
        ("MESSAGE_ID", &violation),
        ("AIRGAP_ADDRESS", "93.184.216.34"),
    ]);
    drop(service);
}

/// IPv6 on the wire: neighbour discovery for a peer passes the interface programs (our
/// solicitation to its solicited-node group, its advertisement back), and so does the traffic
/// that follows; a network beyond the LAN, reached through that same peer, is dropped.
#[tokio::test]
async fn ipv6_neighbour_discovery_and_peers_pass_the_wire_nothing_else() {
    require_root();
    let net = Net::new("lan6");
    for (ns, dev) in [(&net.a, "veth-a"), (&net.b, "veth-b")] {
        ns.exec(&["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0"]);
        ns.exec(&[
            "sysctl",
            "-q",
            "-w",
            &format!("net.ipv6.conf.{dev}.disable_ipv6=0"),
        ]);
    }
    net.a.exec(&[
        "ip",
        "addr",
        "add",
        "fd00:50::1/64",
        "dev",
        "veth-a",
        "nodad",
    ]);
    for addr in ["fd00:50::2/64", "fd00:51::2/64"] {
        net.b
            .exec(&["ip", "addr", "add", addr, "dev", "veth-b", "nodad"]);
    }
    net.a
        .exec(&["ip", "route", "add", "fd00:51::/64", "via", "fd00:50::2"]);
    let _server = Bg::echo_at(&net.b, "::");
    let tcp = |to: &str| in_ns(&net.a, None, &["tcp-to", to, PORT, MS]);
    assert_eq!(tcp("fd00:50::2"), "ok", "control");
    assert_eq!(tcp("fd00:51::2"), "ok", "control");

    let text = format!(
        "[network]\nprofile = \"isolated-lan\"\n[[network.lan]]\nname = \"office6\"\n\
         interface_mac = \"{LAN_MAC}\"\nsubnets = [\"fd00:50::/64\"]\n"
    );
    let p = airgapd_policy::parse(&text, None).unwrap().policy;
    let machine = Scope::machine().expect("cgroup v2 root");
    let mut enforcer = Enforcer::load().expect("loading BPF object");
    enforcer
        .set_lan(&net.entries(&LanPlan::from_policy(&p.network)))
        .expect("LAN tries");
    enforcer
        .configure(&machine, NetMode::from_policy(&p.network))
        .expect("config");
    net.a
        .enter(|| enforcer.enforce_interface("veth-a"))
        .expect("attaching TCX");
    net.a.exec(&["ip", "-6", "neigh", "flush", "dev", "veth-a"]);
    net.b.exec(&["ip", "-6", "neigh", "flush", "dev", "veth-b"]);

    assert_eq!(
        tcp("fd00:50::2"),
        "ok",
        "a LAN peer over IPv6, resolved anew"
    );
    assert_eq!(
        tcp("fd00:51::2"),
        "ETIMEDOUT",
        "a network beyond the LAN, through a LAN host"
    );
    let count = enforcer.counters().get(Kind::NetWireEgress).unwrap();
    assert!(count.denied >= 1, "{count:?}");
}
