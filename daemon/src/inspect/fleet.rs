//! A directory of journals collected on the office's log host by `systemd-journal-remote`
//! (issue 21): one file set per machine (`remote-<host>.journal`, rotated ones
//! `remote-<host>@<seq>.journal`), read through `journalctl --file` (libsystemd's own
//! reader). Per machine: how many records, the first and last, airgapd's refusals and losses of
//! isolation; a machine expected and absent, or silent for longer than allowed, is a finding.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

use super::fleet_limit::SilenceLimit;
use super::journal::JOURNALCTL;
use crate::journal::MessageId;

/// One machine's collected journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Machine {
    /// What journal-remote named it after: the sender's address (or certificate name).
    pub name: String,
    /// The machine-ids its records carry (`_MACHINE_ID`, as the PC's journald wrote it), in
    /// the order first seen: one, unless the address was given to another machine.
    pub machine_ids: Vec<String>,
    /// The host name of its latest record (`_HOSTNAME`).
    pub hostname: Option<String>,
    /// Its files.
    pub files: Vec<PathBuf>,
    /// Records in them.
    pub entries: u64,
    /// The first and last record, microseconds since the epoch.
    pub first_us: Option<u64>,
    /// See `first_us`.
    pub last_us: Option<u64>,
    /// airgapd's refusals among them (records with `AIRGAP_KIND`).
    pub refusals: u64,
    /// Losses of isolation (`NetworkIsolationLost`).
    pub isolation_lost: u64,
    /// No record for longer than allowed: the machine stopped uploading (off, cut off, or its
    /// upload stopped), which is a finding, not silence.
    pub silent: bool,
}

/// The collected journals of an office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FleetReport {
    /// The directory read.
    pub dir: PathBuf,
    /// When it was read.
    pub now_us: u64,
    /// How long a machine may be silent, and who said so.
    pub silent_after: SilenceLimit,
    /// Every machine found, by name.
    pub machines: Vec<Machine>,
    /// Machines expected and not found: never configured, or never reached the log host.
    pub missing: Vec<String>,
}

impl FleetReport {
    /// Whether anything needs the officer: a machine missing or silent.
    pub fn has_findings(&self) -> bool {
        !self.missing.is_empty() || self.machines.iter().any(|m| m.silent)
    }
}

/// The machine a file of journal-remote belongs to; None for other files.
pub fn machine_of(file_name: &str) -> Option<&str> {
    let rest = file_name.strip_prefix("remote-")?;
    let stem = rest
        .strip_suffix(".journal")
        .or_else(|| rest.strip_suffix(".journal~"))?;
    // Rotated: remote-<host>@<seqnum>-<seq>-<time>.journal
    let name = stem.split('@').next()?;
    (!name.is_empty()).then_some(name)
}

/// Read `dir`. `expect` names machines that must be there.
pub fn inspect_dir(
    dir: &Path,
    expect: &[String],
    silent_after: &SilenceLimit,
    now_us: u64,
) -> std::io::Result<FleetReport> {
    let mut sets: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if let Some(machine) = name.to_str().and_then(machine_of) {
            sets.entry(machine.to_string())
                .or_default()
                .push(entry.path());
        }
    }
    let limit_us = u64::try_from(silent_after.duration().as_micros()).unwrap_or(u64::MAX);
    let mut machines = Vec::new();
    for (name, mut files) in sets {
        files.sort();
        let mut m = read_machine(name, files)?;
        m.silent = m
            .last_us
            .is_none_or(|last| now_us.saturating_sub(last) > limit_us);
        machines.push(m);
    }
    let missing = expect
        .iter()
        .filter(|e| !machines.iter().any(|m| &m.name == *e))
        .cloned()
        .collect();
    Ok(FleetReport {
        dir: dir.to_path_buf(),
        now_us,
        silent_after: silent_after.clone(),
        machines,
        missing,
    })
}

/// Count one machine's records as journalctl streams them.
fn read_machine(name: String, files: Vec<PathBuf>) -> std::io::Result<Machine> {
    let mut cmd = Command::new(JOURNALCTL);
    for f in &files {
        cmd.arg(format!("--file={}", f.display()));
    }
    let mut child = cmd
        .args(["--all", "--no-pager", "--output=json"])
        .args(["--output-fields=AIRGAP_KIND,MESSAGE_ID,_MACHINE_ID,_HOSTNAME"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let lost = format!("{:032x}", MessageId::NetworkIsolationLost.id128());
    let mut m = Machine {
        name,
        machine_ids: Vec::new(),
        hostname: None,
        files,
        entries: 0,
        first_us: None,
        last_us: None,
        refusals: 0,
        isolation_lost: 0,
        silent: false,
    };
    let out = child.stdout.take().expect("piped");
    for line in BufReader::new(out).lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line?) else {
            continue;
        };
        m.entries += 1;
        if let Some(t) = v["__REALTIME_TIMESTAMP"]
            .as_str()
            .and_then(|t| t.parse::<u64>().ok())
        {
            m.first_us = Some(m.first_us.map_or(t, |f| f.min(t)));
            m.last_us = Some(m.last_us.map_or(t, |l| l.max(t)));
        }
        if let Some(id) = v["_MACHINE_ID"].as_str() {
            if !m.machine_ids.iter().any(|known| known == id) {
                m.machine_ids.push(id.to_string());
            }
        }
        if let Some(host) = v["_HOSTNAME"].as_str() {
            m.hostname = Some(host.to_string());
        }
        if v.get("AIRGAP_KIND").is_some() {
            m.refusals += 1;
        }
        if v["MESSAGE_ID"].as_str() == Some(lost.as_str()) {
            m.isolation_lost += 1;
        }
    }
    child.wait()?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machines_are_named_after_their_file_set() {
        assert_eq!(
            machine_of("remote-192.168.50.1.journal"),
            Some("192.168.50.1")
        );
        assert_eq!(
            machine_of("remote-pc-01@0001-0002-0003.journal"),
            Some("pc-01")
        );
        assert_eq!(machine_of("remote-pc-01.journal~"), Some("pc-01"));
        for other in ["system.journal", "remote-.journal", "remote-x.txt"] {
            assert_eq!(machine_of(other), None, "{other}");
        }
    }
}
