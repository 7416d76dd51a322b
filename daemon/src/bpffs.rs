//! bpffs, where pinned programs, links and maps live.

use std::io;
use std::path::Path;

use crate::paths;

/// `BPF_FS_MAGIC` (include/uapi/linux/magic.h).
const BPF_FS_MAGIC: i64 = 0xcafe_4a11;

/// Make sure the pin directory `pin_dir` is on a bpf filesystem: mount bpffs at its usual place
/// when the pin directory is under it and none is mounted there (as early in boot). A pin
/// directory anywhere else must be on one already: the tests mount a bpffs of their own, which
/// goes with them, rather than leaving one at /sys/fs/bpf.
pub fn ensure_mounted(pin_dir: &Path) -> io::Result<()> {
    let existing = pin_dir
        .ancestors()
        .find(|p| p.exists())
        .unwrap_or(Path::new("/"));
    if on_bpffs(existing)? {
        return Ok(());
    }
    if !pin_dir.starts_with(paths::BPFFS) {
        return Err(io::Error::other(format!(
            "{} is not on a bpf filesystem (mount one there, or use a pin directory under {})",
            pin_dir.display(),
            paths::BPFFS
        )));
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

/// Whether `path` is on a bpf filesystem.
pub fn on_bpffs(path: &Path) -> io::Result<bool> {
    let st = nix::sys::statfs::statfs(path).map_err(io::Error::from)?;
    Ok(st.filesystem_type().0 as i64 == BPF_FS_MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_directory_outside_bpffs_is_refused_not_mounted() {
        let dir = std::env::temp_dir().join(format!("airgapd-not-bpffs-{}", std::process::id()));
        let e = ensure_mounted(&dir.join("pins")).unwrap_err();
        assert!(e.to_string().contains("not on a bpf filesystem"), "{e}");
        assert!(!on_bpffs(&std::env::temp_dir()).unwrap());
    }
}
