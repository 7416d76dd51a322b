//! Back-pressure on whoever floods an approved medium: a permission group that asks about
//! every open of a file on the approved media (`FAN_OPEN_PERM` on their filesystems) while,
//! and only while, the register is behind. Each such open waits for this thread's answer,
//! which is always "allow", given once the worker has caught up. A process that opens files
//! faster than they can be recorded is slowed to the register's pace instead of pushing
//! records out: the register's queue never overflows because of opens, and no copy is dropped
//! for want of room.
//!
//! Asking about every open all the time cost a person copying a thousand small files to a
//! stick about 70 µs a file (two wake-ups and a round trip through the daemon for each), while
//! the register kept up. So the kernel is asked only once the queue holds [`ARM`] jobs: the
//! queue says when it rises through that level ([`Queue::on_rise`]), and the arming thread adds
//! `FAN_OPEN_PERM` to every approved medium's filesystem mark; it takes it off again once fewer
//! than [`DISARM`] wait. Between the queue reaching `ARM` and the mark, the queue's remaining
//! room and the kernel's own queue of 16384 events hold what arrives (a file's events are
//! merged into one while unread), so no copy is lost meanwhile. A mark can only be changed
//! through a descriptor on the filesystem; it is opened from the mount table, checked to be the
//! medium's mount root, and closed at once (a descriptor kept open would make unmounting the
//! stick fail as "busy").
//!
//! The daemon's own opens (the worker opening files by handle to hash them) are answered at
//! once, also while others are held, or the register would wait for itself. An answer is never
//! held longer than [`MAX_HOLD`]: a stuck worker must not stop the machine from using its
//! media.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use super::fanotify::{self, Group};
use super::jobs::{Queue, QUEUE_CAPACITY};
use super::Table;

const MASK: u64 = libc::FAN_OPEN_PERM;
/// Opens are asked about once this many jobs wait for the worker...
pub const ARM: usize = QUEUE_CAPACITY / 4;
/// ... and no more once fewer than this do.
pub const DISARM: usize = QUEUE_CAPACITY / 16;
/// Opens are held while more jobs than this wait for the worker...
pub const HIGH: usize = QUEUE_CAPACITY / 2;
/// ... until fewer than this do.
pub const LOW: usize = QUEUE_CAPACITY / 4;
/// The longest an open is held.
pub const MAX_HOLD: Duration = Duration::from_secs(10);
/// How often the arming thread looks at the queue while opens are asked about.
const DISARM_POLL: Duration = Duration::from_millis(5);

/// The pacing group.
pub struct Pace {
    group: Arc<Group>,
    /// Whether opens are asked about now; held while marks change, so that a medium mounted
    /// meanwhile is marked or not as the others are.
    armed: Arc<Mutex<bool>>,
}

impl Pace {
    /// Create the group, the thread that answers it and the thread that arms it when the
    /// queue rises past [`ARM`]; `table` names the approved media and their mounts.
    pub fn new(queue: Queue, table: Table) -> io::Result<Pace> {
        let group = Arc::new(Group::init(
            libc::FAN_CLASS_CONTENT,
            (libc::O_RDONLY | libc::O_LARGEFILE) as u32,
        )?);
        let armed = Arc::new(Mutex::new(false));
        let (rise_tx, rise) = mpsc::sync_channel(1);
        queue.on_rise(ARM, rise_tx);
        let (g, q) = (group.clone(), queue.clone());
        std::thread::Builder::new()
            .name("airgapd-pace".into())
            .spawn(move || answer(&g, &q))?;
        let (g, a) = (group.clone(), armed.clone());
        std::thread::Builder::new()
            .name("airgapd-pace-arm".into())
            .spawn(move || arm(&g, &a, &queue, &table, &rise))?;
        Ok(Pace { group, armed })
    }

    /// A medium mounted anew (its mount root `root`): paced like the others are now.
    pub fn mark(&self, root: &impl AsRawFd) -> io::Result<()> {
        let armed = self.armed.lock().expect("pace lock");
        if *armed {
            self.group.mark_filesystem_fd(MASK, root)?;
        }
        Ok(())
    }
}

/// Add (or remove) the open permission mark on every approved medium's filesystem.
fn set(group: &Group, table: &Table, on: bool) {
    let media: Vec<_> = match table.read() {
        Ok(t) => t
            .iter()
            .filter(|(_, t)| t.medium.approved)
            .map(|(dev, t)| (*dev, t.mounts.clone()))
            .collect(),
        Err(_) => return,
    };
    for (dev, mounts) in media {
        // One mount is enough: the mark is on the filesystem.
        let Some(root) = mounts.iter().find_map(|m| m.open_root(dev).ok()) else {
            continue;
        };
        let r = if on {
            group.mark_filesystem_fd(MASK, &root)
        } else {
            group.unmark_filesystem_fd(MASK, &root)
        };
        match r {
            Err(e) if on => tracing::error!(error = %e,
                device = %format!("{}:{}", dev.0, dev.1), "pacing opens on a medium"),
            // A medium mounted since the arming has no such mark: nothing to take off.
            _ => {}
        }
    }
}

/// Arm when the queue rises past [`ARM`], disarm when it falls below [`DISARM`], forever.
fn arm(
    group: &Group,
    armed: &Mutex<bool>,
    queue: &Queue,
    table: &Table,
    rise: &mpsc::Receiver<()>,
) {
    while rise.recv().is_ok() {
        if queue.pending() < ARM {
            continue;
        }
        {
            let mut a = armed.lock().expect("pace lock");
            set(group, table, true);
            *a = true;
        }
        tracing::debug!(pending = queue.pending(), "asking about opens on media");
        while queue.pending() >= DISARM {
            std::thread::sleep(DISARM_POLL);
        }
        let mut a = armed.lock().expect("pace lock");
        set(group, table, false);
        *a = false;
    }
}

/// Opens held until the worker has caught up, oldest first, with when the first was held.
#[derive(Default)]
struct Held {
    fds: Vec<OwnedFd>,
    since: Option<Instant>,
}

impl Held {
    /// Whether the open of another process must wait now.
    fn must_wait(&self, queue: &Queue) -> bool {
        !self.fds.is_empty() || queue.pending() >= HIGH
    }

    fn hold(&mut self, fd: OwnedFd) {
        self.since.get_or_insert_with(Instant::now);
        self.fds.push(fd);
    }

    /// Let the held opens go once fewer than [`LOW`] jobs wait, or [`MAX_HOLD`] has passed.
    fn release(&mut self, group: &Group, queue: &Queue) {
        let over = self.since.is_some_and(|t| t.elapsed() >= MAX_HOLD);
        if self.fds.is_empty() || (queue.pending() >= LOW && !over) {
            return;
        }
        for fd in self.fds.drain(..) {
            allow(group, &fd);
        }
        self.since = None;
    }
}

fn allow(group: &Group, fd: &OwnedFd) {
    if let Err(e) = group.respond(fd.as_raw_fd(), true) {
        tracing::error!(error = %e, "answering an open permission event");
    }
}

/// Answer every open; hold those of other processes while the worker is behind. The thread
/// never waits for the worker itself: the worker's own opens (to hash what it records) come
/// through this group too, and must be answered at once even while others are held, or the
/// worker would wait for the thread that waits for it.
fn answer(group: &Group, queue: &Queue) {
    let me = std::process::id() as i32;
    let mut buf = vec![0u8; 16 * 1024];
    let mut held = Held::default();
    loop {
        let timeout = if held.fds.is_empty() { -1 } else { 1 };
        if group.wait(timeout) {
            let n = match group.read(&mut buf) {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e, "reading open permission events");
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
            };
            for ev in fanotify::parse(&buf[..n]) {
                let Some(fd) = ev.fd else { continue };
                if ev.pid != me && held.must_wait(queue) {
                    held.hold(fd);
                } else {
                    allow(group, &fd);
                }
            }
        }
        held.release(group, queue);
    }
}
