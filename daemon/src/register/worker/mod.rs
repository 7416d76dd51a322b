//! The one thread that records. Event readers hand it jobs through a bounded queue
//! and never wait: a copy never waits for the register (fanotify notifications are
//! asynchronous), and the daemon's loop never waits for a hash. When the queue is full a copy
//! is not recorded, but it is counted, and the count is recorded as soon as there is room: a
//! register with a hole says so.
//!
//! For each job it opens the file (by handle, or through the descriptor the kernel gave:
//! `copy.rs`), hashes it (what the page cache holds itself, the rest through that medium's
//! reader, without waiting for it: `reader.rs`), appends the line to the register file (flushed
//! to disk whenever the queue runs dry, at most every 256 lines) and sends the journal record.
//! A scan's findings (`scan.rs`) and exec refusals (`exec.rs`) are recorded the same way.

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::journal::Sink;
use crate::violation::Violation;

use super::entry::{self, event, Entry};
use super::file::RegisterFile;
use super::hash::{Cache, Content};
use super::jobs::{now_us, Exec, Job, Queue, QUEUE_CAPACITY};
use super::reader::{self, Hashed, Readers};
use super::records;
use super::Table;

mod copy;
mod exec;
mod scan;

use scan::Deferred;

/// Idle this long after a job, the worker flushes the register to disk; with nothing left to
/// flush or record later it waits for the next job without waking (issue 23: it woke every
/// 100 ms, 10 of an idle daemon's 35 wakeups a second).
const TICK: Duration = Duration::from_millis(100);
/// While busy, the register is flushed every this many lines...
const SYNC_EVERY: usize = 256;
/// ... or this often, whichever comes first.
const SYNC_INTERVAL: Duration = Duration::from_millis(500);
/// The worker's nice value.
const WORKER_NICE: libc::c_int = 19;

/// The worker thread, stopped (after it drains its queue) when this is dropped.
#[derive(Debug)]
pub struct WorkerHandle {
    stop: Arc<AtomicBool>,
    done: Receiver<()>,
    /// To wake a worker waiting for a job.
    wake: Queue,
}

/// How long a stopping daemon waits for the worker to record what is queued.
const DRAIN: Duration = Duration::from_secs(5);
/// Of which a stopping worker waits this long for the media being read.
const STOP_READS: Duration = Duration::from_secs(3);
/// Why a copy has no hash: the daemon stopped while its medium was read.
const STOPPED: &str = "not hashed: the daemon stopped while the medium was being read";

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // A full queue needs no wake: the worker looks at the flag after each job.
        let _ = self.wake.offer(Job::Wake);
        if self.done.recv_timeout(DRAIN).is_err() {
            tracing::error!("the copy register's worker did not finish recording in time");
        }
    }
}

/// The medium's columns of a record.
fn of_medium(e: &mut Entry, m: &super::Medium) {
    e.medium.clone_from(&m.rule);
    e.serial = m.identity.serial.clone().unwrap_or_default();
    e.fs_uuid = m.identity.fs_uuid.clone().unwrap_or_default();
    e.fs_label = m.identity.fs_label.clone().unwrap_or_default();
}

/// The content's columns of a record, a success; whether the file changed while hashed.
fn of_content(e: &mut Entry, content: Content) -> bool {
    e.size = Some(content.size);
    e.sha256 = content.sha256;
    e.result = crate::journal::field::result::SUCCESS.into();
    content.changed
}

/// Start the worker: the queue to feed it, and its handle.
pub fn start(
    table: Table,
    sink: Sink,
    register: Result<(RegisterFile, Option<String>), String>,
    refusals: tokio::sync::mpsc::Sender<Violation>,
) -> io::Result<(Queue, WorkerHandle)> {
    let (queue, rx, dropped) = Queue::new(QUEUE_CAPACITY);
    let stop = Arc::new(AtomicBool::new(false));
    let (done_tx, done) = mpsc::channel();
    let (register, note) = match register {
        Ok((file, note)) => (Ok(file), note),
        Err(why) => (Err(why), None),
    };
    let mut worker = Worker {
        deferred: Vec::new(),
        rx,
        queue: queue.clone(),
        table,
        sink,
        register,
        cache: Cache::default(),
        readers: {
            // An answer wakes the worker; with the queue full it is awake anyway.
            let q = queue.clone();
            Readers::new(move || {
                let _ = q.offer(Job::Wake);
            })
        },
        dropped,
        dropped_seen: 0,
        stop: stop.clone(),
        refusals,
    };
    std::thread::Builder::new()
        .name("airgapd-register".into())
        .spawn(move || {
            if let Some(note) = note {
                worker.note(note);
            }
            worker.run();
            let _ = done_tx.send(());
        })?;
    let wake = queue.clone();
    Ok((queue, WorkerHandle { stop, done, wake }))
}

struct Worker {
    deferred: Vec<Deferred>,
    rx: Receiver<Job>,
    queue: Queue,
    table: Table,
    sink: Sink,
    register: Result<RegisterFile, String>,
    cache: Cache,
    readers: Readers<Then>,
    dropped: Arc<AtomicU64>,
    dropped_seen: u64,
    stop: Arc<AtomicBool>,
    refusals: tokio::sync::mpsc::Sender<Violation>,
}

impl Worker {
    fn run(&mut self) {
        // Hashing yields to everything else: a copy never waits for the CPU because of the
        // register, the register waits instead (the readers keep normal priority, so the
        // kernel's queue is still drained into this one).
        // SAFETY: plain syscalls about this thread.
        unsafe {
            libc::setpriority(
                libc::PRIO_PROCESS,
                libc::gettid() as libc::id_t,
                WORKER_NICE,
            );
        }
        let mut last_sync = Instant::now();
        loop {
            let unsynced = self.register.as_ref().map_or(0, RegisterFile::unsynced);
            let wait = self
                .deferred
                .iter()
                .map(|d| d.due.saturating_duration_since(Instant::now()))
                .min()
                .map(|d| d.min(TICK))
                .or((unsynced > 0).then_some(TICK))
                // TICK is shorter than CHECK: a reader's progress is looked at in time.
                .or(self.readers.reading().then_some(reader::CHECK));
            let next = match wait {
                Some(wait) => self.rx.recv_timeout(wait),
                // Nothing due: no timer. A job, the stop's wake or the daemon's end wakes it.
                None => self.rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match next {
                Ok(job) => {
                    self.queue.taken();
                    self.handle(job);
                }
                Err(RecvTimeoutError::Timeout) => {
                    // Idle: everything to disk.
                    self.sync();
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
            self.account_drops();
            self.answered();
            self.record_scans(false);
            let unsynced = self.register.as_ref().map_or(0, RegisterFile::unsynced);
            if unsynced >= SYNC_EVERY || (unsynced > 0 && last_sync.elapsed() >= SYNC_INTERVAL) {
                self.sync();
                last_sync = Instant::now();
            }
            if self.stop.load(Ordering::Relaxed) {
                while let Ok(job) = self.rx.try_recv() {
                    self.queue.taken();
                    self.handle(job);
                }
                self.account_drops();
                self.record_scans(true);
                let until = Instant::now() + STOP_READS;
                for (then, read) in self.readers.finish(until, STOPPED) {
                    self.answered_one(then, read);
                }
                self.sync();
                break;
            }
        }
    }

    fn sync(&mut self) {
        if let Ok(r) = self.register.as_mut() {
            if let Err(e) = r.sync() {
                tracing::error!(error = %e, "flushing the copy register");
            }
        }
    }

    fn account_drops(&mut self) {
        let dropped = self.dropped.load(Ordering::Relaxed);
        if dropped > self.dropped_seen {
            let n = dropped - self.dropped_seen;
            self.dropped_seen = dropped;
            self.lost(
                n,
                format!(
                    "{n} copies were not recorded: the register's worker had stopped taking \
                     them (its queue holds {QUEUE_CAPACITY})"
                ),
            );
        }
    }

    /// Something the officer should know about the register itself.
    fn note(&mut self, note: String) {
        let mut e = Entry {
            time: entry::rfc3339(now_us()),
            time_us: now_us(),
            event: event::NOTE.into(),
            result: crate::journal::field::result::FAILURE.into(),
            note,
            ..Entry::default()
        };
        self.commit(&mut e, None);
    }

    fn lost(&mut self, n: u64, note: String) {
        let mut e = Entry {
            time: entry::rfc3339(now_us()),
            time_us: now_us(),
            event: event::LOST.into(),
            result: crate::journal::field::result::FAILURE.into(),
            note,
            lost: n,
            ..Entry::default()
        };
        self.commit(&mut e, None);
    }

    fn handle(&mut self, job: Job) {
        match job {
            Job::Wake => {}
            Job::Copy(c) => self.copy(*c),
            Job::Exec(x) => self.exec(*x),
            Job::ExecLost(n) => {
                let _ = self.sink.send(&records::exec_lost(n));
            }
            Job::Scan(s) => self.scan(&s),
            Job::Raw(r) => self.raw(&r),
            Job::Overflow => self.lost(
                1,
                "the kernel's event queue for removable media overflowed: at least one copy \
                 was not recorded"
                    .into(),
            ),
        }
    }

    /// Append to the file, then send the journal record that names the line. The first line
    /// of a new register file says it is one: were an existing register deleted, its
    /// successor would begin with this note (and at #1, while the journal has later numbers).
    fn commit(&mut self, e: &mut Entry, medium: Option<&super::Medium>) {
        if let Some(path) = self
            .register
            .as_ref()
            .ok()
            .filter(|r| r.is_new())
            .map(|r| r.path().display().to_string())
        {
            let mut started = Entry {
                time: entry::rfc3339(now_us()),
                time_us: now_us(),
                event: event::NOTE.into(),
                result: crate::journal::field::result::SUCCESS.into(),
                note: format!(
                    "register started: there was no register file at {path}; if this machine \
                     recorded copies before, that register was removed"
                ),
                ..Entry::default()
            };
            self.append_and_record(&mut started, None);
        }
        self.append_and_record(e, medium);
    }

    fn append_and_record(&mut self, e: &mut Entry, medium: Option<&super::Medium>) {
        let appended = match self.register.as_mut() {
            Ok(r) => r.append(e).map_err(|err| err.to_string()),
            Err(why) => Err(why.clone()),
        };
        let record = records::copy(e, medium, &appended);
        let ok = appended.is_ok() && e.result == crate::journal::field::result::SUCCESS;
        let audit = crate::journal::AuditRecord::begin(&self.sink, record);
        let sent = if ok { audit.success() } else { audit.failure() };
        if let Err(err) = sent {
            tracing::error!(error = %err, "could not write a copy register record");
        }
    }

    /// Whether the medium `dev` is still mounted in the daemon's namespace (the table follows
    /// the mount table): a hash goes on only while it is.
    fn mounted(&self, dev: (u32, u32)) -> impl Fn() -> bool + Send + 'static {
        let table = self.table.clone();
        move || {
            table
                .read()
                .map_or(true, |t| t.get(&dev).is_some_and(|m| !m.mounts.is_empty()))
        }
    }

    /// Hash `f` on the medium `dev`, then do `then` with it: at once when remembered (and
    /// `remembered`) or in the page cache, else once a reader has read it (`reader`: a slow
    /// medium delays its own records, no other's). A hash goes on only while the medium is
    /// mounted in the daemon's namespace.
    fn hash(&mut self, dev: (u32, u32), f: File, remembered: bool, then: Then) {
        if let Some(content) = self.cache.recall(&f, remembered) {
            return self.hashed(then, Ok(content));
        }
        let mounted = self.mounted(dev);
        if let Some((then, read)) = self.readers.start(dev, f, mounted, then) {
            self.answered_one(then, read);
        }
    }

    /// What the readers have answered.
    fn answered(&mut self) {
        for (then, read) in self.readers.answered() {
            self.answered_one(then, read);
        }
    }

    fn answered_one(&mut self, then: Then, read: Hashed) {
        let hashed = read.map(|(content, key)| {
            self.cache.remember(key, &content);
            content
        });
        self.hashed(then, hashed);
    }

    /// Record what waited for a hash.
    fn hashed(&mut self, then: Then, hashed: Result<Content, String>) {
        match then {
            Then::Copy {
                e,
                medium,
                said,
                count,
            } => self.record_copy(*e, medium, said, count, hashed),
            Then::Scan { e, medium, why } => self.record_found(*e, &medium, why, hashed),
            Then::Exec(x, medium) => self.record_exec(*x, medium, Some(hashed)),
        }
    }
}

/// What waits for a hash.
enum Then {
    Copy {
        e: Box<Entry>,
        medium: Option<super::Medium>,
        said: String,
        count: u32,
    },
    Scan {
        e: Box<Entry>,
        medium: super::Medium,
        why: String,
    },
    Exec(Box<Exec>, Option<super::Medium>),
}
