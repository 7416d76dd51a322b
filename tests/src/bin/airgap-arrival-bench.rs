//! `airgap-arrival-bench [--runs N] [--airgapd PATH]`: how long an approved medium waits for
//! its grant. Starts `airgapd service` in a cgroup of its own, then attaches an approved ext4
//! image to a loop device N times (LOOP_SET_FD, whose "change" uevent the daemon judges) and
//! measures from just before the ioctl to the moment the grant is in the kernel map (polled in
//! the pinned map). Twice, in one run: on a quiet daemon, then while another medium stalls (a
//! loop device over a FUSE file whose reads are never answered: its probe is stuck in the
//! kernel and its deadline pending; a slow medium must not delay a fast one). Prints p50, p99
//! and max of each. Goals: p99 under 5 ms (issue 4), under 1 ms with the stall (issue 23).

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use aya::maps::{HashMap, Map, MapData};

use airgapd::scope::Scope;
use airgapd_ebpf::abi;
use airgapd_tests::bench_service::{flag, sibling_airgapd, BenchService};
use airgapd_tests::stallfs::StallFs;

const LOOP_SET_FD: libc::c_ulong = 0x4C00;
const LOOP_CLR_FD: libc::c_ulong = 0x4C01;
const LOOP_CTL_GET_FREE: libc::c_ulong = 0x4C82;

/// How often the grant map is looked at (with a timer slack of 1 ns: the resolution).
const POLL: Duration = Duration::from_micros(20);

/// Between one arrival's departure and the next arrival.
const SETTLE: Duration = Duration::from_millis(10);

fn run(cmd: &str, args: &[&str]) {
    let ok = Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success());
    assert_eq!(ok.ok(), Some(true), "{cmd} {args:?}");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let opt = |name: &str| flag(&args, name);
    let runs: usize = opt("--runs").map_or(200, |r| r.parse().expect("--runs N"));
    let airgapd = opt("--airgapd").map_or_else(sibling_airgapd, PathBuf::from);
    if !nix::unistd::geteuid().is_root() {
        eprintln!(
            "airgap-arrival-bench: run as root (it starts airgapd and attaches loop devices)"
        );
        return ExitCode::from(2);
    }

    // SAFETY: prctl on this thread; the sleeps between polls end when asked, not up to
    // 50 µs later.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1) };
    let dir = std::env::temp_dir().join(format!("airgap-arrival-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let image = dir.join("stick.img");
    File::create(&image).unwrap().set_len(8 << 20).unwrap();
    run(
        "mkfs.ext4",
        &["-q", "-F", "-L", "AIRGAPBENCH", image.to_str().unwrap()],
    );
    let scope = Scope::create("arrival").unwrap();
    let service = BenchService::start(
        &airgapd,
        "arrival",
        &dir,
        "[devices]\nloop = \"removable\"\n[[media]]\nname = \"bench stick\"\nfs_label = \"AIRGAPBENCH\"\naccess = \"read-only\"\n",
        &scope,
        Path::new("/nonexistent"),
        &[],
        &[],
    );
    let pin_dir = service.pin_dir.clone();

    // The grant map, as the daemon pinned it.
    let map_path = pin_dir.join(format!("map_{}", abi::MAP_DEV_RULES));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !map_path.exists() {
        assert!(Instant::now() < deadline, "airgapd did not pin its maps");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300)); // let it finish its start-up scan
    let rules: HashMap<MapData, abi::airgap_dev_key, u32> =
        HashMap::try_from(Map::HashMap(MapData::from_pin(&map_path).unwrap())).unwrap();

    let control = File::open("/dev/loop-control").unwrap();
    // SAFETY: ioctl on our fd; returns a free loop index.
    let n = unsafe { libc::ioctl(control.as_raw_fd(), LOOP_CTL_GET_FREE) };
    assert!(n >= 0, "no free loop device");
    let node = format!("/dev/loop{n}");
    // Opened per ioctl: LOOP_CLR_FD on a device still open is deferred to its last close.
    let open = || OpenOptions::new().read(true).open(&node).unwrap();
    let backing = File::open(&image).unwrap();
    let key = abi::airgap_dev_key {
        type_: abi::AIRGAP_DEV_BLOCK,
        major: 7,
        minor: n as u32,
    };

    // Returns when the ioctl was made.
    let attach = || {
        let lo = open();
        let t0 = Instant::now();
        // SAFETY: attach our image to our loop device.
        assert_eq!(
            unsafe { libc::ioctl(lo.as_raw_fd(), LOOP_SET_FD, backing.as_raw_fd()) },
            0
        );
        t0
    };
    let granted = || rules.get(&key, 0).is_ok();
    let detach = || {
        let lo = open();
        // SAFETY: detach it again (done at this close), then wait for the grant to go.
        assert_eq!(unsafe { libc::ioctl(lo.as_raw_fd(), LOOP_CLR_FD, 0) }, 0);
        drop(lo);
        let limit = Instant::now() + Duration::from_secs(2);
        while granted() {
            assert!(Instant::now() < limit, "grant not withdrawn within 2 s");
            std::thread::sleep(Duration::from_micros(200));
        }
    };
    let arrivals = |runs: usize| -> Vec<Duration> {
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t0 = attach();
            let limit = t0 + Duration::from_secs(2);
            while !granted() {
                assert!(Instant::now() < limit, "no grant within 2 s");
                // Not a spin: on two CPUs a spinning bench takes one from the daemon's
                // threads (its loop, the uevent reader, the probe) and measures their queue.
                std::thread::sleep(POLL);
            }
            samples.push(t0.elapsed());
            detach();
            // The detach makes several uevents and the first withdraws the grant: the others
            // are let through before the next arrival, which would otherwise be measured
            // queued behind them.
            std::thread::sleep(SETTLE);
        }
        samples.sort();
        samples
    };

    let quiet = arrivals(runs);
    // Another medium arrives and never answers: the daemon's probe of it blocks in the kernel
    // until the deadline (5 s) refuses it. The arrivals run while it waits. Made while our
    // loop device is attached, so that it takes another one.
    attach();
    let stall = StallFs::new("arrival-bench");
    detach();
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    let stalled = arrivals(runs);
    let during = t.elapsed() + Duration::from_millis(200);
    let deadline = airgapd::devices::prober::PROBE_DEADLINE;
    drop(stall);
    drop(service);
    drop(scope);
    let _ = std::fs::remove_dir_all(&dir);

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let line = |what: &str, samples: &[Duration]| {
        println!(
            "{what}, {runs} runs: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            ms(percentile(samples, 0.5)),
            ms(percentile(samples, 0.99)),
            ms(*samples.last().unwrap())
        )
    };
    println!("arrival → grant in the kernel map (goals: p99 < 5 ms; < 1 ms with a stall)");
    line("  quiet", &quiet);
    line("  while another medium stalls", &stalled);
    if during >= deadline {
        println!(
            "  (the stall's deadline passed {:.1} s into those runs: fewer --runs keep it pending)",
            deadline.as_secs_f64()
        );
    }
    let p99 = percentile(&quiet, 0.99).max(percentile(&stalled, 0.99));
    if p99 < Duration::from_millis(5) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
