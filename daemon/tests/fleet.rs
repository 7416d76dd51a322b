//! Issue 21, end to end with the real parts: `airgapctl fleet host-setup --root` makes the
//! certificates, the real `systemd-journal-remote` serves HTTPS in a log host namespace, and
//! a PC namespace runs a scoped `airgapd service` (isolated-lan profile, log host named,
//! interfaces covered) writing to a private journald, whose files the real
//! `systemd-journal-upload` pushes from the upload cgroup the policy names.
//!
//! ```text
//!  P (pc-01: airgapd, journal-upload)        L (log host: journal-remote)
//!  veth-a 192.168.50.1/24   <----------->  veth-b 192.168.50.2/24
//! ```
//!
//! Nothing here can leave the machine: P and L have no interface but this pair and lo.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use airgapd::scope::Scope;
use airgapd::spawn::{self, SpawnOptions};
use common::daemon::Daemon;
use common::journald::{entries_of, skip_unless_root, PrivateJournald};
use serde_json::Value;

const AIRGAPCTL: &str = env!("CARGO_BIN_EXE_airgapctl");
const REMOTE: &str = "/lib/systemd/systemd-journal-remote";
const UPLOAD: &str = "/lib/systemd/systemd-journal-upload";
const LAN_MAC: &str = "02:00:00:00:21:01";
/// The second PC's LAN card.
const LAN_MAC2: &str = "02:00:00:00:21:03";
const LOG_HOST: &str = "192.168.50.2";

fn policy() -> String {
    policy_on(LAN_MAC)
}

fn policy_on(mac: &str) -> String {
    format!(
        "[network]\nprofile = \"isolated-lan\"\n\
         [[network.lan]]\nname = \"office\"\ninterface_mac = \"{mac}\"\n\
         subnets = [\"192.168.50.0/24\"]\n\
         [network.log_host]\naddress = \"{LOG_HOST}\"\ncgroup = \"upload\"\n"
    )
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The two namespaces, deleted on drop.
struct Net {
    pc: String,
    pc2: String,
    host: String,
}

impl Net {
    /// P (pc-01, 192.168.50.1) and P2 (pc-02, 192.168.50.3) joined to L's bridge, which has
    /// 192.168.50.2.
    fn new() -> Net {
        let pid = std::process::id();
        let net = Net {
            pc: format!("airgapd-fleetp-{pid}"),
            pc2: format!("airgapd-fleetq-{pid}"),
            host: format!("airgapd-fleetl-{pid}"),
        };
        for ns in [&net.pc, &net.pc2, &net.host] {
            ip(&["netns", "add", ns]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
            for key in ["all", "default"] {
                let set = format!("net.ipv6.conf.{key}.disable_ipv6=1");
                ip(&["netns", "exec", ns, "sysctl", "-q", "-w", &set]);
            }
        }
        ip(&["-n", &net.host, "link", "add", "br0", "type", "bridge"]);
        ip(&[
            "-n",
            &net.host,
            "addr",
            "add",
            "192.168.50.2/24",
            "dev",
            "br0",
        ]);
        ip(&["-n", &net.host, "link", "set", "br0", "up"]);
        for (ns, mac, addr, port) in [
            (&net.pc, LAN_MAC, "192.168.50.1/24", "veth-b"),
            (&net.pc2, LAN_MAC2, "192.168.50.3/24", "veth-c"),
        ] {
            ip(&[
                "-n", ns, "link", "add", "veth-a", "address", mac, "type", "veth", "peer", "name",
                port, "netns", &net.host,
            ]);
            ip(&["-n", ns, "addr", "add", addr, "dev", "veth-a"]);
            ip(&["-n", ns, "link", "set", "veth-a", "up"]);
            ip(&["-n", &net.host, "link", "set", port, "master", "br0"]);
            ip(&["-n", &net.host, "link", "set", port, "up"]);
        }
        net
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for ns in [&self.pc, &self.pc2, &self.host] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// journal-remote in L, killed by pid on drop.
struct Remote(Child);

impl Remote {
    fn start(net: &Net, host_root: &Path, out: &Path, log: &Path) -> Remote {
        let ssl = host_root.join("etc/ssl");
        let child = Command::new("ip")
            .args(["netns", "exec", &net.host, REMOTE])
            .arg(format!("--listen-https={LOG_HOST}:19532"))
            .arg(format!(
                "--key={}",
                ssl.join("private/journal-remote.pem").display()
            ))
            .arg(format!(
                "--cert={}",
                ssl.join("certs/journal-remote.pem").display()
            ))
            .arg(format!("--output={}/", out.display()))
            .arg("--split-mode=host")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        // Listening once a TCP connect from L itself succeeds (bounded).
        let t0 = Instant::now();
        while !Command::new("ip")
            .args(["netns", "exec", &net.host, "bash", "-c"])
            .arg(format!("exec 3<>/dev/tcp/{LOG_HOST}/19532"))
            .status()
            .unwrap()
            .success()
        {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "journal-remote never listened"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Remote(child)
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Run journal-upload in P, in `scope`, over the PC's journal directory; its exit status and
/// stderr.
fn upload(
    ns: &str,
    scope: &Scope,
    pc_root: &Path,
    journal: &Path,
    url: &str,
    state: &Path,
) -> (bool, String) {
    let ssl = pc_root.join("etc/ssl");
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns, UPLOAD])
        .arg(format!("--url={url}"))
        .arg(format!(
            "--key={}",
            ssl.join("private/journal-upload.pem").display()
        ))
        .arg(format!(
            "--cert={}",
            ssl.join("certs/journal-upload.pem").display()
        ))
        .arg(format!("--trust={}", ssl.join("ca/trusted.pem").display()))
        .arg(format!("--directory={}", journal.display()))
        .arg(format!("--save-state={}", state.display()))
        .arg("--follow=no")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    spawn::prepare(
        &mut cmd,
        scope,
        SpawnOptions {
            new_netns: false,
            die_with_parent: true,
        },
    )
    .unwrap();
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Entries of the journal files under `dir` matching `matches`.
fn entries(dir: &Path, matches: &[String]) -> Vec<BTreeMap<String, Value>> {
    entries_of(format!("--directory={}", dir.display()), matches)
}

/// A process of the scope (not the upload) connecting to the log host's port: refused; its
/// pid.
fn violate(d: &Daemon, ns: &str) -> u32 {
    let (pid, err) = d.victim(
        &format!("exec ip netns exec {ns} bash -c 'exec 3<>/dev/tcp/{LOG_HOST}/19532'"),
        false,
    );
    assert!(err.contains("Operation not permitted"), "{err}");
    pid
}

fn refusals_of(dir: &Path, pid: u32) -> usize {
    refusals_in(format!("--directory={}", dir.display()), pid)
}

/// [`refusals_of`] in the journal files `what` names.
fn refusals_in(what: String, pid: u32) -> usize {
    entries_of(
        what,
        &[
            "AIRGAP_KIND=net.connect".into(),
            format!("AIRGAP_PID={pid}"),
            format!("AIRGAP_ADDRESS={LOG_HOST}"),
        ],
    )
    .len()
}

/// The upload cgroup, removed on drop (before the daemon's scope, declared earlier).
struct Rmdir(PathBuf);

impl Rmdir {
    fn make(path: PathBuf) -> Rmdir {
        std::fs::create_dir(&path).unwrap();
        Rmdir(path)
    }
}

impl Drop for Rmdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// Waits (bounded) until `f` holds.
fn wait(what: &str, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < Duration::from_secs(20), "timed out: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn records_reach_the_log_host_only_through_the_upload_service() {
    if skip_unless_root() {
        return;
    }
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("fleet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (host_root, pc_root, remote_out) = (dir.join("host"), dir.join("pc"), dir.join("remote"));
    std::fs::create_dir_all(&remote_out).unwrap();
    let net = Net::new();

    // The sysadmin's commands, under roots.
    let status = Command::new(AIRGAPCTL)
        .args([
            "fleet",
            "host-setup",
            "--address",
            LOG_HOST,
            "--name",
            "loghost",
            "--pc",
            "pc-01",
            "--pc",
            "pc-02",
            "--root",
        ])
        .arg(&host_root)
        .status()
        .unwrap();
    assert!(status.success());
    let setup_pc = |root: &Path, name: &str, mac: &str| {
        let pcs = host_root.join("etc/airgapd/fleet/pcs").join(name);
        std::fs::create_dir_all(root.join("etc/airgapd")).unwrap();
        std::fs::write(root.join("etc/airgapd/policy.toml"), policy_on(mac)).unwrap();
        let status = Command::new(AIRGAPCTL)
            .args(["fleet", "pc-setup", "--cert"])
            .arg(pcs.join(format!("{name}.pem")))
            .arg("--key")
            .arg(pcs.join(format!("{name}.key")))
            .arg("--ca")
            .arg(host_root.join("etc/airgapd/fleet/ca.pem"))
            .arg("--root")
            .arg(root)
            .status()
            .unwrap();
        assert!(status.success(), "pc-setup of {name}");
    };
    let pc2_root = dir.join("pc2");
    setup_pc(&pc_root, "pc-01", LAN_MAC);
    setup_pc(&pc2_root, "pc-02", LAN_MAC2);
    let conf = std::fs::read_to_string(pc_root.join("etc/systemd/journal-upload.conf")).unwrap();
    assert!(conf.contains("URL=https://192.168.50.2:19532"), "{conf}");

    let remote_log = dir.join("remote.log");
    let mut remote = Some(Remote::start(&net, &host_root, &remote_out, &remote_log));

    // pc-01: the daemon in P, its records in a private journal.
    let mut j = PrivateJournald::start("fleet");
    let mut d = Daemon::new("fleet", j.socket(), Some(&policy()));
    d.netns = Some(format!("/run/netns/{}", net.pc).into());
    d.extra_args = vec!["--bus".into(), "none".into(), "--cover-interfaces".into()];
    d.start();
    let upload_dir = Rmdir::make(d.scope().path().join("upload"));
    let up = Scope::at(upload_dir.0.clone()).unwrap();
    let state = dir.join("upload.state");
    let url = format!("https://{LOG_HOST}:19532");

    // A violation on the PC, in its journal.
    let first = violate(&d, &net.pc);
    j.wait_until("the first refusal in the PC's journal", |j| {
        j.journal_dir().filter(|p| refusals_of(p, first) == 1)
    });
    let journal = j.journal_dir().unwrap();

    // The upload from a process of the scope that is not in the upload cgroup: refused.
    let (ok, err) = upload(
        &net.pc,
        d.scope(),
        &pc_root,
        &journal,
        &url,
        &dir.join("stray.state"),
    );
    assert!(
        !ok,
        "an upload outside the upload cgroup went through: {err}"
    );
    j.wait_until("the stray upload's refusal", |j| {
        let found = entries(
            &j.journal_dir()?,
            &[
                "AIRGAP_KIND=net.connect".into(),
                "AIRGAP_PORT=19532".into(),
                "AIRGAP_COMM=systemd-journal".into(),
            ],
        );
        (!found.is_empty()).then_some(())
    });
    // The upload cgroup to another port of the log host: refused too.
    let (ok, _) = upload(
        &net.pc,
        &up,
        &pc_root,
        &journal,
        &format!("https://{LOG_HOST}:7000"),
        &dir.join("port.state"),
    );
    assert!(!ok, "the upload reached another port");
    j.wait_until("the refusal of the other port", |j| {
        let found = entries(
            &j.journal_dir()?,
            &["AIRGAP_KIND=net.connect".into(), "AIRGAP_PORT=7000".into()],
        );
        (!found.is_empty()).then_some(())
    });
    assert_eq!(
        refusals_of(&remote_out, first),
        0,
        "nothing arrived by a refused way"
    );

    // The upload service: the record arrives, once.
    let (ok, err) = upload(&net.pc, &up, &pc_root, &journal, &url, &state);
    assert!(
        ok,
        "the upload failed: {err}\n{}",
        std::fs::read_to_string(&remote_log).unwrap_or_default()
    );
    wait("the first refusal on the log host", || {
        refusals_of(&remote_out, first) == 1
    });
    let files: Vec<String> = std::fs::read_dir(&remote_out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("remote-") && f.ends_with(".journal")),
        "{files:?}"
    );

    // The log host down: the next record stays on the PC; back up, everything arrives once.
    drop(remote.take());
    let second = violate(&d, &net.pc);
    j.wait_until("the second refusal in the PC's journal", |j| {
        j.journal_dir().filter(|p| refusals_of(p, second) == 1)
    });
    let (ok, _) = upload(&net.pc, &up, &pc_root, &journal, &url, &state);
    assert!(!ok, "an upload to a log host that is down succeeded");
    let _remote = Remote::start(&net, &host_root, &remote_out, &remote_log);
    let (ok, err) = upload(&net.pc, &up, &pc_root, &journal, &url, &state);
    assert!(ok, "the upload after the outage failed: {err}");
    wait("the second refusal on the log host", || {
        refusals_of(&remote_out, second) == 1
    });
    assert_eq!(
        refusals_of(&remote_out, first),
        1,
        "the first record arrived twice"
    );

    // pc-02: its own daemon, journal and upload; its refusal arrives in its own file set.
    let mut j2 = PrivateJournald::start("fleet2");
    let mut d2 = Daemon::new("fleet2", j2.socket(), Some(&policy_on(LAN_MAC2)));
    d2.netns = Some(format!("/run/netns/{}", net.pc2).into());
    d2.extra_args = vec!["--bus".into(), "none".into(), "--cover-interfaces".into()];
    d2.start();
    let upload2 = Rmdir::make(d2.scope().path().join("upload"));
    let up2 = Scope::at(upload2.0.clone()).unwrap();
    let third = violate(&d2, &net.pc2);
    j2.wait_until("pc-02's refusal in its journal", |j| {
        j.journal_dir().filter(|p| refusals_of(p, third) == 1)
    });
    let journal2 = j2.journal_dir().unwrap();
    let (ok, err) = upload(
        &net.pc2,
        &up2,
        &pc2_root,
        &journal2,
        &url,
        &dir.join("upload2.state"),
    );
    assert!(ok, "pc-02's upload failed: {err}");
    let file_of = |addr: &str| {
        format!(
            "--file={}",
            remote_out.join(format!("remote-{addr}.journal")).display()
        )
    };
    wait("pc-02's refusal on the log host", || {
        refusals_in(file_of("192.168.50.3"), third) == 1
    });
    assert_eq!(
        refusals_in(file_of("192.168.50.1"), third),
        0,
        "in pc-01's file"
    );
    assert_eq!(
        refusals_in(file_of("192.168.50.3"), first),
        0,
        "in pc-02's file"
    );

    // The officer's view on the log host: each PC (named by its address) with its refusals; a
    // third PC expected but never set up is a finding, and only it.
    let inspect = |expect: &[&str]| {
        let mut cmd = Command::new(AIRGAPCTL);
        cmd.args(["--json", "inspect", "--journal-dir"])
            .arg(&remote_out);
        for e in expect {
            cmd.args(["--expect", e]);
        }
        let out = cmd.output().unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), report)
    };
    let (code, report) = inspect(&["192.168.50.1", "192.168.50.3", "192.168.50.4"]);
    assert_eq!(code, Some(3), "{report}");
    assert_eq!(
        report["missing"],
        serde_json::json!(["192.168.50.4"]),
        "{report}"
    );
    let pc = &report["machines"][0];
    assert_eq!(pc["name"], "192.168.50.1", "{report}");
    assert!(pc["refusals"].as_u64().unwrap() >= 2, "{report}");
    assert_eq!(pc["silent"], false, "{report}");
    // Its identity as its journald wrote it, carried by journal-upload: what `report merge`
    // matches a report by.
    let ids = pc["machine_ids"].as_array().unwrap();
    assert!(
        ids.len() == 1 && ids[0].as_str().unwrap().len() == 32,
        "{report}"
    );
    assert!(
        report["silent_after"]["hours"].as_u64().is_some(),
        "{report}"
    );
    let pc2 = &report["machines"][1];
    assert_eq!(pc2["name"], "192.168.50.3", "{report}");
    assert!(pc2["refusals"].as_u64().unwrap() >= 1, "{report}");
    let (code, report) = inspect(&["192.168.50.1", "192.168.50.3"]);
    assert_eq!(
        code,
        Some(0),
        "control, every expected machine present: {report}"
    );
}
