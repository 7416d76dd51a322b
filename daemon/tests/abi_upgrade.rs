//! A package upgrade that changes the kernel ABI (`AIRGAP_ABI_VERSION`): the new daemon starts
//! over enforcement pinned by the old one. It must start, never leave the machine open while
//! it replaces the old programs, detach what only the old version had, and record it all.
//!
//! The old version is made from this one: its pinned config says the version before ours, and
//! a link of a program our object does not have (a cgroup/sock_create program refusing every
//! socket, as an old layer would) is pinned beside the others. Before the daemon replaced such
//! enforcement it refused to start ("lift it first"), leaving the old programs enforcing with
//! nothing recorded until a reboot.

mod common;

use std::io::BufRead;
use std::os::fd::AsFd;
use std::process::{Command, Stdio};

use airgapd::journal::MessageId;
use airgapd::links::{self, AttachType, Target};
use airgapd::maps::ConfigMap;
use airgapd::spawn::{self, SpawnOptions};
use airgapd_ebpf::abi;
use common::daemon::{entry, id, text, Daemon};
use common::journald::{skip_unless_root, PrivateJournald};

const LOOPBACK: &str = "[meta]\nid = \"abi-test\"\nserial = 3\n[network]\nloopback = true\n";
const TCP_LOCAL: &str = "exec 3<>/dev/tcp/127.0.0.1/9";
const TCP_REMOTE: &str = "exec 3<>/dev/tcp/93.184.216.34/443";
const STALE_PIN: &str = "link_airgap_sock_retired";

/// The programs each `link_*` pin runs, by pin.
fn link_programs(d: &Daemon) -> Vec<(String, u32)> {
    let mut out: Vec<(String, u32)> = std::fs::read_dir(&d.pin_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("link_"))
        .map(|n| {
            let link = links::get(&d.pin_dir.join(&n)).unwrap();
            (n, links::link_info(link.as_fd()).unwrap().prog_id)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_daemon_of_a_new_abi_replaces_the_old_enforcement_without_a_gap() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("abi");
    let mut d = Daemon::new("abi", j.socket(), Some(LOOPBACK));
    d.start();
    let (_, err) = d.victim(TCP_LOCAL, true);
    assert!(
        err.contains("Connection refused"),
        "loopback allowed: {err}"
    );

    // The old daemon stops (a package upgrade stops it); its pins keep enforcing.
    d.signal(nix::sys::signal::Signal::SIGTERM);
    d.wait();
    let config_pin = d.pin_dir.join(format!("map_{}", abi::MAP_CONFIG));
    let mut config = ConfigMap::open_pinned(&config_pin).unwrap();
    let mut old = config.read().unwrap();
    old.abi_version = abi::AIRGAP_ABI_VERSION - 1;
    config.write_raw(old).unwrap();
    drop(config);
    // A refusal while no daemon runs: the old programs put it in their ring buffer, unread.
    let (_, err) = d.victim(TCP_REMOTE, true);
    assert!(err.contains("Operation not permitted"), "no daemon: {err}");
    let stale = common::rawbpf::sock_create_returning(0, "sock_retired");
    let cgroup = std::fs::File::open(d.scope().path()).unwrap();
    let link = links::create(
        stale.as_fd(),
        Target::Cgroup(cgroup.as_fd()),
        AttachType::BPF_CGROUP_INET_SOCK_CREATE,
    )
    .unwrap();
    links::pin(link.as_fd(), &d.pin_dir.join(STALE_PIN)).unwrap();
    drop((link, stale));
    let (_, err) = d.victim(TCP_LOCAL, true);
    assert!(
        err.contains("Operation not permitted"),
        "the old version's extra layer refuses loopback too: {err}"
    );
    let before = link_programs(&d);

    // Remote connections, again and again, from before the new daemon starts until it is
    // ready: each must be refused (EPERM); a gap shows as ENETUNREACH (an empty namespace).
    let log = std::env::temp_dir().join(format!("abi-attempts-{}.log", std::process::id()));
    let mut cmd = Command::new("bash");
    cmd.args([
        "-c",
        &format!("while :; do ( {TCP_REMOTE} ) 2>&1 | tail -n1; sleep 0.01; done"),
    ])
    .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
    .stderr(Stdio::null());
    spawn::prepare(
        &mut cmd,
        d.scope(),
        SpawnOptions {
            new_netns: true,
            die_with_parent: true,
        },
    )
    .unwrap();
    let mut attempts = cmd.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));

    // The new daemon starts over it.
    d.start();
    std::thread::sleep(std::time::Duration::from_millis(300));
    attempts.kill().unwrap();
    attempts.wait().unwrap();
    let lines: Vec<String> = std::io::BufReader::new(std::fs::File::open(&log).unwrap())
        .lines()
        .map(Result::unwrap)
        .filter(|l| !l.is_empty())
        .collect();
    let _ = std::fs::remove_file(&log);
    assert!(lines.len() >= 10, "too few attempts: {lines:?}");
    let open: Vec<&String> = lines
        .iter()
        .filter(|l| !l.contains("Operation not permitted"))
        .collect();
    assert!(open.is_empty(), "not refused during the upgrade: {open:?}");

    // Recorded: from which version to which, what was detached, what was left unread.
    let up = entry(&mut j, &[id(MessageId::EnforcementUpgraded)]);
    assert_eq!(
        text(&up, "AIRGAP_BEFORE"),
        (abi::AIRGAP_ABI_VERSION - 1).to_string()
    );
    assert_eq!(
        text(&up, "AIRGAP_AFTER"),
        abi::AIRGAP_ABI_VERSION.to_string()
    );
    assert_eq!(text(&up, "AIRGAP_RESULT"), "success", "{up:?}");
    assert!(text(&up, "MESSAGE").contains(STALE_PIN), "{up:?}");
    let unread: u64 = text(&up, "AIRGAP_LOST").parse().unwrap();
    assert!(
        unread >= 1,
        "the refusal while no daemon ran was counted: {up:?}"
    );
    let machine = std::fs::read_to_string(&d.machine_record).unwrap();
    assert!(
        machine.lines().any(|l| l.contains("\"event\":\"upgrade\"")),
        "{machine}"
    );

    // The new programs run in every link the old daemon pinned; the old extra layer is gone.
    let after = link_programs(&d);
    assert!(!d.pin_dir.join(STALE_PIN).exists());
    for (pin, prog) in &before {
        if pin == STALE_PIN {
            continue;
        }
        let now = after.iter().find(|(p, _)| p == pin);
        assert!(
            now.is_some_and(|(_, p)| p != prog),
            "{pin} still runs program {prog}: {after:?}"
        );
    }
    let config = ConfigMap::open_pinned(&config_pin).unwrap().read().unwrap();
    assert_eq!(config.abi_version, abi::AIRGAP_ABI_VERSION);
    let (_, err) = d.victim(TCP_LOCAL, true);
    assert!(err.contains("Connection refused"), "loopback again: {err}");
    let (_, err) = d.victim(TCP_REMOTE, true);
    assert!(err.contains("Operation not permitted"), "remote: {err}");
}
