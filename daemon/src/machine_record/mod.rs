//! The machine record (issue 19, "since airgapd"): an append-only, hash-chained file
//! (`/var/lib/airgapd/machine-record.jsonl`) of what happened to this machine's protection:
//! every daemon start (boot id, how long after boot enforcement was ready, the policy in
//! force), every clean stop, every policy change (serial, SHA-256, signer), every lift, every
//! tampering found. `airgapctl inspect` reads it back ("since airgapd") and verifies its chain.
//!
//! Lines are [`crate::chain`] records (the copy register's chain). Several processes write it
//! (the daemon, `airgapd lift`), so every append continues the chain under a file lock
//! ([`crate::chain::append_locked`]) and is fdatasync'd before the next. The daemon never
//! writes on its loop: [`Writer`] owns a thread that does.
//!
//! It lives in /var/lib/airgapd, which the package's purge keeps. Root can still delete or
//! truncate it: the journal copy of every record (`AIRGAP_MACHINE_RECORD_*`) and, where the
//! machine has a TPM, the TPM's reset count and airgapd's NV counter in the start, stop and
//! lift lines ([`tpm`]) are what show that.

mod day;
pub mod tpm;
mod writer;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::chain::Chained;
use crate::journal::{field, MessageId, Record, Sink};
use crate::paths;

pub use day::{utc_day, Day};
pub use tpm::{tpm_for, TpmFacts};
pub use writer::Writer;

/// `start`, `stop`, `policy`, `lift`, `tamper`, `summary`: every kind of record, for the docs
/// and the catalogs.
pub const EVENTS: &[&str] = &[
    "start", "stop", "policy", "lift", "tamper", "summary", "upgrade",
];

/// One line of the machine record. Optional members are left out when empty; readers ignore
/// members they do not know (keys are only ever added).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// 1 for the first line, then one more per line.
    pub seq: u64,
    /// When, microseconds since the Unix epoch (UTC).
    pub time_us: u64,
    /// One of [`EVENTS`].
    pub event: String,
    /// `/proc/sys/kernel/random/boot_id` of the boot it happened in.
    pub boot_id: String,
    /// The writing process.
    pub pid: u32,
    /// `start`: milliseconds from the kernel's boot (CLOCK_BOOTTIME) to enforcement ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_after_boot_ms: Option<u64>,
    /// `start`, `policy`: the policy's `[meta] id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    /// Its `[meta] serial`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_serial: Option<u64>,
    /// SHA-256 of the policy file (empty for the built-in strict policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_sha256: Option<String>,
    /// Who signed it, when the anti-rollback state says so for this very file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// `start`: the scope enforced (`enforcing` for the whole machine, `scoped:<cgroup>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// What happened, in words (tampering found, what a lift removed and on whose authority).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// `summary`: the UTC day (`YYYY-MM-DD`) it counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
    /// `summary`: refusals by kind (`net.create`, `dev.block`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusals: Option<std::collections::BTreeMap<String, u64>>,
    /// `summary`: device decisions by decision (`allowed`, `refused`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices: Option<std::collections::BTreeMap<String, u64>>,
    /// `start`, `stop`, `lift`: what the TPM said (or that there is none), see [`tpm`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpm: Option<TpmFacts>,
}

impl Chained for Entry {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn set_seq(&mut self, seq: u64) {
        self.seq = seq;
    }
}

impl Entry {
    /// A record of `event` now, in this boot, by this process.
    pub fn now(event: &str) -> Entry {
        Entry {
            time_us: crate::pinned::record::now_us(),
            event: event.to_string(),
            boot_id: boot_id(),
            pid: std::process::id(),
            ..Entry::default()
        }
    }

    /// The policy in force: id, serial, SHA-256, and the signer the anti-rollback state kept
    /// for the policy file at `policy_file` when its SHA-256 is the signed one.
    pub fn with_policy(mut self, info: &crate::state::PolicyInfo, policy_file: &Path) -> Entry {
        self.policy_id = Some(info.id.clone());
        self.policy_serial = Some(info.serial);
        self.policy_sha256 = Some(info.sha256.clone());
        self.signer = signer_of(policy_file, &info.sha256);
        self
    }
}

/// The signer the anti-rollback state names for the policy with `sha256`, if it does.
fn signer_of(policy_file: &Path, sha256: &str) -> Option<String> {
    let layout = crate::update::Layout::for_policy(policy_file);
    let state = crate::update::state::SerialState::read(&layout.serial)
        .ok()
        .flatten()?;
    (state.sha256 == sha256)
        .then_some(state.signed?)
        .map(|s| format!("{} ({})", s.signer, s.fingerprint))
}

/// This boot's id (`/proc/sys/kernel/random/boot_id`), without dashes as the journal's
/// `_BOOT_ID` spells it; empty if it cannot be read.
pub fn boot_id() -> String {
    std::fs::read_to_string(paths::BOOT_ID)
        .map(|s| s.trim().replace('-', ""))
        .unwrap_or_default()
}

/// Milliseconds since the kernel booted (CLOCK_BOOTTIME: suspend included).
pub fn since_boot_ms() -> Option<u64> {
    let ts = nix::time::clock_gettime(nix::time::ClockId::CLOCK_BOOTTIME).ok()?;
    let ms = ts.tv_sec() * 1000 + ts.tv_nsec() / 1_000_000;
    u64::try_from(ms).ok()
}

/// The machine record a daemon or lift of `pin_dir` keeps: `given`, else
/// [`paths::MACHINE_RECORD`] for the production pin directory only (a test or demonstration
/// instance keeps none unless told where, and never writes production's).
pub fn path_for(pin_dir: &Path, given: Option<&Path>) -> Option<PathBuf> {
    match given {
        Some(p) => Some(p.to_path_buf()),
        None if pin_dir == Path::new(paths::PIN_DIR) => Some(PathBuf::from(paths::MACHINE_RECORD)),
        None => None,
    }
}

/// Append `entry` now (blocking: for processes without a loop, like `airgapd lift`), and its
/// journal copy to `sink`; a failure is said on stderr and in the log, never fatal. Start,
/// stop and lift lines get the TPM's facts from `tpm` (None: no TPM), asked under the record's
/// lock so that counter values and lines keep one order.
pub fn append_now(path: &Path, mut entry: Entry, tpm: Option<&Path>, sink: &Sink) {
    let complete = |e: &mut Entry| {
        let (clock, advance) = tpm::wanted(&e.event);
        if clock {
            let last = advance.then(|| tpm::record_last(path)).flatten();
            e.tpm = Some(tpm::facts(tpm, advance, last));
        }
    };
    match crate::chain::append_locked_with(path, &mut entry, complete) {
        Ok((seq, chain)) => {
            if let Err(e) = sink.send(&journal_copy(&entry, seq, &chain)) {
                tracing::error!(error = %e, "could not journal the machine record's line");
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "could not write the machine record");
            eprintln!("airgapd: warning: machine record: {e}");
        }
    }
}

/// The journal's copy of a line: its event, number and chain hash (what shows lines cut from
/// the end, or the file deleted or rolled back).
pub fn journal_copy(entry: &Entry, seq: u64, chain: &str) -> Record {
    let record = Record::new(
        MessageId::MachineRecord,
        format!("machine record line #{seq} ({}) written", entry.event),
    )
    .field(field::MACHINE_RECORD_EVENT, &entry.event)
    .field(field::MACHINE_RECORD_SEQ, seq)
    .field(field::MACHINE_RECORD_CHAIN, chain);
    let Some(t) = &entry.tpm else {
        return record;
    };
    let mut record = record.field(field::TPM_STATE, &t.state);
    if let Some(r) = t.reset_count {
        record = record.field(field::TPM_RESET_COUNT, r);
    }
    if let Some(v) = t.nv_counter {
        record = record.field(field::TPM_COUNTER, v);
    }
    if let Some(b) = t.nv_counter_before {
        record = record
            .field(field::TPM_COUNTER_BEFORE, b)
            .priority(crate::journal::Priority::Alert);
    }
    record
}
