//! Issue 5: the running service on a real dbus-daemon with the shipped bus policy: airgapctl
//! reads what the daemon enforces, as root and as an unprivileged user; a violation made in
//! the scope shows up; only root may reload the policy.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::daemon::{write_policy, Daemon};
use common::dbus_harness::{run_as, BusPolicy, TestBus, User};
use common::journald::{skip_unless_root, PrivateJournald};
use serde_json::Value;

const POLICY: &str = "[meta]\nid = \"dbus-e2e\"\nserial = 4\n[network]\nloopback = false\n";

/// airgapctl where uid 65534 can run it.
fn airgapctl(bus: &TestBus) -> PathBuf {
    let dir = PathBuf::from(bus.address().trim_start_matches("unix:path="))
        .parent()
        .unwrap()
        .to_path_buf();
    let copy = dir.join("airgapctl-e2e");
    std::fs::copy(env!("CARGO_BIN_EXE_airgapctl"), &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    copy
}

async fn ctl(bus: &TestBus, exe: &Path, user: User, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["--bus-address", bus.address(), "--json"];
    all.extend_from_slice(args);
    let ran = run_as(user, exe, &all).await;
    let json = serde_json::from_str(&ran.stdout).unwrap_or(Value::Null);
    (ran.code, json, ran.stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn airgapctl_reads_the_running_service_and_only_root_reloads() {
    if skip_unless_root() {
        return;
    }
    let bus = TestBus::start(BusPolicy::Shipped);
    let exe = airgapctl(&bus);
    let j = PrivateJournald::start("dbus-e2e");
    let mut d = Daemon::new("dbuse2e", j.socket(), Some(POLICY));
    d.extra_args = vec!["--bus".into(), bus.address().to_string()];
    d.start();

    for user in [User::Root, User::Nobody] {
        let (code, status, err) = ctl(&bus, &exe, user, &["status"]).await;
        assert_eq!(code, 0, "{user:?}: {err}");
        assert_eq!(status["air_gapped"], Value::Bool(true), "{status}");
        assert_eq!(status["policy"]["id"], "dbus-e2e", "{status}");
        assert_eq!(status["policy"]["serial"], 4, "{status}");
        let layers = status["layers"].as_array().unwrap();
        assert!(
            layers
                .iter()
                .any(|l| l["name"] == "cgroup-network" && l["state"] == "active"),
            "{status}"
        );
    }

    let (pid, err) = d.victim("exec 3<>/dev/tcp/127.0.0.1/9", true);
    assert!(err.contains("Operation not permitted"), "{err}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, v, _) = ctl(&bus, &exe, User::Nobody, &["violations"]).await;
        let seen = v
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e["pid"] == pid));
        if seen {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "violation of pid {pid} never listed: {v}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    write_policy(&d.policy, &POLICY.replace("serial = 4", "serial = 5"));
    let (code, _, err) = ctl(&bus, &exe, User::Nobody, &["policy", "reload"]).await;
    assert_eq!(code, 4, "nobody must be refused a reload: {err}");
    let (code, _, err) = ctl(&bus, &exe, User::Root, &["policy", "reload"]).await;
    assert_eq!(code, 0, "root reloads: {err}");
    let (_, status, _) = ctl(&bus, &exe, User::Nobody, &["status"]).await;
    assert_eq!(status["policy"]["serial"], 5, "{status}");
}
