//! `[[media]]`: the storage media approved by the cipher authority, and how a device is
//! recognised as one of them.

use std::fmt;

/// One approved medium.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// Human name, unique in the policy.
    pub name: String,
    /// USB vendor id.
    pub vendor_id: Option<u16>,
    /// USB product id; never given without `vendor_id`.
    pub product_id: Option<u16>,
    /// USB serial number, exact.
    pub serial: Option<String>,
    /// Filesystem UUID, lowercase.
    pub fs_uuid: Option<String>,
    /// Filesystem label, exact.
    pub fs_label: Option<String>,
    /// What may be done with it.
    pub access: Access,
    /// True if programs may be run from it.
    pub allow_exec: bool,
}

/// What a device is seen to be, as far as the daemon could tell; `None` where it could not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaIdentity {
    /// USB vendor id of the device.
    pub vendor_id: Option<u16>,
    /// USB product id.
    pub product_id: Option<u16>,
    /// USB serial number.
    pub serial: Option<String>,
    /// Filesystem UUID, in any case.
    pub fs_uuid: Option<String>,
    /// Filesystem label.
    pub fs_label: Option<String>,
}

impl Media {
    /// True if every identity field this entry gives matches the device. A field the device
    /// lacks never matches, and an entry that gives no field at all (impossible from a policy
    /// file, possible when built in code) matches nothing: unknown means no.
    pub fn matches(&self, device: &MediaIdentity) -> bool {
        fn same<T: PartialEq + ?Sized>(want: Option<&T>, have: Option<&T>) -> bool {
            want.is_none_or(|want| have == Some(want))
        }
        let fs_uuid_same = self.fs_uuid.as_deref().is_none_or(|want| {
            device
                .fs_uuid
                .as_deref()
                .is_some_and(|have| have.eq_ignore_ascii_case(want))
        });
        self.has_identity()
            && same(self.vendor_id.as_ref(), device.vendor_id.as_ref())
            && same(self.product_id.as_ref(), device.product_id.as_ref())
            && same(self.serial.as_deref(), device.serial.as_deref())
            && same(self.fs_label.as_deref(), device.fs_label.as_deref())
            && fs_uuid_same
    }

    /// True if the entry names at least one identity field.
    pub fn has_identity(&self) -> bool {
        self.identity_fields() > 0
    }

    /// How many identity fields the entry names: how specific it is.
    pub fn identity_fields(&self) -> usize {
        [
            self.vendor_id.is_some(),
            self.product_id.is_some(),
            self.serial.is_some(),
            self.fs_uuid.is_some(),
            self.fs_label.is_some(),
        ]
        .into_iter()
        .filter(|&given| given)
        .count()
    }
}

/// What may be done with an approved medium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Mounted and read; writes refused.
    ReadOnly,
    /// Read and written.
    ReadWrite,
}

impl Access {
    /// The spelling used in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::ReadOnly => "read-only",
            Access::ReadWrite => "read-write",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
