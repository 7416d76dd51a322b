//! A private systemd-journald for tests (its own mount namespace; see
//! `tests/journal/private-journald.sh` for how and why), shared by the journal and service
//! tests. Needs root.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use airgapd::journal::{field, JournalSocket, MessageId, Record};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;

pub const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/journal/private-journald.sh"
);
pub const CATALOG_SOURCES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../packaging/catalog");
/// Bound on every wait; generous because CI machines stall.
pub const DEADLINE: Duration = Duration::from_secs(20);
/// Pause between two polls of a condition (not a wait for anything in particular).
pub const POLL: Duration = Duration::from_millis(20);
pub const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

pub fn skip_unless_root() -> bool {
    if nix::unistd::geteuid().is_root() {
        return false;
    }
    eprintln!("skipped: a private journald needs root (mount namespace, tmpfs and bind mounts)");
    true
}

/// A private systemd-journald and its directory; both go away on drop, also when a test fails.
pub struct PrivateJournald {
    pub dir: PathBuf,
    child: Option<Child>,
}

impl PrivateJournald {
    pub fn start(tag: &str) -> PrivateJournald {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("journal-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        // The guard exists before anything is created, so a failure below still cleans up.
        let mut journald = PrivateJournald { dir, child: None };
        for sub in ["run", "log"] {
            fs::create_dir_all(journald.dir.join(sub)).unwrap();
        }
        let log = File::create(journald.dir.join("journald.log")).unwrap();
        let child = Command::new("sh")
            .arg(SCRIPT)
            .arg("journald")
            .arg(&journald.dir)
            .env_clear()
            .env("PATH", PATH)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {SCRIPT}: {e}"));
        journald.child = Some(child);

        let socket = journald.socket();
        assert!(
            socket.as_os_str().len() < 108,
            "socket path too long for AF_UNIX: {}",
            socket.display()
        );
        journald.wait_until("the socket exists", |_| socket.exists().then_some(()));
        // systemd-socket-activate execs journald on the first datagram; this one also proves
        // the whole path works before the test starts.
        let hello = Record::new(MessageId::DaemonStarted, "private journald is up")
            .field(field::PID, "sentinel");
        JournalSocket::new(&socket).unwrap().send(&hello).unwrap();
        journald.wait_for(&hello);
        journald
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.join("run/socket")
    }

    /// The namespace's journal directory, `<machine-id>.airgaptest`.
    pub fn journal_dir(&self) -> Option<PathBuf> {
        fs::read_dir(self.dir.join("log"))
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|ext| ext == "airgaptest"))
    }

    /// Polls `f` until it gives a value, failing with journald's log at the deadline or when
    /// journald died.
    pub fn wait_until<T>(&mut self, what: &str, mut f: impl FnMut(&Self) -> Option<T>) -> T {
        let end = Instant::now() + DEADLINE;
        loop {
            if let Some(v) = f(self) {
                return v;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!(
                    "journald exited ({status}) waiting for {what}:\n{}",
                    self.log()
                );
            }
            if Instant::now() > end {
                panic!("timed out waiting for {what}:\n{}", self.log());
            }
            sleep(POLL);
        }
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("journald.log")).unwrap_or_default()
    }

    /// Entries matching `MESSAGE_ID` and `AIRGAP_PID` of `record`, as JSON objects.
    pub fn entries(&self, record: &Record) -> Vec<BTreeMap<String, Value>> {
        self.query(&matches(record))
    }

    /// Entries matching journalctl field matches (`FIELD=value`), as JSON objects.
    pub fn query(&self, matches: &[String]) -> Vec<BTreeMap<String, Value>> {
        let Some(dir) = self.journal_dir() else {
            return Vec::new();
        };
        entries_of(format!("--directory={}", dir.display()), matches)
    }

    /// Waits until exactly the entry of `record` is in the journal, and returns it.
    pub fn wait_for(&mut self, record: &Record) -> BTreeMap<String, Value> {
        let what = format!("{} in the journal", record.message_id.name());
        let mut entries =
            self.wait_until(&what, |j| Some(j.entries(record)).filter(|e| !e.is_empty()));
        assert_eq!(entries.len(), 1, "{what}: {entries:?}");
        entries.remove(0)
    }

    /// `journalctl -x` for `record`, with our catalog and the locale environment `env`.
    pub fn explain(&self, record: &Record, env: &[(&str, &Path)]) -> String {
        let dir = self.journal_dir().unwrap();
        let mut cmd = Command::new("sh");
        cmd.arg(SCRIPT)
            .arg("journalctl")
            .arg(&self.dir)
            .env_clear()
            .env("PATH", PATH);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.arg("-x")
            .arg(format!("--directory={}", dir.display()))
            .args(matches(record));
        String::from_utf8(run(&mut cmd).stdout).unwrap()
    }
}

impl Drop for PrivateJournald {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Only the PID we spawned: it is journald itself (every step execs).
            let pid = Pid::from_raw(child.id() as i32);
            let _ = kill(pid, Signal::SIGTERM);
            let end = Instant::now() + Duration::from_secs(5);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < end {
                sleep(POLL);
            }
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

pub fn matches(record: &Record) -> [String; 2] {
    [
        format!("MESSAGE_ID={}", record.message_id),
        format!(
            "AIRGAP_PID={}",
            record.get(field::PID).expect("test records carry a PID")
        ),
    ]
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Entries of the journal files `what` names (`--directory=...`, `--file=...`) matching
/// `matches`, as JSON objects.
pub fn entries_of(what: String, matches: &[String]) -> Vec<BTreeMap<String, Value>> {
    let out = run(Command::new("journalctl")
        .env_clear()
        .env("PATH", PATH)
        .arg(what)
        // Without --all, JSON output replaces values of 4096 bytes or more by null.
        .args(["--all", "--no-pager", "--output=json"])
        .args(matches));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}
