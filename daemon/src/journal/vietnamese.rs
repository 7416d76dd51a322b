//! Vietnamese fields of every record, so that the Vietnamese catalog entry
//! (`packaging/catalog/airgapd.vi.catalog`) stands alone: `AIRGAP_SUMMARY_VI` says in one
//! Vietnamese sentence what `MESSAGE` says in English, and `*_VI` fields give the values an
//! officer reads (`refuse` → `chặn`, an empty secrecy level → `chưa ghi`). The words come from
//! the Vietnamese Fluent catalog (`common.ftl`, `journal.ftl`) whatever the daemon's locale.

use std::sync::OnceLock;

use super::{field, MessageId, Record};
use crate::i18n::reason::reason_words_in;
use crate::i18n::{Args, Catalog, Lang};
use crate::tr_in;

/// One Vietnamese sentence for the record: the catalog entry's `@AIRGAP_SUMMARY_VI@`.
pub const SUMMARY: &str = "AIRGAP_SUMMARY_VI";

/// Fields whose value is a word to translate: (field, its Vietnamese field, catalog prefix).
const VALUES: &[(&str, &str, &str)] = &[
    (field::ACTION, "AIRGAP_ACTION_VI", "journal-action"),
    (field::RESULT, "AIRGAP_RESULT_VI", "journal-result"),
    (field::STATE, "AIRGAP_STATE_VI", "journal-state"),
];

/// Fields the officer fills in on paper, empty in the record: their Vietnamese field says so
/// instead of printing nothing.
const OFFICER: &[(&str, &str)] = &[
    (field::SECRECY, "AIRGAP_SECRECY_VI"),
    (field::APPROVED_BY, "AIRGAP_APPROVED_BY_VI"),
];

/// The Vietnamese field of `name`, if it has one (for the catalog test).
pub fn derived(name: &str) -> Option<&'static str> {
    VALUES
        .iter()
        .map(|(f, vi, _)| (f, vi))
        .chain(OFFICER.iter().map(|(f, vi)| (f, vi)))
        .find(|(f, _)| **f == name)
        .map(|(_, vi)| *vi)
}

fn catalog() -> &'static Catalog {
    static VI: OnceLock<Catalog> = OnceLock::new();
    VI.get_or_init(|| Catalog::new(Lang::Vi, None))
}

/// The Vietnamese fields of `record`.
pub fn fields(record: &Record) -> Vec<(&'static str, String)> {
    let vi = catalog();
    let mut out = vec![(SUMMARY, summary(vi, record))];
    for &(name, vi_name, _) in VALUES {
        if let Some(value) = record.get(name) {
            out.push((vi_name, word(vi, name, value)));
        }
    }
    for &(name, vi_name) in OFFICER {
        if let Some(value) = record.get(name) {
            let text = if value.trim().is_empty() {
                tr_in!(vi, "journal-not-filled-in")
            } else {
                value.to_string()
            };
            out.push((vi_name, text));
        }
    }
    out
}

/// The value `value` of field `name` in Vietnamese (itself when it is not a known word).
fn word(vi: &Catalog, name: &str, value: &str) -> String {
    let Some((_, _, prefix)) = VALUES.iter().find(|(f, _, _)| *f == name) else {
        return value.to_string();
    };
    let id = format!("{prefix}-{value}");
    if vi.has(&id) {
        vi.text(&id, None)
    } else {
        value.to_string()
    }
}

/// The device as the record names it: model and serial, USB ids, node or bus path.
fn device_name(vi: &Catalog, r: &Record) -> String {
    let get = |name| r.get(name).filter(|v| !v.is_empty());
    match (get(field::MODEL), get(field::SERIAL)) {
        (Some(model), Some(serial)) => tr_in!(
            vi,
            "notify-name-model-serial",
            model = model,
            serial = serial
        ),
        (Some(model), None) => model.to_string(),
        _ => match (get(field::VENDOR_ID), get(field::PRODUCT_ID)) {
            (Some(v), Some(p)) => tr_in!(
                vi,
                "notify-name-usb",
                vendor = v,
                product = p,
                serial = get(field::SERIAL).unwrap_or_default()
            )
            .trim()
            .to_string(),
            _ => get(field::DEV_NODE)
                .or(get(field::BUS_PATH))
                .or(get(field::DEVICE))
                .unwrap_or("?")
                .to_string(),
        },
    }
}

/// What a refusal record counted by user or for everyone says of it, in `catalog`'s language
/// (`AIRGAP_FOLDED_BY`).
pub fn folded_by(catalog: &Catalog, r: &Record) -> Option<String> {
    let count = 1 + r
        .get(field::REPEATS)
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    let uid = r.get(field::UID).unwrap_or_default().to_string();
    match r.get(field::FOLDED_BY)? {
        "user" => Some(tr_in!(
            catalog,
            "journal-folded-by-user",
            count = count,
            uid = uid
        )),
        "everyone" => Some(tr_in!(catalog, "journal-folded-by-everyone", count = count)),
        _ => None,
    }
}

fn summary(vi: &Catalog, r: &Record) -> String {
    let get = |name| r.get(name).unwrap_or_default().to_string();
    match r.message_id {
        MessageId::NetworkViolation
        | MessageId::DeviceViolation
        | MessageId::ExecViolation
        | MessageId::BpfObjectRefused => {
            let kind = match r.message_id {
                MessageId::ExecViolation => "exec".to_string(),
                _ => get(field::KIND),
            };
            let target = match r.message_id {
                MessageId::ExecViolation => get(field::EXE),
                MessageId::DeviceViolation => get(field::DEVICE),
                MessageId::BpfObjectRefused => get(field::OBJECT),
                _ => match (r.get(field::ADDRESS), r.get(field::PORT)) {
                    (Some(a), Some(p)) if p != "0" && a.contains(':') => format!("[{a}]:{p}"),
                    (Some(a), Some(p)) if p != "0" => format!("{a}:{p}"),
                    (Some(a), _) => a.to_string(),
                    (None, _) => r
                        .get(field::FAMILY)
                        .map(str::to_string)
                        .unwrap_or_else(|| tr_in!(vi, "target-unknown")),
                },
            };
            let id = format!("refusal-{}", kind.replace('.', "-"));
            if !vi.has(&id) {
                return tr_in!(vi, "journal-refusal-other", kind = kind);
            }
            let mut args = Args::new();
            args.set("target", target);
            args.set("comm", get(field::COMM));
            args.set("pid", get(field::PID).parse::<u32>().unwrap_or(0));
            // The uid only: the daemon does no name lookups (NSS may block) for its records.
            args.set("user", tr_in!(vi, "refusal-user", uid = get(field::UID)));
            let mut text = vi.text(&id, Some(&args));
            if let Some(crowd) = folded_by(vi, r) {
                text.push(' ');
                text.push_str(&crowd);
            }
            text
        }
        MessageId::DeviceArrival => {
            let mut text = tr_in!(
                vi,
                "journal-device-arrival",
                name = device_name(vi, r),
                action = word(vi, field::ACTION, &get(field::ACTION))
            );
            // Why, in Vietnamese (issue 18), when the decision says it by catalog key.
            let why = reason_words_in(vi, &get(field::REASON_REF), "");
            if !why.is_empty() {
                text.push(' ');
                text.push_str(&tr_in!(vi, "journal-reason", reason = why));
            }
            text
        }
        MessageId::DeviceDeparture => {
            tr_in!(vi, "journal-device-departure", name = device_name(vi, r))
        }
        MessageId::PolicyLoaded => tr_in!(
            vi,
            "journal-policy-loaded",
            serial = get(field::POLICY_SERIAL)
        ),
        MessageId::PolicyRejected => tr_in!(vi, "journal-policy-rejected"),
        // Issue 23: an interface held down until its programs were attached, and up again.
        MessageId::EnforcementState if r.get(field::HELD_MS).is_some() => tr_in!(
            vi,
            "journal-interface-held",
            interface = get(field::INTERFACE),
            ms = get(field::HELD_MS)
        ),
        MessageId::EnforcementState => tr_in!(
            vi,
            "journal-enforcement-state",
            layer = get(field::LAYER),
            state = word(vi, field::STATE, &get(field::STATE))
        ),
        MessageId::EventsLost if get(field::KIND) == "uevent" => {
            tr_in!(vi, "journal-uevents-lost", lost = get(field::LOST))
        }
        MessageId::EventsLost => tr_in!(vi, "journal-events-lost", lost = get(field::LOST)),
        MessageId::DaemonStarted => tr_in!(vi, "journal-daemon-started"),
        MessageId::MachineRecord => tr_in!(
            vi,
            "journal-machine-record",
            seq = get(field::MACHINE_RECORD_SEQ)
        ),
        MessageId::DaemonStopped => tr_in!(vi, "journal-daemon-stopped"),
        MessageId::EnforcementLifted => tr_in!(
            vi,
            "journal-enforcement-lifted",
            uid = get(field::UID),
            pid = get(field::PID)
        ),
        MessageId::EnforcementTampered => tr_in!(
            vi,
            "journal-enforcement-tampered",
            object = get(field::OBJECT),
            result = word(vi, field::RESULT, &get(field::RESULT))
        ),
        MessageId::ReleaseOrder => tr_in!(
            vi,
            "journal-release-order",
            uid = get(field::UID),
            result = word(vi, field::RESULT, &get(field::RESULT))
        ),
        MessageId::PolicyUpdate => tr_in!(
            vi,
            "journal-policy-update",
            uid = get(field::UID),
            result = word(vi, field::RESULT, &get(field::RESULT))
        ),
        MessageId::CopyRegister => {
            let kind = get(field::KIND);
            let event = kind.strip_prefix("copy.").unwrap_or(&kind);
            let id = format!("register-event-{event}");
            let event = if vi.has(&id) {
                vi.text(&id, None)
            } else {
                event.to_string()
            };
            let document = get(field::DOCUMENT);
            if document.is_empty() {
                tr_in!(vi, "journal-copy-register-no-document", event = event)
            } else {
                tr_in!(
                    vi,
                    "journal-copy-register",
                    event = event,
                    document = document
                )
            }
        }
        MessageId::NetworkIsolationLost => {
            tr_in!(vi, "journal-isolation-lost", change = get(field::CHANGE))
        }
        MessageId::EnforcementUpgraded => tr_in!(
            vi,
            "journal-enforcement-upgraded",
            before = get(field::BEFORE),
            after = get(field::AFTER),
            lost = get(field::LOST),
            result = word(vi, field::RESULT, &get(field::RESULT))
        ),
        MessageId::PremountedMedium => tr_in!(
            vi,
            "journal-premounted-medium",
            node = get(field::DEV_NODE),
            result = word(vi, field::RESULT, &get(field::RESULT))
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of<'a>(f: &'a [(&str, String)], name: &str) -> &'a str {
        f.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .unwrap()
    }

    #[test]
    fn every_record_kind_has_a_vietnamese_summary_without_english_values() {
        for &id in MessageId::ALL {
            let mut r = Record::new(id, "English text");
            for name in id.catalog_fields() {
                let value = match *name {
                    field::ACTION => "refuse",
                    field::RESULT => "success",
                    field::STATE => "unavailable",
                    field::KIND => "net.connect",
                    field::SECRECY | field::APPROVED_BY => "",
                    _ => "1",
                };
                r = r.field(name, value);
            }
            let f = fields(&r);
            let summary = field_of(&f, SUMMARY);
            assert!(
                !summary.contains("English") && !summary.is_empty(),
                "{id:?}"
            );
            for english in ["refuse", "success", "unavailable"] {
                assert!(
                    f.iter().all(|(n, v)| !n.ends_with("_VI") || v != english),
                    "{id:?}: {f:?}"
                );
            }
        }
    }

    #[test]
    fn values_are_translated_and_empty_paper_fields_say_so() {
        let r = Record::new(MessageId::CopyRegister, "x")
            .field(field::KIND, "copy.created")
            .field(field::DOCUMENT, "/a.odt")
            .field(field::SECRECY, "")
            .field(field::APPROVED_BY, "")
            .field(field::RESULT, "failure");
        let f = fields(&r);
        assert_eq!(field_of(&f, "AIRGAP_RESULT_VI"), "thất bại");
        assert_eq!(field_of(&f, "AIRGAP_SECRECY_VI"), "chưa ghi");
        let d = Record::new(MessageId::DeviceArrival, "x")
            .field(field::ACTION, "authorize")
            .field(field::RESULT, "success")
            .field(field::MODEL, "Ultra")
            .field(field::SERIAL, "S1");
        let f = fields(&d);
        assert_eq!(field_of(&f, "AIRGAP_ACTION_VI"), "cho phép");
        assert_eq!(
            field_of(&f, SUMMARY),
            "Thiết bị Ultra (số sê-ri S1) được cắm vào; quyết định: cho phép."
        );
        // Issue 18: the reason, by its catalog key, in Vietnamese.
        let why = crate::devices::reason::ReasonRef::new("usb-refused")
            .categories("first", &[crate::devices::usb_class::UsbCategory::Network])
            .arg("classes", "02");
        let d = Record::new(MessageId::DeviceArrival, "x")
            .field(field::ACTION, "refuse")
            .field(field::MODEL, "Pixel")
            .field(field::REASON_REF, why.encode());
        let summary = field_of(&fields(&d), SUMMARY).to_string();
        assert!(
            summary.ends_with(
                " Lý do: từ chối: thiết bị này là bộ điều hợp mạng (chia sẻ mạng từ điện thoại \
                 hoặc Ethernet qua USB); máy tính soạn thảo này không được dùng thiết bị mạng"
            ),
            "{summary}"
        );
    }
}
