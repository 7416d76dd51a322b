//! What `airgapctl violations` and `airgapctl devices` show, kept across restarts and reboots.
//!
//! One JSON file (`--history`, production `/var/lib/airgapd/history.json`), replaced atomically
//! (written beside, fsynced, renamed, directory fsynced) at most every 2 s and at stop, so a
//! crash leaves the previous or the new whole file, never half of one; a crash loses at most the
//! last 2 s, which the journal has. Bounded: the newest `[logging] recent_violations` refusals (the in-memory cap), the newest
//! [`DEPARTED_CAP`] departed devices, and the devices present at the last write. The journal
//! remains the complete record; this file only spares the officer an empty list after a
//! restart.
//!
//! A file that cannot be read or parsed is set aside (renamed `.unreadable`) and said so:
//! history is never worth refusing to start.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::state::{DeviceRecord, ViolationRecord};
use crate::violation::{Kind, Violation};

/// Departed devices kept (the newest).
pub const DEPARTED_CAP: usize = 256;
const VERSION: u32 = 1;

/// The stored history.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Stored {
    version: u32,
    /// Kept refusals, oldest first.
    pub violations: Vec<StoredViolation>,
    /// The sequence number the next refusal gets.
    pub next_seq: u64,
    /// Devices present at the last write.
    pub present: Vec<StoredDevice>,
    /// Devices that left (or were gone at the next start), oldest first.
    pub departed: Vec<StoredDevice>,
}

/// A device record as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDevice {
    node: String,
    devnum: String,
    kind: String,
    vendor_id: String,
    product_id: String,
    serial: String,
    model: String,
    decision: String,
    rule: String,
    reason: String,
    #[serde(default)]
    since_us: u64,
    #[serde(default)]
    left_us: u64,
    #[serde(default)]
    was: String,
    #[serde(default)]
    reason_ref: String,
}

impl From<&DeviceRecord> for StoredDevice {
    fn from(d: &DeviceRecord) -> Self {
        StoredDevice {
            node: d.node.clone(),
            devnum: d.devnum.clone(),
            kind: d.kind.clone(),
            vendor_id: d.vendor_id.clone(),
            product_id: d.product_id.clone(),
            serial: d.serial.clone(),
            model: d.model.clone(),
            decision: d.decision.clone(),
            rule: d.rule.clone(),
            reason: d.reason.clone(),
            since_us: d.since_us,
            left_us: d.left_us,
            was: d.was.clone(),
            reason_ref: d.reason_ref.clone(),
        }
    }
}

impl From<StoredDevice> for DeviceRecord {
    fn from(d: StoredDevice) -> Self {
        DeviceRecord {
            node: d.node,
            devnum: d.devnum,
            kind: d.kind,
            vendor_id: d.vendor_id,
            product_id: d.product_id,
            serial: d.serial,
            model: d.model,
            decision: d.decision,
            rule: d.rule,
            reason: d.reason,
            since_us: d.since_us,
            left_us: d.left_us,
            was: d.was,
            reason_ref: d.reason_ref,
        }
    }
}

/// A kept refusal as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredViolation {
    seq: u64,
    repeats: u64,
    time_us: u64,
    kind: String,
    tid: u32,
    pid: u32,
    uid: u32,
    gid: u32,
    comm: String,
    cgroup_id: u64,
    family: u16,
    sock_type: u16,
    protocol: u16,
    addr: Option<IpAddr>,
    port: u16,
    ifindex: u32,
    device: Option<(u32, u32)>,
    access: u16,
    file: Option<String>,
    /// A refused socket option's (level, name); absent in files written before it existed.
    #[serde(default)]
    sockopt: Option<(u32, u32)>,
    /// A refused route to writing a read-only medium; absent in files written before it existed.
    #[serde(default)]
    route: Option<(u32, u32)>,
    /// Made through the 32-bit compat entry; absent in files written before it existed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    compat: bool,
    /// The kernel gave no process id or name; absent before it existed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    process_unknown: bool,
    /// A refused bpf(2) on airgapd's objects: (action, id); absent before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    guard: Option<(u32, u32)>,
    /// That object by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    object: Option<String>,
    /// The refused device's name (issue 18); absent in files written before it existed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    device_name: String,
}

impl From<&ViolationRecord> for StoredViolation {
    fn from(r: &ViolationRecord) -> Self {
        let v = &r.violation;
        StoredViolation {
            seq: r.seq,
            repeats: r.repeats,
            time_us: v
                .time
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_micros() as u64),
            kind: v.kind.name().to_string(),
            tid: v.tid,
            pid: v.pid,
            uid: v.uid,
            gid: v.gid,
            comm: v.comm.clone(),
            cgroup_id: v.cgroup_id,
            family: v.family,
            sock_type: v.sock_type,
            protocol: v.protocol,
            addr: v.addr,
            port: v.port,
            ifindex: v.ifindex,
            device: v.device,
            access: v.access,
            file: v.file.clone(),
            sockopt: v.sockopt,
            route: v.route,
            compat: v.compat,
            process_unknown: v.process_unknown,
            guard: v.guard,
            object: v.object.clone(),
            device_name: r.device_name.clone(),
        }
    }
}

impl StoredViolation {
    /// Back to a kept refusal; None for a kind this daemon does not know.
    pub fn restore(self) -> Option<ViolationRecord> {
        let kind = Kind::REPORTED.into_iter().find(|k| k.name() == self.kind)?;
        Some(ViolationRecord {
            seq: self.seq,
            repeats: self.repeats,
            device_name: self.device_name,
            violation: Violation {
                time: UNIX_EPOCH + Duration::from_micros(self.time_us),
                boot_ns: None,
                kind,
                tid: self.tid,
                pid: self.pid,
                uid: self.uid,
                gid: self.gid,
                comm: self.comm,
                cgroup_id: self.cgroup_id,
                family: self.family,
                sock_type: self.sock_type,
                protocol: self.protocol,
                addr: self.addr,
                port: self.port,
                ifindex: self.ifindex,
                device: self.device,
                access: self.access,
                file: self.file,
                sockopt: self.sockopt,
                route: self.route,
                compat: self.compat,
                process_unknown: self.process_unknown,
                guard: self.guard,
                object: self.object,
                fold: None,
            },
        })
    }
}

/// Read the history; an absent file is an empty history, an unreadable one is set aside.
pub fn load(path: &Path) -> Stored {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Stored::default(),
        Err(e) => {
            tracing::error!(path = %path.display(), error = %e, "history not readable; starting without it");
            return Stored::default();
        }
    };
    match serde_json::from_slice::<Stored>(&text) {
        Ok(s) if s.version == VERSION => s,
        Ok(s) => {
            set_aside(path, &format!("version {} not understood", s.version));
            Stored::default()
        }
        Err(e) => {
            set_aside(
                path,
                &format!("line {}, column {}: {e}", e.line(), e.column()),
            );
            Stored::default()
        }
    }
}

fn set_aside(path: &Path, why: &str) {
    let aside = path.with_extension("unreadable");
    let _ = std::fs::rename(path, &aside);
    tracing::error!(path = %path.display(), kept_as = %aside.display(), "history file unusable ({why}); starting without it");
}

/// The history to write: kept refusals, present and departed devices.
pub fn snapshot(
    violations: &[ViolationRecord],
    next_seq: u64,
    present: &[DeviceRecord],
    departed: &[DeviceRecord],
) -> Stored {
    let skip = departed.len().saturating_sub(DEPARTED_CAP);
    Stored {
        version: VERSION,
        violations: violations.iter().map(StoredViolation::from).collect(),
        next_seq,
        present: present.iter().map(StoredDevice::from).collect(),
        departed: departed[skip..].iter().map(StoredDevice::from).collect(),
    }
}

/// Replace the file atomically.
pub fn save(path: &Path, stored: &Stored) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp: PathBuf = path.with_extension("tmp");
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(&serde_json::to_vec(stored).map_err(std::io::Error::other)?)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()
}

/// A device that was present at the last write and is gone now, as the departed list shows it.
pub fn departed_record(mut d: DeviceRecord, when: SystemTime, while_stopped: bool) -> DeviceRecord {
    let at = humantime(when);
    let was = d.decision.clone();
    d.reason = if while_stopped {
        format!("was {was}; gone when airgapd started again at {at} (it left while airgapd was not running)")
    } else {
        format!("was {was}; left at {at}")
    };
    d.left_us = crate::dbus::values::micros(when);
    d.was = std::mem::replace(&mut d.decision, "departed".into());
    d
}

fn humantime(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as libc::time_t;
    // SAFETY: zeroed tm is valid; gmtime_r writes into it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointers.
    unsafe { libc::gmtime_r(&secs, &mut tm) };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::violation::BootClock;

    #[test]
    fn round_trips_and_is_bounded() {
        let e = airgapd_ebpf::abi::airgap_event {
            kind: airgapd_ebpf::abi::AIRGAP_KIND_NET_CONNECT as u16,
            family: libc::AF_INET as u16,
            tgid: 42,
            ..Default::default()
        };
        let v = Violation::from_event(&e, &BootClock::now()).unwrap();
        let rec = ViolationRecord {
            seq: 7,
            violation: v.clone(),
            repeats: 3,
            device_name: "/dev/sdb SanDisk Ultra 4C53 (8:16)".into(),
        };
        let dev = DeviceRecord {
            node: "/dev/loop3".into(),
            decision: "refused".into(),
            ..Default::default()
        };
        let departed: Vec<_> = (0..DEPARTED_CAP + 5).map(|_| dev.clone()).collect();
        let dir = std::env::temp_dir().join(format!("airgapd-history-{}", std::process::id()));
        let path = dir.join("history.json");
        save(
            &path,
            &snapshot(&[rec], 8, std::slice::from_ref(&dev), &departed),
        )
        .unwrap();
        let back = load(&path);
        assert_eq!(back.next_seq, 8);
        assert_eq!(back.departed.len(), DEPARTED_CAP);
        let r = back.violations[0].clone().restore().unwrap();
        assert_eq!(r.seq, 7);
        assert_eq!(r.repeats, 3);
        assert_eq!(r.violation.pid, 42);
        assert_eq!(r.violation.kind, v.kind);
        assert_eq!(DeviceRecord::from(back.present[0].clone()), dev);

        std::fs::write(&path, "{ not json").unwrap();
        assert!(load(&path).violations.is_empty());
        assert!(
            dir.join("history.unreadable").exists(),
            "set aside, not lost"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
