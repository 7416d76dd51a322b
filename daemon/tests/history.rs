//! Issue 15, item 10: `airgapctl violations` and `airgapctl devices` keep their history across a
//! restart of the service, and a medium still there at the restart is recorded as present at
//! start, not as a new arrival.

mod common;

use std::time::{Duration, Instant};

use airgapd::journal::MessageId;
use common::daemon::{entry, id, m, Daemon};
use common::dbus_harness::{run_as, BusPolicy, TestBus, User};
use common::journald::{skip_unless_root, PrivateJournald};
use common::loopdev::LoopDev;
use serde_json::Value;

const POLICY: &str = r#"
[network]
loopback = false

[devices]
loop = "removable"

[[media]]
name = "Test transfer stick"
fs_label = "AIRGAPTEST"
access = "read-write"
"#;

async fn ctl(bus: &TestBus, args: &[&str]) -> Value {
    let mut all = vec!["--bus-address", bus.address(), "--json"];
    all.extend_from_slice(args);
    let ran = run_as(User::Root, env!("CARGO_BIN_EXE_airgapctl").as_ref(), &all).await;
    assert_eq!(ran.code, 0, "airgapctl {args:?}: {}", ran.stderr);
    serde_json::from_str(&ran.stdout).unwrap_or(Value::Null)
}

async fn wait_listed(bus: &TestBus, what: &str, pick: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = ctl(bus, &[what]).await;
        if let Some(found) = v.as_array().and_then(|a| a.iter().find(|e| pick(e))) {
            return found.clone();
        }
        assert!(Instant::now() < deadline, "never listed by {what}: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_survives_a_restart_and_present_media_are_not_new_arrivals() {
    if skip_unless_root() {
        return;
    }
    let bus = TestBus::start(BusPolicy::Shipped);
    let mut j = PrivateJournald::start("history");
    let mut d = Daemon::new("history", j.socket(), Some(POLICY));
    d.extra_args = vec!["--bus".into(), bus.address().to_string()];
    d.start();

    let stick = LoopDev::new("history");
    let node = stick.path.clone();
    let arrivals = |seen: &str| {
        [
            id(MessageId::DeviceArrival),
            m("AIRGAP_DEV_NODE", &node),
            m("AIRGAP_ACTION", "authorize"),
            m("AIRGAP_SEEN", seen),
        ]
    };
    entry(&mut j, &arrivals("arrival")[..3]);
    let (pid, err) = d.victim("exec 3<>/dev/tcp/127.0.0.1/9", true);
    assert!(err.contains("Operation not permitted"), "{err}");
    let before = wait_listed(&bus, "violations", |e| e["pid"] == pid).await;
    let listed = wait_listed(&bus, "devices", |e| {
        e["node"] == node.as_str() && e["decision"] == "read-write"
    })
    .await;
    // Issue 18: when it came, and present (no time of leaving).
    let since = listed["since_us"].as_u64().unwrap_or(0);
    assert!(since > 0 && listed["left_us"] == 0, "{listed}");

    // A restart of the scoped service (stop, start again with the same files).
    d.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(d.wait_for_exit(Duration::from_secs(10)).is_some());
    d.start();

    let after = wait_listed(&bus, "violations", |e| e["pid"] == pid).await;
    assert_eq!(after["seq"], before["seq"], "the same refusal, same number");
    assert_eq!(after["text"], before["text"]);
    let listed = wait_listed(&bus, "devices", |e| {
        e["node"] == node.as_str() && e["decision"] == "read-write"
    })
    .await;
    assert_eq!(
        listed["since_us"].as_u64(),
        Some(since),
        "present since it came, not since the restart: {listed}"
    );
    // Judged again (this daemon made its own grant), but as present at start.
    entry(&mut j, &arrivals("present-at-start"));
    entry(&mut j, &arrivals("arrival"));
    assert_eq!(
        j.query(&arrivals("arrival")).len(),
        1,
        "the medium was recorded as a new arrival after the restart"
    );

    // A new refusal after the restart is numbered after the old ones.
    let (pid2, _) = d.victim("exec 3<>/dev/tcp/127.0.0.1/9", true);
    let newer = wait_listed(&bus, "violations", |e| e["pid"] == pid2).await;
    assert!(newer["seq"].as_u64() > before["seq"].as_u64(), "{newer}");
}
