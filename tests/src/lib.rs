//! Shared helpers for airgapd integration tests.
