//! Back-pressure on whoever floods an approved medium: a permission group with
//! `FAN_OPEN_PERM` on each approved medium's filesystem. Every open of a file there waits for
//! this thread's answer, which is always "allow", given at once while the register keeps up
//! and only once it has caught up when it does not. A process that opens files faster than
//! they can be recorded is slowed to the register's pace instead of pushing records out: the
//! register's queue never overflows because of opens, and no copy is dropped for want of room.
//!
//! The daemon's own opens (the worker opening files by handle to hash them) are answered at
//! once, or the register would wait for itself. An answer is never held longer than
//! [`MAX_HOLD`]: a stuck worker must not stop the machine from using its media.

use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::fanotify::{self, Group};
use super::jobs::{Queue, QUEUE_CAPACITY};
use super::swaps::Openers;

const MASK: u64 = libc::FAN_OPEN_PERM;
/// Opens are held while more jobs than this wait for the worker...
pub const HIGH: usize = QUEUE_CAPACITY / 2;
/// ... until fewer than this do.
pub const LOW: usize = QUEUE_CAPACITY / 4;
/// The longest an open is held.
pub const MAX_HOLD: Duration = Duration::from_secs(10);

/// The pacing group.
pub struct Pace {
    group: Arc<Group>,
}

impl Pace {
    /// Create the group and the thread that answers it.
    /// Each open is noted in `openers` (a swap file's opener is who enabled swap on it).
    pub fn new(queue: Queue, openers: Arc<Openers>) -> io::Result<Pace> {
        let group = Arc::new(Group::init(
            libc::FAN_CLASS_CONTENT,
            (libc::O_RDONLY | libc::O_LARGEFILE) as u32,
        )?);
        let g = group.clone();
        std::thread::Builder::new()
            .name("airgapd-pace".into())
            .spawn(move || answer(&g, &queue, &openers))?;
        Ok(Pace { group })
    }

    /// Pace opens on the filesystem of the mount root `root`.
    pub fn mark(&self, root: &impl AsRawFd) -> io::Result<()> {
        self.group.mark_filesystem_fd(MASK, root)
    }
}

/// Wait until the worker has caught up (or `MAX_HOLD` passed); true when it had to wait.
fn catch_up(queue: &Queue) -> bool {
    if queue.pending() < HIGH {
        return false;
    }
    let end = Instant::now() + MAX_HOLD;
    while queue.pending() >= LOW && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

fn answer(group: &Group, queue: &Queue, openers: &Openers) {
    let me = std::process::id() as i32;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
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
            if ev.pid != me {
                catch_up(queue);
                if let Ok(meta) = std::fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd())) {
                    use std::os::unix::fs::MetadataExt;
                    let dev = (libc::major(meta.dev()), libc::minor(meta.dev()));
                    openers.note((dev, meta.ino()), ev.pid as u32, None);
                }
            }
            if let Err(e) = group.respond(fd.as_raw_fd(), true) {
                tracing::error!(error = %e, "answering an open permission event");
            }
        }
    }
}
