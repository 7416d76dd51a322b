//! Superblock probes off the daemon's loop. A stick that stops answering leaves its reader in
//! uninterruptible sleep; that reader must never be the loop that records decisions, handles
//! removals and honours SIGTERM. Each probe runs in a thread of its own (a thread, not a
//! process: the device program lets only the daemon's thread group read block devices) and
//! reports back on a channel; the caller owns the deadline.
//!
//! A thread stuck in the kernel cannot be cancelled; it is left behind and counted, and past
//! [`MAX_STUCK`] no new probe starts (the medium stays refused): a hub of dead sticks cannot
//! exhaust the daemon. Such a thread dies with the daemon (its read waits killably), but the
//! last close of a block device waits, uninterruptibly, for the reads in flight: the probe's
//! file is therefore also held by a small holder process (`holder`), so the daemon's own exit
//! never makes the last close and SIGTERM ends it at once.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use super::holder::Holder;
use super::probe::{PrivateNodes, Probed};

/// How long a medium may take to give its first 8 KiB before it is refused as not answering.
pub const PROBE_DEADLINE: Duration = Duration::from_secs(5);

/// Probes allowed to run at once (stuck ones included).
pub const MAX_STUCK: usize = 16;

/// One probe's answer.
#[derive(Debug)]
pub struct ProbeResult {
    /// The ticket [`Prober::start`] returned.
    pub ticket: u64,
    /// The device probed.
    pub devnum: (u32, u32),
    /// What was read, or why nothing could be.
    pub outcome: io::Result<Probed>,
}

/// Starts probes and hands their results to the loop.
pub struct Prober {
    nodes: Arc<PrivateNodes>,
    holder: Arc<Option<Holder>>,
    tx: UnboundedSender<ProbeResult>,
    rx: Option<UnboundedReceiver<ProbeResult>>,
    next: u64,
    running: Arc<AtomicUsize>,
}

impl Default for Prober {
    fn default() -> Self {
        let (tx, rx) = unbounded_channel();
        Prober {
            nodes: Arc::new(PrivateNodes::new()),
            holder: Arc::new(Holder::spawn()),
            tx,
            rx: Some(rx),
            next: 1,
            running: Arc::new(AtomicUsize::new(0)),
        }
    }
}

impl std::fmt::Debug for Prober {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prober")
            .field("running", &self.running.load(Ordering::Relaxed))
            .finish()
    }
}

/// Why no probe was started.
#[derive(Debug, thiserror::Error)]
pub enum NotStarted {
    /// Too many probes still wait for their media.
    #[error("{0} devices are still not answering; no further device is read until one does")]
    TooMany(usize),
    /// The thread could not be made.
    #[error("could not start a probe: {0}")]
    Spawn(io::Error),
}

impl Prober {
    /// Probe `devnum` (kernel name `name`) in a new thread; its result carries the ticket.
    pub fn start(&mut self, devnum: (u32, u32), name: &str) -> Result<u64, NotStarted> {
        let running = self.running.load(Ordering::Acquire);
        if running >= MAX_STUCK {
            return Err(NotStarted::TooMany(running));
        }
        let ticket = self.next;
        self.next += 1;
        let (nodes, holder, tx, count, name) = (
            self.nodes.clone(),
            self.holder.clone(),
            self.tx.clone(),
            self.running.clone(),
            name.to_string(),
        );
        count.fetch_add(1, Ordering::AcqRel);
        let spawned = std::thread::Builder::new()
            .name("airgapd-probe".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                let outcome = nodes.open(devnum, &name).and_then(|file| {
                    let holder = holder.as_ref().as_ref();
                    let held = holder.map(|h| h.hold(ticket, &file).is_ok());
                    let read = super::probe::probe_file(&file);
                    if let (Some(h), Some(true)) = (holder, held) {
                        h.release(ticket);
                    }
                    read
                });
                count.fetch_sub(1, Ordering::AcqRel);
                let _ = tx.send(ProbeResult {
                    ticket,
                    devnum,
                    outcome,
                });
            });
        if let Err(e) = spawned {
            self.running.fetch_sub(1, Ordering::AcqRel);
            return Err(NotStarted::Spawn(e));
        }
        Ok(ticket)
    }

    /// The results, for the loop to select on (once).
    pub fn take_results(&mut self) -> Option<UnboundedReceiver<ProbeResult>> {
        self.rx.take()
    }

    /// A result already there, before the loop took the receiver (start-up).
    pub fn try_result(&mut self) -> Option<ProbeResult> {
        self.rx.as_mut()?.try_recv().ok()
    }
}
