//! Issue 17: `airgapctl media enroll` on real loop devices holding FAT images made by
//! mkfs.vfat: the entry carries the filesystem UUID and label read by airgapd's own superblock
//! parser, whichever way the device is named; `--append` adds it only to a policy that passes
//! the check, and never twice. Needs root (losetup); uses `losetup --find` and detaches only
//! the loop devices it set up.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const CTL: &str = env!("CARGO_BIN_EXE_airgapctl");
const IMAGE_BYTES: u64 = 16 << 20;
const PARTITION_START: u32 = 2048;

fn dir() -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("enroll-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(cmd: &str, args: &[&str]) {
    let out = Command::new(cmd).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{cmd} {args:?}: {err}");
}

fn ctl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(CTL).args(args).output().unwrap();
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        s(&out.stdout),
        s(&out.stderr),
    )
}

/// A loop device this test set up; detached on drop, even when the test fails.
struct Loop(String);

impl Loop {
    fn attach(image: &Path, partitions: bool) -> Loop {
        let mut args = vec!["--find", "--show"];
        if partitions {
            args.push("--partscan");
        }
        args.push(image.to_str().unwrap());
        // Other helpers use /dev/loop0-7 too: another may take the free one first.
        for _ in 0..40 {
            let out = Command::new("losetup").args(&args).output().unwrap();
            if out.status.success() {
                return Loop(String::from_utf8(out.stdout).unwrap().trim().to_string());
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        panic!("no free loop device");
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = Command::new("losetup").args(["-d", &self.0]).status();
    }
}

/// A FAT image; partitioned: an MBR with one FAT32-LBA partition from sector 2048 holding it.
fn fat_image(path: &Path, label: &str, id: &str, partitioned: bool) {
    let file = std::fs::File::create(path).unwrap();
    file.set_len(IMAGE_BYTES).unwrap();
    drop(file);
    let p = path.to_str().unwrap();
    if !partitioned {
        run("mkfs.vfat", &["-n", label, "-i", id, p]);
        return;
    }
    let mut mbr = [0u8; 512];
    let entry = &mut mbr[446..462];
    entry[4] = 0x0c;
    entry[8..12].copy_from_slice(&PARTITION_START.to_le_bytes());
    let sectors = (IMAGE_BYTES / 512) as u32 - PARTITION_START;
    entry[12..16].copy_from_slice(&sectors.to_le_bytes());
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    use std::os::unix::fs::FileExt;
    let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.write_all_at(&mbr, 0).unwrap();
    drop(file);
    let offset = PARTITION_START.to_string();
    run(
        "mkfs.vfat",
        &["--offset", &offset, "-n", label, "-i", id, p],
    );
}

fn root() -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    eprintln!("skipped: losetup needs root");
    false
}

#[test]
fn enroll_prints_the_filesystem_identity_whichever_way_the_device_is_named() {
    if !root() {
        return;
    }
    let dir = dir();
    let image = dir.join("whole.img");
    fat_image(&image, "ENROL7", "2A3B4C5D", false);
    let dev = Loop::attach(&image, false);
    let name = dev.0.trim_start_matches("/dev/");
    let devnum = std::fs::read_to_string(format!("/sys/block/{name}/dev")).unwrap();
    let sysfs = format!("/sys/block/{name}");
    for spec in [dev.0.as_str(), devnum.trim(), sysfs.as_str()] {
        let (code, out, err) = ctl(&["media", "enroll", spec]);
        assert_eq!(code, 0, "{spec}: {err}");
        assert!(out.contains("\n[[media]]\n"), "{out}");
        assert!(out.contains("fs_uuid = \"2A3B-4C5D\"\n"), "{spec}: {out}");
        assert!(out.contains("fs_label = \"ENROL7\"\n"), "{spec}: {out}");
        assert!(out.contains("access = \"read-only\"\n"), "{out}");
        assert!(
            !out.contains("vendor_id"),
            "a loop device has no USB identity: {out}"
        );
        // The entry as printed is a valid policy on its own (a loop device counts as media
        // only with loop = "removable").
        let policy = format!("[devices]\nloop = \"removable\"\n{out}");
        let checked = airgapd_policy::parse(&policy, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            checked.policy.media[0].fs_uuid.as_deref(),
            Some("2a3b-4c5d")
        );
    }

    // A process that may not read the device (here uid 65534; in production anyone but the
    // daemon, refused by airgapd's device program) still gets the entry, without filesystem.
    let exe_dir = std::env::temp_dir().join(format!("airgapd-enroll-{}", std::process::id()));
    std::fs::create_dir_all(&exe_dir).unwrap();
    std::fs::set_permissions(&exe_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let exe = exe_dir.join("airgapctl");
    std::fs::copy(CTL, &exe).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = {
        use std::os::unix::process::CommandExt;
        Command::new(&exe)
            .args(["media", "enroll", &dev.0])
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap()
    };
    std::fs::remove_dir_all(&exe_dir).unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("The filesystem could not be read"), "{text}");
    assert!(!text.contains("fs_uuid ="), "{text}");

    // A symbolic link is not followed; a regular file is not a device.
    let link = dir.join("link");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&dev.0, &link).unwrap();
    let (code, _, err) = ctl(&["media", "enroll", link.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(flat(&err).contains("is a symbolic link"), "{err}");
    let (code, _, err) = ctl(&["media", "enroll", image.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        flat(&err).contains("neither a block device nor a USB device"),
        "{err}"
    );
}

#[test]
fn enroll_finds_the_filesystem_of_a_partitioned_disk() {
    if !root() {
        return;
    }
    let image = dir().join("parted.img");
    fat_image(&image, "PARTED", "0BADCAFE", true);
    let dev = Loop::attach(&image, true);
    let name = dev.0.trim_start_matches("/dev/");
    if !Path::new(&format!("/sys/block/{name}/{name}p1")).exists() {
        // The development VMs' kernel is built without any partition table parser.
        eprintln!("skipped: this kernel found no partition on {}", dev.0);
        return;
    }
    let args = [
        "media",
        "enroll",
        &dev.0,
        "--name",
        "Stick 9",
        "--read-write",
    ];
    let (code, out, err) = ctl(&args);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("read from {}p1", dev.0)), "{out}");
    assert!(out.contains("fs_uuid = \"0BAD-CAFE\"\n"), "{out}");
    assert!(out.contains("fs_label = \"PARTED\"\n"), "{out}");
    assert!(out.contains("name = \"Stick 9\"\n"), "{out}");
    assert!(out.contains("access = \"read-write\"\n"), "{out}");
}

#[test]
fn enroll_append_checks_the_policy_and_never_enrols_twice() {
    if !root() {
        return;
    }
    let dir = dir();
    let image = dir.join("append.img");
    fat_image(&image, "APPEND1", "11112222", false);
    let dev = Loop::attach(&image, false);
    let policy = dir.join("policy.toml");
    std::fs::write(&policy, "[devices]\nloop = \"removable\"\n").unwrap();
    std::fs::set_permissions(&policy, std::fs::Permissions::from_mode(0o644)).unwrap();
    let p = policy.to_str().unwrap();

    let (code, _, err) = ctl(&["media", "enroll", &dev.0, "--append", p]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = ctl(&["policy", "check", p]);
    assert_eq!(code, 0, "{out}{err}");
    let text = std::fs::read_to_string(&policy).unwrap();
    assert!(text.contains("fs_uuid = \"1111-2222\""), "{text}");
    let mode = std::fs::metadata(&policy).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o644);

    let (code, _, err) = ctl(&["media", "enroll", &dev.0, "--append", p]);
    assert_eq!(code, 1);
    assert!(flat(&err).contains("already approves this medium"), "{err}");
    assert_eq!(std::fs::read_to_string(&policy).unwrap(), text);

    // A policy that is invalid as it is gets nothing appended.
    let bad = dir.join("bad.toml");
    let bad_text = "[network]\nprofile = \"wifi\"\n";
    std::fs::write(&bad, bad_text).unwrap();
    std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, _, err) = ctl(&["media", "enroll", &dev.0, "--append", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        flat(&err).contains("does not pass the policy check"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&bad).unwrap(), bad_text);
}

/// airgapctl wraps its messages to 80 columns (issue 18): compare the words.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
