//! Issue 5: `airgapd service` end to end on this kernel, scoped to a test cgroup: records reach
//! a real journald with their fields, a bad policy at boot or on reload never opens anything,
//! and enforcement outlives a SIGKILLed daemon, whose successor adopts the pinned links.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use airgapd::journal::MessageId;
use airgapd::scope::Scope;
use airgapd::spawn::{self, SpawnOptions};
use common::journald::{skip_unless_root, PrivateJournald};
use serde_json::Value;

const AIRGAPD: &str = env!("CARGO_BIN_EXE_airgapd");

/// A daemon under test, its scope, pins and readiness socket; all cleaned up on drop.
struct Daemon {
    child: Option<Child>,
    policy: PathBuf,
    pin_dir: PathBuf,
    journal: PathBuf,
    notify: UnixDatagram,
    notify_path: PathBuf,
    scope: Option<Scope>,
}

impl Daemon {
    fn new(tag: &str, journal: PathBuf, policy_text: Option<&str>) -> Daemon {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("svc-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let policy = dir.join("policy.toml");
        if let Some(text) = policy_text {
            write_policy(&policy, text);
        }
        let notify_path = dir.join("notify");
        let notify = UnixDatagram::bind(&notify_path).unwrap();
        notify
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        Daemon {
            child: None,
            policy,
            pin_dir: PathBuf::from(format!(
                "/sys/fs/bpf/airgapd-test-{tag}-{}",
                std::process::id()
            )),
            journal,
            notify,
            notify_path,
            scope: Some(Scope::create(tag).unwrap()),
        }
    }

    fn scope(&self) -> &Scope {
        self.scope.as_ref().unwrap()
    }

    /// Start the daemon and wait for READY=1 (bounded).
    fn start(&mut self) {
        let child = Command::new(AIRGAPD)
            .arg("service")
            .arg("--policy")
            .arg(&self.policy)
            .arg("--scope-cgroup")
            .arg(self.scope().path())
            .arg("--pin-dir")
            .arg(&self.pin_dir)
            .arg("--journal-socket")
            .arg(&self.journal)
            .env("NOTIFY_SOCKET", &self.notify_path)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let mut buf = [0u8; 512];
        loop {
            let n = self.notify.recv(&mut buf).expect("READY=1 within 20 s");
            if String::from_utf8_lossy(&buf[..n])
                .lines()
                .any(|l| l == "READY=1")
            {
                return;
            }
        }
    }

    fn signal(&self, sig: nix::sys::signal::Signal) {
        let pid = self.child.as_ref().unwrap().id() as i32;
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig).unwrap();
    }

    fn wait(&mut self) {
        self.child.take().unwrap().wait().unwrap();
    }

    /// `bash -c SCRIPT` inside the scope (optionally in an empty netns); its pid and stderr.
    fn victim(&self, script: &str, new_netns: bool) -> (u32, String) {
        let mut cmd = Command::new("bash");
        cmd.args(["-c", script])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        spawn::prepare(
            &mut cmd,
            self.scope(),
            SpawnOptions {
                new_netns,
                die_with_parent: false,
            },
        )
        .unwrap();
        let child = cmd.spawn().unwrap();
        let pid = child.id();
        let out = child.wait_with_output().unwrap();
        (pid, String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if self.pin_dir.exists() {
            let _ = Command::new(AIRGAPD)
                .args(["lift", "--yes", "--pin-dir"])
                .arg(&self.pin_dir)
                .arg("--journal-socket")
                .arg(&self.journal)
                .status();
        }
        drop(self.scope.take());
        let _ = std::fs::remove_dir_all(self.notify_path.parent().unwrap());
    }
}

fn write_policy(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
}

fn sha256(path: &Path) -> String {
    airgapd_policy::load(path)
        .unwrap()
        .policy
        .sha256()
        .to_string()
}

fn m(field: &str, value: impl std::fmt::Display) -> String {
    format!("{field}={value}")
}

fn id(m_id: MessageId) -> String {
    format!("MESSAGE_ID={m_id}")
}

fn wait_entry(
    j: &mut PrivateJournald,
    matches: &[String],
) -> std::collections::BTreeMap<String, Value> {
    let what = matches.join(" ");
    j.wait_until(&what, |j| j.query(matches).into_iter().next_back())
}

fn text(e: &std::collections::BTreeMap<String, Value>, f: &str) -> String {
    e.get(f)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

const STRICT: &str = "[meta]\nid = \"svc-test\"\nserial = 7\n[network]\nloopback = false\n";
const LOOPBACK: &str = "[meta]\nid = \"svc-test\"\nserial = 8\n[network]\nloopback = true\n";
const TCP_LOCAL: &str = "exec 3<>/dev/tcp/127.0.0.1/9";
const TCP_REMOTE: &str = "exec 3<>/dev/tcp/93.184.216.34/443";

#[test]
fn service_records_reloads_and_outlives_sigkill() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("svc");
    let mut d = Daemon::new("svc", j.socket(), Some(STRICT));
    d.start();
    let sha = sha256(&d.policy);

    // A refusal reaches the journal with its structured fields.
    let (pid, err) = d.victim(TCP_LOCAL, true);
    assert!(err.contains("Operation not permitted"), "{err}");
    let e = wait_entry(
        &mut j,
        &[id(MessageId::NetworkViolation), m("AIRGAP_PID", pid)],
    );
    assert_eq!(text(&e, "AIRGAP_KIND"), "net.create");
    assert_eq!(text(&e, "AIRGAP_COMM"), "bash");
    assert_eq!(text(&e, "AIRGAP_UID"), "0");
    assert_eq!(text(&e, "AIRGAP_ACTION"), "deny");
    assert_eq!(text(&e, "AIRGAP_POLICY_SHA256"), sha);
    assert_eq!(text(&e, "PRIORITY"), "4");
    let loaded = wait_entry(
        &mut j,
        &[id(MessageId::PolicyLoaded), m("AIRGAP_POLICY_SHA256", &sha)],
    );
    assert_eq!(text(&loaded, "AIRGAP_POLICY_SERIAL"), "7");

    // SIGKILL: the pinned programs keep enforcing with nobody watching.
    d.signal(nix::sys::signal::Signal::SIGKILL);
    d.wait();
    let (unwatched, err) = d.victim(TCP_LOCAL, true);
    assert!(
        err.contains("Operation not permitted"),
        "after SIGKILL: {err}"
    );

    // The next daemon adopts every pinned link and reports what happened meanwhile.
    d.start();
    let started = j.query(&[id(MessageId::DaemonStarted)]);
    assert!(
        started
            .iter()
            .any(|e| text(e, "MESSAGE").contains("adopted 10 pinned links")),
        "{started:?}"
    );
    wait_entry(
        &mut j,
        &[id(MessageId::NetworkViolation), m("AIRGAP_PID", unwatched)],
    );

    // An invalid policy on reload is refused, with its line; the old one stays in force.
    write_policy(&d.policy, "[network]\nloopback = maybe\n");
    d.signal(nix::sys::signal::Signal::SIGHUP);
    let rejected = wait_entry(&mut j, &[id(MessageId::PolicyRejected)]);
    assert!(
        text(&rejected, "MESSAGE").contains("policy.toml:2:"),
        "{rejected:?}"
    );
    assert_eq!(text(&rejected, "PRIORITY"), "3");
    let (_, err) = d.victim(TCP_LOCAL, true);
    assert!(
        err.contains("Operation not permitted"),
        "after a refused reload: {err}"
    );

    // A valid one replaces it: loopback opens, the rest stays refused.
    write_policy(&d.policy, LOOPBACK);
    d.signal(nix::sys::signal::Signal::SIGHUP);
    wait_entry(
        &mut j,
        &[id(MessageId::PolicyLoaded), m("AIRGAP_POLICY_SERIAL", 8)],
    );
    let (_, err) = d.victim(TCP_LOCAL, true);
    assert!(
        err.contains("Connection refused"),
        "loopback after reload: {err}"
    );
    let (_, err) = d.victim(TCP_REMOTE, true);
    assert!(
        err.contains("Operation not permitted"),
        "remote after reload: {err}"
    );

    // Stopping the service does not lift enforcement; `airgapd lift` does, and is recorded.
    d.signal(nix::sys::signal::Signal::SIGTERM);
    d.wait();
    wait_entry(&mut j, &[id(MessageId::DaemonStopped)]);
    let (_, err) = d.victim(TCP_REMOTE, true);
    assert!(err.contains("Operation not permitted"), "after stop: {err}");
    let lifted = Command::new(AIRGAPD)
        .args(["lift", "--yes", "--pin-dir"])
        .arg(&d.pin_dir)
        .arg("--journal-socket")
        .arg(&d.journal)
        .status()
        .unwrap();
    assert!(lifted.success());
    let alert = wait_entry(&mut j, &[id(MessageId::EnforcementLifted)]);
    assert_eq!(text(&alert, "PRIORITY"), "1");
    let (_, err) = d.victim(TCP_REMOTE, true);
    assert!(
        err.contains("Network is unreachable"),
        "after lift only the empty netns stops it: {err}"
    );
}

#[test]
fn missing_policy_at_boot_enforces_the_builtin_strict_policy() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("svc-missing");
    let mut d = Daemon::new("svcmissing", j.socket(), None);
    d.start();
    let rejected = wait_entry(&mut j, &[id(MessageId::PolicyRejected)]);
    assert_eq!(text(&rejected, "PRIORITY"), "3");
    assert!(
        text(&rejected, "MESSAGE").contains("built-in strict policy"),
        "{rejected:?}"
    );
    // Built-in strict: not even loopback.
    let (_, err) = d.victim(TCP_LOCAL, true);
    assert!(err.contains("Operation not permitted"), "{err}");
}
