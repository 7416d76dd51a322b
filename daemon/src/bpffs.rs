//! bpffs, where pinned programs, links and maps live.

use std::io;
use std::path::Path;

use crate::paths;

/// Mount bpffs at its usual place unless it is mounted already.
pub fn ensure_mounted() -> io::Result<()> {
    let mounted = std::fs::read_to_string(paths::MOUNTINFO)?.lines().any(|l| {
        l.split(" - ").nth(1).is_some_and(|p| p.starts_with("bpf "))
            && l.contains(&format!(" {} ", paths::BPFFS))
    });
    if mounted {
        return Ok(());
    }
    nix::mount::mount(
        Some("bpf"),
        Path::new(paths::BPFFS),
        Some("bpf"),
        nix::mount::MsFlags::empty(),
        None::<&str>,
    )
    .map_err(io::Error::from)
}
