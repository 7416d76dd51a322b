//! Device identity and decisions: which block devices are internal, what a USB device is, and which
//! raw device paths lead around the block layer.
//!
//! Everything here is pure logic over text the kernel exposes (sysfs, `/proc/self/mountinfo`,
//! `/proc/devices`) read from a root path parameter, so that it is unit-tested on recorded trees in
//! `daemon/tests/fixtures/` and exercised on real USB only in the guest machine (a later issue). The
//! daemon owns the side effects: writing `authorized`, filling the `cgroup/dev` allow map, logging.
//!
//! - [`usb`]: a USB device as sysfs shows it, before and after authorization.
//! - [`usb_class`]: what each interface is (storage, keyboard, network adapter, ...).
//! - [`usb_decide`]: authorize or refuse a USB device, with a reason an official can read.
//! - [`block`]: a block device as sysfs shows it, and where it is attached.
//! - [`internal`]: the set of internal block devices computed at start-up.
//! - [`identity`]: the identity carried by events and journal records, and matched against media.
//! - [`raw`]: SCSI generic, bsg, USB device nodes and other character devices that reach a
//!   device's data without its block device; [`raw_majors`]: the character majors denied by default.
//! - [`readonly`]: read-only media marked read-only in the kernel (`BLKROSET`), and that mark
//!   watched.

pub mod arrival;
pub mod block;
pub mod btrfs;
pub mod capture;
pub mod enforce;
pub mod fsprobe;
pub mod holder;
pub mod identity;
pub mod internal;
pub mod premount;
pub mod probe;
pub mod prober;
pub mod raw;
pub mod raw_majors;
pub mod readonly;
pub mod readonly_lsm;
pub mod reason;
mod sysfs;
pub mod uevent;
pub mod usb;
pub mod usb_authorize;
pub mod usb_class;
pub mod usb_decide;
pub(crate) mod usb_descriptors;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

/// Why device information could not be read. Callers treat any of these as "refuse": a device
/// that cannot be identified is never authorized.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// A sysfs attribute, directory or link could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file, directory or link that failed.
        path: PathBuf,
        /// What the kernel (or the fixture tree) answered.
        #[source]
        source: std::io::Error,
    },
    /// An attribute held something other than what the kernel writes there.
    #[error("unexpected value {value:?} in {path}, expected {expected}")]
    Parse {
        /// The attribute file.
        path: PathBuf,
        /// Its contents, trimmed.
        value: String,
        /// What would have been valid, in words.
        expected: &'static str,
    },
    /// A required attribute is missing from a device directory.
    #[error("{path} is missing; is this a {kind} device directory?")]
    Missing {
        /// The attribute that should exist.
        path: PathBuf,
        /// The kind of device directory the caller expected.
        kind: &'static str,
    },
    /// The binary USB `descriptors` attribute is truncated or inconsistent.
    #[error("malformed USB descriptors in {path} at byte {offset}: {detail}")]
    Descriptors {
        /// The `descriptors` file.
        path: PathBuf,
        /// Where parsing stopped.
        offset: usize,
        /// What was wrong there.
        detail: &'static str,
    },
    /// A line of `/proc/self/mountinfo` does not have the fields the kernel always writes.
    #[error("mountinfo line {line}: {detail}")]
    Mountinfo {
        /// 1-based line number.
        line: usize,
        /// What was missing or malformed.
        detail: &'static str,
    },
    /// A line of `/proc/devices` is neither a section header nor "major name".
    #[error("/proc/devices line {line}: {text:?} is not \"<major> <name>\"")]
    ProcDevices {
        /// 1-based line number.
        line: usize,
        /// The line as read.
        text: String,
    },
}

/// Build a [`DeviceError::Read`] for `path`; used with `map_err`.
pub(crate) fn read_error(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> DeviceError {
    let path = path.into();
    move |source| DeviceError::Read { path, source }
}
