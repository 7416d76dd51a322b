//! Loading the policy for the service: never leaves the machine open. A missing or invalid
//! file at start means the built-in strict policy, and an error record saying why.

use std::path::Path;

use airgapd_policy::{Checked, Policy};

use crate::state::PolicyInfo;

/// The policy to enforce and, when it is the fallback, why.
pub struct Loaded {
    /// The policy.
    pub policy: Policy,
    /// Warnings of the file's policy (empty for the fallback).
    pub warnings: Vec<String>,
    /// Set when the file was missing or invalid and the built-in policy is in force.
    pub fallback: Option<String>,
}

/// The file's policy, or the built-in strict one with the reason.
/// A file older than the highest serial ever applied (a replayed policy) counts as invalid.
pub fn load_or_strict(path: &Path) -> Loaded {
    let checked = airgapd_policy::load(path)
        .map_err(|e| e.to_string())
        .and_then(|c| {
            crate::update::check_reload(&c.policy, path).map_err(|e| e.to_string())?;
            Ok(c)
        });
    match checked {
        Ok(Checked { policy, warnings }) => Loaded {
            policy,
            warnings: warnings.iter().map(ToString::to_string).collect(),
            fallback: None,
        },
        Err(why) => Loaded {
            policy: Policy::builtin_strict(),
            warnings: Vec::new(),
            fallback: Some(why),
        },
    }
}

/// What the officer sees of a policy.
pub fn info(policy: &Policy, fallback: Option<&str>) -> PolicyInfo {
    PolicyInfo {
        id: policy.meta.id.clone().unwrap_or_default(),
        serial: policy.meta.serial,
        sha256: policy.sha256().to_string(),
        path: policy
            .source
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        builtin: policy.source.builtin,
        fallback_reason: fallback.unwrap_or_default().to_string(),
    }
}
