//! A software TPM for tests (issue 19): `swtpm socket` with its state in a directory the test
//! owns, speaking raw TPM 2.0 commands on a unix socket. Stopping it and starting it again on
//! the same state is a reboot as the TPM sees it: its reset count goes up by one.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One software TPM; killed (by its pid) when dropped.
pub struct Swtpm {
    dir: PathBuf,
    child: Option<Child>,
}

impl Swtpm {
    /// A new TPM (fresh state) in a directory named after `name`.
    pub fn start(name: &str) -> Swtpm {
        assert!(
            Command::new("swtpm").arg("--version").output().is_ok(),
            "swtpm is missing: install the Debian package swtpm (scripts/deps.sh)"
        );
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("swtpm-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("state")).unwrap();
        let mut t = Swtpm { dir, child: None };
        t.run();
        t
    }

    /// The socket a transport opens.
    pub fn socket(&self) -> PathBuf {
        self.dir.join("tpm.sock")
    }

    fn run(&mut self) {
        let sock = self.socket();
        let _ = std::fs::remove_file(&sock);
        let ctrl = self.dir.join("ctrl.sock");
        let _ = std::fs::remove_file(&ctrl);
        let child = Command::new("swtpm")
            .args(["socket", "--tpm2", "--server"])
            .arg(format!("type=unixio,path={}", sock.display()))
            .arg("--ctrl")
            .arg(format!("type=unixio,path={}", ctrl.display()))
            .args(["--flags", "not-need-init,startup-clear", "--tpmstate"])
            .arg(format!("dir={}", self.dir.join("state").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting swtpm");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !sock.exists() {
            assert!(Instant::now() < deadline, "swtpm did not make {sock:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            // SIGTERM: swtpm writes its state and exits (SIGKILL could cut that short).
            let pid = nix::unistd::Pid::from_raw(c.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            let _ = c.wait();
        }
    }

    /// Power the TPM off and on: the next boot as the TPM counts them.
    pub fn reboot(&mut self) {
        // The TPM has finished its start-up (and saved the reset it counted) once it answers.
        airgapd::tpm::Tpm::open(&self.socket())
            .and_then(|mut t| t.read_clock())
            .expect("swtpm answers");
        self.kill();
        self.run();
    }

    /// The state directory (to copy or inspect).
    #[allow(dead_code)]
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Swtpm {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
