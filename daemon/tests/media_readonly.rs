//! Issue 17, "Read-only stays read-only": an approved read-only medium is read-only in the
//! kernel itself, not only to the device rule.
//!
//! Loop devices declared removable stand in for sticks, with a scoped daemon. The attacks, each
//! of which worked before the daemon set the block device's read-only flag:
//! - `blockdev --getro` said 0, so a plain `mount` (no `-o ro`) failed instead of mounting
//!   read-only as it does for a write-protected stick;
//! - root remounted the mounted medium read-write (a remount never opens the device again, so
//!   the device rule never sees it);
//! - a read-only mount of an ext4 whose journal needs recovery replayed it: the medium was
//!   written;
//! - root cleared the flag (`blockdev --setrw`, BLKROSET 0 on a read-only descriptor): where
//!   BPF LSM cannot refuse it (this kernel) the daemon sets it again and records it at alert
//!   priority.

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use airgapd::journal::MessageId;
use common::daemon::{entry, id, m, text, Daemon};
use common::journald::{skip_unless_root, PrivateJournald};
use serde_json::Value;

/// The policy approving, read-only, the medium labelled `label`. Each test has its own label:
/// the tests' daemons run side by side and each sees every loop device.
fn policy(label: &str) -> String {
    format!(
        r#"
[devices]
loop = "removable"

[[media]]
name = "Read-only transfer stick"
fs_label = "{label}"
access = "read-only"
"#
    )
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn sha256(path: &std::path::Path) -> String {
    run("sha256sum", &[path.to_str().unwrap()])
}

/// A loop device over a fresh ext4 image labelled `label`; `dirty`: its journal needs
/// recovery (as after a stick pulled out while mounted). Its read-only flag is cleared and it
/// is detached on drop: loop devices are shared, and the flag outlives the backing file.
struct Stick {
    path: String,
    image: std::path::PathBuf,
}

impl Stick {
    fn new(tag: &str, label: &str, dirty: bool) -> Stick {
        let image = std::env::temp_dir().join(format!("airgapd-{tag}-{}.img", std::process::id()));
        let f = std::fs::File::create(&image).unwrap();
        f.set_len(8 << 20).unwrap();
        let img = image.to_str().unwrap();
        run("mkfs.ext4", &["-q", "-F", "-L", label, img]);
        if dirty {
            run("debugfs", &["-w", "-R", "feature needs_recovery", img]);
        }
        let path = run("losetup", &["--find", "--show", img]);
        Stick { path, image }
    }

    fn getro(&self) -> String {
        run("blockdev", &["--getro", &self.path])
    }
}

impl Drop for Stick {
    fn drop(&mut self) {
        let _ = Command::new("blockdev")
            .args(["--setrw", &self.path])
            .status();
        let _ = Command::new("losetup").args(["-d", &self.path]).status();
        // Detached now (the daemon clears its flags when it sees that, if it still runs):
        // whoever attaches it next must not find it read-only.
        let name = self.path.trim_start_matches("/dev/");
        if !std::path::Path::new(&format!("/sys/class/block/{name}/loop/backing_file")).exists() {
            let _ = Command::new("blockdev")
                .args(["--setrw", &self.path])
                .status();
        }
        let _ = std::fs::remove_file(&self.image);
    }
}

/// A mount point, unmounted (lazily) and removed on drop.
struct MountPoint(std::path::PathBuf);

impl MountPoint {
    fn new(tag: &str) -> MountPoint {
        let p = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("mnt-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        MountPoint(p)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }

    /// The mount's options (findmnt), empty when nothing is mounted there.
    fn options(&self) -> String {
        let out = Command::new("findmnt")
            .args(["-no", "OPTIONS", "--mountpoint", self.path()])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for MountPoint {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

fn authorized(j: &mut PrivateJournald, stick: &Stick) -> BTreeMap<String, Value> {
    let arrival = entry(
        j,
        &[
            id(MessageId::DeviceArrival),
            m("AIRGAP_DEV_NODE", &stick.path),
            m("AIRGAP_ACTION", "authorize"),
        ],
    );
    assert_eq!(text(&arrival, "AIRGAP_RESULT"), "success", "{arrival:?}");
    arrival
}

#[test]
fn a_read_only_medium_mounts_read_only_and_cannot_be_remounted_read_write() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("ro-mount");
    let mut d = Daemon::new("ro-mount", j.socket(), Some(&policy("AIRGAPRO1")));
    d.start();
    let stick = Stick::new("ro-mount", "AIRGAPRO1", false);
    let arrival = authorized(&mut j, &stick);

    // As an official mounts a stick: no -o ro. mount(8) falls back to read-only.
    let mnt = MountPoint::new("ro-mount");
    let (_, err) = d.victim(&format!("mount {} {}", stick.path, mnt.path()), false);
    let opts = mnt.options();
    assert!(
        opts.split(',').next() == Some("ro"),
        "plain mount gives a read-only mount: options {opts:?}, mount said {err:?}"
    );
    assert!(err.contains("write-protected"), "mount(8) says why: {err}");
    // What udisks and lsblk read.
    assert_eq!(
        stick.getro(),
        "1",
        "an approved read-only medium is read-only in the kernel (blockdev --getro)"
    );
    let name = stick.path.trim_start_matches("/dev/");
    assert_eq!(
        text(&arrival, "AIRGAP_STATE"),
        format!("marked read-only in the kernel: {name}"),
        "the grant's record says so: {arrival:?}"
    );
    // Root remounting it read-write: refused by the kernel (the device is read-only).
    let (_, err) = d.victim(&format!("mount -o remount,rw {}", mnt.path()), false);
    let opts = mnt.options();
    assert!(
        opts.split(',').next() == Some("ro"),
        "remount,rw refused: options {opts:?}, mount said {err:?}"
    );
    let (_, err) = d.victim(&format!("echo x > {}/written", mnt.path()), false);
    assert!(err.contains("Read-only file system"), "{err}");
}

#[test]
fn clearing_the_read_only_flag_is_undone_and_recorded() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("ro-flag");
    let mut d = Daemon::new("ro-flag", j.socket(), Some(&policy("AIRGAPRO2")));
    d.start();
    // This kernel cannot load the BPF LSM programs: the layer says so, naming what it leaves
    // unrefused.
    let layer = entry(
        &mut j,
        &[
            id(MessageId::EnforcementState),
            m("AIRGAP_LAYER", "media-ro-bpf-lsm"),
        ],
    );
    if text(&layer, "AIRGAP_STATE") != "active" {
        let says = text(&layer, "MESSAGE");
        assert!(
            says.contains("blockdev --setrw") && says.contains("SG_IO"),
            "{layer:?}"
        );
    }
    let stick = Stick::new("ro-flag", "AIRGAPRO2", false);
    authorized(&mut j, &stick);
    assert_eq!(stick.getro(), "1", "marked read-only on approval");

    // Root clears it (BLKROSET 0 needs only a read-only descriptor and CAP_SYS_ADMIN). This
    // kernel cannot refuse it (no BPF LSM): the daemon sets it again and says so.
    let (pid, err) = d.victim(&format!("blockdev --setrw {}", stick.path), false);
    assert!(err.is_empty(), "blockdev --setrw as root ({pid}): {err}");
    let r = entry(
        &mut j,
        &[
            id(MessageId::EnforcementTampered),
            m("AIRGAP_DEV_NODE", &stick.path),
        ],
    );
    assert_eq!(text(&r, "AIRGAP_RESULT"), "success", "{r:?}");
    assert_eq!(text(&r, "PRIORITY"), "1", "alert priority: {r:?}");
    assert_eq!(text(&r, "AIRGAP_RULE"), "Read-only transfer stick");
    let until = Instant::now() + Duration::from_secs(5);
    while stick.getro() != "1" && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(stick.getro(), "1", "set read-only again");
}

#[test]
fn a_read_only_mount_never_replays_a_journal_onto_the_medium() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("ro-journal");
    let mut d = Daemon::new("ro-journal", j.socket(), Some(&policy("AIRGAPRO3")));
    d.start();
    // Pulled out while mounted: its ext4 journal needs recovery.
    let stick = Stick::new("ro-journal", "AIRGAPRO3", true);
    authorized(&mut j, &stick);
    let before = sha256(&stick.image);

    let mnt = MountPoint::new("ro-journal");
    let (_, err) = d.victim(&format!("mount -o ro {} {}", stick.path, mnt.path()), false);
    let _ = Command::new("umount").arg(mnt.path()).status();
    assert_eq!(
        sha256(&stick.image),
        before,
        "a read-only medium was written by journal recovery (mount said {err:?})"
    );
    // The way to read it as it is: without the journal.
    let (_, err) = d.victim(
        &format!("mount -o ro,noload {} {}", stick.path, mnt.path()),
        false,
    );
    assert!(mnt.options().starts_with("ro"), "ro,noload mounts: {err}");
    let _ = Command::new("umount").arg(mnt.path()).status();
    assert_eq!(sha256(&stick.image), before);
}

#[test]
fn a_read_write_remount_racing_the_tick_is_undone_and_recorded() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("ro-race");
    let mut d = Daemon::new("ro-race", j.socket(), Some(&policy("AIRGAPRO4")));
    d.start();
    let stick = Stick::new("ro-race", "AIRGAPRO4", false);
    authorized(&mut j, &stick);
    let mnt = MountPoint::new("ro-race");
    let (_, err) = d.victim(&format!("mount -o ro {} {}", stick.path, mnt.path()), false);
    assert!(mnt.options().starts_with("ro"), "mounted read-only: {err}");

    // Root clears the flag and remounts read-write at once, faster than the daemon's tick.
    let (_, err) = d.victim(
        &format!(
            "blockdev --setrw {} && mount -o remount,rw {}",
            stick.path,
            mnt.path()
        ),
        false,
    );
    let won = err.is_empty();
    // Within a few ticks the filesystem is read-only again.
    let until = Instant::now() + Duration::from_secs(5);
    while !mnt.options().starts_with("ro") && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        mnt.options().starts_with("ro"),
        "read-only again: {} (remount said {err:?})",
        mnt.options()
    );
    if won {
        // The flag and the mount are each recorded at alert priority.
        let r = j.wait_until("the read-write mount's record", |j| {
            j.query(&[id(MessageId::EnforcementTampered)])
                .into_iter()
                .find(|r| text(r, "AIRGAP_OBJECT").contains(mnt.path()))
        });
        assert_eq!(text(&r, "AIRGAP_RESULT"), "success", "{r:?}");
        assert_eq!(text(&r, "PRIORITY"), "1", "{r:?}");
    }
    let (_, err) = d.victim(&format!("echo x > {}/written", mnt.path()), false);
    assert!(err.contains("Read-only file system"), "{err}");
}
