//! The one thread that hashes and records. Event readers hand it jobs through a bounded queue
//! and never wait: a copy never waits for the register (fanotify notifications are
//! asynchronous), and the daemon's loop never waits for a hash. When the queue is full a copy
//! is not recorded, but it is counted, and the count is recorded as soon as there is room: a
//! register with a hole says so.
//!
//! For each job it opens the file (by handle, or through the descriptor the kernel gave),
//! hashes it, appends the line to the register file (flushed to disk whenever the queue runs
//! dry, at most every 256 lines) and sends the journal record.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::journal::Sink;
use crate::violation::Violation;

use super::entry::{self, direction, event, Entry};
use super::fanotify::fd_path;
use super::file::RegisterFile;
use super::hash::{Cache, Content};
use super::jobs::{now_us, Check, Copy, Exec, Job, Queue, Target, QUEUE_CAPACITY};
use super::reader::{self, Hashed, Readers};
use super::records;
use super::Table;
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

/// Whether a descriptor is open for writing on `f`'s file: a read lease cannot be taken then
/// (`fcntl(F_SETLEASE, F_RDLCK)` fails with EAGAIN; the daemon has CAP_LEASE). A lease taken
/// is given back at once.
fn open_for_writing(f: &File) -> bool {
    // SAFETY: plain fcntl calls on a descriptor we own.
    unsafe {
        if libc::fcntl(f.as_raw_fd(), libc::F_SETLEASE, libc::F_RDLCK) == 0 {
            libc::fcntl(f.as_raw_fd(), libc::F_SETLEASE, libc::F_UNLCK);
            false
        } else {
            std::io::Error::last_os_error().raw_os_error() == Some(libc::EAGAIN)
        }
    }
}

/// How far before its event a change may be and still be the one the event is about.
const CHANGE_WINDOW_US: u64 = 2_000_000;

/// Whether `f`'s content or metadata changed shortly before `at_us` or since (a change
/// through a shared mapping updates the times without an event).
fn changed_since(f: &File, at_us: u64) -> bool {
    use std::os::unix::fs::MetadataExt;
    f.metadata().map_or(true, |m| {
        let ctime_us = (m.ctime().max(m.mtime()).max(0) as u64) * 1_000_000
            + (m.ctime_nsec().max(0) as u64) / 1000;
        ctime_us + CHANGE_WINDOW_US >= at_us
    })
}

/// The medium's columns of a record.
fn of_medium(e: &mut Entry, m: &super::Medium) {
    e.medium.clone_from(&m.rule);
    e.serial = m.identity.serial.clone().unwrap_or_default();
    e.fs_uuid = m.identity.fs_uuid.clone().unwrap_or_default();
    e.fs_label = m.identity.fs_label.clone().unwrap_or_default();
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

/// Files a scan found, recorded once the events of that moment have been.
struct Deferred {
    due: Instant,
    dev: (u32, u32),
    gap: Duration,
    root: String,
    medium: super::Medium,
    found: Vec<super::catchup::Found>,
    complete: bool,
}

/// How long a scan's findings wait: a file opened before the mark and closed after it has an
/// event too, and the event's record (with its writer) is the one kept.
const SCAN_SETTLE: Duration = Duration::from_millis(300);

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

    fn copy(&mut self, c: Copy) {
        let medium = self.table.read().ok().and_then(|t| t.get(&c.dev).cloned());
        let to_medium = c.event != event::READ;
        let mut e = Entry {
            time: entry::rfc3339(c.at_us),
            time_us: c.at_us,
            event: c.event.into(),
            direction: if to_medium {
                direction::TO_MEDIUM
            } else {
                direction::FROM_MEDIUM
            }
            .into(),
            copies: c.count.max(1),
            pid: c.who.pid,
            comm: c.who.comm.clone(),
            exe: c.who.exe.clone(),
            uid: c.who.uid,
            user: c.who.user(),
            device: format!("{}:{}", c.dev.0, c.dev.1),
            ..Entry::default()
        };
        if let Some(m) = &medium {
            of_medium(&mut e, &m.medium);
        }
        let opened = self.open(&c.target, medium.as_ref(), &mut e);
        // A FIFO, socket or device node keeps nothing on the medium: no copy to record.
        if let Ok(f) = &opened {
            if f.metadata().is_ok_and(|m| !m.file_type().is_file()) {
                tracing::debug!(document = %e.document, "not a regular file: not recorded");
                return;
            }
        }
        let mut said = String::new();
        if let Ok(f) = &opened {
            match c.check {
                Check::Truncated if open_for_writing(f) => {
                    // Still being written: its close will be recorded.
                    return;
                }
                Check::Truncated => {
                    said = "changed without being written through an open file (truncated)".into();
                }
                Check::Unchanged if !changed_since(f, c.at_us) => {
                    e.event = event::READ.into();
                    e.direction = direction::FROM_MEDIUM.into();
                    said = "opened for reading and writing, read only".into();
                }
                _ => {}
            }
        }
        let read_only = e.event == event::READ;
        let then = Then::Copy {
            e: Box::new(e),
            medium: medium.map(|m| m.medium),
            said,
            count: c.count,
        };
        match opened {
            Ok(f) => self.hash(c.dev, f, read_only, then),
            Err(why) => self.hashed(then, Err(why)),
        }
    }

    /// A copy's record once its content is hashed, or could not be.
    fn record_copy(
        &mut self,
        mut e: Entry,
        medium: Option<super::Medium>,
        said: String,
        count: u32,
        hashed: Result<Content, String>,
    ) {
        match hashed {
            Ok(content) => {
                e.size = Some(content.size);
                e.sha256 = content.sha256;
                e.result = crate::journal::field::result::SUCCESS.into();
                e.note = said;
                if count > 1 {
                    e.note = format!(
                        "read {count} times by this process within {} ms: one record",
                        super::watch::FOLD_WINDOW.as_millis()
                    );
                }
                if content.changed {
                    e.note = "the file changed while it was hashed: the hash is of the content \
                              read then"
                        .into();
                }
            }
            Err(why) => {
                e.result = crate::journal::field::result::FAILURE.into();
                e.note = if why.starts_with(super::hash::UNMOUNTED) {
                    why
                } else {
                    format!("the content could not be read to hash it: {why}")
                };
            }
        }
        if e.document.is_empty() {
            e.document = "(unknown path)".into();
        }
        self.commit(&mut e, medium.as_ref());
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

    /// Open the file of a job and fill in its path on the medium.
    fn open(
        &mut self,
        target: &Target,
        medium: Option<&super::Tracked>,
        e: &mut Entry,
    ) -> Result<File, String> {
        match target {
            Target::Open(fd) => {
                let path = fd_path(fd).unwrap_or_default();
                let on_medium = medium
                    .and_then(|m| m.mounts.iter().find_map(|mnt| mnt.medium_path(&path)))
                    .unwrap_or(path);
                e.set_document(on_medium.as_os_str().as_bytes());
                let dup = fd.try_clone().map_err(|err| err.to_string())?;
                Ok(File::from(dup))
            }
            Target::Handles { file, dir } => {
                // The name is in the event itself: the record says it even when the file can
                // no longer be reached (every mount of the medium gone before the job ran, as
                // when a mount namespace that wrote to it ends at once).
                if let Some((_, name)) = dir {
                    let mut p = std::ffi::OsString::from("(a folder no longer mounted)/");
                    p.push(OsStr::from_bytes(name));
                    e.set_document(p.as_bytes());
                }
                let medium = medium.ok_or("the medium is no longer mounted")?;
                // Opened for this job only: a mount the daemon keeps open could not be unmounted
                // (the officer's "eject" would say the stick is busy). Checked to be a mount of
                // the medium, whatever its path leads to now.
                let mut why = String::from("the medium is no longer mounted");
                let (mount, mount_fd): (_, OwnedFd) = medium
                    .mounts
                    .iter()
                    .find_map(|m| match m.open_root(medium.medium.dev) {
                        Ok(fd) => Some((m, fd)),
                        Err(err) => {
                            why = err.to_string();
                            None
                        }
                    })
                    .ok_or(why)?;
                if let Some((dir, name)) = dir {
                    let name = OsStr::from_bytes(name);
                    let document = match dir.open(&mount_fd, libc::O_PATH) {
                        Ok(dfd) => {
                            let dpath = fd_path(&dfd).unwrap_or_default();
                            // The directory may be reached through another mount of the
                            // filesystem than the one opened: keep what the kernel said.
                            let mut p = mount.medium_path(&dpath).unwrap_or(dpath);
                            p.push(name);
                            p.into_os_string()
                        }
                        Err(_) => {
                            let mut p = std::ffi::OsString::from("(a removed directory)/");
                            p.push(name);
                            p
                        }
                    };
                    e.set_document(document.as_bytes());
                }
                let file = file.as_ref().ok_or("the event named no file")?;
                // Through a private copy of the mount: while the file is read, the user's
                // mount is not busy and `umount` right after a copy succeeds (the hash is then
                // given up: `hash::UNMOUNTED`).
                let copy = super::mounts::private_copy(&mount_fd).map_err(|e| e.to_string())?;
                drop(mount_fd);
                // Never waiting: a FIFO opened for reading waits for a writer, and the worker
                // with it (a user's FIFO on the medium stopped the register, 2026-12-07).
                let fd = file
                    .open(&copy, libc::O_RDONLY | libc::O_LARGEFILE | libc::O_NONBLOCK)
                    .map_err(|err| match err.raw_os_error() {
                        Some(libc::ESTALE) => {
                            "the file was deleted before it could be read".to_string()
                        }
                        _ => err.to_string(),
                    })?;
                Ok(File::from(fd))
            }
        }
    }

    /// Record what was written on a medium between its mount and its mark (`catchup.rs`).
    fn scan(&mut self, s: &super::catchup::Scan) {
        let Some(tracked) = self.table.read().ok().and_then(|t| t.get(&s.dev).cloned()) else {
            return;
        };
        let Some((mount, root)) = tracked.mounts.iter().find_map(|m| {
            let fd = m.open_root(s.dev).ok()?;
            // Walked and held through a private copy of the mount: the user's mount is never
            // busy because of it.
            super::mounts::private_copy(&fd).ok().map(|copy| (m, copy))
        }) else {
            return;
        };
        let through = PathBuf::from(format!("/proc/self/fd/{}", root.as_raw_fd()));
        let mut found = Vec::new();
        let complete = super::catchup::changed(&through, s.since, s.marked, &mut found);
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
    fn record_scans(&mut self, all: bool) {
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
                super::catchup::MAX_ENTRIES,
                super::catchup::MAX_ENTRIES
            ));
        }
    }

    /// The record of a file a scan found, once its content is hashed, or could not be.
    fn record_found(
        &mut self,
        mut e: Entry,
        medium: &super::Medium,
        why: String,
        hashed: Result<Content, String>,
    ) {
        match hashed {
            Ok(content) => {
                e.size = Some(content.size);
                e.sha256 = content.sha256;
                e.result = crate::journal::field::result::SUCCESS.into();
                e.note = why;
            }
            Err(err) => {
                e.result = crate::journal::field::result::FAILURE.into();
                e.note = format!("{why}; the content could not be read to hash it: {err}");
            }
        }
        self.commit(&mut e, Some(medium));
    }

    /// A process's access to a medium's block device itself: no file, no hash.
    fn raw(&mut self, r: &super::raw::RawAccess) {
        let medium = self
            .table
            .read()
            .ok()
            .and_then(|t| t.get(&r.dev).map(|m| m.medium.clone()));
        let mut e = Entry {
            time: entry::rfc3339(r.at_us),
            time_us: r.at_us,
            event: if r.wrote {
                event::RAW_WRITE
            } else {
                event::RAW_READ
            }
            .into(),
            direction: if r.wrote {
                direction::TO_MEDIUM
            } else {
                direction::FROM_MEDIUM
            }
            .into(),
            copies: 1,
            pid: r.who.pid,
            comm: r.who.comm.clone(),
            exe: r.who.exe.clone(),
            uid: r.who.uid,
            user: r.who.user(),
            device: format!("{}:{}", r.dev.0, r.dev.1),
            result: crate::journal::field::result::SUCCESS.into(),
            note: if r.swap {
                format!(
                    "swap was enabled on {} (swapon): the kernel writes memory pages of any \
                     process to the medium from now on, until swapoff; no content hash{}",
                    r.node,
                    if r.who.pid == 0 {
                        "; the process that enabled it is not known"
                    } else {
                        ""
                    }
                )
            } else {
                format!(
                    "the block device {} itself was {} (not a file on it: no content hash)",
                    r.node,
                    match (r.wrote, r.read) {
                        (true, _) => "written to",
                        (false, true) => "read",
                        (false, false) => "opened",
                    }
                )
            },
            ..Entry::default()
        };
        e.set_document(r.node.as_bytes());
        if let Some(m) = &medium {
            of_medium(&mut e, m);
        }
        self.commit(&mut e, medium.as_ref());
    }

    fn exec(&mut self, mut x: Exec) {
        let medium = self
            .table
            .read()
            .ok()
            .and_then(|t| t.get(&x.dev).map(|m| m.medium.clone()));
        match x.file.take() {
            Some(fd) => {
                let dev = x.dev;
                self.hash(dev, File::from(fd), true, Then::Exec(Box::new(x), medium));
            }
            None => self.record_exec(x, medium, None),
        }
    }

    /// An exec refusal's record, with the hash of the file refused when there was one.
    fn record_exec(
        &mut self,
        x: Exec,
        medium: Option<super::Medium>,
        content: Option<Result<Content, String>>,
    ) {
        let record = records::exec(
            &x.path,
            &x.who,
            x.layer,
            x.dev,
            medium.as_ref(),
            content.as_ref(),
        );
        if let Err(err) = self.sink.send(&record) {
            tracing::error!(error = %err, "could not write an exec refusal record");
        }
        // Never wait for the service: the journal record is the audit trail, this the list.
        let _ = self
            .refusals
            .try_send(records::exec_violation(&x.path, &x.who, x.dev, x.at_us));
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
