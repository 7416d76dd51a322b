//! Journal records of the copy register and of refused executions.
//!
//! A `CopyRegister` record carries every field its catalog entry prints: `AIRGAP_DOCUMENT`
//! (the path on the medium), `AIRGAP_SECRECY` and `AIRGAP_APPROVED_BY` (always empty: the
//! daemon cannot know them and never guesses; the officer fills those columns),
//! `AIRGAP_COPIES` (1), `AIRGAP_UID` (`unknown` when the process could not be identified) and
//! `AIRGAP_RESULT` (`success` only when the content was hashed and the line is in the register
//! file).

use crate::bpf::Layer;
use crate::journal::{field, MessageId, Priority, Record};
use crate::service::records::identity_fields;
use crate::violation::{Kind, Violation};

use super::entry::{direction, event, Entry};
use super::hash::Content;
use super::who::Who;
use super::Medium;

fn uid_text(uid: Option<u32>) -> String {
    uid.map_or_else(|| "unknown".to_string(), |u| u.to_string())
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

fn medium_fields(mut r: Record, medium: Option<&Medium>, device: &str) -> Record {
    if !device.is_empty() {
        r = r.field(field::DEVICE, device);
    }
    if let Some(m) = medium {
        r = r.field(field::RULE, &m.rule);
        r = identity_fields(r, &m.identity);
    }
    r
}

/// The record of one register line; `appended` is what writing it to the file gave.
pub fn copy(
    e: &Entry,
    medium: Option<&Medium>,
    appended: &Result<(u64, String), String>,
) -> Record {
    // Names come from users: the message text shows them escaped, the fields keep them.
    let who = format!(
        "{}[{}] uid={}",
        super::entry::escape(e.comm.as_bytes()),
        e.pid,
        uid_text(e.uid)
    );
    let on = if e.medium.is_empty() {
        String::new()
    } else {
        format!(" medium \"{}\"", e.medium)
    };
    let mut text = match e.event.as_str() {
        event::LOST | event::NOTE => format!("copy register: {}", e.note),
        ev => {
            let what = match ev {
                event::CREATED => "copied to",
                event::WRITTEN => "written to",
                event::MOVED => "renamed onto",
                event::RAW_WRITE => "written to the device itself of",
                event::RAW_READ => "opened on the device itself of",
                _ => "read from",
            };
            let content = match (&e.size, e.sha256.is_empty()) {
                (Some(size), false) => format!(" ({size} bytes, sha256 {}…)", short(&e.sha256)),
                _ => format!(" (not hashed: {})", e.note),
            };
            format!("{} {what}{on}{content} by {who}", e.document_shown())
        }
    };
    match appended {
        Ok((seq, _)) => text.push_str(&format!("; register #{seq}")),
        Err(why) => text.push_str(&format!("; NOT in the register file: {why}")),
    }
    let mut r = Record::new(MessageId::CopyRegister, text)
        .field(field::KIND, format!("copy.{}", e.event))
        .field(field::DOCUMENT, &e.document)
        .field(field::SECRECY, &e.secrecy)
        .field(
            field::COPIES,
            if e.event == event::LOST { 0 } else { e.copies },
        )
        .field(field::APPROVED_BY, &e.approved_by)
        .field(field::UID, uid_text(e.uid));
    if e.event == event::LOST {
        r = r.field(field::LOST, e.lost).priority(Priority::Warning);
    }
    if !e.direction.is_empty() {
        r = r
            .field(field::DIRECTION, &e.direction)
            .field(field::PID, e.pid)
            .field(field::COMM, &e.comm);
        if !e.exe.is_empty() {
            r = r.field(field::EXE, &e.exe);
        }
    }
    if let Some(size) = e.size {
        r = r.field(field::SIZE, size);
    }
    if !e.sha256.is_empty() {
        r = r.field(field::SHA256, &e.sha256);
    }
    if let Ok((seq, chain)) = appended {
        r = r
            .field(field::REGISTER_SEQ, seq)
            .field(field::REGISTER_CHAIN, chain);
    }
    if e.direction == direction::TO_MEDIUM || e.direction == direction::FROM_MEDIUM {
        r = medium_fields(r, medium, &e.device);
    }
    r
}

/// A refused execution: the program, its hash, who tried, which layer refused.
pub fn exec(
    path: &str,
    who: &Who,
    layer: Layer,
    dev: (u32, u32),
    medium: Option<&Medium>,
    content: Option<&Result<Content, String>>,
) -> Record {
    let on = medium.map_or_else(String::new, |m| {
        if m.approved {
            format!(" on medium \"{}\"", m.rule)
        } else {
            " on an unapproved medium".to_string()
        }
    });
    let comm = if who.comm.is_empty() {
        "-".to_string()
    } else {
        who.comm.clone()
    };
    let mut r = Record::new(
        MessageId::ExecViolation,
        format!(
            "refused to run {path}{on} ({}): {}",
            layer.name(),
            who.describe()
        ),
    )
    .field(field::KIND, "exec")
    .field(field::ACTION, field::action::DENY)
    .field(field::EXE, path)
    .field(field::COMM, comm)
    .field(field::PID, who.pid)
    .field(field::UID, uid_text(who.uid))
    .field(field::LAYER, layer.name());
    match content {
        Some(Ok(c)) => {
            r = r.field(field::SHA256, &c.sha256).field(field::SIZE, c.size);
        }
        Some(Err(why)) => r = r.field(field::SHA256, format!("unknown: {why}")),
        None => r = r.field(field::SHA256, "unknown: the file could not be opened"),
    }
    medium_fields(r, medium, &format!("{}:{}", dev.0, dev.1))
}

/// An exec refusal as `airgapctl violations` lists it.
pub fn exec_violation(path: &str, who: &Who, dev: (u32, u32), at_us: u64) -> Violation {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_micros(at_us);
    Violation {
        tid: who.pid,
        pid: who.pid,
        uid: who.uid.unwrap_or(u32::MAX),
        gid: 0,
        comm: who.comm.clone(),
        device: Some(dev),
        file: Some(path.to_string()),
        ..Violation::of(Kind::Exec, time)
    }
}

/// Refusals of the BPF LSM whose details were lost (its ring buffer was full).
pub fn exec_lost(n: u64) -> Record {
    Record::new(
        MessageId::EventsLost,
        format!(
            "{n} refused executions from removable media were not recorded one by one (event \
             buffer full)"
        ),
    )
    .field(field::KIND, "exec")
    .field(field::LOST, n)
}

/// A medium mounted, and what now holds on it.
pub fn mounted(medium: &Medium, point: &std::path::Path, layer: Layer, what: &str) -> Record {
    let r = Record::new(
        MessageId::EnforcementState,
        format!(
            "{} \"{}\" mounted at {}: {what}",
            if medium.approved {
                "medium"
            } else {
                "unapproved medium"
            },
            medium.rule,
            point.display()
        ),
    )
    .field(field::LAYER, layer.name())
    .field(field::STATE, field::state::ACTIVE);
    medium_fields(
        r,
        Some(medium),
        &format!("{}:{}", medium.dev.0, medium.dev.1),
    )
}

/// A layer could not do its part on one medium.
pub fn failed(medium: &Medium, layer: Layer, what: String) -> Record {
    let r = Record::new(MessageId::EnforcementState, what)
        .priority(Priority::Warning)
        .field(field::LAYER, layer.name())
        .field(field::STATE, field::state::UNAVAILABLE);
    medium_fields(
        r,
        Some(medium),
        &format!("{}:{}", medium.dev.0, medium.dev.1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(event: &str) -> Entry {
        Entry {
            event: event.into(),
            direction: if event == event::READ {
                direction::FROM_MEDIUM
            } else {
                direction::TO_MEDIUM
            }
            .into(),
            document: "/a.odt".into(),
            copies: 1,
            comm: "cp".into(),
            result: "success".into(),
            ..Entry::default()
        }
    }

    #[test]
    fn an_exec_refusal_is_listed_with_the_file_as_its_target() {
        let who = Who {
            pid: 77,
            uid: Some(1000),
            comm: "bash".into(),
            exe: "/usr/bin/bash".into(),
        };
        let v = exec_violation(
            "/media/stick/setup.exe",
            &who,
            (8, 17),
            1_700_000_000_000_000,
        );
        assert_eq!(v.kind.name(), "exec");
        assert_eq!(
            v.to_string(),
            "denied running /media/stick/setup.exe by bash[77] uid=1000"
        );
        let listed = crate::dbus::values::ViolationEntry::from(&crate::state::ViolationRecord {
            seq: 1,
            violation: v,
            repeats: 0,
            device_name: String::new(),
        });
        assert_eq!(listed.target, "/media/stick/setup.exe");
        assert_eq!(listed.time_us, 1_700_000_000_000_000);
    }

    #[test]
    fn every_kind_of_register_record_carries_its_catalog_fields() {
        let appended = Ok((3, "ab".repeat(32)));
        for e in [
            entry(event::CREATED),
            entry(event::READ),
            Entry {
                event: event::LOST.into(),
                lost: 5,
                note: "queue full".into(),
                ..Entry::default()
            },
        ] {
            let r = copy(&e, None, &appended);
            // AIRGAP_RESULT is the audit record's to add, when the worker commits or fails.
            assert_eq!(r.missing_catalog_fields(), vec![field::RESULT], "{r:?}");
            assert_eq!(r.get(field::UID), Some("unknown"));
            assert_eq!(r.get(field::SECRECY), Some(""));
        }
        let failed = copy(&entry(event::WRITTEN), None, &Err("disk full".into()));
        assert!(failed
            .message
            .contains("NOT in the register file: disk full"));
        assert_eq!(failed.get(field::REGISTER_SEQ), None);
    }

    #[test]
    fn an_exec_refusal_names_program_hash_and_process() {
        let who = Who {
            pid: 42,
            uid: Some(1000),
            comm: "bash".into(),
            exe: "/usr/bin/bash".into(),
        };
        let content = Ok(Content {
            size: 3,
            sha256: "ba78".into(),
            changed: false,
        });
        let r = exec(
            "/media/s/prog",
            &who,
            Layer::ExecFanotify,
            (8, 1),
            None,
            Some(&content),
        );
        assert!(r.missing_catalog_fields().is_empty(), "{r:?}");
        assert_eq!(r.get(field::EXE), Some("/media/s/prog"));
        assert_eq!(r.get(field::SHA256), Some("ba78"));
        assert_eq!(r.get(field::LAYER), Some("exec-fanotify"));
        assert_eq!(r.get(field::DEVICE), Some("8:1"));
    }
}
