//! airgapd's policy model: parse, validate and explain the TOML policy. Knows nothing of the
//! kernel.
//!
//! Two stages, like ripgrep's low-level and high-level arguments: `raw` is the file as serde
//! reads it (every key optional, unknown keys refused, positions kept), and `check` turns it
//! into the validated [`Policy`], which is the only form consumers see. Every problem is
//! reported with `file:line:column`, the dotted key and what would be valid; see
//! [`PolicyError`].
//!
//! ```
//! let checked = airgapd_policy::parse("[network]\nloopback = false\n", None).unwrap();
//! assert!(!checked.policy.network.loopback);
//! ```

mod check;
mod error;
mod field_path;
mod load;
mod model;
mod parse;
mod raw;
mod source;
pub mod usbguard;
mod value;
mod warning;

use std::path::Path;

pub use error::{FieldError, Location, PolicyError, ValueError};
pub use load::{file_kind, load, load_with_owner, MAX_POLICY_BYTES};
pub use model::{
    Access, Capture, Checked, Decision, Devices, Exec, Lan, LogHost, Logging, LoopDevices, Media,
    MediaIdentity, Meta, Network, Policy, Profile, Usb, UsbDevice, BUILTIN_STRICT_TOML,
};
pub use source::Source;
pub use value::{parse_fs_uuid, parse_usb_id, BlockDevice, Cidr, Date, MacAddr};
pub use warning::{Warning, WarningKind};

use source::Origin;

/// Parses and checks a policy text. No filesystem access: `path` only names the text in
/// messages and in [`Source`]; without one, messages say `<stdin>`.
pub fn parse(text: &str, path: Option<&Path>) -> Result<Checked, PolicyError> {
    let origin = path.map_or(Origin::Stdin, Origin::File);
    parse::parse_text(text, origin)
}

/// `text` as a TOML string, quoted and escaped, for programs that write policy entries
/// (`airgapctl media enroll`, the USBGuard import).
pub fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFERENCE: &str = include_str!("../../packaging/policy.toml");

    #[test]
    fn reference_policy_parses_without_warnings() {
        let checked = parse(REFERENCE, Some(Path::new("packaging/policy.toml")))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(checked.warnings, Vec::new());
        let policy = checked.policy;
        assert_eq!(policy.network.profile, Profile::IsolatedLan);
        assert_eq!(policy.network.lan.len(), 1);
        assert!(!policy.media.is_empty());
        assert!(policy.media.iter().all(|m| m.serial.is_some()));
        assert_eq!(policy.sha256(), source::sha256_hex(REFERENCE.as_bytes()));
    }

    #[test]
    fn builtin_strict_is_its_documented_text() {
        let parsed = parse::parse_text(BUILTIN_STRICT_TOML, Origin::Builtin).unwrap();
        assert_eq!(parsed.warnings, Vec::new());
        assert_eq!(parsed.policy, Policy::builtin_strict());
    }

    #[test]
    fn default_policy_is_the_empty_file() {
        let parsed = parse::parse_text("", Origin::Builtin).unwrap();
        assert_eq!(parsed.policy, Policy::default_policy());
    }
}
