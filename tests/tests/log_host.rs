//! Issue 21: the office's log host in the isolated-lan profile, proven with real syscalls
//! against the real programs, between network namespaces this test creates:
//!
//! ```text
//!  A (enforced)                             B (the test's hosts)
//!  veth-a 192.168.50.1/24  <----------->  veth-b 192.168.50.2/24 (the log host)
//!                                                192.168.50.3/24 (another LAN host)
//! ```
//!
//! B runs echo servers on port 19532 (journal-remote's) and 7000 of both addresses. Only a
//! process of the upload cgroup may reach 192.168.50.2, and only on 19532; every refusal has a
//! control that works (outside the scope, or before enforcement), so no test passes with
//! enforcement switched off. Nothing here can leave the machine: A and B have no interface but
//! this veth pair and lo.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use airgapd::bpf::Enforcer;
use airgapd::events::EventStream;
use airgapd::maps::{LanEntries, NetMode};
use airgapd::network::isolation::Finding;
use airgapd::network::log_host::LogHostPlan;
use airgapd::network::watcher::Watcher;
use airgapd::plan::LanPlan;
use airgapd::scope::Scope;
use airgapd::violation::{Kind, Violation};
use airgapd_tests::netns::NetNs;
use airgapd_tests::{require_root, run_at, Armed, Place};

const LAN_MAC: &str = "02:00:00:00:50:01";
const LOG_HOST: &str = "192.168.50.2";
const OTHER_HOST: &str = "192.168.50.3";
const LOG_PORT: &str = "19532";
const OTHER_PORT: &str = "7000";
/// Long enough for a round trip between namespaces, short enough for a dropped SYN.
const MS: &str = "1500";

fn probe() -> &'static str {
    env!("CARGO_BIN_EXE_airgap-probe")
}

/// The LAN with no peers listed (the whole subnet: the log host must be carved out of it), the
/// upload cgroup `upload` below the scope.
fn policy() -> airgapd_policy::Policy {
    let text = format!(
        "[network]\nprofile = \"isolated-lan\"\n\
         [[network.lan]]\nname = \"office\"\ninterface_mac = \"{LAN_MAC}\"\n\
         subnets = [\"192.168.50.0/24\"]\n\
         [network.log_host]\naddress = \"{LOG_HOST}\"\ncgroup = \"upload\"\n"
    );
    airgapd_policy::parse(&text, None).unwrap().policy
}

struct Net {
    a: NetNs,
    b: NetNs,
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
        for addr in ["192.168.50.2/24", "192.168.50.3/24"] {
            b.exec(&["ip", "addr", "add", addr, "dev", "veth-b"]);
        }
        a.exec(&["ip", "link", "set", "veth-a", "up"]);
        b.exec(&["ip", "link", "set", "veth-b", "up"]);
        Net { a, b }
    }

    fn a_ifindex(&self) -> u32 {
        self.a
            .enter(|| nix::net::if_::if_nametoindex("veth-a"))
            .expect("ifindex")
    }

    /// The LAN entries as the daemon writes them: the tries as A's interfaces are, and the log
    /// host with the upload cgroup's id now.
    fn entries(&self, policy: &airgapd_policy::Policy, cgroup_id: u64) -> LanEntries {
        let lans = LanPlan::from_policy(&policy.network);
        let host = LogHostPlan::from_policy(&policy.network).expect("a log host");
        let mut entries = self.a.enter(|| {
            Watcher::open(&lans)
                .expect("rtnetlink in A")
                .state()
                .lan_entries()
        });
        let ifindex = self.a_ifindex();
        host.add_to(&mut entries, &lans, |_| Some(ifindex), cgroup_id);
        entries
    }
}

/// An echo server in B on every address, outside any scope; killed by pid on drop. Its
/// output is kept open: it reports each request, and a closed pipe would end it.
struct Echo(Child, #[allow(dead_code)] BufReader<ChildStdout>);

impl Echo {
    fn start(ns: &NetNs, port: &str) -> Echo {
        Echo::start_on(ns, "0.0.0.0", port)
    }

    /// On `addr` (`::` for IPv6).
    fn start_on(ns: &NetNs, addr: &str, port: &str) -> Echo {
        let mut child = Command::new("ip")
            .args(["netns", "exec", &ns.name, probe(), "echo-server", addr])
            .args([port, "120"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting an echo server");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).expect("reading the echo server");
        assert_eq!(line.trim(), "ready", "echo server did not start");
        Echo(child, out)
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A child cgroup a test made (the upload service's), removed on drop; its processes have
/// exited by then (each probe is waited for).
struct ChildCgroup(PathBuf);

impl ChildCgroup {
    fn make(path: PathBuf) -> ChildCgroup {
        std::fs::create_dir(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        ChildCgroup(path)
    }

    fn scope(&self) -> Scope {
        Scope::at(self.0.clone()).expect("the upload cgroup")
    }
}

impl Drop for ChildCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// `airgap-probe ARGS` in A, in `scope` (None: outside any scope).
fn in_a(net: &Net, scope: Option<&Scope>, args: &[&str]) -> String {
    let mut all = vec!["netns", "exec", &net.a.name, probe()];
    all.extend_from_slice(args);
    let place = Place {
        scope,
        fresh_netns: false,
    };
    run_at(Path::new("ip"), place, &all).result
}

fn tcp(host: &str, port: &str) -> [String; 4] {
    ["tcp-to", host, port, MS].map(str::to_string)
}

fn udp(host: &str, port: &str) -> [String; 4] {
    ["udp-to", host, port, MS].map(str::to_string)
}

fn run(net: &Net, scope: Option<&Scope>, args: &[String; 4]) -> String {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    in_a(net, scope, &args)
}

fn endpoint_is(v: &Violation, kind: Kind, host: &str, port: &str) -> bool {
    v.kind == kind && v.endpoint().as_deref() == Some(&format!("{host}:{port}")[..])
}

/// The cgroup layers (and the interface programs on the LAN interface, as with
/// `--cover-interfaces`): the upload cgroup reaches the log host on its port, TCP and UDP;
/// the same cgroup on another port, and every other process of the scope on any port, are
/// refused with EPERM and recorded; the rest of the LAN is unchanged.
#[tokio::test]
async fn only_the_upload_cgroup_reaches_the_log_host_and_only_on_its_port() {
    require_root();
    let net = Net::new("lh1");
    let policy = policy();
    let _servers = [
        Echo::start(&net.b, LOG_PORT),
        Echo::start(&net.b, OTHER_PORT),
    ];
    // Controls before enforcement: every path works from A.
    for args in [tcp(LOG_HOST, LOG_PORT), tcp(LOG_HOST, OTHER_PORT)] {
        assert_eq!(run(&net, None, &args), "ok", "control {args:?}");
    }

    let scope = Scope::create("loghost").expect("creating test cgroup");
    let host = LogHostPlan::from_policy(&policy.network).unwrap();
    let mut enforcer = Enforcer::load().expect("loading BPF object");
    let upload_dir = host.cgroup_dir(scope.path());
    let mut armed;
    let upload = ChildCgroup::make(upload_dir.clone());
    enforcer
        .set_lan(&net.entries(&policy, host.cgroup_id(scope.path())))
        .expect("writing the LAN maps");
    armed = Armed::network_on(scope, enforcer, NetMode::from_policy(&policy.network));
    net.a
        .enter(|| armed.enforcer.enforce_interface("veth-a"))
        .expect("attaching the interface programs");
    let up = upload.scope();

    // The upload: TCP and UDP to the log host's port.
    assert_eq!(run(&net, Some(&up), &tcp(LOG_HOST, LOG_PORT)), "ok");
    assert_eq!(run(&net, Some(&up), &udp(LOG_HOST, LOG_PORT)), "ok");

    // The upload to another port of the log host: refused, recorded; outside the scope it works.
    assert_eq!(run(&net, Some(&up), &tcp(LOG_HOST, OTHER_PORT)), "EPERM");
    let ev = armed
        .expect_event("the upload to another port", |v| {
            endpoint_is(v, Kind::NetConnect, LOG_HOST, OTHER_PORT)
        })
        .await;
    assert_eq!(ev.comm, "airgap-probe");
    assert_eq!(run(&net, Some(&up), &udp(LOG_HOST, OTHER_PORT)), "EPERM");
    armed
        .expect_event("the upload sending to another port", |v| {
            endpoint_is(v, Kind::NetSend, LOG_HOST, OTHER_PORT)
        })
        .await;
    assert_eq!(run(&net, None, &tcp(LOG_HOST, OTHER_PORT)), "ok");

    // Any other process of the scope, to the log host's own port: refused and recorded (the
    // subnet lists no peers, so without the carve-out the log host would be one).
    assert_eq!(
        run(&net, Some(&armed.scope), &tcp(LOG_HOST, LOG_PORT)),
        "EPERM"
    );
    armed
        .expect_event("another process to the log host", |v| {
            endpoint_is(v, Kind::NetConnect, LOG_HOST, LOG_PORT)
        })
        .await;
    assert_eq!(
        run(&net, Some(&armed.scope), &udp(LOG_HOST, LOG_PORT)),
        "EPERM"
    );
    assert_eq!(run(&net, None, &tcp(LOG_HOST, LOG_PORT)), "ok");

    // The rest of the LAN is as before, for the scope and the upload alike.
    assert_eq!(
        run(&net, Some(&armed.scope), &tcp(OTHER_HOST, OTHER_PORT)),
        "ok"
    );
    assert_eq!(run(&net, Some(&up), &tcp(OTHER_HOST, LOG_PORT)), "ok");

    // systemd makes the service's cgroup anew at each start, with a new id: until the entry is
    // written again the upload is refused (fail closed), then it passes.
    drop(up);
    drop(upload);
    let upload = ChildCgroup::make(upload_dir);
    let up = upload.scope();
    assert_eq!(run(&net, Some(&up), &tcp(LOG_HOST, LOG_PORT)), "EPERM");
    armed
        .enforcer
        .set_lan(&net.entries(&policy, host.cgroup_id(armed.scope.path())))
        .expect("writing the LAN maps again");
    assert_eq!(run(&net, Some(&up), &tcp(LOG_HOST, LOG_PORT)), "ok");
    drop(up);
    drop(upload);
}

/// The interface programs alone, with a whole-machine config (as on a PC): ARP and the upload
/// cgroup's frames to and from the log host's port pass; another process's frames to it, and
/// the upload's to another port, are dropped on the wire and recorded.
#[tokio::test]
async fn on_the_wire_only_the_upload_reaches_the_log_host() {
    require_root();
    let net = Net::new("lh2");
    let policy = policy();
    let _servers = [
        Echo::start(&net.b, LOG_PORT),
        Echo::start(&net.b, OTHER_PORT),
    ];
    assert_eq!(run(&net, None, &tcp(LOG_HOST, LOG_PORT)), "ok", "control");

    // The upload cgroup is a test cgroup: no program is attached to it, only its id is in the
    // entry. The config's scope is the machine, but programs sit only on A's veth-a.
    let upload = Scope::create("loghost-up").expect("creating the upload cgroup");
    let machine = Scope::machine().expect("cgroup v2 root");
    let mut enforcer = Enforcer::load().expect("loading BPF object");
    enforcer
        .set_lan(&net.entries(&policy, upload.id()))
        .expect("writing the LAN maps");
    enforcer
        .configure(&machine, NetMode::from_policy(&policy.network))
        .expect("config");
    net.a
        .enter(|| enforcer.enforce_interface("veth-a"))
        .expect("attaching TCX");
    let mut events = EventStream::new(enforcer.take_events().unwrap()).expect("events");
    // Resolution must work through the programs.
    net.a.exec(&["ip", "neigh", "flush", "dev", "veth-a"]);
    net.b.exec(&["ip", "neigh", "flush", "dev", "veth-b"]);

    assert_eq!(run(&net, Some(&upload), &tcp(LOG_HOST, LOG_PORT)), "ok");
    assert_eq!(
        run(&net, None, &tcp(LOG_HOST, LOG_PORT)),
        "ETIMEDOUT",
        "another process to the log host's port"
    );
    assert_eq!(
        run(&net, Some(&upload), &tcp(LOG_HOST, OTHER_PORT)),
        "ETIMEDOUT",
        "the upload to another port"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut seen: Vec<Violation> = Vec::new();
    let wanted = |seen: &[Violation], cgroup: u64| {
        seen.iter().any(|v| {
            v.kind == Kind::NetWireEgress
                && v.addr == Some(LOG_HOST.parse().unwrap())
                && v.cgroup_id == cgroup
        })
    };
    let own = airgapd::scope::own_cgroup_id();
    while !(wanted(&seen, own) && wanted(&seen, upload.id())) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let batch = tokio::time::timeout(left, events.next_batch())
            .await
            .unwrap_or_else(|_| panic!("wire refusals not all seen: {seen:#?}"))
            .expect("events");
        seen.extend(batch);
    }
    drop(enforcer);
    assert_eq!(
        run(&net, None, &tcp(LOG_HOST, LOG_PORT)),
        "ok",
        "control after enforcement"
    );
}

/// The daemon's own path (`LanGuard`, as `airgapd service` uses it): while the upload cgroup
/// does not exist it warns and nothing reaches the log host; the cgroup appearing, and made
/// anew as at each start of the service, is followed without a reload.
#[tokio::test]
async fn the_lan_guard_follows_the_upload_cgroup() {
    require_root();
    let net = Net::new("lh3");
    let policy = policy();
    let _servers = [Echo::start(&net.b, LOG_PORT)];
    let facts = airgapd::plan::Facts::read().expect("facts");
    let plan = airgapd::plan::Plan::new(&policy, &facts).expect("plan");
    let scope = Scope::create("loghost-guard").expect("creating test cgroup");
    let mut enforcer = Enforcer::load().expect("loading BPF object");
    let mut guard = airgapd::network::lan::LanGuard::default();
    // The rtnetlink watcher is opened in A; the cgroup watch registers with this runtime.
    let rt = tokio::runtime::Handle::current();
    let records = net.a.enter(|| {
        let _rt = rt.enter();
        guard.apply(&mut enforcer, &plan, &scope)
    });
    let records = records.expect("applying the LAN");
    assert!(
        records
            .iter()
            .any(|r| format!("{r:?}").contains("upload service's cgroup")),
        "a warning that the upload cgroup is absent: {records:#?}"
    );
    enforcer
        .configure(&scope, plan.net_mode)
        .expect("writing config");
    enforcer.enforce_network(&scope).expect("attaching");
    let mut armed = Armed::network_on_attached(scope, enforcer);

    let upload_dir = armed.scope.path().join("upload");
    for round in ["first start", "restart"] {
        let upload = ChildCgroup::make(upload_dir.clone());
        let found = tokio::time::timeout(Duration::from_secs(5), guard.next())
            .await
            .unwrap_or_else(|_| panic!("{round}: the new cgroup was not noticed"));
        assert_eq!(found.as_ref().ok(), Some(&vec![Finding::UploadCgroup]));
        guard.handle(&mut armed.enforcer, found);
        let up = upload.scope();
        assert_eq!(
            run(&net, Some(&up), &tcp(LOG_HOST, LOG_PORT)),
            "ok",
            "{round}"
        );
        assert_eq!(
            run(&net, Some(&armed.scope), &tcp(LOG_HOST, LOG_PORT)),
            "EPERM",
            "{round}: another process"
        );
        armed
            .expect_event("another process to the log host", |v| {
                endpoint_is(v, Kind::NetConnect, LOG_HOST, LOG_PORT)
            })
            .await;
        drop(up);
        drop(upload);
        // The removal is noticed too (the entry then names no cgroup that exists).
        let found = tokio::time::timeout(Duration::from_secs(5), guard.next())
            .await
            .unwrap_or_else(|_| panic!("{round}: the removal was not noticed"));
        assert_eq!(found.as_ref().ok(), Some(&vec![Finding::UploadCgroup]));
        guard.handle(&mut armed.enforcer, found);
        assert_eq!(
            armed.enforcer.lan().log_host.map(|h| h.cgroup_id),
            Some(0),
            "{round}: no cgroup, no id"
        );
    }
}

/// The same over IPv6, on the wire (whole-machine config): neighbour discovery for the log host
/// passes (nothing is resolved otherwise) and so does the upload cgroup's TCP to its port;
/// another process's is dropped.
#[tokio::test]
async fn over_ipv6_neighbour_discovery_and_the_upload_pass_the_wire() {
    require_root();
    let net = Net::new("lh6");
    for (ns, dev) in [(&net.a, "veth-a"), (&net.b, "veth-b")] {
        ns.exec(&["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0"]);
        let set = format!("net.ipv6.conf.{dev}.disable_ipv6=0");
        ns.exec(&["sysctl", "-q", "-w", &set]);
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
    net.b.exec(&[
        "ip",
        "addr",
        "add",
        "fd00:50::2/64",
        "dev",
        "veth-b",
        "nodad",
    ]);
    let server = Echo::start_on(&net.b, "::", LOG_PORT);
    assert_eq!(
        run(&net, None, &tcp("fd00:50::2", LOG_PORT)),
        "ok",
        "control"
    );

    let text = format!(
        "[network]\nprofile = \"isolated-lan\"\n[[network.lan]]\nname = \"office6\"\n\
         interface_mac = \"{LAN_MAC}\"\nsubnets = [\"fd00:50::/64\"]\n\
         [network.log_host]\naddress = \"fd00:50::2\"\n"
    );
    let policy = airgapd_policy::parse(&text, None).unwrap().policy;
    let upload = Scope::create("loghost6-up").expect("creating the upload cgroup");
    let machine = Scope::machine().expect("cgroup v2 root");
    let mut enforcer = Enforcer::load().expect("loading BPF object");
    let entries = net.entries(&policy, upload.id());
    assert_eq!(
        entries.peers[&"fd00:50::2/128".parse().unwrap()],
        0,
        "carved out"
    );
    enforcer.set_lan(&entries).expect("writing the LAN maps");
    enforcer
        .configure(&machine, NetMode::from_policy(&policy.network))
        .expect("config");
    net.a
        .enter(|| enforcer.enforce_interface("veth-a"))
        .expect("attaching TCX");
    net.a.exec(&["ip", "-6", "neigh", "flush", "dev", "veth-a"]);
    net.b.exec(&["ip", "-6", "neigh", "flush", "dev", "veth-b"]);

    assert_eq!(
        run(&net, Some(&upload), &tcp("fd00:50::2", LOG_PORT)),
        "ok",
        "the upload, resolved anew"
    );
    assert_eq!(
        run(&net, None, &tcp("fd00:50::2", LOG_PORT)),
        "ETIMEDOUT",
        "another process"
    );
    drop(enforcer);
    assert_eq!(
        run(&net, None, &tcp("fd00:50::2", LOG_PORT)),
        "ok",
        "control after"
    );
    drop(server);
}
