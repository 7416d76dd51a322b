//! `airgapd service` as the benchmark binaries run it: in a scope cgroup of the bench's own,
//! pins in a folder of its own, no D-Bus, its policy written next to the bench's files; lifted
//! (programs detached, pins removed) when dropped, even when the bench panics.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use airgapd::scope::Scope;

/// A running `airgapd service`.
pub struct BenchService {
    child: Child,
    /// Where its links and maps are pinned.
    pub pin_dir: PathBuf,
    /// Its enforcement record (lift needs the same one).
    record: PathBuf,
    airgapd: PathBuf,
    /// The bpffs its pin directory is on (last: unmounted after the drop lifted its pins).
    _bpffs: crate::bpffs::TestBpffs,
}

/// The `airgapd` next to the running bench binary (cargo builds both into one folder).
pub fn sibling_airgapd() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent().expect("a folder").join("airgapd")
}

impl BenchService {
    /// Write `policy` to `dir/policy.toml` (root-owned 0644, as the daemon demands) and start
    /// the daemon on it in `scope`, records to `journal_socket`, with `extra` arguments.
    pub fn start(
        airgapd: &Path,
        tag: &str,
        dir: &Path,
        policy: &str,
        scope: &Scope,
        journal_socket: &Path,
        extra: &[&OsStr],
    ) -> BenchService {
        let file = dir.join("policy.toml");
        std::fs::write(&file, policy).expect("writing the bench policy");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644))
            .expect("chmod policy");
        let bpffs = crate::bpffs::TestBpffs::mount(tag);
        let pin_dir = bpffs.join(&format!("airgapd-{tag}-{}", std::process::id()));
        // The daemon's files in the bench's folder unless `extra` names them: never the
        // machine's /var/lib/airgapd or /run/airgapd.
        let record = extra
            .iter()
            .position(|a| *a == OsStr::new("--record"))
            .and_then(|i| extra.get(i + 1))
            .map_or_else(|| dir.join("enforcement.json"), PathBuf::from);
        let mut files: Vec<std::ffi::OsString> = Vec::new();
        for (flag, name) in [
            ("--register", "register.jsonl"),
            ("--history", "history.json"),
            ("--record", "enforcement.json"),
        ] {
            if !extra.iter().any(|a| *a == OsStr::new(flag)) {
                files.push(flag.into());
                files.push(dir.join(name).into());
            }
        }
        let child = Command::new(airgapd)
            .arg("service")
            .arg("--policy")
            .arg(&file)
            .arg("--scope-cgroup")
            .arg(scope.path())
            .arg("--pin-dir")
            .arg(&pin_dir)
            .args(["--bus", "none", "--journal-socket"])
            .arg(journal_socket)
            .args(&files)
            .args(extra)
            .stderr(Stdio::null())
            .spawn()
            .expect("starting airgapd");
        BenchService {
            child,
            pin_dir,
            record,
            airgapd: airgapd.to_path_buf(),
            _bpffs: bpffs,
        }
    }
}

impl Drop for BenchService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = Command::new(&self.airgapd)
            .args([
                "lift",
                "--yes",
                "--journal-socket",
                "/nonexistent",
                "--pin-dir",
            ])
            .arg(&self.pin_dir)
            .arg("--record")
            .arg(&self.record)
            .stderr(Stdio::null())
            .status();
    }
}
