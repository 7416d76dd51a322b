//! What the import could not carry over, rule by rule. Every sentence is here, so that they
//! move into the message catalog together.

use std::fmt;

use super::rule::{AttributeName, SetOperator, Target};

/// One construct of a rules file that airgapd does not honour, at `line:column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// 1-based line of the rule.
    pub line: usize,
    /// 1-based column (characters) of the construct, or of the rule's start.
    pub column: usize,
    /// What and why.
    pub kind: NoteKind,
}

/// Why a rule, or part of one, is not carried over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoteKind {
    /// `match` and `device` rules decide nothing.
    NoDecision {
        /// The target.
        target: Target,
    },
    /// `if ...`.
    Conditional,
    /// An earlier block/reject rule may match the same device first.
    Shadowed {
        /// Its target.
        target: Target,
        /// Its line.
        by_line: usize,
    },
    /// An allow rule with no narrowing attribute.
    AllowsEverything,
    /// An allow rule without `with-interface`.
    NoInterface,
    /// `with-interface OP { ... }` with an operator other than equals.
    InterfaceOperator {
        /// The operator.
        operator: SetOperator,
    },
    /// A device airgapd judges by class, not by entry.
    ByClass {
        /// What the class is, for people.
        what: &'static str,
        /// How airgapd decides it.
        how: &'static str,
    },
    /// A block/reject rule for a class airgapd allows.
    BlockOfAllowedClass {
        /// The rule's target.
        target: Target,
        /// What the class is, for people.
        what: &'static str,
        /// How airgapd decides it.
        how: &'static str,
    },
    /// Storage with other interfaces.
    StorageComposite,
    /// Network adapters and radios.
    Network,
    /// No `id`, a wildcard, or several ids.
    IdNotExact,
    /// A storage device without a (usable) serial number.
    NoSerial,
    /// `hash` without `serial`.
    HashWithoutSerial,
    /// A serial airgapd cannot hold (not printable ASCII, too long, or a set).
    BadSerial,
    /// `serial ""`: the device has none, so the entry covers the model.
    EveryOfModel,
    /// An allow rule for a device an earlier rule already imported.
    SameDevice {
        /// The earlier rule's line.
        first_line: usize,
    },
    /// An attribute that narrows where or how the device is connected, dropped.
    Dropped {
        /// The attribute.
        attribute: AttributeName,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.kind)
    }
}

const NOT_IMPORTED: &str = "the rule is not imported";

impl fmt::Display for NoteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoteKind::NoDecision { target } => write!(
                f,
                "a {} rule decides nothing; {NOT_IMPORTED}",
                target.as_str()
            ),
            NoteKind::Conditional => write!(
                f,
                "conditions (if) are not honoured: airgapd allows no device only at some \
                 times or in some states; {NOT_IMPORTED}"
            ),
            NoteKind::Shadowed { target, by_line } => write!(
                f,
                "the {} rule on line {by_line} comes first and may match the same device, \
                 and airgapd has no rule order; {NOT_IMPORTED}",
                target.as_str()
            ),
            NoteKind::AllowsEverything => write!(
                f,
                "the rule allows every device; airgapd refuses every device no entry names, \
                 so {NOT_IMPORTED}"
            ),
            NoteKind::NoInterface => write!(
                f,
                "the rule names no interface (with-interface), so airgapd cannot tell a \
                 storage medium from another device; {NOT_IMPORTED}"
            ),
            NoteKind::InterfaceOperator { operator } => write!(
                f,
                "with-interface {} is not honoured: airgapd needs the device's exact set of \
                 interfaces; {NOT_IMPORTED}",
                operator.as_str()
            ),
            NoteKind::ByClass { what, how } => write!(
                f,
                "airgapd decides {what} as a class, not one by one ({how}); the rule adds no \
                 entry"
            ),
            NoteKind::BlockOfAllowedClass { target, what, how } => write!(
                f,
                "this {} rule is not honoured: airgapd allows {what} as a class ({how})",
                target.as_str()
            ),
            NoteKind::StorageComposite => write!(
                f,
                "a storage device with other interfaces: airgapd approves only storage-only \
                 media; {NOT_IMPORTED}"
            ),
            NoteKind::Network => write!(
                f,
                "a network adapter or radio: airgapd imports no rule that allows one; \
                 {NOT_IMPORTED}"
            ),
            NoteKind::IdNotExact => write!(
                f,
                "airgapd names a device by one exact vendor:product id (no *, no set); \
                 {NOT_IMPORTED}"
            ),
            NoteKind::NoSerial => write!(
                f,
                "a storage medium needs its serial number, or every stick of the model would \
                 be approved; {NOT_IMPORTED}"
            ),
            NoteKind::HashWithoutSerial => write!(
                f,
                "hash is not honoured (airgapd does not compute USBGuard's hash) and without \
                 a serial number the entry would cover every device of the model; \
                 {NOT_IMPORTED}"
            ),
            NoteKind::BadSerial => write!(
                f,
                "airgapd needs one serial number of 1 to 126 printable ASCII characters; \
                 {NOT_IMPORTED}"
            ),
            NoteKind::EveryOfModel => write!(
                f,
                "serial \"\" (a device without serial number) is not honoured: the entry \
                 covers every device of this model"
            ),
            NoteKind::SameDevice { first_line } => write!(
                f,
                "the same device as the rule on line {first_line}, which is imported; this \
                 one adds nothing"
            ),
            NoteKind::Dropped { attribute } => match attribute {
                AttributeName::Name => write!(
                    f,
                    "name is not honoured: airgapd matches the device by id and serial, \
                     whatever name it reports"
                ),
                AttributeName::Hash => write!(
                    f,
                    "hash is not honoured: airgapd does not compute USBGuard's descriptor \
                     hash and matches the device by id and serial"
                ),
                _ => write!(
                    f,
                    "{attribute} is not honoured: airgapd matches the device by id and \
                     serial wherever and however it is connected"
                ),
            },
        }
    }
}
