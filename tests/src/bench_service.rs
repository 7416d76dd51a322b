//! `airgapd service` as the benchmark binaries run it: in a scope cgroup of the bench's own,
//! pins in a folder of its own, no D-Bus, its policy written next to the bench's files; lifted
//! (programs detached, pins removed) when dropped, even when the bench panics.

use std::ffi::{OsStr, OsString};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use airgapd::scope::Scope;

/// A running `airgapd service`.
pub struct BenchService {
    child: Child,
    /// `airgapd service`'s arguments and environment, for [`BenchService::restart`].
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    /// Where its links and maps are pinned.
    pub pin_dir: PathBuf,
    /// Its enforcement record (lift needs the same one).
    record: PathBuf,
    airgapd: PathBuf,
    /// The bpffs its pin directory is on (last: unmounted after the drop lifted its pins).
    _bpffs: crate::bpffs::TestBpffs,
}

/// The value after `--name` on the bench's command line; a flag given last with no value is
/// an error said by name, not an index out of bounds.
pub fn flag(args: &[String], name: &str) -> Option<String> {
    let i = args.iter().position(|a| a == name)?;
    Some(
        args.get(i + 1)
            .unwrap_or_else(|| panic!("{name} needs a value"))
            .clone(),
    )
}

/// The `airgapd` next to the running bench binary (cargo builds both into one folder).
pub fn sibling_airgapd() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent().expect("a folder").join("airgapd")
}

impl BenchService {
    /// Write `policy` to `dir/policy.toml` (root-owned 0644, as the daemon demands) and start
    /// the daemon on it in `scope`, records to `journal_socket`, with `extra` arguments and
    /// the environment variables `env` (`NOTIFY_SOCKET`, say).
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        airgapd: &Path,
        tag: &str,
        dir: &Path,
        policy: &str,
        scope: &Scope,
        journal_socket: &Path,
        extra: &[&OsStr],
        env: &[(&str, &OsStr)],
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
        let mut args: Vec<OsString> = vec!["service".into(), "--policy".into(), file.into()];
        args.extend(["--scope-cgroup".into(), scope.path().into()]);
        args.extend(["--pin-dir".into(), pin_dir.clone().into()]);
        args.extend(["--bus", "none", "--journal-socket"].map(OsString::from));
        args.push(journal_socket.into());
        for (flag, name) in [
            ("--register", "register.jsonl"),
            ("--history", "history.json"),
            ("--record", "enforcement.json"),
        ] {
            if !extra.iter().any(|a| *a == OsStr::new(flag)) {
                args.push(flag.into());
                args.push(dir.join(name).into());
            }
        }
        args.extend(extra.iter().map(|a| a.to_os_string()));
        let env: Vec<(OsString, OsString)> = env
            .iter()
            .map(|(k, v)| (OsString::from(k), v.to_os_string()))
            .collect();
        let child = spawn(airgapd, &args, &env);
        BenchService {
            child,
            args,
            env,
            pin_dir,
            record,
            airgapd: airgapd.to_path_buf(),
            _bpffs: bpffs,
        }
    }

    /// The daemon's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL the daemon (its pins stay, enforcement with them) and start it again on the same
    /// pins: the restart that adopts pinned links.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(&self.airgapd, &self.args, &self.env);
    }
}

fn spawn(airgapd: &Path, args: &[OsString], env: &[(OsString, OsString)]) -> Child {
    Command::new(airgapd)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stderr(Stdio::null())
        .spawn()
        .expect("starting airgapd")
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
