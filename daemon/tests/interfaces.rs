//! Issue 23: no interface carries frames before the interface programs are on it. The daemon
//! runs in a network namespace the test made (`--cover-interfaces`), never the machine's.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use airgapd::journal::MessageId;
use common::daemon::{id, m, text, Daemon};
use common::journald::{skip_unless_root, PrivateJournald};

const POLICY: &str = "[meta]\nid = \"interfaces-test\"\nserial = 1\n[network]\nloopback = true\n";

fn ip(args: &[&str]) {
    let st = Command::new("ip").args(args).status().expect("running ip");
    assert!(st.success(), "ip {args:?}");
}

/// A namespace of the test's, deleted on drop.
struct Ns(String);

impl Ns {
    fn new(tag: &str) -> Ns {
        let ns = Ns(format!("airgapd-{tag}-{}", std::process::id()));
        ip(&["netns", "add", &ns.0]);
        ip(&["-n", &ns.0, "link", "set", "lo", "up"]);
        ns
    }

    fn path(&self) -> String {
        format!("/run/netns/{}", self.0)
    }

    /// Whether `name` is administratively up.
    fn is_up(&self, name: &str) -> bool {
        let out = Command::new("ip")
            .args(["-n", &self.0, "-o", "link", "show", name])
            .output()
            .expect("ip link show");
        let line = String::from_utf8_lossy(&out.stdout).to_string();
        let flags = line
            .split(['<', '>'])
            .nth(1)
            .unwrap_or_default()
            .to_string();
        flags.split(',').any(|f| f == "UP")
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// An interface up before the daemon starts is covered before READY, and not held down (a
/// restart must not bounce the machine's interfaces). One that appears already up (created with
/// `up` in one request, so rtnetlink first reports it up) is held down by the links thread until
/// its programs are attached, then brought up again, and the record says so. (Before the
/// hold-down, no record said AIRGAP_HELD_DOWN and the interface stayed up uncovered until the
/// main loop reached it; before covering at start, the pin appeared only after READY.)
#[test]
fn interfaces_never_carry_frames_before_their_programs() {
    if skip_unless_root() {
        return;
    }
    let ns = Ns::new("hold");
    ip(&[
        "-n", &ns.0, "link", "add", "pre0", "type", "veth", "peer", "name", "pre1",
    ]);
    ip(&["-n", &ns.0, "link", "set", "pre0", "up"]);
    let mut j = PrivateJournald::start("hold");
    let mut d = Daemon::new("hold", j.socket(), Some(POLICY));
    d.netns = Some(ns.path().into());
    d.extra_args = vec!["--bus".into(), "none".into(), "--cover-interfaces".into()];
    d.start();
    let pin = |name: &str| d.pin_dir.join(format!("link_airgap_wire_egress_{name}"));
    assert!(pin("pre0").exists(), "pre0 was not covered before READY");
    assert!(ns.is_up("pre0"));

    ip(&[
        "-n", &ns.0, "link", "add", "name", "late0", "up", "type", "veth", "peer", "name", "late1",
    ]);
    let held = j.wait_until("late0's record", |j| {
        j.query(&[
            id(MessageId::EnforcementState),
            m("AIRGAP_INTERFACE", "late0"),
        ])
        .into_iter()
        .next()
    });
    assert_eq!(text(&held, "AIRGAP_HELD_DOWN"), "1", "{held:?}");
    assert!(text(&held, "MESSAGE").contains("held down for"), "{held:?}");
    // The officer's language says it too.
    let vi = text(&held, "AIRGAP_SUMMARY_VI");
    assert!(vi.contains("late0") && vi.contains("bật lại"), "{vi}");
    assert!(pin("late0").exists());
    let t0 = Instant::now();
    while !ns.is_up("late0") {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "late0 was not brought up again"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let pre = j.query(&[
        id(MessageId::EnforcementState),
        m("AIRGAP_INTERFACE", "pre0"),
    ]);
    assert!(!pre.is_empty(), "pre0 has a record");
    assert!(
        pre.iter().all(|e| text(e, "AIRGAP_HELD_DOWN").is_empty()),
        "pre0, covered at start, must not have been held down: {pre:?}"
    );
    assert!(Path::new(&ns.path()).exists());
}
