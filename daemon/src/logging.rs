//! Diagnostic logging (`tracing`) for the daemon's own messages. Records for the security
//! officer (violations, decisions) go through `journal`, not through here.

use tracing_subscriber::EnvFilter;

/// Log to stderr, filtered by `AIRGAPD_LOG` (default `warn`).
pub fn init() {
    let filter = EnvFilter::try_from_env("AIRGAPD_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
