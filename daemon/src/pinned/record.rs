//! The enforcement record: a small JSON file the daemon and `airgapd lift` keep, world-readable,
//! so that `airgapctl status` can answer an unprivileged user while the daemon is stopped (bpffs
//! pins are root's only), and root can compare the kernel's state with what the daemon last
//! set (tampering while it was down).
//!
//! It lives under /run (gone at reboot, like bpffs pins) and carries the boot id anyway, so a
//! record of another boot is never believed. It states what was, never what is: readers that
//! can reach bpffs check it against the kernel ([`super::Inspection`]).

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Tamperings kept in the record (the journal keeps them all).
const KEEP_TAMPERING: usize = 20;

/// The record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// `/proc/sys/kernel/random/boot_id` when written.
    pub boot_id: String,
    /// The pin directory it describes.
    pub pin_dir: String,
    /// When it was last written (µs since the epoch).
    pub written_at_us: u64,
    /// The daemon that wrote it; None after a lift.
    pub daemon: Option<DaemonRecord>,
    /// The scope cgroup.
    pub scope: ScopeRecord,
    /// The config map value the daemon wrote.
    pub config: ConfigRecord,
    /// Each pinned link and the program it ran.
    pub links: Vec<LinkRecord>,
    /// Each layer as the daemon reported it.
    pub layers: Vec<LayerRecord>,
    /// The policy in force.
    pub policy: PolicyRecord,
    /// Device rules (`b 8:0 = 0x7`).
    pub dev_rules: Vec<String>,
    /// LAN trie entries (`peers 192.168.50.0/24 = 3`).
    pub lan: Vec<String>,
    /// The latest tamperings, oldest first.
    pub tampering: Vec<TamperRecord>,
    /// Set by `airgapd lift`: enforcement is gone.
    pub lifted: Option<LiftRecord>,
    /// The interfaces carrying the interface programs as classic tc filters (kernels without
    /// TCX), which bpffs does not show; absent in records written before it existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tc_interfaces: Vec<String>,
}

/// The daemon, as a process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaemonRecord {
    /// Its pid.
    pub pid: u32,
    /// Its start time in clock ticks after boot (`/proc/PID/stat` field 22): with the pid, it
    /// names one process even when pids are reused.
    pub start_ticks: u64,
    /// When it started (µs since the epoch).
    pub started_at_us: u64,
    /// When it stopped; None while it runs (or if it was killed).
    pub stopped_at_us: Option<u64>,
}

/// The scope cgroup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeRecord {
    /// Its path.
    pub path: String,
    /// Its cgroup id.
    pub cgroup_id: u64,
    /// Whether it is the whole machine.
    pub machine: bool,
}

/// The config map value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigRecord {
    /// `scope_cgroup_id`.
    pub scope_cgroup_id: u64,
    /// `scope_level`.
    pub scope_level: u32,
    /// `net_mode` bits.
    pub net_mode: u32,
    /// `abi_version`.
    pub abi_version: u32,
}

impl From<airgapd_ebpf::abi::airgap_config> for ConfigRecord {
    fn from(c: airgapd_ebpf::abi::airgap_config) -> ConfigRecord {
        ConfigRecord {
            scope_cgroup_id: c.scope_cgroup_id,
            scope_level: c.scope_level,
            net_mode: c.net_mode,
            abi_version: c.abi_version,
        }
    }
}

/// One pinned link.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRecord {
    /// Its name in the pin directory.
    pub pin: String,
    /// The program it must run (C function name).
    pub program: String,
    /// The link's kernel id.
    pub link_id: u32,
    /// The program's kernel id.
    pub prog_id: u32,
}

/// One layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRecord {
    /// Stable layer name.
    pub name: String,
    /// `active` or `unavailable`.
    pub state: String,
    /// Why it is unavailable.
    pub detail: String,
}

/// The policy in force.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRecord {
    /// `[meta] id`.
    pub id: String,
    /// `[meta] serial`.
    pub serial: u64,
    /// SHA-256 of the file.
    pub sha256: String,
    /// The file.
    pub path: String,
    /// Whether the built-in strict policy is in force.
    pub builtin: bool,
}

/// One tampering, as the daemon found and repaired it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TamperRecord {
    /// When it was noticed (µs since the epoch).
    pub at_us: u64,
    /// What was changed (`link_airgap_sendmsg4`, `airgap_config`, `airgap_dev_rules b 8:*`).
    pub what: String,
    /// How it was.
    pub from: String,
    /// How another process left it.
    pub to: String,
    /// True when it happened while no daemon ran (found at start).
    pub while_down: bool,
    /// Empty when repaired; otherwise why not.
    pub repair_error: String,
}

/// A lift.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiftRecord {
    /// When (µs since the epoch).
    pub at_us: u64,
    /// Who (uid).
    pub uid: u32,
    /// What was removed, one line each.
    pub removed: Vec<String>,
}

/// Now, in µs since the epoch.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// This boot's id.
pub fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// A process's start time in clock ticks after boot, None when it does not exist.
pub fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

impl DaemonRecord {
    /// This process, started at `started_at_us`.
    pub fn this_process(started_at_us: u64) -> DaemonRecord {
        let pid = std::process::id();
        DaemonRecord {
            pid,
            start_ticks: start_ticks(pid).unwrap_or(0),
            started_at_us,
            stopped_at_us: None,
        }
    }

    /// Whether the recorded daemon still runs: it did not record a stop, and the same process
    /// (pid and start time) is alive.
    pub fn running(&self) -> bool {
        self.stopped_at_us.is_none()
            && self.start_ticks != 0
            && start_ticks(self.pid) == Some(self.start_ticks)
    }
}

/// Reading or writing the record.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not a record.
    #[error("{path}: not an airgapd enforcement record: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
}

impl Record {
    /// Read the record at `path`: None when there is none, or when it is of another boot.
    pub fn read(path: &Path) -> Result<Option<Record>, RecordError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(RecordError::Io {
                    action: "reading",
                    path: path.into(),
                    source,
                })
            }
        };
        let record: Record = serde_json::from_str(&text).map_err(|source| RecordError::Parse {
            path: path.into(),
            source,
        })?;
        Ok((record.boot_id == boot_id()).then_some(record))
    }

    /// Write it at `path` atomically (a reader sees the old or the new record), readable by
    /// everyone: it holds nothing secret, and officers without root must see the state.
    pub fn write(&mut self, path: &Path) -> Result<(), RecordError> {
        self.boot_id = boot_id();
        self.written_at_us = now_us();
        let io = |action| {
            move |source| RecordError::Io {
                action,
                path: path.into(),
                source,
            }
        };
        if let Some(dir) = path.parent() {
            if !dir.exists() {
                std::fs::create_dir_all(dir).map_err(io("creating the directory of"))?;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
                    .map_err(io("opening the directory of"))?;
            }
        }
        let text = serde_json::to_string_pretty(self).expect("a record serialises");
        let tmp = path.with_extension("json.new");
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(&tmp)
            .map_err(io("writing"))?;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(io("writing"))?;
        file.write_all(text.as_bytes()).map_err(io("writing"))?;
        file.sync_all().map_err(io("writing"))?;
        std::fs::rename(&tmp, path).map_err(io("replacing"))
    }

    /// Keep a tampering (the oldest go beyond the last few).
    pub fn push_tampering(&mut self, t: TamperRecord) {
        self.tampering.push(t);
        let excess = self.tampering.len().saturating_sub(KEEP_TAMPERING);
        self.tampering.drain(..excess);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_runs_and_a_recorded_stop_does_not() {
        let mut d = DaemonRecord::this_process(1);
        assert!(d.running());
        d.start_ticks += 1;
        assert!(!d.running(), "another process with the same pid");
        d.start_ticks -= 1;
        d.stopped_at_us = Some(2);
        assert!(!d.running());
    }

    #[test]
    fn round_trips_and_ignores_another_boot() {
        let dir = std::env::temp_dir().join(format!("airgapd-record-{}", std::process::id()));
        let path = dir.join("enforcement.json");
        let mut r = Record {
            pin_dir: "/sys/fs/bpf/x".into(),
            ..Record::default()
        };
        r.write(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        assert_eq!(Record::read(&path).unwrap(), Some(r.clone()));
        r.boot_id = "another".into();
        std::fs::write(&path, serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(Record::read(&path).unwrap(), None);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
