//! Unit tests on the recorded trees in `daemon/tests/fixtures/` (see its README).

mod block;
mod identity;
mod internal;
mod raw;
mod usb;
mod usb_decide;

use std::path::PathBuf;

/// `daemon/tests/fixtures/<rel>`.
pub(super) fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The recorded sysfs root.
pub(super) fn sysfs() -> PathBuf {
    fixture("sysfs")
}

/// A USB device of the recording, by kernel name ("2-1").
pub(super) fn usb(name: &str) -> super::usb::UsbDevice {
    super::usb::UsbDevice::from_sysfs(&sysfs().join("bus/usb/devices").join(name))
        .unwrap_or_else(|e| panic!("reading USB device {name}: {e}"))
}

/// A fixture text file.
pub(super) fn text(rel: &str) -> String {
    std::fs::read_to_string(fixture(rel)).unwrap_or_else(|e| panic!("reading fixture {rel}: {e}"))
}
