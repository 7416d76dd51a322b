//! Why USBGuard itself would refuse a rule, and where. Every sentence the parser can say is
//! here, so that they move into the message catalog together.

use super::rule::AttributeName;

/// A rule USBGuard would refuse, at `line:column` (1-based, columns in characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {problem}")]
pub struct RuleError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub problem: Problem,
}

/// What is wrong with a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The first word is not a target.
    #[error("{found:?} is not a rule target; expected allow, block, reject, match or device")]
    UnknownTarget {
        /// The word found.
        found: String,
    },
    /// A word where an attribute was expected is none of the known ones.
    #[error(
        "{found:?} is not a rule attribute; expected id, name, hash, parent-hash, serial, \
         via-port, with-interface, with-connect-type, if or label"
    )]
    UnknownAttribute {
        /// The word found.
        found: String,
    },
    /// Something that is not a word where an attribute was expected.
    #[error("expected a rule attribute, found {found:?}")]
    ExpectedAttribute {
        /// The character found.
        found: char,
    },
    /// Two items not separated by a space or tab.
    #[error("expected a space or tab before {found:?}")]
    ExpectedBlank {
        /// The character found.
        found: char,
    },
    /// The same attribute twice in one rule.
    #[error("the {name} attribute is already given at column {first}; give it once, with a set {{ ... }} for several values")]
    Duplicate {
        /// The attribute.
        name: AttributeName,
        /// Column of its first occurrence.
        first: usize,
    },
    /// An attribute keyword at the end of the line.
    #[error("the {name} attribute has no value")]
    MissingValue {
        /// The attribute.
        name: AttributeName,
    },
    /// A word before `{` that is no set operator.
    #[error(
        "{found:?} is not a set operator; expected all-of, one-of, none-of, equals, \
         equals-ordered or match-all"
    )]
    UnknownOperator {
        /// The word found.
        found: String,
    },
    /// A set operator not followed by a set.
    #[error("the set operator {operator} must be followed by a set in braces {{ ... }}")]
    OperatorWithoutSet {
        /// The operator.
        operator: &'static str,
    },
    /// `{` never closed on its line.
    #[error("the brace opened at column {open} is not closed on this line")]
    UnclosedBrace {
        /// Column of the `{`.
        open: usize,
    },
    /// `}` with no `{`.
    #[error("a closing brace without an opening one")]
    StrayBrace,
    /// `{ }`.
    #[error("the set is empty; give at least one value")]
    EmptySet,
    /// A device id that does not parse.
    #[error("expected a device id: vendor and product as 4 hex digits each, or *, as in 0951:1666 or 0951:*")]
    BadDeviceId,
    /// `*:pppp`.
    #[error("a product id needs a vendor id; write *:* or vvvv:pppp")]
    ProductWithoutVendor,
    /// An interface type that does not parse.
    #[error("expected an interface type cc:ss:pp of 2 hex digits each, subclass and protocol possibly *, as in 08:06:50 or 08:*:*")]
    BadInterface,
    /// `cc:*:pp`.
    #[error("a protocol needs a subclass: cc:*:pp is refused; write cc:*:* or cc:ss:pp")]
    ProtocolWithoutSubclass,
    /// Not a `"` where a string must start.
    #[error("expected a string in double quotes")]
    ExpectedString,
    /// `"` never closed on its line.
    #[error("the string opened at column {open} is not closed on this line")]
    UnclosedString {
        /// Column of the opening quote.
        open: usize,
    },
    /// A backslash sequence USBGuard does not unescape.
    #[error("{found:?} is not an escape USBGuard knows; expected \\\", \\\\ or \\xHH")]
    BadEscape {
        /// The sequence.
        found: String,
    },
    /// A condition that does not parse.
    #[error("expected a condition: [!]name or [!]name(argument), as in localtime(08:00-17:00)")]
    BadCondition,
    /// `(` never closed.
    #[error("the parenthesis opened at column {open} is not closed on this line")]
    UnclosedParenthesis {
        /// Column of the `(`.
        open: usize,
    },
    /// A condition name USBGuard does not know.
    #[error(
        "{found:?} is not a condition; expected localtime, allowed-matches, rule-applied, \
         rule-evaluated, random, true or false"
    )]
    UnknownCondition {
        /// The name found.
        found: String,
    },
    /// `name()`.
    #[error("the condition's parentheses are empty; give an argument or leave them out")]
    EmptyArgument,
    /// A condition that needs an argument has none.
    #[error("the condition {condition} needs an argument in parentheses")]
    MissingArgument {
        /// The condition.
        condition: &'static str,
    },
    /// `localtime(...)` that is no time range.
    #[error("{found:?} is not a time range; expected HH:MM[:SS] or HH:MM[:SS]-HH:MM[:SS], the start not after the end")]
    BadTimeRange {
        /// The argument.
        found: String,
    },
    /// `rule-applied(...)`/`rule-evaluated(...)` that is no duration.
    #[error("{found:?} is not a duration; expected HH:MM:SS, HH:MM or SS")]
    BadDuration {
        /// The argument.
        found: String,
    },
    /// `random(...)` that is no probability.
    #[error("{found:?} is not a probability; expected a number from 0 to 1")]
    BadProbability {
        /// The argument.
        found: String,
    },
    /// A carriage return outside a comment (a file with Windows line ends).
    #[error("a carriage return (Windows line end), which USBGuard refuses; convert the file with dos2unix")]
    CarriageReturn,
    /// Something after a complete value.
    #[error("unexpected {found:?} after the value")]
    TrailingCharacter {
        /// The character found.
        found: char,
    },
}
