//! The stderr form of a record, for machines without journald: one line per record with the
//! same fields, `airgapd: <message> [AIRGAP_KIND=net.connect AIRGAP_PID=42 ...]`.

use std::fmt::Write as _;
use std::io::Write as _;

use super::{JournalError, Record, SYSLOG_IDENTIFIER};

/// Writes `record` to stderr as one line, in a single write so concurrent records do not mix.
pub(crate) fn send(record: &Record) -> Result<(), JournalError> {
    record.validate()?;
    let mut line = format_line(record);
    line.push('\n');
    std::io::stderr()
        .lock()
        .write_all(line.as_bytes())
        .map_err(|source| JournalError::Stderr { source })
}

/// The line for `record`, without the trailing newline. Control characters are escaped so a
/// record can never forge a second line; values that would be ambiguous are quoted.
pub(crate) fn format_line(record: &Record) -> String {
    let mut line = format!("{SYSLOG_IDENTIFIER}: ");
    escape_controls(&mut line, &record.message);
    if !record.fields.is_empty() {
        line.push_str(" [");
        for (i, (name, value)) in record.fields.iter().enumerate() {
            if i > 0 {
                line.push(' ');
            }
            line.push_str(name);
            line.push('=');
            push_value(&mut line, value);
        }
        line.push(']');
    }
    line
}

fn escape_controls(out: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_control() {
            let _ = write!(out, "{}", c.escape_debug());
        } else {
            out.push(c);
        }
    }
}

fn push_value(out: &mut String, value: &str) {
    let needs_quotes = value.is_empty()
        || value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "\"[]=\\".contains(c));
    if !needs_quotes {
        out.push_str(value);
        return;
    }
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "{}", c.escape_debug());
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{field, MessageId};

    #[test]
    fn one_line_with_the_same_fields() {
        let record = Record::new(MessageId::NetworkViolation, "connect refused")
            .field(field::KIND, "net.connect")
            .field(field::PID, 42)
            .field(field::COMM, "curl");
        assert_eq!(
            format_line(&record),
            "airgapd: connect refused [AIRGAP_KIND=net.connect AIRGAP_PID=42 AIRGAP_COMM=curl]"
        );
    }

    #[test]
    fn newlines_and_spaces_cannot_break_the_line() {
        let record = Record::new(MessageId::ExecViolation, "a\nb")
            .field(field::EXE, "/media/x y/evil\n[AIRGAP_ACTION=allow]")
            .field(field::MODEL, "");
        let line = format_line(&record);
        assert!(!line.contains('\n'));
        assert_eq!(
            line,
            r#"airgapd: a\nb [AIRGAP_EXE="/media/x y/evil\n[AIRGAP_ACTION=allow]" AIRGAP_MODEL=""]"#
        );
    }

    #[test]
    fn vietnamese_is_kept_verbatim() {
        let record = Record::new(MessageId::DeviceArrival, "Thiết bị bị từ chối")
            .field(field::MODEL, "Bộ_nhớ");
        assert_eq!(
            format_line(&record),
            "airgapd: Thiết bị bị từ chối [AIRGAP_MODEL=Bộ_nhớ]"
        );
    }

    #[test]
    fn no_brackets_without_fields() {
        let record = Record::new(MessageId::DaemonStarted, "started");
        assert_eq!(format_line(&record), "airgapd: started");
    }
}
