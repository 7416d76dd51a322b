//! Signatures are OpenSSH signatures (PROTOCOL.sshsig), made and checked by `ssh-keygen -Y`
//! itself, so a sysadmin can repeat every check by hand with the same tool:
//!
//! ```text
//! ssh-keygen -Y sign -f KEY -n airgapd-policy FILE                         # makes FILE.sig
//! ssh-keygen -Y find-principals -s FILE.sig -f allowed_signers             # which key signed
//! ssh-keygen -Y verify -f allowed_signers -I NAME -n airgapd-policy -s FILE.sig < FILE
//! ```
//!
//! The `allowed_signers` file is built from the trusted-keys directory ([`TrustedKeys`]), and
//! it and a copy of the signature live in a private directory while ssh-keygen runs; the
//! policy text goes to ssh-keygen's standard input from memory, so what is verified is exactly
//! what is installed.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::offered::Offered;
use super::trusted::TrustedKeys;
use super::UpdateError;

/// The ssh-keygen signature namespace of airgapd policies: a signature made for anything else
/// (git commits, files, other programs) with the same key never verifies as a policy.
pub const NAMESPACE: &str = "airgapd-policy";

/// The namespace of release orders (`crate::release`): signed by the same keys, never
/// mistaken for a policy or the reverse.
pub const RELEASE_NAMESPACE: &str = "airgapd-release";

/// Who signed an update.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Signer {
    /// The trusted key's name (its file name without `.pub`).
    pub principal: String,
    /// The key's fingerprint as ssh-keygen prints it: `SHA256:...`.
    pub fingerprint: String,
}

/// The command `airgapctl policy sign` runs: `ssh-keygen -Y sign -f KEY -n airgapd-policy
/// FILE`, which writes `FILE.sig` (and asks before overwriting one, and for the passphrase).
pub fn sign_command(ssh_keygen: &Path, key: &Path, file: &Path) -> Command {
    sign_command_in(ssh_keygen, key, file, NAMESPACE)
}

/// [`sign_command`] in another namespace.
pub fn sign_command_in(ssh_keygen: &Path, key: &Path, file: &Path, namespace: &str) -> Command {
    let mut cmd = Command::new(ssh_keygen);
    cmd.args(["-Y", "sign", "-f"])
        .arg(key)
        .args(["-n", namespace])
        .arg(file);
    cmd
}

/// Checks that a trusted key signed `offered` in the `airgapd-policy` namespace, telling an
/// unknown key, a signature made for something else and a file altered after signing apart.
pub fn verify(
    ssh_keygen: &Path,
    keys: &TrustedKeys,
    offered: &Offered,
) -> Result<Signer, UpdateError> {
    verify_in(ssh_keygen, keys, offered, NAMESPACE)
}

/// [`verify`] in another namespace.
pub fn verify_in(
    ssh_keygen: &Path,
    keys: &TrustedKeys,
    offered: &Offered,
    namespace: &str,
) -> Result<Signer, UpdateError> {
    let work = WorkDir::create().map_err(|e| keygen_error(ssh_keygen, &e))?;
    let allowed = work.path.join("allowed_signers");
    let sig = work.path.join("policy.sig");
    std::fs::write(&allowed, keys.allowed_signers())
        .and_then(|()| std::fs::write(&sig, &offered.sig))
        .map_err(|e| keygen_error(ssh_keygen, &e))?;

    let found = run(
        ssh_keygen,
        &[
            "-Y".as_ref(),
            "find-principals".as_ref(),
            "-s".as_ref(),
            sig.as_os_str(),
            "-f".as_ref(),
            allowed.as_os_str(),
        ],
        None,
    )?;
    let Some(principal) = found.success.then(|| found.stdout.lines().next()).flatten() else {
        // A signature ssh-keygen cannot parse also "matches no principal": look at that first.
        if found.stderr.contains("parse signature") {
            return Err(UpdateError::MalformedSignature {
                sig: offered.sig_file.clone(),
                detail: found.first_error(),
            });
        }
        if found.stderr.contains("No principal matched") {
            return Err(UpdateError::UnknownKey {
                file: offered.file.clone(),
                fingerprint: signing_key_in(ssh_keygen, &sig, offered.text.as_bytes(), namespace),
                trusted: keys.dir.clone(),
            });
        }
        return Err(UpdateError::SshKeygen {
            program: ssh_keygen.to_path_buf(),
            detail: format!("find-principals: {}", found.first_error()),
        });
    };
    let principal = principal.trim().to_string();

    let verified = run(
        ssh_keygen,
        &[
            "-Y".as_ref(),
            "verify".as_ref(),
            "-f".as_ref(),
            allowed.as_os_str(),
            "-I".as_ref(),
            principal.as_ref(),
            "-n".as_ref(),
            namespace.as_ref(),
            "-s".as_ref(),
            sig.as_os_str(),
        ],
        Some(offered.text.as_bytes()),
    )?;
    if !verified.success {
        if verified.stderr.contains("namespace") {
            return Err(UpdateError::WrongNamespace {
                file: offered.file.clone(),
                principal,
            });
        }
        return Err(UpdateError::BadSignature {
            file: offered.file.clone(),
            principal,
            detail: verified.first_error(),
        });
    }
    // `Good "airgapd-policy" signature for NAME with ED25519 key SHA256:...`
    let fingerprint = good_fingerprint(&verified.stdout).ok_or_else(|| UpdateError::SshKeygen {
        program: ssh_keygen.to_path_buf(),
        detail: format!("unexpected answer {:?}", verified.stdout.trim()),
    })?;
    Ok(Signer {
        principal,
        fingerprint,
    })
}

/// The fingerprint of the key that made the signature file `sig` of `text` in the
/// `airgapd-policy` namespace, trusted or not; `None` when the signature does not match.
pub fn signing_key(ssh_keygen: &Path, sig: &Path, text: &[u8]) -> Option<String> {
    signing_key_in(ssh_keygen, sig, text, NAMESPACE)
}

/// [`signing_key`] in another namespace.
pub fn signing_key_in(
    ssh_keygen: &Path,
    sig: &Path,
    text: &[u8],
    namespace: &str,
) -> Option<String> {
    let checked = run(
        ssh_keygen,
        &[
            "-Y".as_ref(),
            "check-novalidate".as_ref(),
            "-n".as_ref(),
            namespace.as_ref(),
            "-s".as_ref(),
            sig.as_os_str(),
        ],
        Some(text),
    )
    .ok()?;
    checked
        .success
        .then(|| good_fingerprint(&checked.stdout))
        .flatten()
}

pub(crate) fn good_fingerprint(stdout: &str) -> Option<String> {
    let line = stdout.lines().find(|l| l.starts_with("Good "))?;
    let (_, after) = line.rsplit_once(" key ")?;
    let fingerprint = after.trim();
    fingerprint
        .starts_with("SHA256:")
        .then(|| fingerprint.to_string())
}

/// What one ssh-keygen run said.
pub(crate) struct Ran {
    pub(crate) success: bool,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Ran {
    pub(crate) fn first_error(&self) -> String {
        self.stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no explanation")
            .trim()
            .to_string()
    }
}

/// Run ssh-keygen with a clean environment (C locale, so its answers can be read), `stdin`
/// written to it from memory. Machine-key reports (`crate::report::sign`) use it too.
pub(crate) fn run(
    ssh_keygen: &Path,
    args: &[&std::ffi::OsStr],
    stdin: Option<&[u8]>,
) -> Result<Ran, UpdateError> {
    let mut child = Command::new(ssh_keygen)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LC_ALL", "C")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| keygen_error(ssh_keygen, &e))?;
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // ssh-keygen reads the whole message before it answers; one that stops early (a
        // signature it cannot parse) closes the pipe, which is not an error here.
        if let Err(e) = pipe.write_all(bytes) {
            if e.kind() != ErrorKind::BrokenPipe {
                return Err(keygen_error(ssh_keygen, &e));
            }
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|e| keygen_error(ssh_keygen, &e))?;
    Ok(Ran {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

fn keygen_error(ssh_keygen: &Path, e: &std::io::Error) -> UpdateError {
    UpdateError::SshKeygen {
        program: ssh_keygen.to_path_buf(),
        detail: e.to_string(),
    }
}

/// A directory only this user can enter, removed on drop.
pub(crate) struct WorkDir {
    pub(crate) path: PathBuf,
}

impl WorkDir {
    pub(crate) fn create() -> std::io::Result<WorkDir> {
        let template = std::env::temp_dir().join("airgapd-verify-XXXXXX");
        // mkdtemp creates it with mode 0700.
        let path = nix::unistd::mkdtemp(&template)?;
        Ok(WorkDir { path })
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fingerprint_of_a_good_signature() {
        let out = "Good \"airgapd-policy\" signature for office with ED25519 key \
                   SHA256:FYrF2/CQhtx1AHKO4FW3zJmKovRnz6qTR9fzmpZ1vRY\n";
        assert_eq!(
            good_fingerprint(out).as_deref(),
            Some("SHA256:FYrF2/CQhtx1AHKO4FW3zJmKovRnz6qTR9fzmpZ1vRY")
        );
        assert_eq!(good_fingerprint("Could not verify signature.\n"), None);
    }

    #[test]
    fn sign_runs_exactly_the_standard_command() {
        let cmd = sign_command(
            Path::new("/usr/bin/ssh-keygen"),
            Path::new("office"),
            Path::new("p.toml"),
        );
        let args: Vec<_> = cmd.get_args().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(
            args,
            [
                "-Y",
                "sign",
                "-f",
                "office",
                "-n",
                "airgapd-policy",
                "p.toml"
            ]
        );
    }
}
