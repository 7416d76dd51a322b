//! What a scan found written on a medium between its mount and its mark (`catchup.rs`),
//! recorded once the events of that moment have been.

use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{of_content, of_medium, Then, Worker};
use crate::register::entry::{self, direction, event, Entry};
use crate::register::hash::Content;
use crate::register::jobs::now_us;

/// Files a scan found, recorded once the events of that moment have been.
pub(super) struct Deferred {
    pub(super) due: Instant,
    dev: (u32, u32),
    gap: Duration,
    root: String,
    medium: crate::register::Medium,
    found: Vec<crate::register::catchup::Found>,
    complete: bool,
}

/// How long a scan's findings wait: a file opened before the mark and closed after it has an
/// event too, and the event's record (with its writer) is the one kept.
const SCAN_SETTLE: Duration = Duration::from_millis(300);

impl Worker {
    /// Record what was written on a medium between its mount and its mark (`catchup.rs`).
    pub(super) fn scan(&mut self, s: &crate::register::catchup::Scan) {
        let Some(tracked) = self.table.read().ok().and_then(|t| t.get(&s.dev).cloned()) else {
            return;
        };
        let Some((mount, root)) = tracked.mounts.iter().find_map(|m| {
            let fd = m.open_root(s.dev).ok()?;
            // Walked and held through a private copy of the mount: the user's mount is never
            // busy because of it.
            crate::register::mounts::private_copy(&fd)
                .ok()
                .map(|copy| (m, copy))
        }) else {
            return;
        };
        let through = PathBuf::from(format!("/proc/self/fd/{}", root.as_raw_fd()));
        let mut found = Vec::new();
        let complete = crate::register::catchup::changed(&through, s.since, s.marked, &mut found);
        self.deferred.push(Deferred {
            due: Instant::now() + SCAN_SETTLE,
            dev: s.dev,
            gap: s.marked.duration_since(s.since).unwrap_or_default(),
            root: mount.root.clone(),
            medium: tracked.medium.clone(),
            found,
            complete,
        });
    }

    /// Record what the scans that are due found and no event recorded since.
    pub(super) fn record_scans(&mut self, all: bool) {
        let now = Instant::now();
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.deferred)
            .into_iter()
            .partition(|d| all || d.due <= now);
        self.deferred = later;
        for d in due {
            self.record_scan(d);
        }
    }

    fn record_scan(&mut self, d: Deferred) {
        for f in d.found {
            if self.cache.known(&f.file) {
                continue;
            }
            let at_us = now_us();
            let mut e = Entry {
                time: entry::rfc3339(at_us),
                time_us: at_us,
                event: if f.created {
                    event::CREATED
                } else {
                    event::WRITTEN
                }
                .into(),
                direction: direction::TO_MEDIUM.into(),
                copies: 1,
                device: format!("{}:{}", d.dev.0, d.dev.1),
                ..Entry::default()
            };
            of_medium(&mut e, &d.medium);
            let on_medium = Path::new(&d.root).join(&f.path);
            e.set_document(on_medium.as_os_str().as_bytes());
            let why = format!(
                "written after the medium was mounted and before the daemon watched it (it \
                 last saw the medium unmounted or watched {} ms before): found by the \
                 daemon's scan, the writer is not known",
                d.gap.as_millis()
            );
            let then = Then::Scan {
                e: Box::new(e),
                medium: d.medium.clone(),
                why,
            };
            self.hash(d.dev, f.file, false, then);
        }
        if !d.complete {
            self.note(format!(
                "the medium {}:{} has more than {} entries: files written on it between its \
                 mount and its watch were looked for among the first {} only",
                d.dev.0,
                d.dev.1,
                crate::register::catchup::MAX_ENTRIES,
                crate::register::catchup::MAX_ENTRIES
            ));
        }
    }

    /// The record of a file a scan found, once its content is hashed, or could not be.
    pub(super) fn record_found(
        &mut self,
        mut e: Entry,
        medium: &crate::register::Medium,
        why: String,
        hashed: Result<Content, String>,
    ) {
        match hashed {
            Ok(content) => {
                of_content(&mut e, content);
                e.note = why;
            }
            Err(err) => {
                e.result = crate::journal::field::result::FAILURE.into();
                e.note = format!("{why}; the content could not be read to hash it: {err}");
            }
        }
        self.commit(&mut e, Some(medium));
    }
}
