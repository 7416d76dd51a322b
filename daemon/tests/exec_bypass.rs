//! Issue 16, item 3: the ways past "no execution from removable media" that adversarial testing
//! found on kernels without BPF LSM (this machine), each as an attack that must fail, under the
//! real `airgapd service` with a scope cgroup, an approved read-write loop medium and a private
//! journald.
//!
//! Mounts: like `register.rs`, each test moves its thread into a private mount namespace; its
//! working directory there is made a shared mount, so namespaces the attackers make receive
//! the medium's mount by propagation, as namespaces on a desktop receive a stick mounted by
//! udisks. Attackers run in the daemon's scope, unprivileged ones as uid 65534.

mod common;

use std::collections::BTreeMap;
use std::ffi::CString;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use airgapd::journal::MessageId;
use airgapd::spawn::{self, SpawnOptions};
use common::daemon::{entry, id, m, text, Daemon};
use common::journald::{skip_unless_root, PrivateJournald};
use common::loopdev::LoopDev;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use serde_json::Value;

const LD_SO: &str = "/lib64/ld-linux-x86-64.so.2";
const NOBODY: &str = "setpriv --reuid 65534 --regid 65534 --clear-groups";

fn policy(label: &str) -> String {
    format!(
        r#"
[devices]
loop = "removable"

[[media]]
name = "Transfer stick {label}"
fs_label = "{label}"
access = "read-write"
"#
    )
}

/// A shared working directory in this thread's private namespace, the medium's mount point in
/// it, and a directory anybody may write; unmounted and removed on drop.
struct Bench {
    dir: PathBuf,
    mnt: PathBuf,
    work: PathBuf,
}

impl Bench {
    fn new(tag: &str) -> Bench {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS).expect("unshare(CLONE_NEWNS)");
        mount(
            None::<&str>,
            "/",
            None::<&str>,
            MsFlags::MS_REC | MsFlags::MS_PRIVATE,
            None::<&str>,
        )
        .expect("making / private");
        let dir = PathBuf::from(format!("/tmp/airgapd-xb-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("mnt")).unwrap();
        std::fs::create_dir_all(dir.join("work/low")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        for (p, mode) in [(&dir, 0o755), (&dir.join("work"), 0o777)] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        mount(
            Some(&dir),
            &dir,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .expect("binding the bench onto itself");
        mount(
            None::<&str>,
            &dir,
            None::<&str>,
            MsFlags::MS_SHARED,
            None::<&str>,
        )
        .expect("making the bench shared");
        Bench {
            mnt: dir.join("mnt"),
            work: dir.join("work"),
            dir,
        }
    }

    fn on(&self, name: &str) -> String {
        self.mnt.join(name).display().to_string()
    }

    /// Mount the medium, wait until the daemon says what holds on it, and put a program and a
    /// library on it.
    fn mount(&self, j: &mut PrivateJournald, stick: &LoopDev) -> BTreeMap<String, Value> {
        mount(
            Some(stick.path.as_str()),
            &self.mnt,
            Some("ext4"),
            MsFlags::empty(),
            None::<&str>,
        )
        .expect("mounting the medium");
        let mounted = entry(
            j,
            &[
                id(MessageId::EnforcementState),
                m("AIRGAP_DEV_NODE", &stick.path),
                m("AIRGAP_LAYER", "copy-register"),
            ],
        );
        use std::os::unix::fs::PermissionsExt;
        for (name, from) in [
            ("prog", "/bin/true"),
            ("lib.so", "/usr/lib/x86_64-linux-gnu/libz.so.1"),
        ] {
            let p = self.on(name);
            std::fs::copy(from, &p).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        mounted
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        let _ = umount2(&self.dir, MntFlags::MNT_DETACH);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start(tag: &str, label: &str) -> (PrivateJournald, Daemon, Bench, LoopDev) {
    let bench = Bench::new(tag);
    let mut j = PrivateJournald::start(tag);
    let mut d = Daemon::new(tag, j.socket(), Some(&policy(label)));
    d.extra_args = vec![
        "--register".into(),
        bench.dir.join("register.jsonl").display().to_string(),
    ];
    d.start();
    let stick = LoopDev::with_label(tag, label);
    entry(
        &mut j,
        &[
            id(MessageId::DeviceArrival),
            m("AIRGAP_DEV_NODE", &stick.path),
            m("AIRGAP_ACTION", "authorize"),
        ],
    );
    (j, d, bench, stick)
}

/// The three ways to run code from a file without execve: `ld.so FILE`, `mmap(PROT_EXEC)` and
/// `LD_PRELOAD`, on `dir/prog` and `dir/lib.so`; each prints `ran-...` when it worked (a
/// preload refused leaves the library mapped, but not executable).
fn mappings(dir: &str) -> String {
    format!(
        "{LD_SO} {dir}/prog && echo ran-ldso >&2; \
         /usr/bin/python3 -c \"import mmap, os, sys; f = os.open('{dir}/prog', os.O_RDONLY); \
         mmap.mmap(f, 4096, prot=mmap.PROT_READ | mmap.PROT_EXEC); print('ran-mmap', \
         file=sys.stderr)\"; \
         LD_PRELOAD={dir}/lib.so cat /proc/self/maps | grep -F {dir}/lib.so | grep -q '^[^ ]* ..x' \
         && echo ran-preload >&2; "
    )
}

/// A process in the daemon's scope, running `sh -c SCRIPT` (prefixed by `wrap`), talking
/// through pipes.
struct Victim {
    child: Child,
    out: BufReader<std::process::ChildStdout>,
}

impl Victim {
    fn spawn(d: &Daemon, wrap: &str, script: &str) -> Victim {
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            &format!("exec {wrap} sh -c \"$0\"", wrap = wrap),
            script,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        spawn::prepare(
            &mut cmd,
            d.scope(),
            SpawnOptions {
                new_netns: false,
                die_with_parent: true,
            },
        )
        .unwrap();
        let mut child = cmd.spawn().unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        Victim { child, out }
    }

    /// Wait for the line `want` on its stdout.
    fn expect(&mut self, want: &str) {
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.out.read_line(&mut line).unwrap();
            assert!(n > 0, "the victim ended before saying {want}");
            if line.trim() == want {
                return;
            }
        }
    }

    fn go(&mut self) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(b"go\n").unwrap();
        stdin.flush().unwrap();
    }

    /// Its stderr once it ended.
    fn finish(self) -> String {
        let out = self.child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

fn ran(err: &str, what: &str) -> bool {
    err.lines().any(|l| l == format!("ran-{what}"))
}

fn exec_records(j: &PrivateJournald, stick: &LoopDev) -> Vec<BTreeMap<String, Value>> {
    j.query(&[
        id(MessageId::EnforcementState),
        m("AIRGAP_LAYER", "exec-noexec"),
        m("AIRGAP_DEV_NODE", &stick.path),
    ])
}

fn noexec_at(point: &Path) -> Option<bool> {
    let info = std::fs::read_to_string("/proc/thread-self/mountinfo").unwrap();
    info.lines()
        .rfind(|l| l.split(' ').nth(4) == Some(point.to_str().unwrap()))
        .map(|l| {
            l.split(' ')
                .nth(5)
                .unwrap()
                .split(',')
                .any(|o| o == "noexec")
        })
}

fn mount_setattr_fd(fd: &OwnedFd, set: u64, clear: u64) -> std::io::Result<()> {
    let attr: [u64; 4] = [set, clear, 0, 0];
    let empty = CString::new("").unwrap();
    // SAFETY: a valid descriptor, an empty path and a valid struct mount_attr.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            fd.as_raw_fd(),
            empty.as_ptr(),
            libc::AT_EMPTY_PATH as u32,
            attr.as_ptr(),
            std::mem::size_of_val(&attr),
        )
    };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

fn open_path(p: &Path) -> OwnedFd {
    let c = CString::new(p.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid path.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    assert!(fd >= 0, "open {}", p.display());
    // SAFETY: a fresh descriptor we own.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

const MOUNT_ATTR_NOEXEC: u64 = 0x8;

/// (d) Root covers the medium's mount point with a tmpfs and takes noexec off the medium's
/// mount underneath (through a descriptor opened before). The daemon must act on the medium's
/// mount, never on whatever the path leads to now, and must not storm.
#[test]
fn a_covered_mount_point_is_not_confused_with_the_medium_and_nothing_storms() {
    if skip_unless_root() {
        return;
    }
    let (mut j, _d, bench, stick) = start("xbcover", "XBCOVER");
    bench.mount(&mut j, &stick);
    assert_eq!(noexec_at(&bench.mnt), Some(true));
    let medium = open_path(&bench.mnt);
    mount(
        Some("tmpfs"),
        &bench.mnt,
        Some("tmpfs"),
        MsFlags::empty(),
        None::<&str>,
    )
    .expect("covering the mount point");
    mount_setattr_fd(&medium, 0, MOUNT_ATTR_NOEXEC).expect("taking noexec off the medium");
    let r = entry(
        &mut j,
        &[
            id(MessageId::EnforcementState),
            m("AIRGAP_LAYER", "exec-noexec"),
            m("AIRGAP_DEV_NODE", &stick.path),
        ],
    );
    std::thread::sleep(Duration::from_secs(2));
    let records = exec_records(&j, &stick);
    assert!(
        records.len() <= 3,
        "{} exec-noexec records in 2 s; first: {r:?}",
        records.len()
    );
    assert_eq!(
        noexec_at(&bench.mnt),
        Some(false),
        "the tmpfs that covers the medium was made noexec"
    );
    let said = records
        .iter()
        .map(|r| text(r, "MESSAGE"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(said.contains("covers it"), "{said}");
    let _ = umount2(&bench.mnt, MntFlags::empty());
}

/// Root takes noexec off the medium's mount in a loop: the daemon sets it again each time, and
/// its records are folded like the kernel's (one per second, with the count).
#[test]
fn noexec_taken_off_in_a_loop_is_set_again_and_recorded_folded() {
    if skip_unless_root() {
        return;
    }
    let (mut j, _d, bench, stick) = start("xbloop", "XBLOOP");
    bench.mount(&mut j, &stick);
    let medium = open_path(&bench.mnt);
    let end = Instant::now() + Duration::from_millis(1500);
    let mut taken = 0;
    while Instant::now() < end {
        if mount_setattr_fd(&medium, 0, MOUNT_ATTR_NOEXEC).is_ok() {
            taken += 1;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(medium);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(noexec_at(&bench.mnt), Some(true), "noexec stays taken off");
    // Wait for the last summary (at most one interval after the last event).
    std::thread::sleep(Duration::from_millis(1200));
    let records = exec_records(&j, &stick);
    assert!(
        records.len() <= 4,
        "{} records for {taken} removals",
        records.len()
    );
    let repeats: u64 = records
        .iter()
        .map(|r| text(r, "AIRGAP_REPEATS").parse::<u64>().unwrap_or(0))
        .sum();
    assert!(
        repeats > 0,
        "no folded record: {:?}",
        records
            .iter()
            .map(|r| text(r, "MESSAGE"))
            .collect::<Vec<_>>()
    );
}

/// (b) A user namespace (with its mount namespace) made by an unprivileged user before the
/// medium is mounted receives the mount by propagation, as it was mounted.
#[test]
fn a_namespace_made_before_the_medium_was_mounted_cannot_map_its_programs() {
    if skip_unless_root() {
        return;
    }
    let (mut j, d, bench, stick) = start("xbold", "XBOLD");
    let mnt = bench.mnt.display().to_string();
    let mut v = Victim::spawn(
        &d,
        &format!("{NOBODY} unshare -rm --propagation slave"),
        &format!(
            "echo ready; read go; test -f {mnt}/prog && echo present >&2; {}",
            mappings(&mnt)
        ),
    );
    v.expect("ready");
    bench.mount(&mut j, &stick);
    v.go();
    let err = v.finish();
    assert!(err.lines().any(|l| l == "present"), "{err}");
    for what in ["ldso", "mmap", "preload"] {
        assert!(!ran(&err, what), "{what} ran:\n{err}");
    }
    entry(
        &mut j,
        &[
            id(MessageId::ExecViolation),
            m("AIRGAP_EXE", bench.on("prog")),
            m("AIRGAP_COMM", "ld-linux-x86-64"),
        ],
    );
}

/// The daemon reads other namespaces' mount tables but holds none of them: once the process
/// that opened a file on the medium from a namespace of its own has ended and the medium is
/// unmounted, its filesystem is gone (a namespace held open would keep it alive, and a stick
/// pulled then would lose what was not written back).
#[test]
fn no_namespace_is_kept_alive_after_its_processes_ended() {
    if skip_unless_root() {
        return;
    }
    let (mut j, d, bench, stick) = start("xbpin", "XBPIN");
    bench.mount(&mut j, &stick);
    let mnt = bench.mnt.display().to_string();
    let v = Victim::spawn(
        &d,
        &format!("{NOBODY} unshare -rm --propagation private"),
        &format!("cat {mnt}/prog > /dev/null && echo read >&2"),
    );
    let err = v.finish();
    assert!(err.lines().any(|l| l == "read"), "{err}");
    // The register's worker may still hold the file it hashes for a moment (a documented
    // limit): try again for a while.
    let end = Instant::now() + Duration::from_secs(3);
    while let Err(e) = umount2(&bench.mnt, MntFlags::empty()) {
        assert!(Instant::now() < end, "unmounting the medium: {e}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let name = Path::new(&stick.path).file_name().unwrap().to_owned();
    let sb = Path::new("/proc/fs/ext4").join(name);
    let end = Instant::now() + Duration::from_secs(3);
    while sb.exists() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !sb.exists(),
        "{} is still mounted somewhere after its last mount was unmounted",
        stick.path
    );
}

/// (a) An unprivileged user makes an overlay whose lower layer is the medium.
#[test]
fn an_overlay_over_the_medium_cannot_map_its_programs() {
    if skip_unless_root() {
        return;
    }
    let (mut j, d, bench, stick) = start("xbovl", "XBOVL");
    bench.mount(&mut j, &stick);
    let (mnt, work) = (bench.mnt.display(), bench.work.display());
    let ovl = format!("{work}/o");
    let v = Victim::spawn(
        &d,
        &format!("{NOBODY} unshare -rm"),
        &format!(
            "mkdir -p {ovl} && mount -t overlay overlay -o lowerdir={mnt}:{work}/low {ovl} \
             || exit 1; echo mounted >&2; {} {ovl}/prog && echo ran-exec >&2",
            mappings(&ovl)
        ),
    );
    let err = v.finish();
    assert!(err.lines().any(|l| l == "mounted"), "{err}");
    for what in ["ldso", "mmap", "preload", "exec"] {
        assert!(!ran(&err, what), "{what} ran:\n{err}");
    }
    entry(
        &mut j,
        &[
            id(MessageId::ExecViolation),
            m("AIRGAP_COMM", "ld-linux-x86-64"),
        ],
    );
}

/// (c) Root makes a private mount namespace and takes noexec off the medium's mount there.
/// Root is trusted, but nothing it does there goes unrecorded, and loading the program with
/// ld.so, mapping it or preloading a library still fail.
#[test]
fn root_in_a_private_namespace_is_refused_and_recorded() {
    if skip_unless_root() {
        return;
    }
    let (mut j, d, bench, stick) = start("xbroot", "XBROOT");
    bench.mount(&mut j, &stick);
    let mnt = bench.mnt.display().to_string();
    let v = Victim::spawn(
        &d,
        "unshare -m --propagation private",
        &format!(
            "mount -o remount,bind,exec {mnt} || exit 1; echo remounted >&2; {}",
            mappings(&mnt)
        ),
    );
    let err = v.finish();
    assert!(err.lines().any(|l| l == "remounted"), "{err}");
    for what in ["ldso", "mmap", "preload"] {
        assert!(!ran(&err, what), "{what} ran:\n{err}");
    }
    entry(
        &mut j,
        &[
            id(MessageId::ExecViolation),
            m("AIRGAP_EXE", bench.on("prog")),
            m("AIRGAP_COMM", "ld-linux-x86-64"),
        ],
    );
    let r = entry(
        &mut j,
        &[
            id(MessageId::EnforcementState),
            m("AIRGAP_LAYER", "exec-noexec"),
            m("AIRGAP_DEV_NODE", &stick.path),
        ],
    );
    assert!(text(&r, "MESSAGE").contains("namespace"), "{r:?}");
}

/// What the open gate costs: 1000 small files read with `cat` in the scope, from the medium
/// (every open waits for the daemon) and from the internal disk. A measurement, not a check:
/// `cargo test -p airgapd --test exec_bypass -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_the_cost_of_gating_opens() {
    if skip_unless_root() {
        return;
    }
    let (mut j, d, bench, stick) = start("xbcost", "XBCOST");
    bench.mount(&mut j, &stick);
    let internal = bench.dir.join("internal");
    for dir in [bench.mnt.join("many"), internal.clone()] {
        std::fs::create_dir_all(&dir).unwrap();
        for i in 0..1000 {
            std::fs::write(dir.join(format!("f{i}")), [i as u8; 4096]).unwrap();
        }
    }
    let time = |dir: &Path| {
        let mut runs: Vec<f64> = (0..9)
            .map(|_| {
                let t = Instant::now();
                let (_, err) = d.victim(&format!("cat {}/* > /dev/null", dir.display()), false);
                assert!(err.is_empty(), "{err}");
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        runs.sort_by(f64::total_cmp);
        runs[runs.len() / 2]
    };
    let (medium, disk) = (time(&bench.mnt.join("many")), time(&internal));
    println!(
        "cat of 1000 files of 4 KiB, median of 9: medium {medium:.1} ms, internal disk \
         {disk:.1} ms, {:.1} µs more per open",
        (medium - disk) * 1000.0 / 1000.0
    );
}
