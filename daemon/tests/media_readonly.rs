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
//! - root cleared the flag (`blockdev --setrw`, BLKROSET 0 on a read-only descriptor), also
//!   through the 32-bit entry, and sent SCSI writes through SG_IO in the 32-bit header layout:
//!   refused by the fmod_ret programs, BPF LSM or not (this kernel has none); where no program
//!   loads, the daemon sets a cleared flag again and records it at alert priority.

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use airgapd::journal::MessageId;
use common::daemon::{entry, id, m, text, Daemon};
use common::journald::{skip_unless_root, PrivateJournald};
use common::loopdev::run;
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
    // Root remounting it read-write: refused by the kernel (the device is read-only), and by
    // the fmod_ret program on security_sb_mount before it, which records it.
    let (_, err) = d.victim(&format!("mount -o remount,rw {}", mnt.path()), false);
    let opts = mnt.options();
    assert!(
        opts.split(',').next() == Some("ro"),
        "remount,rw refused: options {opts:?}, mount said {err:?}"
    );
    if refusing(&mut j) {
        refusal(&mut j, &stick, "remount");
    }
    let (_, err) = d.victim(&format!("echo x > {}/written", mnt.path()), false);
    assert!(err.contains("Read-only file system"), "{err}");
}

/// The child side of the 32-bit attacks: run by the scoped victim shell as this test binary
/// (`ro_child`, exact), it makes one call through `int 0x80` on the device named in the
/// environment and prints the kernel's answer as `ANSWER=ok` or `ANSWER=<errno>`.
#[test]
fn ro_child() {
    let (Ok(op), Ok(dev)) = (std::env::var(CHILD_OP), std::env::var(CHILD_DEV)) else {
        return;
    };
    let file = std::fs::File::open(&dev).unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
    let r = match op.as_str() {
        "setrw" => common::compat32::blkroset(fd, 0),
        "sg-write" => common::compat32::sg_io_write(fd),
        other => panic!("unknown op {other}"),
    };
    let answer = match r {
        Ok(()) => "ok".to_string(),
        Err(e) => match e.raw_os_error() {
            Some(libc::EPERM) => "EPERM".to_string(),
            Some(n) => format!("errno {n}"),
            None => e.to_string(),
        },
    };
    eprintln!("ANSWER={answer}");
}

const CHILD_OP: &str = "AIRGAP_RO_CHILD_OP";
const CHILD_DEV: &str = "AIRGAP_RO_CHILD_DEV";

/// The shell line that runs [`ro_child`] for `op` on `dev`.
fn child(op: &str, dev: &str) -> String {
    format!(
        "{CHILD_OP}={op} {CHILD_DEV}={dev} {} ro_child --exact --nocapture --test-threads=1",
        std::env::current_exe().unwrap().display()
    )
}

fn answer(stderr: &str) -> &str {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("ANSWER="))
        .unwrap_or("(no answer)")
}

/// Whether programs refuse the routes to writing read-only media here: the fmod_ret ones (BPF
/// trampolines, BPF LSM or not) or the BPF LSM ones. This development kernel loads neither (its
/// layers say why, checked here); the guest's kernels load them, and the guest's storage
/// scenario makes the same attacks there (`tests/vm/scenarios/s3_storage.py`).
fn refusing(j: &mut PrivateJournald) -> bool {
    let mut active = false;
    for name in ["media-ro-fmod-ret", "media-ro-bpf-lsm"] {
        let layer = entry(
            j,
            &[id(MessageId::EnforcementState), m("AIRGAP_LAYER", name)],
        );
        match text(&layer, "AIRGAP_STATE").as_str() {
            "active" => active = true,
            _ => {
                let says = text(&layer, "MESSAGE");
                assert!(
                    says.contains("blockdev --setrw") && says.contains("SG_IO"),
                    "an unavailable layer names what is left unrefused: {layer:?}"
                );
                eprintln!("layer {name} unavailable on this kernel: {says}");
            }
        }
    }
    active
}

/// The dev.readonly refusal records of `stick` whose route (AIRGAP_CHANGE) names `route`.
fn refusal(j: &mut PrivateJournald, stick: &Stick, route: &str) -> BTreeMap<String, Value> {
    let what = format!("a dev.readonly refusal ({route}) of {}", stick.path);
    j.wait_until(&what, |j| {
        j.query(&[
            id(MessageId::DeviceViolation),
            m("AIRGAP_KIND", "dev.readonly"),
        ])
        .into_iter()
        .find(|r| text(r, "AIRGAP_CHANGE").contains(route))
    })
}

#[test]
fn every_route_to_clearing_the_flag_or_writing_is_refused_and_recorded() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("ro-flag");
    let mut d = Daemon::new("ro-flag", j.socket(), Some(&policy("AIRGAPRO2")));
    d.start();
    let stick = Stick::new("ro-flag", "AIRGAPRO2", false);
    authorized(&mut j, &stick);
    assert_eq!(stick.getro(), "1", "marked read-only on approval");
    if !refusing(&mut j) {
        return;
    }

    // Root clears it (BLKROSET 0 needs only a read-only descriptor and CAP_SYS_ADMIN): before
    // the fmod_ret programs this kernel let it through and the daemon's tick undid it after.
    let (pid, err) = d.victim(&format!("blockdev --setrw {}", stick.path), false);
    assert!(
        err.contains("Operation not permitted"),
        "blockdev --setrw as root ({pid}) refused: {err:?}"
    );
    assert_eq!(stick.getro(), "1", "still read-only");
    let r = refusal(&mut j, &stick, "BLKROSET");
    assert_eq!(text(&r, "AIRGAP_COMM"), "blockdev", "{r:?}");
    assert!(text(&r, "AIRGAP_SYSCALL_ENTRY").is_empty(), "native: {r:?}");

    // The same from a 32-bit caller: Linux 6.8+ judge its ioctl in security_file_ioctl_compat,
    // which neither file_ioctl program sees (it cleared the flag before its own program).
    let (_, err) = d.victim(&child("setrw", &stick.path), false);
    assert_eq!(answer(&err), "EPERM", "32-bit BLKROSET 0: {err}");
    assert_eq!(stick.getro(), "1", "still read-only");
    let r = j.wait_until("the 32-bit BLKROSET's record", |j| {
        j.query(&[
            id(MessageId::DeviceViolation),
            m("AIRGAP_KIND", "dev.readonly"),
            m("AIRGAP_SYSCALL_ENTRY", "compat"),
        ])
        .into_iter()
        .find(|r| text(r, "AIRGAP_CHANGE").contains("BLKROSET"))
    });
    assert!(text(&r, "MESSAGE").contains("32-bit"), "{r:?}");

    // A 32-bit SG_IO WRITE(10) whose header, read in the 64-bit layout, names a READ(10):
    // judged in the caller's layout, it is the write it is.
    let (_, err) = d.victim(&child("sg-write", &stick.path), false);
    assert_eq!(answer(&err), "EPERM", "32-bit SG_IO WRITE(10): {err}");
    let r = refusal(&mut j, &stick, "0x2a");
    assert_eq!(text(&r, "AIRGAP_SYSCALL_ENTRY"), "compat", "{r:?}");
    // Control: outside the scope the same call reaches the loop driver, which has no SG_IO.
    let outside = Command::new(std::env::current_exe().unwrap())
        .args(["ro_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_OP, "sg-write")
        .env(CHILD_DEV, &stick.path)
        .output()
        .unwrap();
    let outside = String::from_utf8_lossy(&outside.stderr).into_owned();
    let got = answer(&outside);
    assert!(
        got != "EPERM" && got != "ok" && got != "(no answer)",
        "outside the scope the driver answers: {outside}"
    );
}

#[test]
fn without_the_programs_a_cleared_flag_is_undone_and_recorded() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("ro-tick");
    let mut d = Daemon::new("ro-tick", j.socket(), Some(&policy("AIRGAPRO5")));
    // As on a kernel that loads neither BPF LSM nor fmod_ret programs (Debian 11's 5.10).
    d.extra_args.push("--media-ro-tick-only".into());
    d.start();
    // Each layer says so, naming what it leaves unrefused.
    for name in ["media-ro-bpf-lsm", "media-ro-fmod-ret"] {
        let layer = entry(
            &mut j,
            &[id(MessageId::EnforcementState), m("AIRGAP_LAYER", name)],
        );
        assert_eq!(text(&layer, "AIRGAP_STATE"), "unavailable", "{layer:?}");
        let says = text(&layer, "MESSAGE");
        assert!(
            says.contains("blockdev --setrw") && says.contains("SG_IO"),
            "{layer:?}"
        );
    }
    let stick = Stick::new("ro-tick", "AIRGAPRO5", false);
    authorized(&mut j, &stick);
    assert_eq!(stick.getro(), "1", "marked read-only on approval");

    // Root clears it; nothing refuses it: the daemon sets it again and says so.
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
    // The tick alone (a kernel that loads no program refusing BLKROSET): the race is real.
    d.extra_args.push("--media-ro-tick-only".into());
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
