//! How `ReloadPolicy` reaches the daemon: the daemon hands [`super::serve`] a [`Reloader`]; the
//! interface calls it only after the caller was found to be root, one reload at a time.

use std::future::Future;
use std::pin::Pin;

use crate::state::PolicyInfo;

/// Why a reload failed; its `Display` (and sources) become the `ReloadFailed` error text, so it
/// should name file, line and field the way policy errors do.
pub type ReloadError = Box<dyn std::error::Error + Send + Sync>;

/// The future a [`Reloader`] returns.
pub type ReloadFuture<'a> =
    Pin<Box<dyn Future<Output = Result<PolicyInfo, ReloadError>> + Send + 'a>>;

/// Re-reads the policy file and puts it in force.
///
/// The daemon implements this. On success the new policy is enforced and recorded in
/// [`crate::state::State::policy`] before the future completes, and the returned [`PolicyInfo`]
/// is the policy now in force; on failure the previous policy stays in force, untouched.
/// Any `Fn() -> impl Future<Output = Result<PolicyInfo, ReloadError>>` closure is a reloader.
pub trait Reloader: Send + Sync + 'static {
    /// Reload now.
    fn reload(&self) -> ReloadFuture<'_>;
}

impl<F, Fut> Reloader for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<PolicyInfo, ReloadError>> + Send + 'static,
{
    fn reload(&self) -> ReloadFuture<'_> {
        Box::pin(self())
    }
}

/// An error and its sources on one line: `a: b: c`.
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}
