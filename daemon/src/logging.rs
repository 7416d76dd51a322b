//! Diagnostic logging (`tracing`) for the daemon's own messages. Records for the security
//! officer (violations, decisions) go through `journal`, not through here.

use tracing_subscriber::EnvFilter;

/// Log to stderr, filtered by `AIRGAPD_LOG` (default `warn`). Colours only on a terminal: under
/// systemd stderr is the journal, where escape sequences make journald store each line as
/// binary data that `journalctl` shows as "[N blob data]" (found in the guest, 2026-12-06).
pub fn init() {
    use std::io::IsTerminal;
    let filter = EnvFilter::try_from_env("AIRGAPD_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
