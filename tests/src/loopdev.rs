//! A loop device over a small ext4 image: this machine's stand-in for a USB stick. Detached and
//! deleted on drop.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::Command;

/// A loop device backed by a fresh 8 MiB ext4 image.
pub struct LoopDev {
    /// `/dev/loopN`.
    pub path: String,
    /// Block major (7).
    pub major: u32,
    /// Block minor (N).
    pub minor: u32,
    image: PathBuf,
}

/// Run `cmd`, which must succeed; its output, trimmed.
pub fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl LoopDev {
    /// Make the image, put ext4 on it (label `AIRGAPTEST`), attach it.
    pub fn new(tag: &str) -> LoopDev {
        Self::with_label(tag, "AIRGAPTEST")
    }

    /// The same with another filesystem label.
    pub fn with_label(tag: &str, label: &str) -> LoopDev {
        Self::with_fs(tag, 8 << 20, &["mkfs.ext4", "-q", "-F", "-L", label])
    }

    /// An image of `size` bytes made by `mkfs` (the program and its options; the image's path
    /// follows them).
    pub fn with_fs(tag: &str, size: u64, mkfs: &[&str]) -> LoopDev {
        Self::with_fs_in(&std::env::temp_dir(), tag, size, mkfs)
    }

    /// The same with the image in `dir` (`/dev/shm`: a medium whose writes cost no disk).
    pub fn with_fs_in(dir: &std::path::Path, tag: &str, size: u64, mkfs: &[&str]) -> LoopDev {
        let image = dir.join(format!("airgapd-{tag}-{}.img", std::process::id()));
        let file = std::fs::File::create(&image).expect("creating image");
        file.set_len(size).expect("sizing image");
        let img = image.to_str().expect("utf-8 path");
        let mut args = mkfs[1..].to_vec();
        args.push(img);
        run(mkfs[0], &args);
        let path = run("losetup", &["--find", "--show", img]);
        let rdev = std::fs::metadata(&path).expect("stat loop device").rdev();
        LoopDev {
            major: libc::major(rdev),
            minor: libc::minor(rdev),
            path,
            image,
        }
    }
}

impl LoopDev {
    /// The image file behind the loop device.
    pub fn image(&self) -> &std::path::Path {
        &self.image
    }

    /// Detach the loop device now (it stays, without a backing file: a "change" uevent).
    pub fn detach(&self) {
        run("losetup", &["-d", &self.path]);
    }
}

impl Drop for LoopDev {
    fn drop(&mut self) {
        let _ = Command::new("losetup").args(["-d", &self.path]).status();
        let _ = std::fs::remove_file(&self.image);
    }
}

/// Whether `mkfs.btrfs` (btrfs-progs, installed by scripts/deps.sh) is missing: the btrfs tests
/// then say they were skipped.
pub fn skip_without_mkfs_btrfs() -> bool {
    if std::process::Command::new("mkfs.btrfs")
        .arg("--version")
        .output()
        .is_ok()
    {
        return false;
    }
    eprintln!("skipped: no mkfs.btrfs (btrfs-progs, scripts/deps.sh)");
    true
}
