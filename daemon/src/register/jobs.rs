//! What event readers hand the worker: jobs, through a bounded queue that never makes a reader
//! wait. A copy that does not fit is counted, never silently dropped.

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
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
}

/// The sending side, shared by every event reader.
#[derive(Debug, Clone)]
pub struct Queue {
    tx: SyncSender<Job>,
    dropped: Arc<AtomicU64>,
}

impl Queue {
    /// Hand a copy to the worker without waiting; when the queue is full it is counted.
    pub fn copy(&self, job: Copy) {
        if self.tx.try_send(Job::Copy(Box::new(job))).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Hand over any other job without waiting; gives it back when the queue is full.
    pub fn offer(&self, job: Job) -> Result<(), Job> {
        self.tx.try_send(job).map_err(|e| match e {
            TrySendError::Full(j) | TrySendError::Disconnected(j) => j,
        })
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
    fn a_full_queue_counts_what_it_drops() {
        let (q, rx, dropped) = Queue::new(1);
        for _ in 0..3 {
            q.copy(Copy {
                dev: (7, 0),
                event: super::super::entry::event::CREATED,
                target: Target::Handles {
                    file: None,
                    dir: None,
                },
                who: Who::default(),
                at_us: 0,
            });
        }
        assert_eq!(dropped.load(Ordering::Relaxed), 2);
        assert!(rx.try_recv().is_ok());
        assert!(matches!(q.offer(Job::ExecLost(1)), Ok(())));
        assert!(matches!(q.offer(Job::ExecLost(2)), Err(Job::ExecLost(2))));
    }
}
