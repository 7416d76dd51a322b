//! Helpers shared by the daemon's integration tests.

pub mod daemon;
pub mod journald;
#[allow(dead_code)]
#[path = "../../../tests/src/loopdev.rs"]
pub mod loopdev;
