//! Issue 14: `airgapctl status` is answered in every state (daemon running, stopped with its
//! pins, partly detached, lifted), as root (from the kernel) and as uid 65534 (from the
//! record), with its documented exit codes; and `airgapd lift` means lift.

mod common;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use airgapd::journal::MessageId;
use common::daemon::{entry, id, text, Daemon, AIRGAPD};
use common::journald::{skip_unless_root, PrivateJournald};
use nix::sys::signal::Signal;
use serde_json::Value;

const CTL: &str = env!("CARGO_BIN_EXE_airgapctl");
const STRICT: &str = "[meta]\nid = \"state-test\"\nserial = 3\n[network]\nloopback = false\n";
const TCP_LOCAL: &str = "exec 3<>/dev/tcp/127.0.0.1/9";
const NOBODY: u32 = 65534;

/// `airgapctl status --json` (and the text form, in English) for this daemon's pins and
/// record, as root or as nobody, with no D-Bus to reach: exit code, JSON, text.
fn status(d: &Daemon, record: &Path, nobody: bool) -> (i32, Value, String) {
    status_in(d, record, nobody, "C")
}

/// The screen in Vietnamese, the officer's language (as root).
fn screen_vi(d: &Daemon, record: &Path) -> String {
    status_in(d, record, false, "vi_VN.UTF-8").2
}

fn status_in(d: &Daemon, record: &Path, nobody: bool, locale: &str) -> (i32, Value, String) {
    let run = |json: bool| {
        let mut cmd = Command::new(CTL);
        cmd.env("LC_ALL", locale);
        cmd.args(["--bus-address", "unix:path=/nonexistent/airgapd-test-bus"]);
        if json {
            cmd.arg("--json");
        }
        cmd.arg("status")
            .arg("--pin-dir")
            .arg(&d.pin_dir)
            .arg("--record")
            .arg(record);
        if nobody {
            // SAFETY: only async-signal-safe syscalls between fork and exec.
            unsafe {
                cmd.pre_exec(|| {
                    if libc::setgroups(0, std::ptr::null()) != 0
                        || libc::setresgid(NOBODY, NOBODY, NOBODY) != 0
                        || libc::setresuid(NOBODY, NOBODY, NOBODY) != 0
                    {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        cmd.output().unwrap()
    };
    let out = run(true);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "status --json: {e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let screen = run(false);
    assert_eq!(screen.status.code(), out.status.code());
    (
        out.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&screen.stdout).into_owned(),
    )
}

fn lift(d: &Daemon) -> std::process::Output {
    Command::new(AIRGAPD)
        .args(["lift", "--yes", "--pin-dir"])
        .arg(&d.pin_dir)
        .arg("--journal-socket")
        .arg(&d.journal)
        .arg("--record")
        .arg(&d.record)
        .output()
        .unwrap()
}

#[test]
fn status_is_answered_in_every_state() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("state");
    let mut d = Daemon::new("state", j.socket(), Some(STRICT));
    d.start();
    let record = d.record.clone();

    // Running: YES, from the kernel for root, from the record for nobody.
    for (nobody, source) in [(false, "kernel"), (true, "record")] {
        let (code, s, screen) = status(&d, &record, nobody);
        assert_eq!(code, 0, "nobody={nobody}: {s}");
        assert_eq!(s["verdict"], "yes", "{s}");
        assert_eq!(s["daemon"], "running", "{s}");
        assert_eq!(s["source"], source, "{s}");
        assert_eq!(s["policy"]["id"], "state-test", "{s}");
        assert!(screen.starts_with("AIR-GAPPED: YES"), "{screen}");
    }
    let vi = screen_vi(&d, &record);
    assert!(vi.starts_with("CÁCH LY MẠNG: CÓ."), "{vi}");
    assert!(vi.contains("Các lớp bảo vệ:"), "{vi}");
    assert!(vi.contains("chỉ cho các chương trình trong"), "{vi}");
    // The headline (wrapped under the answer) fits an 80-column terminal.
    let head: Vec<&str> = vi.lines().take_while(|l| !l.is_empty()).collect();
    assert!(head.iter().all(|l| l.chars().count() <= 80), "{vi}");

    // No answer from the daemon, no record, not root (pins closed): it cannot be told.
    let none = record.with_file_name("no-record.json");
    let (code, s, screen) = status(&d, &none, true);
    assert_eq!((code, &s["verdict"]), (5, &"unknown".into()), "{s}");
    assert!(screen.starts_with("AIR-GAPPED: CANNOT TELL"), "{screen}");

    // Stopped, pins enforcing: YES, and the screen says nothing is recorded.
    d.signal(Signal::SIGTERM);
    d.wait();
    for nobody in [false, true] {
        let (code, s, screen) = status(&d, &record, nobody);
        assert_eq!(code, 0, "{s}");
        assert_eq!(
            (&s["verdict"], &s["daemon"]),
            (&"yes".into(), &"stopped".into()),
            "{s}"
        );
        assert!(
            screen.contains("nothing is recorded until it starts again"),
            "{screen}"
        );
    }

    // Partly detached while stopped: root sees PARTIAL and which program; nobody can only
    // repeat the record, and says so.
    let pin = d.pin_dir.join("link_airgap_sendmsg4");
    let detached = Command::new("bpftool")
        .args(["link", "detach", "pinned"])
        .arg(&pin)
        .status()
        .unwrap();
    assert!(detached.success());
    // ... and the per-major device index rewritten (every SCSI disk open): the next start
    // rewrites it from the rules, so it must say what it found.
    let index = d.pin_dir.join("map_airgap_dev_major");
    let rewritten = Command::new("bpftool")
        .args(["map", "update", "pinned"])
        .arg(&index)
        .args([
            "key", "hex", "08", "00", "00", "00", "value", "hex", "07", "00", "00", "80",
        ])
        .status()
        .unwrap();
    assert!(rewritten.success());
    let (code, s, screen) = status(&d, &record, false);
    assert_eq!(code, 3, "{s}");
    assert_eq!(s["verdict"], "partial", "{s}");
    let problems = s["problems"].to_string();
    assert!(problems.contains("airgap_sendmsg4: detached"), "{s}");
    assert!(screen.starts_with("AIR-GAPPED: PARTIAL"), "{screen}");
    let vi = screen_vi(&d, &record);
    assert!(vi.starts_with("CÁCH LY MẠNG: MỘT PHẦN."), "{vi}");
    assert!(vi.contains("Bị thiếu hoặc bị thay đổi:"), "{vi}");
    assert!(vi.contains("ĐANG DỪNG"), "{vi}");
    let (_, s, screen) = status(&d, &record, true);
    assert_eq!(s["source"], "record", "{s}");
    assert!(
        screen.contains("only root can check the kernel"),
        "{screen}"
    );

    // The next daemon finds it at start, records it at alert priority, and repairs it.
    d.start();
    let t = entry(
        &mut j,
        &[
            id(MessageId::EnforcementTampered),
            "AIRGAP_OBJECT=cgroup-network".into(),
        ],
    );
    assert_eq!(text(&t, "PRIORITY"), "1");
    assert!(
        text(&t, "MESSAGE").contains("while airgapd was not running"),
        "{t:?}"
    );
    let t = entry(
        &mut j,
        &[
            id(MessageId::EnforcementTampered),
            "AIRGAP_OBJECT=airgap_dev_major (1 entries)".into(),
        ],
    );
    assert!(
        text(&t, "MESSAGE").contains("while airgapd was not running")
            && text(&t, "AIRGAP_AFTER") == "b 8:* = 0x80000007 (rules: 0x80000000)",
        "{t:?}"
    );
    let (code, s, _) = status(&d, &record, false);
    assert_eq!((code, &s["verdict"]), (0, &"yes".into()), "{s}");
    let tampering = s["tampering"].as_array().unwrap();
    assert!(
        tampering
            .iter()
            .any(|t| t["while_down"] == true
                && t["to"].as_str().unwrap().contains("airgap_sendmsg4")),
        "{s}"
    );

    // Lifted: NO, for everyone, with what was removed.
    d.signal(Signal::SIGTERM);
    d.wait();
    let out = lift(&d);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for nobody in [false, true] {
        let (code, s, screen) = status(&d, &record, nobody);
        assert_eq!(code, 3, "{s}");
        assert_eq!(s["verdict"], "no", "{s}");
        assert!(screen.starts_with("AIR-GAPPED: NO"), "{screen}");
        let vi = screen_vi(&d, &record);
        assert!(vi.starts_with("CÁCH LY MẠNG: KHÔNG."), "{vi}");
        assert!(vi.contains("Đã gỡ bỏ:"), "{vi}");
        if nobody {
            assert!(
                s["lifted"]["removed"].to_string().contains("11 links"),
                "{s}"
            );
        }
    }
}

#[test]
fn lift_refuses_under_a_running_service_and_alerts_only_once_gone() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("lift");
    let mut d = Daemon::new("lift", j.socket(), Some(STRICT));
    d.start();

    // With the service running, lift refuses and says how to stop it; nothing changes.
    let out = lift(&d);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "lift under a running daemon: {err}");
    assert!(err.contains(&format!("kill -TERM {}", d.pid())), "{err}");
    assert!(d.pin_dir.join("link_airgap_dev").exists());
    let (_, err) = d.victim(TCP_LOCAL, true);
    assert!(err.contains("Operation not permitted"), "{err}");
    assert!(j.query(&[id(MessageId::EnforcementLifted)]).is_empty());
    // The tamper check running on every tick finds nothing in the daemon's own changes.
    assert!(j.query(&[id(MessageId::EnforcementTampered)]).is_empty());

    // Stopped: lift works; the alert states what was removed, and by then nothing enforces.
    d.signal(Signal::SIGTERM);
    d.wait();
    let out = lift(&d);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, err) = d.victim(TCP_LOCAL, true);
    assert!(
        !err.contains("Operation not permitted")
            && (err.contains("Connection refused") || err.contains("Network is unreachable")),
        "after lift: {err}"
    );
    let alert = entry(&mut j, &[id(MessageId::EnforcementLifted)]);
    assert_eq!(text(&alert, "PRIORITY"), "1");
    let message = text(&alert, "MESSAGE");
    assert!(message.contains("11 links (airgap_bind4"), "{message}");
    assert!(message.contains("maps (airgap_config"), "{message}");
    assert!(!d.pin_dir.exists());
}
