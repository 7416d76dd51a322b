//! Records for the security officer, written to systemd-journald through its native protocol,
//! or to stderr in the same shape where there is no journald.
//!
//! Every record carries `MESSAGE`, `MESSAGE_ID` (one fixed id per kind, [`MessageId`]),
//! `PRIORITY`, `SYSLOG_IDENTIFIER=airgapd` and `AIRGAP_*` fields ([`field`], which documents the
//! vocabulary). An officer finds records with field matches, e.g.
//! `journalctl MESSAGE_ID=a982450d2821469cb6d869ae4ddaf373 AIRGAP_COMM=curl`, and reads the
//! explanation of a kind with `journalctl -x` (catalog in `packaging/catalog/`). A record must
//! carry the fields its kind's catalog entry prints ([`MessageId::catalog_fields`]; checked by a
//! debug assertion) and says the rest in its `MESSAGE`, which the entry prints too.
//!
//! Decisions are recorded through [`AuditRecord`], which fails closed. Repeated identical
//! violations are aggregated by [`crate::storm`] before they get here.
//!
//! This is not the daemon's diagnostic log: that is `tracing` ([`crate::logging`]).

mod audit;
#[cfg(test)]
mod catalog;
pub mod field;
mod ids;
mod native;
mod stderr;
pub mod vietnamese;

use std::fmt::Display;
use std::io;
use std::path::{Path, PathBuf};

pub use audit::AuditRecord;
pub use ids::{MessageId, Priority};
pub use native::{JournalSocket, Transport};

/// `SYSLOG_IDENTIFIER` of every record, and the prefix of the stderr form.
pub const SYSLOG_IDENTIFIER: &str = "airgapd";

/// Why a record could not be written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// A field name breaks journald's naming rules; journald would drop the field or the record.
    #[error("invalid journal field name {name:?}: {reason}")]
    InvalidFieldName {
        /// The offending name.
        name: &'static str,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// A record tried to set a field the sink writes itself.
    #[error("field {name} is written by the journal sink and cannot be set by a record")]
    ReservedField {
        /// The reserved name.
        name: &'static str,
    },
    /// The client socket could not be created or configured.
    #[error("cannot create a socket for journald: {source}")]
    Socket {
        /// The underlying error.
        source: io::Error,
    },
    /// journald did not take the record (not running, not reading, path too long, ...).
    #[error("cannot send record to journald at {}: {source}", path.display())]
    Send {
        /// journald's socket.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A record too large for a datagram could not be put in a memfd.
    #[error("cannot {step} the memfd for a large journal record: {source}")]
    Memfd {
        /// The step that failed: create, write or seal.
        step: &'static str,
        /// The underlying error.
        source: io::Error,
    },
    /// Writing the stderr form failed.
    #[error("cannot write record to stderr: {source}")]
    Stderr {
        /// The underlying error.
        source: io::Error,
    },
}

/// One record for the officer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// What kind of record this is.
    pub message_id: MessageId,
    /// How severe.
    pub priority: Priority,
    /// One human sentence; details go in `fields`.
    pub message: String,
    /// `AIRGAP_*` fields, named by the constants of [`field`].
    pub fields: Vec<(&'static str, String)>,
}

impl Record {
    /// A record of kind `message_id` at its default priority, without fields.
    pub fn new(message_id: MessageId, message: impl Into<String>) -> Self {
        Record {
            message_id,
            priority: message_id.default_priority(),
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// Sets the priority.
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }

    /// Adds a field; `name` is one of the constants of [`field`].
    pub fn field(mut self, name: &'static str, value: impl Display) -> Self {
        self.fields.push((name, value.to_string()));
        self
    }

    /// The first value of field `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The fields of [`MessageId::catalog_fields`] this record lacks.
    pub fn missing_catalog_fields(&self) -> Vec<&'static str> {
        let fields = self.message_id.catalog_fields();
        fields
            .iter()
            .copied()
            .filter(|&name| self.get(name).is_none())
            .collect()
    }

    /// Checks every field name, so both sinks refuse the same records.
    fn validate(&self) -> Result<(), JournalError> {
        // A programming error, but not worth losing the record over in production, nor worth
        // turning a panic into an abort while an audit record is sent during unwinding.
        debug_assert!(
            std::thread::panicking() || self.missing_catalog_fields().is_empty(),
            "{} record lacks {:?}, which its catalog entry prints",
            self.message_id.name(),
            self.missing_catalog_fields()
        );
        for &(name, _) in &self.fields {
            field::check_name(name)
                .map_err(|reason| JournalError::InvalidFieldName { name, reason })?;
            if let Some(&name) = field::RESERVED.iter().find(|&&r| r == name) {
                return Err(JournalError::ReservedField { name });
            }
        }
        Ok(())
    }
}

/// Where records go.
#[derive(Debug)]
pub enum Sink {
    /// journald's native socket.
    Journal(JournalSocket),
    /// One line per record on stderr.
    Stderr,
}

impl Sink {
    /// journald at [`crate::paths::JOURNAL_SOCKET`] if it is there, else stderr.
    pub fn detect() -> Sink {
        Sink::detect_at(Path::new(crate::paths::JOURNAL_SOCKET))
    }

    /// journald at `socket` when `$JOURNAL_STREAM` is set (systemd connected our output to
    /// journald, so it runs) or when the socket has a live receiver; else stderr.
    pub fn detect_at(socket: &Path) -> Sink {
        let under_journald = std::env::var_os("JOURNAL_STREAM").is_some();
        let journal = match JournalSocket::new(socket) {
            Ok(journal) => journal,
            Err(error) => {
                tracing::warn!(%error, "journald unusable, records go to stderr");
                return Sink::Stderr;
            }
        };
        match journal.probe() {
            Ok(()) => Sink::Journal(journal),
            Err(_) if under_journald => Sink::Journal(journal),
            Err(error) => {
                let socket = socket.display();
                tracing::debug!(%error, %socket, "no journald, records go to stderr");
                Sink::Stderr
            }
        }
    }

    /// Writes `record`.
    pub fn send(&self, record: &Record) -> Result<(), JournalError> {
        match self {
            Sink::Journal(journal) => journal.send(record).map(|_| ()),
            Sink::Stderr => stderr::send(record),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_and_reserved_field_names_are_refused_by_both_sinks() {
        let bad = Record::new(MessageId::DaemonStarted, "x").field("airgap_pid", 1);
        let reserved = Record::new(MessageId::DaemonStarted, "x").field("PRIORITY", 0);
        let trusted = Record::new(MessageId::DaemonStarted, "x").field("_PID", 1);
        for sink in [
            Sink::Stderr,
            Sink::Journal(JournalSocket::new("/nonexistent").unwrap()),
        ] {
            assert!(matches!(
                sink.send(&bad),
                Err(JournalError::InvalidFieldName { .. })
            ));
            assert!(matches!(
                sink.send(&reserved),
                Err(JournalError::ReservedField { .. })
            ));
            assert!(matches!(
                sink.send(&trusted),
                Err(JournalError::InvalidFieldName { .. })
            ));
        }
    }

    #[test]
    fn detect_falls_back_to_stderr_without_journald() {
        if std::env::var_os("JOURNAL_STREAM").is_some() {
            eprintln!("skipped: $JOURNAL_STREAM is set, detection picks journald by design");
            return;
        }
        let missing = std::env::temp_dir().join("airgapd-surely-no-journald-here");
        assert!(matches!(Sink::detect_at(&missing), Sink::Stderr));
    }

    #[test]
    fn detect_picks_a_live_socket() {
        let journald = native::tests::FakeJournald::bind("detect");
        assert!(matches!(Sink::detect_at(&journald.path), Sink::Journal(_)));
    }

    #[test]
    fn builder_uses_the_default_priority() {
        let r = Record::new(MessageId::NetworkIsolationLost, "lan reaches out")
            .field(field::IFINDEX, 2);
        assert_eq!(r.priority, Priority::Critical);
        assert_eq!(r.get(field::IFINDEX), Some("2"));
    }
}
