//! The systemd journal native protocol sink.
