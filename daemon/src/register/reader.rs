//! A medium's files are read for their hash by a thread of that medium's, and the worker does
//! not wait for it. A stick decides how fast it answers, and when it stops: a read of it then
//! waits in the kernel, uninterruptibly, until it answers or is pulled out. The worker reading
//! it itself recorded nothing more, on any medium (2026-12-07, `register` test `stalled`); the
//! worker waiting for the read (until 2026-12-07 evening) recorded nothing more for ten
//! seconds each time, or for as long as a stick trickled a MiB every few seconds, while every
//! copy to another medium waited in memory, lost with a power cut. Now the worker goes on with
//! the next job and records each copy as its hash comes back: a slow medium delays only its
//! own reads. A medium whose reader has read nothing for [`NO_ANSWER`] counts as not
//! answering: its waiting copies are recorded without their hash, saying why, and nothing
//! more is read from it until the stuck read comes back (each read would wait as long).
//! What the page cache holds is read by the worker itself, which cannot wait for a medium.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use super::hash::{self, CacheKey, Content};

/// How long a medium's reader may go without a MiB read before the medium counts as not
/// answering.
pub const NO_ANSWER: Duration = Duration::from_secs(10);

/// How often the worker looks at its readers' progress while any reads.
pub const CHECK: Duration = Duration::from_millis(250);

/// Readers left waiting on media that stopped answering, at most; past it nothing more is
/// read from any medium until one comes back (a hub of dead sticks cannot make threads
/// without end).
const MAX_STUCK: usize = 16;

/// Media read at once, at most (one thread each).
const MAX_MEDIA: usize = 32;

/// Files of one medium waiting for its reader, at most (each holds a descriptor and its
/// record): a process cannot make the worker hold without end what a slow stick has not read.
const MAX_WAITING: usize = 64;

/// Why a copy has no hash: the medium stopped answering while it was read.
pub const NOT_ANSWERING: &str =
    "not hashed: the medium stopped answering while its content was being read";

/// Why a copy has no hash: the medium has not answered since an earlier read of it.
pub const STILL_NOT_ANSWERING: &str =
    "not hashed: the medium has not answered since an earlier read of it stopped";

/// What a read gives: the content's hash and the key it is remembered by, or why not.
pub type Hashed = Result<(Content, CacheKey), String>;

type Dev = (u32, u32);

struct Task {
    ticket: u64,
    file: File,
    go_on: Box<dyn Fn() -> bool + Send>,
}

/// One medium's reader thread.
struct Thread {
    tasks: mpsc::Sender<Task>,
    /// MiB read (and files finished), ever.
    progress: Arc<AtomicU64>,
    /// Set when the worker gives up on it: what it still has is not read.
    abandoned: Arc<AtomicBool>,
    /// Cleared when the thread ends (its last read came back).
    alive: Arc<AtomicBool>,
}

/// Clears `alive` when the thread ends, however it ends.
struct Alive(Arc<AtomicBool>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl Thread {
    fn spawn(
        answers: mpsc::Sender<(u64, std::io::Result<(Content, CacheKey)>)>,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> std::io::Result<Thread> {
        let (tasks, rx) = mpsc::channel::<Task>();
        let progress = Arc::new(AtomicU64::new(0));
        let abandoned = Arc::new(AtomicBool::new(false));
        let alive = Arc::new(AtomicBool::new(true));
        let (p, gone, a) = (progress.clone(), abandoned.clone(), alive.clone());
        // Spawned by the worker: its lowered priority is this thread's too.
        std::thread::Builder::new()
            .name("airgapd-hashing".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                let _alive = Alive(a);
                for task in rx {
                    if gone.load(Ordering::Acquire) {
                        break;
                    }
                    let go_on = || {
                        p.fetch_add(1, Ordering::Relaxed);
                        !gone.load(Ordering::Acquire) && (task.go_on)()
                    };
                    let answer = hash::hash_file_while(&task.file, &go_on);
                    drop(task.file);
                    p.fetch_add(1, Ordering::Relaxed);
                    // The worker may have given up on it: nobody listens then.
                    let _ = answers.send((task.ticket, answer));
                    wake();
                }
            })?;
        Ok(Thread {
            tasks,
            progress,
            abandoned,
            alive,
        })
    }
}

/// A medium being read: its thread, how many files wait for it, its progress last seen.
struct Medium {
    thread: Thread,
    waiting: usize,
    read: u64,
    since: Instant,
}

/// A file given to a reader, and what the worker does with its hash.
struct Waiting<T> {
    dev: Dev,
    then: T,
}

/// The worker's side: `T` is what it does with a hash once read.
pub struct Readers<T> {
    media: HashMap<Dev, Medium>,
    /// By ticket, so in the order given: a medium's first is the one being read.
    waiting: BTreeMap<u64, Waiting<T>>,
    next: u64,
    answers: mpsc::Receiver<(u64, std::io::Result<(Content, CacheKey)>)>,
    answer: mpsc::Sender<(u64, std::io::Result<(Content, CacheKey)>)>,
    /// Media whose reader has not come back: whether it is still there.
    stalled: HashMap<Dev, Arc<AtomicBool>>,
    /// Wakes the worker when an answer is sent.
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl<T> Readers<T> {
    pub fn new(wake: impl Fn() + Send + Sync + 'static) -> Readers<T> {
        let (answer, answers) = mpsc::channel();
        Readers {
            media: HashMap::new(),
            waiting: BTreeMap::new(),
            next: 0,
            answers,
            answer,
            stalled: HashMap::new(),
            wake: Arc::new(wake),
        }
    }

    /// Hash `file` of the medium `dev` (from its start), given up when `go_on` says no before
    /// a MiB, or when the medium stops answering. What the page cache holds, or a read that
    /// cannot be made, is answered at once (`Some`); anything else later, by [`Self::answered`].
    pub fn start(
        &mut self,
        dev: Dev,
        file: File,
        go_on: impl Fn() -> bool + Send + 'static,
        then: T,
    ) -> Option<(T, Hashed)> {
        // What the page cache holds (what was just copied, mostly) is read here: no medium
        // is waited for, and no hand-off to another thread is paid per file.
        if let Some(done) = hash::hash_cached(&file) {
            return Some((then, done.map_err(|e| e.to_string())));
        }
        self.stalled
            .retain(|_, alive| alive.load(Ordering::Acquire));
        if self.stalled.contains_key(&dev) {
            return Some((then, Err(STILL_NOT_ANSWERING.into())));
        }
        if self.stalled.len() >= MAX_STUCK {
            return Some((
                then,
                Err(format!(
                    "not hashed: {MAX_STUCK} media stopped answering and have not answered since"
                )),
            ));
        }
        let full = self.media.len() >= MAX_MEDIA;
        let medium = match self.media.entry(dev) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(_) if full => {
                return Some((
                    then,
                    Err(format!(
                        "not hashed: {MAX_MEDIA} other media were being read"
                    )),
                ));
            }
            Entry::Vacant(v) => match Thread::spawn(self.answer.clone(), self.wake.clone()) {
                Ok(thread) => v.insert(Medium {
                    thread,
                    waiting: 0,
                    read: 0,
                    since: Instant::now(),
                }),
                Err(e) => return Some((then, Err(format!("no thread to read it: {e}")))),
            },
        };
        if medium.waiting >= MAX_WAITING {
            return Some((
                then,
                Err(format!(
                    "not hashed: {MAX_WAITING} files of this medium were waiting to be read"
                )),
            ));
        }
        let ticket = self.next;
        let task = Task {
            ticket,
            file,
            go_on: Box::new(go_on),
        };
        if medium.thread.tasks.send(task).is_err() {
            return Some((then, Err("its reader thread ended".into())));
        }
        if medium.waiting == 0 {
            medium.read = medium.thread.progress.load(Ordering::Relaxed);
            medium.since = Instant::now();
        }
        medium.waiting += 1;
        self.next += 1;
        self.waiting.insert(ticket, Waiting { dev, then });
        None
    }

    /// Whether any file waits for its reader: the worker looks again within [`CHECK`].
    pub fn reading(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// The hashes read since last asked, and the files of media that stopped answering.
    pub fn answered(&mut self) -> Vec<(T, Hashed)> {
        let mut out = Vec::new();
        while let Ok((ticket, answer)) = self.answers.try_recv() {
            self.take(ticket, answer.map_err(|e| e.to_string()), &mut out);
        }
        let now = Instant::now();
        let stuck: Vec<Dev> = self
            .media
            .iter_mut()
            .filter_map(|(dev, m)| {
                let read = m.thread.progress.load(Ordering::Relaxed);
                if m.waiting == 0 || read != m.read {
                    (m.read, m.since) = (read, now);
                    None
                } else {
                    (now.duration_since(m.since) >= NO_ANSWER).then_some(*dev)
                }
            })
            .collect();
        for dev in stuck {
            tracing::warn!(
                device = %format!("{}:{}", dev.0, dev.1),
                "a medium stopped answering while the copy register read it"
            );
            self.abandon(dev, NOT_ANSWERING, STILL_NOT_ANSWERING, &mut out);
        }
        // A medium with nothing left to read lets its thread end.
        self.media.retain(|_, m| m.waiting > 0);
        out
    }

    /// Wait at most until `until` for what is being read, then give up on the rest, saying
    /// `why` (the daemon stops).
    pub fn finish(&mut self, until: Instant, why: &str) -> Vec<(T, Hashed)> {
        let mut out = Vec::new();
        while !self.waiting.is_empty() {
            let left = until.saturating_duration_since(Instant::now());
            match self.answers.recv_timeout(left) {
                Ok((ticket, answer)) => {
                    self.take(ticket, answer.map_err(|e| e.to_string()), &mut out)
                }
                Err(_) => break,
            }
        }
        let devs: Vec<Dev> = self.media.keys().copied().collect();
        for dev in devs {
            self.abandon(dev, why, why, &mut out);
        }
        out
    }

    fn take(&mut self, ticket: u64, answer: Hashed, out: &mut Vec<(T, Hashed)>) {
        // A ticket given up on is answered already.
        let Some(w) = self.waiting.remove(&ticket) else {
            return;
        };
        if let Some(m) = self.media.get_mut(&w.dev) {
            m.waiting -= 1;
        }
        out.push((w.then, answer));
    }

    /// Give up on `dev`'s reader: the file it reads is answered `reading`, those after it
    /// `queued`; nothing more is read from it until the thread ends.
    fn abandon(&mut self, dev: Dev, reading: &str, queued: &str, out: &mut Vec<(T, Hashed)>) {
        let Some(m) = self.media.remove(&dev) else {
            return;
        };
        m.thread.abandoned.store(true, Ordering::Release);
        if m.thread.alive.load(Ordering::Acquire) {
            self.stalled.insert(dev, m.thread.alive.clone());
        }
        let tickets: Vec<u64> = self
            .waiting
            .iter()
            .filter(|(_, w)| w.dev == dev)
            .map(|(t, _)| *t)
            .collect();
        for (i, t) in tickets.into_iter().enumerate() {
            if let Some(w) = self.waiting.remove(&t) {
                let why = if i == 0 { reading } else { queued };
                out.push((w.then, Err(why.to_string())));
            }
        }
    }
}
