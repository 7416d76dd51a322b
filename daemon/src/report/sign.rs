//! The machine key and the report's signature: an OpenSSH ed25519 key, made by ssh-keygen,
//! and `ssh-keygen -Y sign` in the `airgapd-report` namespace (so a report signature is never
//! taken for a policy's, nor the reverse), as policy updates are signed (`crate::update::ssh`).
//! An officer can repeat the check by hand:
//!
//! ```text
//! echo "machine namespaces=\"airgapd-report\" $(cat machine-key.pub)" > allowed
//! ssh-keygen -Y verify -f allowed -I machine -n airgapd-report -s report.sig < report.json
//! ```

use std::ffi::OsStr;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

use super::ReportError;
use crate::paths::SSH_KEYGEN;
use crate::update::ssh::{self, Ran, WorkDir};

/// The signature namespace of inspection reports.
pub const NAMESPACE: &str = "airgapd-report";

/// A machine's public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// `ssh-ed25519 BASE64`, without a comment.
    pub line: String,
    /// `SHA256:...`, as ssh-keygen prints it.
    pub fingerprint: String,
}

fn keygen(args: &[&OsStr], stdin: Option<&[u8]>) -> Result<Ran, ReportError> {
    ssh::run(Path::new(SSH_KEYGEN), args, stdin).map_err(|e| ReportError::SshKeygen {
        program: SSH_KEYGEN.into(),
        detail: e.to_string(),
    })
}

fn keygen_failed(ran: &Ran, what: &str) -> ReportError {
    ReportError::SshKeygen {
        program: SSH_KEYGEN.into(),
        detail: format!("{what}: {}", ran.first_error()),
    }
}

/// The public key at `key`.pub, or made now (with its directory, root's only) when `key`
/// does not exist: the package makes it at install, this covers a machine installed
/// otherwise.
pub fn ensure_key(key: &Path) -> Result<PublicKey, ReportError> {
    if !key.exists() {
        if let Some(dir) = key.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| ReportError::io(dir, e))?;
        }
        let ran = keygen(
            &[
                "-q".as_ref(),
                "-t".as_ref(),
                "ed25519".as_ref(),
                "-N".as_ref(),
                "".as_ref(),
                "-C".as_ref(),
                "airgapd-machine".as_ref(),
                "-f".as_ref(),
                key.as_os_str(),
            ],
            None,
        )?;
        if !ran.success {
            return Err(keygen_failed(&ran, &format!("make {}", key.display())));
        }
        tracing::info!(key = %key.display(), "machine key made");
    }
    read_public(&public_file(key))
}

/// Where ssh-keygen put the public half of `key`: `KEY.pub`.
pub fn public_file(key: &Path) -> std::path::PathBuf {
    let mut name = key.as_os_str().to_owned();
    name.push(".pub");
    name.into()
}

/// The ed25519 public key in the OpenSSH file `file`.
pub fn read_public(file: &Path) -> Result<PublicKey, ReportError> {
    let text = std::fs::read_to_string(file).map_err(|e| ReportError::io(file, e))?;
    public_from_line(&text, file)
}

/// The ed25519 key of one OpenSSH public key line (`type blob [comment]`), said to come from
/// `file`; its fingerprint from ssh-keygen.
pub fn public_from_line(text: &str, file: &Path) -> Result<PublicKey, ReportError> {
    let bad = || ReportError::BadKey {
        file: file.to_path_buf(),
    };
    let mut words = text.split_whitespace();
    let (Some("ssh-ed25519"), Some(blob)) = (words.next(), words.next()) else {
        return Err(bad());
    };
    let line = format!("ssh-ed25519 {blob}");
    let work = WorkDir::create().map_err(|e| ReportError::io(&std::env::temp_dir(), e))?;
    let copy = work.path.join("key.pub");
    std::fs::write(&copy, format!("{line}\n")).map_err(|e| ReportError::io(&copy, e))?;
    let ran = keygen(&["-l".as_ref(), "-f".as_ref(), copy.as_os_str()], None)?;
    // `256 SHA256:... no comment (ED25519)`
    let fingerprint = ran
        .success
        .then(|| ran.stdout.split_whitespace().nth(1))
        .flatten()
        .filter(|f| f.starts_with("SHA256:"))
        .ok_or_else(bad)?
        .to_string();
    Ok(PublicKey { line, fingerprint })
}

/// The signature of `bytes` with the private key `key`, as `ssh-keygen -Y sign` writes it.
pub fn sign(key: &Path, bytes: &[u8]) -> Result<Vec<u8>, ReportError> {
    let ran = keygen(
        &[
            "-Y".as_ref(),
            "sign".as_ref(),
            "-f".as_ref(),
            key.as_os_str(),
            "-n".as_ref(),
            NAMESPACE.as_ref(),
        ],
        Some(bytes),
    )?;
    if !ran.success || !ran.stdout.contains("BEGIN SSH SIGNATURE") {
        return Err(keygen_failed(&ran, &format!("sign with {}", key.display())));
    }
    Ok(ran.stdout.into_bytes())
}

/// Whether `sig` (the file `sig_file`) is `key`'s signature of `bytes` (the file `file`) in
/// [`NAMESPACE`].
pub fn verify(
    file: &Path,
    bytes: &[u8],
    sig_file: &Path,
    sig: &[u8],
    key: &PublicKey,
) -> Result<(), ReportError> {
    let work = WorkDir::create().map_err(|e| ReportError::io(&std::env::temp_dir(), e))?;
    let allowed = work.path.join("allowed_signers");
    let copy = work.path.join("report.sig");
    std::fs::write(
        &allowed,
        format!("machine namespaces=\"{NAMESPACE}\" {}\n", key.line),
    )
    .map_err(|e| ReportError::io(&allowed, e))?;
    std::fs::write(&copy, sig).map_err(|e| ReportError::io(&copy, e))?;
    let ran = keygen(
        &[
            "-Y".as_ref(),
            "verify".as_ref(),
            "-f".as_ref(),
            allowed.as_os_str(),
            "-I".as_ref(),
            "machine".as_ref(),
            "-n".as_ref(),
            NAMESPACE.as_ref(),
            "-s".as_ref(),
            copy.as_os_str(),
        ],
        Some(bytes),
    )?;
    if ran.success && ssh::good_fingerprint(&ran.stdout).as_deref() == Some(&key.fingerprint) {
        return Ok(());
    }
    Err(ReportError::BadSignature {
        file: file.to_path_buf(),
        sig: sig_file.to_path_buf(),
        key: key.fingerprint.clone(),
        detail: ran.first_error(),
    })
}
