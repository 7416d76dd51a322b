//! Opens held while their mount is made noexec. Without BPF LSM an open of a file on a medium
//! whose programs are refused goes through only a noexec mount ([`super::namespaces`]); an
//! open through a mount not noexec yet (right after `mount`, a second mount of the filesystem,
//! a bind mount, another namespace) is not refused but held: its permission event is answered
//! once the daemon has made that mount noexec, by a thread of its own, so that the thread that
//! answers every other open and exec on every medium never waits for it.
//!
//! Bounded, so that a flood of such opens by an unprivileged user (the owner of a user
//! namespace taking noexec off its mounts in a loop) stalls neither the daemon nor other media:
//! at most [`HELD_MAX`] opens wait; past that, and for an open that waited longer than
//! [`HOLD_DEADLINE`], the open is refused (EPERM) and that is recorded, folded per opener's
//! mount namespace (one record a second with the count, `noexec/fold.rs`).

use std::os::fd::OwnedFd;
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use crate::register::Table;

use super::namespaces::Gate;

/// Opens waiting at most for their mount to be made noexec.
pub const HELD_MAX: usize = 256;
/// The longest an open waits in line; past that it is refused.
pub const HOLD_DEADLINE: Duration = Duration::from_secs(5);

/// An open whose permission event waits for an answer.
pub struct Held {
    /// The opener.
    pub pid: u32,
    /// The event's descriptor (the file, as opened through the opener's mount).
    pub fd: OwnedFd,
    /// The medium's block device.
    pub dev: Option<(u32, u32)>,
    /// When the event was read.
    pub since: Instant,
}

/// The line of held opens.
pub struct Line {
    tx: SyncSender<Held>,
}

/// What the thread of held opens does with each once judged: answer it (true: allow) and,
/// refused, record it when `record` says so.
pub type Finish = dyn Fn(Held, bool, bool) + Send + Sync;

/// The medium `dev` of `table`.
fn medium(table: &Table, dev: Option<(u32, u32)>) -> Option<crate::register::Medium> {
    let t = table.read().ok()?;
    dev.and_then(|d| t.get(&d).map(|m| m.medium.clone()))
}

impl Line {
    /// Start the thread that makes held opens' mounts noexec and answers them.
    pub fn start(
        mut gate: Gate,
        table: Table,
        finish: std::sync::Arc<Finish>,
    ) -> std::io::Result<Line> {
        let (tx, rx) = mpsc::sync_channel::<Held>(HELD_MAX);
        std::thread::Builder::new()
            .name("airgapd-held".into())
            .spawn(move || {
                for h in rx {
                    let medium = medium(&table, h.dev);
                    let waited = h.since.elapsed();
                    if waited > HOLD_DEADLINE {
                        let what = format!(
                            "process {} was refused a file on this medium: it waited {} ms for \
                             the daemon to make its mount noexec (at most {} s)",
                            h.pid,
                            waited.as_millis(),
                            HOLD_DEADLINE.as_secs()
                        );
                        let key = format!("held:{}", ns_key(h.pid));
                        gate.note(key, medium.as_ref(), what);
                        finish(h, false, false);
                        continue;
                    }
                    let allow = gate
                        .before_open(h.pid, &h.fd, medium.as_ref(), &table)
                        .is_ok();
                    finish(h, allow, true);
                }
            })?;
        Ok(Line { tx })
    }

    /// Hold `h` until its mount is noexec; when the line is full it is refused at once
    /// (answered by `finish`) and recorded through `gate`, folded.
    pub fn hold(&self, h: Held, gate: &Gate, table: &Table, finish: &dyn Fn(Held, bool, bool)) {
        match self.tx.try_send(h) {
            Ok(()) => {}
            Err(TrySendError::Full(h) | TrySendError::Disconnected(h)) => {
                let medium = medium(table, h.dev);
                let what = format!(
                    "process {} was refused a file on this medium: {HELD_MAX} opens already \
                     wait for the daemon to make their mounts noexec",
                    h.pid
                );
                gate.note(format!("held:{}", ns_key(h.pid)), medium.as_ref(), what);
                finish(h, false, false);
            }
        }
    }
}

/// The opener's mount namespace, to fold records by (one flooder, one line a second).
fn ns_key(pid: u32) -> u64 {
    super::remount::namespace_of(&pid.to_string()).unwrap_or_default()
}
