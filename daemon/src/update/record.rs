//! The journal record of an update attempt (`MessageId::PolicyUpdate`): who tried, which file,
//! whether the signature was valid and whose it was, old and new serial and SHA-256, and the
//! outcome with its reason. It fails closed: it is sent when the attempt is dropped, and says
//! success only when [`Attempt::finish`] is given an installed update.

use std::path::{Path, PathBuf};

use crate::journal::{field, AuditRecord, MessageId, Record, Sink};

use super::ssh::Signer;
use super::UpdateError;

/// What an attempt has learned so far.
#[derive(Debug, Default)]
pub(crate) struct Learned {
    /// The offered file's SHA-256 and, once parsed, its serial.
    pub offered_sha256: Option<String>,
    pub offered_serial: Option<u64>,
    /// The verified signer.
    pub signer: Option<Signer>,
    /// The policy installed before: serial and SHA-256.
    pub installed: Option<(u64, String)>,
    /// The counter before.
    pub highest: Option<u64>,
    /// The same file applied again (completing or repeating an update).
    pub reapplied: bool,
}

/// An update attempt being recorded.
pub(crate) struct Attempt<'s> {
    sink: &'s Sink,
    file: PathBuf,
    target: PathBuf,
    uid: u32,
    pub learned: Learned,
    /// The refusal was about the signature.
    signature_refused: bool,
    /// `None` until finished, so drop knows whether to record an unfinished attempt.
    outcome: Option<Result<(), String>>,
}

impl<'s> Attempt<'s> {
    pub fn begin(sink: &'s Sink, file: &Path, target: &Path, uid: u32) -> Self {
        Attempt {
            sink,
            file: file.to_path_buf(),
            target: target.to_path_buf(),
            uid,
            learned: Learned::default(),
            signature_refused: false,
            outcome: None,
        }
    }

    /// Records the outcome (sent on drop).
    pub fn finish(mut self, result: Result<(), &UpdateError>) {
        if let Err(e) = result {
            self.signature_refused = e.is_signature();
        }
        self.outcome = Some(result.map_err(|e| format!("refused ({}): {e}", e.kind())));
    }

    fn record(&self) -> Record {
        let l = &self.learned;
        let what = match &self.outcome {
            Some(Ok(())) if l.reapplied => format!(
                "installed again at {} (same file and serial: completes or repeats the update)",
                self.target.display()
            ),
            Some(Ok(())) => format!("installed at {}", self.target.display()),
            Some(Err(why)) => why.clone(),
            None => "did not complete (interrupted); nothing is known to be installed".into(),
        };
        let mut text = format!("policy update {}: {what}", self.file.display());
        text.push_str(&match &l.signer {
            Some(s) => format!("; signature valid, by {} ({})", s.principal, s.fingerprint),
            None if self.signature_refused => "; signature NOT valid".into(),
            None => "; signature not checked".into(),
        });
        let serial = |s: Option<u64>| s.map_or("-".to_string(), |s| s.to_string());
        text.push_str(&format!(
            "; new serial {} sha256 {}",
            serial(l.offered_serial),
            l.offered_sha256.as_deref().unwrap_or("-")
        ));
        text.push_str(&match &l.installed {
            Some((s, sha)) => format!("; old serial {s} sha256 {sha}"),
            None => "; old: no valid policy installed".into(),
        });
        if let Some(highest) = l.highest {
            text.push_str(&format!("; highest serial applied before {highest}"));
        }
        text.push_str(&format!("; by uid {}", self.uid));
        if let Some(login) = login_uid().filter(|&l| l != self.uid) {
            text.push_str(&format!(" (login uid {login})"));
        }
        let mut record = Record::new(MessageId::PolicyUpdate, text).field(field::UID, self.uid);
        if let Some(s) = l.offered_serial {
            record = record.field(field::POLICY_SERIAL, s);
        }
        if let Some(sha) = &l.offered_sha256 {
            record = record.field(field::POLICY_SHA256, sha);
        }
        record
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let audit = AuditRecord::begin(self.sink, self.record());
        let sent = match self.outcome {
            Some(Ok(())) => audit.success(),
            _ => audit.failure(),
        };
        if let Err(error) = sent {
            tracing::error!(%error, "cannot write the policy update record");
        }
    }
}

/// The audit login uid (`/proc/self/loginuid`): who logged in, whatever sudo made of the uid.
fn login_uid() -> Option<u32> {
    let text = std::fs::read_to_string("/proc/self/loginuid").ok()?;
    text.trim().parse().ok().filter(|&uid| uid != u32::MAX)
}
