//! Helpers shared by the daemon's integration tests.

#[allow(dead_code)]
#[path = "../../../tests/src/bpffs.rs"]
pub mod bpffs;
#[allow(dead_code)]
#[path = "../../../tests/src/compat32.rs"]
pub mod compat32;
pub mod daemon;
#[allow(dead_code)]
#[path = "../../../tests/src/dbus_harness.rs"]
pub mod dbus_harness;
pub mod journald;
#[allow(dead_code)]
#[path = "../../../tests/src/loopdev.rs"]
pub mod loopdev;
#[allow(dead_code)]
pub mod rawbpf;
// Shared with the arrival bench, which stalls a medium the same way.
#[allow(dead_code)]
#[path = "../../../tests/src/stallfs.rs"]
pub mod stallfs;
#[allow(dead_code)]
pub mod swtpm;
