//! Audit records that fail closed (after USBGuard's `Audit.cpp`): a decision record says
//! `AIRGAP_RESULT=failure` unless the code path explicitly commits success. An early return, a
//! `?` or a panic between the decision and its completion can therefore never leave a record
//! claiming the operation happened, nor leave no record at all.

use std::fmt::Display;

use super::{field, JournalError, Priority, Record, Sink};

/// Value of a catalog field a failed operation never learned.
const UNKNOWN: &str = "unknown";

/// A decision record in progress. Sent with `AIRGAP_RESULT=success` by [`AuditRecord::success`];
/// sent with `AIRGAP_RESULT=failure`, at [`Priority::Warning`] or more severe, by
/// [`AuditRecord::failure`] or when dropped.
#[must_use = "an audit record dropped right away is logged as a failure"]
pub struct AuditRecord<'s> {
    sink: &'s Sink,
    /// `None` once sent, so drop does not send it again.
    record: Option<Record>,
}

impl<'s> AuditRecord<'s> {
    /// Starts the record of an operation about to be attempted.
    pub fn begin(sink: &'s Sink, record: Record) -> Self {
        AuditRecord {
            sink,
            record: Some(record),
        }
    }

    /// Adds a field learned while the operation runs.
    pub fn field(&mut self, name: &'static str, value: impl Display) -> &mut Self {
        if let Some(record) = self.record.as_mut() {
            record.fields.push((name, value.to_string()));
        }
        self
    }

    /// The operation completed: sends the record with `AIRGAP_RESULT=success`.
    pub fn success(mut self) -> Result<(), JournalError> {
        self.finish(field::result::SUCCESS)
    }

    /// The operation did not complete: sends the record with `AIRGAP_RESULT=failure`. Same as
    /// dropping it, but the caller sees a send error.
    pub fn failure(mut self) -> Result<(), JournalError> {
        self.finish(field::result::FAILURE)
    }

    fn finish(&mut self, result: &'static str) -> Result<(), JournalError> {
        let Some(mut record) = self.record.take() else {
            return Ok(());
        };
        record.fields.push((field::RESULT, result.to_owned()));
        if result == field::result::FAILURE {
            // An unfinished decision deserves attention even when the decision itself is routine.
            record.priority = record.priority.at_least(Priority::Warning);
            // The operation may have failed before it learned what the catalog prints; say so
            // rather than let journalctl -x print bare field names.
            for name in record.missing_catalog_fields() {
                record.fields.push((name, UNKNOWN.to_owned()));
            }
        }
        self.sink.send(&record)
    }
}

impl Drop for AuditRecord<'_> {
    fn drop(&mut self) {
        if self.record.is_none() {
            return;
        }
        if let Err(error) = self.finish(field::result::FAILURE) {
            // Nowhere else to report it: drop cannot return the error.
            tracing::error!(%error, "cannot write failed audit record");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::native::tests::FakeJournald;
    use crate::journal::{JournalSocket, MessageId};

    fn sink(journald: &FakeJournald) -> Sink {
        Sink::Journal(JournalSocket::new(&journald.path).unwrap())
    }

    fn get<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn success_is_committed_explicitly() {
        let journald = FakeJournald::bind("audit-ok");
        let sink = sink(&journald);
        let mut audit = AuditRecord::begin(&sink, Record::new(MessageId::DeviceArrival, "usb"));
        audit.field(field::ACTION, field::action::AUTHORIZE);
        audit.success().unwrap();
        let (_, fields) = journald.recv();
        assert_eq!(get(&fields, "AIRGAP_RESULT"), Some("success"));
        assert_eq!(get(&fields, "AIRGAP_ACTION"), Some("authorize"));
        assert_eq!(get(&fields, "PRIORITY"), Some("5"));
    }

    #[test]
    fn dropped_record_says_failure() {
        let journald = FakeJournald::bind("audit-drop");
        let sink = sink(&journald);
        let attempt = || -> Result<(), &'static str> {
            let _audit = AuditRecord::begin(&sink, Record::new(MessageId::PolicyUpdate, "update"));
            Err("signature invalid")?;
            unreachable!()
        };
        assert!(attempt().is_err());
        let (_, fields) = journald.recv();
        assert_eq!(get(&fields, "AIRGAP_RESULT"), Some("failure"));
        assert_eq!(
            get(&fields, "PRIORITY"),
            Some("4"),
            "notice raised to warning"
        );
        assert_eq!(
            fields.iter().filter(|(k, _)| k == "AIRGAP_RESULT").count(),
            1
        );
        assert_eq!(
            get(&fields, "AIRGAP_UID"),
            Some("unknown"),
            "catalog field never learned"
        );
    }

    #[test]
    fn panic_still_records_failure() {
        let journald = FakeJournald::bind("audit-panic");
        let sink = sink(&journald);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _audit = AuditRecord::begin(&sink, Record::new(MessageId::CopyRegister, "copy"));
            panic!("copy failed half way");
        }));
        assert!(result.is_err());
        let (_, fields) = journald.recv();
        assert_eq!(get(&fields, "AIRGAP_RESULT"), Some("failure"));
    }

    #[test]
    fn explicit_failure_keeps_a_more_severe_priority() {
        let journald = FakeJournald::bind("audit-fail");
        let sink = sink(&journald);
        let record = Record::new(MessageId::EnforcementLifted, "lift");
        AuditRecord::begin(&sink, record).failure().unwrap();
        let (_, fields) = journald.recv();
        assert_eq!(get(&fields, "PRIORITY"), Some("1"));
        assert_eq!(get(&fields, "AIRGAP_RESULT"), Some("failure"));
    }
}
