//! Issue 15: the copy register under attack. Each test is the attack, run against the real
//! `airgapd service` with a loop device as the approved medium; each failed before its fix.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use airgapd::journal::MessageId;
use nix::mount::{mount, umount2, MntFlags, MsFlags};

use super::common::daemon::{id, m};
use super::common::journald::{skip_unless_root, PrivateJournald};
use super::common::loopdev::LoopDev;
use super::{content, sha256, start, start_with, Bench};

/// The unprivileged user of the attacks (`nobody`).
const NOBODY: u32 = 65534;

/// A directory `nobody` owns, under /tmp (the bench's directory may not be reachable by it).
struct UserDir(PathBuf);

impl UserDir {
    fn new(tag: &str) -> UserDir {
        let dir = std::env::temp_dir().join(format!("airgapd-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        nix::unistd::chown(&dir, Some(NOBODY.into()), Some(NOBODY.into())).unwrap();
        UserDir(dir)
    }

    fn sub(&self, name: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::create_dir_all(&p).unwrap();
        nix::unistd::chown(&p, Some(NOBODY.into()), Some(NOBODY.into())).unwrap();
        p
    }
}

impl Drop for UserDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `/dev/fuse` as Debian leaves it for users (mode 0666, systemd's udev rule), in this test's
/// mount namespace only: a node of our own bind-mounted over it.
fn user_fuse(bench: &Bench) {
    let node = bench.dir.join("fuse");
    nix::sys::stat::mknod(
        &node,
        nix::sys::stat::SFlag::S_IFCHR,
        nix::sys::stat::Mode::from_bits_truncate(0o666),
        nix::sys::stat::makedev(10, 229),
    )
    .expect("mknod fuse");
    std::fs::set_permissions(&node, std::fs::Permissions::from_mode(0o666)).unwrap();
    mount(
        Some(&node),
        "/dev/fuse",
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .expect("bind-mounting a user-accessible /dev/fuse");
}

/// Wait until the ext4 filesystem instance of `node` is gone (its /sys/fs/ext4 directory
/// goes with the superblock): the next mount is a new instance, with no marks.
fn gone(node: &str) {
    let sys = Path::new("/sys/fs/ext4").join(node.trim_start_matches("/dev/"));
    let end = std::time::Instant::now() + super::common::journald::DEADLINE;
    while sys.exists() {
        assert!(
            std::time::Instant::now() < end,
            "{node}'s filesystem is still mounted somewhere after its unmount"
        );
        std::thread::sleep(super::common::journald::POLL);
    }
}

/// Unmount the bench's medium (the worker may hold a file for a moment while it hashes it) and
/// wait until its filesystem instance is gone.
fn unmount(bench: &mut Bench, node: &str) {
    let end = std::time::Instant::now() + super::common::journald::DEADLINE;
    while let Err(e) = umount2(&bench.mnt, MntFlags::empty()) {
        assert!(std::time::Instant::now() < end, "unmounting: {e}");
        std::thread::sleep(super::common::journald::POLL);
    }
    bench.mounted = false;
    gone(node);
}

/// Number of "mounted" records of the medium `node` by the register.
fn mounted_records(j: &PrivateJournald, node: &str) -> usize {
    j.query(&[
        id(MessageId::EnforcementState),
        m("AIRGAP_DEV_NODE", node),
        m("AIRGAP_LAYER", "copy-register"),
    ])
    .len()
}

/// A FUSE filesystem of `nobody`'s own, mounted by `fusermount3` (setuid root, as any user
/// may) with the options the user chose; this test answers its requests (every one but INIT
/// with ENOSYS). Unmounted (lazily) on drop.
struct Decoy(PathBuf);

impl Decoy {
    fn mount(point: &Path, options: &str) -> Decoy {
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        use std::os::unix::process::CommandExt;
        let (ours, theirs) = nix::sys::socket::socketpair(
            nix::sys::socket::AddressFamily::Unix,
            nix::sys::socket::SockType::Stream,
            None,
            nix::sys::socket::SockFlag::empty(),
        )
        .unwrap();
        let theirs_raw = theirs.as_raw_fd();
        // std drops supplementary groups when it sets the uid.
        let status = Command::new("fusermount3")
            .args(["-o", options, "--"])
            .arg(point)
            .env("_FUSE_COMMFD", theirs_raw.to_string())
            .uid(NOBODY)
            .gid(NOBODY)
            .status()
            .unwrap();
        assert!(status.success(), "fusermount3 -o {options}");
        drop(theirs);
        let mut byte = [0u8; 1];
        let mut iov = [std::io::IoSliceMut::new(&mut byte)];
        let mut space = nix::cmsg_space!(std::os::fd::RawFd);
        let msg = nix::sys::socket::recvmsg::<()>(
            ours.as_raw_fd(),
            &mut iov,
            Some(&mut space),
            nix::sys::socket::MsgFlags::empty(),
        )
        .unwrap();
        let fd = msg
            .cmsgs()
            .unwrap()
            .find_map(|c| match c {
                nix::sys::socket::ControlMessageOwned::ScmRights(fds) => fds.first().copied(),
                _ => None,
            })
            .expect("the /dev/fuse descriptor from fusermount3");
        // SAFETY: the descriptor was just passed to us and nothing else owns it.
        let dev = unsafe { OwnedFd::from_raw_fd(fd) };
        std::thread::spawn(move || serve(&dev));
        Decoy(point.to_path_buf())
    }
}

/// Answer FUSE requests: INIT, then ENOSYS for everything; ends when the mount goes.
fn serve(dev: &std::os::fd::OwnedFd) {
    let mut file = std::fs::File::from(dev.try_clone().unwrap());
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match std::io::Read::read(&mut file, &mut buf) {
            Ok(n) if n >= 40 => n,
            _ => return,
        };
        let opcode = u32::from_ne_bytes(buf[4..8].try_into().unwrap());
        let unique = u64::from_ne_bytes(buf[8..16].try_into().unwrap());
        let _ = n;
        let mut out = Vec::new();
        let (error, body): (i32, Vec<u8>) = match opcode {
            // FUSE_INIT: protocol 7.31, nothing optional.
            26 => {
                let mut b = Vec::new();
                for v in [7u32, 31, 0, 0] {
                    b.extend_from_slice(&v.to_ne_bytes());
                }
                b.extend_from_slice(&[0u8; 4]); // max_background, congestion_threshold
                b.extend_from_slice(&4096u32.to_ne_bytes()); // max_write
                b.extend_from_slice(&1u32.to_ne_bytes()); // time_gran
                b.resize(64, 0);
                (0, b)
            }
            // FUSE_FORGET, FUSE_BATCH_FORGET: no reply.
            2 | 42 => continue,
            _ => (-libc::ENOSYS, Vec::new()),
        };
        out.extend_from_slice(&((16 + body.len()) as u32).to_ne_bytes());
        out.extend_from_slice(&error.to_ne_bytes());
        out.extend_from_slice(&unique.to_ne_bytes());
        out.extend_from_slice(&body);
        if std::io::Write::write_all(&mut file, &out).is_err() {
            return;
        }
    }
}

impl Drop for Decoy {
    fn drop(&mut self) {
        let _ = Command::new("fusermount3")
            .arg("-u")
            .arg("-z")
            .arg(&self.0)
            .status();
        let _ = umount2(&self.0, MntFlags::MNT_DETACH);
    }
}

/// Item 1: a user's FUSE filesystem named after the medium's device (`-o fsname=/dev/loopN`)
/// and a root tmpfs "mounted from" it do not pass for the medium: after the medium is
/// unmounted and mounted again (as a desktop does), a copy to it is recorded, and nothing
/// written to the decoys is recorded as the medium's.
#[test]
fn issue15_a_decoy_named_after_the_medium_does_not_blind_the_register() {
    if skip_unless_root() {
        return;
    }
    let (mut j, d, mut bench, stick, _) = start("regdecoy", "REGDECOY", false);
    user_fuse(&bench);
    let user = UserDir::new("regdecoy");
    let point = user.sub("decoy");
    let decoy = Decoy::mount(&point, &format!("fsname={}", stick.path));
    let mountinfo = std::fs::read_to_string("/proc/thread-self/mountinfo").unwrap();
    assert!(
        mountinfo
            .lines()
            .any(|l| l.contains(&format!(" {} ", point.display()))
                && l.contains(&format!(" {} ", stick.path))),
        "the user's decoy is not mounted:\n{mountinfo}"
    );
    let tmpfs = user.sub("tmpfs");
    mount(
        Some(stick.path.as_str()),
        &tmpfs,
        Some("tmpfs"),
        MsFlags::empty(),
        None::<&str>,
    )
    .expect("tmpfs from the device");

    // The medium leaves and comes back, as a desktop unmounts and mounts it.
    let before = mounted_records(&j, &stick.path);
    unmount(&mut bench, &stick.path);
    bench.mount(&stick);
    let end = std::time::Instant::now() + super::common::journald::DEADLINE;
    while mounted_records(&j, &stick.path) <= before {
        assert!(
            std::time::Instant::now() < end,
            "the medium's second mount was not announced: {:#?}",
            j.query(&[id(MessageId::EnforcementState)])
        );
        std::thread::sleep(super::common::journald::POLL);
    }
    let _ = &mut j;

    let secret = content(15, 4096);
    let internal = bench.internal("secret.bin", &secret);
    let (pid, err) = d.victim(
        &format!("exec cp {internal} {}", bench.on("secret.bin")),
        false,
    );
    assert_eq!(err, "");
    let e = bench.record("/secret.bin", "created", Some(&sha256(&secret)));
    assert_eq!((e.pid, e.comm.as_str()), (pid, "cp"), "{e:?}");

    // What goes to the tmpfs is not the medium's.
    d.victim(&format!("echo x > {}/tmpfs.txt", tmpfs.display()), false);
    let marker = content(16, 100);
    let internal = bench.internal("marker.bin", &marker);
    d.victim(
        &format!("exec cp {internal} {}", bench.on("marker.bin")),
        false,
    );
    bench.record("/marker.bin", "created", None);
    let all = airgapd::register::file::read(&bench.register).unwrap();
    assert!(
        !all.iter().any(|e| e.document.contains("tmpfs.txt")),
        "{all:#?}"
    );
    drop(decoy);
    let _ = umount2(&tmpfs, MntFlags::MNT_DETACH);
}

/// Item 6: names with newlines, escape sequences and invalid UTF-8 are recorded exactly, one
/// record each, and shown escaped: one line per record on the officer's terminal, no escape
/// byte reaches it, and no formula reaches a spreadsheet.
#[test]
fn issue15_hostile_names_are_stored_exactly_and_shown_escaped() {
    use std::os::unix::ffi::OsStrExt;
    if skip_unless_root() {
        return;
    }
    let (_j, d, bench, _stick, _) = start("regnames", "REGNAMES", false);
    let names: [&[u8]; 5] = [
        b"evil\n#99   2026-01-01 00:00:00 +0700  created to \"x\"  fake",
        b"\x1b[2J\x1b[Hclear",
        b"bad\x80.odt",
        b"bad\x81.odt",
        b"=HYPERLINK(\"h\",\"y\")",
    ];
    let src = bench.internal("src.bin", b"secret");
    for name in names {
        let dst = bench.mnt.join(std::ffi::OsStr::from_bytes(name));
        std::fs::copy(&src, &dst).unwrap();
    }
    // Copied by this test's own process (outside the scope): a marker after them.
    let marker = bench.internal("marker.bin", b"marker");
    d.victim(
        &format!("exec cp {marker} {}", bench.on("marker.bin")),
        false,
    );
    bench.record("/marker.bin", "created", None);
    let all = airgapd::register::file::read(&bench.register).unwrap();
    // The exact bytes of each record's document, from the file's JSON.
    let stored: Vec<Vec<u8>> = std::fs::read_to_string(&bench.register)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            match v["document_hex"].as_str() {
                Some(hex) => (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                    .collect(),
                None => v["document"]
                    .as_str()
                    .unwrap_or_default()
                    .as_bytes()
                    .to_vec(),
            }
        })
        .collect();
    for name in names {
        let mut want = b"/".to_vec();
        want.extend_from_slice(name);
        let found = stored.iter().filter(|d| **d == want).count();
        assert_eq!(found, 1, "{:?} in {all:#?}", String::from_utf8_lossy(name));
    }
    let reg = bench.register.display().to_string();
    let out = Command::new(super::CTL)
        .args(["register", "--file", &reg])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        !out.stdout.contains(&0x1b),
        "an escape byte reached the terminal"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // A record takes up to three lines (80 columns), its first at the margin, the rest
    // indented: a name's newline must never start a line that looks like a record of its own.
    let heads: Vec<&str> = text.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(heads.len(), all.len(), "one first line per record:\n{text}");
    for (head, e) in heads.iter().zip(&all) {
        assert!(head.starts_with(&format!("#{} ", e.seq)), "{head}\n{text}");
    }
    assert!(text.contains("/evil\\n#99"), "{text}");
    assert!(text.contains("/\\x1b[2J\\x1b[Hclear"), "{text}");
    assert!(
        text.contains("/bad\\x80.odt") && text.contains("/bad\\x81.odt"),
        "{text}"
    );
    let (code, csv, _) = super::ctl(&["register", "--csv", "--file", &reg]);
    assert_eq!(code, 0);
    assert_eq!(csv.lines().count(), all.len() + 1, "{csv}");
    assert!(!csv.contains(",=") && !csv.contains(",\"="), "{csv}");
    assert!(csv.contains("/=HYPERLINK"), "{csv}");
}

/// Item 6: `airgapctl register | head` ends quietly when `head` has had enough.
#[test]
fn issue15_a_closed_pipe_ends_the_listing_quietly() {
    let dir = std::env::temp_dir().join(format!("airgapd-regpipe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("register.jsonl");
    let (mut reg, _) = airgapd::register::file::RegisterFile::open(&path).unwrap();
    for i in 0..5000 {
        let mut e = airgapd::register::entry::Entry {
            event: "created".into(),
            direction: "to-medium".into(),
            copies: 1,
            result: "success".into(),
            ..Default::default()
        };
        e.document = format!("/docs/file-{i}.odt");
        reg.append(&mut e).unwrap();
    }
    reg.sync().unwrap();
    for (pre, post) in [("", ""), ("", "--csv"), ("--json", "")] {
        let args = format!("{pre} register {post}");
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "{} {args} --file {} | head -n 1 >/dev/null; echo ${{PIPESTATUS[0]}}",
                super::CTL,
                path.display()
            ))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args}: {stderr}");
        // 0 (the listing noticed), or 141: ended by SIGPIPE as Unix tools are (`yes | head`).
        let code = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(
            code == "0" || code == "141",
            "{args}: exit {code}: {stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The flooder: opens and reads `FLOOD_OPENS` times the files given, one after the other, and
/// half-way through has `cp` copy the secret (argv 1) to the medium (argv 2).
const FLOODER: &str = r#"
import os, subprocess, sys
print(os.getpid(), file=sys.stderr, flush=True)
secret, dst, files = sys.argv[1], sys.argv[2], sys.argv[3:]
for i in range(10000):
    if i == 5000:
        subprocess.run(["cp", secret, dst], check=True)
    with open(files[i % len(files)], "rb") as f:
        f.read()
"#;

/// Item 3, and the guarantee docs/copy-register.md states: under a flood of opens by an
/// unprivileged process, (1) every distinct copy is recorded — the secret copied in the middle
/// of the flood, in every round; (2) nothing is lost — no `lost` record; (3) the flood costs at
/// most one line per file read per process per folding window (1 s), each with the number of
/// reads it stands for.
#[test]
fn issue15_a_flood_of_opens_never_hides_a_copy() {
    use std::os::unix::fs::chown;
    if skip_unless_root() {
        return;
    }
    let (_j, d, bench, _stick, _) = start("regflood", "REGFLOOD", false);
    let flood_dir = bench.mnt.join("flood");
    std::fs::create_dir(&flood_dir).unwrap();
    let files: Vec<String> = (0..200)
        .map(|i| {
            let p = flood_dir.join(format!("f{i:03}"));
            std::fs::write(&p, format!("small file {i}\n")).unwrap();
            p.display().to_string()
        })
        .collect();
    let drop_dir = bench.mnt.join("drop");
    std::fs::create_dir(&drop_dir).unwrap();
    chown(&drop_dir, Some(NOBODY), Some(NOBODY)).unwrap();
    let user = UserDir::new("regflood");
    let script = user.0.join("flood.py");
    std::fs::write(&script, FLOODER).unwrap();
    for round in 0..3 {
        let secret = content(100 + round, 8192);
        let src = user.0.join(format!("secret-{round}.bin"));
        std::fs::write(&src, &secret).unwrap();
        std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o644)).unwrap();
        let started = std::time::Instant::now();
        let (_, err) = d.victim(
            &format!(
                "exec setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups /usr/bin/python3 {} {} {}/secret-{round}.bin {}",
                script.display(),
                src.display(),
                drop_dir.display(),
                files.join(" ")
            ),
            false,
        );
        let took = started.elapsed();
        let flooder: u32 = err
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| panic!("the flooder did not run: {err}"));
        // (1) The secret's copy.
        let e = bench.record(
            &format!("/drop/secret-{round}.bin"),
            "created",
            Some(&sha256(&secret)),
        );
        assert_eq!((e.comm.as_str(), e.uid), ("cp", Some(NOBODY)), "{e:?}");
        // Every file the flooder read has its record, once its window has ended.
        let end = std::time::Instant::now() + super::common::journald::DEADLINE;
        let reads = loop {
            let all = airgapd::register::file::read(&bench.register).unwrap();
            let reads: Vec<_> = all
                .into_iter()
                .filter(|e| e.pid == flooder && e.event == "read")
                .collect();
            let files_read: std::collections::BTreeSet<_> =
                reads.iter().map(|e| e.document.clone()).collect();
            if files_read.len() == files.len() {
                break reads;
            }
            assert!(
                std::time::Instant::now() < end,
                "round {round}: {} of {} files read by the flooder are recorded",
                files_read.len(),
                files.len()
            );
            std::thread::sleep(super::common::journald::POLL);
        };
        // (3) Folded: bounded lines, each counting its reads.
        let windows = took.as_secs() as usize + 2;
        assert!(
            reads.len() <= files.len() * windows,
            "round {round}: {} lines for {} files in {took:?}",
            reads.len(),
            files.len()
        );
        let counted: u64 = reads.iter().map(|e| u64::from(e.copies)).sum();
        assert!(
            counted <= 10_000 && counted >= files.len() as u64,
            "round {round}: {counted} reads counted"
        );
        assert!(reads
            .iter()
            .all(|e| e.result == "success" && e.uid == Some(NOBODY)));
        eprintln!(
            "round {round}: flood of 10000 opens took {took:?}; {} lines, {counted} reads counted",
            reads.len()
        );
    }
    // (2) Nothing lost.
    let all = airgapd::register::file::read(&bench.register).unwrap();
    let lost: Vec<_> = all.iter().filter(|e| e.event == "lost").collect();
    assert!(lost.is_empty(), "{lost:#?}");
}

/// mount(2), then at once (microseconds later, as fast as a program can) write a file.
const MOUNT_AND_WRITE: &str = r#"
import ctypes, sys
dev, mnt, src, dst = sys.argv[1:5]
data = open(src, "rb").read()
libc = ctypes.CDLL(None, use_errno=True)
if libc.mount(dev.encode(), mnt.encode(), b"ext4", 0, None) != 0:
    sys.exit("mount: errno %d" % ctypes.get_errno())
with open(dst, "wb") as f:
    f.write(data)
"#;

/// Item 2: `mount && cp` at once, over and over: every copy is in the register, those made
/// before the daemon's watch began included (found by its scan, writer unknown).
#[test]
fn issue15_a_copy_right_after_the_mount_is_recorded() {
    if skip_unless_root() {
        return;
    }
    let (_j, d, mut bench, stick, _) = start("reggap", "REGGAP", false);
    unmount(&mut bench, &stick.path);
    let mut unseen = 0;
    for round in 0..10u8 {
        let bytes = content(200 + round, 2048);
        let src = bench.internal(&format!("round-{round}.bin"), &bytes);
        let (_, err) = d.victim(
            &format!(
                "exec /usr/bin/python3 -c '{MOUNT_AND_WRITE}' {} {} {src} {}",
                stick.path,
                bench.mnt.display(),
                bench.on(&format!("round-{round}.bin"))
            ),
            false,
        );
        assert_eq!(err, "", "round {round}");
        bench.mounted = true;
        let doc = format!("/round-{round}.bin");
        let end = std::time::Instant::now() + super::common::journald::DEADLINE;
        let e = loop {
            let found = airgapd::register::file::read(&bench.register)
                .unwrap_or_default()
                .into_iter()
                .find(|e| e.document == doc && e.direction == "to-medium");
            if let Some(e) = found {
                break e;
            }
            assert!(
                std::time::Instant::now() < end,
                "round {round}: the copy made right after the mount is not in the register"
            );
            std::thread::sleep(super::common::journald::POLL);
        };
        assert_eq!(e.sha256, sha256(&bytes), "{e:?}");
        if e.comm.is_empty() {
            unseen += 1;
        }
        unmount(&mut bench, &stick.path);
    }
    eprintln!("{unseen} of 10 copies were made before the daemon's watch began");
}

/// A read through a descriptor open for reading and writing, a `truncate(2)`, and an
/// `O_TMPFILE` file linked in under its final name.
const MISREPORTS: &str = r#"
import os, sys
mnt = sys.argv[1]
fd = os.open(mnt + "/rw.txt", os.O_RDWR)
os.read(fd, 100)
os.close(fd)
os.truncate(mnt + "/t.txt", 10)
fd = os.open(mnt, os.O_TMPFILE | os.O_WRONLY, 0o644)
os.write(fd, b"tmpfile content\n")
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, AT_SYMLINK_FOLLOW = -100, 0x400
src, dst = b"/proc/self/fd/%d" % fd, (mnt + "/tmpfinal.bin").encode()
if libc.linkat(AT_FDCWD, src, AT_FDCWD, dst, AT_SYMLINK_FOLLOW) != 0:
    sys.exit("linkat: errno %d" % ctypes.get_errno())
os.close(fd)
"#;

/// Item 5: a read through O_RDWR is a read, a truncate(2) is a write, an O_TMPFILE copy has
/// its final name.
#[test]
fn issue15_reads_truncates_and_tmpfiles_are_recorded_as_what_they_are() {
    if skip_unless_root() {
        return;
    }
    let (_j, d, bench, _stick, _) = start("regmis", "REGMIS", false);
    std::fs::write(bench.mnt.join("rw.txt"), b"read me, do not change me\n").unwrap();
    std::fs::write(bench.mnt.join("t.txt"), vec![b'x'; 5000]).unwrap();
    bench.record("/t.txt", "created", None);
    // Old enough that its times say it was not changed by what follows.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let (pid, err) = d.victim(
        &format!(
            "exec /usr/bin/python3 -c '{MISREPORTS}' {}",
            bench.mnt.display()
        ),
        false,
    );
    assert_eq!(err, "");
    let e = bench.record("/rw.txt", "read", None);
    assert_eq!((e.pid, e.direction.as_str()), (pid, "from-medium"), "{e:?}");
    let e = bench.record("/t.txt", "written", Some(&sha256(&[b'x'; 10])));
    assert_eq!((e.pid, e.size), (pid, Some(10)), "{e:?}");
    let e = bench.record("/tmpfinal.bin", "created", None);
    assert_eq!(e.sha256, sha256(b"tmpfile content\n"), "{e:?}");
    // And nothing else said of them.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let all = airgapd::register::file::read(&bench.register).unwrap();
    let by_it: Vec<_> = all.iter().filter(|e| e.pid == pid).collect();
    assert!(
        !by_it
            .iter()
            .any(|e| e.document == "/rw.txt" && e.event != "read"),
        "{by_it:#?}"
    );
    assert!(
        !by_it.iter().any(|e| e.document.contains('#')),
        "{by_it:#?}"
    );
}

/// Item 4: a process reading or writing an approved medium's block device itself is recorded:
/// who, which medium, read or write.
#[test]
fn issue15_raw_access_to_a_medium_is_recorded() {
    if skip_unless_root() {
        return;
    }
    let (_j, d, bench, stick, _) = start("regraw", "REGRAW", false);
    let block = bench.dir.join("block");
    // Read a block of the device, then write the same bytes back: raw access that changes
    // nothing on the mounted filesystem.
    let (reader, err) = d.victim(
        &format!(
            "exec dd if={} of={} bs=4096 skip=1000 count=1 status=none",
            stick.path,
            block.display()
        ),
        false,
    );
    assert_eq!(err, "");
    let (writer, err) = d.victim(
        &format!(
            "exec dd if={} of={} bs=4096 seek=1000 count=1 conv=notrunc status=none",
            block.display(),
            stick.path
        ),
        false,
    );
    assert_eq!(err, "");
    // Daemons of other tests may read the stick to identify it: this dd's records.
    let of = |pid: u32, event: &str| {
        let end = std::time::Instant::now() + super::common::journald::DEADLINE;
        loop {
            let found = airgapd::register::file::read(&bench.register)
                .unwrap_or_default()
                .into_iter()
                .find(|e| e.pid == pid && e.event == event);
            if let Some(e) = found {
                return e;
            }
            assert!(
                std::time::Instant::now() < end,
                "no {event} record by {pid}"
            );
            std::thread::sleep(super::common::journald::POLL);
        }
    };
    let e = of(reader, "raw-read");
    assert_eq!(
        (e.document.as_str(), e.comm.as_str()),
        (stick.path.as_str(), "dd"),
        "{e:?}"
    );
    assert_eq!(
        (e.medium.as_str(), e.direction.as_str()),
        ("Transfer stick REGRAW", "from-medium")
    );
    let e = of(writer, "raw-write");
    assert_eq!(
        (e.pid, e.comm.as_str(), e.uid),
        (writer, "dd", Some(0)),
        "{e:?}"
    );
    assert_eq!(e.direction, "to-medium");
}

/// Turns a swap area off on drop (the machine must not keep swapping to a test's device).
struct SwapOff(String);

impl Drop for SwapOff {
    fn drop(&mut self) {
        let _ = Command::new("swapoff").arg(&self.0).status();
    }
}

/// The register's line of `event` by `pid`, once it is there (bounded wait).
fn line_of(register: &Path, pid: u32, event: &str) -> airgapd::register::entry::Entry {
    let end = std::time::Instant::now() + super::common::journald::DEADLINE;
    loop {
        let found = airgapd::register::file::read(register)
            .unwrap_or_default()
            .into_iter()
            .find(|e| e.pid == pid && e.event == event);
        if let Some(e) = found {
            return e;
        }
        let all = airgapd::register::file::read(register).unwrap_or_default();
        assert!(
            std::time::Instant::now() < end,
            "no {event} record by {pid}: {all:#?}"
        );
        std::thread::sleep(super::common::journald::POLL);
    }
}

/// Item 4, `swapon`: the kernel opens the device inside swapon(2) and writes memory pages to
/// it with no read or write through any descriptor, so the raw access group never saw a
/// write. Enabling swap on an approved medium is a write to it, recorded with who did it.
#[test]
fn issue15_swap_on_a_medium_is_recorded() {
    if skip_unless_root() {
        return;
    }
    let (_j, d, mut bench, stick, _) = start("regswap", "REGSWAP", false);
    // swapon needs the device to itself (the kernel lets it go a moment after the
    // filesystem's sysfs folder: mkswap, which opens it exclusively, may have to wait).
    unmount(&mut bench, &stick.path);
    let end = std::time::Instant::now() + super::common::journald::DEADLINE;
    loop {
        let made = Command::new("mkswap").arg(&stick.path).output().unwrap();
        if made.status.success() {
            break;
        }
        assert!(std::time::Instant::now() < end, "{made:?}");
        std::thread::sleep(super::common::journald::POLL);
    }
    let _off = SwapOff(stick.path.clone());
    let (pid, err) = d.victim(&format!("exec swapon {}", stick.path), false);
    assert_eq!(err, "");
    let swaps = std::fs::read_to_string("/proc/swaps").unwrap();
    assert!(swaps.contains(&stick.path), "{swaps}");
    let e = line_of(&bench.register, pid, "raw-write");
    assert_eq!(
        (e.document.as_str(), e.comm.as_str(), e.uid),
        (stick.path.as_str(), "swapon", Some(0)),
        "{e:?}"
    );
    assert_eq!(
        (e.medium.as_str(), e.direction.as_str()),
        ("Transfer stick REGSWAP", "to-medium")
    );
    assert!(e.note.contains("swap"), "{e:?}");
}

/// Item 4, `swapon` of a file on a medium (recorded, with who enabled it), and of a refused
/// device (refused: the kernel's own open of it in swapon(2) meets the device rule).
#[test]
fn issue15_a_swap_file_on_a_medium_is_recorded_and_a_refused_device_takes_no_swap() {
    if skip_unless_root() {
        return;
    }
    let (_j, d, bench, _stick, _) = start("regswapf", "REGSWAPF", false);
    let file = bench.mnt.join("swapfile");
    let file = file.display().to_string();
    let _off = SwapOff(file.clone());
    let (pid, err) = d.victim(
        &format!(
            "dd if=/dev/zero of={file} bs=1M count=4 status=none && chmod 600 {file} && \
             mkswap {file} >/dev/null && exec swapon {file}"
        ),
        false,
    );
    assert_eq!(err, "");
    let e = line_of(&bench.register, pid, "raw-write");
    assert_eq!(
        (e.document.as_str(), e.comm.as_str(), e.uid),
        (file.as_str(), "swapon", Some(0)),
        "{e:?}"
    );
    assert_eq!(e.medium, "Transfer stick REGSWAPF");
    assert!(e.note.contains("swap was enabled"), "{e:?}");

    let refused = LoopDev::with_label("regswapr", "STRANGER");
    let made = Command::new("mkswap").arg(&refused.path).output().unwrap();
    assert!(made.status.success(), "{made:?}");
    let _off = SwapOff(refused.path.clone());
    let (_, err) = d.victim(&format!("exec swapon {}", refused.path), false);
    assert!(!err.is_empty(), "swap enabled on a refused device");
    let swaps = std::fs::read_to_string("/proc/swaps").unwrap();
    assert!(!swaps.contains(&refused.path), "{swaps}");
}

/// Item 3: the worker read a copied file to hash it through the user's mount, so `umount`
/// right after a large copy said "target is busy". It reads through a private copy of the
/// mount now: the unmount succeeds while it hashes, the hash is given up, the filesystem is
/// let go at once, and the copy keeps its line.
#[test]
fn issue15_unmount_right_after_a_large_copy_succeeds_and_the_copy_keeps_its_line() {
    use std::os::unix::fs::MetadataExt;
    if skip_unless_root() {
        return;
    }
    let shm = Path::new("/dev/shm");
    let (_j, d, mut bench, stick, _) = start_with("regbig", "REGBIG", false, || {
        LoopDev::with_fs_in(
            shm,
            "regbig",
            400 << 20,
            &["mkfs.ext4", "-q", "-F", "-L", "REGBIG"],
        )
    });
    // 256 MiB of changing bytes, on tmpfs.
    struct Gone(PathBuf);
    impl Drop for Gone {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    let src = Gone(shm.join(format!("airgapd-regbig-src-{}", std::process::id())));
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&src.0).unwrap());
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut block = vec![0u8; 1 << 20];
        for _ in 0..256 {
            for chunk in block.chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                chunk.copy_from_slice(&x.to_ne_bytes());
            }
            f.write_all(&block).unwrap();
        }
    }
    let big = bench.on("big");
    let (cp, err) = d.victim(&format!("exec cp {} {big}", src.0.display()), false);
    assert_eq!(err, "");
    // Once the daemon holds the copy open to hash it, unmount at once.
    let meta = std::fs::metadata(&big).unwrap();
    let held = |pid: u32| {
        std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|fd| {
                std::fs::metadata(fd.path())
                    .is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino())
            })
    };
    let end = std::time::Instant::now() + super::common::journald::DEADLINE;
    while !held(d.pid()) {
        assert!(
            std::time::Instant::now() < end,
            "the daemon never held the copy open (hashed before it was seen?): {}",
            std::fs::read_to_string(&bench.register).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_micros(500));
    }
    let unmounted = umount2(&bench.mnt, MntFlags::empty());
    assert_eq!(unmounted, Ok(()), "umount right after the copy");
    bench.mounted = false;
    // The filesystem is let go soon after (the hash given up), not when the hash is done.
    gone(&stick.path);
    let e = line_of(&bench.register, cp, "created");
    eprintln!("the line: {e:?}");
    assert_eq!(e.document, "/big", "{e:?}");
    assert!(
        e.result == "success"
            || e.note
                .contains("unmounted while its content was being read"),
        "{e:?}"
    );
}

/// Item 4, btrfs: its device number is anonymous (not the stick's block device), so the
/// register never found the mount of an approved btrfs medium and recorded none of its
/// copies. The mount is tied to the medium by the kernel's list of the filesystem's devices.
#[test]
fn issue15_copies_to_an_approved_btrfs_medium_are_recorded() {
    if skip_unless_root() {
        return;
    }
    if super::common::loopdev::skip_without_mkfs_btrfs() {
        return;
    }
    let (_j, d, bench, _stick, _) = start_with("regbtrfs", "REGBTRFS", false, || {
        LoopDev::with_fs(
            "regbtrfs",
            128 << 20,
            &["mkfs.btrfs", "-q", "-f", "-L", "REGBTRFS"],
        )
    });
    let src = bench.internal("report.odt", b"btrfs transfer\n");
    let (cp, err) = d.victim(&format!("exec cp {src} {}", bench.on("report.odt")), false);
    assert_eq!(err, "");
    let e = bench.record("/report.odt", "created", Some(&sha256(b"btrfs transfer\n")));
    assert_eq!((e.pid, e.comm.as_str()), (cp, "cp"), "{e:?}");
    assert_eq!(e.medium, "Transfer stick REGBTRFS");
}
