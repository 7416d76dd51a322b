//! Policy updates on approved media: signed with OpenSSH (`ssh-keygen -Y sign`), never rolled
//! back, installed atomically. `airgapctl policy apply` and `policy sign` are thin edges over
//! this module; the daemon calls [`check_reload`] whenever it loads the policy.
//!
//! An update is `FILE` and `FILE.sig` on the medium. [`apply`] reads both once ([`offered`]),
//! checks the signature against the trusted keys ([`trusted`], [`ssh`]), parses the policy,
//! compares its serial with the anti-rollback counter ([`state`]), checks that the policy can
//! be planned on this machine, then installs file, signature and counter so that a crash at
//! any point leaves the old or the new policy ([`install`]). Every attempt, refused or not,
//! is one `PolicyUpdate` journal record. Putting the installed policy in force is the daemon's
//! reload (`ReloadPolicy`), which `airgapctl` asks for afterwards.
//!
//! The procedure for the security office and the sysadmin, and why OpenSSH signatures:
//! `docs/policy-updates.md`.

mod error;
mod file;
mod install;
pub mod offered;
mod record;
pub mod ssh;
pub mod state;
pub mod trusted;

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::journal::Sink;
use crate::paths;
use crate::plan::{Facts, Plan};

pub use error::UpdateError;
pub use install::Step;
pub use offered::{signature_path, Offered};
pub use ssh::{sign_command, sign_command_in, signing_key, signing_key_in, Signer, NAMESPACE};
pub use state::{check_reload, SerialState};
pub use trusted::{TrustedKey, TrustedKeys};

/// Where an update's files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The policy the daemon enforces; its signature is kept next to it as `FILE.sig`.
    pub policy: PathBuf,
    /// The anti-rollback state file.
    pub serial: PathBuf,
    /// The directory of trusted public keys.
    pub trusted_keys: PathBuf,
    /// The ssh-keygen that verifies (an absolute path: root never searches `$PATH`).
    pub ssh_keygen: PathBuf,
}

impl Layout {
    /// The production layout: `/etc/airgapd/policy.toml`, `/var/lib/airgapd/policy-serial`,
    /// `/etc/airgapd/trusted-keys/`.
    pub fn production() -> Layout {
        Layout {
            policy: PathBuf::from(paths::POLICY_FILE),
            serial: PathBuf::from(paths::POLICY_SERIAL_FILE),
            trusted_keys: PathBuf::from(paths::TRUSTED_KEYS_DIR),
            ssh_keygen: PathBuf::from(paths::SSH_KEYGEN),
        }
    }

    /// The layout of the policy file `policy`, as both `airgapctl policy apply --policy` and
    /// the daemon's `--policy` find it, so the two always agree: the production layout for
    /// the production file; for any other file (tests, a policy kept elsewhere) the counter
    /// is `FILE.serial` and the trusted keys `trusted-keys/`, both next to it.
    pub fn for_policy(policy: &Path) -> Layout {
        if policy == Path::new(paths::POLICY_FILE) {
            return Layout::production();
        }
        let mut serial = policy.as_os_str().to_owned();
        serial.push(".serial");
        Layout {
            policy: policy.to_path_buf(),
            serial: PathBuf::from(serial),
            trusted_keys: file::parent(policy).join("trusted-keys"),
            ssh_keygen: PathBuf::from(paths::SSH_KEYGEN),
        }
    }

    /// `policy.toml.sig`: the signature kept next to the installed policy.
    pub fn signature(&self) -> PathBuf {
        signature_path(&self.policy)
    }
}

/// An installed update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The file applied (on the medium).
    pub file: PathBuf,
    /// Where it was installed.
    pub target: PathBuf,
    /// Its `[meta] serial`, now the highest applied.
    pub serial: u64,
    /// Its SHA-256.
    pub sha256: String,
    /// The policy it replaced, if a valid one was installed.
    pub previous: Option<Installed>,
    /// Who signed it.
    pub signer: Signer,
    /// The same file was applied again (completing an interrupted update, or repeating one).
    pub reapplied: bool,
    /// The policy's warnings (it is installed regardless).
    pub warnings: Vec<String>,
}

/// A policy that was installed: its serial and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Installed {
    /// `[meta] serial`.
    pub serial: u64,
    /// SHA-256 of the file.
    pub sha256: String,
}

/// Applies the signed policy `file` to `layout` (root only), recording the attempt in `sink`.
pub fn apply(layout: &Layout, file: &Path, sink: &Sink) -> Result<Applied, UpdateError> {
    apply_with(layout, file, sink, &mut |_| {})
}

/// [`apply`], calling `hook` after each install [`Step`].
pub fn apply_with(
    layout: &Layout,
    file: &Path,
    sink: &Sink,
    hook: &mut dyn FnMut(Step),
) -> Result<Applied, UpdateError> {
    let uid = nix::unistd::getuid().as_raw();
    let mut attempt = record::Attempt::begin(sink, file, &layout.policy, uid);
    let result = attempt_update(layout, file, &mut attempt.learned, hook);
    attempt.finish(result.as_ref().map(|_| ()));
    result
}

fn attempt_update(
    layout: &Layout,
    file: &Path,
    learned: &mut record::Learned,
    hook: &mut dyn FnMut(Step),
) -> Result<Applied, UpdateError> {
    let euid = nix::unistd::geteuid();
    if !euid.is_root() {
        return Err(UpdateError::NotRoot { uid: euid.as_raw() });
    }
    let _lock = lock(file::parent(&layout.policy))?;
    // What is installed now, for the record and the anti-rollback check.
    let installed = airgapd_policy::load(&layout.policy).ok().map(|c| c.policy);
    learned.installed = installed
        .as_ref()
        .map(|p| (p.meta.serial, p.sha256().to_string()));

    let offered = offered::read(file)?;
    learned.offered_sha256 = Some(offered.sha256.clone());
    let keys = TrustedKeys::read(&layout.trusted_keys)?;
    let signer = ssh::verify(&layout.ssh_keygen, &keys, &offered)?;
    learned.signer = Some(signer.clone());
    let checked = airgapd_policy::parse(&offered.text, Some(file))?;
    let serial = checked.policy.meta.serial;
    learned.offered_serial = Some(serial);

    // Anti-rollback: above the counter and above the policy installed now (which may have
    // been put there by hand, before any update).
    let state = SerialState::read(&layout.serial)?;
    learned.highest = state.as_ref().map(|s| s.serial);
    let interrupted = file::is_regular(&state::staged(&layout.policy));
    let reapplied = check_newer(
        file,
        serial,
        &offered.sha256,
        state.as_ref(),
        installed.as_ref(),
    )?;
    learned.reapplied = reapplied;

    // A policy the daemon could not plan here would only be refused at reload.
    let facts = Facts::read().map_err(|source| UpdateError::Read {
        path: PathBuf::from("/proc/devices"),
        source,
    })?;
    Plan::new(&checked.policy, &facts).map_err(|source| UpdateError::Unenforceable { source })?;

    // The installed policy stays acceptable while this update is unfinished, if it was
    // acceptable before.
    let previous_sha256 = installed
        .as_ref()
        .filter(|p| state::check_against(p, &layout.policy, state.as_ref(), interrupted).is_ok())
        .map(|p| p.sha256().to_string());
    let resuming = interrupted && state.as_ref().is_some_and(|s| s.previous_sha256.is_some());
    let next = SerialState {
        serial,
        sha256: offered.sha256.clone(),
        previous_sha256,
        signed: Some(state::Signed {
            signer: signer.principal.clone(),
            fingerprint: signer.fingerprint.clone(),
            installed_at_us: crate::pinned::record::now_us(),
        }),
    };
    install::install(layout, &offered, &next, resuming, hook)?;
    Ok(Applied {
        file: file.to_path_buf(),
        target: layout.policy.clone(),
        serial,
        sha256: offered.sha256,
        previous: learned
            .installed
            .clone()
            .map(|(serial, sha256)| Installed { serial, sha256 }),
        signer,
        reapplied,
        warnings: checked.warnings.iter().map(ToString::to_string).collect(),
    })
}

/// `apply`'s anti-rollback rule: the offered serial must be greater than the counter and than
/// the installed policy's serial; equal only for the very file the counter was raised for or
/// the one installed (completing an interrupted update, or repairing the state). Returns
/// whether it is such a re-application.
fn check_newer(
    file: &Path,
    serial: u64,
    sha256: &str,
    state: Option<&SerialState>,
    installed: Option<&airgapd_policy::Policy>,
) -> Result<bool, UpdateError> {
    let highest = state
        .map(|s| s.serial)
        .into_iter()
        .chain(installed.map(|p| p.meta.serial))
        .max();
    match highest {
        Some(highest) if serial < highest => Err(UpdateError::Rollback {
            file: file.to_path_buf(),
            serial,
            highest,
        }),
        Some(highest) if serial == highest => {
            let same = state.is_some_and(|s| s.serial == serial && s.sha256 == sha256)
                || installed.is_some_and(|p| p.meta.serial == serial && p.sha256() == sha256);
            if same {
                Ok(true)
            } else {
                Err(UpdateError::SameSerial {
                    file: file.to_path_buf(),
                    serial,
                })
            }
        }
        _ => Ok(false),
    }
}

/// An exclusive, non-blocking lock on the policy's directory, held for the whole update, so
/// two updates never interleave.
fn lock(dir: &Path) -> Result<std::fs::File, UpdateError> {
    let locking = |source| UpdateError::Install {
        step: "locking",
        path: dir.to_path_buf(),
        counter_raised: false,
        source,
    };
    let handle = std::fs::File::open(dir).map_err(locking)?;
    // A lock can outlive its update by a moment: a process forked elsewhere in this program
    // shares the descriptor until it execs. Wait up to two seconds before calling it busy.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        // SAFETY: flock on a descriptor we own; the lock goes with it when it is closed.
        if unsafe { libc::flock(handle.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(handle);
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EWOULDBLOCK) {
            return Err(locking(e));
        }
        if std::time::Instant::now() >= deadline {
            return Err(UpdateError::Busy {
                dir: dir.to_path_buf(),
            });
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_layout_and_layouts_of_other_files() {
        assert_eq!(
            Layout::for_policy(Path::new(paths::POLICY_FILE)),
            Layout::production()
        );
        let l = Layout::for_policy(Path::new("/tmp/t/policy.toml"));
        assert_eq!(l.serial, PathBuf::from("/tmp/t/policy.toml.serial"));
        assert_eq!(l.trusted_keys, PathBuf::from("/tmp/t/trusted-keys"));
        assert_eq!(l.signature(), PathBuf::from("/tmp/t/policy.toml.sig"));
    }

    #[test]
    fn apply_needs_a_greater_serial_or_the_very_same_file() {
        let f = Path::new("p.toml");
        let a = "a".repeat(64);
        let state = SerialState {
            serial: 3,
            sha256: a.clone(),
            previous_sha256: None,
            signed: None,
        };
        let kind = |r: Result<bool, UpdateError>| r.unwrap_err().kind();
        assert!(!check_newer(f, 4, "x", Some(&state), None).unwrap());
        assert_eq!(kind(check_newer(f, 2, "x", Some(&state), None)), "rollback");
        assert_eq!(
            kind(check_newer(f, 3, "x", Some(&state), None)),
            "same-serial"
        );
        assert!(check_newer(f, 3, &a, Some(&state), None).unwrap());
        let installed = airgapd_policy::parse("[meta]\nserial = 5\n", None)
            .unwrap()
            .policy;
        let by_hand = Some(&installed);
        assert_eq!(
            kind(check_newer(f, 4, "x", Some(&state), by_hand)),
            "rollback"
        );
        assert!(check_newer(f, 5, installed.sha256(), None, by_hand).unwrap());
        assert!(!check_newer(f, 0, "x", None, None).unwrap());
    }
}
