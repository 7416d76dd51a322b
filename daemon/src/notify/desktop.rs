//! The desktop's notification server (`org.freedesktop.Notifications`, Desktop Notifications
//! Specification 1.2) on the session bus: the three members airgapd-notify uses.

use std::collections::HashMap;

use zbus::zvariant::Value;

/// The server's interface, as the specification defines it.
#[zbus::proxy(
    interface = "org.freedesktop.Notifications",
    default_service = "org.freedesktop.Notifications",
    default_path = "/org/freedesktop/Notifications",
    gen_blocking = false
)]
pub trait Notifications {
    /// Show a notification, or replace `replaces_id`; returns its id.
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: &str,
        replaces_id: u32,
        app_icon: &str,
        summary: &str,
        body: &str,
        actions: &[&str],
        hints: HashMap<&str, Value<'_>>,
        expire_timeout: i32,
    ) -> zbus::Result<u32>;

    /// Close notification `id`.
    fn close_notification(&self, id: u32) -> zbus::Result<()>;

    /// A notification was closed: 1 expired, 2 dismissed, 3 closed by a call, 4 other.
    #[zbus(signal)]
    fn notification_closed(&self, id: u32, reason: u32) -> zbus::Result<()>;
}

/// Body text is a subset of HTML for servers that support markup: keep names literal.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
