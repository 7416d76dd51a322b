//! Hash-chained JSON lines files: the copy register (`register::file`) and the machine record
//! (`machine_record`) share this one implementation. One JSON object per line, appended
//! (O_APPEND) and flushed to disk (fdatasync), each line chained to the one before by SHA-256,
//! so a line removed or altered anywhere breaks the chain from that line on.
//!
//! A line is the entry's JSON with one last member added, `"chain"`:
//!
//! ```text
//! {"seq":7,"time":"...",...,"lost":0,"chain":"<64 hex>"}
//! chain(n) = SHA-256( chain(n-1) as 64 hex digits || the line's bytes before `,"chain":"` )
//! chain(0) = 64 zeros
//! ```
//!
//! The hash covers the exact bytes written, so verifying needs no canonical JSON. What the
//! chain cannot show alone is lines cut from the end (or the whole file deleted): every record
//! also goes to the journal with its sequence number and chain, which an officer compares with
//! the file's last line.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use serde::{de::DeserializeOwned, Serialize};

/// A record of a chained file: numbered by the file, 1 for the first line.
pub trait Chained: Serialize + DeserializeOwned {
    /// The record's number.
    fn seq(&self) -> u64;
    /// Number the record (done by [`ChainFile::append`]).
    fn set_seq(&mut self, seq: u64);
}

/// The chain value before the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const CHAIN_KEY: &str = ",\"chain\":\"";
/// Mode of a new file: the daemon writes, root and the file's group read.
const MODE: u32 = 0o640;

/// Errors of a chained file.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The file could not be opened, read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the kernel said.
        #[source]
        source: io::Error,
    },
    /// A line is not what the daemon writes, or does not continue the chain.
    #[error("{}: line {line}{}: {problem}", path.display(), seq.map(|s| format!(" (record #{s})")).unwrap_or_default())]
    Broken {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The record's own sequence number, when it could be read.
        seq: Option<u64>,
        /// What is wrong, in words.
        problem: String,
    },
}

impl ChainError {
    fn io(path: &Path) -> impl FnOnce(io::Error) -> ChainError + '_ {
        move |source| ChainError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `chain(n)` from `chain(n-1)` and the line's bytes before the chain member.
pub fn chain(prev: &str, body: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(body.as_bytes());
    hex(&h.finalize())
}

/// Split a line into the body the chain covers and the chain it claims.
fn split(line: &str) -> Option<(&str, &str)> {
    let at = line.rfind(CHAIN_KEY)?;
    let claimed = line[at + CHAIN_KEY.len()..].strip_suffix("\"}")?;
    (claimed.len() == 64 && claimed.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some((&line[..at], claimed))
}

/// A chained file, open for appending.
#[derive(Debug)]
pub struct ChainFile<T> {
    path: PathBuf,
    /// None until the first record creates the file.
    file: Option<File>,
    next_seq: u64,
    last_chain: String,
    unsynced: usize,
    _records: std::marker::PhantomData<fn(T)>,
}

/// What verifying found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Records checked.
    pub records: u64,
    /// The last record's sequence number (0 for an empty file).
    pub last_seq: u64,
    /// The last record's chain ([`GENESIS`] for an empty file).
    pub last_chain: String,
    /// Every record's chain, in order: a head noted earlier is in it at its number if the file
    /// still holds what it held then (issue 20, `report merge`).
    pub chains: Vec<String>,
}

impl<T: Chained> ChainFile<T> {
    /// Open the file at `path`, ready to continue its chain. A file that does not exist yet is
    /// created (mode 0640, its directory too) by the first append, so a machine where nothing
    /// was ever recorded has no file. A line torn by a crash at the end is left
    /// as it is (verify will name it), and the chain continues from the last whole record; the
    /// caller is told so it can record a note.
    pub fn open(path: &Path) -> Result<(ChainFile<T>, Option<String>), ChainError> {
        let mut file = match OpenOptions::new()
            .read(true)
            .append(true)
            .custom_flags(libc::O_CLOEXEC)
            .open(path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok((
                    ChainFile {
                        path: path.to_path_buf(),
                        file: None,
                        next_seq: 1,
                        last_chain: GENESIS.to_string(),
                        unsynced: 0,
                        _records: std::marker::PhantomData,
                    },
                    None,
                ))
            }
            Err(e) => return Err(ChainError::io(path)(e)),
        };
        let (last, torn) = last_line(&mut file).map_err(ChainError::io(path))?;
        let mut note = None;
        let (next_seq, last_chain) = match last.as_deref().and_then(split) {
            Some((body, claimed)) => {
                let seq = serde_json::from_str::<T>(&format!("{body}}}"))
                    .map(|e| e.seq())
                    .unwrap_or(0);
                // The daemon never numbers that far; a file that does was not written by it,
                // and numbering again from 0 would hide that.
                let next = seq.checked_add(1).ok_or_else(|| ChainError::Broken {
                    path: path.to_path_buf(),
                    line: 0,
                    seq: Some(seq),
                    problem: "the last record's number is the largest there is; the chain \
                              cannot be continued (keep this file for the officer and start a \
                              new one)"
                        .into(),
                })?;
                (next, claimed.to_string())
            }
            None if last.is_none() => (1, GENESIS.to_string()),
            None => {
                return Err(ChainError::Broken {
                    path: path.to_path_buf(),
                    line: 0,
                    seq: None,
                    problem: "the last line is not a record of this file; the chain cannot be \
                              continued (keep this file for the officer and start a new one)"
                        .into(),
                })
            }
        };
        if torn > 0 {
            // End the torn line so the next record starts on a line of its own.
            file.write_all(b"\n").map_err(ChainError::io(path))?;
            note = Some(format!(
                "a partial record of {torn} bytes was found at the end of {} (the \
                 daemon stopped while writing it); it stays in the file and fails verification",
                path.display()
            ));
        }
        Ok((
            ChainFile {
                path: path.to_path_buf(),
                file: Some(file),
                next_seq,
                last_chain,
                unsynced: 0,
                _records: std::marker::PhantomData,
            },
            note,
        ))
    }

    /// Whether the file is still to be created (by the next append).
    pub fn is_new(&self) -> bool {
        self.file.is_none()
    }

    fn create(&mut self) -> Result<&mut File, ChainError> {
        if self.file.is_none() {
            let path = self.path.clone();
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(ChainError::io(&path))?;
            }
            let file = OpenOptions::new()
                .read(true)
                .append(true)
                .create(true)
                .mode(MODE)
                .custom_flags(libc::O_CLOEXEC)
                .open(&path)
                .map_err(ChainError::io(&path))?;
            // The umask may have taken the group's read bit; the mode is part of the design.
            file.set_permissions(std::fs::Permissions::from_mode(MODE))
                .map_err(ChainError::io(&path))?;
            self.file = Some(file);
        }
        Ok(self.file.as_mut().expect("just opened"))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append `entry` with the next sequence number; returns (seq, chain). The line is in the
    /// file (one write(2) with O_APPEND) but not yet on disk: see [`RegisterFile::sync`].
    pub fn append(&mut self, entry: &mut T) -> Result<(u64, String), ChainError> {
        entry.set_seq(self.next_seq);
        let json = serde_json::to_string(entry).map_err(|e| ChainError::Io {
            path: self.path.clone(),
            source: io::Error::other(e),
        })?;
        let body = json.strip_suffix('}').unwrap_or(&json);
        let chain = chain(&self.last_chain, body);
        let line = format!("{body}{CHAIN_KEY}{chain}\"}}\n");
        let path = self.path.clone();
        self.create()?
            .write_all(line.as_bytes())
            .map_err(ChainError::io(&path))?;
        self.next_seq += 1;
        self.last_chain.clone_from(&chain);
        self.unsynced += 1;
        Ok((entry.seq(), chain))
    }

    /// Lines appended since the last sync.
    pub fn unsynced(&self) -> usize {
        self.unsynced
    }

    /// Flush appended lines to disk.
    pub fn sync(&mut self) -> Result<(), ChainError> {
        if let (true, Some(file)) = (self.unsynced > 0, self.file.as_ref()) {
            file.sync_data().map_err(ChainError::io(&self.path))?;
            self.unsynced = 0;
        }
        Ok(())
    }
}

/// The last line (without its newline) and, when the file does not end with a newline, the
/// length of the torn tail (then the line returned is the last whole one).
fn last_line(file: &mut File) -> io::Result<(Option<String>, usize)> {
    let len = file.seek(SeekFrom::End(0))?;
    let mut tail = Vec::new();
    let mut start = len;
    // Read backwards in blocks until two newlines (or the start) are in view.
    loop {
        let step = 8192.min(start);
        start -= step;
        file.seek(SeekFrom::Start(start))?;
        let mut block = vec![0; step as usize];
        file.read_exact(&mut block)?;
        block.extend_from_slice(&tail);
        tail = block;
        if start == 0 || tail.iter().filter(|&&b| b == b'\n').count() >= 2 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&tail);
    let torn = if text.is_empty() || text.ends_with('\n') {
        0
    } else {
        text.len() - text.rfind('\n').map_or(0, |i| i + 1)
    };
    let whole = &text[..text.len() - torn];
    let last = whole
        .strip_suffix('\n')
        .and_then(|t| t.rsplit('\n').next())
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    Ok((last, torn))
}

/// Check every line of the chained file at `path`: that it is a record, that its number follows
/// the one before (a gap is a removed line), and that its chain matches. Stops at the first
/// problem, which names the line.
pub fn verify<T: Chained>(path: &Path) -> Result<Verified, ChainError> {
    let file = File::open(path).map_err(ChainError::io(path))?;
    let mut prev = GENESIS.to_string();
    let mut expected = 1u64;
    let mut records = 0;
    let mut chains = Vec::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(ChainError::io(path))?;
        let broken = |seq, problem: String| ChainError::Broken {
            path: path.to_path_buf(),
            line: index + 1,
            seq,
            problem,
        };
        let Some((body, claimed)) = split(&line) else {
            return Err(broken(
                None,
                "not a record of this file (no chain hash at its end)".into(),
            ));
        };
        let entry: T = serde_json::from_str(&format!("{body}}}"))
            .map_err(|e| broken(None, format!("not a record of this file ({e})")))?;
        if chain(&prev, body) != claimed {
            // Every line before verified, so either this one was edited, or the line before it
            // is not the one that was there: its number tells which.
            let problem = if entry.seq() > expected {
                let to = if entry.seq() > expected + 1 {
                    format!(" to #{}", entry.seq() - 1)
                } else {
                    String::new()
                };
                format!("record #{expected}{to} is missing: removed from the file")
            } else {
                "this line was altered after it was written (its chain hash does not match its \
                 content)"
                    .to_string()
            };
            return Err(broken(Some(entry.seq()), problem));
        }
        if entry.seq() != expected {
            return Err(broken(
                Some(entry.seq()),
                format!("numbered #{} where #{expected} was expected", entry.seq()),
            ));
        }
        prev = claimed.to_string();
        chains.push(prev.clone());
        expected += 1;
        records += 1;
    }
    Ok(Verified {
        records,
        last_seq: expected - 1,
        last_chain: prev,
        chains,
    })
}

/// Every record of the chained file at `path`, in order (lines that are not records are skipped;
/// `verify` is what judges them).
pub fn read<T: Chained>(path: &Path) -> Result<Vec<T>, ChainError> {
    let file = File::open(path).map_err(ChainError::io(path))?;
    let mut out = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line.map_err(ChainError::io(path))?;
        if let Some((body, _)) = split(&line) {
            if let Ok(e) = serde_json::from_str::<T>(&format!("{body}}}")) {
                out.push(e);
            }
        }
    }
    Ok(out)
}

/// Append `record` to the file at `path` as one writer among several (the daemon, `airgapd
/// lift`): under an exclusive `flock` on the file, continue the chain from its last line as it
/// is now, append, fdatasync. Blocks: never call it on the daemon's loop.
pub fn append_locked<T: Chained>(path: &Path, record: &mut T) -> Result<(u64, String), ChainError> {
    append_locked_with(path, record, |_| {})
}

/// [`append_locked`], with `complete` filling in the record under the lock, just before it is
/// appended: what must be in the same order as the lines (the machine record's TPM counter,
/// advanced by one writer at a time).
pub fn append_locked_with<T: Chained>(
    path: &Path,
    record: &mut T,
    complete: impl FnOnce(&mut T),
) -> Result<(u64, String), ChainError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(ChainError::io(path))?;
    }
    let lock = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(MODE)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
        .map_err(ChainError::io(path))?;
    lock.set_permissions(std::fs::Permissions::from_mode(MODE))
        .map_err(ChainError::io(path))?;
    // SAFETY: flock on a descriptor this function owns; released when it is closed.
    if unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX) } < 0 {
        return Err(ChainError::io(path)(io::Error::last_os_error()));
    }
    let (mut file, _torn) = ChainFile::<T>::open(path)?;
    complete(record);
    let done = file.append(record)?;
    file.sync()?;
    drop(lock);
    Ok(done)
}

/// What the `seq`-th line of a chained file is now, for comparing with a chain head an earlier
/// inspection printed (`airgapctl inspect --previous`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefixAt {
    /// The file has fewer lines than that: lines were cut from its end.
    Short {
        /// Lines the file has.
        lines: u64,
    },
    /// A line at or before it is not a record of the file (its 1-based number).
    NotARecord {
        /// The line.
        line: u64,
    },
    /// The line: its chain recomputed from the bytes of every line up to it.
    Line {
        /// The chain recomputed (never the chain the line claims).
        chain: String,
        /// The number the record carries, when it reads as one.
        seq: Option<u64>,
    },
}

/// The `seq`-th line of the chained file at `path`, its chain recomputed from [`GENESIS`]
/// over the exact bytes of every line up to it. Equal to a head printed earlier exactly when
/// those lines are still the ones that were there: a line edited and the chain re-hashed from
/// it on (which [`verify`] accepts) changes the recomputed chain all the same.
pub fn prefix_at<T: Chained>(path: &Path, seq: u64) -> Result<PrefixAt, ChainError> {
    let file = File::open(path).map_err(ChainError::io(path))?;
    let mut prev = GENESIS.to_string();
    let mut lines = 0u64;
    for line in BufReader::new(file).lines() {
        let line = line.map_err(ChainError::io(path))?;
        lines += 1;
        let Some((body, _)) = split(&line) else {
            return Ok(PrefixAt::NotARecord { line: lines });
        };
        prev = chain(&prev, body);
        if lines == seq {
            let seq = serde_json::from_str::<T>(&format!("{body}}}"))
                .ok()
                .map(|e| e.seq());
            return Ok(PrefixAt::Line { chain: prev, seq });
        }
    }
    Ok(PrefixAt::Short { lines })
}
