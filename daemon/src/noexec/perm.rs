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
//! process that caused it. It does nothing but read, decide from the shared table, and write.

use std::collections::BTreeSet;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::bpf::Layer;
use crate::journal::Sink;
use crate::register::fanotify::{self, fd_path, Group};
use crate::register::jobs::{now_us, Exec, Job, Queue};
use crate::register::who;
use crate::register::{records, Table};

use super::namespaces::Gate;

const EXEC: u64 = libc::FAN_OPEN_EXEC_PERM;
const OPEN: u64 = libc::FAN_OPEN_PERM;

/// The exec permission group.
pub struct ExecPerm {
    group: Arc<Group>,
    /// Also gate opens (the BPF LSM layer is not active).
    opens: Arc<AtomicBool>,
}

impl ExecPerm {
    /// Create the group and the thread that answers it.
    pub fn new(table: Table, queue: Queue, sink: Sink, gate: Gate) -> io::Result<ExecPerm> {
        let group = Arc::new(Group::init(
            libc::FAN_CLASS_CONTENT,
            (libc::O_RDONLY | libc::O_LARGEFILE) as u32,
        )?);
        let g = group.clone();
        let opens = Arc::new(AtomicBool::new(true));
        std::thread::Builder::new()
            .name("airgapd-exec".into())
            .spawn(move || answer(&g, &table, &queue, &sink, gate))?;
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

/// What to answer a permission event by `pid` on the refused medium `dev`.
fn judge(
    gate: &mut Gate,
    table: &Table,
    mask: u64,
    pid: u32,
    fd: &OwnedFd,
    dev: Option<(u32, u32)>,
) -> bool {
    if mask & EXEC != 0 {
        return false;
    }
    if !gate.concerns(pid) {
        return true;
    }
    if gate.is_loader(pid) {
        return false;
    }
    let (medium, refused) = match table.read() {
        Ok(t) => (
            dev.and_then(|d| t.get(&d).map(|m| m.medium.clone())),
            t.iter()
                .filter(|(_, m)| !m.medium.allow_exec)
                .map(|(d, _)| *d)
                .collect::<BTreeSet<_>>(),
        ),
        Err(_) => return false,
    };
    gate.before_open(pid, fd, medium.as_ref(), &refused).is_ok()
}

fn answer(group: &Group, table: &Table, queue: &Queue, sink: &Sink, mut gate: Gate) {
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
            let dev = std::fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd()))
                .map(|m| (libc::major(m.dev()), libc::minor(m.dev())))
                .ok();
            // Only media whose programs are refused are marked; a medium the policy has just
            // allowed may still be, for a moment.
            let allow = ev.mask & (EXEC | OPEN) == 0
                || dev.is_some_and(|d| {
                    table
                        .read()
                        .is_ok_and(|t| t.get(&d).is_some_and(|m| m.medium.allow_exec))
                })
                || judge(&mut gate, table, ev.mask, ev.pid as u32, &fd, dev);
            // The process waits for this answer: it is still there to be identified.
            let who = (!allow).then(|| who::identify(ev.pid as u32, None));
            let path = fd_path(&fd)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            if let Err(e) = group.respond(fd.as_raw_fd(), allow) {
                tracing::error!(error = %e, "answering an exec permission event");
            }
            let Some(who) = who else { continue };
            let job = Exec {
                dev: dev.unwrap_or_default(),
                path,
                file: Some(fd),
                who,
                layer: Layer::ExecFanotify,
                at_us: now_us(),
            };
            if let Err(Job::Exec(x)) = queue.offer(Job::Exec(Box::new(job))) {
                // The worker is behind: record now, without the hash, rather than not at all.
                let medium = table
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
                let _ = sink.send(&r);
            }
        }
    }
}
