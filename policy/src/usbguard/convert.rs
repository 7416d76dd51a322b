//! USBGuard rules → airgapd entries. USBGuard takes the first rule that matches; airgapd has
//! no rule order: it allows what an entry names and refuses the rest. So only `allow` rules
//! become entries, and only when airgapd can match the same device by exact identity; `block`,
//! `reject` and the implicit target are the default deny. Nothing is widened silently: every
//! rule or attribute not carried over becomes a [`Note`].

use super::notes::{Note, NoteKind};
use super::rule::{Attribute, AttributeName, DeviceId, InterfaceType, Rule, SetOperator, Target};

/// Longest serial the policy accepts (as `check/media.rs`).
const SERIAL_MAX: usize = 126;

/// Where an imported rule goes in the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// `[[media]]`: a storage-only device.
    Media,
    /// `[[usb.allow]]`: another device, allowed whatever its class.
    UsbAllow,
    /// `[[capture.allow]]`: a camera or microphone.
    CaptureAllow,
}

/// One `allow` rule carried over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// Where it goes.
    pub section: Section,
    /// The rule's line.
    pub line: usize,
    /// The rule as written.
    pub rule_text: String,
    /// `label`, else `name`, as text; `None` if the rule has neither.
    pub title: Option<String>,
    /// USB vendor id.
    pub vendor_id: u16,
    /// USB product id.
    pub product_id: u16,
    /// Serial number, when the rule names one.
    pub serial: Option<String>,
}

impl Imported {
    /// True if both name the same device in the same section (the policy allows one entry
    /// per device).
    pub fn same_device(&self, other: &Imported) -> bool {
        (self.section, self.vendor_id, self.product_id, &self.serial)
            == (
                other.section,
                other.vendor_id,
                other.product_id,
                &other.serial,
            )
    }
}

/// The result of converting a rule set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conversion {
    /// The entries, in the order of the rules.
    pub imported: Vec<Imported>,
    /// What was not carried over, in the order of the rules.
    pub notes: Vec<Note>,
}

/// What kind of device a set of interfaces describes, for airgapd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Storage,
    StorageComposite,
    Hid,
    Hub,
    Capture,
    Network,
    Other,
}

const STORAGE: u8 = 0x08;
const HID: u8 = 0x03;
const HUB: u8 = 0x09;
const CAPTURE: [u8; 3] = [0x01, 0x0e, 0x10]; // audio, video, audio/video
const NETWORK: [u8; 3] = [0x02, 0x0a, 0xe0]; // CDC control, CDC data, wireless controller

const SMART_CARD: u8 = 0x0b;

/// The classes airgapd allows as a whole: (class, what they are, how airgapd decides).
const CLASS_RULES: [(u8, &str, &str); 3] = [
    (
        HID,
        "keyboards and mice",
        "[usb] hid; set it to \"deny\" by hand to refuse them all",
    ),
    (
        HUB,
        "hubs",
        "always, as every USB device behind them needs them",
    ),
    (
        SMART_CARD,
        "smart-card readers",
        "always, so officials can sign in with their card",
    ),
];

fn kind(interfaces: &[InterfaceType]) -> Kind {
    let has = |class: u8| interfaces.iter().any(|i| i.class == class);
    let only = |classes: &[u8]| interfaces.iter().all(|i| classes.contains(&i.class));
    if has(STORAGE) {
        if only(&[STORAGE]) {
            Kind::Storage
        } else {
            Kind::StorageComposite
        }
    } else if interfaces.iter().any(|i| NETWORK.contains(&i.class)) {
        Kind::Network
    } else if interfaces.iter().any(|i| CAPTURE.contains(&i.class)) {
        Kind::Capture
    } else if only(&[HID, HUB]) && has(HID) {
        Kind::Hid
    } else if only(&[HUB]) {
        Kind::Hub
    } else {
        Kind::Other
    }
}

/// Converts parsed rules (in file order).
pub fn convert(rules: &[Rule]) -> Conversion {
    let mut out = Conversion::default();
    let mut blockers: Vec<&Rule> = Vec::new();
    for rule in rules {
        let note = |kind: NoteKind, column: Option<usize>| Note {
            line: rule.line,
            column: column.unwrap_or(1),
            kind,
        };
        match rule.target {
            Some(Target::Allow) => match allow(rule, &blockers) {
                Ok((imported, _)) if out.imported.iter().any(|i| i.same_device(&imported)) => {
                    let first = out.imported.iter().find(|i| i.same_device(&imported));
                    let first_line = first.map_or(0, |i| i.line);
                    out.notes
                        .push(note(NoteKind::SameDevice { first_line }, None));
                }
                Ok((imported, notes)) => {
                    out.imported.push(imported);
                    out.notes.extend(notes.into_iter().map(|(k, c)| note(k, c)));
                }
                Err((kind, column)) => out.notes.push(note(kind, column)),
            },
            Some(target @ (Target::Block | Target::Reject)) => {
                blockers.push(rule);
                let Some(w) = rule.with_interface.as_ref() else {
                    continue;
                };
                let allowed = |i: &InterfaceType| CLASS_RULES.iter().any(|c| c.0 == i.class);
                let reaches_allowed = match w.operator {
                    SetOperator::NoneOf => false,
                    // The device has every value: one of a class airgapd refuses (storage
                    // beside anything, a network adapter...) makes airgapd refuse it too.
                    SetOperator::AllOf | SetOperator::Equals | SetOperator::EqualsOrdered
                        if w.set =>
                    {
                        w.values.iter().all(allowed)
                    }
                    _ => true,
                };
                if !reaches_allowed {
                    continue;
                }
                for (class, what, how) in CLASS_RULES {
                    if w.values.iter().any(|i| i.class == class) {
                        let kind = NoteKind::BlockOfAllowedClass { target, what, how };
                        out.notes.push(note(kind, Some(w.column)));
                    }
                }
            }
            Some(target @ (Target::Match | Target::Device)) => {
                out.notes.push(note(NoteKind::NoDecision { target }, None))
            }
            None => {}
        }
    }
    out
}

type Refusal = (NoteKind, Option<usize>);

/// An allow rule: the entry and the notes about what it drops, or why it is not imported.
fn allow(rule: &Rule, blockers: &[&Rule]) -> Result<(Imported, Vec<Refusal>), Refusal> {
    if let Some(conditions) = &rule.conditions {
        return Err((NoteKind::Conditional, Some(conditions.column)));
    }
    if rule.matches_everything() {
        return Err((NoteKind::AllowsEverything, None));
    }
    let Some(interfaces) = &rule.with_interface else {
        return Err((NoteKind::NoInterface, None));
    };
    if !matches!(
        interfaces.operator,
        SetOperator::Equals | SetOperator::EqualsOrdered
    ) {
        let operator = interfaces.operator;
        return Err((
            NoteKind::InterfaceOperator { operator },
            Some(interfaces.column),
        ));
    }
    let at = Some(interfaces.column);
    let section = match kind(&interfaces.values) {
        Kind::Storage => Section::Media,
        Kind::Other => Section::UsbAllow,
        Kind::Capture => Section::CaptureAllow,
        Kind::StorageComposite => return Err((NoteKind::StorageComposite, at)),
        Kind::Network => return Err((NoteKind::Network, at)),
        kind @ (Kind::Hid | Kind::Hub) => {
            let class = if kind == Kind::Hid { HID } else { HUB };
            let (_, what, how) =
                CLASS_RULES[CLASS_RULES.iter().position(|c| c.0 == class).unwrap_or(0)];
            return Err((NoteKind::ByClass { what, how }, at));
        }
    };
    let id_column = rule.column_of(AttributeName::Id);
    let (vendor_id, product_id) = rule
        .id
        .as_ref()
        .and_then(Attribute::exactly_one)
        .and_then(|id| id.exact())
        .ok_or((NoteKind::IdNotExact, id_column))?;
    let mut notes = Vec::new();
    let serial = match (&rule.serial, section) {
        (None, Section::Media) if rule.hash.is_some() => {
            return Err((
                NoteKind::HashWithoutSerial,
                rule.column_of(AttributeName::Hash),
            ))
        }
        (None, Section::Media) => return Err((NoteKind::NoSerial, None)),
        (None, _) if rule.hash.is_some() => {
            return Err((
                NoteKind::HashWithoutSerial,
                rule.column_of(AttributeName::Hash),
            ))
        }
        (None, _) => None,
        (Some(serial), _) => {
            let column = Some(serial.column);
            let one = serial.exactly_one().ok_or((NoteKind::BadSerial, column))?;
            if one.is_empty() {
                if section == Section::Media {
                    return Err((NoteKind::NoSerial, column));
                }
                notes.push((NoteKind::EveryOfModel, column));
                None
            } else {
                let printable =
                    one.len() <= SERIAL_MAX && one.iter().all(|b| (0x20..=0x7e).contains(b));
                if !printable {
                    return Err((NoteKind::BadSerial, column));
                }
                Some(String::from_utf8_lossy(one).into_owned())
            }
        }
    };
    let serial_bytes = serial.as_deref().map(str::as_bytes);
    if let Some(b) = blockers
        .iter()
        .find(|b| may_match(b, vendor_id, product_id, serial_bytes, &interfaces.values))
    {
        let target = b.target.unwrap_or(Target::Block);
        return Err((
            NoteKind::Shadowed {
                target,
                by_line: b.line,
            },
            None,
        ));
    }
    for attribute in [
        AttributeName::Name,
        AttributeName::Hash,
        AttributeName::ParentHash,
        AttributeName::ViaPort,
        AttributeName::WithConnectType,
    ] {
        if let Some(column) = rule.column_of(attribute) {
            notes.push((NoteKind::Dropped { attribute }, Some(column)));
        }
    }
    let title = [&rule.label, &rule.name]
        .into_iter()
        .flatten()
        .find_map(|a| a.values.first())
        .map(|v| String::from_utf8_lossy(v).into_owned());
    Ok((
        Imported {
            section,
            line: rule.line,
            rule_text: rule.text.clone(),
            title,
            vendor_id,
            product_id,
            serial,
        },
        notes,
    ))
}

/// False only when an attribute of the blocking rule certainly excludes this device; anything
/// airgapd cannot evaluate (ports, hashes, conditions) may match.
fn may_match(
    blocker: &Rule,
    vendor: u16,
    product: u16,
    serial: Option<&[u8]>,
    interfaces: &[InterfaceType],
) -> bool {
    if let Some(id) = &blocker.id {
        let covers = |v: &DeviceId, _: &()| v.covers(vendor, product);
        if excludes(id, &[()], covers, covers) {
            return false;
        }
    }
    if let (Some(attr), Some(serial)) = (&blocker.serial, serial) {
        let same = |v: &Vec<u8>, _: &()| v.as_slice() == serial;
        if excludes(attr, &[()], same, same) {
            return false;
        }
    }
    if let Some(attr) = &blocker.with_interface {
        let overlaps = |v: &InterfaceType, d: &InterfaceType| v.overlaps(d);
        let contains = |v: &InterfaceType, d: &InterfaceType| v.contains(d);
        if excludes(attr, interfaces, overlaps, contains) {
            return false;
        }
    }
    true
}

/// True if the attribute certainly fails on a device whose values are `device`: `may` says
/// whether a rule value may match a device value, `certain` whether it surely does. A single
/// value is read as loosely as `one-of`, so that doubt always means "may match".
fn excludes<T, D>(
    attr: &Attribute<T>,
    device: &[D],
    may: impl Fn(&T, &D) -> bool,
    certain: impl Fn(&T, &D) -> bool,
) -> bool {
    let value_unmatched = || {
        attr.values
            .iter()
            .any(|v| !device.iter().any(|d| may(v, d)))
    };
    let device_unmatched = || {
        device
            .iter()
            .any(|d| !attr.values.iter().any(|v| may(v, d)))
    };
    let none_matched = || !attr.values.iter().any(|v| device.iter().any(|d| may(v, d)));
    match attr.operator {
        _ if !attr.set => none_matched(),
        SetOperator::OneOf => none_matched(),
        SetOperator::AllOf => value_unmatched(),
        SetOperator::Equals | SetOperator::EqualsOrdered => value_unmatched() || device_unmatched(),
        SetOperator::MatchAll => device_unmatched(),
        SetOperator::NoneOf => device
            .iter()
            .any(|d| attr.values.iter().any(|v| certain(v, d))),
    }
}
