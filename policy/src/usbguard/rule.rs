//! A USBGuard rule as `usbguard-rules.conf(5)` describes it, after parsing: the target, each
//! attribute with its set operator and values, and where each attribute starts (for notes).

use std::fmt;

/// What a rule does with a device it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Authorize the device.
    Allow,
    /// Deauthorize it; it stays until authorized.
    Block,
    /// Deauthorize and remove it.
    Reject,
    /// A query (used by the usbguard CLI); decides nothing.
    Match,
    /// A device description (as `usbguard list-devices` prints); decides nothing.
    Device,
}

impl Target {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Allow => "allow",
            Target::Block => "block",
            Target::Reject => "reject",
            Target::Match => "match",
            Target::Device => "device",
        }
    }

    pub(crate) const ALL: [Target; 5] = [
        Target::Allow,
        Target::Block,
        Target::Reject,
        Target::Match,
        Target::Device,
    ];
}

/// How an attribute's values are compared with the device's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOperator {
    /// `all-of`: the device has every value.
    AllOf,
    /// `one-of`: the device has at least one.
    OneOf,
    /// `none-of`: the device has none.
    NoneOf,
    /// `equals` (also a set written without operator, and a single value): the same set.
    Equals,
    /// `equals-ordered`: the same values in the same order.
    EqualsOrdered,
    /// `match-all`: the device's values are a subset of these.
    MatchAll,
}

impl SetOperator {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            SetOperator::AllOf => "all-of",
            SetOperator::OneOf => "one-of",
            SetOperator::NoneOf => "none-of",
            SetOperator::Equals => "equals",
            SetOperator::EqualsOrdered => "equals-ordered",
            SetOperator::MatchAll => "match-all",
        }
    }

    pub(crate) const ALL: [SetOperator; 6] = [
        SetOperator::AllOf,
        SetOperator::OneOf,
        SetOperator::NoneOf,
        SetOperator::Equals,
        SetOperator::EqualsOrdered,
        SetOperator::MatchAll,
    ];
}

/// The attribute keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeName {
    /// `id` (or a bare `vvvv:pppp` right after the target).
    Id,
    /// `name`.
    Name,
    /// `hash`.
    Hash,
    /// `parent-hash`.
    ParentHash,
    /// `serial`.
    Serial,
    /// `via-port`.
    ViaPort,
    /// `with-interface`.
    WithInterface,
    /// `with-connect-type`.
    WithConnectType,
    /// `if`: conditions.
    If,
    /// `label`.
    Label,
}

impl AttributeName {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeName::Id => "id",
            AttributeName::Name => "name",
            AttributeName::Hash => "hash",
            AttributeName::ParentHash => "parent-hash",
            AttributeName::Serial => "serial",
            AttributeName::ViaPort => "via-port",
            AttributeName::WithInterface => "with-interface",
            AttributeName::WithConnectType => "with-connect-type",
            AttributeName::If => "if",
            AttributeName::Label => "label",
        }
    }

    pub(crate) const ALL: [AttributeName; 10] = [
        AttributeName::Id,
        AttributeName::Name,
        AttributeName::Hash,
        AttributeName::ParentHash,
        AttributeName::Serial,
        AttributeName::ViaPort,
        AttributeName::WithInterface,
        AttributeName::WithConnectType,
        AttributeName::If,
        AttributeName::Label,
    ];
}

impl fmt::Display for AttributeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One attribute of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute<T> {
    /// 1-based column (in characters) where the attribute starts.
    pub column: usize,
    /// True if written as a set in braces, false for a single value.
    pub set: bool,
    /// The operator; `Equals` for a single value or a set without one.
    pub operator: SetOperator,
    /// The values, in the order written; never empty.
    pub values: Vec<T>,
}

impl<T> Attribute<T> {
    /// The one value, if the attribute names exactly one in a way that a device with that
    /// single value matches (a single value, or a one-element set under any operator but
    /// `none-of`).
    pub fn exactly_one(&self) -> Option<&T> {
        match self.values.as_slice() {
            [one] if self.operator != SetOperator::NoneOf => Some(one),
            _ => None,
        }
    }
}

/// `vvvv:pppp`, either part possibly `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceId {
    /// Vendor id; `None` for `*`.
    pub vendor: Option<u16>,
    /// Product id; `None` for `*`.
    pub product: Option<u16>,
}

impl DeviceId {
    /// Both parts, when neither is a wildcard.
    pub fn exact(&self) -> Option<(u16, u16)> {
        Some((self.vendor?, self.product?))
    }

    /// True if a device with this exact id is matched by this (possibly wildcard) id.
    pub fn covers(&self, vendor: u16, product: u16) -> bool {
        self.vendor.is_none_or(|v| v == vendor) && self.product.is_none_or(|p| p == product)
    }
}

/// `cc:ss:pp`, subclass and protocol possibly `*` (`cc:*:pp` is refused by the parser).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceType {
    /// Interface class.
    pub class: u8,
    /// Subclass; `None` for `*`.
    pub subclass: Option<u8>,
    /// Protocol; `None` for `*`.
    pub protocol: Option<u8>,
}

impl InterfaceType {
    /// True if every interface this pattern matches is matched by `self` too.
    pub fn contains(&self, other: &InterfaceType) -> bool {
        fn part(a: Option<u8>, b: Option<u8>) -> bool {
            a.is_none() || a == b
        }
        self.class == other.class
            && part(self.subclass, other.subclass)
            && part(self.protocol, other.protocol)
    }

    /// True if some interface could be matched by both patterns.
    pub fn overlaps(&self, other: &InterfaceType) -> bool {
        fn part(a: Option<u8>, b: Option<u8>) -> bool {
            matches!((a, b), (Some(a), Some(b)) if a == b) || a.is_none() || b.is_none()
        }
        self.class == other.class
            && part(self.subclass, other.subclass)
            && part(self.protocol, other.protocol)
    }
}

/// One rule condition: `[!]identifier[(argument)]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// Written with `!`.
    pub negated: bool,
    /// `localtime`, `allowed-matches`, `rule-applied`, `rule-evaluated`, `random`, `true`,
    /// `false`.
    pub identifier: String,
    /// The text between the parentheses, as written.
    pub argument: Option<String>,
}

/// A string value after unescaping; USBGuard strings are bytes (`\xHH` may make any byte).
pub type Bytes = Vec<u8>;

/// One rule of a rules file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rule {
    /// 1-based line in the file.
    pub line: usize,
    /// The line as written.
    pub text: String,
    /// `None` only for a partial rule (the query of `allowed-matches`).
    pub target: Option<Target>,
    /// `id`.
    pub id: Option<Attribute<DeviceId>>,
    /// `name`.
    pub name: Option<Attribute<Bytes>>,
    /// `hash`.
    pub hash: Option<Attribute<Bytes>>,
    /// `parent-hash`.
    pub parent_hash: Option<Attribute<Bytes>>,
    /// `serial`.
    pub serial: Option<Attribute<Bytes>>,
    /// `via-port`.
    pub via_port: Option<Attribute<Bytes>>,
    /// `with-interface`.
    pub with_interface: Option<Attribute<InterfaceType>>,
    /// `with-connect-type`.
    pub with_connect_type: Option<Attribute<Bytes>>,
    /// `if`.
    pub conditions: Option<Attribute<Condition>>,
    /// `label`.
    pub label: Option<Attribute<Bytes>>,
}

impl Rule {
    /// Where attribute `name` starts, if the rule has it.
    pub fn column_of(&self, name: AttributeName) -> Option<usize> {
        match name {
            AttributeName::Id => self.id.as_ref().map(|a| a.column),
            AttributeName::Name => self.name.as_ref().map(|a| a.column),
            AttributeName::Hash => self.hash.as_ref().map(|a| a.column),
            AttributeName::ParentHash => self.parent_hash.as_ref().map(|a| a.column),
            AttributeName::Serial => self.serial.as_ref().map(|a| a.column),
            AttributeName::ViaPort => self.via_port.as_ref().map(|a| a.column),
            AttributeName::WithInterface => self.with_interface.as_ref().map(|a| a.column),
            AttributeName::WithConnectType => self.with_connect_type.as_ref().map(|a| a.column),
            AttributeName::If => self.conditions.as_ref().map(|a| a.column),
            AttributeName::Label => self.label.as_ref().map(|a| a.column),
        }
    }

    /// True if the rule names no attribute that narrows which devices it matches (`label`
    /// narrows nothing).
    pub fn matches_everything(&self) -> bool {
        AttributeName::ALL
            .iter()
            .filter(|&&name| name != AttributeName::Label)
            .all(|&name| self.column_of(name).is_none())
    }
}
