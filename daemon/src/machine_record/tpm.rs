//! The TPM's part in the machine record (issue 19). Each start, stop and lift line carries what
//! the TPM said at that moment ([`TpmFacts`]):
//!
//! - its reset count (TPM2_ReadClock): one more at every boot, kept by the TPM whatever OS ran.
//!   Between two lines, the count rises by the boots between them; more than the boots the
//!   record holds are boots airgapd never saw (another OS, a live USB, airgapd disabled).
//! - at each start and each lift, airgapd's NV counter advanced by one and its new value: the
//!   counter never goes back, so the record's values run 1, 2, 3... and an older copy of the
//!   record put back shows a value behind the TPM's (or, continued by the next start, a gap).
//!
//! NV memory wears with writes: the counter moves once per daemon start and per lift, never per
//! event. Without a TPM every such line says so (`state: absent`), so the inspection can say
//! that boots airgapd did not see cannot be counted, instead of saying nothing.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::tpm::{Tpm, TpmError, COUNTER_INDEX};

/// `state` of a line whose TPM answered.
pub const PRESENT: &str = "present";
/// `state` of a line written without a TPM.
pub const ABSENT: &str = "absent";
/// `state` of a line whose TPM did not answer as asked (`error` says why).
pub const ERROR: &str = "error";

/// What the TPM said when a line was written. Members left out when unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TpmFacts {
    /// [`PRESENT`], [`ABSENT`] or [`ERROR`].
    pub state: String,
    /// The device or socket asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// `resetCount`: boots since the TPM was last cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_count: Option<u32>,
    /// `restartCount`: hibernations and suspends since the last boot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_count: Option<u32>,
    /// `clock`: milliseconds the TPM has been powered since it was cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_ms: Option<u64>,
    /// The NV counter's index (`0x0100a19d`), when it was advanced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nv_index: Option<String>,
    /// The counter's value after this line's increment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nv_counter: Option<u64>,
    /// The counter before this line's increment, kept only when it was not the record's last
    /// value: the record had been rolled back (or a line lost) when this line was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nv_counter_before: Option<u64>,
    /// What went wrong, in the TPM's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The index as the record spells it.
pub fn index_text(index: u32) -> String {
    format!("0x{index:08x}")
}

/// The TPM a daemon or lift of `pin_dir` uses: `given`, else [`crate::tpm::DEVICE`] for the
/// production pin directory only (a test instance never moves the machine's own counter).
pub fn tpm_for(pin_dir: &Path, given: Option<&Path>) -> Option<PathBuf> {
    match given {
        Some(p) => Some(p.to_path_buf()),
        None if pin_dir == Path::new(crate::paths::PIN_DIR) => {
            Some(PathBuf::from(crate::tpm::DEVICE))
        }
        None => None,
    }
}

/// Whether lines of `event` carry the TPM's clock, and whether they advance the counter.
pub fn wanted(event: &str) -> (bool, bool) {
    match event {
        "start" | "lift" => (true, true),
        "stop" => (true, false),
        _ => (false, false),
    }
}

/// Ask the TPM at `tpm` (None, or a path that does not exist: no TPM) for its clock and, with
/// `advance`, move the counter on; `record_last` is the counter value of the record's last
/// line that has one. Never fails: what went wrong is in the facts.
pub fn facts(tpm: Option<&Path>, advance: bool, record_last: Option<u64>) -> TpmFacts {
    let Some(path) = tpm.filter(|p| p.exists()) else {
        return TpmFacts {
            state: ABSENT.into(),
            device: tpm.map(|p| p.display().to_string()),
            ..TpmFacts::default()
        };
    };
    let mut f = TpmFacts {
        state: PRESENT.into(),
        device: Some(path.display().to_string()),
        ..TpmFacts::default()
    };
    if let Err(e) = ask(path, advance, record_last, &mut f) {
        tracing::error!(error = %e, "the TPM did not answer for the machine record");
        f.state = ERROR.into();
        f.error = Some(e.to_string());
    }
    f
}

fn ask(
    path: &Path,
    advance: bool,
    record_last: Option<u64>,
    f: &mut TpmFacts,
) -> Result<(), TpmError> {
    let mut tpm = Tpm::open(path)?;
    let clock = tpm.read_clock()?;
    f.reset_count = Some(clock.reset_count);
    f.restart_count = Some(clock.restart_count);
    f.clock_ms = Some(clock.clock_ms);
    if advance {
        f.nv_index = Some(index_text(COUNTER_INDEX));
        let before = tpm.read_counter(COUNTER_INDEX)?;
        // The TPM's value must be the record's last: anything else is a record put back to an
        // older copy (or a line lost). Said now, in the line and at alert priority in the
        // journal, not only at the next inspection.
        if before.is_some() && before != record_last {
            f.nv_counter_before = before;
            tracing::error!(
                tpm = ?before,
                record = ?record_last,
                "the TPM's counter is not the machine record's last value: the record was \
                 rolled back to an older copy, or a line was lost"
            );
        }
        f.nv_counter = Some(tpm.advance_counter(COUNTER_INDEX)?);
    }
    Ok(())
}

/// The counter value of the last line of the record at `path` that has one.
pub fn record_last(path: &Path) -> Option<u64> {
    crate::chain::read::<super::Entry>(path)
        .ok()?
        .iter()
        .rev()
        .find_map(|e| e.tpm.as_ref()?.nv_counter)
}
