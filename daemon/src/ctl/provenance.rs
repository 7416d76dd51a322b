//! Where the policy in force comes from, for `status` and `policy show`: the signed policy
//! `policy apply` installed (its signer and key, verified then), a local edit made after it,
//! or a policy never installed signed. Read from the anti-rollback state that `policy apply`
//! writes next to the policy ([`crate::update::SerialState`]); the daemon's SHA-256 of the
//! policy in force decides which.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::output::local_time;
use crate::tr;
use crate::update::{Layout, SerialState};

/// The provenance of the policy in force.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// `signed` (the very file `policy apply` installed after verifying its signature),
    /// `local-edit` (another file than the one last installed signed), `unsigned` (no signed
    /// policy was ever installed here) or `unknown` (the state cannot be read).
    pub kind: String,
    /// The trusted key's name, for `signed` (empty when an older airgapd installed it).
    pub signer: String,
    /// The key's fingerprint, `SHA256:...`, for `signed`.
    pub fingerprint: String,
    /// When the signed policy was installed, microseconds since the Unix epoch (0: unknown).
    pub installed_at_us: u64,
    /// The serial of the signed policy last installed (`signed`, `local-edit`).
    pub signed_serial: u64,
    /// Why it is `unknown`.
    pub problem: String,
}

impl Provenance {
    /// The provenance of the policy at `path` whose SHA-256 is `sha256` (as the daemon
    /// reports the one in force).
    pub fn of(path: &Path, sha256: &str) -> Provenance {
        let state = Layout::for_policy(path).serial;
        match SerialState::read(&state) {
            Err(e) => Provenance {
                kind: "unknown".into(),
                problem: e.to_string(),
                ..Provenance::default()
            },
            Ok(None) => Provenance {
                kind: "unsigned".into(),
                ..Provenance::default()
            },
            Ok(Some(s)) => {
                let signed = s.signed.unwrap_or_default();
                Provenance {
                    kind: if s.sha256 == sha256 {
                        "signed"
                    } else {
                        "local-edit"
                    }
                    .into(),
                    signer: signed.signer,
                    fingerprint: signed.fingerprint,
                    installed_at_us: signed.installed_at_us,
                    signed_serial: s.serial,
                    problem: String::new(),
                }
            }
        }
    }

    /// One sentence, in the reader's language.
    pub fn sentence(&self) -> String {
        let time = if self.installed_at_us == 0 {
            tr!("provenance-time-unknown")
        } else {
            local_time(self.installed_at_us)
        };
        match self.kind.as_str() {
            "signed" if self.signer.is_empty() => {
                tr!("provenance-signed-unnamed", serial = self.signed_serial)
            }
            "signed" => tr!(
                "provenance-signed",
                signer = &self.signer,
                fingerprint = &self.fingerprint,
                time = time
            ),
            "local-edit" => tr!(
                "provenance-local-edit",
                serial = self.signed_serial,
                time = time
            ),
            "unsigned" => tr!("provenance-unsigned"),
            _ => tr!("provenance-unknown", problem = &self.problem),
        }
    }
}
