//! What event readers hand the worker: jobs, through a bounded queue. A copy waits for room
//! (the reader stops reading, the kernel keeps the events, and `pace.rs` holds the processes
//! that open files on media meanwhile): copies are never dropped for want of room. Other jobs
//! (exec refusals, whose process already has its answer) are offered and never wait.

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::bpf::Layer;

use super::fanotify::Handle;
use super::who::Who;

/// Jobs waiting at most; past that, copies are counted as lost.
pub const QUEUE_CAPACITY: usize = 4096;

/// Microseconds since the epoch, now.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Which file a copy job is about.
#[derive(Debug)]
pub enum Target {
    /// From a group reporting identifiers: the file, its directory and its name there.
    Handles {
        /// The file itself.
        file: Option<Handle>,
        /// Its directory and its name in it.
        dir: Option<(Handle, Vec<u8>)>,
    },
    /// From a group without identifiers: the file as the kernel opened it for us.
    Open(OwnedFd),
}

/// A file written to, renamed onto, or read from a medium.
#[derive(Debug)]
pub struct Copy {
    /// The medium's block device.
    pub dev: (u32, u32),
    /// One of [`super::entry::event`].
    pub event: &'static str,
    /// The file.
    pub target: Target,
    /// Who did it.
    pub who: Who,
    /// When the daemon read the event.
    pub at_us: u64,
    /// How many times this process did this to this file within the folding window (1 for
    /// everything but reads, which are folded: see `watch.rs`).
    pub count: u32,
    /// What the worker must check before it believes the event.
    pub check: Check,
}

/// What a `written` event may turn out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Nothing to check.
    None,
    /// Closed after being opened for writing, with no change seen: unless its change time is
    /// recent (a change through a shared mapping makes no event), it was only read.
    Unchanged,
    /// Changed with no close following (`truncate(2)`): recorded unless a descriptor is still
    /// open for writing on it (then its close will be).
    Truncated,
}

/// An execution refused.
#[derive(Debug)]
pub struct Exec {
    /// The medium's block device.
    pub dev: (u32, u32),
    /// The program's path as the daemon can name it.
    pub path: String,
    /// The program, open for hashing, when the daemon could open it.
    pub file: Option<OwnedFd>,
    /// Who tried.
    pub who: Who,
    /// The layer that refused.
    pub layer: Layer,
    /// When.
    pub at_us: u64,
}

/// What the worker does.
#[derive(Debug)]
pub enum Job {
    /// Record a copy.
    Copy(Box<Copy>),
    /// Record a refused execution.
    Exec(Box<Exec>),
    /// The BPF LSM counted refusals whose details its ring buffer could not hold.
    ExecLost(u64),
    /// The kernel's fanotify queue overflowed: an unknown number of events were lost.
    Overflow,
    /// A process opened an approved medium's block device itself.
    Raw(Box<super::raw::RawAccess>),
    /// A medium was just marked: record what was written between its mount and the mark.
    Scan(super::catchup::Scan),
    /// Nothing to do: the daemon is stopping and the worker, waiting for a job, is to look at
    /// its stop flag.
    Wake,
}

/// The sending side, shared by every event reader.
#[derive(Debug, Clone)]
pub struct Queue {
    tx: SyncSender<Job>,
    dropped: Arc<AtomicU64>,
    pending: Arc<AtomicUsize>,
    /// Told (without waiting) each time the jobs waiting rise to this level.
    rise: Arc<OnceLock<(usize, SyncSender<()>)>>,
}

impl Queue {
    /// Hand a copy to the worker, waiting for room: a copy is never dropped because the
    /// worker is behind (only when it has stopped, and then it is counted).
    pub fn copy(&self, job: Copy) {
        self.added();
        if self.tx.send(Job::Copy(Box::new(job))).is_err() {
            self.pending.fetch_sub(1, Ordering::Relaxed);
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Hand over any other job without waiting; gives it back when the queue is full.
    pub fn offer(&self, job: Job) -> Result<(), Job> {
        self.added();
        self.tx.try_send(job).map_err(|e| {
            self.pending.fetch_sub(1, Ordering::Relaxed);
            match e {
                TrySendError::Full(j) | TrySendError::Disconnected(j) => j,
            }
        })
    }

    /// Hand over a job that must not be lost, waiting for room.
    pub fn send(&self, job: Job) {
        self.added();
        if self.tx.send(job).is_err() {
            self.pending.fetch_sub(1, Ordering::Relaxed);
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Tell `tx` whenever the jobs waiting rise to `level` (once set, for good).
    pub fn on_rise(&self, level: usize, tx: SyncSender<()>) {
        let _ = self.rise.set((level, tx));
    }

    fn added(&self) {
        let n = self.pending.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some((level, tx)) = self.rise.get() {
            if n == *level {
                let _ = tx.try_send(());
            }
        }
    }

    /// Jobs handed over and not yet taken by the worker.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    /// The worker took a job.
    pub fn taken(&self) {
        self.pending.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Queue {
    /// A queue of `capacity` jobs: the sending side, the receiving side, the drop count.
    pub fn new(capacity: usize) -> (Queue, Receiver<Job>, Arc<AtomicU64>) {
        let (tx, rx) = mpsc::sync_channel(capacity);
        let dropped = Arc::new(AtomicU64::new(0));
        (
            Queue {
                tx,
                dropped: dropped.clone(),
                pending: Arc::default(),
                rise: Arc::default(),
            },
            rx,
            dropped,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_wait_for_room_and_other_jobs_do_not() {
        let (q, rx, dropped) = Queue::new(1);
        let copy = || Copy {
            dev: (7, 0),
            event: super::super::entry::event::CREATED,
            target: Target::Handles {
                file: None,
                dir: None,
            },
            who: Who::default(),
            at_us: 0,
            count: 1,
            check: Check::None,
        };
        q.copy(copy());
        assert_eq!(q.pending(), 1);
        assert!(matches!(q.offer(Job::ExecLost(2)), Err(Job::ExecLost(2))));
        let q2 = q.clone();
        let waiting = std::thread::spawn(move || q2.copy(copy()));
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!waiting.is_finished(), "the second copy waits for room");
        assert!(rx.recv().is_ok());
        q.taken();
        waiting.join().unwrap();
        assert!(rx.recv().is_ok());
        q.taken();
        assert_eq!((q.pending(), dropped.load(Ordering::Relaxed)), (0, 0));
    }
}
