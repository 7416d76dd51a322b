//! `org.airgapd.Guard1`: the one definition of the interface. The `#[interface]` below serves it
//! in the daemon and generates [`GuardProxy`], the client `airgapctl` uses, so the two cannot
//! disagree about a name or a signature.
//!
//! Reading is open (the bus policy may narrow it to a group); changing anything needs root,
//! checked twice: the shipped bus policy refuses the call before it arrives, and each mutating
//! method asks the bus for the caller's uid itself (see [`super::auth`]).

use std::sync::{Arc, RwLockReadGuard};

use tokio::sync::Mutex;
use zbus::message::Header;
use zbus::object_server::SignalEmitter;
use zbus::{interface, Connection};

use super::auth;
use super::reload::{chain, Reloader};
use super::values::{micros, DeviceEntry, KindCount, LayerEntry, ViolationEntry};
use crate::state::{Shared, State};

/// Errors `org.airgapd.Guard1` replies with, named `org.airgapd.Guard1.Error.<Variant>`.
#[derive(Debug, zbus::DBusError)]
#[zbus(prefix = "org.airgapd.Guard1.Error")]
pub enum GuardError {
    /// A D-Bus failure (on the client side, also any error this enum does not name).
    #[zbus(error)]
    ZBus(zbus::Error),
    /// The caller may not do this: only root may change what airgapd enforces.
    AccessDenied(String),
    /// The policy could not be put in force; the text is the policy error. The previous policy
    /// stays in force.
    ReloadFailed(String),
}

/// The served object: reads [`State`], reloads through the daemon's [`Reloader`].
pub struct Guard {
    state: Shared,
    reloader: Arc<dyn Reloader>,
    /// One reload at a time, so replies and `PolicyChanged` signals come in reload order.
    reloading: Mutex<()>,
}

impl Guard {
    /// The object for `state`, reloading through `reloader`.
    pub fn new(state: Shared, reloader: Arc<dyn Reloader>) -> Guard {
        Guard {
            state,
            reloader,
            reloading: Mutex::new(()),
        }
    }

    /// Read the state. A writer that panicked leaves data that is still worth reporting.
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }
}

#[interface(
    name = "org.airgapd.Guard1",
    proxy(
        default_service = "org.airgapd.Guard1",
        default_path = "/org/airgapd/Guard1",
        gen_blocking = false,
        async_name = "GuardProxy",
    )
)]
impl Guard {
    /// Whether every layer that matters (network cgroup programs and device control) enforces.
    #[zbus(property(emits_changed_signal = "false"))]
    fn air_gapped(&self) -> bool {
        self.read().air_gapped()
    }

    /// `enforcing` (the whole machine) or `scoped:<cgroup path>`.
    #[zbus(property(emits_changed_signal = "const"))]
    fn mode(&self) -> String {
        self.read().mode.clone()
    }

    /// When the daemon started, microseconds since the Unix epoch.
    #[zbus(property(emits_changed_signal = "const"))]
    fn started_at(&self) -> u64 {
        micros(self.read().started_at)
    }

    /// Each enforcement layer: name, `active` or `unavailable`, and why.
    #[zbus(property(emits_changed_signal = "false"))]
    fn layers(&self) -> Vec<LayerEntry> {
        let state = self.read();
        state
            .layers
            .iter()
            .map(|(layer, s)| LayerEntry::new(*layer, s))
            .collect()
    }

    /// `[meta] id` of the policy in force (empty when it has none).
    #[zbus(property(emits_changed_signal = "false"))]
    fn policy_id(&self) -> String {
        self.read().policy.id.clone()
    }

    /// `[meta] serial` of the policy in force.
    #[zbus(property(emits_changed_signal = "false"))]
    fn policy_serial(&self) -> u64 {
        self.read().policy.serial
    }

    /// SHA-256 (lowercase hex) of the policy file in force.
    #[zbus(property(emits_changed_signal = "false"))]
    fn policy_sha256(&self) -> String {
        self.read().policy.sha256.clone()
    }

    /// True when the built-in strict policy is in force because the file was missing or invalid.
    #[zbus(property(emits_changed_signal = "false"))]
    fn policy_builtin(&self) -> bool {
        self.read().policy.builtin
    }

    /// Why the built-in policy is in force; empty otherwise.
    #[zbus(property(emits_changed_signal = "false"))]
    fn policy_fallback_reason(&self) -> String {
        self.read().policy.fallback_reason.clone()
    }

    /// The file the policy in force came from; empty for a built-in policy.
    #[zbus(property(emits_changed_signal = "false"))]
    fn policy_path(&self) -> String {
        self.read().policy.path.clone()
    }

    /// Refusals per kind since the programs were loaded: kind, denied, lost (details only).
    #[zbus(property(emits_changed_signal = "false"))]
    fn violation_counts(&self) -> Vec<KindCount> {
        let state = self.read();
        state
            .counts
            .iter()
            .map(|(kind, count)| KindCount::new(*kind, *count))
            .collect()
    }

    /// Every device the daemon has judged, oldest first.
    #[zbus(out_args("devices"), proxy(no_autostart))]
    fn list_devices(&self) -> Vec<DeviceEntry> {
        self.read().devices.iter().map(DeviceEntry::from).collect()
    }

    /// Up to `limit` kept refusals with a sequence number above `after_seq`, oldest first.
    #[zbus(out_args("violations"), proxy(no_autostart))]
    fn violations(&self, after_seq: u64, limit: u32) -> Vec<ViolationEntry> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        self.read()
            .violations_after(after_seq, limit)
            .iter()
            .map(ViolationEntry::from)
            .collect()
    }

    /// Re-read the policy file and put it in force (root only). Replies with the digest and
    /// serial now in force and emits `PolicyChanged`; on failure the previous policy stays.
    #[zbus(out_args("sha256", "serial"), proxy(no_autostart))]
    async fn reload_policy(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] connection: &Connection,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> Result<(String, u64), GuardError> {
        auth::require_root(connection, &header, "reload the policy").await?;
        let _one_at_a_time = self.reloading.lock().await;
        let info = self
            .reloader
            .reload()
            .await
            .map_err(|e| GuardError::ReloadFailed(chain(e.as_ref())))?;
        tracing::info!(
            sha256 = %info.sha256,
            serial = info.serial,
            "policy reloaded on request over D-Bus"
        );
        Self::policy_changed(&emitter, &info.sha256, info.serial).await?;
        Ok((info.sha256, info.serial))
    }

    /// A refusal, as soon as the daemon has recorded it (same struct as `Violations` returns).
    #[zbus(signal)]
    pub async fn violation(
        emitter: &SignalEmitter<'_>,
        violation: ViolationEntry,
    ) -> zbus::Result<()>;

    /// A device was judged (plugged in, or judged again after a policy change).
    #[zbus(signal)]
    pub async fn device_decision(
        emitter: &SignalEmitter<'_>,
        device: DeviceEntry,
    ) -> zbus::Result<()>;

    /// A judged device left (unplugged): its last entry. A notifier closes the device's notice.
    #[zbus(signal)]
    pub async fn device_removed(
        emitter: &SignalEmitter<'_>,
        device: DeviceEntry,
    ) -> zbus::Result<()>;

    /// Another policy is in force.
    #[zbus(signal)]
    pub async fn policy_changed(
        emitter: &SignalEmitter<'_>,
        sha256: &str,
        serial: u64,
    ) -> zbus::Result<()>;
}
