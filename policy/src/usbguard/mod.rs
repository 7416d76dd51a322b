//! USBGuard rules (`usbguard-rules.conf(5)`) read and turned into airgapd policy entries.
//!
//! [`parse_rules`] refuses, with line and column, every rule USBGuard itself would refuse;
//! [`convert`] carries over the `allow` rules airgapd can honour exactly and lists every rule
//! or attribute it cannot as a [`Note`]; [`to_toml`] renders the result as a policy text.
//! Knows nothing of the kernel: the rules are text, the result is text.
//!
//! ```
//! use airgapd_policy::usbguard;
//! let rules = usbguard::parse_rules(
//!     "allow id 0951:1666 serial \"ABC123\" with-interface 08:06:50 via-port \"1-2\"\n",
//! ).unwrap();
//! let converted = usbguard::convert(&rules);
//! assert_eq!(converted.imported.len(), 1);
//! assert_eq!(converted.notes.len(), 1); // via-port is not honoured
//! let text = usbguard::to_toml(&converted, "rules.conf", airgapd_policy::Access::ReadOnly);
//! airgapd_policy::parse(&text, None).unwrap();
//! ```

mod convert;
mod cursor;
mod error;
mod notes;
mod parse;
mod render;
mod rule;
mod value;

pub use convert::{convert, Conversion, Imported, Section};
pub use error::{Problem, RuleError};
pub use notes::{Note, NoteKind};
pub use parse::{parse_line, parse_rules};
pub use render::to_toml;
pub use rule::{
    Attribute, AttributeName, Bytes, Condition, DeviceId, InterfaceType, Rule, SetOperator, Target,
};
