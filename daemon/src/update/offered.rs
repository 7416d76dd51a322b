//! The update as found on the medium: `FILE` and `FILE.sig`, read once into memory. Everything
//! after (signature check, parsing, installing) works on these bytes, so a file changed on the
//! medium meanwhile can never be installed unverified.

use std::path::{Path, PathBuf};

use airgapd_policy::{Location, MAX_POLICY_BYTES};
use sha2::{Digest, Sha256};

use super::file::{self, FileProblem, Owner};
use super::UpdateError;

/// The largest signature file accepted; an ed25519 SSH signature is under 400 bytes.
pub const MAX_SIGNATURE_BYTES: u64 = 64 * 1024;

/// A policy and its signature, read from the medium.
#[derive(Debug, Clone)]
pub struct Offered {
    /// The policy file.
    pub file: PathBuf,
    /// Its signature file, `FILE.sig`.
    pub sig_file: PathBuf,
    /// The policy text (UTF-8, at most [`MAX_POLICY_BYTES`]).
    pub text: String,
    /// The signature, as ssh-keygen wrote it.
    pub sig: Vec<u8>,
    /// Lowercase hex SHA-256 of the text, as [`airgapd_policy::Policy::sha256`] computes it.
    pub sha256: String,
}

/// `FILE.sig`: where `ssh-keygen -Y sign` puts the signature of `FILE`.
pub fn signature_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Reads `file` and `file.sig`. Refuses a link, a non-regular file, a file over the policy
/// crate's limit, text that is not UTF-8 and a missing signature, each with its own error.
/// Ownership is not checked: on a medium it means nothing, the signature is what is trusted.
pub fn read(file: &Path) -> Result<Offered, UpdateError> {
    let bytes = file::read(file, Owner::Any, MAX_POLICY_BYTES).map_err(|p| match p {
        FileProblem::Missing => UpdateError::Missing {
            file: file.to_path_buf(),
        },
        p => refusal(file, MAX_POLICY_BYTES, p),
    })?;
    let sig_file = signature_path(file);
    let sig = file::read(&sig_file, Owner::Any, MAX_SIGNATURE_BYTES).map_err(|p| match p {
        FileProblem::Missing => UpdateError::Unsigned {
            file: file.to_path_buf(),
            sig: sig_file.clone(),
        },
        p => refusal(&sig_file, MAX_SIGNATURE_BYTES, p),
    })?;
    let sha256 = sha256_hex(&bytes);
    let text = String::from_utf8(bytes).map_err(|e| UpdateError::NotUtf8 {
        location: Location::at(
            file.display().to_string(),
            e.as_bytes(),
            e.utf8_error().valid_up_to(),
        ),
    })?;
    Ok(Offered {
        file: file.to_path_buf(),
        sig_file,
        text,
        sig,
        sha256,
    })
}

fn refusal(path: &Path, limit: u64, problem: FileProblem) -> UpdateError {
    let file = path.to_path_buf();
    match problem {
        FileProblem::Symlink => UpdateError::Symlink { file },
        FileProblem::NotRegular(kind) => UpdateError::NotRegular { file, kind },
        FileProblem::TooLarge(size) => UpdateError::TooLarge { file, size, limit },
        FileProblem::Io(source) => UpdateError::Read { path: file, source },
        // Owner::Any checks no owner; Missing is handled by the caller.
        FileProblem::Missing | FileProblem::Owner(_) | FileProblem::Writable(_) => {
            UpdateError::Read {
                path: file,
                source: std::io::Error::other(problem.to_string()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_the_first_bad_byte_in_characters() {
        let bytes = b"a = 1\nid = \"\xc3\xa9\xff\"\n";
        // The bad byte follows `é`: byte 14, the 8th character of line 2.
        let l = Location::at("p.toml", bytes, 14);
        assert_eq!((l.line, l.column), (2, 8));
        assert_eq!(l.to_string(), "p.toml:2:8");
    }

    #[test]
    fn signature_is_the_file_name_plus_sig() {
        assert_eq!(
            signature_path(Path::new("/media/x/policy.toml")),
            PathBuf::from("/media/x/policy.toml.sig")
        );
    }
}
