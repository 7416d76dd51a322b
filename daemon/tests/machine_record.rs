//! Issue 19, the machine record: a scoped `airgapd service` started, given a new policy,
//! stopped and started again leaves two starts (with this boot's id and how long after boot
//! enforcement was ready), the policy change, the stop, in a chain that verifies; `airgapd
//! lift` adds the lift to the same chain; and `airgapctl inspect` reads it back from a root
//! holding it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use airgapd::journal::MessageId;
use airgapd::machine_record::Entry;
use common::daemon::{entry, id, m, text, write_policy, Daemon};
use common::journald::{skip_unless_root, PrivateJournald};

const CTL: &str = env!("CARGO_BIN_EXE_airgapctl");
const STRICT: &str = "[meta]\nid = \"mrec-test\"\nserial = 7\n[network]\nloopback = false\n";
const LOOPBACK: &str = "[meta]\nid = \"mrec-test\"\nserial = 8\n[network]\nloopback = true\n";

fn sha256(path: &Path) -> String {
    airgapd_policy::load(path)
        .unwrap()
        .policy
        .sha256()
        .to_string()
}

/// The record's entries once `done` holds for them (the daemon writes off its loop), bounded.
fn wait_entries(path: &Path, done: impl Fn(&[Entry]) -> bool) -> Vec<Entry> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let entries = airgapd::chain::read::<Entry>(path).unwrap_or_default();
        if done(&entries) {
            return entries;
        }
        assert!(Instant::now() < deadline, "machine record: {entries:#?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The events, the day's summaries left out (device decisions at start may add some).
fn events(entries: &[Entry]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e.event.as_str())
        .filter(|e| *e != "summary")
        .collect()
}

/// `systemctl stop` right after start: a SIGTERM sent the moment the daemon says READY=1 ends
/// it cleanly (exit 0) with its stop line, every time. Before, READY and the start line went out
/// before the signal handlers existed, so such a SIGTERM killed it by the default action: no
/// stop line, as after a crash (found when the test above lost its second stop line once).
#[test]
fn a_stop_the_moment_it_is_ready_is_recorded() {
    if skip_unless_root() {
        return;
    }
    let j = PrivateJournald::start("mrec-stop");
    let mut d = Daemon::new("mrec-stop", j.socket(), Some(STRICT));
    let path = d.machine_record.clone();
    for round in 1..=5 {
        d.start();
        d.signal(nix::sys::signal::Signal::SIGTERM);
        let status = d.wait_for_exit(Duration::from_secs(15));
        assert!(
            status.is_some_and(|s| s.success()),
            "round {round}: SIGTERM right after READY=1 must end the daemon cleanly: {status:?}"
        );
        let entries = wait_entries(&path, |e| events(e).len() >= 2 * round);
        assert_eq!(
            events(&entries).last(),
            Some(&"stop"),
            "round {round}: {entries:#?}"
        );
    }
}

#[test]
fn starts_policy_changes_and_stops_are_recorded_in_a_chain_that_verifies() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("mrec");
    let mut d = Daemon::new("mrec", j.socket(), Some(STRICT));
    let path = d.machine_record.clone();
    assert!(!path.starts_with("/var/lib/airgapd"));
    let strict_sha = sha256(&d.policy);
    d.start();
    wait_entries(&path, |e| !e.is_empty());
    // A refusal, counted in the day's summary written at stop.
    let (pid, err) = d.victim("exec 3<>/dev/tcp/127.0.0.1/9", true);
    assert!(err.contains("Operation not permitted"), "{err}");
    entry(
        &mut j,
        &[id(MessageId::NetworkViolation), m("AIRGAP_PID", pid)],
    );

    write_policy(&d.policy, LOOPBACK);
    let loopback_sha = sha256(&d.policy);
    d.signal(nix::sys::signal::Signal::SIGHUP);
    entry(
        &mut j,
        &[
            id(MessageId::PolicyLoaded),
            m("AIRGAP_POLICY_SHA256", &loopback_sha),
        ],
    );
    d.signal(nix::sys::signal::Signal::SIGTERM);
    d.wait();
    // The stop is on disk before the daemon exits, the day's summary before it.
    let first_run = airgapd::chain::read::<Entry>(&path).unwrap();
    assert_eq!(events(&first_run), ["start", "policy", "stop"]);
    let summary = &first_run[first_run.len() - 2];
    assert_eq!(summary.event, "summary", "{first_run:#?}");
    assert!(
        summary.refusals.as_ref().unwrap()["net.create"] >= 1,
        "{summary:?}"
    );
    assert_eq!(
        summary.day.as_deref(),
        Some(airgapd::machine_record::utc_day(summary.time_us).as_str())
    );
    d.start();
    wait_entries(&path, |e| {
        e.iter().filter(|e| e.event == "start").count() == 2
    });
    d.signal(nix::sys::signal::Signal::SIGTERM);
    d.wait();
    let all = airgapd::chain::read::<Entry>(&path).unwrap();
    assert_eq!(
        events(&all),
        ["start", "policy", "stop", "start", "stop"],
        "{all:#?}"
    );

    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .unwrap()
        .trim()
        .replace('-', "");
    for (i, e) in all.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1);
        assert_eq!(e.boot_id, boot, "{e:?}");
    }
    let events_only: Vec<&Entry> = all.iter().filter(|e| e.event != "summary").collect();
    let (first, policy, second) = (events_only[0], events_only[1], events_only[3]);
    assert_eq!(first.policy_sha256.as_deref(), Some(strict_sha.as_str()));
    assert_eq!(first.policy_serial, Some(7));
    assert_eq!(first.policy_id.as_deref(), Some("mrec-test"));
    assert!(
        first.ready_after_boot_ms.is_some_and(|ms| ms > 0),
        "{first:?}"
    );
    assert!(first.mode.as_deref().unwrap().starts_with("scoped:"));
    assert_eq!(policy.policy_serial, Some(8));
    assert_eq!(policy.policy_sha256.as_deref(), Some(loopback_sha.as_str()));
    assert_eq!(second.policy_serial, Some(8));
    assert!(second.time_us >= first.time_us);
    let records = all.len() as u64;
    assert_eq!(
        airgapd::chain::verify::<Entry>(&path).unwrap().records,
        records
    );
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o640);

    // A lift is recorded by `airgapd lift` itself, continuing the same chain.
    let status = Command::new(common::daemon::AIRGAPD)
        .args(["lift", "--yes", "--pin-dir"])
        .arg(&d.pin_dir)
        .arg("--journal-socket")
        .arg(&d.journal)
        .arg("--record")
        .arg(&d.record)
        .arg("--machine-record")
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    let all = airgapd::chain::read::<Entry>(&path).unwrap();
    let lift = all.last().unwrap();
    assert_eq!(lift.event, "lift", "{all:#?}");
    assert!(
        lift.detail.as_deref().unwrap().contains("links"),
        "{lift:?}"
    );
    let v = airgapd::chain::verify::<Entry>(&path).unwrap();
    assert_eq!(v.records, records + 1);
    // Every line has its copy in the journal: the last one's chain is the file's chain head,
    // which is what shows lines cut from the end.
    let last = entry(
        &mut j,
        &[
            id(MessageId::MachineRecord),
            m("AIRGAP_MACHINE_RECORD_SEQ", records + 1),
        ],
    );
    assert_eq!(text(&last, "AIRGAP_MACHINE_RECORD_CHAIN"), v.last_chain);
    assert_eq!(text(&last, "AIRGAP_MACHINE_RECORD_EVENT"), "lift");
    for seq in 1..=records {
        entry(
            &mut j,
            &[
                id(MessageId::MachineRecord),
                m("AIRGAP_MACHINE_RECORD_SEQ", seq),
            ],
        );
    }

    // airgapctl inspect reads it back from a root holding it, chain head and all.
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("mrec-root-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("var/lib/airgapd")).unwrap();
    std::fs::copy(&path, root.join("var/lib/airgapd/machine-record.jsonl")).unwrap();
    let out = Command::new(CTL)
        .args(["--json", "inspect", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let since = &r["since_airgapd"];
    assert_eq!(since["verified"], true, "{since:#}");
    assert_eq!(since["records"], records + 1);
    assert_eq!(since["last_chain"], v.last_chain.as_str());
    let _ = std::fs::remove_dir_all(&root);
}
