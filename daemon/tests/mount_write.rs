//! Without BPF LSM (this machine), the exec layer asks about every open on a medium whose
//! programs are refused and lets it through only a noexec mount (`noexec/namespaces.rs`). A
//! file written to an approved read-write medium right after `mount` must then work (the opener
//! is held while the daemon makes that mount noexec, not refused), and be in the copy register;
//! programs on the medium must stay refused in every interleaving: exec and `mmap(PROT_EXEC)`
//! right after a mount, through a second mount of the same filesystem, a bind mount made
//! executable, and another mount namespace.
//!
//! Each test moves its thread into a private mount namespace (as `exec_bypass.rs` does); the
//! daemon and the victims, started from it, share it. Victims run in the daemon's scope.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use airgapd::journal::MessageId;
use common::daemon::{entry, id, m, Daemon};
use common::journald::{skip_unless_root, PrivateJournald};
use common::loopdev::LoopDev;
use nix::mount::{mount, umount2, MntFlags, MsFlags};

/// Write cycles, each a mount immediately followed by a write.
const CYCLES: usize = 20;

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

/// A private mount namespace for this thread and a folder for mount points; every mount of
/// the medium under it is detached on drop.
struct Bench {
    dir: PathBuf,
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
        let dir = PathBuf::from(format!("/tmp/airgapd-mw-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Bench { dir }
    }

    fn point(&self, name: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    /// Unmount every mount under the bench (the register may hold a file open for a moment
    /// while it hashes it: retried, bounded).
    fn unmount_all(&self) {
        let end = Instant::now() + Duration::from_secs(5);
        loop {
            let info = std::fs::read_to_string("/proc/thread-self/mountinfo").unwrap();
            let prefix = format!("{}/", self.dir.display());
            let points: Vec<String> = info
                .lines()
                .filter_map(|l| l.split(' ').nth(4))
                .filter(|p| p.starts_with(&prefix))
                .map(str::to_string)
                .collect();
            if points.is_empty() {
                return;
            }
            for p in points.iter().rev() {
                let _ = umount2(p.as_str(), MntFlags::empty());
            }
            if Instant::now() > end {
                for p in points.iter().rev() {
                    let _ = umount2(p.as_str(), MntFlags::MNT_DETACH);
                }
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        self.unmount_all();
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

/// Mount the medium at `point` from the test itself and wait until the daemon says what holds
/// on it (its filesystem is marked from then on).
fn mount_and_wait(j: &mut PrivateJournald, stick: &LoopDev, point: &Path) {
    mount(
        Some(stick.path.as_str()),
        point,
        Some("ext4"),
        MsFlags::empty(),
        None::<&str>,
    )
    .expect("mounting the medium");
    entry(
        j,
        &[
            id(MessageId::EnforcementState),
            m("AIRGAP_DEV_NODE", &stick.path),
            m("AIRGAP_LAYER", "copy-register"),
        ],
    );
}

fn register_has(bench: &Bench, name: &str) -> bool {
    std::fs::read_to_string(bench.dir.join("register.jsonl")).is_ok_and(|t| {
        t.lines()
            .any(|l| l.contains(name) && l.contains("to-medium"))
    })
}

/// The defect found by the guest's kernel matrix (6.1 without BPF LSM, 1 run of 2): a write
/// right after `mount` answered EPERM, because the open gate refused opens through a mount not
/// noexec yet instead of making it so. Here each cycle mounts the medium again (a second mount
/// of a filesystem already marked: the gate is asked at once, every time) and writes at once;
/// then the medium is unmounted everywhere and mounted afresh, and written at once again.
#[test]
fn a_write_right_after_mount_works_and_is_recorded() {
    if skip_unless_root() {
        return;
    }
    let (mut j, d, bench, stick) = start("mwwrite", "MWWRITE");
    mount_and_wait(&mut j, &stick, &bench.point("first"));
    let mut script = String::new();
    for i in 0..CYCLES {
        let p = bench.point(&format!("m{i}"));
        script += &format!(
            "mount {dev} {p} && {{ echo written > {p}/w{i}.txt || echo FAILED-{i} >&2; }}; ",
            dev = stick.path,
            p = p.display()
        );
    }
    // In a mount namespace of its own, where the daemon never follows mounts: only the open
    // gate can make the mount noexec.
    for i in 0..4 {
        let p = bench.point(&format!("ns{i}"));
        script += &format!(
            "unshare -m --propagation private sh -c 'mount {dev} {p} && \
             {{ echo written > {p}/ns{i}.txt || echo FAILED-ns{i} >&2; }}'; ",
            dev = stick.path,
            p = p.display()
        );
    }
    let (_, err) = d.victim(&script, false);
    assert!(
        !err.contains("FAILED"),
        "writes right after mount failed:\n{err}"
    );
    let mut names: Vec<String> = (0..CYCLES).map(|i| format!("w{i}.txt")).collect();
    names.extend((0..4).map(|i| format!("ns{i}.txt")));
    wait_registered(&bench, &names);
    bench.unmount_all();
    // A fresh mount: nothing of the filesystem is marked yet.
    let p = bench.point("fresh");
    let (_, err) = d.victim(
        &format!(
            "mount {} {p} && {{ echo written > {p}/fresh.txt || echo FAILED >&2; }}",
            stick.path,
            p = p.display()
        ),
        false,
    );
    assert!(
        !err.contains("FAILED"),
        "a write right after a fresh mount failed:\n{err}"
    );
    wait_registered(&bench, &["fresh.txt".to_string()]);
}

/// Wait (bounded) until every one of `names` is in the copy register as written to the medium.
fn wait_registered(bench: &Bench, names: &[String]) {
    let end = Instant::now() + Duration::from_secs(10);
    while names.iter().any(|n| !register_has(bench, n)) && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    let missing: Vec<&String> = names.iter().filter(|n| !register_has(bench, n)).collect();
    assert!(missing.is_empty(), "not in the copy register: {missing:?}");
}

/// `mmap(PROT_EXEC)` of `path`, printing `ran-mmap-TAG` when it worked.
fn mmap(path: &str, tag: &str) -> String {
    format!(
        "/usr/bin/python3 -c \"import mmap, os; f = os.open('{path}', os.O_RDONLY); \
         mmap.mmap(f, 4096, prot=mmap.PROT_READ | mmap.PROT_EXEC)\" 2>/dev/null \
         && echo ran-mmap-{tag} >&2; "
    )
}

/// Exec and executable mappings of a program on the medium, attacked right after each new
/// mount of its filesystem, through a bind mount root made executable, and
/// from a mount namespace of its own: none runs.
#[test]
fn programs_stay_refused_in_every_interleaving() {
    if skip_unless_root() {
        return;
    }
    let (mut j, d, bench, stick) = start("mwexec", "MWEXEC");
    let first = bench.point("first");
    mount_and_wait(&mut j, &stick, &first);
    use std::os::unix::fs::PermissionsExt;
    let prog = first.join("prog");
    std::fs::copy("/bin/true", &prog).unwrap();
    std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
    // The first mount stays: each mount below is another mount of a filesystem the daemon
    // has marked (a fresh mount's first moments are measured by the next test).
    let dev = &stick.path;
    let mut script = String::new();
    for i in 0..CYCLES {
        let p = bench.point(&format!("m{i}")).display().to_string();
        // Alternately exec first and map first, right after the mount.
        let (a, b) = (
            format!("{p}/prog && echo ran-exec-{i} >&2; "),
            mmap(&format!("{p}/prog"), &i.to_string()),
        );
        let body = if i % 2 == 0 { a + &b } else { b + &a };
        script += &format!("mount {dev} {p} && {{ {body} }}; ");
    }
    let bind = bench.point("bind").display().to_string();
    let m0 = bench.dir.join("m0").display().to_string();
    script += &format!(
        "mount --bind {m0} {bind} && mount -o remount,bind,exec {bind} && \
         {{ {bind}/prog && echo ran-exec-bind >&2; {} }}; ",
        mmap(&format!("{bind}/prog"), "bind")
    );
    let ns = bench.point("ns").display().to_string();
    script += &format!(
        "unshare -m --propagation private sh -c 'mount {dev} {ns} && \
         {{ {ns}/prog && echo ran-exec-ns >&2; {} }}'; ",
        mmap(&format!("{ns}/prog"), "ns").replace('\'', "'\\''")
    );
    script += "echo done >&2";
    let (_, err) = d.victim(&script, false);
    assert!(err.contains("done"), "{err}");
    assert!(!err.contains("ran-"), "a program on the medium ran:\n{err}");
}

/// What no layer of a kernel without BPF LSM can refuse: a program run from a *fresh* mount
/// made without noexec (root's plain `mount`), before the daemon has learned of the mount and
/// marked its filesystem (the desktop's udisks mounts noexec from the start; see
/// docs/copy-register.md). Measures that window: each of 10 cycles mounts afresh and runs the
/// program in a loop until it is refused. A measurement, not a check:
/// `cargo test -p airgapd --test mount_write -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_the_window_of_a_fresh_mount() {
    if skip_unless_root() {
        return;
    }
    let (mut j, d, bench, stick) = start("mwfresh", "MWFRESH");
    let first = bench.point("first");
    mount_and_wait(&mut j, &stick, &first);
    use std::os::unix::fs::PermissionsExt;
    let prog = first.join("prog");
    std::fs::copy("/bin/true", &prog).unwrap();
    std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
    for i in 0..10 {
        bench.unmount_all();
        let p = bench.point(&format!("f{i}")).display().to_string();
        let (_, err) = d.victim(
            &format!(
                "mount {} {p} || exit 1; t0=$(date +%s%N); n=0; \
                 while [ $n -lt 10000 ] && {p}/prog 2>/dev/null; do n=$((n+1)); done; \
                 t1=$(date +%s%N); echo \"ran $n times, refused $(( (t1-t0)/1000 )) us after \
                 the mount\" >&2",
                stick.path
            ),
            false,
        );
        println!("fresh mount {i}: {}", err.trim());
    }
}

/// A flood of held opens by an unprivileged user: in a user and mount namespace made before the
/// medium was mounted (its copy of the mount is not locked noexec, so its owner can take noexec
/// off again), 16 loops take noexec off and open a file on the medium, so that every open waits
/// for the daemon to make the mount noexec again. Meanwhile the official's writes to the medium
/// through the daemon's own mount are answered at once, and the daemon's records of the flood
/// are folded (one a second per mount).
#[test]
fn a_flood_of_held_opens_stalls_no_one_else() {
    if skip_unless_root() {
        return;
    }
    let (mut j, d, bench, stick) = start("mwflood", "MWFLOOD");
    let first = bench.point("first");
    let go = bench.dir.join("go");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bench.dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (p, g) = (first.display().to_string(), go.display().to_string());
    let flooder = format!(
        "setpriv --reuid 65534 --regid 65534 --clear-groups unshare -rm --propagation slave \
         sh -c 'while [ ! -e {g} ]; do sleep 0.05; done; end=$(($(date +%s) + 3)); \
         for k in $(seq 16); do (n=0; while [ $(date +%s) -lt $end ]; do \
         mount -o remount,bind,exec {p} 2>/dev/null; cat {p}/seed > /dev/null 2>&1; \
         n=$((n+1)); done; echo opens-$n >&2) & done; wait'"
    );
    std::thread::scope(|s| {
        let flood = s.spawn(|| d.victim(&flooder, false).1);
        std::thread::sleep(Duration::from_millis(500));
        mount_and_wait(&mut j, &stick, &first);
        std::fs::write(first.join("seed"), b"seed").unwrap();
        std::fs::write(&go, b"").unwrap();
        std::thread::sleep(Duration::from_millis(500));
        let (_, err) = d.victim(
            &format!(
                "for i in $(seq 20); do t0=$(date +%s%N); echo x > {p}/ok$i || echo FAILED >&2; \
                 echo ms-$(( ($(date +%s%N) - t0) / 1000000 )) >&2; done"
            ),
            false,
        );
        let flood_err = flood.join().unwrap();
        let opens: u64 = flood_err
            .lines()
            .filter_map(|l| l.strip_prefix("opens-")?.parse::<u64>().ok())
            .sum();
        let worst = err
            .lines()
            .filter_map(|l| l.strip_prefix("ms-")?.parse::<u64>().ok())
            .max()
            .unwrap_or(u64::MAX);
        println!("flood: {opens} held opens; the official's 20 writes, the slowest {worst} ms");
        assert!(!err.contains("FAILED"), "{err}");
        assert!(opens > 16, "the flood did not run: {flood_err}");
        assert!(worst < 500, "a write waited {worst} ms behind the flood");
    });
    let records = j.query(&[
        id(MessageId::EnforcementState),
        m("AIRGAP_LAYER", "exec-noexec"),
        m("AIRGAP_DEV_NODE", &stick.path),
    ]);
    assert!(
        records.len() <= 12,
        "{} exec-noexec records for the flood",
        records.len()
    );
}

/// Nothing lost when every mount is gone before the register reads the file: copies made in
/// mount namespaces that end at once, and the last mount of the medium unmounted right after.
/// The event carries the file's name; the record keeps it even when the file can no longer be
/// opened (found by the run that measured the window above: 3 copies of 3 runs were recorded
/// as "(unknown path)").
#[test]
fn a_copy_is_named_even_when_no_mount_is_left() {
    if skip_unless_root() {
        return;
    }
    let (mut j, d, bench, stick) = start("mwgone", "MWGONE");
    mount_and_wait(&mut j, &stick, &bench.point("first"));
    let mut script = String::new();
    let names: Vec<String> = (0..8).map(|i| format!("gone{i}.txt")).collect();
    for (i, name) in names.iter().enumerate() {
        let p = bench.point(&format!("g{i}"));
        script += &format!(
            "unshare -m --propagation private sh -c 'mount {dev} {p} && echo copy > {p}/{name}'; ",
            dev = stick.path,
            p = p.display()
        );
    }
    let (_, err) = d.victim(&script, false);
    // At once: the register may not have read the copies yet.
    bench.unmount_all();
    assert!(!err.contains("rror"), "{err}");
    wait_registered(&bench, &names);
}
