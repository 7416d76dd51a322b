//! airgapctl commands that need no daemon: `policy check` and `doctor`.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

const CTL: &str = env!("CARGO_BIN_EXE_airgapctl");

fn policy_file(name: &str, text: &str, mode: u32) -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("ctl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

fn ctl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(CTL)
        .args(args)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap();
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        s(&out.stdout),
        s(&out.stderr),
    )
}

#[test]
fn policy_check_names_file_line_column_and_field() {
    let bad = policy_file(
        "bad.toml",
        "[network]\nloopback = true\n\n[[media]]\nname = \"x\"\nvendor_id = \"09X1\"\naccess = \"read-only\"\n",
        0o644,
    );
    let (code, _, err) = ctl(&["policy", "check", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    let want = format!(
        "{}:6:13: media[0].vendor_id: \"09X1\" is not a USB id",
        bad.display()
    );
    assert!(err.contains(&want), "{err}");

    let reference = concat!(env!("CARGO_MANIFEST_DIR"), "/../packaging/policy.toml");
    let (code, out, err) = ctl(&["policy", "check", reference]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("valid (serial"), "{out}");

    // Without a file: the installed policy, named in the answer (valid or not, or missing).
    let (_, out, err) = ctl(&["policy", "check"]);
    assert!(
        (out + &err).contains("/etc/airgapd/policy.toml"),
        "policy check without a file must check the installed one"
    );
}

#[test]
fn policy_check_refuses_a_file_others_may_write() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: the ownership check wants a root-owned file");
        return;
    }
    let open = policy_file("open.toml", "[network]\nloopback = true\n", 0o666);
    let (code, out, _) = ctl(&["--json", "policy", "check", open.to_str().unwrap()]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["valid"], false);
    assert!(
        report["errors"][0].as_str().unwrap().contains("chmod"),
        "{report}"
    );
}

#[test]
fn doctor_reports_every_check_as_json() {
    let (code, out, err) = ctl(&["--json", "doctor"]);
    assert!(code == 0 || code == 1, "{err}");
    let checks: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = checks
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for want in [
        "cgroup v2",
        "bpffs",
        "BTF",
        "BPF LSM",
        "USB authorization",
        "read-only media",
        "socket families",
    ] {
        assert!(names.contains(&want), "{names:?}");
    }
    // Issue 17: where BPF LSM does not load (this machine), doctor names the routes to writing
    // a read-only medium that the kernel cannot refuse.
    let ro = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "read-only media")
        .unwrap();
    let lsm = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "BPF LSM")
        .unwrap();
    // Layer 5f: a gap is named with its fix.
    let families = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "socket families")
        .unwrap();
    if families["status"] == "warn" {
        let detail = families["detail"].as_str().unwrap();
        assert!(detail.contains("vsock"), "{families}");
        assert!(families["fix"].is_string(), "{families}");
    }
    if lsm["status"] != "ok" {
        assert_eq!(ro["status"], "warn", "{ro}");
        let detail = ro["detail"].as_str().unwrap();
        assert!(
            detail.contains("blockdev --setrw") && detail.contains("SG_IO"),
            "{ro}"
        );
    }
}

/// Issue 17: `policy import-usbguard` on the fixture that uses every construct of
/// usbguard-rules.conf(5): the golden policy on stdout, each construct not honoured on stderr
/// with its line and column, exit 0; the written file passes `policy check`.
#[test]
fn import_usbguard_prints_the_golden_policy_and_lists_what_it_drops() {
    let fixtures = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../policy/tests/fixtures/usbguard"
    );
    let out = Command::new(CTL)
        .args(["policy", "import-usbguard", "all.rules"])
        .current_dir(fixtures)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let golden = std::fs::read_to_string(format!("{fixtures}/all.toml")).unwrap();
    assert_eq!(stdout, golden);
    let notes = std::fs::read_to_string(format!("{fixtures}/all.notes")).unwrap();
    // Each note is wrapped to 80 columns (issue 18): compare the words.
    let flat = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let said: Vec<String> = stderr.split("all.rules:").map(flat).collect();
    for note in notes.lines() {
        let (position, why) = note.split_once(": ").unwrap();
        let want = flat(&format!("{position}: not honoured: {why}"));
        assert!(said.contains(&want), "missing {want:?} in:\n{stderr}");
    }

    let written = policy_file("imported.toml", "old", 0o644);
    let rules = format!("{fixtures}/all.rules");
    let (code, out, err) = ctl(&[
        "policy",
        "import-usbguard",
        &rules,
        "--read-write",
        "--out",
        written.to_str().unwrap(),
    ]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let text = std::fs::read_to_string(&written).unwrap();
    assert_eq!(text.matches("access = \"read-write\"").count(), 6, "{text}");
    let (code, out, err) = ctl(&["policy", "check", written.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
}

/// Issue 17: a rule USBGuard would refuse makes the import fail with its line and column, exit
/// 1, and nothing is written (an existing --out file is left as it was).
#[test]
fn import_usbguard_refuses_malformed_rules_and_writes_nothing() {
    let rules = policy_file(
        "bad.rules",
        "allow id 0951:1666 serial \"S\" with-interface 08:06:50\n\
         allow with-interface { 08:*:06 }\n\
         allow id 0951:1666 id 0951:1667\n",
        0o644,
    );
    let kept = policy_file("kept.toml", "old", 0o644);
    let (code, out, err) = ctl(&[
        "policy",
        "import-usbguard",
        rules.to_str().unwrap(),
        "--out",
        kept.to_str().unwrap(),
    ]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    let name = rules.display();
    // Wrapped to 80 columns (issue 18): compare the words.
    let flat = err.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(&format!("{name}:2:24: a protocol needs a subclass")),
        "{err}"
    );
    assert!(
        flat.contains(&format!("{name}:3:20: the id attribute is already given")),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "old");

    let (code, out, _) = ctl(&["policy", "import-usbguard", rules.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (1, ""));
    let (code, _, err) = ctl(&["policy", "import-usbguard", "/nonexistent/rules.conf"]);
    assert_eq!(code, 1, "{err}");
}

/// `airgapctl doctor | head -n 1`: the reader leaves early; airgapctl ends quietly (SIGPIPE),
/// never with a panic on the officer's terminal.
#[test]
fn a_reader_that_leaves_early_gets_no_panic() {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{CTL}' doctor | head -c 1 >/dev/null; '{CTL}' --help | head -c 1 >/dev/null"
        ))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("Broken pipe"), "{err}");
}
