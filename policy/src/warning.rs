//! Things a valid policy allows but an officer should look at twice.

use std::fmt;

use crate::error::Location;

/// Which kind of weakness a [`Warning`] reports, so callers can filter or count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WarningKind {
    /// A `[[media]]` entry identified only by `fs_uuid`/`fs_label`: anyone can format a stick
    /// with the same UUID and label.
    FilesystemOnlyIdentity,
    /// A `[[media]]` entry with some but not all of `vendor_id`, `product_id` and `serial`:
    /// without a serial every stick of the model matches; without ids, any vendor's device
    /// with the same serial string.
    IncompleteUsbIdentity,
    /// A `[[media]]` entry with `allow_exec = true`.
    ExecAllowed,
    /// `capture.camera`, `capture.microphone` or `capture.radio` is `"allow"` for every device.
    CaptureAllowed,
    /// `exec.unprivileged_user_namespaces = true`.
    UserNamespacesAllowed,
}

/// A warning about a policy that is nonetheless valid and will be enforced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Where the key the warning is about starts.
    pub location: Location,
    /// Dotted key path, as in [`crate::FieldError`].
    pub field: String,
    /// What kind of weakness this is.
    pub kind: WarningKind,
    /// The explanation and what to do about it.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: warning: {}: {}",
            self.location, self.field, self.message
        )
    }
}
