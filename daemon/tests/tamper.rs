//! Issue 14, item 5: tampering by another process while the daemon runs is noticed within a
//! second, recorded at alert priority (what, from what, to what), repaired, and shown by
//! `airgapctl status`. Each attack is shown to open something first: the daemon is paused
//! (SIGSTOP, our own child) while the attack is made and a victim in the scope gets through;
//! once it runs again, the victim is refused again within a second.

mod common;

use std::collections::BTreeMap;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use airgapd::journal::MessageId;
use airgapd::links;
use airgapd::maps::ConfigMap;
use airgapd::network::filters;
use airgapd_ebpf::abi;
use aya::programs::TcAttachType;
use common::daemon::{entry, id, m, text, Daemon};
use common::journald::{skip_unless_root, PrivateJournald};
use nix::sys::signal::Signal;

const POLICY: &str = "[meta]\nid = \"tamper-test\"\nserial = 1\n[network]\nloopback = false\n\
                      [devices]\nloop = \"removable\"\n";
/// Refused only by the socket-creation layer (raw sockets are not seen by the address hooks);
/// creating it sends nothing.
const RAW_SOCKET: &str = "python3 -c 'import socket; \
                          socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)'";
/// Refused while the network mode is "none"; "Connection refused" in loopback mode.
const TCP_LOCAL: &str = "exec 3<>/dev/tcp/127.0.0.1/9";
/// Refused by the device layer (loop devices are removable media in this policy).
const OPEN_LOOP: &str = "exec 3</dev/loop0";
/// The repair must be seen within this long.
const WITHIN: Duration = Duration::from_secs(1);

fn bpftool(args: &[&str]) {
    let out = Command::new("bpftool").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "bpftool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn hex(bytes: &[u8]) -> Vec<String> {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn pin(d: &Daemon, name: &str) -> String {
    d.pin_dir.join(name).display().to_string()
}

fn refused(d: &Daemon, script: &str) -> bool {
    let (_, err) = d.victim(script, true);
    err.contains("Operation not permitted")
}

/// Pause the daemon, make the attack, show that it opened `victim`, let the daemon run again
/// and wait (bounded) until `victim` is refused again. Returns how long that took.
fn attack(d: &Daemon, victim: &str, tamper: impl FnOnce()) -> Duration {
    assert!(
        refused(d, victim),
        "the victim must be refused before the attack"
    );
    d.signal(Signal::SIGSTOP);
    tamper();
    let opened = !refused(d, victim);
    let t0 = Instant::now();
    d.signal(Signal::SIGCONT);
    assert!(
        opened,
        "the attack must open something for this test to mean anything"
    );
    loop {
        if refused(d, victim) {
            return t0.elapsed();
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "never repaired");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn tampering_is_noticed_recorded_and_repaired_within_a_second() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("tamper");
    let mut d = Daemon::new("tamper", j.socket(), Some(POLICY));
    d.start();
    let mut took = Vec::new();

    // 0. The refusal of bpf() on airgapd's objects is a layer like the other LSM ones: active
    //    where BPF LSM loads (the guest), else unavailable with the kernel's answer and what is
    //    left (this development kernel: found and repaired, as below). With it active the
    //    attacks below would be refused: docs/tampering.md, tests/vm lifecycle.
    let s = record_with(&d, |s| layer(s, "bpf-guard").is_some());
    let (state, detail) = layer(&s, "bpf-guard").expect("layer bpf-guard in the record");
    let e = entry(
        &mut j,
        &[
            id(MessageId::EnforcementState),
            m("AIRGAP_LAYER", "bpf-guard"),
        ],
    );
    match airgapd::bpf::Enforcer::probe_lsm() {
        Ok(()) => assert_eq!(state, "active", "{detail}"),
        Err(_) => {
            assert_eq!(state, "unavailable", "{s}");
            assert!(
                detail.contains("refused to load the BPF LSM program"),
                "{detail}"
            );
            assert!(detail.contains("repaired within 250 ms"), "{detail}");
            assert_eq!(text(&e, "AIRGAP_STATE"), "unavailable");
        }
    }

    // 1. A link detached (bpftool link detach).
    let sock_create = pin(&d, "link_airgap_sock_create");
    took.push(attack(&d, RAW_SOCKET, || {
        bpftool(&["link", "detach", "pinned", &sock_create])
    }));
    let e = entry(
        &mut j,
        &[
            id(MessageId::EnforcementTampered),
            m("AIRGAP_AFTER", "detached"),
        ],
    );
    assert_eq!(text(&e, "PRIORITY"), "1");
    assert_eq!(text(&e, "AIRGAP_OBJECT"), "link_airgap_sock_create");
    assert_eq!(text(&e, "AIRGAP_RESULT"), "success");
    let link = links::get(Path::new(&sock_create)).unwrap();
    let info = links::link_info(link.as_fd()).unwrap();
    assert_eq!(
        info.target,
        d.scope().id(),
        "a new link on the scope, pinned"
    );

    // 2. Another program swapped into the link (BPF_LINK_UPDATE by this process).
    let attacker = common::rawbpf::sock_create_returning(1, "attackr");
    took.push(attack(&d, RAW_SOCKET, || {
        links::update(link.as_fd(), attacker.as_fd()).unwrap()
    }));
    let e = entry(
        &mut j,
        &[
            id(MessageId::EnforcementTampered),
            m("AIRGAP_OBJECT", "link_airgap_sock_create"),
            m("AIRGAP_RESULT", "success"),
        ],
    );
    let after = text(&e, "AIRGAP_AFTER");
    let after = if after.contains("attackr") {
        after
    } else {
        // The detach record matched first; the swap's is the newest.
        let all = j.query(&[id(MessageId::EnforcementTampered)]);
        text(all.last().unwrap(), "AIRGAP_AFTER")
    };
    assert!(after.contains("another program \"attackr\""), "{after}");
    drop(attacker);

    // 3. The config map rewritten (bpftool map update): network mode "none" made "loopback".
    let config = pin(&d, "map_airgap_config");
    let mut value = ConfigMap::open_pinned(Path::new(&config))
        .unwrap()
        .read()
        .unwrap();
    assert_eq!(value.net_mode, abi::AIRGAP_NET_NONE);
    value.net_mode = abi::AIRGAP_NET_LOOPBACK;
    let mut bytes = Vec::new();
    bytes.extend(value.scope_cgroup_id.to_ne_bytes());
    bytes.extend(value.scope_level.to_ne_bytes());
    bytes.extend(value.net_mode.to_ne_bytes());
    bytes.extend(value.abi_version.to_ne_bytes());
    bytes.extend(value.trusted_tgid.to_ne_bytes());
    bytes.extend(value.trusted_cgroup_id.to_ne_bytes());
    bytes.extend(value.fold_ns.to_ne_bytes());
    took.push(attack(&d, TCP_LOCAL, || {
        let mut args = vec![
            "map", "update", "pinned", &config, "key", "hex", "00", "00", "00", "00", "value",
            "hex",
        ];
        let v = hex(&bytes);
        args.extend(v.iter().map(String::as_str));
        bpftool(&args);
    }));
    let e = entry(
        &mut j,
        &[
            id(MessageId::EnforcementTampered),
            m("AIRGAP_OBJECT", abi::MAP_CONFIG),
        ],
    );
    assert!(
        text(&e, "AIRGAP_BEFORE").contains("network no network"),
        "{e:?}"
    );
    assert!(
        text(&e, "AIRGAP_AFTER").contains("network loopback only"),
        "{e:?}"
    );

    // 4. The per-major index (issue 23) rewritten: every loop device readable and writable
    //    (block major 7's entry answers 0x7 without looking at any rule).
    let index = pin(&d, "map_airgap_dev_major");
    took.push(attack(&d, OPEN_LOOP, || {
        let key = hex(&7u32.to_ne_bytes());
        let value = hex(&(abi::AIRGAP_DEV_IDX_VALID | 7).to_ne_bytes());
        let mut args = vec!["map", "update", "pinned", &index, "key", "hex"];
        args.extend(key.iter().map(String::as_str));
        args.push("value");
        args.push("hex");
        args.extend(value.iter().map(String::as_str));
        bpftool(&args);
    }));
    let e = entry(
        &mut j,
        &[
            id(MessageId::EnforcementTampered),
            m("AIRGAP_OBJECT", "airgap_dev_major (1 entries)"),
        ],
    );
    assert_eq!(
        (text(&e, "AIRGAP_BEFORE"), text(&e, "AIRGAP_AFTER")),
        ("b 7:* = 0x80000000".into(), "b 7:* = 0x80000007".into())
    );

    // 4b. A device rule added for the same major: the index answers first, so it opens
    //     nothing; it is found and removed all the same.
    let rules = pin(&d, "map_airgap_dev_rules");
    let mut key = Vec::new();
    key.extend(abi::AIRGAP_DEV_BLOCK.to_ne_bytes());
    key.extend(7u32.to_ne_bytes());
    key.extend(abi::AIRGAP_DEV_ANY.to_ne_bytes());
    d.signal(Signal::SIGSTOP);
    let mut args = vec!["map", "update", "pinned", &rules, "key", "hex"];
    let k = hex(&key);
    args.extend(k.iter().map(String::as_str));
    args.extend(["value", "hex", "07", "00", "00", "00"]);
    bpftool(&args);
    let still_refused = refused(&d, OPEN_LOOP);
    let t0 = Instant::now();
    d.signal(Signal::SIGCONT);
    assert!(
        still_refused,
        "a rule the index does not point to opened a loop device"
    );
    let e = entry(
        &mut j,
        &[
            id(MessageId::EnforcementTampered),
            m("AIRGAP_OBJECT", "airgap_dev_rules b 7:*"),
        ],
    );
    took.push(t0.elapsed());
    assert_eq!(
        (text(&e, "AIRGAP_BEFORE"), text(&e, "AIRGAP_AFTER")),
        ("no rule".into(), "access 0x7".into())
    );

    // 5. A LAN trie entry added (all of IPv4). It counts only in the isolated-lan profile, so
    //    there is no victim here: noticed and removed.
    let peers = pin(&d, "map_airgap_lan_peers");
    let mut key = Vec::new();
    key.extend(96u32.to_ne_bytes());
    key.extend(std::net::Ipv4Addr::UNSPECIFIED.to_ipv6_mapped().octets());
    let t0 = Instant::now();
    let mut args = vec!["map", "update", "pinned", &peers, "key", "hex"];
    let k = hex(&key);
    args.extend(k.iter().map(String::as_str));
    args.extend(["value", "hex", "01", "00", "00", "00"]);
    bpftool(&args);
    let trie = airgapd::maps::LanTrie::open_pinned(Path::new(&peers), abi::MAP_LAN_PEERS).unwrap();
    while !trie.contents().is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(10), "never removed");
        std::thread::sleep(Duration::from_millis(10));
    }
    took.push(t0.elapsed());
    entry(
        &mut j,
        &[
            id(MessageId::EnforcementTampered),
            m("AIRGAP_OBJECT", "airgap_lan_peers 0.0.0.0/0"),
        ],
    );

    // 5b. A log host entry added (issue 21): TCP/UDP to 10.0.0.1:22 for the test's own
    //     cgroup over ifindex 1. The policy names none: noticed and removed.
    let log_host = pin(&d, "map_airgap_log_host");
    let mut value = Vec::new();
    value.extend(
        std::net::Ipv4Addr::new(10, 0, 0, 1)
            .to_ipv6_mapped()
            .octets(),
    );
    value.extend(airgapd::scope::own_cgroup_id().to_ne_bytes());
    value.extend(1u32.to_ne_bytes());
    value.extend(22u16.to_ne_bytes());
    value.extend(0u16.to_ne_bytes());
    let t0 = Instant::now();
    let mut args = vec!["map", "update", "pinned", &log_host, "key", "hex"];
    args.extend(["00", "00", "00", "00", "value", "hex"]);
    let v = hex(&value);
    args.extend(v.iter().map(String::as_str));
    bpftool(&args);
    let map = airgapd::maps::LogHostMap::open_pinned(Path::new(&log_host)).unwrap();
    assert!(map.get().is_some(), "the attack must write the entry");
    while map.get().is_some() {
        assert!(t0.elapsed() < Duration::from_secs(10), "never removed");
        std::thread::sleep(Duration::from_millis(10));
    }
    took.push(t0.elapsed());
    let e = entry(
        &mut j,
        &[
            id(MessageId::EnforcementTampered),
            m("AIRGAP_OBJECT", "airgap_log_host"),
        ],
    );
    assert_eq!(text(&e, "AIRGAP_BEFORE"), "no log host");
    assert!(
        text(&e, "AIRGAP_AFTER").starts_with("10.0.0.1:22 from cgroup "),
        "{e:?}"
    );

    // 6. A link unpinned (the daemon would detach it on its way out): pinned again.
    let dev = d.pin_dir.join("link_airgap_dev");
    let t0 = Instant::now();
    std::fs::remove_file(&dev).unwrap();
    while !dev.exists() {
        assert!(t0.elapsed() < Duration::from_secs(10), "never pinned again");
        std::thread::sleep(Duration::from_millis(10));
    }
    took.push(t0.elapsed());
    entry(
        &mut j,
        &[
            id(MessageId::EnforcementTampered),
            m("AIRGAP_OBJECT", "link_airgap_dev"),
            m("AIRGAP_AFTER", "unpinned"),
        ],
    );

    eprintln!("repaired after {took:?}");
    for t in &took {
        assert!(*t < WITHIN, "repairs took {took:?}");
    }

    // status shows them (root, from the kernel and the record; the daemon is not on D-Bus).
    // The daemon rewrites its record just after journaling the repair: ask again until the
    // last one is in, for at most five seconds (under the full suite's load one second was
    // once not enough; the repairs themselves are held to WITHIN above).
    let wanted = [
        "link_airgap_sock_create",
        abi::MAP_CONFIG,
        "airgap_dev_rules b 7:*",
        "airgap_lan_peers 0.0.0.0/0",
        "link_airgap_dev",
    ];
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let out = Command::new(env!("CARGO_BIN_EXE_airgapctl"))
            .args([
                "--bus-address",
                "unix:path=/nonexistent/x",
                "--json",
                "status",
                "--pin-dir",
            ])
            .arg(&d.pin_dir)
            .arg("--record")
            .arg(&d.record)
            .output()
            .unwrap();
        let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(s["verdict"], "yes", "{s}");
        let objects: Vec<String> = s["tampering"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["what"].as_str().unwrap().to_string())
            .collect();
        let missing: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|w| !objects.iter().any(|o| o == w))
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "{missing:?} not in {objects:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = link.as_raw_fd();
}

/// Two network namespaces this test makes, joined by a veth pair: `veth-a` in A (covered by
/// the daemon, which runs in A), `veth-b` in B (the peer that counts what arrives). Nothing
/// here reaches the machine's own interfaces; both namespaces go on drop.
struct Veth {
    a: String,
    b: String,
}

impl Veth {
    fn new(tag: &str) -> Veth {
        let pid = std::process::id();
        let v = Veth {
            a: format!("airgapd-{tag}a-{pid}"),
            b: format!("airgapd-{tag}b-{pid}"),
        };
        ip(&["netns", "add", &v.a]);
        ip(&["netns", "add", &v.b]);
        for ns in [&v.a, &v.b] {
            ip(&["-n", ns, "link", "set", "lo", "up"]);
            // No IPv6 autoconfiguration chatter: veth-b then counts only the test's frames.
            for key in ["all", "default"] {
                let set = format!("net.ipv6.conf.{key}.disable_ipv6=1");
                ip(&["netns", "exec", ns, "sysctl", "-q", "-w", &set]);
            }
        }
        ip(&[
            "-n", &v.a, "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b", "netns",
            &v.b,
        ]);
        ip(&["-n", &v.a, "link", "set", "veth-a", "up"]);
        ip(&["-n", &v.b, "link", "set", "veth-b", "up"]);
        v
    }

    fn path_a(&self) -> String {
        format!("/run/netns/{}", self.a)
    }

    /// Frames that arrived at veth-b.
    fn arrived(&self) -> u64 {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.b, "cat"])
            .arg("/sys/class/net/veth-b/statistics/rx_packets")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }

    /// Run `f` on a thread inside A.
    fn in_a<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        let ns = std::fs::File::open(self.path_a()).unwrap();
        std::thread::scope(|s| {
            s.spawn(move || {
                nix::sched::setns(ns, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
                f()
            })
            .join()
            .unwrap()
        })
    }
}

impl Drop for Veth {
    fn drop(&mut self) {
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Five raw Ethernet frames (local experimental ethertype) sent on veth-a by a process of the
/// scope, inside A: whether they were refused (ENOBUFS, none arrived) or all arrived.
fn frames_refused(d: &Daemon, v: &Veth) -> bool {
    let before = v.arrived();
    let script = format!(
        "exec nsenter --net={} python3 -c 'import socket\n\
         s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n\
         s.bind((\"veth-a\", 0))\n\
         f = b\"\\xff\" * 6 + b\"\\x02\\x00\\x00\\x00\\x00\\x01\\x88\\xb5\" + b\"airgapd\" * 8\n\
         for _ in range(5): s.send(f)'",
        v.path_a()
    );
    let (_, err) = d.victim(&script, false);
    let arrived = v.arrived() - before;
    if err.contains("No buffer space available") && arrived == 0 {
        return true;
    }
    assert!(err.is_empty() && arrived >= 5, "{arrived} arrived; {err}");
    false
}

/// A sched_cls program named "passer" that passes every frame (`r0 = 0`: TCX_PASS, and
/// TC_ACT_OK for a direct-action tc filter), loaded with raw bpf(2).
fn passer() -> OwnedFd {
    let insns: [u64; 2] = [0xb7, 0x95]; // r0 = 0; exit
    let license = c"GPL";
    let mut attr = [0u8; 128];
    attr[0..4].copy_from_slice(&3u32.to_ne_bytes()); // BPF_PROG_TYPE_SCHED_CLS
    attr[4..8].copy_from_slice(&2u32.to_ne_bytes());
    attr[8..16].copy_from_slice(&(insns.as_ptr() as u64).to_ne_bytes());
    attr[16..24].copy_from_slice(&(license.as_ptr() as u64).to_ne_bytes());
    attr[48..54].copy_from_slice(b"passer");
    // SAFETY: a zero-padded bpf_attr for BPF_PROG_LOAD (5) with valid pointers.
    let prog = unsafe { libc::syscall(libc::SYS_bpf, 5, attr.as_mut_ptr(), attr.len()) };
    assert!(
        prog >= 0,
        "BPF_PROG_LOAD: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: the kernel just returned this fd.
    unsafe { OwnedFd::from_raw_fd(prog as i32) }
}

/// [`passer`] put in front of every other program on veth-a's egress (TCX, BPF_F_BEFORE with
/// no relative program), as an attacker would. Returns its link (detached when dropped).
fn pass_all_in_front(v: &Veth) -> OwnedFd {
    let prog = passer();
    let link = v.in_a(|| {
        let ifindex = nix::net::if_::if_nametoindex("veth-a").unwrap();
        let mut attr = [0u8; 128];
        attr[0..4].copy_from_slice(&(prog.as_raw_fd() as u32).to_ne_bytes());
        attr[4..8].copy_from_slice(&ifindex.to_ne_bytes());
        let egress = links::AttachType::BPF_TCX_EGRESS as u32;
        attr[8..12].copy_from_slice(&egress.to_ne_bytes());
        // BPF_F_BEFORE, no relative program: first.
        attr[12..16].copy_from_slice(&(1u32 << 3).to_ne_bytes());
        // SAFETY: a zero-padded bpf_attr for BPF_LINK_CREATE (28).
        unsafe { libc::syscall(libc::SYS_bpf, 28, attr.as_mut_ptr(), attr.len()) }
    });
    assert!(
        link >= 0,
        "BPF_LINK_CREATE: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: as above.
    unsafe { OwnedFd::from_raw_fd(link as i32) }
}

/// Issue 14: the interface programs. Root detaching airgapd's TCX link from a covered
/// interface (bpftool), or putting a pass-everything program in front of it, is recorded at
/// alert priority with the interface, and repaired within a second: raw frames from the scope
/// are refused again, and airgapd's program is first on the interface.
#[test]
fn interface_programs_detached_or_overtaken_are_recorded_and_repaired() {
    if skip_unless_root() {
        return;
    }
    let v = Veth::new("tif");
    let mut j = PrivateJournald::start("tamper-if");
    let mut d = Daemon::new("tamper-if", j.socket(), Some(POLICY));
    d.netns = Some(v.path_a().into());
    d.extra_args = vec!["--bus".into(), "none".into(), "--cover-interfaces".into()];
    d.start();
    let egress = pin(&d, "link_airgap_wire_egress_veth-a");
    let t0 = Instant::now();
    while !Path::new(&egress).exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "veth-a never covered"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut took = Vec::new();
    let repaired = |d: &Daemon, j: &PrivateJournald| {
        let t0 = Instant::now();
        loop {
            if frames_refused(d, &v) {
                return t0.elapsed();
            }
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "never repaired; recorded: {:?}",
                j.query(&[id(MessageId::EnforcementTampered)])
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    assert!(frames_refused(&d, &v), "refused before any attack");

    // 1. airgapd's egress link detached with the real tool.
    d.signal(Signal::SIGSTOP);
    bpftool(&["link", "detach", "pinned", &egress]);
    let opened = !frames_refused(&d, &v);
    d.signal(Signal::SIGCONT);
    assert!(
        opened,
        "the detach must open veth-a for this test to mean anything"
    );
    took.push(repaired(&d, &j));
    let e = entry(
        &mut j,
        &[
            id(MessageId::EnforcementTampered),
            m("AIRGAP_INTERFACE", "veth-a"),
            m("AIRGAP_AFTER", "detached"),
        ],
    );
    assert_eq!(text(&e, "PRIORITY"), "1");
    assert_eq!(text(&e, "AIRGAP_OBJECT"), "link_airgap_wire_egress_veth-a");
    assert_eq!(text(&e, "AIRGAP_RESULT"), "success");

    // 2. A program put in front of airgapd's that passes every frame.
    d.signal(Signal::SIGSTOP);
    let intruder = pass_all_in_front(&v);
    let opened = !frames_refused(&d, &v);
    d.signal(Signal::SIGCONT);
    assert!(opened, "the program in front must open veth-a");
    took.push(repaired(&d, &j));
    let records = j.wait_until("the overtaking record", |j| {
        j.query(&[
            id(MessageId::EnforcementTampered),
            m("AIRGAP_INTERFACE", "veth-a"),
        ])
        .into_iter()
        .find(|e| text(e, "AIRGAP_AFTER").contains("passer"))
    });
    assert_eq!(text(&records, "PRIORITY"), "1");
    assert_eq!(text(&records, "AIRGAP_RESULT"), "success");
    assert!(
        text(&records, "AIRGAP_AFTER").contains("runs before it on veth-a egress"),
        "{records:?}"
    );
    // airgapd's pinned link is first on the interface; the intruder still runs, after it.
    let link = links::get(Path::new(&egress)).unwrap();
    let ours = links::link_info(link.as_fd()).unwrap().id;
    let theirs = links::link_info(intruder.as_fd()).unwrap().id;
    let chain = v.in_a(|| {
        let ifindex = nix::net::if_::if_nametoindex("veth-a").unwrap();
        links::tcx_chain(ifindex, links::AttachType::BPF_TCX_EGRESS).unwrap()
    });
    let order: Vec<u32> = chain.iter().map(|e| e.link_id).collect();
    assert_eq!(order, vec![ours, theirs], "{chain:?}");
    drop(link);
    drop(intruder);

    eprintln!("interface repairs after {took:?}");
    for t in &took {
        assert!(*t < WITHIN, "repairs took {took:?}");
    }

    // status (root, from the kernel and the record) keeps both, repaired.
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let out = Command::new(env!("CARGO_BIN_EXE_airgapctl"))
            .args([
                "--bus-address",
                "unix:path=/nonexistent/x",
                "--json",
                "status",
                "--pin-dir",
            ])
            .arg(&d.pin_dir)
            .arg("--record")
            .arg(&d.record)
            .output()
            .unwrap();
        let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(s["verdict"], "yes", "{s}");
        let n = s["tampering"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["what"] == "link_airgap_wire_egress_veth-a")
            .count();
        if n >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "{s}");
        std::thread::sleep(Duration::from_millis(50));
    }

    // 3. While no daemon runs: the ingress link detached, a pass-all program put in front of
    //    the egress one. `airgapctl status` from the kernel (in A, where the index names
    //    veth-a) says PARTIAL; the next daemon records both as changed while it was down,
    //    covers ingress with a new link (the dead one cannot take its program back) and puts
    //    egress first again.
    d.signal(Signal::SIGTERM);
    d.wait();
    let ingress = pin(&d, "link_airgap_wire_ingress_veth-a");
    bpftool(&["link", "detach", "pinned", &ingress]);
    let intruder = pass_all_in_front(&v);
    assert!(!frames_refused(&d, &v), "open with the daemon stopped");
    let out = Command::new("nsenter")
        .arg(format!("--net={}", v.path_a()))
        .arg(env!("CARGO_BIN_EXE_airgapctl"))
        .args([
            "--bus-address",
            "unix:path=/nonexistent/x",
            "--json",
            "status",
            "--pin-dir",
        ])
        .arg(&d.pin_dir)
        .arg("--record")
        .arg(&d.record)
        .output()
        .unwrap();
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["verdict"], "partial", "{s:#}");
    let problems = s["problems"].to_string();
    assert!(
        problems.contains("link_airgap_wire_ingress_veth-a: detached")
            && problems.contains("runs before it on veth-a"),
        "{problems}"
    );
    // The same problems in the reader's language (issue 14: they were English only).
    let out = Command::new("nsenter")
        .arg(format!("--net={}", v.path_a()))
        .arg(env!("CARGO_BIN_EXE_airgapctl"))
        .env("LANG", "vi_VN.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANGUAGE")
        .args([
            "--bus-address",
            "unix:path=/nonexistent/x",
            "--json",
            "status",
            "--pin-dir",
        ])
        .arg(&d.pin_dir)
        .arg("--record")
        .arg(&d.record)
        .output()
        .unwrap();
    let vi: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let problems = vi["problems"].to_string();
    assert!(
        problems.contains("link_airgap_wire_ingress_veth-a: đã bị tháo")
            && problems.contains("chạy trước nó trên veth-a"),
        "{problems}"
    );
    assert!(
        !problems.contains("detached") && !problems.contains("runs before it"),
        "{problems}"
    );
    d.start();
    let t0 = Instant::now();
    while !frames_refused(&d, &v) {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "veth-a not enforced again after the restart"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let link = links::get(Path::new(&ingress)).unwrap();
    assert_ne!(
        links::link_info(link.as_fd()).unwrap().target,
        0,
        "ingress covered again"
    );
    drop(link);
    drop(intruder);
    let down = j.wait_until("both changes recorded as made while down", |j| {
        let all = j.query(&[
            id(MessageId::EnforcementTampered),
            m("AIRGAP_OBJECT", "interface"),
        ]);
        let has = |s: &str| all.iter().any(|e| text(e, "AIRGAP_AFTER").contains(s));
        (has("link_airgap_wire_ingress_veth-a: detached") && has("runs before it on veth-a"))
            .then_some(all)
    });
    assert!(
        down.iter()
            .all(|e| text(e, "MESSAGE").contains("while airgapd was not running")),
        "{down:?}"
    );
    drop(d);
}

/// `tc ARGS` in namespace `ns`. Through nsenter, not `tc -n`, which remounts /sys (and so
/// hides bpffs, where the attacker's program is pinned).
/// What `bpftool net detach tcx_egress|tcx_ingress dev veth-a` does (bpftool 7.4 and later;
/// the 7.1 here detaches only XDP): BPF_PROG_DETACH on the interface with no program named,
/// inside A. The kernel's answer.
fn net_detach(v: &Veth, attach: links::AttachType) -> std::io::Result<()> {
    v.in_a(|| {
        let ifindex = nix::net::if_::if_nametoindex("veth-a").unwrap();
        // prog_detach: target_ifindex @0, attach_bpf_fd @4, attach_type @8, attach_flags @12.
        let mut attr = [0u8; 128];
        attr[0..4].copy_from_slice(&ifindex.to_ne_bytes());
        attr[8..12].copy_from_slice(&(attach as u32).to_ne_bytes());
        // SAFETY: a zero-padded bpf_attr for BPF_PROG_DETACH (9).
        let rc = unsafe { libc::syscall(libc::SYS_bpf, 9, attr.as_mut_ptr(), attr.len()) };
        if rc < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(())
        }
    })
}

/// Issue 14: `bpftool net detach` of an airgapd interface program. On a kernel with TCX the
/// kernel itself refuses to detach a program a link holds (EBUSY, measured on 6.18): nothing
/// opens, nothing needs repair, nothing is recorded. Should a kernel ever let it through, the
/// detach must be recorded and repaired like any other. (Kernels without TCX carry classic tc
/// filters, which `bpftool net detach` does not touch: `tc filter del` is the test below.)
#[test]
fn interface_program_net_detach_is_refused_or_recorded_and_repaired() {
    if skip_unless_root() {
        return;
    }
    let v = Veth::new("tnd");
    let mut j = PrivateJournald::start("tamper-nd");
    let mut d = Daemon::new("tamper-nd", j.socket(), Some(POLICY));
    d.netns = Some(v.path_a().into());
    d.extra_args = vec!["--bus".into(), "none".into(), "--cover-interfaces".into()];
    d.start();
    let egress = pin(&d, "link_airgap_wire_egress_veth-a");
    let t0 = Instant::now();
    while !Path::new(&egress).exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "veth-a never covered"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(frames_refused(&d, &v), "refused before any attack");
    for attach in [
        links::AttachType::BPF_TCX_EGRESS,
        links::AttachType::BPF_TCX_INGRESS,
    ] {
        d.signal(Signal::SIGSTOP);
        let answer = net_detach(&v, attach);
        let opened = !frames_refused(&d, &v);
        d.signal(Signal::SIGCONT);
        match answer {
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(libc::EBUSY), "{attach:?}: {e}");
                assert!(
                    !opened,
                    "{attach:?}: refused by the kernel, yet veth-a opened"
                );
                eprintln!("bpftool net detach {attach:?}: the kernel answers {e}");
            }
            Ok(()) => {
                assert!(opened, "{attach:?}: detached, yet veth-a stayed closed");
                let t0 = Instant::now();
                while !frames_refused(&d, &v) {
                    assert!(t0.elapsed() < WITHIN, "{attach:?}: not repaired within 1 s");
                    std::thread::sleep(Duration::from_millis(10));
                }
                let e = entry(
                    &mut j,
                    &[
                        id(MessageId::EnforcementTampered),
                        m("AIRGAP_INTERFACE", "veth-a"),
                        m("AIRGAP_RESULT", "success"),
                    ],
                );
                assert_eq!(text(&e, "PRIORITY"), "1");
            }
        }
    }
    // airgapd's programs are still first on both directions, and were never reported changed
    // when the kernel refused.
    for attach in [
        links::AttachType::BPF_TCX_EGRESS,
        links::AttachType::BPF_TCX_INGRESS,
    ] {
        let dir = if attach == links::AttachType::BPF_TCX_EGRESS {
            "egress"
        } else {
            "ingress"
        };
        let link = links::get(Path::new(&pin(
            &d,
            &format!("link_airgap_wire_{dir}_veth-a"),
        )))
        .unwrap();
        let ours = links::link_info(link.as_fd()).unwrap().id;
        let chain = v.in_a(|| {
            let ifindex = nix::net::if_::if_nametoindex("veth-a").unwrap();
            links::tcx_chain(ifindex, attach).unwrap()
        });
        assert_eq!(chain.first().map(|e| e.link_id), Some(ours), "{chain:?}");
    }
    assert!(frames_refused(&d, &v), "still refused at the end");
    drop(d);
}

/// `tc` in `ns`; whether it succeeded.
fn try_tc(ns: &str, args: &[&str]) -> bool {
    Command::new("nsenter")
        .arg(format!("--net=/run/netns/{ns}"))
        .arg("tc")
        .args(args)
        .output()
        .unwrap()
        .status
        .success()
}

fn tc(ns: &str, args: &[&str]) {
    let out = Command::new("nsenter")
        .arg(format!("--net=/run/netns/{ns}"))
        .arg("tc")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tc {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Pause the daemon, make the attack, show that raw frames from the scope now get through
/// veth-a, let the daemon run again, and return how long until they are refused again.
fn open_then_repaired(
    d: &Daemon,
    v: &Veth,
    j: &PrivateJournald,
    tamper: impl FnOnce(),
) -> Duration {
    assert!(frames_refused(d, v), "refused before the attack");
    d.signal(Signal::SIGSTOP);
    tamper();
    let opened = !frames_refused(d, v);
    d.signal(Signal::SIGCONT);
    assert!(
        opened,
        "the attack must open veth-a for this test to mean anything"
    );
    let t0 = Instant::now();
    loop {
        if frames_refused(d, v) {
            return t0.elapsed();
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "never repaired; recorded: {:?}",
            j.query(&[id(MessageId::EnforcementTampered)])
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The newest tamper record about `object` on veth-a whose AIRGAP_AFTER contains `after`.
fn tamper_record(
    j: &mut PrivateJournald,
    object: &str,
    after: &str,
) -> BTreeMap<String, serde_json::Value> {
    let what = format!("{object}: {after}");
    j.wait_until(&what, |j| {
        j.query(&[
            id(MessageId::EnforcementTampered),
            m("AIRGAP_OBJECT", object),
            m("AIRGAP_INTERFACE", "veth-a"),
        ])
        .into_iter()
        .rev()
        .find(|e| text(e, "AIRGAP_AFTER").contains(after))
    })
}

/// Issue 14 on kernels without TCX (Debian 12's 6.1), where the interface programs are classic
/// tc filters (forced here with --tc-filters): `tc filter del`, `tc qdisc del ... clsact` and a
/// pass-everything filter added in front of airgapd's (same pref: cls_bpf runs the newest
/// first) each open veth-a while the daemon is stopped; each is recorded at alert priority
/// with the interface and repaired within a second, airgapd's filter first again.
#[test]
fn interface_filters_removed_or_overtaken_are_recorded_and_repaired() {
    if skip_unless_root() {
        return;
    }
    let v = Veth::new("ttc");
    let mut j = PrivateJournald::start("tamper-tc");
    let mut d = Daemon::new("tamper-tc", j.socket(), Some(POLICY));
    d.netns = Some(v.path_a().into());
    d.extra_args = vec![
        "--bus".into(),
        "none".into(),
        "--cover-interfaces".into(),
        "--tc-filters".into(),
    ];
    d.start();
    let egress_filters = || {
        v.in_a(|| {
            let ifindex = nix::net::if_::if_nametoindex("veth-a").unwrap();
            filters::list(ifindex, TcAttachType::Egress).unwrap()
        })
    };
    let t0 = Instant::now();
    while egress_filters().is_empty() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "veth-a never covered"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let egress = "tc filter airgap_wire_egress on veth-a";
    let ingress = "tc filter airgap_wire_ingress on veth-a";
    let mut took = Vec::new();

    // 1. tc filter del dev veth-a egress.
    took.push(open_then_repaired(&d, &v, &j, || {
        tc(&v.a, &["filter", "del", "dev", "veth-a", "egress"])
    }));
    let e = tamper_record(&mut j, egress, "removed");
    assert_eq!(text(&e, "PRIORITY"), "1");
    assert_eq!(text(&e, "AIRGAP_RESULT"), "success");

    // 2. tc qdisc del dev veth-a clsact: both directions.
    took.push(open_then_repaired(&d, &v, &j, || {
        tc(&v.a, &["qdisc", "del", "dev", "veth-a", "clsact"])
    }));
    tamper_record(&mut j, ingress, "removed");

    // 3. A pass-everything filter added beside airgapd's at pref 1: cls_bpf runs it first.
    let pinned = d.bpffs.join("passer").display().to_string();
    let prog = passer();
    links::pin(prog.as_fd(), Path::new(&pinned)).unwrap();
    let added = std::panic::catch_unwind(|| {
        open_then_repaired(&d, &v, &j, || {
            tc(
                &v.a,
                &[
                    "filter",
                    "add",
                    "dev",
                    "veth-a",
                    "egress",
                    "pref",
                    "1",
                    "handle",
                    "2",
                    "bpf",
                    "da",
                    "object-pinned",
                    &pinned,
                ],
            )
        })
    });
    let _ = std::fs::remove_file(&pinned);
    took.push(added.unwrap());
    let e = tamper_record(&mut j, egress, "runs before it");
    assert!(text(&e, "AIRGAP_AFTER").contains("handle 0x2"), "{e:?}");
    assert_eq!(text(&e, "AIRGAP_RESULT"), "success");
    let now = egress_filters();
    assert_eq!(
        now.iter().map(|f| f.handle).collect::<Vec<_>>(),
        vec![1, 2],
        "airgapd's filter first, the other after it: {now:?}"
    );

    eprintln!("tc filter repairs after {took:?}");
    for t in &took {
        assert!(*t < WITHIN, "repairs took {took:?}");
    }

    // 4. clsact replaced by the old ingress qdisc: airgapd cannot put its egress filter back.
    //    That is recorded as a failure, the interface layer says so, and status is PARTIAL;
    //    once the ingress qdisc goes, the filters are back and status is YES again.
    //    The daemon may put clsact back between the two commands (its check runs every
    //    250 ms): then the ingress qdisc is refused ("exclusivity flag on"); try again.
    let replaced = (0..20).any(|_| {
        tc(&v.a, &["qdisc", "del", "dev", "veth-a", "clsact"]);
        try_tc(&v.a, &["qdisc", "add", "dev", "veth-a", "ingress"])
    });
    assert!(
        replaced,
        "clsact could not be replaced by the ingress qdisc"
    );
    let e = j.wait_until("a failed repair", |j| {
        j.query(&[
            id(MessageId::EnforcementTampered),
            m("AIRGAP_OBJECT", egress),
            m("AIRGAP_RESULT", "failure"),
        ])
        .into_iter()
        .next_back()
    });
    assert_eq!(text(&e, "AIRGAP_INTERFACE"), "veth-a");
    let layer = j.wait_until("the interface layer unavailable", |j| {
        j.query(&[
            id(MessageId::EnforcementState),
            m("AIRGAP_LAYER", "interface"),
            m("AIRGAP_STATE", "unavailable"),
        ])
        .into_iter()
        .next_back()
    });
    assert!(
        text(&layer, "MESSAGE").contains("veth-a egress"),
        "{layer:?}"
    );
    assert!(
        !frames_refused(&d, &v),
        "the egress filter really is missing"
    );
    let s = status(&d, |s| s["verdict"] == "partial");
    assert_eq!(s["verdict"], "partial", "{s:#}");
    tc(&v.a, &["qdisc", "del", "dev", "veth-a", "ingress"]);
    let t0 = Instant::now();
    while !frames_refused(&d, &v) {
        // The one-second bound is measured in steps 1-3; here only that it comes back.
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "not repaired once possible"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    j.wait_until("the interface layer active again", |j| {
        j.query(&[
            id(MessageId::EnforcementState),
            m("AIRGAP_LAYER", "interface"),
            m("AIRGAP_STATE", "active"),
        ])
        .into_iter()
        .find(|e| stamp(e) > stamp(&layer))
    });
    assert_eq!(status(&d, |s| s["verdict"] == "yes")["verdict"], "yes");

    // 5. While no daemon runs, the egress filter deleted: `airgapctl status` (root, in A, no
    //    daemon) reads the interface's filters itself, as the daemon does, and says PARTIAL,
    //    naming the interface and direction, in the reader's language. (Before, it read only
    //    TCX pins and said YES.) The next daemon records it as changed while it was down and
    //    puts the filter back.
    d.signal(Signal::SIGTERM);
    d.wait();
    tc(&v.a, &["filter", "del", "dev", "veth-a", "egress"]);
    assert!(!frames_refused(&d, &v), "open with the daemon stopped");
    let offline = |lang: &str| {
        let out = Command::new("nsenter")
            .arg(format!("--net={}", v.path_a()))
            .arg(env!("CARGO_BIN_EXE_airgapctl"))
            .env("LANG", lang)
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("LANGUAGE")
            .args([
                "--bus-address",
                "unix:path=/nonexistent/x",
                "--json",
                "status",
                "--pin-dir",
            ])
            .arg(&d.pin_dir)
            .arg("--record")
            .arg(&d.record)
            .output()
            .unwrap();
        let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        s
    };
    let s = offline("en_US.UTF-8");
    assert_eq!(s["verdict"], "partial", "{s:#}");
    let problems = s["problems"].to_string();
    assert!(
        problems.contains("veth-a egress: no airgapd filter (not enforcing)"),
        "{problems}"
    );
    assert!(!problems.contains("veth-a ingress"), "{problems}");
    let s = offline("vi_VN.UTF-8");
    assert!(
        s["problems"]
            .to_string()
            .contains("veth-a chiều ra: không có bộ lọc của airgapd"),
        "{s:#}"
    );
    d.start();
    let t0 = Instant::now();
    while !frames_refused(&d, &v) {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "veth-a not enforced again after the restart"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let down = j.wait_until("the filter deleted while down, recorded", |j| {
        j.query(&[
            id(MessageId::EnforcementTampered),
            m("AIRGAP_OBJECT", "interface"),
        ])
        .into_iter()
        .find(|e| text(e, "AIRGAP_AFTER").contains("veth-a egress: no airgapd filter"))
    });
    assert!(
        text(&down, "MESSAGE").contains("while airgapd was not running"),
        "{down:?}"
    );
    drop(d);
}

/// The (state, detail) of `name` in a status answer's layers.
fn layer(s: &serde_json::Value, name: &str) -> Option<(String, String)> {
    let l = s["layers"].as_array()?.iter().find(|l| l["name"] == name)?;
    Some((
        l["state"].as_str().unwrap_or_default().to_string(),
        l["detail"].as_str().unwrap_or_default().to_string(),
    ))
}

/// The daemon's enforcement record (what `airgapctl status` shows to those who cannot read
/// bpffs), read again for up to three seconds until `until` holds.
fn record_with(d: &Daemon, until: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let s: serde_json::Value = std::fs::read(&d.record)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        if until(&s) || Instant::now() > deadline {
            return s;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `airgapctl --json status` as root without the bus (from the kernel and the record), asked
/// again for up to three seconds until `until` holds (the record is rewritten after the
/// journal; the machine may be busy).
fn status(d: &Daemon, until: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let out = Command::new(env!("CARGO_BIN_EXE_airgapctl"))
            .args([
                "--bus-address",
                "unix:path=/nonexistent/x",
                "--json",
                "status",
                "--pin-dir",
            ])
            .arg(&d.pin_dir)
            .arg("--record")
            .arg(&d.record)
            .output()
            .unwrap();
        let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        if until(&s) || Instant::now() > deadline {
            return s;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stamp(e: &BTreeMap<String, serde_json::Value>) -> u64 {
    text(e, "__REALTIME_TIMESTAMP").parse().unwrap_or(0)
}
