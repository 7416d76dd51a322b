//! `airgap-register-bench [--runs N] [--big MIB] [--small COUNT] [--allow-exec] [--journald]
//! [--airgapd PATH]`: what the
//! copy register costs a person copying files to and from a medium.
//!
//! Two ext4 images on loop devices stand in for sticks, mounted in a private mount namespace
//! of this process, with `airgapd service` running: one approved read-write (its copies are
//! registered, the register file on the internal disk), one the policy does not name (a
//! scoped daemon leaves it alone: no register). Runs alternate between the two, so both see
//! the same machine: one big file (`cp`, then `cp` and `sync -f`), the big file read back to
//! the internal disk, many small files (`cp -r`, then with `sync -f`). Each copy runs in the
//! daemon's scope cgroup, as a user's would. Prints the median of N runs of each, the
//! overhead, and how long after `cp` returned the last file of it was in the register. With
//! `--journald` the daemon's records go to a private systemd-journald (as in production:
//! journald's own work is part of the cost); without, to nowhere.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use airgapd::register::file;
use airgapd::scope::Scope;
use airgapd::spawn::{self, SpawnOptions};
use airgapd_tests::bench_service::{flag, sibling_airgapd, BenchService};

struct Cleanup {
    dir: PathBuf,
    mounts: Vec<PathBuf>,
    loopdevs: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for m in &self.mounts {
            let _ = nix::mount::umount2(m, nix::mount::MntFlags::MNT_DETACH);
        }
        for l in &self.loopdevs {
            let _ = Command::new("losetup").args(["-d", l]).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An ext4 image of `mib` MiB labelled `label` in `images` (tmpfs: the medium's writes must
/// not share a disk with the register file, as a USB stick does not), attached and mounted at
/// `dir/name`.
fn medium(c: &mut Cleanup, images: &Path, name: &str, label: &str, mib: u64) -> PathBuf {
    let image = images.join(format!("{name}.img"));
    File::create(&image).unwrap().set_len(mib << 20).unwrap();
    run(
        "mkfs.ext4",
        &["-q", "-F", "-L", label, image.to_str().unwrap()],
    );
    let loopdev = run("losetup", &["--find", "--show", image.to_str().unwrap()]);
    c.loopdevs.push(loopdev.clone());
    let mnt = c.dir.join(name);
    std::fs::create_dir_all(&mnt).unwrap();
    nix::mount::mount(
        Some(loopdev.as_str()),
        &mnt,
        Some("ext4"),
        nix::mount::MsFlags::empty(),
        None::<&str>,
    )
    .expect("mounting the image");
    c.mounts.push(mnt.clone());
    mnt
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempfile_dir(parent: &Path) -> TempDir {
    let d = parent.join(format!("airgap-register-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}

/// A private systemd-journald (tests/journal/private-journald.sh), stopped on drop.
struct Journald {
    child: Child,
    dir: PathBuf,
}

impl Drop for Journald {
    fn drop(&mut self) {
        // Only the pid spawned: it is journald itself (every step of the script execs).
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn journald(dir: &Path) -> Journald {
    for sub in ["run", "log"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/journal/private-journald.sh");
    let child = Command::new("sh")
        .arg(script)
        .arg("journald")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting a private journald");
    let j = Journald {
        child,
        dir: dir.to_path_buf(),
    };
    let t0 = Instant::now();
    while !dir.join("run/socket").exists() {
        assert!(t0.elapsed() < Duration::from_secs(20), "no journald socket");
        std::thread::sleep(Duration::from_millis(20));
    }
    j
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().expect(cmd);
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Let the machine settle before a timed copy (writeback, journald, a register catching up
/// from the copy before), so no copy pays for the one before it.
const SETTLE: Duration = Duration::from_millis(300);

/// Run `script` with sh inside `scope`; its wall time.
fn timed(scope: &Scope, script: &str) -> Duration {
    std::thread::sleep(SETTLE);
    let mut cmd = Command::new("sh");
    cmd.args(["-c", script]);
    spawn::prepare(&mut cmd, scope, SpawnOptions::default()).unwrap();
    let t0 = Instant::now();
    let status = cmd.status().unwrap();
    let t = t0.elapsed();
    assert!(status.success(), "{script}");
    t
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Records in the register file (its lines: cheap enough to poll without slowing the daemon).
fn records(path: &Path) -> usize {
    std::fs::read(path).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
}

/// Wait until the register holds `n` records; how long that took.
fn registered(path: &Path, n: usize) -> Duration {
    let t0 = Instant::now();
    while records(path) < n {
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "register stuck at {} of {n}",
            records(path)
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    t0.elapsed()
}

/// One set of timings.
#[derive(Default)]
struct Times {
    big: Vec<Duration>,
    big_sync: Vec<Duration>,
    small: Vec<Duration>,
    small_sync: Vec<Duration>,
    read: Vec<Duration>,
    lag_big: Vec<Duration>,
    lag_small: Vec<Duration>,
    lag_read: Vec<Duration>,
}

struct Setup<'a> {
    scope: &'a Scope,
    mnt: &'a Path,
    big: &'a Path,
    small: &'a Path,
    back: &'a Path,
    count: usize,
    register: Option<&'a Path>,
}

fn round(s: &Setup<'_>, t: &mut Times) {
    let mnt = s.mnt.display();
    let (big, small, back) = (s.big.display(), s.small.display(), s.back.display());
    let clear = format!("rm -rf {mnt}/big {mnt}/small {back}; sync -f {mnt}");
    // Records before each copy, so the lag counts this copy's records only.
    let before = |n: usize| s.register.map_or(0, records) + n;
    let wait = |want: usize, into: &mut Vec<Duration>| {
        if let Some(reg) = s.register {
            into.push(registered(reg, want));
        }
    };
    timed(s.scope, &clear);
    let want = before(1);
    t.big.push(timed(s.scope, &format!("cp {big} {mnt}/big")));
    wait(want, &mut t.lag_big);
    timed(s.scope, &clear);
    let want = before(1);
    t.big_sync.push(timed(
        s.scope,
        &format!("cp {big} {mnt}/big && sync -f {mnt}"),
    ));
    wait(want, &mut t.lag_big);
    // Read back what is on the medium now.
    let want = before(1);
    t.read.push(timed(s.scope, &format!("cp {mnt}/big {back}")));
    wait(want, &mut t.lag_read);
    timed(s.scope, &clear);
    let want = before(s.count);
    t.small
        .push(timed(s.scope, &format!("cp -r {small} {mnt}/small")));
    wait(want, &mut t.lag_small);
    timed(s.scope, &clear);
    let want = before(s.count);
    t.small_sync.push(timed(
        s.scope,
        &format!("cp -r {small} {mnt}/small && sync -f {mnt}"),
    ));
    wait(want, &mut t.lag_small);
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let opt = |name: &str| flag(&args, name);
    let runs: usize = opt("--runs").map_or(7, |r| r.parse().expect("--runs N"));
    let big_mib: u64 = opt("--big").map_or(64, |r| r.parse().expect("--big MIB"));
    let count: usize = opt("--small").map_or(1000, |r| r.parse().expect("--small COUNT"));
    // The watched medium may run programs: no exec permission mark, no noexec (the register's
    // own cost, apart from the exec layer's).
    let allow_exec = args.iter().any(|a| a == "--allow-exec");
    let with_journald = args.iter().any(|a| a == "--journald");
    let airgapd = opt("--airgapd").map_or_else(sibling_airgapd, PathBuf::from);
    if !nix::unistd::geteuid().is_root() {
        eprintln!("airgap-register-bench: run as root (loop devices, mounts, airgapd)");
        return ExitCode::from(2);
    }
    // Mounts made here stay in this process's namespace and go with it.
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS).expect("unshare");
    nix::mount::mount(
        None::<&str>,
        "/",
        None::<&str>,
        nix::mount::MsFlags::MS_REC | nix::mount::MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .expect("making / private");

    let dir = std::env::temp_dir().join(format!("airgap-register-bench-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("small")).unwrap();
    let mut cleanup = Cleanup {
        dir: dir.clone(),
        mounts: Vec::new(),
        loopdevs: Vec::new(),
    };
    let big = dir.join("big.bin");
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut bytes = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect()
    };
    std::fs::write(&big, bytes(big_mib as usize * 1024 * 1024)).unwrap();
    for i in 0..count {
        std::fs::write(dir.join(format!("small/f{i}")), bytes(4096)).unwrap();
    }
    let size = big_mib * 3 + count as u64 / 64 + 64;
    let images = tempfile_dir(Path::new("/dev/shm"));
    let watched = medium(&mut cleanup, &images.0, "watched", "AIRGAPBENCH", size);
    let plain = medium(&mut cleanup, &images.0, "plain", "BENCHOTHER", size);
    // The big file read back lands here, on the internal disk.
    let back = dir.join("back.bin");

    let scope = Scope::create("regbench").unwrap();
    let small_dir = dir.join("small");
    let register = dir.join("register.jsonl");
    let journal = with_journald.then(|| journald(&dir.join("journal")));
    let socket = journal.as_ref().map_or_else(
        || PathBuf::from("/nonexistent"),
        |j| j.dir.join("run/socket"),
    );
    let service = BenchService::start(
        &airgapd,
        "regbench",
        &dir,
        &format!(
            "[devices]\nloop = \"removable\"\n[[media]]\nname = \"bench stick\"\n\
             fs_label = \"AIRGAPBENCH\"\naccess = \"read-write\"\nallow_exec = {allow_exec}\n"
        ),
        &scope,
        &socket,
        &["--register".as_ref(), register.as_os_str()],
        &[],
    );
    // Ready when a probe copy is in the register.
    let t0 = Instant::now();
    loop {
        timed(&scope, &format!("echo probe > {}/probe", watched.display()));
        if records(&register) > 0 {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "airgapd never registered a copy"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let setup = |mnt, register| Setup {
        scope: &scope,
        mnt,
        big: &big,
        small: &small_dir,
        back: &back,
        count,
        register,
    };
    let (off, on) = (
        setup(&plain, None),
        setup(&watched, Some(register.as_path())),
    );
    // Warm the caches, then alternate.
    round(&off, &mut Times::default());
    round(&on, &mut Times::default());
    let mut without = Times::default();
    let mut with = Times::default();
    for _ in 0..runs {
        round(&off, &mut without);
        round(&on, &mut with);
    }
    let lost: u64 = file::read(&register).unwrap().iter().map(|e| e.lost).sum();
    let failed = file::read(&register)
        .unwrap()
        .iter()
        .filter(|e| e.result != "success" && e.event != "lost")
        .count();
    let intact = file::verify(&register).is_ok();
    drop(service);
    drop(journal);
    drop(scope);
    drop(cleanup);
    drop(images);

    println!(
        "copy register cost, median of {runs} alternating runs ({big_mib} MiB file; {count} \
         files of 4 KiB; ext4 on loop devices; airgapd running; copies in its scope; records \
         to {})",
        if with_journald { "journald" } else { "nowhere" }
    );
    println!(
        "{:44} {:>10} {:>10} {:>9} {:>22}",
        "", "no register", "register", "overhead", "in the register after"
    );
    let line = |what: &str, a: &[Duration], b: &[Duration], lag: &[Duration]| {
        let (a, b) = (median(a.to_vec()), median(b.to_vec()));
        let lag = if lag.is_empty() {
            "-".to_string()
        } else {
            format!("{:.1} ms", ms(median(lag.to_vec())))
        };
        println!(
            "{what:44} {:>7.1} ms {:>7.1} ms {:>+8.1}% {lag:>22}",
            ms(a),
            ms(b),
            (ms(b) / ms(a) - 1.0) * 100.0
        );
    };
    line(
        "cp big file to medium",
        &without.big,
        &with.big,
        &with.lag_big,
    );
    line(
        "cp big file to medium + sync",
        &without.big_sync,
        &with.big_sync,
        &[],
    );
    line(
        &format!("cp -r {count} small files to medium"),
        &without.small,
        &with.small,
        &with.lag_small,
    );
    line(
        &format!("cp -r {count} small files + sync"),
        &without.small_sync,
        &with.small_sync,
        &[],
    );
    line(
        "cp big file from medium",
        &without.read,
        &with.read,
        &with.lag_read,
    );
    println!(
        "register: {} lost, {failed} not hashed, chain {}",
        lost,
        if intact { "intact" } else { "BROKEN" }
    );
    if lost == 0 && failed == 0 && intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
