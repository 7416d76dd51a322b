//! The anti-rollback state: the highest policy serial ever applied on this machine, kept in a
//! small root-owned file (`/var/lib/airgapd/policy-serial`) that survives restarts. `airgapctl
//! policy apply` raises it; the daemon checks every policy it loads against it
//! ([`check_reload`]).
//!
//! ```text
//! # airgapd anti-rollback state ...
//! serial=7
//! sha256=<SHA-256 of the policy applied with serial 7>
//! previous-sha256=<SHA-256 of the policy it replaces; only while the update is unfinished>
//! signer=<the trusted key's name>          (who signed the policy with this serial)
//! fingerprint=SHA256:<its fingerprint>
//! installed-at=<microseconds since the Unix epoch>
//! ```
//!
//! The last three let `airgapctl status` and `policy show` say whether the policy in force is
//! the signed one (its SHA-256 equals `sha256`) or a local edit made after it.
//!
//! The counter is raised *before* the new policy is renamed into place (see
//! [`super::install`]), so no crash lets an older file in after a newer one was installed.
//! Between those two steps the old file is still at the target with a counter already
//! raised; it stays acceptable exactly while the staged `policy.toml.new` of that update
//! exists, and only if it is the very file the update replaces (`previous-sha256`, which the
//! last step of the update removes again).

use std::fs;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use airgapd_policy::Policy;

use super::file::{self, FileProblem, Owner};
use super::{Layout, UpdateError};

/// The largest state file accepted.
const MAX_STATE_BYTES: u64 = 4096;

/// What the state file records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialState {
    /// The highest serial ever applied.
    pub serial: u64,
    /// SHA-256 of the policy applied with it: the one file that may be applied again with the
    /// same serial (to complete an interrupted update).
    pub sha256: String,
    /// While an update is unfinished, SHA-256 of the policy it replaces (if that one was
    /// acceptable): accepted while the update is interrupted before its rename.
    pub previous_sha256: Option<String>,
    /// Who signed the policy with this serial, and when it was installed (absent in state
    /// files written before airgapd kept it).
    pub signed: Option<Signed>,
}

/// The provenance of the policy the counter was raised for.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Signed {
    /// The trusted key's name.
    pub signer: String,
    /// The key's fingerprint, `SHA256:...`.
    pub fingerprint: String,
    /// When `policy apply` installed it, microseconds since the Unix epoch.
    pub installed_at_us: u64,
}

impl SerialState {
    /// Reads the state at `path`; `None` when there is none yet (no update ever applied).
    /// A state file that is not root's, is writable by others, a link or corrupt is an error:
    /// ignoring it would allow rollbacks.
    pub fn read(path: &Path) -> Result<Option<SerialState>, UpdateError> {
        let error = |problem: String| UpdateError::State {
            file: path.to_path_buf(),
            problem,
        };
        let bytes = match file::read(path, Owner::Root, MAX_STATE_BYTES) {
            Ok(bytes) => bytes,
            Err(FileProblem::Missing) => return Ok(None),
            Err(p) => return Err(error(p.to_string())),
        };
        let text = String::from_utf8(bytes).map_err(|_| error("not UTF-8".into()))?;
        parse(&text).map(Some).map_err(error)
    }

    /// Replaces the state at `path` atomically: a temporary file next to it, fsynced, renamed
    /// over it, the directory fsynced. The directory is created (root, 0755) if needed.
    pub fn write(&self, path: &Path) -> io::Result<()> {
        let dir = file::parent(path);
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(dir)?;
        let temp = staged(path);
        file::write_synced(&temp, self.render().as_bytes(), 0o644)?;
        file::rename_synced(&temp, path)
    }

    fn render(&self) -> String {
        let mut text = String::from(
            "# airgapd anti-rollback state, written by `airgapctl policy apply` and checked by\n\
             # airgapd whenever it loads the policy. Never lower it by hand: see\n\
             # /usr/share/doc/airgapd/policy-updates.md.\n",
        );
        text.push_str(&format!("serial={}\nsha256={}\n", self.serial, self.sha256));
        if let Some(previous) = &self.previous_sha256 {
            text.push_str(&format!("previous-sha256={previous}\n"));
        }
        if let Some(s) = &self.signed {
            // One line each: a name cannot carry a line break into the file.
            let one_line = |v: &str| v.replace(['\n', '\r'], " ");
            text.push_str(&format!(
                "signer={}\nfingerprint={}\ninstalled-at={}\n",
                one_line(&s.signer),
                one_line(&s.fingerprint),
                s.installed_at_us
            ));
        }
        text
    }
}

/// `PATH.new`: where a file is written before it is renamed over `PATH`.
pub fn staged(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

fn parse(text: &str) -> Result<SerialState, String> {
    let (mut serial, mut sha256, mut previous) = (None, None, None);
    let (mut signer, mut fingerprint, mut installed_at) = (None, None, None);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = n + 1;
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("line {at}: expected key=value"))?;
        let slot = match key {
            "serial" => &mut serial,
            "sha256" => &mut sha256,
            "previous-sha256" => &mut previous,
            "signer" => &mut signer,
            "fingerprint" => &mut fingerprint,
            "installed-at" => &mut installed_at,
            other => return Err(format!("line {at}: unknown key {other:?}")),
        };
        if slot.replace(value.to_string()).is_some() {
            return Err(format!("line {at}: {key} given twice"));
        }
    }
    let serial = serial
        .ok_or("no serial")?
        .parse::<u64>()
        .map_err(|e| format!("serial: {e}"))?;
    let hex = |name: &str, value: String| {
        if value.len() == 64
            && value
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            Ok(value)
        } else {
            Err(format!("{name}: not a SHA-256 in lowercase hex"))
        }
    };
    Ok(SerialState {
        serial,
        sha256: hex("sha256", sha256.ok_or("no sha256")?)?,
        previous_sha256: previous.map(|p| hex("previous-sha256", p)).transpose()?,
        signed: match (signer, fingerprint, installed_at) {
            (None, None, None) => None,
            (Some(signer), Some(fingerprint), Some(at)) => Some(Signed {
                signer,
                fingerprint,
                installed_at_us: at.parse().map_err(|e| format!("installed-at: {e}"))?,
            }),
            _ => return Err("signer, fingerprint and installed-at go together".into()),
        },
    })
}

/// The daemon's anti-rollback check, for every load of `policy_file` (reload, and start): a
/// policy whose serial is lower than the highest ever applied is refused. An equal serial is
/// fine (the same policy read again). The one exception is an update interrupted between
/// raising the counter and renaming its file into place: the file it was replacing stays
/// acceptable while the update's staged file exists (see the module documentation).
pub fn check_reload(policy: &Policy, policy_file: &Path) -> Result<(), UpdateError> {
    let layout = Layout::for_policy(policy_file);
    let state = SerialState::read(&layout.serial)?;
    let interrupted = file::is_regular(&staged(&layout.policy));
    check_against(policy, policy_file, state.as_ref(), interrupted)
}

/// [`check_reload`] with the state and "is an update interrupted?" given.
pub fn check_against(
    policy: &Policy,
    policy_file: &Path,
    state: Option<&SerialState>,
    update_interrupted: bool,
) -> Result<(), UpdateError> {
    let Some(state) = state else {
        return Ok(());
    };
    let serial = policy.meta.serial;
    if serial >= state.serial {
        return Ok(());
    }
    if update_interrupted && state.previous_sha256.as_deref() == Some(policy.sha256()) {
        tracing::warn!(
            "{}: an update to serial {} was interrupted before its file was installed; the \
             previous policy stays until the update is applied again",
            policy_file.display(),
            state.serial
        );
        return Ok(());
    }
    Err(UpdateError::Rollback {
        file: policy_file.to_path_buf(),
        serial,
        highest: state.serial,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(c: char) -> String {
        c.to_string().repeat(64)
    }

    fn policy(serial: u64) -> Policy {
        let text = format!("[meta]\nserial = {serial}\n");
        airgapd_policy::parse(&text, None).unwrap().policy
    }

    #[test]
    fn renders_and_parses_back() {
        let state = SerialState {
            serial: 7,
            sha256: sha('a'),
            previous_sha256: Some(sha('b')),
            signed: None,
        };
        assert_eq!(parse(&state.render()), Ok(state.clone()));
        let first = SerialState {
            previous_sha256: None,
            ..state
        };
        assert_eq!(parse(&first.render()), Ok(first.clone()));
        let signed = SerialState {
            signed: Some(Signed {
                signer: "office".into(),
                fingerprint: "SHA256:abc".into(),
                installed_at_us: 1_796_000_000_000_000,
            }),
            ..first
        };
        assert_eq!(parse(&signed.render()), Ok(signed));
    }

    #[test]
    fn corrupt_states_are_errors() {
        let a = sha('a');
        for bad in [
            String::new(),
            format!("serial=x\nsha256={a}\n"),
            format!("serial=1\nsha256={}\n", a.to_uppercase()),
            format!("serial=1\nserial=2\nsha256={a}\n"),
            format!("serial=1\nsha256={a}\nowner=me\n"),
            "serial=1\n".to_string(),
            format!("serial=1\nsha256={a}\nsigner=office\n"),
            format!("serial=1\nsha256={a}\nsigner=o\nfingerprint=f\ninstalled-at=soon\n"),
        ] {
            assert!(parse(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn lower_serials_are_refused_equal_ones_are_not() {
        let file = Path::new("p.toml");
        let state = SerialState {
            serial: 5,
            sha256: sha('a'),
            previous_sha256: None,
            signed: None,
        };
        assert!(check_against(&policy(5), file, Some(&state), false).is_ok());
        assert!(check_against(&policy(6), file, Some(&state), false).is_ok());
        let err = check_against(&policy(4), file, Some(&state), false).unwrap_err();
        assert_eq!(err.kind(), "rollback");
        assert!(
            err.to_string().contains("serial 4 is older than serial 5"),
            "{err}"
        );
        assert!(check_against(&policy(0), file, None, false).is_ok());
    }

    #[test]
    fn the_replaced_policy_stays_only_while_its_update_is_interrupted() {
        let file = Path::new("p.toml");
        let old = policy(4);
        let state = SerialState {
            serial: 5,
            sha256: sha('a'),
            previous_sha256: Some(old.sha256().to_string()),
            signed: None,
        };
        assert!(check_against(&old, file, Some(&state), true).is_ok());
        assert!(check_against(&old, file, Some(&state), false).is_err());
        assert!(check_against(&policy(3), file, Some(&state), true).is_err());
    }
}
