//! Swap enabled on a medium: `swapon` of its block device or of a file on it. The kernel opens
//! the device or file inside swapon(2) and from then on writes memory pages to it by itself,
//! through no descriptor of anyone's: fanotify sees the open and nothing after it (the raw
//! access group records only reads and writes through a descriptor). Memory of every process
//! then leaves the machine on the stick, so enabling swap on a medium is a write to it.
//!
//! The kernel says when the swap areas change: `/proc/swaps` raises `POLLPRI` (like
//! mountinfo) after every swapon and swapoff. A thread waits for that and reads the table
//! again; each new area on a medium the register follows is a `raw-write` line. Who enabled
//! it: the last process that opened that device node (the raw access group) or that file on
//! the medium (the register's own group, `watch.rs`, which also reports opens: `swapon(8)`
//! opens the file to read its signature before swapon(2), and since Linux 6.8 the kernel's own
//! open in swapon(2) is reported too) within the last [`RECENT`]; else the line says the
//! process is not known.
//!
//! Swap on a refused device cannot be enabled: the kernel's open in swapon(2) is checked by
//! the device program like any other (EPERM). A swapon followed by a swapoff before this
//! thread reads the table (microseconds) is not seen: root is trusted, and nothing was
//! written in between.

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::fanotify::Group;
use super::jobs::{now_us, Job, Queue};
use super::raw::RawAccess;
use super::who::{self, Exits, Who};
use super::Table;

/// How recent an open must be to name who enabled swap.
pub const RECENT: Duration = Duration::from_secs(10);
/// The longest the opener of a new swap area is waited for.
const SETTLE: Duration = Duration::from_millis(200);
/// At most this many opens are remembered (the oldest half is forgotten beyond).
const REMEMBERED: usize = 4096;

/// What was opened.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// A medium's block device node, by the device's number.
    Node((u32, u32)),
    /// A file on a medium (its block device) by its file handle's bytes, as the register's
    /// identifier group reports it.
    Handle((u32, u32), Vec<u8>),
    /// A file on a medium whose filesystem has no decodable handles, by its inode.
    Inode((u32, u32), u64),
}

/// An open: the pid, who it is when known already, and when.
type Opened = (u32, Option<Who>, Instant);

/// The last opener of each device node and medium file, for naming who enabled swap.
#[derive(Default)]
pub struct Openers {
    last: Mutex<HashMap<Key, Opened>>,
    /// The groups whose readers note opens...
    groups: Mutex<Vec<Arc<Group>>>,
    /// ... and how many of those readers hold events read and not yet noted.
    busy: AtomicUsize,
}

/// A reader holding events it has read and not yet noted (see [`Openers::reading`]).
pub struct Reading<'a>(&'a AtomicUsize);

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Openers {
    /// `group`'s reader notes opens (through [`Openers::reading`] around each batch).
    pub fn reader(&self, group: Arc<Group>) {
        if let Ok(mut g) = self.groups.lock() {
            g.push(group);
        }
    }

    /// Say so before reading a batch of events, until they are noted.
    pub fn reading(&self) -> Reading<'_> {
        self.busy.fetch_add(1, Ordering::SeqCst);
        Reading(&self.busy)
    }

    /// Wait (at most [`SETTLE`]) until every open made so far is noted: no group has events
    /// queued and no reader holds any. The kernel queues an open's event before the open
    /// returns, so the open by `swapon` comes before the change of `/proc/swaps` it causes.
    pub(super) fn settle(&self) {
        let end = Instant::now() + SETTLE;
        while Instant::now() < end {
            let queued = self
                .groups
                .lock()
                .map(|g| g.iter().any(|g| g.wait(0)))
                .unwrap_or(false);
            if !queued && self.busy.load(Ordering::SeqCst) == 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// `pid` opened `key` (its identity, when the caller has it already).
    pub fn note(&self, key: Key, pid: u32, who: Option<Who>) {
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if last.len() >= REMEMBERED {
            let now = Instant::now();
            last.retain(|_, (_, _, at)| now.duration_since(*at) < RECENT);
            if last.len() >= REMEMBERED {
                last.clear();
            }
        }
        last.insert(key, (pid, who, Instant::now()));
    }

    fn who(&self, key: &Key, exits: Option<&Exits>) -> Option<Who> {
        let (pid, who, at) = self.last.lock().ok()?.get(key).cloned()?;
        if at.elapsed() > RECENT {
            return None;
        }
        Some(who.unwrap_or_else(|| who::identify(pid, exits)))
    }
}

/// One line of `/proc/swaps`: the area's path (unescaped).
fn areas(text: &str) -> BTreeSet<String> {
    text.lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .map(crate::devices::internal::unescape)
        .collect()
}

/// Follow `/proc/swaps` from a thread of its own.
pub fn watch(
    table: Table,
    queue: Queue,
    openers: Arc<Openers>,
    exits: Option<Arc<Exits>>,
) -> io::Result<()> {
    let mut file = std::fs::File::open("/proc/swaps")?;
    std::thread::Builder::new()
        .name("airgapd-swaps".into())
        .spawn(move || {
            let mut known = read(&mut file).map(|t| areas(&t)).unwrap_or_default();
            loop {
                let mut pfd = libc::pollfd {
                    fd: file.as_raw_fd(),
                    events: libc::POLLPRI,
                    revents: 0,
                };
                // SAFETY: one valid pollfd for the duration of the call.
                if unsafe { libc::poll(&raw mut pfd, 1, -1) } < 0 {
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
                let Ok(text) = read(&mut file) else {
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                };
                let now = areas(&text);
                for path in now.difference(&known) {
                    if let Some(job) = enabled(path, &table, &openers, exits.as_deref()) {
                        queue.send(Job::Raw(Box::new(job)));
                    }
                }
                known = now;
            }
        })?;
    Ok(())
}

/// Read the file again from its start (which also clears the poll event).
fn read(file: &mut std::fs::File) -> io::Result<String> {
    use std::io::{Read, Seek};
    file.rewind()?;
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(text)
}

/// The register line for swap newly enabled at `path`, if it is on a medium followed.
fn enabled(
    path: &str,
    table: &Table,
    openers: &Openers,
    exits: Option<&Exits>,
) -> Option<RawAccess> {
    let meta = std::fs::metadata(path).ok()?;
    let node = meta.file_type().is_block_device();
    let fs = if node {
        (libc::major(meta.rdev()), libc::minor(meta.rdev()))
    } else {
        (libc::major(meta.dev()), libc::minor(meta.dev()))
    };
    let dev = {
        let t = table.read().ok()?;
        t.iter()
            .find(|(d, tracked)| **d == fs || tracked.mounts.iter().any(|m| m.dev == fs))
            .map(|(d, _)| *d)?
    };
    let keys = if node {
        vec![Key::Node(dev)]
    } else {
        let handle = super::raw::handle_of(path).map(|h| Key::Handle(dev, h));
        handle
            .into_iter()
            .chain([Key::Inode(dev, meta.ino())])
            .collect()
    };
    // The readers read in batches, a few milliseconds apart: swapon's own open may not be
    // noted yet (and an earlier opener, mkswap, would be named instead).
    openers.settle();
    let who = keys.iter().find_map(|k| openers.who(k, exits));
    Some(RawAccess {
        dev,
        node: path.to_string(),
        swap: true,
        who: who.unwrap_or_default(),
        wrote: true,
        read: false,
        at_us: now_us(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_are_the_first_column_unescaped() {
        let text = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n\
                    /dev/loop3                              partition\t8188\t\t0\t\t-2\n\
                    /media/a\\040b/swapfile                  file\t\t1020\t\t0\t\t-3\n";
        let got = areas(text);
        assert!(got.contains("/dev/loop3"));
        assert!(got.contains("/media/a b/swapfile"));
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn an_old_open_names_nobody() {
        let o = Openers::default();
        o.note(Key::Node((7, 3)), 42, Some(Who::default()));
        assert!(o.who(&Key::Node((7, 3)), None).is_some());
        assert!(o.who(&Key::Node((7, 4)), None).is_none());
    }
}
