//! Scalar value types of the policy, each parsing and printing its one textual form.
//!
//! They know nothing about where a value sits in a policy; `check` lifts their [`ValueError`]s
//! into positioned [`crate::FieldError`]s.

mod block_device;
mod cidr;
mod date;
mod fs_uuid;
mod mac;
mod usb_id;

pub use block_device::BlockDevice;
pub use cidr::Cidr;
pub use date::Date;
pub use fs_uuid::parse_fs_uuid;
pub use mac::MacAddr;
pub use usb_id::parse_usb_id;
