//! The daemon's own records about the exec layers, folded like the kernel's refusals: at most
//! one record per second per key (a mount, a namespace), the others counted into the next
//! ([`crate::storm`]). Whoever takes noexec off a mount in a loop gets the mount set again
//! each time, and the journal one record a second saying how many times.
//!
//! A thread of its own holds the aggregator, so a summary is written when its second ends even
//! if nothing else happens; senders never wait.

use std::sync::{mpsc, Arc};
use std::time::Instant;

use crate::journal::{field, Record, Sink};
use crate::storm::{Aggregator, Emit, DEFAULT_INTERVAL};

/// A sender of folded records.
#[derive(Clone)]
pub struct Folded {
    tx: Option<mpsc::Sender<(String, Record)>>,
    /// Where records go unfolded if the thread could not be started.
    direct: Arc<Sink>,
}

impl Folded {
    /// Start the thread that folds and writes to `sink`.
    pub fn start(sink: Sink) -> Folded {
        let (tx, rx) = mpsc::channel();
        let sink = Arc::new(sink);
        let s = sink.clone();
        let tx = match std::thread::Builder::new()
            .name("airgapd-fold".into())
            .spawn(move || run(&rx, &s))
        {
            Ok(_) => Some(tx),
            Err(e) => {
                tracing::error!(error = %e, "starting the thread that folds exec records");
                None
            }
        };
        Folded { tx, direct: sink }
    }

    /// Record `r`, folded with the other records of `key`.
    pub fn send(&self, key: impl Into<String>, r: Record) {
        let unsent = match &self.tx {
            // The thread ends only with the process.
            Some(tx) => tx.send((key.into(), r)).err().map(|e| e.0 .1),
            None => Some(r),
        };
        if let Some(r) = unsent {
            let _ = self.direct.send(&r);
        }
    }
}

/// The record an emit stands for: a summary says how many it stands for.
fn record(e: Emit<String, Record>) -> Record {
    let repeats = e.repeats();
    match e {
        Emit::First { event, .. } => event,
        Emit::Summary {
            suppressed, last, ..
        } => {
            let mut r = last;
            r.message = format!(
                "{} ({suppressed} times since the previous record)",
                r.message
            );
            r.field(field::REPEATS, repeats)
        }
    }
}

fn run(rx: &mpsc::Receiver<(String, Record)>, sink: &Sink) {
    let mut agg: Aggregator<String, Record> = Aggregator::new(DEFAULT_INTERVAL);
    loop {
        let got = match agg.next_due() {
            Some(due) => rx.recv_timeout(due.saturating_duration_since(Instant::now())),
            None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
        };
        let now = Instant::now();
        let mut out: Vec<Emit<String, Record>> = Vec::new();
        match got {
            Ok((key, r)) => out.extend(agg.offer(key, now, r)),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                for e in agg.drain() {
                    let _ = sink.send(&record(e));
                }
                return;
            }
        }
        out.extend(agg.flush_due(now));
        for e in out {
            let _ = sink.send(&record(e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::MessageId;

    #[test]
    fn a_summary_says_how_many_times_and_carries_the_count() {
        let r = Record::new(MessageId::EnforcementState, "noexec was taken off");
        let s = record(Emit::Summary {
            key: "k".into(),
            suppressed: 41,
            last: r.clone(),
        });
        assert_eq!(
            s.message,
            "noexec was taken off (41 times since the previous record)"
        );
        // 41 in all: this record and 40 more (a reader adds 1 + AIRGAP_REPEATS).
        assert_eq!(s.get(field::REPEATS), Some("40"));
        let f = record(Emit::First {
            key: "k".into(),
            event: r.clone(),
        });
        assert_eq!(f, r);
    }
}
