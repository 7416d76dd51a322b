//! The keys a policy update must be signed with: `/etc/airgapd/trusted-keys/NAME.pub`, each an
//! OpenSSH public key file exactly as `ssh-keygen -t ed25519` writes it; `NAME` is the key's
//! principal (the name records and messages use). Installing or removing a key is root's act,
//! so the directory and every file in it must be root's and writable by no one else; anything
//! else in the directory is refused rather than skipped, so what is trusted is exactly what an
//! inspector sees with `ls`.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::file::{self, FileProblem, Owner};
use super::ssh::{NAMESPACE, RELEASE_NAMESPACE};
use super::UpdateError;

/// The largest key file accepted; an ed25519 public key line is about 100 bytes.
const MAX_KEY_FILE_BYTES: u64 = 16 * 1024;

/// Key types accepted: ed25519, in a file or on a FIDO security key.
const KEY_TYPES: &[&str] = &["ssh-ed25519", "sk-ssh-ed25519@openssh.com"];

/// One trusted key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// The file name without `.pub`: the principal ssh-keygen reports.
    pub principal: String,
    /// `ssh-ed25519` or `sk-ssh-ed25519@openssh.com`.
    pub key_type: String,
    /// The base64 key blob.
    pub key: String,
    /// The file it came from.
    pub file: PathBuf,
}

/// Every trusted key of a directory.
#[derive(Debug, Clone)]
pub struct TrustedKeys {
    /// The directory.
    pub dir: PathBuf,
    /// Its keys, sorted by principal.
    pub keys: Vec<TrustedKey>,
}

impl TrustedKeys {
    /// Reads `dir`. Refuses a directory or file not owned by root or writable by group or
    /// others, a link, a file that is not `NAME.pub` with one ed25519 key, and an empty or
    /// missing directory.
    pub fn read(dir: &Path) -> Result<TrustedKeys, UpdateError> {
        let untrusted = |path: &Path, problem: String| UpdateError::UntrustedKeys {
            path: path.to_path_buf(),
            problem,
        };
        let meta = match fs::symlink_metadata(dir) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(UpdateError::NoTrustedKeys {
                    dir: dir.to_path_buf(),
                })
            }
            Err(e) => return Err(untrusted(dir, e.to_string())),
        };
        if !meta.file_type().is_dir() {
            return Err(untrusted(
                dir,
                format!("is a {}, not a directory", file::kind_name(&meta)),
            ));
        }
        file::check_owner(&meta, Owner::Root).map_err(|p| untrusted(dir, p.to_string()))?;
        let entries = fs::read_dir(dir).map_err(|e| untrusted(dir, e.to_string()))?;
        let mut keys = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| untrusted(dir, e.to_string()))?;
            let path = entry.path();
            let name = entry.file_name();
            let principal = name
                .to_str()
                .and_then(|n| n.strip_suffix(".pub"))
                .filter(|p| valid_principal(p))
                .ok_or_else(|| {
                    untrusted(
                        &path,
                        "is not a public key file NAME.pub (NAME of letters, digits, . _ @ -); \
                         remove it from the trusted keys"
                            .into(),
                    )
                })?;
            let bytes =
                file::read(&path, Owner::Root, MAX_KEY_FILE_BYTES).map_err(|p| match p {
                    FileProblem::Missing => untrusted(&path, "vanished while being read".into()),
                    p => untrusted(&path, p.to_string()),
                })?;
            let text = String::from_utf8(bytes)
                .map_err(|_| untrusted(&path, "is not a text file".into()))?;
            let (key_type, key) =
                parse_public_key(&text).map_err(|problem| untrusted(&path, problem))?;
            keys.push(TrustedKey {
                principal: principal.to_string(),
                key_type,
                key,
                file: path,
            });
        }
        // The directory may have changed while being listed: check it again.
        let after = fs::symlink_metadata(dir).map_err(|e| untrusted(dir, e.to_string()))?;
        if after.ino() != meta.ino() || after.dev() != meta.dev() || !after.is_dir() {
            return Err(untrusted(dir, "was replaced while being read".into()));
        }
        file::check_owner(&after, Owner::Root).map_err(|p| untrusted(dir, p.to_string()))?;
        if keys.is_empty() {
            return Err(UpdateError::NoTrustedKeys {
                dir: dir.to_path_buf(),
            });
        }
        keys.sort_by(|a, b| a.principal.cmp(&b.principal));
        Ok(TrustedKeys {
            dir: dir.to_path_buf(),
            keys,
        })
    }

    /// The `allowed_signers` file ssh-keygen verifies against (see ssh-keygen(1), "ALLOWED
    /// SIGNERS"): one line per key, restricted to the `airgapd-policy` and `airgapd-release`
    /// namespaces (policy updates and release orders, each verified in its own).
    pub fn allowed_signers(&self) -> String {
        self.keys
            .iter()
            .map(|k| {
                format!(
                    "{} namespaces=\"{NAMESPACE},{RELEASE_NAMESPACE}\" {} {}\n",
                    k.principal, k.key_type, k.key
                )
            })
            .collect()
    }
}

/// A principal that cannot be read as a pattern list by ssh-keygen (no `*`, `?`, `!`, `,`, no
/// space or quote) and is not a hidden file.
fn valid_principal(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'))
}

/// `TYPE BASE64 [COMMENT]`: the one key line of a `.pub` file (blank and `#` lines ignored).
fn parse_public_key(text: &str) -> Result<(String, String), String> {
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    let line = lines
        .next()
        .ok_or("holds no key; copy the .pub file ssh-keygen wrote")?;
    if lines.next().is_some() {
        return Err("holds more than one key; put each key in a file of its own".into());
    }
    let mut words = line.split_whitespace();
    let key_type = words.next().unwrap_or_default();
    if !KEY_TYPES.contains(&key_type) {
        return Err(format!(
            "holds a {key_type:?} key; expected an ed25519 public key ({})",
            KEY_TYPES.join(" or ")
        ));
    }
    let key = words.next().unwrap_or_default();
    let base64 = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
    if key.len() < 16 || !key.bytes().all(base64) {
        return Err("the key is not base64; copy the .pub file ssh-keygen wrote".into());
    }
    Ok((key_type.to_string(), key.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AAAAC3NzaC1lZDI1NTE5AAAAICUJog7UbNmp5ueSZPKF561WAI4N9ExTBmfsN7DviHGl";

    #[test]
    fn public_key_files_as_ssh_keygen_writes_them() {
        let (t, k) = parse_public_key(&format!("ssh-ed25519 {KEY} office@pc\n")).unwrap();
        assert_eq!((t.as_str(), k.as_str()), ("ssh-ed25519", KEY));
        assert!(parse_public_key(&format!("# office\n\nssh-ed25519 {KEY}\n")).is_ok());
        assert!(parse_public_key(&format!("ssh-rsa {KEY}\n"))
            .unwrap_err()
            .contains("ed25519"));
        assert!(
            parse_public_key(&format!("ssh-ed25519 {KEY}\nssh-ed25519 {KEY}\n"))
                .unwrap_err()
                .contains("more than one")
        );
        assert!(parse_public_key("ssh-ed25519 \"x\" *\n").is_err());
        assert!(parse_public_key("").is_err());
        // An allowed_signers line (options first) is not a public key file.
        assert!(parse_public_key(&format!("office ssh-ed25519 {KEY}\n")).is_err());
    }

    #[test]
    fn principals_are_plain_names() {
        assert!(valid_principal("security-office_2026@ministry.x"));
        for bad in ["", ".hidden", "a*", "a,b", "!a", "a b", "a\"b", "ä"] {
            assert!(!valid_principal(bad), "{bad:?}");
        }
    }
}
