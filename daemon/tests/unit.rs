//! Issue 5: the shipped systemd unit is one systemd itself accepts without a single warning,
//! and it has the properties the service depends on.

use std::path::PathBuf;
use std::process::Command;

const UNIT: &str = include_str!("../../systemd/airgapd.service");

/// `systemd-analyze verify` on `text` (with ExecStart pointing at the built binary); stderr.
fn verify(text: &str, name: &str) -> String {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(
        &path,
        text.replace("/usr/sbin/airgapd", env!("CARGO_BIN_EXE_airgapd")),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output();
    let _ = std::fs::remove_file(&path);
    let out = out.expect("systemd-analyze (Debian package systemd)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn systemd_accepts_the_unit_without_warnings() {
    assert_eq!(verify(UNIT, "airgapd.service"), "");
    // The check can fail: a misspelt value is reported.
    let broken = UNIT.replace("Type=notify", "Type=notifyy");
    assert!(verify(&broken, "airgapd-broken.service").contains("Failed to parse service type"));
}

#[test]
fn the_unit_starts_before_any_network_and_is_hardened() {
    for line in [
        "Type=notify",
        "Before=network-pre.target sysinit.target shutdown.target",
        "Wants=network-pre.target",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "WatchdogSec=30s",
        "OOMScoreAdjust=-1000",
        "UMask=0077",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "RestrictAddressFamilies=AF_UNIX AF_NETLINK",
    ] {
        assert!(UNIT.lines().any(|l| l == line), "missing: {line}");
    }
    let caps = UNIT
        .lines()
        .find(|l| l.starts_with("CapabilityBoundingSet="))
        .unwrap();
    assert!(
        !caps.contains("CAP_SYS_MODULE") && !caps.contains("CAP_SYS_RAWIO"),
        "{caps}"
    );
}
