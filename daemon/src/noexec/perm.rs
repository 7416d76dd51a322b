//! The fanotify exec layer: a permission group with `FAN_OPEN_EXEC_PERM` on each medium's
//! filesystem. Every `execve` of a file there (a program, or a script: the kernel opens the
//! script itself for exec) waits for the daemon's answer, which is FAN_DENY: the caller gets
//! EPERM. The answer is written first; only then is the refusal handed on to be hashed and
//! recorded, so a slow hash never holds a process up.
//!
//! The mark is on the filesystem, so it holds in every mount namespace, also where the
//! daemon could not set noexec, and through overlays (overlayfs opens the file on the medium
//! for the process, with the same flags). It does not see executable mappings (ld.so, dlopen):
//! those are the noexec and BPF LSM layers'. Where the BPF LSM layer is not active the group
//! also asks about every open (`FAN_OPEN_PERM`) and lets [`super::namespaces::Gate`] make
//! sure the file is opened through noexec mounts only, and refuse `ld.so FILE`.
//!
//! This thread must never stop answering: a permission event left unanswered blocks the
//! process that caused it. It does nothing but read, decide from the shared table, and write;
//! an open through a mount not noexec yet is handed to the thread of held opens
//! ([`super::hold`]), which answers it once that mount is noexec.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::bpf::Layer;
use crate::journal::Sink;
use crate::register::fanotify::{self, fd_path, Group};
use crate::register::jobs::{now_us, Exec, Job, Queue};
use crate::register::who;
use crate::register::{records, Table};

use super::hold::{Finish, Held, Line};
use super::namespaces::Gate;
use super::remount;

const EXEC: u64 = libc::FAN_OPEN_EXEC_PERM;
const OPEN: u64 = libc::FAN_OPEN_PERM;

/// The exec permission group.
pub struct ExecPerm {
    group: Arc<Group>,
    /// Also gate opens (the BPF LSM layer is not active).
    opens: Arc<AtomicBool>,
}

impl ExecPerm {
    /// Create the group, the thread that answers it and the thread of held opens.
    pub fn new(table: Table, queue: Queue, sink: Sink, gate: Gate) -> io::Result<ExecPerm> {
        let group = Arc::new(Group::init(
            libc::FAN_CLASS_CONTENT,
            (libc::O_RDONLY | libc::O_LARGEFILE) as u32,
        )?);
        let opens = Arc::new(AtomicBool::new(true));
        let answerer = Arc::new(Answerer {
            group: group.clone(),
            table: table.clone(),
            queue,
            sink,
        });
        let a = answerer.clone();
        let finish: Arc<Finish> = Arc::new(move |h: Held, allow, record| {
            a.finish(h.pid, h.fd, h.dev, allow, record);
        });
        let line = Line::start(gate.twin(), table, finish)?;
        std::thread::Builder::new()
            .name("airgapd-exec".into())
            .spawn(move || answer(&answerer, gate, &line))?;
        Ok(ExecPerm { group, opens })
    }

    /// The BPF LSM layer is active: it refuses mappings itself, opens need not wait (call
    /// before the first [`ExecPerm::mark`]).
    pub fn exec_only(&self) {
        self.opens.store(false, Ordering::Relaxed);
    }

    fn mask(&self) -> u64 {
        if self.opens.load(Ordering::Relaxed) {
            EXEC | OPEN
        } else {
            EXEC
        }
    }

    /// Refuse execution from the filesystem of the mount root `root`.
    pub fn mark(&self, root: &impl AsRawFd) -> io::Result<()> {
        self.group.mark_filesystem_fd(self.mask(), root)
    }

    /// Stop refusing (the policy now lets this medium run programs).
    pub fn unmark(&self, root: &impl AsRawFd) -> io::Result<()> {
        self.group.unmark_filesystem_fd(EXEC | OPEN, root)
    }
}

/// What to do with a permission event by `pid` on the refused medium `dev`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Allow,
    Deny,
    /// An open through a mount that is not noexec: held until it is ([`hold`]).
    Hold,
}

fn judge(
    gate: &mut Gate,
    table: &Table,
    mask: u64,
    pid: u32,
    fd: &OwnedFd,
    dev: Option<(u32, u32)>,
) -> Verdict {
    if mask & EXEC != 0 {
        return Verdict::Deny;
    }
    if !gate.concerns(pid) {
        return Verdict::Allow;
    }
    if gate.is_loader(pid) {
        return Verdict::Deny;
    }
    if !remount::is_noexec(fd.as_fd()).unwrap_or(false) {
        return Verdict::Hold;
    }
    let medium = match table.read() {
        Ok(t) => dev.and_then(|d| t.get(&d).map(|m| m.medium.clone())),
        Err(_) => return Verdict::Deny,
    };
    if gate.before_open(pid, fd, medium.as_ref(), table).is_ok() {
        Verdict::Allow
    } else {
        Verdict::Deny
    }
}

/// Answers permission events and records refusals; shared by the thread that reads events
/// and the thread of held opens.
struct Answerer {
    group: Arc<Group>,
    table: Table,
    queue: Queue,
    sink: Sink,
}

impl Answerer {
    /// Answer the event of `pid` on `fd` (on `dev`); a refusal is recorded when `record` says
    /// so (each exec refusal is; opens refused by a bound are recorded folded instead).
    fn finish(&self, pid: u32, fd: OwnedFd, dev: Option<(u32, u32)>, allow: bool, record: bool) {
        // The process waits for this answer: it is still there to be identified, and the
        // mount it opened the file through (perhaps in a namespace that ends with it) is
        // still there to name the file.
        let who = (!allow && record).then(|| {
            let path = fd_path(&fd)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            (who::identify(pid, None), path)
        });
        if let Err(e) = self.group.respond(fd.as_raw_fd(), allow) {
            tracing::error!(error = %e, "answering an exec permission event");
        }
        let Some((who, path)) = who else { return };
        let job = Exec {
            dev: dev.unwrap_or_default(),
            path,
            file: Some(fd),
            who,
            layer: Layer::ExecFanotify,
            at_us: now_us(),
        };
        if let Err(Job::Exec(x)) = self.queue.offer(Job::Exec(Box::new(job))) {
            // The worker is behind: record now, without the hash, rather than not at all.
            let medium = self
                .table
                .read()
                .ok()
                .and_then(|t| t.get(&x.dev).map(|m| m.medium.clone()));
            let busy = Err("not hashed: the recording queue was full".to_string());
            let r = records::exec(
                &x.path,
                &x.who,
                x.layer,
                x.dev,
                medium.as_ref(),
                Some(&busy),
            );
            let _ = self.sink.send(&r);
        }
    }
}

fn answer(answerer: &Arc<Answerer>, mut gate: Gate, line: &Line) {
    let (group, table) = (&answerer.group, &answerer.table);
    let finish = |h: Held, allow: bool, record: bool| {
        answerer.finish(h.pid, h.fd, h.dev, allow, record);
    };
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match group.read(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %e, "reading exec permission events");
                std::thread::sleep(std::time::Duration::from_millis(100));
                continue;
            }
        };
        for ev in fanotify::parse(&buf[..n]) {
            let Some(fd) = ev.fd else { continue };
            let since = std::time::Instant::now();
            let pid = ev.pid as u32;
            let dev = nix::sys::stat::fstat(fd.as_raw_fd())
                .map(|m| (libc::major(m.st_dev), libc::minor(m.st_dev)))
                .ok();
            // Only media whose programs are refused are marked; a medium the policy has just
            // allowed may still be, for a moment.
            let verdict = if ev.mask & (EXEC | OPEN) == 0
                || dev.is_some_and(|d| {
                    table
                        .read()
                        .is_ok_and(|t| t.get(&d).is_some_and(|m| m.medium.allow_exec))
                }) {
                Verdict::Allow
            } else {
                judge(&mut gate, table, ev.mask, pid, &fd, dev)
            };
            match verdict {
                Verdict::Hold => {
                    let h = Held {
                        pid,
                        fd,
                        dev,
                        since,
                    };
                    line.hold(h, &gate, table, &finish);
                }
                v => answerer.finish(pid, fd, dev, v == Verdict::Allow, true),
            }
        }
    }
}
