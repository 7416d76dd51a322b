//! An `airgapd service` under test: its scope, pins and readiness socket, cleaned up on drop
//! (killed by pid, enforcement lifted, cgroup removed), and journal query helpers.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use airgapd::journal::MessageId;
use airgapd::scope::Scope;
use airgapd::spawn::{self, SpawnOptions};
use serde_json::Value;

use super::journald::PrivateJournald;

pub const AIRGAPD: &str = env!("CARGO_BIN_EXE_airgapd");

/// A daemon under test, its scope, pins and readiness socket; all cleaned up on drop.
pub struct Daemon {
    child: Option<Child>,
    pub policy: PathBuf,
    pub pin_dir: PathBuf,
    pub journal: PathBuf,
    /// The enforcement record (issue 14), in the test's directory.
    pub record: PathBuf,
    /// The machine record (issue 19), in the test's directory: never /var/lib/airgapd.
    pub machine_record: PathBuf,
    /// Extra arguments for `airgapd service` (e.g. `--bus ADDRESS`).
    pub extra_args: Vec<String>,
    /// A network namespace (its /run/netns path) to start the daemon in: one the test made.
    pub netns: Option<PathBuf>,
    /// Where the daemon's own diagnostics (stderr) go; None: the test's stderr.
    pub stderr: Option<PathBuf>,
    notify: UnixDatagram,
    notify_path: PathBuf,
    scope: Option<Scope>,
    /// The bpffs its pin directory is on (last: unmounted after the drop lifted what it
    /// pinned).
    pub bpffs: super::bpffs::TestBpffs,
}

impl Daemon {
    pub fn new(tag: &str, journal: PathBuf, policy_text: Option<&str>) -> Daemon {
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
        let bpffs = super::bpffs::TestBpffs::mount(tag);
        Daemon {
            child: None,
            policy,
            // A name of its own: the enforcement record of a pin directory is named after it.
            pin_dir: bpffs.join(&format!("airgapd-test-{tag}-{}", std::process::id())),
            journal,
            record: dir.join("enforcement.json"),
            machine_record: dir.join("machine-record.jsonl"),
            extra_args: Vec::new(),
            netns: None,
            stderr: None,
            notify,
            notify_path,
            scope: Some(Scope::create(tag).unwrap()),
            bpffs,
        }
    }

    pub fn scope(&self) -> &Scope {
        self.scope.as_ref().unwrap()
    }

    /// Start the daemon and wait for READY=1 (bounded).
    pub fn start(&mut self) {
        // The copy register in the test's folder unless the test names one: never the
        // machine's /var/lib/airgapd.
        let register = if self.extra_args.iter().any(|a| a == "--register") {
            Vec::new()
        } else {
            vec![
                "--register".into(),
                self.notify_path
                    .with_file_name("register.jsonl")
                    .display()
                    .to_string(),
            ]
        };
        let stderr = match &self.stderr {
            Some(path) => Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .unwrap(),
            ),
            None => Stdio::inherit(),
        };
        let mut cmd = Command::new(AIRGAPD);
        if let Some(ns) = &self.netns {
            use std::os::unix::process::CommandExt;
            let fd = std::fs::File::open(ns).unwrap();
            // SAFETY: setns on an fd opened before the fork; nothing else runs in the child.
            unsafe {
                cmd.pre_exec(move || {
                    nix::sched::setns(&fd, nix::sched::CloneFlags::CLONE_NEWNET)
                        .map_err(std::io::Error::from)
                })
            };
        }
        let child = cmd
            .arg("service")
            .arg("--policy")
            .arg(&self.policy)
            .arg("--scope-cgroup")
            .arg(self.scope().path())
            .arg("--pin-dir")
            .arg(&self.pin_dir)
            .arg("--journal-socket")
            .arg(&self.journal)
            // Each daemon its own history (kept across its restarts within a test).
            .arg("--history")
            .arg(self.notify_path.with_file_name("history.json"))
            .arg("--record")
            .arg(&self.record)
            .arg("--machine-record")
            .arg(&self.machine_record)
            .args(&register)
            .args(&self.extra_args)
            .env("NOTIFY_SOCKET", &self.notify_path)
            .stdin(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let mut buf = [0u8; 512];
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let n = match self.notify.recv(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let exited = self
                        .child
                        .as_mut()
                        .and_then(|c| c.try_wait().ok().flatten());
                    panic!("no READY=1 from airgapd ({e}); exited: {exited:?}")
                }
            };
            assert!(
                std::time::Instant::now() < deadline,
                "no READY=1 within 20 s"
            );
            if String::from_utf8_lossy(&buf[..n])
                .lines()
                .any(|l| l == "READY=1")
            {
                return;
            }
        }
    }

    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        let pid = self.child.as_ref().unwrap().id() as i32;
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig).unwrap();
    }

    pub fn wait(&mut self) {
        self.child.take().unwrap().wait().unwrap();
    }

    /// Wait at most `within` for the daemon to exit; None if it is still running.
    pub fn wait_for_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.as_mut()?.try_wait().unwrap() {
                self.child = None;
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// The daemon's pid (while it runs).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// `bash -c SCRIPT` inside the scope (optionally in an empty netns); its pid and stderr.
    pub fn victim(&self, script: &str, new_netns: bool) -> (u32, String) {
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
                .arg("--record")
                .arg(&self.record)
                .status();
        }
        drop(self.scope.take());
        let _ = std::fs::remove_dir_all(self.notify_path.parent().unwrap());
    }
}

pub fn write_policy(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
}

pub fn m(field: &str, value: impl std::fmt::Display) -> String {
    format!("{field}={value}")
}

pub fn id(m_id: MessageId) -> String {
    format!("MESSAGE_ID={m_id}")
}

pub fn entry(j: &mut PrivateJournald, matches: &[String]) -> BTreeMap<String, Value> {
    let what = matches.join(" ");
    j.wait_until(&what, |j| j.query(matches).into_iter().next_back())
}

pub fn text(e: &BTreeMap<String, Value>, f: &str) -> String {
    e.get(f)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}
