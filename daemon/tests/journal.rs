//! The journal sink against a real systemd-journald, no mocks: records of several kinds arrive
//! with every field (a multi-line value, a record large enough to need the memfd path, audit
//! records), and `journalctl -x` explains them from our catalog in English and Vietnamese.
//!
//! journald runs privately in its own mount namespace, see `tests/journal/private-journald.sh`
//! for how and why. Needs root (skipped otherwise) and the Debian packages `systemd` (journald,
//! journalctl, systemd-socket-activate), `util-linux` (unshare, mount) and `locales` (the
//! vi_VN source that `localedef` compiles into a private LOCPATH when the locale is not
//! installed).

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use airgapd::journal::{
    field, AuditRecord, JournalSocket, MessageId, Priority, Record, Sink, Transport,
};
use common::journald::*;
use serde_json::Value;

/// Asserts that `entry` holds every field of `record` plus `extra`, and came from this process.
fn assert_fields(entry: &BTreeMap<String, Value>, record: &Record, extra: &[(&str, &str)]) {
    let priority = record.priority.as_u8().to_string();
    let id = record.message_id.to_string();
    let mut expected: Vec<(&str, &str)> = vec![
        ("MESSAGE", &record.message),
        ("MESSAGE_ID", &id),
        ("PRIORITY", &priority),
        ("SYSLOG_IDENTIFIER", "airgapd"),
    ];
    expected.extend(record.fields.iter().map(|(k, v)| (*k, v.as_str())));
    expected.extend_from_slice(extra);
    for (name, value) in expected {
        let got = entry.get(name).and_then(Value::as_str);
        assert!(
            got == Some(value),
            "{name}: expected {} bytes, got {got:.200?}",
            value.len()
        );
    }
    let pid = std::process::id().to_string();
    assert_eq!(
        entry.get("_PID").and_then(Value::as_str),
        Some(pid.as_str()),
        "trusted _PID"
    );
}

fn our_pid() -> String {
    std::process::id().to_string()
}

#[test]
fn records_arrive_with_every_field() {
    if skip_unless_root() {
        return;
    }
    let mut journald = PrivateJournald::start("fields");
    let sink = Sink::Journal(JournalSocket::new(journald.socket()).unwrap());

    let violation = Record::new(
        MessageId::NetworkViolation,
        "connect to 192.0.2.1:443 refused",
    )
    .field(field::KIND, "net.connect")
    .field(field::ACTION, field::action::DENY)
    .field(field::PID, our_pid())
    .field(field::TID, 4242)
    .field(field::COMM, "curl")
    .field(field::UID, 1000)
    .field(field::EXE, "/usr/bin/curl")
    .field(field::CGROUP_ID, 123_456_789)
    .field(field::FAMILY, "AF_INET")
    .field(field::SOCK_TYPE, "SOCK_STREAM")
    .field(field::PROTOCOL, "tcp")
    .field(field::ADDRESS, "192.0.2.1")
    .field(field::PORT, 443)
    .field(field::REPEATS, 17);
    sink.send(&violation).unwrap();
    let entry = journald.wait_for(&violation);
    assert_fields(&entry, &violation, &[]);

    // Newlines in the message and in a field take the binary form of the protocol.
    let state = Record::new(
        MessageId::EnforcementState,
        "BPF LSM unavailable on this kernel\nlsm= lacks \"bpf\"",
    )
    .priority(Priority::Critical)
    .field(field::PID, our_pid())
    .field(field::LAYER, "bpf-lsm")
    .field(field::STATE, field::state::UNAVAILABLE)
    .field(field::RULE, "line one\nline two\n");
    sink.send(&state).unwrap();
    let entry = journald.wait_for(&state);
    assert_fields(&entry, &state, &[]);

    // Audit records: committed success, and a guard dropped on an error path.
    let arrival = Record::new(MessageId::DeviceArrival, "USB mass storage authorized")
        .field(field::PID, our_pid())
        .field(field::VENDOR_ID, "0781")
        .field(field::PRODUCT_ID, "5581")
        .field(field::SERIAL, "4C530001230517117085")
        .field(field::MODEL, "Ultra")
        .field(field::BUS_PATH, "1-2.3")
        .field(field::DEVICE, "8:16");
    let mut audit = AuditRecord::begin(&sink, arrival.clone());
    audit.field(field::ACTION, field::action::AUTHORIZE);
    audit.success().unwrap();
    let entry = journald.wait_for(&arrival);
    assert_fields(
        &entry,
        &arrival,
        &[("AIRGAP_ACTION", "authorize"), ("AIRGAP_RESULT", "success")],
    );

    let update = Record::new(MessageId::PolicyUpdate, "signed policy update")
        .field(field::PID, our_pid())
        .field(field::POLICY_SERIAL, 12);
    let failed = || -> Result<(), &'static str> {
        let _audit = AuditRecord::begin(&sink, update.clone());
        Err("bad signature")
    };
    assert!(failed().is_err());
    let entry = journald.wait_for(&update);
    let escalated = update.clone().priority(Priority::Warning);
    assert_fields(
        &entry,
        &escalated,
        &[("AIRGAP_RESULT", "failure"), ("AIRGAP_UID", "unknown")],
    );

    // Larger than the socket's send buffer: must go through the sealed memfd.
    let wmem: usize = fs::read_to_string("/proc/sys/net/core/wmem_default")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(212_992);
    let size = wmem.max(200 * 1024) + 64 * 1024;
    let body: String = (0..size)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let big = Record::new(MessageId::PolicyRejected, body)
        .field(field::PID, our_pid())
        .field(field::POLICY_SHA256, "0".repeat(64));
    let journal = JournalSocket::new(journald.socket()).unwrap();
    assert_eq!(journal.send(&big).unwrap(), Transport::Memfd);
    let entry = journald.wait_for(&big);
    assert_fields(&entry, &big, &[]);
}

#[test]
fn detect_finds_the_private_journald() {
    if skip_unless_root() {
        return;
    }
    let mut journald = PrivateJournald::start("detect");
    let sink = Sink::detect_at(&journald.socket());
    assert!(matches!(sink, Sink::Journal(_)), "{sink:?}");
    let record = Record::new(MessageId::DaemonStopped, "stopping").field(field::PID, our_pid());
    sink.send(&record).unwrap();
    let entry = journald.wait_for(&record);
    assert_fields(&entry, &record, &[]);
}

#[test]
fn catalog_explains_records_in_english_and_vietnamese() {
    if skip_unless_root() {
        return;
    }
    let mut journald = PrivateJournald::start("catalog");
    let root = journald.dir.join("catalog");
    build_catalog(&root);

    let listed = run(Command::new("journalctl")
        .env_clear()
        .env("PATH", PATH)
        .arg(format!("--root={}", root.display()))
        .arg("--list-catalog"));
    let listed = String::from_utf8(listed.stdout).unwrap();
    for id in MessageId::ALL {
        assert!(
            listed.contains(&id.to_string()),
            "{} not in the catalog database",
            id.name()
        );
    }

    let record = Record::new(MessageId::NetworkViolation, "connect refused")
        .field(field::PID, our_pid())
        .field(field::COMM, "exfil-tool")
        .field(field::UID, 1000)
        .field(field::KIND, "net.connect");
    Sink::Journal(JournalSocket::new(journald.socket()).unwrap())
        .send(&record)
        .unwrap();
    journald.wait_for(&record);

    let english = journald.explain(&record, &[("LC_ALL", Path::new("C.UTF-8"))]);
    let subject = format!(
        "Subject: Network access refused to exfil-tool (PID {})",
        our_pid()
    );
    assert!(english.contains(&subject), "{english}");
    assert!(english.contains("29/2018/QH14"), "{english}");

    let locale = vietnamese_locale(&journald.dir);
    let mut env = vec![("LC_ALL", Path::new("vi_VN.UTF-8"))];
    if let Some(path) = &locale {
        env.push(("LOCPATH", path));
    }
    let vietnamese = journald.explain(&record, &env);
    let subject = format!(
        "Subject: Đã chặn truy cập mạng của exfil-tool (PID {})",
        our_pid()
    );
    assert!(vietnamese.contains(&subject), "{vietnamese}");
    assert!(
        vietnamese.contains("Luật Bảo vệ bí mật nhà nước"),
        "{vietnamese}"
    );
    // It stands alone (issue 18): the refusal in Vietnamese words, never the English MESSAGE.
    assert!(
        vietnamese.contains("Đã chặn exfil-tool (tiến trình"),
        "{vietnamese}"
    );
    // journalctl prints the record's own line (MESSAGE) first, then the entry, each line of
    // which begins with "░░".
    let explained = |text: &str| -> String {
        text.lines()
            .filter(|l| l.starts_with("░░"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        !explained(&vietnamese).contains("connect refused"),
        "{vietnamese}"
    );

    // A copy register record: values translated, empty paper fields said so, no "()".
    let copy = Record::new(MessageId::CopyRegister, "copied /a.odt to medium")
        .field(field::KIND, "copy.created")
        .field(field::DOCUMENT, "/Báo cáo.odt")
        .field(field::SECRECY, "")
        .field(field::COPIES, 1)
        .field(field::APPROVED_BY, "")
        .field(field::UID, 1000)
        .field(field::PID, our_pid())
        .field(field::RESULT, "success");
    Sink::Journal(JournalSocket::new(journald.socket()).unwrap())
        .send(&copy)
        .unwrap();
    journald.wait_for(&copy);
    let vietnamese = explained(&journald.explain(&copy, &env));
    for want in [
        "Bản ghi sổ quản lý sao, chụp (tạo mới): /Báo cáo.odt.",
        "Độ mật: chưa ghi.",
        "Người duyệt:",
        "thành công.",
    ] {
        let flat = vietnamese.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(want), "{want:?} not in {vietnamese}");
    }
    for english in ["()", "success", "copied /a.odt", ", ,"] {
        assert!(!vietnamese.contains(english), "{english:?} in {vietnamese}");
    }
}

/// Builds a catalog database from packaging/catalog with `journalctl --update-catalog`, under
/// `root` only, exactly as the package's files would be installed.
fn build_catalog(root: &Path) {
    let sources = root.join("usr/lib/systemd/catalog");
    fs::create_dir_all(&sources).unwrap();
    for entry in fs::read_dir(CATALOG_SOURCES).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "catalog") {
            fs::copy(&path, sources.join(entry.file_name())).unwrap();
        }
    }
    let out = run(Command::new("journalctl")
        .env_clear()
        .env("PATH", PATH)
        .arg(format!("--root={}", root.display()))
        .arg("--update-catalog"));
    // journalctl warns, and still succeeds, about entries it skipped or languages it doubts.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.trim().is_empty(),
        "--update-catalog complained:\n{stderr}"
    );
    assert!(root.join("var/lib/systemd/catalog/database").is_file());
}

/// A LOCPATH holding vi_VN.UTF-8 when the system does not have it: journalctl picks the
/// Vietnamese entries only if setlocale() accepts the locale. `localedef` needs the locale
/// sources of the Debian package `locales`.
fn vietnamese_locale(dir: &Path) -> Option<PathBuf> {
    let installed = run(Command::new("locale")
        .arg("-a")
        .env_clear()
        .env("PATH", PATH));
    let installed = String::from_utf8_lossy(&installed.stdout).to_lowercase();
    if installed
        .lines()
        .any(|l| l == "vi_vn.utf8" || l == "vi_vn.utf-8")
    {
        return None;
    }
    let locpath = dir.join("locale");
    fs::create_dir_all(&locpath).unwrap();
    let out = Command::new("localedef")
        .env_clear()
        .env("PATH", PATH)
        .args(["-i", "vi_VN", "-f", "UTF-8"])
        .arg(locpath.join("vi_VN.UTF-8"))
        .output()
        .expect("localedef (Debian package libc-bin)");
    assert!(
        out.status.success(),
        "localedef vi_VN failed (install the Debian package `locales`): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(locpath)
}
