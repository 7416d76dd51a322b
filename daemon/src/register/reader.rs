//! A medium's files are read for their hash in a thread of their own. A stick decides when it
//! stops answering, and a read of it then waits in the kernel, uninterruptibly, until it
//! answers or is pulled out; the worker reading it itself recorded nothing more, on any
//! medium (2026-12-07, `register` test `stalled`): a malicious stick blinded the register.
//! Now the reader waits, and the worker gives up on it once no MiB has been read for
//! [`NO_ANSWER`]: the copy is recorded without its hash, saying why, and the next read goes
//! to a new reader. Until the stuck one comes back, nothing more is read from that medium
//! (each read would wait as long): its copies are recorded at once, without their hash.
//! What the page cache holds is read by the worker itself, which cannot wait for a medium.

use std::collections::HashMap;
use std::fs::File;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use super::hash::{self, CacheKey, Content};

/// How long a read may go without a MiB read before the medium counts as not answering.
pub const NO_ANSWER: Duration = Duration::from_secs(10);

/// Readers left waiting on media that stopped answering, at most; past it nothing more is
/// read from any medium until one comes back (a hub of dead sticks cannot make threads
/// without end).
const MAX_STUCK: usize = 16;

/// Why a copy has no hash: the medium stopped answering while it was read.
pub const NOT_ANSWERING: &str =
    "not hashed: the medium stopped answering while its content was being read";

/// Why a copy has no hash: the medium has not answered since an earlier read.
pub const STILL_NOT_ANSWERING: &str =
    "not hashed: the medium has not answered since an earlier read of it stopped";

type Answer = std::io::Result<(Content, CacheKey)>;

struct Task {
    file: File,
    go_on: Box<dyn Fn() -> bool + Send>,
    answer: mpsc::SyncSender<Answer>,
}

/// One reader thread: its tasks, the MiB it has read, whether it is reading.
struct Thread {
    tasks: mpsc::Sender<Task>,
    progress: Arc<AtomicU64>,
    busy: Arc<AtomicBool>,
}

impl Thread {
    fn spawn() -> std::io::Result<Thread> {
        let (tasks, rx) = mpsc::channel::<Task>();
        let progress = Arc::new(AtomicU64::new(0));
        let busy = Arc::new(AtomicBool::new(false));
        let (p, b) = (progress.clone(), busy.clone());
        // Spawned by the worker: its lowered priority is this thread's too.
        std::thread::Builder::new()
            .name("airgapd-hashing".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                for task in rx {
                    let go_on = || {
                        p.fetch_add(1, Ordering::Relaxed);
                        (task.go_on)()
                    };
                    let answer = hash::hash_file_while(&task.file, &go_on);
                    drop(task.file);
                    b.store(false, Ordering::Release);
                    // The worker may have given up on it: nobody listens then.
                    let _ = task.answer.send(answer);
                }
            })?;
        Ok(Thread {
            tasks,
            progress,
            busy,
        })
    }
}

/// The worker's side.
#[derive(Default)]
pub struct Reader {
    thread: Option<Thread>,
    /// Media whose reader has not come back: its `busy` flag.
    stalled: HashMap<(u32, u32), Arc<AtomicBool>>,
}

impl Reader {
    /// Hash `file` of the medium `dev` (from its start), given up when `go_on` says no before
    /// a MiB, or when the medium stops answering.
    pub fn hash(
        &mut self,
        dev: (u32, u32),
        file: File,
        go_on: impl Fn() -> bool + Send + 'static,
    ) -> Result<(Content, CacheKey), String> {
        // What the page cache holds (what was just copied, mostly) is read here: no medium
        // is waited for, and no hand-off to another thread is paid per file.
        if let Some(done) = hash::hash_cached(&file) {
            return done.map_err(|e| e.to_string());
        }
        self.stalled.retain(|_, busy| busy.load(Ordering::Acquire));
        if self.stalled.contains_key(&dev) || self.stalled.len() >= MAX_STUCK {
            return Err(STILL_NOT_ANSWERING.into());
        }
        let thread = match self.thread.take() {
            Some(t) => t,
            None => Thread::spawn().map_err(|e| format!("no thread to read it: {e}"))?,
        };
        let (answer, answered) = mpsc::sync_channel(1);
        thread.busy.store(true, Ordering::Release);
        let task = Task {
            file,
            go_on: Box::new(go_on),
            answer,
        };
        if thread.tasks.send(task).is_err() {
            return Err("its reader thread ended".into());
        }
        let mut read = thread.progress.load(Ordering::Relaxed);
        let mut since = Instant::now();
        loop {
            match answered.recv_timeout(Duration::from_millis(250)) {
                Ok(result) => {
                    self.thread = Some(thread);
                    return result.map_err(|e| e.to_string());
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let now = thread.progress.load(Ordering::Relaxed);
                    if now != read {
                        (read, since) = (now, Instant::now());
                    } else if since.elapsed() >= NO_ANSWER {
                        tracing::warn!(
                            device = %format!("{}:{}", dev.0, dev.1),
                            "a medium stopped answering while the copy register read it"
                        );
                        // Dropped here: its task channel closes, and the thread ends once
                        // its read comes back.
                        self.stalled.insert(dev, thread.busy.clone());
                        return Err(NOT_ANSWERING.into());
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err("its reader thread ended".into());
                }
            }
        }
    }
}
