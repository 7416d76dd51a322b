//! Issue 15 item 7, and a misreport of issue 17: media mounted before airgapd starts.
//!
//! - A refused medium mounted before the daemon (an fstab line, a desktop automount) must not
//!   stay readable and writable: at start its mounts are detached, its filesystem shut down
//!   where the kernel can, every open and read of it refused, and all of it recorded at
//!   critical priority. A process that held a file open and its working directory there since
//!   before the start loses both.
//! - An approved medium mounted long after the start is no "pre-start mount": a policy reload
//!   or a daemon restart with it mounted leaves it mounted and usable, and says nothing about
//!   pre-start mounts.
//!
//! Mounts: each test moves its thread into a private mount namespace before it mounts anything
//! and starts the daemon (its child, so in that namespace too), as `register/` tests do; the
//! scoped daemon acts on its own namespace only (never on PID 1's), so nothing here touches
//! the rest of the machine.

mod common;

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use airgapd::journal::MessageId;
use airgapd::spawn::{self, SpawnOptions};
use common::daemon::{entry, id, m, text, Daemon};
use common::journald::{skip_unless_root, PrivateJournald, DEADLINE, POLL};
use common::loopdev::LoopDev;
use nix::mount::{mount, umount2, MntFlags, MsFlags};

const POLICY: &str = r#"
[devices]
loop = "removable"

[[media]]
name = "Test transfer stick"
fs_label = "AIRGAPTEST"
access = "read-write"
"#;

/// What runs a command as an unprivileged user (nobody).
const AS_NOBODY: &str = "setpriv --reuid 65534 --regid 65534 --clear-groups";

/// This thread (and the processes it starts) in a mount namespace of its own whose mounts
/// never propagate back to the machine's.
fn private_namespace() {
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS).expect("unshare(CLONE_NEWNS)");
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .expect("making / private");
}

/// A world-traversable directory in /tmp with a mount point; unmounted and removed on drop.
struct Bench {
    dir: PathBuf,
    mnt: PathBuf,
}

impl Bench {
    fn new(tag: &str) -> Bench {
        let dir = PathBuf::from(format!("/tmp/airgapd-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("mnt")).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        Bench {
            mnt: dir.join("mnt"),
            dir,
        }
    }

    fn mount(&self, dev: &LoopDev) {
        self.mount_fs(&dev.path, "ext4", None);
    }

    fn mount_fs(&self, dev: &str, fstype: &str, options: Option<&str>) {
        mount(
            Some(dev),
            &self.mnt,
            Some(fstype),
            MsFlags::empty(),
            options,
        )
        .expect("mounting the medium");
        std::fs::set_permissions(&self.mnt, std::fs::Permissions::from_mode(0o1777)).unwrap();
    }

    fn on(&self, name: &str) -> String {
        self.mnt.join(name).display().to_string()
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        let _ = umount2(&self.mnt, MntFlags::MNT_DETACH);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A process started in the scope, killed by pid on drop.
struct Held(Child);

impl Drop for Held {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An unprivileged process in the scope that works on the medium since before the start: its
/// working directory there and a file held open for writing; each round it writes through the
/// descriptor (`tick` and the content of the bench's `phase` file) and opens and reads
/// `secret`, and logs how both went; it ends after the round in which the bench's `stop` file
/// appears.
fn hold(d: &Daemon, bench: &Bench) -> (Held, PathBuf) {
    let log = bench.dir.join("holder.log");
    let script = format!(
        "exec {AS_NOBODY} bash -c 'cd {mnt} && exec 3>>held && while [ ! -e {stop} ]; do \
           if echo \"tick $(cat {phase} 2>/dev/null)\" >&3; then echo W-OK; else echo W-FAIL; fi; \
           if cat secret >/dev/null; then echo R-OK; else echo R-FAIL; fi; \
           sleep 0.1; done' > {log} 2>/dev/null",
        mnt = bench.mnt.display(),
        log = log.display(),
        phase = bench.dir.join("phase").display(),
        stop = bench.dir.join("stop").display()
    );
    let mut cmd = Command::new("bash");
    cmd.args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    spawn::prepare(
        &mut cmd,
        d.scope(),
        SpawnOptions {
            new_netns: false,
            die_with_parent: true,
        },
    )
    .unwrap();
    let holder = Held(cmd.spawn().unwrap());
    wait_last_line(&log, "W-OK R-OK");
    (holder, log)
}

/// The last line of `path` once it is `want` (bounded wait); panics with the file otherwise.
fn wait_last_line(path: &Path, want: &str) {
    let end = Instant::now() + DEADLINE;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        // The holder writes two lines per round: look at the last whole round.
        if lines.len() >= 2 && lines[lines.len() - 2..].join(" ") == want {
            return;
        }
        assert!(
            Instant::now() < end,
            "the holder never reported {want:?}; its log ends with {:?}",
            &lines[lines.len().saturating_sub(6)..]
        );
        std::thread::sleep(POLL);
    }
}

#[test]
fn a_refused_medium_mounted_before_start_is_made_unusable_and_recorded() {
    if skip_unless_root() {
        return;
    }
    private_namespace();
    // journald's own namespace is made before the medium is mounted: it holds no copy of it.
    let mut j = PrivateJournald::start("premount");
    let mut d = Daemon::new("premount", j.socket(), Some(POLICY));
    let bench = Bench::new("premount");
    let stick = LoopDev::with_label("premount", "STRANGER");
    bench.mount(&stick);
    std::fs::write(bench.on("secret"), "classified\n").unwrap();
    std::fs::set_permissions(bench.on("secret"), std::fs::Permissions::from_mode(0o666)).unwrap();

    // An unprivileged process that works on the medium since before the start: its working
    // directory there and a file held open for writing.
    let (holder, log) = hold(&d, &bench);
    // Without airgapd any user reads and writes the refused medium.
    let read = format!("{AS_NOBODY} cat {}", bench.on("secret"));
    let write = format!("{AS_NOBODY} bash -c 'echo leak >> {}'", bench.on("secret"));
    assert_eq!(d.victim(&read, false).1, "", "before the start");

    d.start();

    // The attack of issue 15 item 7: an unprivileged user reads and writes its files.
    let (_, err) = d.victim(&read, false);
    assert!(!err.is_empty(), "nobody still reads the refused medium");
    let (_, err) = d.victim(&write, false);
    assert!(!err.is_empty(), "nobody still writes the refused medium");
    let on_medium = std::fs::metadata(&bench.mnt)
        .map(|md| std::os::unix::fs::MetadataExt::dev(&md))
        .unwrap();
    assert_ne!(
        (libc::major(on_medium), libc::minor(on_medium)),
        (stick.major, stick.minor),
        "the mount point still leads to the medium"
    );
    // What was open and the working directory there are unusable too.
    wait_last_line(&log, "W-FAIL R-FAIL");

    let r = entry(
        &mut j,
        &[
            id(MessageId::PremountedMedium),
            m("AIRGAP_DEVICE", format!("{}:{}", stick.major, stick.minor)),
        ],
    );
    assert_eq!(text(&r, "PRIORITY"), "2", "critical: {r:?}");
    assert_eq!(text(&r, "AIRGAP_DEV_NODE"), stick.path);
    assert_eq!(text(&r, "AIRGAP_RESULT"), "success", "{r:?}");
    assert!(
        text(&r, "AIRGAP_MOUNT_POINTS").contains(&bench.mnt.display().to_string()),
        "{r:?}"
    );
    let message = text(&r, "MESSAGE");
    eprintln!("the record: {message}");
    assert!(message.contains("detached"), "{message}");
    assert!(message.contains("shut down"), "{message}");
    // `airgapctl devices` says it too (its entry, as kept in the daemon's history file).
    let history = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("svc-premount-{}", std::process::id()))
        .join("history.json");
    let kept = std::fs::read_to_string(&history).unwrap();
    assert!(
        kept.contains(&stick.path) && kept.contains("it was mounted before airgapd started"),
        "{kept}"
    );
    drop(holder);
}

#[test]
fn an_approved_medium_mounted_after_start_survives_reload_and_restart_untouched() {
    if skip_unless_root() {
        return;
    }
    private_namespace();
    let mut j = PrivateJournald::start("premount-ok");
    let mut d = Daemon::new("premount-ok", j.socket(), Some(POLICY));
    let stderr =
        std::env::temp_dir().join(format!("airgapd-premount-ok-{}.log", std::process::id()));
    d.stderr = Some(stderr.clone());
    let bench = Bench::new("premount-ok");
    d.start();
    let stick = LoopDev::new("premount-ok");
    entry(
        &mut j,
        &[
            id(MessageId::DeviceArrival),
            m("AIRGAP_DEV_NODE", &stick.path),
            m("AIRGAP_ACTION", "authorize"),
        ],
    );
    bench.mount(&stick);
    std::fs::write(bench.on("report"), "transfer\n").unwrap();
    std::fs::set_permissions(bench.on("report"), std::fs::Permissions::from_mode(0o666)).unwrap();
    let read = format!("{AS_NOBODY} cat {}", bench.on("report"));

    let loaded = |j: &PrivateJournald| j.query(&[id(MessageId::PolicyLoaded)]).len();
    let before = loaded(&j);
    d.signal(nix::sys::signal::Signal::SIGHUP);
    j.wait_until("a second PolicyLoaded", |j| {
        (loaded(j) > before).then_some(())
    });
    assert_eq!(d.victim(&read, false).1, "", "after the reload");

    // A restart with the approved medium mounted: it is judged (approved) before anything is
    // done to pre-start mounts, and left alone.
    d.signal(nix::sys::signal::Signal::SIGTERM);
    d.wait();
    d.start();
    assert_eq!(d.victim(&read, false).1, "", "after the restart");
    let mut log = String::new();
    std::fs::File::open(&stderr)
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    let _ = std::fs::remove_file(&stderr);
    assert!(
        !log.contains("mounted before airgapd started"),
        "the daemon warned about a medium it granted itself:\n{log}"
    );
    assert!(
        j.query(&[id(MessageId::PremountedMedium)]).is_empty(),
        "an approved medium was treated as a refused pre-start mount"
    );
}

/// Where the filesystem cannot be shut down, what the daemon cannot take away is said, not
/// hidden. Here the medium is also mounted in a namespace outside the test's scope (a scoped
/// daemon never shuts down a filesystem others use; on a whole machine, FAT is the case: it
/// has no shutdown). Opens and reads are refused and the scope's mounts detached, but a
/// descriptor opened for writing before the start still writes: the record says "failure"
/// and names the holder, and the layer `premounted-media` is unavailable in the enforcement
/// record (so `airgapctl status` does not say air-gapped).
#[test]
fn a_refused_medium_that_cannot_be_shut_down_is_reported_as_still_usable() {
    if skip_unless_root() {
        return;
    }
    private_namespace();
    let mut j = PrivateJournald::start("premount-left");
    let mut d = Daemon::new("premount-left", j.socket(), Some(POLICY));
    let bench = Bench::new("premount-left");
    let stick = LoopDev::with_label("premount-left", "STRANGER");
    bench.mount(&stick);
    std::fs::write(bench.on("secret"), "classified\n").unwrap();
    std::fs::set_permissions(bench.on("secret"), std::fs::Permissions::from_mode(0o666)).unwrap();
    // A namespace of its own outside the scope, holding a copy of the mount.
    let outsider = Held(
        Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sleep", "600"])
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let (holder, log) = hold(&d, &bench);

    let started = Instant::now();
    d.start();
    // Opens and reads are refused; the write through the descriptor held since before goes on.
    wait_last_line(&log, "W-OK R-FAIL");
    let (_, err) = d.victim(&format!("{AS_NOBODY} cat {}", bench.on("secret")), false);
    assert!(!err.is_empty(), "nobody still reads the refused medium");
    // Refused (a `cat` like the holder's), or its mount detached in the scope's namespace.
    let victim_refused = u64::from(err.contains("Operation not permitted"));

    let r = entry(
        &mut j,
        &[
            id(MessageId::PremountedMedium),
            m("AIRGAP_DEVICE", format!("{}:{}", stick.major, stick.minor)),
        ],
    );
    assert_eq!(text(&r, "AIRGAP_RESULT"), "failure", "{r:?}");
    let message = text(&r, "MESSAGE");
    assert!(message.contains("not shut down"), "{message}");
    assert!(message.contains("left alone outside"), "{message}");
    // The holder, among its `sleep 0.1` children (they inherit its descriptor), listed by pid:
    // after the pid counter wraps, a child may come first.
    let held_by = message.split("still held by: ").nth(1).unwrap_or_default();
    assert!(
        held_by.contains(&format!("{} (bash)", holder.0.id())),
        "{message}"
    );
    // Each process refused is recorded (once per medium).
    let refused = entry(
        &mut j,
        &[
            id(MessageId::DeviceViolation),
            m("AIRGAP_KIND", "dev.premounted"),
            m("AIRGAP_DEVICE", format!("{}:{}", stick.major, stick.minor)),
        ],
    );
    assert_eq!(text(&refused, "AIRGAP_UID"), "65534", "{refused:?}");
    // The holder runs a new `cat` every 0.1 s, each refused once: folded into one record per
    // second for (nobody, cat, medium), never one per process, and counted exactly: the
    // records stand for every refused `cat`, the last second's included (before, what came
    // after the last record was never recorded, and a `cat` that had ended when its refusal
    // was read was recorded without user or command).
    std::thread::sleep(std::time::Duration::from_millis(2500));
    std::fs::write(bench.dir.join("stop"), "").unwrap();
    let mut holder = holder;
    holder.0.wait().unwrap();
    let spent = started.elapsed().as_secs();
    let cat_refusals = victim_refused
        + std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .filter(|l| *l == "R-FAIL")
            .count() as u64;
    let cats = |j: &PrivateJournald| {
        j.query(&[
            id(MessageId::DeviceViolation),
            m("AIRGAP_KIND", "dev.premounted"),
            m("AIRGAP_COMM", "cat"),
        ])
    };
    let shown = |j: &PrivateJournald| -> u64 {
        cats(j)
            .iter()
            .map(|e| 1 + text(e, "AIRGAP_REPEATS").parse::<u64>().unwrap_or(0))
            .sum()
    };
    // Bounded: the assertion below says what was missing.
    let end = Instant::now() + DEADLINE;
    while shown(&j) < cat_refusals && Instant::now() < end {
        std::thread::sleep(POLL);
    }
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let records = cats(&j).len() as u64;
    assert_eq!(
        shown(&j),
        cat_refusals,
        "{records} records: {:?}",
        cats(&j)
            .iter()
            .map(|e| (text(e, "AIRGAP_UID"), text(e, "AIRGAP_REPEATS")))
            .collect::<Vec<_>>()
    );
    assert!(
        (2..=spent + 2).contains(&records),
        "folded: {records} records for {cat_refusals} refusals in {spent} s"
    );
    assert!(
        text(&refused, "AIRGAP_SUMMARY_VI").contains("trước khi airgapd khởi động"),
        "{refused:?}"
    );
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&d.record).unwrap()).unwrap();
    let layer = record["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "premounted-media")
        .unwrap_or_else(|| panic!("no premounted-media layer in {record}"))
        .clone();
    assert_eq!(layer["state"], "unavailable", "{layer}");
    assert!(
        layer["detail"].as_str().unwrap().contains(&stick.path),
        "{layer}"
    );
    // Once the medium is gone (its users ended, the loop device detached), nothing of it is
    // left usable: the layer is active again, and that is recorded.
    drop((holder, outsider));
    stick.detach();
    entry(
        &mut j,
        &[
            id(MessageId::EnforcementState),
            m("AIRGAP_LAYER", "premounted-media"),
            m("AIRGAP_STATE", "active"),
        ],
    );
}

/// A filesystem the kernel cannot shut down (btrfs on this kernel, FAT everywhere): the disk
/// under it is cut off instead (here a loop device, moved past the end of its image), so a
/// process that opened a file for writing before the start can no longer write to the medium:
/// its writes fail, and nothing it writes after the start reaches the image. Before the cut,
/// the holder went on writing (`W-OK`) and its lines reached the image at the next sync.
#[test]
fn a_medium_without_shutdown_is_cut_off_from_writers_held_since_before() {
    if skip_unless_root() {
        return;
    }
    if common::loopdev::skip_without_mkfs_btrfs() {
        return;
    }
    private_namespace();
    let mut j = PrivateJournald::start("premount-cut");
    let mut d = Daemon::new("premount-cut", j.socket(), Some(POLICY));
    let bench = Bench::new("premount-cut");
    let stick = LoopDev::with_fs(
        "premount-cut",
        128 << 20,
        &["mkfs.btrfs", "-q", "-f", "-L", "STRANGER"],
    );
    bench.mount_fs(&stick.path, "btrfs", None);
    std::fs::write(bench.on("secret"), "classified\n").unwrap();
    std::fs::set_permissions(bench.on("secret"), std::fs::Permissions::from_mode(0o666)).unwrap();
    let (holder, log) = hold(&d, &bench);
    // The test's own descriptor on the filesystem (the test is outside the scope): to sync
    // what is left at the end.
    let fs = std::fs::File::open(&bench.mnt).unwrap();

    d.start();
    let r = entry(
        &mut j,
        &[
            id(MessageId::PremountedMedium),
            m("AIRGAP_DEVICE", format!("{}:{}", stick.major, stick.minor)),
        ],
    );
    let message = text(&r, "MESSAGE");
    eprintln!("the record: {message}");
    assert_eq!(text(&r, "AIRGAP_RESULT"), "success", "{message}");
    assert_eq!(text(&r, "AIRGAP_DEV_NODE"), stick.path, "{message}");
    assert!(message.contains("no shutdown"), "{message}");
    assert!(message.contains("past the end of its image"), "{message}");
    // From now on what the holder writes carries a mark of its own.
    let mark = format!("written-after-the-start-{}", std::process::id());
    std::fs::write(bench.dir.join("phase"), &mark).unwrap();
    wait_last_line(&log, "W-FAIL R-FAIL");
    std::thread::sleep(std::time::Duration::from_millis(500));
    drop(holder);
    // SAFETY: a valid descriptor; the filesystem's error (its disk is gone) is expected.
    unsafe { libc::syncfs(std::os::fd::AsRawFd::as_raw_fd(&fs)) };
    drop(fs);
    let image = std::fs::read(stick.image()).unwrap();
    let found = image.windows(mark.len()).any(|w| w == mark.as_bytes());
    assert!(
        !found,
        "what the holder wrote after the start reached the medium"
    );
}
