//! Installing a verified policy so that a crash at any point leaves the old policy or the new
//! one, never a mix, never none, and never lets an older file back in:
//!
//! | step | after a crash here the target holds | and the daemon accepts it because |
//! |---|---|---|
//! | [`Step::Checked`] | the old policy | nothing changed |
//! | [`Step::PolicyStaged`] (`policy.toml.new`) | the old policy | the counter is unchanged |
//! | [`Step::SignatureStaged`] (`policy.toml.sig.new`) | the old policy | same |
//! | [`Step::CounterRaised`] | the old policy | it is the `previous-sha256` and `.new` exists |
//! | [`Step::PolicyInstalled`] (rename: the commit) | the new policy | its serial is the counter |
//! | [`Step::SignatureInstalled`] | the new policy and its signature | same |
//! | [`Step::Completed`] (counter forgets the old file) | the new policy and its signature | same |
//!
//! Each file is written under a temporary name, fsynced, renamed (atomic within a directory)
//! and its directory fsynced, so "written" means "durable". Applying the same file again
//! completes an interrupted update.

use std::path::Path;

use super::file;
use super::offered::Offered;
use super::state::{staged, SerialState};
use super::{Layout, UpdateError};

/// Mode of the installed policy and signature: root writes, everyone reads.
const MODE: u32 = 0o644;

/// The steps of an install, in order; a hook given to [`super::apply_with`] runs after each
/// (tests use it to kill the process at every point).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// Every check passed; nothing written yet.
    Checked,
    /// `policy.toml.new` is durable.
    PolicyStaged,
    /// `policy.toml.sig.new` is durable.
    SignatureStaged,
    /// The anti-rollback counter holds the new serial.
    CounterRaised,
    /// `policy.toml.new` was renamed over `policy.toml`: the update is committed.
    PolicyInstalled,
    /// `policy.toml.sig.new` was renamed over `policy.toml.sig`.
    SignatureInstalled,
    /// The counter no longer names the replaced policy: the update is over.
    Completed,
}

impl Step {
    /// Every step, in order.
    pub const ALL: &'static [Step] = &[
        Step::Checked,
        Step::PolicyStaged,
        Step::SignatureStaged,
        Step::CounterRaised,
        Step::PolicyInstalled,
        Step::SignatureInstalled,
        Step::Completed,
    ];
}

/// Installs `offered` at `layout.policy` (and its signature next to it) and raises the counter
/// to `next`, calling `hook` after each step. On an error before the counter is raised the
/// staged files are removed and nothing has changed. `resuming` says an earlier update was
/// interrupted after raising the counter: its staged file is then replaced, never removed.
pub(crate) fn install(
    layout: &Layout,
    offered: &Offered,
    next: &SerialState,
    resuming: bool,
    hook: &mut dyn FnMut(Step),
) -> Result<(), UpdateError> {
    hook(Step::Checked);
    let target = &layout.policy;
    let sig_target = layout.signature();
    let staged_policy = staged(target);
    let staged_sig = staged(&sig_target);
    let fail = |step, path: &Path, counter_raised, source| UpdateError::Install {
        step,
        path: path.to_path_buf(),
        counter_raised,
        source,
    };

    let staging = (|| {
        // policy.toml.new itself is replaced by a rename, never removed: while an interrupted
        // earlier update is pending, its existence is what keeps the old policy acceptable.
        let temp = staged(&staged_policy);
        file::write_synced(&temp, offered.text.as_bytes(), MODE)
            .and_then(|()| file::rename_synced(&temp, &staged_policy))
            .map_err(|e| fail("writing", &staged_policy, false, e))?;
        hook(Step::PolicyStaged);
        file::write_synced(&staged_sig, &offered.sig, MODE)
            .and_then(|()| file::sync_dir(file::parent(&staged_sig)))
            .map_err(|e| fail("writing", &staged_sig, false, e))?;
        hook(Step::SignatureStaged);
        next.write(&layout.serial)
            .map_err(|e| fail("raising the counter in", &layout.serial, false, e))
    })();
    if let Err(e) = staging {
        if !resuming {
            let _ = std::fs::remove_file(&staged_policy);
        }
        let _ = std::fs::remove_file(staged(&staged_policy));
        let _ = std::fs::remove_file(&staged_sig);
        let _ = std::fs::remove_file(staged(&layout.serial));
        return Err(e);
    }
    hook(Step::CounterRaised);

    file::rename_synced(&staged_policy, target).map_err(|e| fail("installing", target, true, e))?;
    hook(Step::PolicyInstalled);
    file::rename_synced(&staged_sig, &sig_target)
        .map_err(|e| fail("installing", &sig_target, true, e))?;
    hook(Step::SignatureInstalled);
    // The replaced policy was acceptable only while this update was unfinished.
    let done = SerialState {
        previous_sha256: None,
        ..next.clone()
    };
    if let Err(e) = done.write(&layout.serial) {
        // Harmless: without `policy.toml.new` the replaced policy is refused anyway.
        tracing::warn!(error = %e, "{}: could not forget the replaced policy", layout.serial.display());
    }
    hook(Step::Completed);
    Ok(())
}
