//! The moments between a mount and its watch. The daemon learns of a mount from the mount
//! table, a few milliseconds after `mount(2)` returned; a program started right after the
//! mount (`mount /dev/sdb1 /media/x && cp a b c /media/x/`) may have written files by then.
//! Once the filesystem is marked, every later change makes an event; what changed before is
//! found by this scan: each regular file whose change time is at or after the moment the
//! daemon last saw the medium unmounted (or judged it), and at or before the mark, is hashed
//! and recorded as written in that gap, its writer unknown. A file the worker hashed already
//! (same device, inode, size and times) was recorded and is skipped.
//!
//! What the scan cannot see: a file written and removed again within the gap, and files read
//! from the medium in it.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// File timestamps come from a coarse clock (a tick, ≤ 10 ms) behind the daemon's.
pub const SLACK: Duration = Duration::from_millis(20);
/// Entries visited at most (a medium with more is scanned that far, and the record says so).
pub const MAX_ENTRIES: usize = 200_000;

/// A scan to do, as the worker gets it.
#[derive(Debug)]
pub struct Scan {
    /// The medium's block device.
    pub dev: (u32, u32),
    /// Changes at or after this were possibly made before the mark.
    pub since: SystemTime,
    /// When the mark was made.
    pub marked: SystemTime,
}

/// A file found changed in the gap.
#[derive(Debug)]
pub struct Found {
    /// Its path from the mount root (relative).
    pub path: PathBuf,
    /// The file, open for hashing.
    pub file: File,
    /// Created in the gap (its birth time is in it), not only changed.
    pub created: bool,
}

fn secs(t: SystemTime) -> i128 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// Walk the tree under `root` (a checked mount root, reached through /proc/self/fd) and give
/// every regular file changed between `since` and `until`; true when the walk was complete.
pub fn changed(root: &Path, since: SystemTime, until: SystemTime, found: &mut Vec<Found>) -> bool {
    let (lo, hi) = (secs(since - SLACK), secs(until + SLACK));
    let mut dirs = vec![PathBuf::new()];
    let mut seen = 0usize;
    while let Some(rel) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(root.join(&rel)) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                return false;
            }
            let path = rel.join(entry.file_name());
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                dirs.push(path);
                continue;
            }
            if !meta.is_file() {
                continue;
            }
            let ctime = i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec());
            let mtime = i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec());
            let changed = ctime.max(mtime);
            if changed < lo || changed > hi {
                continue;
            }
            let created = meta.created().is_ok_and(|b| secs(b) >= lo);
            // The name may be another file by now (a FIFO renamed over it): opened without
            // waiting or following, and checked again through the descriptor.
            let opened = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
                .open(root.join(&path))
                .ok()
                .filter(|f| f.metadata().is_ok_and(|m| m.is_file()));
            if let Some(file) = opened {
                found.push(Found {
                    path,
                    file,
                    created,
                });
            }
        }
    }
    true
}
