//! Issue 5: `airgapd service` end to end on this kernel, scoped to a test cgroup: records reach
//! a real journald with their fields, a bad policy at boot or on reload never opens anything,
//! and enforcement outlives a SIGKILLed daemon, whose successor adopts the pinned links.

mod common;

use std::path::Path;
use std::process::Command;

use airgapd::journal::MessageId;
use common::daemon::{entry, id, m, text, write_policy, Daemon, AIRGAPD};
use common::journald::{skip_unless_root, PrivateJournald};

fn sha256(path: &Path) -> String {
    airgapd_policy::load(path)
        .unwrap()
        .policy
        .sha256()
        .to_string()
}

const STRICT: &str = "[meta]\nid = \"svc-test\"\nserial = 7\n[network]\nloopback = false\n";
const LOOPBACK: &str = "[meta]\nid = \"svc-test\"\nserial = 8\n[network]\nloopback = true\n";
const TCP_LOCAL: &str = "exec 3<>/dev/tcp/127.0.0.1/9";
const TCP_REMOTE: &str = "exec 3<>/dev/tcp/93.184.216.34/443";
/// Sockets in a loop for 3 s (two or three of the daemon's 1 s windows), then how many were
/// tried: every one must be refused, which the kernel's count says.
const STORM: &str = "n=0; end=$((SECONDS + 3)); while [ $SECONDS -lt $end ]; do \
    { exec 3<>/dev/tcp/127.0.0.1/9; } 2>/dev/null; n=$((n + 1)); done; echo \"tried=$n\" >&2";

/// The kernel's counters of the daemon's pins: (denied, lost, folded), every kind and CPU.
fn counted(pin_dir: &Path) -> (u64, u64, u64) {
    use airgapd_ebpf::abi;
    use aya::maps::{Map, MapData, PerCpuArray};
    let map = MapData::from_pin(pin_dir.join(format!("map_{}", abi::MAP_COUNTERS))).unwrap();
    let counters =
        PerCpuArray::<MapData, abi::airgap_counter>::try_from(Map::PerCpuArray(map)).unwrap();
    (0..abi::AIRGAP_KIND_COUNT).fold((0, 0, 0), |(d, l, f), k| {
        counters
            .get(&k, 0)
            .unwrap()
            .iter()
            .fold((d, l, f), |(d, l, f), c| {
                (d + c.denied, l + c.lost, f + c.folded)
            })
    })
}

#[test]
fn service_records_reloads_and_outlives_sigkill() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("svc");
    let mut d = Daemon::new("svc", j.socket(), Some(STRICT));
    d.start();
    let sha = sha256(&d.policy);

    // A refusal reaches the journal with its structured fields.
    let (pid, err) = d.victim(TCP_LOCAL, true);
    assert!(err.contains("Operation not permitted"), "{err}");
    let e = entry(
        &mut j,
        &[id(MessageId::NetworkViolation), m("AIRGAP_PID", pid)],
    );
    assert_eq!(text(&e, "AIRGAP_KIND"), "net.create");
    assert_eq!(text(&e, "AIRGAP_COMM"), "bash");
    assert_eq!(text(&e, "AIRGAP_UID"), "0");
    assert_eq!(text(&e, "AIRGAP_ACTION"), "deny");
    assert_eq!(text(&e, "AIRGAP_POLICY_SHA256"), sha);
    assert_eq!(text(&e, "PRIORITY"), "4");
    let loaded = entry(
        &mut j,
        &[id(MessageId::PolicyLoaded), m("AIRGAP_POLICY_SHA256", &sha)],
    );
    assert_eq!(text(&loaded, "AIRGAP_POLICY_SERIAL"), "7");

    // SIGKILL: the pinned programs keep enforcing with nobody watching.
    d.signal(nix::sys::signal::Signal::SIGKILL);
    d.wait();
    let (unwatched, err) = d.victim(TCP_LOCAL, true);
    assert!(
        err.contains("Operation not permitted"),
        "after SIGKILL: {err}"
    );

    // The next daemon adopts every pinned link and reports what happened meanwhile.
    d.start();
    let started = j.query(&[id(MessageId::DaemonStarted)]);
    assert!(
        started
            .iter()
            .any(|e| text(e, "MESSAGE").contains("adopted 11 pinned links")),
        "{started:?}"
    );
    entry(
        &mut j,
        &[id(MessageId::NetworkViolation), m("AIRGAP_PID", unwatched)],
    );

    // An invalid policy on reload is refused, with its line; the old one stays in force.
    write_policy(&d.policy, "[network]\nloopback = maybe\n");
    d.signal(nix::sys::signal::Signal::SIGHUP);
    let rejected = entry(&mut j, &[id(MessageId::PolicyRejected)]);
    assert!(
        text(&rejected, "MESSAGE").contains("policy.toml:2:"),
        "{rejected:?}"
    );
    assert_eq!(text(&rejected, "PRIORITY"), "3");
    let (_, err) = d.victim(TCP_LOCAL, true);
    assert!(
        err.contains("Operation not permitted"),
        "after a refused reload: {err}"
    );

    // A valid one replaces it: loopback opens, the rest stays refused.
    write_policy(&d.policy, LOOPBACK);
    d.signal(nix::sys::signal::Signal::SIGHUP);
    entry(
        &mut j,
        &[id(MessageId::PolicyLoaded), m("AIRGAP_POLICY_SERIAL", 8)],
    );
    let (_, err) = d.victim(TCP_LOCAL, true);
    assert!(
        err.contains("Connection refused"),
        "loopback after reload: {err}"
    );
    let (_, err) = d.victim(TCP_REMOTE, true);
    assert!(
        err.contains("Operation not permitted"),
        "remote after reload: {err}"
    );

    // Stopping the service does not lift enforcement; `airgapd lift` does, and is recorded.
    d.signal(nix::sys::signal::Signal::SIGTERM);
    d.wait();
    entry(&mut j, &[id(MessageId::DaemonStopped)]);
    let (_, err) = d.victim(TCP_REMOTE, true);
    assert!(err.contains("Operation not permitted"), "after stop: {err}");
    let lifted = Command::new(AIRGAPD)
        .args(["lift", "--yes", "--pin-dir"])
        .arg(&d.pin_dir)
        .arg("--journal-socket")
        .arg(&d.journal)
        .arg("--record")
        .arg(&d.record)
        .status()
        .unwrap();
    assert!(lifted.success());
    let alert = entry(&mut j, &[id(MessageId::EnforcementLifted)]);
    assert_eq!(text(&alert, "PRIORITY"), "1");
    let (_, err) = d.victim(TCP_REMOTE, true);
    assert!(
        err.contains("Network is unreachable"),
        "after lift only the empty netns stops it: {err}"
    );
}

#[test]
fn missing_policy_at_boot_enforces_the_builtin_strict_policy() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("svc-missing");
    let mut d = Daemon::new("svcmissing", j.socket(), None);
    d.start();
    let rejected = entry(&mut j, &[id(MessageId::PolicyRejected)]);
    assert_eq!(text(&rejected, "PRIORITY"), "3");
    assert!(
        text(&rejected, "MESSAGE").contains("built-in strict policy"),
        "{rejected:?}"
    );
    // Built-in strict: not even loopback.
    let (_, err) = d.victim(TCP_LOCAL, true);
    assert!(err.contains("Operation not permitted"), "{err}");
}

/// Issue 6: a policy file older than the highest serial ever applied (a replayed file) is not
/// enforced at boot either: the built-in strict policy is, and the refusal says why.
#[test]
fn a_replayed_policy_at_boot_falls_back_to_the_strict_policy() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("svc-replay");
    let mut d = Daemon::new("svcreplay", j.socket(), Some(LOOPBACK));
    // The anti-rollback counter next to a non-production policy file: serial 9 was applied.
    let counter = d.policy.with_extension("toml.serial");
    write_policy(&counter, &format!("serial=9\nsha256={}\n", "0".repeat(64)));
    d.start();
    let rejected = entry(&mut j, &[id(MessageId::PolicyRejected)]);
    assert!(
        text(&rejected, "MESSAGE").contains("older than"),
        "{rejected:?}"
    );
    let (_, err) = d.victim(TCP_LOCAL, true);
    assert!(
        err.contains("Operation not permitted"),
        "the strict policy refuses even loopback: {err}"
    );
}

/// A loop of refusals is folded into one record per second per process, and the records count
/// it exactly: a record stands for itself and `AIRGAP_REPEATS` more, so the sum of
/// 1 + AIRGAP_REPEATS over the loop's records is what the loop was refused and the kernel
/// counted (less what the kernel counted lost), never more. Before the fix each summary said
/// one too many: its own event was counted in AIRGAP_REPEATS and again as the record.
/// Issue 23: the kernel folds the loop itself (one event per window crosses the ring buffer,
/// carrying the count), and the records still add up to every refusal.
#[test]
fn a_storm_of_refusals_is_counted_exactly() {
    if skip_unless_root() {
        return;
    }
    let j = PrivateJournald::start("storm");
    let mut d = Daemon::new("storm", j.socket(), Some(STRICT));
    d.start();
    let before = counted(&d.pin_dir);
    let (pid, err) = d.victim(STORM, true);
    let tried: u64 = err
        .trim()
        .rsplit("tried=")
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count: {err}"));
    let after = counted(&d.pin_dir);
    let (denied, lost, folded) = (after.0 - before.0, after.1 - before.1, after.2 - before.2);
    assert_eq!(
        denied, tried,
        "every socket the loop tried was refused and counted"
    );
    // Issue 23: the kernel folds the loop; about one event per second crosses the ring buffer
    // (the daemon read every refusal before: thousands, and lost some).
    let sent = denied - lost - folded;
    assert!(
        sent <= 8 && lost == 0,
        "{denied} refused in 3 s: {sent} sent, {lost} lost, {folded} folded in the kernel"
    );
    let total = |j: &PrivateJournald| -> (u64, usize) {
        let records = j.query(&[id(MessageId::NetworkViolation), m("AIRGAP_PID", pid)]);
        let sum = records
            .iter()
            .map(|e| 1 + text(e, "AIRGAP_REPEATS").parse::<u64>().unwrap_or(0))
            .sum();
        (sum, records.len())
    };
    // Waited for as `wait_until` does, saying on failure what the records stand for and what
    // the daemon recorded as lost to them (a full CI run timed out here once, 2026-12-07
    // 22:49 UTC, not seen in nine runs after it; this says which count fell short).
    let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while total(&j).0 < tried - lost {
        if std::time::Instant::now() > end {
            let said_lost: Vec<String> = j
                .query(&[id(MessageId::EventsLost)])
                .iter()
                .map(|e| text(e, "MESSAGE"))
                .collect();
            panic!(
                "the loop's records stand for {} of {tried} refused ({lost} lost in the ring \
                 buffer, {folded} folded in the kernel); EventsLost records: {said_lost:?}",
                total(&j).0
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Whatever would come after (a summary written late) comes within the next window.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let (shown, records) = total(&j);
    assert!(
        records >= 2,
        "the loop spans windows: a first record and summaries ({records})"
    );
    assert!(
        records <= 5,
        "one record per second at most ({records} for 3 s)"
    );
    assert_eq!(
        shown + lost,
        denied,
        "records stand for {shown}, {lost} lost, {denied} refused ({records} records)"
    );
}

/// A crowd: a user starts 2000 processes that are each refused once (bash subshells opening
/// /dev/tcp, a few seconds of forks). Each process had a record of its own: 2000 records, and
/// the journal's rate limit (10 000 per 30 s and service by default) is reached by a few such
/// loops, after which it drops every record of the daemon's. Now at most `CROWD` (16)
/// processes of a user have records of their own at once, the rest are counted under the
/// user; and the records still add up to every refusal.
#[test]
fn a_crowd_of_processes_refused_once_each_is_folded_by_its_user() {
    if skip_unless_root() {
        return;
    }
    const PROCESSES: u64 = 2000;
    let mut j = PrivateJournald::start("crowd");
    let mut d = Daemon::new("crowd", j.socket(), Some(STRICT));
    d.start();
    let before = counted(&d.pin_dir);
    let (_, err) = d.victim(
        &format!(
            "for i in $(seq {PROCESSES}); do ( exec 3<>/dev/tcp/127.0.0.1/9 ) 2>/dev/null & \
             done; wait"
        ),
        true,
    );
    assert_eq!(err, "");
    let after = counted(&d.pin_dir);
    let (denied, lost) = (after.0 - before.0, after.1 - before.1);
    assert_eq!(denied, PROCESSES, "each process was refused once");
    let total = |j: &PrivateJournald| -> (u64, Vec<_>) {
        let records = j.query(&[id(MessageId::NetworkViolation), m("AIRGAP_UID", 0)]);
        let sum = records
            .iter()
            .map(|e| 1 + text(e, "AIRGAP_REPEATS").parse::<u64>().unwrap_or(0))
            .sum();
        (sum, records)
    };
    j.wait_until("the crowd's records", |j| {
        (total(j).0 + lost >= denied).then_some(())
    });
    // A summary of the user's window comes within the next second.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let (shown, records) = total(&j);
    assert_eq!(
        shown + lost,
        denied,
        "records stand for {shown}, {lost} lost, {denied} refused ({} records)",
        records.len()
    );
    let by_user = records
        .iter()
        .filter(|e| text(e, "AIRGAP_FOLDED_BY") == "user")
        .count();
    assert!(
        records.len() <= 300,
        "{} records for {PROCESSES} processes ({by_user} by user)",
        records.len()
    );
    assert!(by_user >= 1, "no record counted by user");
    // The officer reads what such a record counts, in Vietnamese too.
    let crowd = records
        .iter()
        .find(|e| text(e, "AIRGAP_FOLDED_BY") == "user")
        .unwrap();
    assert!(
        text(crowd, "AIRGAP_SUMMARY_VI").contains("các tiến trình khác của uid 0"),
        "{crowd:?}"
    );
    assert!(
        text(crowd, "MESSAGE").contains("other processes of uid 0"),
        "{crowd:?}"
    );
}

/// Issue 23: an idle daemon's copy register worker waits for a job without a timer (it woke
/// every 100 ms). Counted from the thread's schedstat: the times it was switched in.
#[test]
fn the_register_worker_of_an_idle_daemon_does_not_wake() {
    if skip_unless_root() {
        return;
    }
    let j = PrivateJournald::start("idle");
    let mut d = Daemon::new("idle", j.socket(), Some(STRICT));
    d.start();
    let task = std::fs::read_dir(format!("/proc/{}/task", d.pid()))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|t| {
            std::fs::read_to_string(t.join("comm")).is_ok_and(|c| c.trim() == "airgapd-registe")
        })
        .expect("the register worker thread");
    let switched_in = || -> u64 {
        let s = std::fs::read_to_string(task.join("schedstat")).unwrap();
        s.split_whitespace().nth(2).unwrap().parse().unwrap()
    };
    // Whatever the start handed it (the first sync) is done within a second.
    std::thread::sleep(std::time::Duration::from_secs(1));
    let before = switched_in();
    std::thread::sleep(std::time::Duration::from_secs(2));
    let woke = switched_in() - before;
    assert!(woke <= 1, "woke {woke} times in 2 s with nothing to do");
    drop(j);
}
