//! The daemon's writer: a thread of its own appends (lock, write, fdatasync), so a slow or
//! stalled disk never holds up the loop that reports refusals.

use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;

use super::Entry;
use crate::journal::Sink;

/// Records handed to the writing thread.
#[derive(Debug)]
pub struct Writer {
    tx: Option<mpsc::Sender<Entry>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// A writer for the file at `path`, journaling each line's copy to journald at
    /// `journal_socket` (None: the default), asking the TPM at `tpm` (None: no TPM); None
    /// keeps no record (every call does nothing).
    pub fn start(
        path: Option<PathBuf>,
        journal_socket: Option<PathBuf>,
        tpm: Option<PathBuf>,
    ) -> Writer {
        let Some(path) = path else {
            return Writer {
                tx: None,
                thread: None,
            };
        };
        let (tx, rx) = mpsc::channel::<Entry>();
        let thread = std::thread::Builder::new()
            .name("machine-record".into())
            .spawn(move || {
                let sink = match &journal_socket {
                    Some(p) => Sink::detect_at(p),
                    None => Sink::detect(),
                };
                for entry in rx {
                    super::append_now(&path, entry, tpm.as_deref(), &sink);
                }
            })
            .map_err(|e| tracing::error!(error = %e, "could not start the machine record writer"))
            .ok();
        Writer {
            tx: thread.as_ref().map(|_| tx),
            thread,
        }
    }

    /// Queue `entry` (never blocks).
    pub fn send(&self, entry: Entry) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(entry);
        }
    }

    /// Write everything queued and stop the thread (at the daemon's stop).
    pub fn finish(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.finish();
    }
}
