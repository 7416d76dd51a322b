//! `org.airgapd.Guard1` on a real dbus-daemon with the shipped bus policy: the interface as
//! documented, values through the generated proxy and through `airgapctl --json`, and who may
//! do what — root reloads, nobody reads but is refused by the bus policy and, where a bus
//! policy would let the call through, by the method itself. Every wait has a deadline.
//!
//! Needs root (to run clients as uid 65534) and `dbus-daemon` and `busctl` on PATH.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use futures_util::StreamExt;
use zbus::proxy::CacheProperties;

use airgapd::bpf::{Layer, LayerState};
use airgapd::ctl::status::Status;
use airgapd::dbus::{
    serve, DeviceEntry, GuardError, GuardProxy, ReloadError, Server, ViolationEntry, NAME, PATH,
};
use airgapd::maps::Count;
use airgapd::state::{DeviceRecord, PolicyInfo, Shared, State, ViolationRecord};
use airgapd::violation::{Kind, Violation};
use airgapd_tests::dbus_harness::{run_as, BusPolicy, Ran, TestBus, User, DEADLINE, NOBODY};
use airgapd_tests::require_root;

const OLD_SHA: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const NEW_SHA: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
/// 2023-11-14 22:13:20 UTC.
const T0: u64 = 1_700_000_000;

fn violation(kind: Kind, pid: u32, addr: Option<IpAddr>, device: Option<(u32, u32)>) -> Violation {
    Violation {
        tid: pid + 1,
        pid,
        uid: 1000,
        gid: 1000,
        comm: "curl".into(),
        cgroup_id: 42,
        family: if addr.is_some_and(|a| a.is_ipv6()) {
            libc::AF_INET6 as u16
        } else {
            libc::AF_INET as u16
        },
        sock_type: libc::SOCK_STREAM as u16,
        protocol: 6,
        addr,
        port: if addr.is_some() { 443 } else { 0 },
        device,
        access: if device.is_some() {
            airgapd_ebpf::abi::AIRGAP_ACC_READ as u16
        } else {
            0
        },
        ..Violation::of(kind, UNIX_EPOCH + Duration::from_secs(T0 + u64::from(pid)))
    }
}

fn usb_stick() -> DeviceRecord {
    DeviceRecord {
        node: "/dev/sdb".into(),
        devnum: "8:16".into(),
        kind: "usb".into(),
        vendor_id: "0781".into(),
        product_id: "5581".into(),
        serial: "4C530001".into(),
        model: "Ultra".into(),
        decision: "refused".into(),
        rule: "default".into(),
        reason: "not a medium issued by the Government Cipher Committee".into(),
        ..DeviceRecord::default()
    }
}

/// Layers, a policy, two devices, counters and seven violations (seq 1..=7).
fn sample_state() -> Shared {
    let mut s = State::new("enforcing".into(), 100);
    s.layers = vec![
        (Layer::CgroupNetwork, LayerState::Active),
        (Layer::Wire, LayerState::Active),
        (
            Layer::Lsm,
            LayerState::Unavailable("the kernel's lsm= list lacks bpf".into()),
        ),
        (Layer::Devices, LayerState::Active),
    ];
    s.policy = PolicyInfo {
        id: "office-12".into(),
        serial: 7,
        sha256: OLD_SHA.into(),
        path: "/etc/airgapd/policy.toml".into(),
        builtin: false,
        fallback_reason: String::new(),
    };
    s.devices = vec![
        DeviceRecord {
            node: "/dev/sda".into(),
            devnum: "8:0".into(),
            kind: "block".into(),
            model: "Samsung SSD".into(),
            decision: "internal".into(),
            rule: "internal".into(),
            reason: "internal disk of this machine".into(),
            ..DeviceRecord::default()
        },
        usb_stick(),
    ];
    s.counts = vec![
        (
            Kind::NetConnect,
            Count {
                denied: 6,
                lost: 1,
                folded: 0,
            },
        ),
        (
            Kind::DevBlock,
            Count {
                denied: 1,
                lost: 0,
                folded: 0,
            },
        ),
    ];
    let v4 = IpAddr::V4(Ipv4Addr::new(93, 184, 216, 34));
    s.push_violation(violation(Kind::NetConnect, 4242, Some(v4), None), 0);
    s.push_violation(violation(Kind::DevBlock, 4300, None, Some((8, 16))), 3);
    for pid in 5000..5005 {
        let v6 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
        s.push_violation(violation(Kind::NetConnect, pid, Some(v6), None), 0);
    }
    s.shared()
}

/// A reloader that counts its calls and, like the daemon's, records the new policy in the
/// state before answering. `fail` makes it refuse the file instead.
fn fake_reloader(
    state: Shared,
    fail: bool,
) -> (
    Arc<AtomicUsize>,
    impl Fn() -> std::future::Ready<Result<PolicyInfo, ReloadError>> + Send + Sync + 'static,
) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let reload = move || {
        counted.fetch_add(1, Ordering::SeqCst);
        if fail {
            let e: ReloadError =
                "/etc/airgapd/policy.toml:3:1: unknown field `netwrok`, expected one of `meta`, `network`, `devices`".into();
            return std::future::ready(Err(e));
        }
        let info = PolicyInfo {
            id: "office-12".into(),
            serial: 8,
            sha256: NEW_SHA.into(),
            path: "/etc/airgapd/policy.toml".into(),
            builtin: false,
            fallback_reason: String::new(),
        };
        state.write().unwrap().policy = info.clone();
        std::future::ready(Ok(info))
    };
    (calls, reload)
}

/// A private bus with airgapd's interface served on it.
struct Served {
    bus: TestBus,
    state: Shared,
    server: Server,
    reloads: Arc<AtomicUsize>,
}

async fn served(policy: BusPolicy, reload_fails: bool) -> Served {
    require_root();
    let bus = TestBus::start(policy);
    let state = sample_state();
    let (reloads, reloader) = fake_reloader(state.clone(), reload_fails);
    let server = tokio::time::timeout(DEADLINE, serve(&bus.bus(), state.clone(), reloader))
        .await
        .expect("serve within the deadline")
        .unwrap_or_else(|e| panic!("serving: {e}; dbus-daemon log: {}", bus.log()));
    Served {
        bus,
        state,
        server,
        reloads,
    }
}

impl Served {
    /// A root client through the generated proxy.
    async fn proxy(&self) -> GuardProxy<'static> {
        let conn = self.bus.bus().connect().await.expect("client connection");
        GuardProxy::builder(&conn)
            .cache_properties(CacheProperties::No)
            .build()
            .await
            .expect("proxy")
    }

    async fn airgapctl(&self, user: User, args: &[&str]) -> Ran {
        let mut all = vec!["--bus-address", self.bus.address()];
        all.extend_from_slice(args);
        run_as(user, self.bus.airgapctl(), &all).await
    }

    async fn busctl(&self, user: User, args: &[&str]) -> Ran {
        let address = format!("--address={}", self.bus.address());
        let mut all = vec![address.as_str()];
        all.extend_from_slice(args);
        run_as(user, "busctl".as_ref(), &all).await
    }
}

/// airgapctl was refused: exit 4, and `error` (who refused, in words) on stderr, never the raw
/// D-Bus error.
fn assert_refused(denied: &Ran, error: &str) {
    assert_eq!(
        denied.code, 4,
        "stdout: {} stderr: {}",
        denied.stdout, denied.stderr
    );
    assert!(
        one_line(&denied.stderr).contains(error),
        "{}",
        denied.stderr
    );
    assert!(
        !denied.stderr.contains("org.freedesktop.DBus.Error")
            && !denied.stderr.contains("Guard1.Error"),
        "{}",
        denied.stderr
    );
}

/// Text as one line: airgapctl wraps its messages at 80 columns.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The bus policy refused the call before airgapd saw it.
const BUS_REFUSED: &str = "access denied";

fn json(ran: &Ran) -> serde_json::Value {
    assert_eq!(ran.code, 0, "stderr: {}", ran.stderr);
    serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", ran.stdout))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_shows_the_documented_interface() {
    let s = served(BusPolicy::Shipped, false).await;
    let expected = [
        (".AirGapped", "property", "b"),
        (".Mode", "property", "s"),
        (".StartedAt", "property", "t"),
        (".Layers", "property", "a(sss)"),
        (".PolicyId", "property", "s"),
        (".PolicySerial", "property", "t"),
        (".PolicySha256", "property", "s"),
        (".PolicyBuiltin", "property", "b"),
        (".PolicyFallbackReason", "property", "s"),
        (".PolicyPath", "property", "s"),
        (".ViolationCounts", "property", "a(stt)"),
        (".ListDevices", "method", "-"),
        (".Violations", "method", "tu"),
        (".ReloadPolicy", "method", "-"),
        (".Violation", "signal", "(ttsuuussst)"),
        (".DeviceDecision", "signal", "(ssssssssssttss)"),
        (".DeviceRemoved", "signal", "(ssssssssssttss)"),
        (".PolicyChanged", "signal", "st"),
    ];
    let results = [
        (".ListDevices", "a(ssssssssssttss)"),
        (".Violations", "a(ttsuuussst)"),
        (".ReloadPolicy", "st"),
    ];
    // Readers may introspect too: as nobody, through the shipped policy.
    for user in [User::Root, User::Nobody] {
        let out = s
            .busctl(user, &["introspect", NAME, PATH, "org.airgapd.Guard1"])
            .await;
        assert_eq!(out.code, 0, "{user:?}: {}", out.stderr);
        let rows: Vec<Vec<&str>> = out
            .stdout
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        let find = |name: &str| {
            rows.iter()
                .find(|r| r.first() == Some(&name))
                .unwrap_or_else(|| panic!("{name} missing from:\n{}", out.stdout))
        };
        for (name, kind, signature) in expected {
            let row = find(name);
            assert_eq!((row[1], row[2]), (kind, signature), "{name}");
        }
        for (name, result) in results {
            assert_eq!(find(name)[3], result, "{name} result");
        }
        let members = rows.iter().filter(|r| r[0].starts_with('.')).count();
        assert_eq!(
            members,
            expected.len(),
            "undocumented members:\n{}",
            out.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_reads_properties_and_methods() {
    let s = served(BusPolicy::Shipped, false).await;
    let p = s.proxy().await;
    assert!(p.air_gapped().await.unwrap());
    assert_eq!(p.mode().await.unwrap(), "enforcing");
    let started = s.state.read().unwrap().started_at;
    assert_eq!(
        p.started_at().await.unwrap(),
        started.duration_since(UNIX_EPOCH).unwrap().as_micros() as u64
    );
    let layers = p.layers().await.unwrap();
    let layers: Vec<_> = layers
        .iter()
        .map(|l| (l.name.as_str(), l.state.as_str(), l.detail.as_str()))
        .collect();
    assert_eq!(
        layers,
        [
            ("cgroup-network", "active", ""),
            ("interface", "active", ""),
            ("bpf-lsm", "unavailable", "the kernel's lsm= list lacks bpf"),
            ("cgroup-device", "active", ""),
        ]
    );
    assert_eq!(p.policy_id().await.unwrap(), "office-12");
    assert_eq!(p.policy_serial().await.unwrap(), 7);
    assert_eq!(p.policy_sha256().await.unwrap(), OLD_SHA);
    assert!(!p.policy_builtin().await.unwrap());
    assert_eq!(p.policy_path().await.unwrap(), "/etc/airgapd/policy.toml");
    let counts: Vec<_> = p
        .violation_counts()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.kind, c.denied, c.lost))
        .collect();
    assert_eq!(
        counts,
        [("net.connect".into(), 6, 1), ("dev.block".into(), 1, 0)]
    );

    let devices = p.list_devices().await.unwrap();
    assert_eq!(devices.len(), 2);
    assert_eq!(devices[1], DeviceEntry::from(&usb_stick()));
    assert_eq!(devices[0].node, "/dev/sda");

    let first_two = p.violations(0, 2).await.unwrap();
    assert_eq!(
        first_two[0],
        ViolationEntry {
            seq: 1,
            time_us: (T0 + 4242) * 1_000_000,
            kind: "net.connect".into(),
            pid: 4242,
            tid: 4243,
            uid: 1000,
            comm: "curl".into(),
            target: "93.184.216.34:443".into(),
            text: "denied connect 93.184.216.34:443 by curl[4242] uid=1000".into(),
            repeats: 0,
        }
    );
    let dev = &first_two[1];
    assert_eq!(
        (dev.seq, dev.kind.as_str(), dev.target.as_str(), dev.repeats),
        (2, "dev.block", "8:16", 3)
    );
    assert_eq!(
        dev.text,
        "denied block device 8:16 (read) by curl[4300] uid=1000"
    );
    let page = p.violations(5, 100).await.unwrap();
    assert_eq!(page.iter().map(|v| v.seq).collect::<Vec<_>>(), [6, 7]);
    assert_eq!(page[0].target, "[2001:db8::1]:443");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn airgapctl_json_matches_the_state() {
    let s = served(BusPolicy::Shipped, false).await;

    let status = s.airgapctl(User::Root, &["status", "--json"]).await;
    let raw = json(&status);
    // The JSON field names are an interface too.
    assert_eq!(raw["air_gapped"], true);
    assert_eq!(raw["policy"]["sha256"], OLD_SHA);
    assert_eq!(raw["layers"][2]["state"], "unavailable");
    assert_eq!(raw["violation_counts"][0]["kind"], "net.connect");
    let st: Status = serde_json::from_value(raw).unwrap();
    assert!(st.air_gapped);
    assert_eq!(st.mode, "enforcing");
    assert_eq!(st.layers.len(), 4);
    assert_eq!(
        (st.policy.id.as_str(), st.policy.serial, st.policy.builtin),
        ("office-12", 7, false)
    );
    assert_eq!(st.violation_counts[0].denied, 6);
    let last: Vec<u64> = st.last_violations.iter().map(|v| v.seq).collect();
    assert_eq!(last, [3, 4, 5, 6, 7], "the newest five, oldest first");

    let devices = s.airgapctl(User::Root, &["devices", "--json"]).await;
    let devices: Vec<DeviceEntry> = serde_json::from_value(json(&devices)).unwrap();
    assert_eq!(devices[1], DeviceEntry::from(&usb_stick()));
    assert_eq!(devices[0].decision, "internal");

    let dev = s
        .airgapctl(User::Root, &["violations", "--json", "--kind", "dev"])
        .await;
    let dev: Vec<ViolationEntry> = serde_json::from_value(json(&dev)).unwrap();
    assert_eq!(dev.iter().map(|v| v.seq).collect::<Vec<_>>(), [2]);
    let paged = s
        .airgapctl(
            User::Root,
            &["violations", "--json", "--since", "1", "--limit", "2"],
        )
        .await;
    let paged: Vec<ViolationEntry> = serde_json::from_value(json(&paged)).unwrap();
    assert_eq!(paged.iter().map(|v| v.seq).collect::<Vec<_>>(), [2, 3]);

    let text = s.airgapctl(User::Root, &["status"]).await;
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout.starts_with("AIR-GAPPED: YES"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("bpf-lsm"), "{}", text.stdout);

    // Not air-gapped: says NO in words and exits 3.
    s.state.write().unwrap().layers[3].1 = LayerState::Unavailable("detached".into());
    let text = s.airgapctl(User::Root, &["status"]).await;
    assert_eq!(text.code, 3, "{}", text.stderr);
    assert!(text.stdout.starts_with("AIR-GAPPED: NO"), "{}", text.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn airgapctl_says_when_airgapd_is_not_running() {
    require_root();
    let bus = TestBus::start(BusPolicy::Shipped);
    // Issue 14: status is still answered, from what is pinned (here: nothing) and the record
    // (here: none): NO, exit 3, and it says the daemon is not running.
    let out = run_as(
        User::Nobody,
        bus.airgapctl(),
        &[
            "--bus-address",
            bus.address(),
            "status",
            "--pin-dir",
            "/sys/fs/bpf/airgapd-no-such-dir",
            "--record",
            "/nonexistent/enforcement.json",
        ],
    )
    .await;
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.starts_with("AIR-GAPPED: NO"), "{}", out.stdout);
    assert!(
        out.stdout.contains("Daemon:        not running"),
        "{}",
        out.stdout
    );
    // Commands that need the daemon say it is not running, and how to look.
    let out = run_as(
        User::Nobody,
        bus.airgapctl(),
        &["--bus-address", bus.address(), "violations"],
    )
    .await;
    assert_eq!(out.code, 1);
    assert!(
        one_line(&out.stderr)
            .contains("airgapd is not running (nobody answers as org.airgapd.Guard1 on the bus"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("systemctl status airgapd"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_reads_but_the_bus_policy_refuses_reload_and_root_reloads() {
    let s = served(BusPolicy::Shipped, false).await;

    let status = s.airgapctl(User::Nobody, &["status", "--json"]).await;
    let st: Status = serde_json::from_value(json(&status)).unwrap();
    assert_eq!(st.policy.serial, 7);
    let devices = s.airgapctl(User::Nobody, &["devices", "--json"]).await;
    assert_eq!(json(&devices).as_array().map(Vec::len), Some(2));
    let got = s
        .busctl(
            User::Nobody,
            &[
                "get-property",
                NAME,
                PATH,
                "org.airgapd.Guard1",
                "AirGapped",
            ],
        )
        .await;
    assert_eq!(
        (got.code, got.stdout.trim()),
        (0, "b true"),
        "{}",
        got.stderr
    );

    // The bus refuses before airgapd sees the call.
    let denied = s.airgapctl(User::Nobody, &["policy", "reload"]).await;
    assert_refused(&denied, "(the bus policy refused the call)");
    let busctl = s
        .busctl(
            User::Nobody,
            &["call", NAME, PATH, "org.airgapd.Guard1", "ReloadPolicy"],
        )
        .await;
    assert_ne!(
        busctl.code, 0,
        "busctl ReloadPolicy as nobody: {}",
        busctl.stdout
    );
    assert_eq!(
        s.reloads.load(Ordering::SeqCst),
        0,
        "the reloader must not run"
    );

    // Root reloads; the reply and the PolicyChanged signal carry the new policy.
    let p = s.proxy().await;
    let mut changed = p.receive_policy_changed().await.unwrap();
    let (sha, serial) = p.reload_policy().await.expect("root may reload");
    assert_eq!((sha.as_str(), serial), (NEW_SHA, 8));
    let signal = tokio::time::timeout(DEADLINE, changed.next())
        .await
        .expect("PolicyChanged within the deadline")
        .expect("signal stream open");
    let args = signal.args().unwrap();
    assert_eq!((*args.sha256(), *args.serial()), (NEW_SHA, 8));
    assert_eq!(s.reloads.load(Ordering::SeqCst), 1);
    assert_eq!(p.policy_serial().await.unwrap(), 8);

    let again = s
        .airgapctl(User::Root, &["policy", "reload", "--json"])
        .await;
    assert_eq!(json(&again)["serial"], 8);
    assert_eq!(s.reloads.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_method_refuses_nobody_where_the_bus_policy_would_not() {
    let s = served(BusPolicy::ShippedThenAllowAll, false).await;
    let denied = s.airgapctl(User::Nobody, &["policy", "reload"]).await;
    assert_refused(
        &denied,
        "access denied: only root may reload the policy. Run the command with sudo. (airgapd \
         refused the call)",
    );
    assert_eq!(NOBODY, 65534);
    assert_eq!(
        s.reloads.load(Ordering::SeqCst),
        0,
        "the reloader must not run"
    );
    assert_eq!(s.state.read().unwrap().policy.serial, 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_can_be_narrowed_to_a_group() {
    // nobody (gid 65534, no groups) is not in group root; root is.
    let s = served(BusPolicy::ReadersGroup("root"), false).await;
    let denied = s.airgapctl(User::Nobody, &["status"]).await;
    assert_refused(&denied, BUS_REFUSED);
    let allowed = s.airgapctl(User::Root, &["status", "--json"]).await;
    assert_eq!(json(&allowed)["air_gapped"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_reload_says_why_and_keeps_the_policy() {
    let s = served(BusPolicy::Shipped, true).await;
    let p = s.proxy().await;
    match p.reload_policy().await {
        Err(GuardError::ReloadFailed(text)) => {
            assert!(text.contains("policy.toml:3:1: unknown field"), "{text}")
        }
        other => panic!("expected ReloadFailed, got {other:?}"),
    }
    let out = s.airgapctl(User::Root, &["policy", "reload"]).await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("the policy was not reloaded; the previous policy stays in force"),
        "{}",
        out.stderr
    );
    assert_eq!(p.policy_serial().await.unwrap(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn violation_and_device_signals_reach_subscribers() {
    let s = served(BusPolicy::Shipped, false).await;
    let p = s.proxy().await;
    let mut violations = p.receive_violation().await.unwrap();
    let mut devices = p.receive_device_decision().await.unwrap();

    // What the daemon loop does: record in the state, then announce.
    let v = violation(
        Kind::NetConnect,
        7777,
        Some(IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8))),
        None,
    );
    let seq = s.state.write().unwrap().push_violation(v.clone(), 0);
    let record = ViolationRecord {
        device_name: String::new(),
        seq,
        violation: v,
        repeats: 0,
    };
    s.server.violation(&record).await.unwrap();
    let stick = usb_stick();
    s.state.write().unwrap().devices.push(stick.clone());
    s.server.device_decision(&stick).await.unwrap();

    let got = tokio::time::timeout(DEADLINE, violations.next())
        .await
        .expect("Violation signal within the deadline")
        .expect("stream open");
    let got = got.args().unwrap().violation().clone();
    assert_eq!(got.seq, 8);
    assert_eq!(
        got.text,
        "denied connect 8.8.8.8:443 by curl[7777] uid=1000"
    );
    assert_eq!(got, ViolationEntry::from(&record));
    // The same record is what Violations pages out.
    assert_eq!(p.violations(7, 10).await.unwrap(), [got]);

    let got = tokio::time::timeout(DEADLINE, devices.next())
        .await
        .expect("DeviceDecision signal within the deadline")
        .expect("stream open");
    assert_eq!(*got.args().unwrap().device(), DeviceEntry::from(&stick));
}
