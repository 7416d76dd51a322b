//! Why a policy update was refused or did not complete. One variant per kind of refusal, each
//! message saying which it is and what to do; [`UpdateError::kind`] names it in one word for
//! `--json` and the journal.

use std::io;
use std::path::PathBuf;

use airgapd_policy::{Location, PolicyError};

use crate::devices::DeviceError;

/// A refused or failed policy update. Every variant leaves the machine as it was, except
/// [`UpdateError::Install`] after the counter was raised, which says so.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The caller is not root; only root may change what the machine enforces.
    #[error("only root may apply a policy update (you are uid {uid}): run it with sudo")]
    NotRoot {
        /// The caller's effective uid.
        uid: u32,
    },
    /// Another `airgapctl policy apply` holds the update lock.
    #[error("{}: another policy update is in progress; wait for it and try again", dir.display())]
    Busy {
        /// The directory whose lock is held.
        dir: PathBuf,
    },
    /// The offered policy file does not exist.
    #[error("{}: no such file", file.display())]
    Missing {
        /// The file.
        file: PathBuf,
    },
    /// No signature file next to the policy.
    #[error(
        "{}: unsigned: there is no signature {}; the security office signs with \
         `airgapctl policy sign --key KEY FILE` and copies both files",
        file.display(), sig.display()
    )]
    Unsigned {
        /// The policy file.
        file: PathBuf,
        /// The signature that was looked for.
        sig: PathBuf,
    },
    /// The policy or its signature is a symbolic link; following it would let whoever controls
    /// the link choose what is read.
    #[error("{}: is a symbolic link; copy the real file onto the medium", file.display())]
    Symlink {
        /// The link.
        file: PathBuf,
    },
    /// The policy or its signature is a directory, FIFO, socket or device node.
    #[error("{}: is a {kind}, not a regular file", file.display())]
    NotRegular {
        /// The path.
        file: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// The file is larger than any policy (or signature) may be.
    #[error("{}: is {size} bytes; expected at most {limit} bytes", file.display())]
    TooLarge {
        /// The file.
        file: PathBuf,
        /// Its size (at least `limit + 1` if it grew while being read).
        size: u64,
        /// The largest size accepted.
        limit: u64,
    },
    /// The policy is not UTF-8, so it is not TOML.
    #[error("{location}: the file is not valid UTF-8; save it as UTF-8 and sign it again")]
    NotUtf8 {
        /// The first byte that is not UTF-8.
        location: Location,
    },
    /// The signature file is not an SSH signature at all.
    #[error("{}: is not an SSH signature ({detail}); sign with `airgapctl policy sign`", sig.display())]
    MalformedSignature {
        /// The signature file.
        sig: PathBuf,
        /// What ssh-keygen said.
        detail: String,
    },
    /// No trusted key is installed, so nothing can be verified.
    #[error(
        "{}: no trusted key installed; install the security office's public key there as \
         NAME.pub (root:root, mode 0644)",
        dir.display()
    )]
    NoTrustedKeys {
        /// The trusted-keys directory.
        dir: PathBuf,
    },
    /// The trusted-keys directory or one of its files could have been changed by someone other
    /// than root, or holds something that is not a public key.
    #[error("{}: {problem}; the trusted keys are not used", path.display())]
    UntrustedKeys {
        /// The directory or file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// The signature was made by a key that is not trusted on this machine.
    #[error(
        "{}: signed by an unknown key ({}): no key in {} matches; only policies signed by \
         the security office's installed key are accepted",
        file.display(), fingerprint.as_deref().unwrap_or("fingerprint unknown"), trusted.display()
    )]
    UnknownKey {
        /// The policy file.
        file: PathBuf,
        /// `SHA256:...` of the signing key, when ssh-keygen could tell.
        fingerprint: Option<String>,
        /// The trusted-keys directory.
        trusted: PathBuf,
    },
    /// A trusted key signed, but for another purpose (an ssh-keygen namespace other than
    /// `airgapd-policy`): a signature made for something else must not install a policy.
    #[error(
        "{}: the signature by {principal} was made for another purpose (its namespace is not \
         airgapd-policy); sign with `airgapctl policy sign`",
        file.display()
    )]
    WrongNamespace {
        /// The policy file.
        file: PathBuf,
        /// The trusted key's name.
        principal: String,
    },
    /// The signature does not match the file: it was changed (or truncated) after signing.
    #[error(
        "{}: altered after signing: the signature by {principal} does not match the file's \
         contents ({detail}); get a freshly signed copy from the security office",
        file.display()
    )]
    BadSignature {
        /// The policy file.
        file: PathBuf,
        /// The trusted key that should have signed.
        principal: String,
        /// What ssh-keygen said.
        detail: String,
    },
    /// ssh-keygen could not be run, or answered something this code does not understand.
    #[error("cannot verify the signature with {}: {detail}", program.display())]
    SshKeygen {
        /// The program.
        program: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The policy is signed but invalid: the policy errors, with line and column.
    #[error("signed but invalid policy: {source}")]
    Invalid {
        /// Every problem, `file:line:column: field: problem`.
        #[from]
        source: PolicyError,
    },
    /// The policy's serial is lower than the highest serial applied: an old policy replayed.
    #[error(
        "{}: serial {serial} is older than serial {highest}, the highest applied on this \
         machine: refusing to roll back; ask the security office for a policy with a serial \
         greater than {highest}",
        file.display()
    )]
    Rollback {
        /// The policy file.
        file: PathBuf,
        /// Its `[meta] serial`.
        serial: u64,
        /// The highest serial applied (the counter, or the installed policy's).
        highest: u64,
    },
    /// The serial is the one already applied, but the file is a different policy: every new
    /// policy needs a greater serial.
    #[error(
        "{}: serial {serial} is already applied on this machine, with different contents: a \
         new policy needs a serial greater than {serial}",
        file.display()
    )]
    SameSerial {
        /// The policy file.
        file: PathBuf,
        /// Its `[meta] serial`, equal to the highest applied.
        serial: u64,
    },
    /// The anti-rollback state file is unreadable, unsafe or corrupt. Nothing is installed (and
    /// the daemon refuses reloads) until it is repaired: failing open would allow rollbacks.
    #[error("{}: anti-rollback state unusable: {problem}", file.display())]
    State {
        /// The state file.
        file: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The policy is valid but cannot be enforced on this machine (its device rules do not
    /// resolve); installing it would only make the daemon refuse it.
    #[error("the policy cannot be enforced on this machine: {source}")]
    Unenforceable {
        /// The planner's error.
        #[source]
        source: DeviceError,
    },
    /// Reading a file failed.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Installing failed at `step`. Before the counter is raised nothing changed; after it,
    /// the previous policy stays in force until the same file is applied again.
    #[error("{}: {step} failed: {source}{}", path.display(), if *counter_raised {
        "; the previous policy stays in force: apply the same file again to complete the update"
    } else {
        "; nothing was changed"
    })]
    Install {
        /// What was being done, e.g. `writing`, `renaming`.
        step: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// Whether the anti-rollback counter had already been raised.
        counter_raised: bool,
        /// The underlying error.
        source: io::Error,
    },
}

impl UpdateError {
    /// Whether the refusal is about the signature: none, unknown key, altered, malformed or
    /// made for another use.
    pub fn is_signature(&self) -> bool {
        matches!(
            self,
            UpdateError::Unsigned { .. }
                | UpdateError::MalformedSignature { .. }
                | UpdateError::UnknownKey { .. }
                | UpdateError::WrongNamespace { .. }
                | UpdateError::BadSignature { .. }
        )
    }

    /// One word per kind of refusal, stable for scripts and the journal.
    pub fn kind(&self) -> &'static str {
        match self {
            UpdateError::NotRoot { .. } => "not-root",
            UpdateError::Busy { .. } => "busy",
            UpdateError::Missing { .. } => "missing",
            UpdateError::Unsigned { .. } => "unsigned",
            UpdateError::Symlink { .. } => "symlink",
            UpdateError::NotRegular { .. } => "not-regular",
            UpdateError::TooLarge { .. } => "too-large",
            UpdateError::NotUtf8 { .. } => "not-utf8",
            UpdateError::MalformedSignature { .. } => "malformed-signature",
            UpdateError::NoTrustedKeys { .. } => "no-trusted-keys",
            UpdateError::UntrustedKeys { .. } => "untrusted-keys",
            UpdateError::UnknownKey { .. } => "unknown-key",
            UpdateError::WrongNamespace { .. } => "wrong-namespace",
            UpdateError::BadSignature { .. } => "bad-signature",
            UpdateError::SshKeygen { .. } => "ssh-keygen",
            UpdateError::Invalid { .. } => "invalid",
            UpdateError::Rollback { .. } => "rollback",
            UpdateError::SameSerial { .. } => "same-serial",
            UpdateError::State { .. } => "state",
            UpdateError::Unenforceable { .. } => "unenforceable",
            UpdateError::Read { .. } => "read",
            UpdateError::Install { .. } => "install",
        }
    }
}
