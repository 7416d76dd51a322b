//! `inspect --verify-key KEY`: the journal's Forward Secure Sealing checked with the
//! verification key the officer kept (`airgapctl seal-journal` printed it). Each journal file of
//! the root goes to `journalctl --verify --verify-key=KEY --file=F`, and its header to
//! `journalctl --header` (journalctl's own output: the file format is never parsed here).
//!
//! journalctl passes a file that carries no seals at all, key or not (systemd issue 15425): a
//! sealed file removed and replaced by an unsealed one with the history rewritten would pass.
//! Here a file without seals that holds entries from after sealing began fails. Sealing began,
//! at the latest, at the end of the key's first epoch (`journalctl --setup-keys` starts the key
//! at the epoch it runs in, rounded down), and no later than the first sealed file's first
//! entry: an unsealed file may only be the one journald was writing when the key was made.
//! Whole files deleted or cut from the end are not shown by sealing (every file is listed with
//! its first and last sequence number and time, for the next inspection to compare).

use std::path::Path;
use std::process::{Command, Stdio};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::model::{FindingId, SourceReport};
use super::root::Root;
use super::Folder;

/// A verification key: `SEED/START-INTERVAL`, the seed 12 bytes in hex (journalctl groups it
/// with dashes), the start in epochs and the epoch's length in microseconds, both hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyKey {
    text: String,
    /// When the key's first epoch began (µs since the epoch, UTC).
    pub start_us: u64,
    /// The length of an epoch (µs).
    pub interval_us: u64,
}

/// A `--verify-key` value that is not a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a journal verification key (SEED/START-INTERVAL): {given}")]
pub struct BadKey {
    /// What was given.
    pub given: String,
}

impl FromStr for VerifyKey {
    type Err = BadKey;

    fn from_str(text: &str) -> Result<VerifyKey, BadKey> {
        let bad = || BadKey {
            given: text.to_string(),
        };
        let t = text.trim();
        let (seed, times) = t.split_once('/').ok_or_else(bad)?;
        let digits = seed.bytes().filter(|&b| b != b'-');
        if digits.clone().count() != 24
            || !digits.clone().all(|b| b.is_ascii_hexdigit())
            || seed.starts_with('-')
            || seed.ends_with('-')
            || seed.contains("--")
        {
            return Err(bad());
        }
        let (start, interval) = times.split_once('-').ok_or_else(bad)?;
        let hex = |s: &str| {
            (!s.is_empty() && s.len() <= 16 && s.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| u64::from_str_radix(s, 16).ok())
                .flatten()
        };
        let (start, interval_us) = (hex(start).ok_or_else(bad)?, hex(interval).ok_or_else(bad)?);
        if interval_us == 0 {
            return Err(bad());
        }
        let start_us = start.checked_mul(interval_us).ok_or_else(bad)?;
        Ok(VerifyKey {
            text: t.to_string(),
            start_us,
            interval_us,
        })
    }
}

impl VerifyKey {
    /// The key as journalctl takes it.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// What was found of one journal file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileOutcome {
    /// Sealed, and its seals verify with the key.
    Verified,
    /// journalctl's verification failed: the file was altered, is damaged, or the key is not
    /// this machine's.
    Failed,
    /// No seals, and entries from after sealing began: a failure journalctl does not report.
    UnsealedAfterKey,
    /// No seals, every entry from before sealing began: history older than the key, which the
    /// key cannot vouch for.
    UnsealedBeforeKey,
}

impl FileOutcome {
    /// The JSON spelling, also the tail of `inspect-seal-file-<outcome>`.
    pub fn name(self) -> &'static str {
        match self {
            FileOutcome::Verified => "verified",
            FileOutcome::Failed => "failed",
            FileOutcome::UnsealedAfterKey => "unsealed-after-key",
            FileOutcome::UnsealedBeforeKey => "unsealed-before-key",
        }
    }

    /// Every outcome (each has a catalog message).
    pub const ALL: [FileOutcome; 4] = [
        FileOutcome::Verified,
        FileOutcome::Failed,
        FileOutcome::UnsealedAfterKey,
        FileOutcome::UnsealedBeforeKey,
    ];
}

/// One journal file, as its header and journalctl's verification show it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileSeal {
    /// The file, as the inspected machine names it.
    pub path: String,
    /// The verdict.
    pub outcome: FileOutcome,
    /// Whether its header says it is sealed.
    pub sealed: bool,
    /// Seal (tag) objects in it.
    pub tags: Option<u64>,
    /// Entries in it.
    pub entries: Option<u64>,
    /// First and last entry's sequence number: compare with the previous inspection's to see
    /// files removed or cut.
    pub head_seqnum: Option<u64>,
    /// See `head_seqnum`.
    pub tail_seqnum: Option<u64>,
    /// First and last entry's time.
    pub head_us: Option<u64>,
    /// See `head_us`.
    pub tail_us: Option<u64>,
    /// Whether journald had it open for writing (`State: ONLINE`) when it was read.
    #[serde(default)]
    pub online: bool,
    /// What journalctl said, verbatim.
    pub journalctl: Vec<String>,
}

/// The journal's sealing, checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SealReport {
    /// When the key's first epoch began.
    pub key_start_us: u64,
    /// The key's epoch length.
    pub key_interval_us: u64,
    /// Entries after this must be in sealed files.
    pub sealed_from_us: u64,
    /// Whether every file passed (and there was at least one).
    pub passed: bool,
    /// Every journal file, by path.
    pub files: Vec<FileSeal>,
    /// What could not be checked.
    pub problems: Vec<String>,
}

/// Check every journal file of `root` with `key`.
pub fn verify(root: &Root, key: &VerifyKey) -> SealReport {
    let mut problems = Vec::new();
    let mut files: Vec<FileSeal> = super::journal::journal_files(root)
        .into_iter()
        .map(|f| file(root, &f, key, &mut problems))
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    // Sealing began at the latest when the key's first epoch ended, and no later than the
    // first sealed file's first entry. Five minutes of slack past the epoch: journald is
    // restarted and rotated after the key is made, which takes seconds, more on a slow PC.
    let first_sealed = files
        .iter()
        .filter(|f| f.sealed && f.outcome == FileOutcome::Verified)
        .filter_map(|f| f.head_us)
        .min();
    let epoch_end = key
        .start_us
        .saturating_add(key.interval_us)
        .saturating_add(5 * 60_000_000);
    let sealed_from_us = first_sealed.map_or(epoch_end, |f| f.min(epoch_end));
    for f in files
        .iter_mut()
        .filter(|f| !f.sealed && f.outcome != FileOutcome::Failed)
    {
        // A file that says nothing of its last entry cannot show it is older than the key.
        f.outcome = match f.tail_us {
            Some(t) if t <= sealed_from_us => FileOutcome::UnsealedBeforeKey,
            None if f.entries == Some(0) => FileOutcome::UnsealedBeforeKey,
            _ => FileOutcome::UnsealedAfterKey,
        };
    }
    if files.is_empty() {
        problems.push("no journal file to verify".into());
    }
    let passed = !files.is_empty()
        && problems.is_empty()
        && files.iter().all(|f| {
            matches!(
                f.outcome,
                FileOutcome::Verified | FileOutcome::UnsealedBeforeKey
            )
        });
    SealReport {
        key_start_us: key.start_us,
        key_interval_us: key.interval_us,
        sealed_from_us,
        passed,
        files,
        problems,
    }
}

fn journalctl(file: &Path) -> Command {
    let mut cmd = Command::new(super::journal::JOURNALCTL);
    cmd.env("LC_ALL", "C.UTF-8")
        .env("SYSTEMD_COLORS", "0")
        .env_remove("SYSTEMD_PAGER")
        .arg("--no-pager")
        .arg(format!("--file={}", file.display()))
        .stdin(Stdio::null());
    cmd
}

/// The path as the inspected machine names it.
fn inside(root: &Root, file: &Path) -> String {
    match file.strip_prefix(root.dir()) {
        Ok(rel) if !root.is_live() => format!("/{}", rel.display()),
        _ => file.display().to_string(),
    }
}

fn file(root: &Root, path: &Path, key: &VerifyKey, problems: &mut Vec<String>) -> FileSeal {
    let mut out = FileSeal {
        path: inside(root, path),
        outcome: FileOutcome::Failed,
        sealed: false,
        tags: None,
        entries: None,
        head_seqnum: None,
        tail_seqnum: None,
        head_us: None,
        tail_us: None,
        online: false,
        journalctl: Vec::new(),
    };
    match journalctl(path).arg("--header").output() {
        Ok(o) if o.status.success() => header(&String::from_utf8_lossy(&o.stdout), &mut out),
        Ok(o) => out.journalctl.extend(lines(&o.stderr)),
        Err(e) => problems.push(format!("cannot run {}: {e}", super::journal::JOURNALCTL)),
    }
    // The file journald is writing on the live machine can fail a verification that reads it
    // while an entry is being appended (the guest saw it: the same file verified a minute
    // later). Such a file is read again, up to ONLINE_TRIES times: a file that was altered
    // fails every time, a race passes. Files of another root, or closed ones, are read once.
    let online = root.is_live() && out.online;
    let tries = if online { ONLINE_TRIES } else { 1 };
    for attempt in 1..=tries {
        let mut said = Vec::new();
        match journalctl(path)
            .arg("--verify")
            .arg(format!("--verify-key={}", key.text()))
            .output()
        {
            Ok(o) => {
                said.extend(lines(&o.stdout));
                said.extend(lines(&o.stderr));
                if o.status.success() {
                    // Verified for a sealed file; an unsealed one is judged by its dates.
                    out.outcome = FileOutcome::Verified;
                }
            }
            Err(e) => {
                problems.push(format!("cannot run {}: {e}", super::journal::JOURNALCTL));
                break;
            }
        }
        out.journalctl = said;
        if out.outcome == FileOutcome::Verified {
            if attempt > 1 {
                out.journalctl.push(format!(
                    "verified on reading {attempt} of {tries} (journald was writing the file)"
                ));
            }
            break;
        }
        if attempt < tries {
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
    }
    out
}

/// How many times the file journald is writing is read before it is said to fail.
const ONLINE_TRIES: u32 = 3;

fn lines(bytes: &[u8]) -> impl Iterator<Item = String> + '_ {
    std::str::from_utf8(bytes)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
}

/// `journalctl --header`'s `Name: value` lines; numbers, and times from the hex in
/// parentheses (`Head realtime timestamp: Sun 2026-12-06 12:15:32 UTC (661f610d786ad)`).
fn header(text: &str, out: &mut FileSeal) {
    let hex_in_parens = |v: &str| {
        let inner = v.rsplit_once('(')?.1.strip_suffix(')')?;
        u64::from_str_radix(inner, 16).ok().filter(|&t| t > 0)
    };
    let first_number = |v: &str| v.split_whitespace().next()?.parse::<u64>().ok();
    for line in text.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim() {
            "Compatible flags" => {
                out.sealed = value.split_whitespace().any(|f| f == "SEALED");
            }
            "State" => out.online = value.starts_with("ONLINE"),
            "Tag objects" => out.tags = first_number(value),
            "Entry objects" => out.entries = first_number(value),
            "Head sequential number" => out.head_seqnum = first_number(value),
            "Tail sequential number" => out.tail_seqnum = first_number(value),
            "Head realtime timestamp" => out.head_us = hex_in_parens(value),
            "Tail realtime timestamp" => out.tail_us = hex_in_parens(value),
            _ => {}
        }
    }
}

/// Evidence: every file that failed, as records the journal lost the protection of (under
/// `uncovered-boots`, with the machine record's alterations); the journal source is marked
/// not read whole, since an answer from it may miss what was removed.
pub fn findings(fold: &mut Folder, report: &SealReport, journal: &mut SourceReport) {
    for f in &report.files {
        let kind = match f.outcome {
            FileOutcome::Failed => "journal-seal-failed",
            FileOutcome::UnsealedAfterKey => "journal-unsealed-after-key",
            FileOutcome::Verified | FileOutcome::UnsealedBeforeKey => continue,
        };
        let example = f
            .journalctl
            .iter()
            .find(|l| l.starts_with("FAIL") || l.contains("failed") || l.contains("corrupt"))
            .or(f.journalctl.last())
            .cloned()
            .unwrap_or_default();
        fold.add(
            FindingId::UncoveredBoots,
            "journal",
            kind,
            f.path.clone(),
            f.tail_us,
            &example,
        );
        journal
            .problems
            .push(format!("{}: {} (--verify-key)", f.path, f.outcome.name()));
    }
    for p in &report.problems {
        journal.problems.push(format!("--verify-key: {p}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_as_journalctl_prints_them_and_nothing_else_does() {
        let k: VerifyKey = "045ee3-9b276b-86091c-c2e96c/1e7591-35a4e900"
            .parse()
            .unwrap();
        assert_eq!(k.interval_us, 900_000_000);
        assert_eq!(k.start_us, 0x1e7591 * 900_000_000);
        for bad in [
            "",
            "045ee3-9b276b-86091c-c2e96c",
            "045ee3-9b276b-86091c-c2e96/1e7591-35a4e900",
            "045ee3-9b276b-86091c-c2e96cc/1e7591-35a4e900",
            "045ee3-9b276b-86091c-c2e96g/1e7591-35a4e900",
            "045ee3-9b276b-86091c-c2e96c/1e7591",
            "045ee3-9b276b-86091c-c2e96c/1e7591-0",
            "045ee3-9b276b-86091c-c2e96c/-35a4e900",
            "045ee3-9b276b-86091c-c2e96c/ffffffffffffffff-35a4e900",
            "045ee3-9b276b-86091c-c2e96c/1e7591-35a4e900; rm -rf /",
        ] {
            assert!(bad.parse::<VerifyKey>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_header_gives_seals_counts_and_times() {
        let mut f = FileSeal {
            path: String::new(),
            outcome: FileOutcome::Failed,
            sealed: false,
            tags: None,
            entries: None,
            head_seqnum: None,
            tail_seqnum: None,
            head_us: None,
            tail_us: None,
            online: false,
            journalctl: Vec::new(),
        };
        header(
            "State: ONLINE\nCompatible flags: SEALED\nHead sequential number: 1 (1)\nTail sequential number: 50 (32)\n\
             Head realtime timestamp: Sun 2026-12-06 12:15:32 UTC (661f610d786ad)\n\
             Tail realtime timestamp: Sun 2026-12-06 12:16:21 UTC (661f613c334ed)\n\
             Entry objects: 50\nTag objects: 2\n",
            &mut f,
        );
        assert!(f.sealed);
        assert_eq!((f.tags, f.entries), (Some(2), Some(50)));
        assert_eq!((f.head_seqnum, f.tail_seqnum), (Some(1), Some(50)));
        assert_eq!(f.head_us, Some(0x661f610d786ad));
        assert_eq!(f.tail_us, Some(0x661f613c334ed));
        assert!(f.online, "State: ONLINE: journald is writing it");
    }
}
