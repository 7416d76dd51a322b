//! airgapd on D-Bus: `org.airgapd.Guard1` at `/org/airgapd/Guard1`, name `org.airgapd.Guard1`
//! on the system bus. The daemon serves it with [`serve`] and announces what happens through
//! the returned [`Server`]; `airgapctl` talks to it through [`GuardProxy`], generated from the
//! same definition ([`interface`]).
//!
//! Who may do what is decided twice: by the bus policy shipped in
//! `packaging/dbus/org.airgapd.Guard1.conf` (only root owns the name and may call mutating
//! methods) and by each mutating method, which checks the caller's uid itself.

use std::fmt;
use std::sync::Arc;

use zbus::fdo::{RequestNameFlags, RequestNameReply};
use zbus::object_server::InterfaceRef;
use zbus::Connection;

use crate::state::{DeviceRecord, PolicyInfo, Shared, ViolationRecord};

pub mod auth;
pub mod interface;
pub mod reload;
pub mod values;

pub use interface::{Guard, GuardError, GuardProxy};
pub use reload::{ReloadError, ReloadFuture, Reloader};
pub use values::{DeviceEntry, KindCount, LayerEntry, ViolationEntry};

/// The well-known bus name airgapd owns.
pub const NAME: &str = "org.airgapd.Guard1";
/// The object path of the one object.
pub const PATH: &str = "/org/airgapd/Guard1";
/// The interface name.
pub const INTERFACE: &str = "org.airgapd.Guard1";

/// Which bus to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bus {
    /// The system bus (production).
    System,
    /// A bus at this D-Bus address, e.g. `unix:path=/tmp/x/bus` (tests).
    Address(String),
}

impl Bus {
    /// `Some(address)` for a private bus, `None` for the system bus.
    pub fn from_address(address: Option<String>) -> Bus {
        address.map_or(Bus::System, Bus::Address)
    }

    /// Connect and say hello to the bus.
    pub async fn connect(&self) -> zbus::Result<Connection> {
        match self {
            Bus::System => Connection::system().await,
            Bus::Address(address) => {
                zbus::connection::Builder::address(address.as_str())?
                    .build()
                    .await
            }
        }
    }
}

impl fmt::Display for Bus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bus::System => f.write_str("the system bus"),
            Bus::Address(address) => write!(f, "the bus at {address}"),
        }
    }
}

/// Why [`serve`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The bus could not be reached.
    #[error("connecting to {bus}: {source}")]
    Connect {
        /// Which bus.
        bus: String,
        /// The zbus error.
        source: zbus::Error,
    },
    /// The object could not be registered.
    #[error("registering {PATH}: {source}")]
    Register {
        /// The zbus error.
        source: zbus::Error,
    },
    /// Another process owns the name: most likely another airgapd.
    #[error("{NAME} is already owned on {bus}: is another airgapd running?")]
    NameTaken {
        /// Which bus.
        bus: String,
    },
    /// The bus refused the name (the bus policy lets only root own it).
    #[error("requesting {NAME} on {bus}: {source}")]
    Name {
        /// Which bus.
        bus: String,
        /// The zbus error.
        source: zbus::Error,
    },
}

/// The served interface: keep it alive as long as the daemon runs (dropping the last clone
/// closes the connection and releases the name), and announce events through it.
#[derive(Clone)]
pub struct Server {
    connection: Connection,
    guard: Arc<InterfaceRef<Guard>>,
}

/// Serve `state` on `bus`: register the object first, then take the name, so no call that
/// finds the name can miss the object. `reloader` carries out `ReloadPolicy` for root.
pub async fn serve(
    bus: &Bus,
    state: Shared,
    reloader: impl Reloader,
) -> Result<Server, ServeError> {
    let connection = bus.connect().await.map_err(|source| ServeError::Connect {
        bus: bus.to_string(),
        source,
    })?;
    let server = connection.object_server();
    server
        .at(PATH, Guard::new(state, Arc::new(reloader)))
        .await
        .map_err(|source| ServeError::Register { source })?;
    let guard = server
        .interface::<_, Guard>(PATH)
        .await
        .map_err(|source| ServeError::Register { source })?;
    let name_error = |source| match source {
        zbus::Error::NameTaken => ServeError::NameTaken {
            bus: bus.to_string(),
        },
        source => ServeError::Name {
            bus: bus.to_string(),
            source,
        },
    };
    match connection
        .request_name_with_flags(NAME, RequestNameFlags::DoNotQueue.into())
        .await
        .map_err(name_error)?
    {
        RequestNameReply::PrimaryOwner | RequestNameReply::AlreadyOwner => {}
        RequestNameReply::InQueue | RequestNameReply::Exists => {
            return Err(name_error(zbus::Error::NameTaken))
        }
    }
    tracing::info!("serving {INTERFACE} at {PATH} as {NAME} on {bus}");
    Ok(Server {
        connection,
        guard: Arc::new(guard),
    })
}

impl Server {
    /// The bus connection (to emit other signals or serve more objects).
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// Announce a refusal the daemon has just recorded in the state.
    pub async fn violation(&self, record: &ViolationRecord) -> zbus::Result<()> {
        Guard::violation(self.guard.signal_emitter(), record.into()).await
    }

    /// Announce a device decision the daemon has just recorded in the state.
    pub async fn device_decision(&self, device: &DeviceRecord) -> zbus::Result<()> {
        Guard::device_decision(self.guard.signal_emitter(), device.into()).await
    }

    /// Announce that a judged device left.
    pub async fn device_removed(&self, device: &DeviceRecord) -> zbus::Result<()> {
        Guard::device_removed(self.guard.signal_emitter(), device.into()).await
    }

    /// Announce that another policy is in force (for reloads not made through `ReloadPolicy`,
    /// which announces its own).
    pub async fn policy_changed(&self, policy: &PolicyInfo) -> zbus::Result<()> {
        Guard::policy_changed(self.guard.signal_emitter(), &policy.sha256, policy.serial).await
    }
}
