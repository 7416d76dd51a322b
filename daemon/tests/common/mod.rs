//! Helpers shared by the daemon's integration tests.

pub mod journald;
