//! A bpf filesystem of a test's own, for the pin directory of the daemon it starts: the daemon
//! mounts bpffs at /sys/fs/bpf only for a pin directory under it, so a test never leaves that
//! mount behind. It outlives the daemon's restarts within the test and goes with the test:
//! unmounted (lazily: what is still pinned there is released with it) and removed on drop.

use std::path::{Path, PathBuf};

/// Where the tests' own bpf filesystems are mounted.
const ROOT: &str = "/run/airgapd-tests";

pub struct TestBpffs {
    mount: PathBuf,
}

impl TestBpffs {
    /// Mount a new bpffs for test `tag` (one per process and tag).
    pub fn mount(tag: &str) -> TestBpffs {
        let mount = Path::new(ROOT).join(format!("bpffs-{tag}-{}", std::process::id()));
        if mount.exists() {
            let _ = nix::mount::umount2(&mount, nix::mount::MntFlags::MNT_DETACH);
        }
        std::fs::create_dir_all(&mount).expect("creating the test's bpffs mount point");
        nix::mount::mount(
            Some("bpf"),
            &mount,
            Some("bpf"),
            nix::mount::MsFlags::empty(),
            None::<&str>,
        )
        .expect("mounting the test's bpffs");
        TestBpffs { mount }
    }

    /// A path in it (a pin directory, a pinned object).
    pub fn join(&self, name: &str) -> PathBuf {
        self.mount.join(name)
    }
}

impl Drop for TestBpffs {
    fn drop(&mut self) {
        let _ = nix::mount::umount2(&self.mount, nix::mount::MntFlags::MNT_DETACH);
        let _ = std::fs::remove_dir(&self.mount);
    }
}
