//! A fixture log host: journal files written by the real `systemd-journal-remote` from
//! export format, one file set per machine as it names them (`remote-NAME.journal`), with
//! the trusted fields a PC's journald would have set.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

pub const REMOTE: &str = "/lib/systemd/systemd-journal-remote";
pub const HOUR: u64 = 3_600_000_000;

/// Whether journal-remote is here (else the caller skips, saying so).
pub fn available() -> bool {
    let there = Path::new(REMOTE).exists();
    if !there {
        eprintln!("skipped: systemd-journal-remote is not installed");
    }
    there
}

/// Microseconds since the epoch now.
pub fn now_us() -> u64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    u64::try_from(d.as_micros()).unwrap()
}

/// One machine's file set in `dir`: `records` are (time, extra fields, one per line), each
/// from `machine_id` on host `hostname`.
pub fn collected(
    dir: &Path,
    name: &str,
    machine_id: &str,
    hostname: &str,
    records: &[(u64, &str)],
) {
    std::fs::create_dir_all(dir).unwrap();
    let mut export = String::new();
    for (i, (t, extra)) in records.iter().enumerate() {
        export.push_str(&format!(
            "__REALTIME_TIMESTAMP={t}\n__MONOTONIC_TIMESTAMP={}\n\
             _BOOT_ID=0123456789abcdef0123456789abcdef\n_MACHINE_ID={machine_id}\n\
             _HOSTNAME={hostname}\nMESSAGE=r{i}\n{extra}\n",
            i + 1
        ));
    }
    let mut child = Command::new(REMOTE)
        .arg(format!(
            "--output={}",
            dir.join(format!("remote-{name}.journal")).display()
        ))
        .arg("-")
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(export.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "journal-remote for {name}");
}
