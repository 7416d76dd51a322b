//! Who is calling: the caller's uid as the bus daemon knows it (from the kernel's socket
//! credentials), looked up by the unique name in the message header. Fails closed: a caller
//! whose uid cannot be established is refused.

use zbus::fdo::DBusProxy;
use zbus::message::Header;
use zbus::names::BusName;
use zbus::Connection;

use super::interface::GuardError;

/// The uid of the connection that sent this call.
pub async fn caller_uid(connection: &Connection, header: &Header<'_>) -> Result<u32, GuardError> {
    let denied =
        |why: String| GuardError::AccessDenied(format!("cannot tell who is asking: {why}"));
    if !connection.is_bus() {
        return Err(denied("not connected through a bus".into()));
    }
    let sender = header
        .sender()
        .ok_or_else(|| denied("the call names no sender".into()))?;
    let dbus = DBusProxy::new(connection)
        .await
        .map_err(|e| denied(e.to_string()))?;
    dbus.get_connection_unix_user(BusName::Unique(sender.clone()))
        .await
        .map_err(|e| denied(e.to_string()))
}

/// Refuse unless the caller is root. `what` completes "only root may ...".
pub async fn require_root(
    connection: &Connection,
    header: &Header<'_>,
    what: &str,
) -> Result<(), GuardError> {
    let uid = caller_uid(connection, header).await?;
    if uid == 0 {
        return Ok(());
    }
    tracing::warn!(uid, "refused a request to {what} over D-Bus: not root");
    Err(GuardError::AccessDenied(format!(
        "only root may {what}; the caller is uid {uid}"
    )))
}
