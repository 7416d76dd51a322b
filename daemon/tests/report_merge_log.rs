//! Issue 21, the officer's part on the log host: the journals systemd-journal-remote collected
//! (written here by the real journal-remote) read per machine; the silence limit taken from
//! the policy's `[network.log_host]`, and refused with file, line and field when it is bad.

mod report_common;

use std::path::{Path, PathBuf};
use std::process::Command;

use airgapd::inspect::fleet::inspect_dir;
use airgapd::inspect::fleet_limit::{LimitFrom, SilenceLimit};
use airgapd::journal::MessageId;
use report_common::log_host::{available, collected, HOUR};
use report_common::{run, CTL};

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
    let (code, stdout, stderr) = run(Command::new(CTL)
        .args(["inspect", "--journal-dir"])
        .arg(&journals)
        .arg("--policy")
        .arg(&file));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains(&want), "{stderr}");
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
