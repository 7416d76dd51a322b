//! Issue 21, the officer's part on the log host: the journals systemd-journal-remote collected
//! (written here by the real journal-remote) read per machine, and joined with signed reports
//! carried on sticks into one office summary by the real `airgapctl report merge`; the
//! silence limit taken from the policy's `[network.log_host]`, overridden on the command line,
//! and refused with file, line and field when it is bad.

mod report_common;

use std::path::{Path, PathBuf};
use std::process::Command;

use airgapd::inspect::fleet::inspect_dir;
use airgapd::inspect::fleet_limit::{LimitFrom, SilenceLimit};
use airgapd::journal::MessageId;
use report_common::log_host::{available, collected, now_us, HOUR};
use report_common::{run, Pc, Spec, CTL};
use serde_json::Value;

fn spec(i: usize) -> Spec {
    Spec {
        machine_id: format!("{:032x}", i + 1),
        hostname: format!("pc-{i:02}"),
        policy_serial: 7,
        network: false,
        records: 2,
        pid: 100 + i as u32,
    }
}

fn base(name: &str) -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The office's policy for the PCs of the LAN, with `table_extra` in `[network.log_host]`.
fn policy(dir: &Path, table_extra: &str) -> PathBuf {
    let file = dir.join("office-policy.toml");
    std::fs::write(
        &file,
        format!(
            "[network]\nprofile = \"isolated-lan\"\n\n[[network.lan]]\nname = \"office\"\n\
             interface_mac = \"52:54:00:aa:bb:01\"\nsubnets = [\"192.168.50.0/24\"]\n\n\
             [network.log_host]\naddress = \"192.168.50.2\"\n{table_extra}"
        ),
    )
    .unwrap();
    file
}

/// Counts, first and last, machine-id and host name, a silent machine and a missing one.
#[test]
fn a_directory_of_collected_journals() {
    if !available() {
        return;
    }
    let dir = base("fleet-dir");
    let lost = format!("{:032x}", MessageId::NetworkIsolationLost.id128());
    let now = 100 * HOUR;
    let one = "11111111111111111111111111111111";
    collected(
        &dir,
        "192.168.50.1",
        one,
        "pc-a",
        &[
            (now - 2 * HOUR, "AIRGAP_KIND=net.connect\n"),
            (now - HOUR, &format!("MESSAGE_ID={lost}\n")),
            (now - HOUR / 2, ""),
        ],
    );
    collected(
        &dir,
        "192.168.50.2",
        "2222",
        "pc-b",
        &[(now - 30 * HOUR, "")],
    );
    let limit = SilenceLimit {
        hours: 24,
        from: LimitFrom::Default,
    };
    let report = inspect_dir(
        &dir,
        &["192.168.50.1".into(), "192.168.50.3".into()],
        &limit,
        now,
    )
    .unwrap();
    let a = &report.machines[0];
    assert_eq!(
        (
            a.name.as_str(),
            a.entries,
            a.refusals,
            a.isolation_lost,
            a.silent
        ),
        ("192.168.50.1", 3, 1, 1, false)
    );
    assert_eq!(
        (a.first_us, a.last_us),
        (Some(now - 2 * HOUR), Some(now - HOUR / 2))
    );
    assert_eq!(
        (a.machine_ids.as_slice(), a.hostname.as_deref()),
        (&[one.to_string()][..], Some("pc-a"))
    );
    let b = &report.machines[1];
    assert_eq!((b.name.as_str(), b.silent), ("192.168.50.2", true));
    assert_eq!(report.missing, ["192.168.50.3"]);
    assert!(report.has_findings());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `report merge DIR... --journal-dir J`: (json, csv, html) of the summary written to `out`.
fn merge(out: &Path, args: &[&str], dirs: &[&Path], code: i32) -> (Value, String, String) {
    let (got, stdout, stderr) = run(Command::new(CTL)
        .args(["--json", "report", "merge", "--out"])
        .arg(out)
        .args(args)
        .args(dirs));
    assert_eq!(got, code, "{stdout}{stderr}");
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    (
        serde_json::from_str(&stdout).unwrap(),
        read("summary.csv"),
        read("summary.html"),
    )
}

#[test]
fn one_summary_for_reports_and_the_log_host() {
    if !available() {
        return;
    }
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: the policy is read as the daemon reads it, root's files only");
        return;
    }
    let dir = base("merge-log");
    let (a, b) = (
        Pc::new("merge-log-a", &spec(0)),
        Pc::new("merge-log-b", &spec(1)),
    );
    let (ra, rb) = (dir.join("stick/pc-00"), dir.join("stick/pc-01"));
    a.make(&ra, "vi", &[]);
    b.make(&rb, "vi", &[]);
    let journals = dir.join("remote");
    let now = now_us();
    collected(
        &journals,
        "192.168.50.11",
        &format!("{:032x}", 11),
        "lan-11",
        &[
            (now - HOUR, "AIRGAP_KIND=net.connect\n"),
            (now - 60_000_000, ""),
        ],
    );
    collected(
        &journals,
        "192.168.50.12",
        &format!("{:032x}", 12),
        "lan-12",
        &[(now - 30 * HOUR, "")],
    );
    let file = policy(&dir, "silent_after_hours = 24\n");
    let j = journals.to_str().unwrap();
    let p = file.to_str().unwrap();

    // Two reports and two machines of the log host: four rows, the silent one first (a
    // finding), the log host's rows marked as such, the limit and its policy said.
    let out = dir.join("summary");
    let (s, csv, html) = merge(
        &out,
        &["--lang", "en", "--journal-dir", j, "--policy", p],
        &[&ra, &rb],
        0,
    );
    let rows = s["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "{s}");
    assert_eq!(s["silent_after"]["hours"], 24, "{s}");
    assert_eq!(s["silent_after"]["from"], "policy", "{s}");
    assert_eq!(s["silent_after"]["file"], p, "{s}");
    let first = &rows[0];
    assert_eq!(
        (
            &first["source"],
            &first["hostname"],
            &first["log_host"][0]["silent"]
        ),
        (&"log-host".into(), &"lan-12".into(), &true.into()),
        "{s}"
    );
    let source = |r: &Value| r["source"].as_str().unwrap().to_string();
    assert_eq!(rows.iter().filter(|r| source(r) == "log-host").count(), 2);
    assert_eq!(rows.iter().filter(|r| r["verified"] == true).count(), 2);
    let fresh = rows.iter().find(|r| r["hostname"] == "lan-11").unwrap();
    assert_eq!(fresh["log_host"][0]["silent"], false, "{s}");
    assert_eq!(fresh["refusals"], 1, "{s}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(
        lines[0].ends_with(",\"Log host's journal (received, not signed)\""),
        "{csv}"
    );
    assert!(
        lines[1].contains("from the log host's journal, not a signed report")
            && lines[1].contains("SILENT: 192.168.50.12 has sent nothing"),
        "{csv}"
    );
    assert_eq!(csv.matches("not a signed report").count(), 2, "{csv}");
    assert!(
        html.contains(&format!(
            "A machine is silent after 24 hours without a record (silent_after_hours of \
             [network.log_host] in {p})"
        )),
        "{html}"
    );
    assert!(html.contains("2 reports; 0 do not verify"), "{html}");
    assert!(csv.contains("192.168.50.11: 2 records, the last"), "{csv}");

    // pc-00 is on the LAN too: its file set on the log host joins its report's row, not a
    // row of its own; a machine expected and seen nowhere is a finding; pc-01, expected, is
    // there as a report. The command line's limit overrides the policy's: 30 hours is not
    // silent under 48.
    collected(
        &journals,
        "192.168.50.10",
        &spec(0).machine_id,
        "pc-00",
        &[(now - HOUR, "")],
    );
    let out = dir.join("summary-vi");
    let (s, csv, html) = merge(
        &out,
        &[
            "--journal-dir",
            j,
            "--policy",
            p,
            "--silent-after",
            "48",
            "--expect",
            "192.168.50.99",
            "--expect",
            "pc-01",
        ],
        &[&ra, &rb],
        0,
    );
    let rows = s["rows"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        5,
        "two reports, two log host rows, one missing: {s}"
    );
    assert_eq!(s["silent_after"]["from"], "command-line", "{s}");
    let missing = &rows[0];
    assert_eq!(missing["log_host"][0]["missing"], true, "{s}");
    assert_eq!(missing["log_host"][0]["name"], "192.168.50.99", "{s}");
    let of_a: Vec<&Value> = rows
        .iter()
        .filter(|r| r["machine_id"] == spec(0).machine_id.as_str())
        .collect();
    assert_eq!(of_a.len(), 1, "pc-00 is one row: {s}");
    assert_eq!(source(of_a[0]), "report");
    assert_eq!(of_a[0]["log_host"][0]["name"], "192.168.50.10", "{s}");
    assert!(rows.iter().all(|r| r["log_host"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["silent"] == false)));
    assert!(csv.contains("THIẾU: 192.168.50.99"), "{csv}");
    assert!(
        csv.contains("lấy từ nhật ký trên máy chủ nhật ký, không phải biên bản có chữ ký"),
        "{csv}"
    );
    assert!(csv.contains("192.168.50.10: 1 bản ghi"), "{csv}");
    assert!(
        html.contains("quá 48 giờ không gửi bản ghi nào (--silent-after trên dòng lệnh)"),
        "{html}"
    );
    assert!(!html.contains("<script"));
    let (code, text, stderr) = run(Command::new("pdftotext")
        .arg(out.join("summary.pdf"))
        .arg("-"));
    assert_eq!(code, 0, "pdftotext: {stderr}");
    assert!(text.contains("THIẾU: 192.168.50.99"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A bad silence limit in the policy: refused, naming the file, the line and the field, by
/// both commands; nothing is judged by a limit nobody chose.
#[test]
fn a_bad_silence_limit_names_file_line_and_field() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: the policy is read as the daemon reads it, root's files only");
        return;
    }
    let dir = base("merge-log-bad");
    let file = policy(&dir, "silent_after_hours = 0\n");
    let journals = dir.join("remote");
    std::fs::create_dir_all(&journals).unwrap();
    let want = format!(
        "{}:11:22: network.log_host.silent_after_hours: 0 is out of range",
        file.display()
    );
    for args in [
        vec!["inspect", "--journal-dir"],
        vec![
            "report",
            "merge",
            "--out",
            dir.to_str().unwrap(),
            "--journal-dir",
        ],
    ] {
        let (code, stdout, stderr) = run(Command::new(CTL)
            .args(&args)
            .arg(&journals)
            .arg("--policy")
            .arg(&file));
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains(&want), "{args:?}: {stderr}");
    }
    // A policy named for its limit that names no log host is refused too, saying so.
    let standalone = dir.join("standalone.toml");
    std::fs::write(&standalone, "[network]\nprofile = \"standalone\"\n").unwrap();
    let (code, _, stderr) = run(Command::new(CTL)
        .args(["inspect", "--journal-dir"])
        .arg(&journals)
        .arg("--policy")
        .arg(&standalone));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("has no [network.log_host] table"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
