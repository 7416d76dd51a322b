//! Issue 8: the copy register and no execution from removable media, under the real
//! `airgapd service`, with loop devices declared removable and approved read-write standing in
//! for transfer sticks, and a private journald.
//!
//! Mounts: each test moves its thread into a private mount namespace of its own before it
//! starts the daemon, so the daemon (a child of this thread) shares that namespace and sees the
//! medium's mount in its /proc/self/mountinfo, as a production daemon sees media mounted on
//! the host; nothing mounted here is visible to the rest of the machine, and whatever a failed
//! test leaves mounted disappears with the namespace when the test's processes are gone.

#[path = "../common/mod.rs"]
mod common;
mod fifo;
mod issue15;
mod pacing;
mod stalled;
mod twins;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use airgapd::journal::MessageId;
use airgapd::register::entry::Entry;
use airgapd::register::file;
use common::daemon::{entry, id, m, text, Daemon};
use common::journald::{skip_unless_root, PrivateJournald, DEADLINE, POLL};
use common::loopdev::LoopDev;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use serde_json::Value;
use sha2::{Digest, Sha256};

const CTL: &str = env!("CARGO_BIN_EXE_airgapctl");
const LD_SO: &str = "/lib64/ld-linux-x86-64.so.2";

fn policy(label: &str, allow_exec: bool) -> String {
    format!(
        r#"
[devices]
loop = "removable"

[[media]]
name = "Transfer stick {label}"
fs_label = "{label}"
access = "read-write"
allow_exec = {allow_exec}
"#
    )
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Bytes that differ per `seed`, so each file has a hash of its own.
fn content(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3] ^ seed)
        .collect()
}

/// A working directory on the internal disk, the medium mounted in this thread's private
/// namespace, and the register file; unmounted and removed on drop.
struct Bench {
    dir: PathBuf,
    mnt: PathBuf,
    register: PathBuf,
    mounted: bool,
}

impl Bench {
    fn new(tag: &str) -> Bench {
        // This thread (and the daemon and commands it starts) get a namespace of their own,
        // whose mounts never propagate back.
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS).expect("unshare(CLONE_NEWNS)");
        mount(
            None::<&str>,
            "/",
            None::<&str>,
            MsFlags::MS_REC | MsFlags::MS_PRIVATE,
            None::<&str>,
        )
        .expect("making / private");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("reg-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("mnt")).unwrap();
        Bench {
            mnt: dir.join("mnt"),
            register: dir.join("register.jsonl"),
            dir,
            mounted: false,
        }
    }

    /// Mount the medium (ext4, or btrfs for the tests of media whose device number is not
    /// their block device's).
    fn mount(&mut self, dev: &LoopDev) {
        let mounted = ["ext4", "btrfs"].into_iter().find_map(|fstype| {
            mount(
                Some(dev.path.as_str()),
                &self.mnt,
                Some(fstype),
                MsFlags::empty(),
                None::<&str>,
            )
            .ok()
        });
        mounted.expect("mounting the medium");
        self.mounted = true;
    }

    fn on(&self, name: &str) -> String {
        self.mnt.join(name).display().to_string()
    }

    fn internal(&self, name: &str, bytes: &[u8]) -> String {
        let p = self.dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.display().to_string()
    }

    /// Wait for the register record of `document` and `event` (with content `sha256`, when
    /// given: a file may have several records).
    fn record(&self, document: &str, event: &str, sha256: Option<&str>) -> Entry {
        let end = Instant::now() + DEADLINE;
        loop {
            let found = file::read(&self.register)
                .unwrap_or_default()
                .into_iter()
                .rfind(|e| {
                    e.document == document
                        && e.event == event
                        && sha256.is_none_or(|s| e.sha256 == s)
                });
            if let Some(e) = found {
                return e;
            }
            assert!(
                Instant::now() < end,
                "no {event} record of {document} in {}:\n{}",
                self.register.display(),
                std::fs::read_to_string(&self.register).unwrap_or_default()
            );
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        if self.mounted {
            let _ = umount2(&self.mnt, MntFlags::MNT_DETACH);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Start the daemon with the register in the bench, wait for the medium's grant, mount it and
/// wait until the daemon says what holds on it.
fn start(
    tag: &str,
    label: &str,
    allow_exec: bool,
) -> (
    PrivateJournald,
    Daemon,
    Bench,
    LoopDev,
    BTreeMap<String, Value>,
) {
    start_with(tag, label, allow_exec, || LoopDev::with_label(tag, label))
}

/// [`start`] with a medium of the caller's making (labelled `label`).
fn start_with(
    tag: &str,
    label: &str,
    allow_exec: bool,
    make: impl FnOnce() -> LoopDev,
) -> (
    PrivateJournald,
    Daemon,
    Bench,
    LoopDev,
    BTreeMap<String, Value>,
) {
    let mut bench = Bench::new(tag);
    let mut j = PrivateJournald::start(tag);
    let mut d = Daemon::new(tag, j.socket(), Some(&policy(label, allow_exec)));
    d.extra_args = vec!["--register".into(), bench.register.display().to_string()];
    d.start();
    let stick = make();
    authorized(&mut j, &stick.path);
    bench.mount(&stick);
    let mounted = followed(&mut j, &stick.path);
    (j, d, bench, stick, mounted)
}

/// Wait for the grant of the medium at `node`.
fn authorized(j: &mut PrivateJournald, node: &str) {
    entry(
        j,
        &[
            id(MessageId::DeviceArrival),
            m("AIRGAP_DEV_NODE", node),
            m("AIRGAP_ACTION", "authorize"),
        ],
    );
}

/// Wait until the daemon says what holds on the mounted medium at `node` (the register's
/// state record of its mount): the latest such record.
fn followed(j: &mut PrivateJournald, node: &str) -> BTreeMap<String, Value> {
    entry(
        j,
        &[
            id(MessageId::EnforcementState),
            m("AIRGAP_DEV_NODE", node),
            m("AIRGAP_LAYER", "copy-register"),
        ],
    )
}

/// Mount the ext4 medium at `node` on `point`, in the test's private namespace.
fn mount_ext4(node: &str, point: &Path, flags: MsFlags, data: Option<&str>) {
    std::fs::create_dir_all(point).unwrap();
    mount(Some(node), point, Some("ext4"), flags, data)
        .unwrap_or_else(|e| panic!("mounting {node} on {}: {e}", point.display()));
}

fn ctl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(CTL)
        .args(args)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap();
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        s(&out.stdout),
        s(&out.stderr),
    )
}

fn check(e: &Entry, event: &str, sha: &str, size: usize, pid: u32, comm: &str) {
    assert_eq!(e.event, event, "{e:?}");
    assert_eq!(e.sha256, sha, "{e:?}");
    assert_eq!(e.size, Some(size as u64), "{e:?}");
    assert_eq!((e.pid, e.comm.as_str()), (pid, comm), "{e:?}");
    assert_eq!((e.uid, e.user.as_str()), (Some(0), "root"), "{e:?}");
    assert_eq!(e.result, "success", "{e:?}");
    assert_eq!(e.copies, 1);
}

#[test]
fn copies_moves_overwrites_and_reads_are_registered_with_their_hash() {
    if skip_unless_root() {
        return;
    }
    let (mut j, d, bench, stick, mounted) = start("regcopy", "REGCOPY", false);
    assert!(
        text(&mounted, "MESSAGE").contains("recorded in the copy register"),
        "{mounted:?}"
    );

    // cp of a new file, into a directory of the medium.
    let one = content(1, 300 * 1024);
    let src = bench.internal("one.bin", &one);
    let (pid, err) = d.victim(
        &format!(
            "mkdir {docs} && exec cp {src} {docs}/report.bin",
            docs = bench.on("docs")
        ),
        false,
    );
    assert_eq!(err, "");
    let e = bench.record("/docs/report.bin", "created", None);
    check(&e, "created", &sha256(&one), one.len(), pid, "cp");
    assert_eq!(e.direction, "to-medium");
    assert_eq!(e.medium, "Transfer stick REGCOPY");
    assert_eq!(e.device, format!("{}:{}", stick.major, stick.minor));
    assert_eq!((e.fs_label.as_str(), e.secrecy.as_str()), ("REGCOPY", ""));

    // The same copy in the journal, with every field its catalog entry prints.
    let r = entry(
        &mut j,
        &[
            id(MessageId::CopyRegister),
            m("AIRGAP_DOCUMENT", "/docs/report.bin"),
        ],
    );
    for (field, want) in [
        ("AIRGAP_SECRECY", ""),
        ("AIRGAP_COPIES", "1"),
        ("AIRGAP_APPROVED_BY", ""),
        ("AIRGAP_UID", "0"),
        ("AIRGAP_RESULT", "success"),
        ("AIRGAP_DIRECTION", "to-medium"),
        ("AIRGAP_KIND", "copy.created"),
        ("AIRGAP_COMM", "cp"),
        ("AIRGAP_RULE", "Transfer stick REGCOPY"),
        ("AIRGAP_FS_LABEL", "REGCOPY"),
    ] {
        assert_eq!(text(&r, field), want, "{field} in {r:?}");
    }
    assert_eq!(text(&r, "AIRGAP_SHA256"), sha256(&one));
    assert_eq!(text(&r, "AIRGAP_REGISTER_SEQ"), e.seq.to_string());

    // mv from the internal disk: across filesystems, a copy and an unlink.
    let two = content(2, 70 * 1024);
    let src = bench.internal("two.bin", &two);
    let (pid, _) = d.victim(&format!("exec mv {src} {}", bench.on("moved.bin")), false);
    check(
        &bench.record("/moved.bin", "created", None),
        "created",
        &sha256(&two),
        two.len(),
        pid,
        "mv",
    );

    // A rename onto a name on the medium (how editors and rsync save).
    let (pid, _) = d.victim(
        &format!(
            "exec mv {} {}",
            bench.on("docs/report.bin"),
            bench.on("final.bin")
        ),
        false,
    );
    check(
        &bench.record("/final.bin", "moved", None),
        "moved",
        &sha256(&one),
        one.len(),
        pid,
        "mv",
    );

    // Overwritten, then appended to.
    let three = content(3, 5000);
    let src = bench.internal("three.bin", &three);
    let (pid, _) = d.victim(&format!("exec cp {src} {}", bench.on("final.bin")), false);
    check(
        &bench.record("/final.bin", "written", Some(&sha256(&three))),
        "written",
        &sha256(&three),
        three.len(),
        pid,
        "cp",
    );
    let (pid, _) = d.victim(&format!("echo more >> {}", bench.on("final.bin")), false);
    let mut appended = three.clone();
    appended.extend_from_slice(b"more\n");
    let e = bench.record("/final.bin", "written", Some(&sha256(&appended)));
    check(
        &e,
        "written",
        &sha256(&appended),
        appended.len(),
        pid,
        "bash",
    );

    // Read back onto the machine.
    let (pid, _) = d.victim(
        &format!("exec cat {} > /dev/null", bench.on("moved.bin")),
        false,
    );
    let e = bench.record("/moved.bin", "read", None);
    check(&e, "read", &sha256(&two), two.len(), pid, "cat");
    assert_eq!(e.direction, "from-medium");

    // The chain holds; a removed line and an altered line are named.
    let reg = bench.register.display().to_string();
    let (code, out, err) = ctl(&["register", "verify", "--file", &reg]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("intact"), "{out}");
    let lines: Vec<String> = std::fs::read_to_string(&bench.register)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert!(lines.len() >= 6, "{lines:#?}");
    let tampered = bench.dir.join("tampered.jsonl");
    let tampered_s = tampered.display().to_string();
    let mut removed = lines.clone();
    removed.remove(2);
    std::fs::write(&tampered, removed.join("\n") + "\n").unwrap();
    let (code, _, err) = ctl(&["register", "verify", "--file", &tampered_s]);
    assert_eq!(code, 1, "{err}");
    // airgapctl wraps at 80 columns, where depends on the path's length (the test's pid).
    let flat = err.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("line 3") && flat.contains("record #3 is missing"),
        "{err}"
    );
    // A line with a size (other daemons of tests running alongside may have read the stick's
    // device to identify it: raw-read lines, without one).
    let sized = lines
        .iter()
        .position(|l| l.contains("\"size\":") && !l.contains("\"size\":null"))
        .unwrap();
    let mut altered = lines.clone();
    altered[sized] = altered[sized].replacen("\"size\":", "\"size\":1", 1);
    std::fs::write(&tampered, altered.join("\n") + "\n").unwrap();
    let (code, _, err) = ctl(&["register", "verify", "--file", &tampered_s]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("line {}", sized + 1)) && err.contains("altered"),
        "{err}"
    );

    // Listing: the paper register's columns as CSV, JSON, filters.
    let (code, csv, err) = ctl(&["register", "--csv", "--file", &reg]);
    assert_eq!(code, 0, "{err}");
    let mut rows = csv.lines();
    assert_eq!(
        rows.next().unwrap(),
        "No.,Date,Document,Secrecy level,Copies,Approved by,Copied by,Medium,Direction,\
         Size (bytes),SHA-256,Result,Notes"
    );
    let report = rows.find(|r| r.contains("/docs/report.bin")).unwrap();
    assert!(
        report.contains(",,1,,\"root (uid 0), cp\",Transfer stick REGCOPY,to medium,"),
        "{report}"
    );
    let (_, json, _) = ctl(&[
        "--json",
        "register",
        "--medium",
        "Transfer stick REGCOPY",
        "--file",
        &reg,
    ]);
    let all: Vec<Value> = serde_json::from_str(&json).unwrap();
    // Every line but the first: the note that the register file was started.
    assert_eq!(all.len(), lines.len() - 1);
    assert!(lines[0].contains("register started"), "{}", lines[0]);
    let (_, json, _) = ctl(&["--json", "register", "--medium", "other", "--file", &reg]);
    assert_eq!(json.trim(), "[]");
    let (_, out, _) = ctl(&["register", "--since", "2999-01-01", "--file", &reg]);
    assert!(out.contains("No copies recorded that match"), "{out}");
}

/// Run `script` in the scope; true when it printed `ran`.
fn runs(d: &Daemon, script: &str) -> (bool, String) {
    let (_, err) = d.victim(&format!("{script} && echo ran >&2"), false);
    (err.lines().any(|l| l == "ran"), err)
}

const SCRIPT: &[u8] = b"#!/bin/sh\nexit 0\n";

fn executables(bench: &Bench) -> (String, String, String, String) {
    use std::os::unix::fs::PermissionsExt;
    let put = |path: &str, bytes: &[u8]| {
        std::fs::write(path, bytes).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    let prog = std::fs::read("/bin/true").unwrap();
    let (p, s) = (bench.on("prog"), bench.on("script.sh"));
    put(&p, &prog);
    put(&s, SCRIPT);
    let (ip, is) = (
        bench.internal("prog", &prog),
        bench.internal("script.sh", SCRIPT),
    );
    put(&ip, &prog);
    put(&is, SCRIPT);
    (p, s, ip, is)
}

#[test]
fn programs_on_media_are_refused_and_each_attempt_through_fanotify_is_recorded() {
    if skip_unless_root() {
        return;
    }
    let (mut j, d, bench, stick, mounted) = start("regexec", "REGEXEC", false);
    let what = text(&mounted, "MESSAGE");
    assert!(
        what.contains("programs on it are refused (exec-fanotify, exec-noexec)"),
        "{what}"
    );
    // Which layers hold on this kernel, as `airgapctl status` lists them.
    for (layer, state) in [
        ("copy-register", "active"),
        ("exec-fanotify", "active"),
        ("exec-noexec", "active"),
        ("exec-bpf-lsm", "unavailable"),
    ] {
        entry(
            &mut j,
            &[
                id(MessageId::EnforcementState),
                m("AIRGAP_LAYER", layer),
                m("AIRGAP_STATE", state),
            ],
        );
    }
    let (prog, script, internal_prog, internal_script) = executables(&bench);

    // The mount the daemon sees is noexec: programs, scripts and ld.so-loaded programs fail.
    let mountinfo = std::fs::read_to_string("/proc/thread-self/mountinfo").unwrap();
    let line = mountinfo
        .lines()
        .find(|l| l.contains(&format!(" {} ", bench.mnt.display())))
        .unwrap();
    assert!(line.split(' ').nth(5).unwrap().contains("noexec"), "{line}");
    for target in [&prog, &script] {
        let (ran, err) = runs(&d, target);
        assert!(!ran && err.contains("Permission denied"), "{target}: {err}");
    }
    // The loader run as a program is refused the file itself (exec-fanotify, recorded).
    let (ran, err) = runs(&d, &format!("{LD_SO} {prog}"));
    assert!(
        !ran && err.contains("cannot open shared object file: Operation not permitted"),
        "{err}"
    );
    // The same files from the internal disk run.
    for target in [&internal_prog, &internal_script] {
        let (ran, err) = runs(&d, target);
        assert!(ran, "{target}: {err}");
    }

    // Through a mount the daemon cannot see (a namespace of the process's own, where the
    // medium was remounted exec), fanotify refuses with EPERM and records each attempt.
    for (target, bytes) in [
        (&prog, std::fs::read("/bin/true").unwrap()),
        (&script, SCRIPT.to_vec()),
    ] {
        let (pid, err) = d.victim(
            &format!(
                "exec unshare -m sh -c 'mount -o remount,bind,exec {mnt} && exec {target}'",
                mnt = bench.mnt.display()
            ),
            false,
        );
        assert!(err.contains("Operation not permitted"), "{target}: {err}");
        // (`ld.so PROG` above was recorded too, by the loader's name.)
        let r = entry(
            &mut j,
            &[
                id(MessageId::ExecViolation),
                m("AIRGAP_EXE", target),
                m("AIRGAP_COMM", "sh"),
            ],
        );
        assert_eq!(text(&r, "AIRGAP_SHA256"), sha256(&bytes), "{r:?}");
        assert_eq!(text(&r, "AIRGAP_SIZE"), bytes.len().to_string());
        assert_eq!(
            text(&r, "AIRGAP_PID"),
            pid.to_string(),
            "sh execs into the program"
        );
        assert_eq!(text(&r, "AIRGAP_COMM"), "sh");
        assert_eq!(text(&r, "AIRGAP_UID"), "0");
        assert_eq!(text(&r, "AIRGAP_LAYER"), "exec-fanotify");
        assert_eq!(text(&r, "AIRGAP_ACTION"), "deny");
        assert_eq!(text(&r, "AIRGAP_RULE"), "Transfer stick REGEXEC");
        assert_eq!(
            text(&r, "AIRGAP_DEVICE"),
            format!("{}:{}", stick.major, stick.minor)
        );
    }

    // Taking noexec off the mount the daemon sees does not last.
    let status = Command::new("mount")
        .args(["-o", "remount,bind,exec"])
        .arg(&bench.mnt)
        .status()
        .unwrap();
    assert!(status.success());
    let r = entry(
        &mut j,
        &[
            id(MessageId::EnforcementState),
            m("AIRGAP_LAYER", "exec-noexec"),
            m("AIRGAP_DEV_NODE", &stick.path),
        ],
    );
    assert!(text(&r, "MESSAGE").contains("set it again"), "{r:?}");
    let (ran, err) = runs(&d, &prog);
    assert!(!ran, "{err}");
}

#[test]
fn allow_exec_lets_programs_on_that_medium_run() {
    if skip_unless_root() {
        return;
    }
    let (_j, d, bench, _stick, mounted) = start("regallow", "REGALLOW", true);
    assert!(
        text(&mounted, "MESSAGE").contains("programs on it may run (allow_exec)"),
        "{mounted:?}"
    );
    let (prog, script, _, _) = executables(&bench);
    for target in [&prog, &script, &format!("{LD_SO} {prog}")] {
        let (ran, err) = runs(&d, target);
        assert!(ran, "{target}: {err}");
    }
    // Copies are still recorded.
    bench.record("/prog", "created", None);
}
