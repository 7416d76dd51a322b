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
use common::journald::{run, skip_unless_root, PrivateJournald, PATH};
use serde_json::Value;

const AIRGAPCTL: &str = env!("CARGO_BIN_EXE_airgapctl");
const REMOTE: &str = "/lib/systemd/systemd-journal-remote";
const UPLOAD: &str = "/lib/systemd/systemd-journal-upload";
const LAN_MAC: &str = "02:00:00:00:21:01";
const LOG_HOST: &str = "192.168.50.2";

fn policy() -> String {
    format!(
        "[network]\nprofile = \"isolated-lan\"\n\
         [[network.lan]]\nname = \"office\"\ninterface_mac = \"{LAN_MAC}\"\n\
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
    host: String,
}

impl Net {
    fn new() -> Net {
        let pid = std::process::id();
        let net = Net {
            pc: format!("airgapd-fleetp-{pid}"),
            host: format!("airgapd-fleetl-{pid}"),
        };
        ip(&["netns", "add", &net.pc]);
        ip(&["netns", "add", &net.host]);
        for ns in [&net.pc, &net.host] {
            ip(&["-n", ns, "link", "set", "lo", "up"]);
            for key in ["all", "default"] {
                let set = format!("net.ipv6.conf.{key}.disable_ipv6=1");
                ip(&["netns", "exec", ns, "sysctl", "-q", "-w", &set]);
            }
        }
        ip(&[
            "-n", &net.pc, "link", "add", "veth-a", "address", LAN_MAC, "type", "veth", "peer",
            "name", "veth-b", "netns", &net.host,
        ]);
        ip(&[
            "-n",
            &net.pc,
            "addr",
            "add",
            "192.168.50.1/24",
            "dev",
            "veth-a",
        ]);
        ip(&[
            "-n",
            &net.host,
            "addr",
            "add",
            "192.168.50.2/24",
            "dev",
            "veth-b",
        ]);
        ip(&["-n", &net.pc, "link", "set", "veth-a", "up"]);
        ip(&["-n", &net.host, "link", "set", "veth-b", "up"]);
        net
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for ns in [&self.pc, &self.host] {
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
    net: &Net,
    scope: &Scope,
    pc_root: &Path,
    journal: &Path,
    url: &str,
    state: &Path,
) -> (bool, String) {
    let ssl = pc_root.join("etc/ssl");
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &net.pc, UPLOAD])
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
    let out = run(Command::new("journalctl")
        .env_clear()
        .env("PATH", PATH)
        .arg(format!("--directory={}", dir.display()))
        .args(["--all", "--no-pager", "--output=json"])
        .args(matches));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// A process of the scope (not the upload) connecting to the log host's port: refused; its
/// pid.
fn violate(d: &Daemon, net: &Net) -> u32 {
    let (pid, err) = d.victim(
        &format!(
            "exec ip netns exec {} bash -c 'exec 3<>/dev/tcp/{LOG_HOST}/19532'",
            net.pc
        ),
        false,
    );
    assert!(err.contains("Operation not permitted"), "{err}");
    pid
}

fn refusals_of(dir: &Path, pid: u32) -> usize {
    entries(
        dir,
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
            "--root",
        ])
        .arg(&host_root)
        .status()
        .unwrap();
    assert!(status.success());
    let pcs = host_root.join("etc/airgapd/fleet/pcs/pc-01");
    std::fs::create_dir_all(pc_root.join("etc/airgapd")).unwrap();
    std::fs::write(pc_root.join("etc/airgapd/policy.toml"), policy()).unwrap();
    let status = Command::new(AIRGAPCTL)
        .args(["fleet", "pc-setup", "--cert"])
        .arg(pcs.join("pc-01.pem"))
        .arg("--key")
        .arg(pcs.join("pc-01.key"))
        .arg("--ca")
        .arg(host_root.join("etc/airgapd/fleet/ca.pem"))
        .arg("--root")
        .arg(&pc_root)
        .status()
        .unwrap();
    assert!(status.success());
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
    let first = violate(&d, &net);
    j.wait_until("the first refusal in the PC's journal", |j| {
        j.journal_dir().filter(|p| refusals_of(p, first) == 1)
    });
    let journal = j.journal_dir().unwrap();

    // The upload from a process of the scope that is not in the upload cgroup: refused.
    let (ok, err) = upload(
        &net,
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
        &net,
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
    let (ok, err) = upload(&net, &up, &pc_root, &journal, &url, &state);
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
    let second = violate(&d, &net);
    j.wait_until("the second refusal in the PC's journal", |j| {
        j.journal_dir().filter(|p| refusals_of(p, second) == 1)
    });
    let (ok, _) = upload(&net, &up, &pc_root, &journal, &url, &state);
    assert!(!ok, "an upload to a log host that is down succeeded");
    let _remote = Remote::start(&net, &host_root, &remote_out, &remote_log);
    let (ok, err) = upload(&net, &up, &pc_root, &journal, &url, &state);
    assert!(ok, "the upload after the outage failed: {err}");
    wait("the second refusal on the log host", || {
        refusals_of(&remote_out, second) == 1
    });
    assert_eq!(
        refusals_of(&remote_out, first),
        1,
        "the first record arrived twice"
    );

    // The officer's view on the log host: pc-01 (named by its address) with its refusals; a
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
    let (code, report) = inspect(&["192.168.50.1", "192.168.50.3"]);
    assert_eq!(code, Some(3), "{report}");
    assert_eq!(
        report["missing"],
        serde_json::json!(["192.168.50.3"]),
        "{report}"
    );
    let pc = &report["machines"][0];
    assert_eq!(pc["name"], "192.168.50.1", "{report}");
    assert!(pc["refusals"].as_u64().unwrap() >= 2, "{report}");
    assert_eq!(pc["silent"], false, "{report}");
    let (code, report) = inspect(&["192.168.50.1"]);
    assert_eq!(
        code,
        Some(0),
        "control, every expected machine present: {report}"
    );
}
