//! Reaching airgapd from `airgapctl`: connect, make sure the daemon is there (without starting
//! it: a status report must show a stopped daemon as stopped), and turn D-Bus errors into
//! messages an operator can act on.

use zbus::fdo::DBusProxy;
use zbus::proxy::CacheProperties;

use crate::dbus::{Bus, GuardError, GuardProxy, NAME};

/// What can go wrong in `airgapctl`.
#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    /// The bus itself could not be reached.
    #[error("cannot reach {bus}: {source}")]
    Bus {
        /// Which bus.
        bus: Bus,
        /// The zbus error.
        source: Box<zbus::Error>,
    },
    /// Nobody owns `org.airgapd.Guard1`.
    #[error("airgapd is not running (no {NAME} on {bus}): systemctl status airgapd")]
    NotRunning {
        /// Which bus.
        bus: Bus,
    },
    /// The caller may not do this, refused by the bus policy or by airgapd itself.
    #[error("access denied: this user may not {what}; {advice} [{name}: {detail}]")]
    AccessDenied {
        /// What was attempted, e.g. `reload the policy`.
        what: &'static str,
        /// What to do about it.
        advice: &'static str,
        /// The D-Bus error name: `org.freedesktop.DBus.Error.AccessDenied` when the bus
        /// policy refused, `org.airgapd.Guard1.Error.AccessDenied` when airgapd did.
        name: String,
        /// The text that came with it.
        detail: String,
    },
    /// airgapd could not put the policy in force.
    #[error("the policy was not reloaded; the previous policy stays in force: {detail}")]
    ReloadFailed {
        /// The policy error.
        detail: String,
    },
    /// Any other failed call.
    #[error("cannot {what}: {source}")]
    Call {
        /// What was asked, e.g. `read the device list`.
        what: &'static str,
        /// The error.
        source: Box<GuardError>,
    },
    /// A command-line value is not valid.
    #[error("{0}")]
    Usage(String),
}

impl CtlError {
    /// Classify the error of a call that needed `access`, made on `bus`.
    pub fn from_call(bus: &Bus, access: Access, e: impl Into<GuardError>) -> CtlError {
        let (what, advice) = match access {
            Access::Read(what) => (
                what,
                "the bus policy (/usr/share/dbus-1/system.d/org.airgapd.Guard1.conf) lets only \
                 some users read: ask the administrator",
            ),
            Access::RootOnly(what) => (what, "only root may: run it with sudo"),
        };
        match e.into() {
            GuardError::AccessDenied(detail) => CtlError::AccessDenied {
                what,
                advice,
                name: "org.airgapd.Guard1.Error.AccessDenied".into(),
                detail,
            },
            GuardError::ReloadFailed(detail) => CtlError::ReloadFailed { detail },
            GuardError::ZBus(e) => match error_name(&e) {
                Some((name, detail)) if name.ends_with(".AccessDenied") => CtlError::AccessDenied {
                    what,
                    advice,
                    name,
                    detail,
                },
                Some((name, _))
                    if name == "org.freedesktop.DBus.Error.ServiceUnknown"
                        || name == "org.freedesktop.DBus.Error.NameHasNoOwner" =>
                {
                    CtlError::NotRunning { bus: bus.clone() }
                }
                _ => CtlError::Call {
                    what,
                    source: Box::new(GuardError::ZBus(e)),
                },
            },
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            CtlError::Usage(_) => 2,
            CtlError::AccessDenied { .. } => 4,
            _ => 1,
        }
    }
}

/// What a call needed, to explain a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reading; the text completes "cannot ...".
    Read(&'static str),
    /// A change only root may make; the text completes "cannot ...".
    RootOnly(&'static str),
}

/// The D-Bus error name and text of a reply, if it was a D-Bus error.
fn error_name(e: &zbus::Error) -> Option<(String, String)> {
    match e {
        zbus::Error::MethodError(name, detail, _) => {
            Some((name.to_string(), detail.clone().unwrap_or_default()))
        }
        zbus::Error::FDO(e) => {
            let e = e.as_ref();
            Some((
                zbus::DBusError::name(e).to_string(),
                zbus::DBusError::description(e)
                    .unwrap_or_default()
                    .to_string(),
            ))
        }
        _ => None,
    }
}

/// A connection to airgapd.
pub struct Client {
    /// Which bus it is on.
    pub bus: Bus,
    /// The generated proxy of `org.airgapd.Guard1`.
    pub proxy: GuardProxy<'static>,
}

impl Client {
    /// Connect to `bus` and make sure airgapd is on it.
    pub async fn connect(bus: Bus) -> Result<Client, CtlError> {
        let bus_error = |source| CtlError::Bus {
            bus: bus.clone(),
            source: Box::new(source),
        };
        let connection = bus.connect().await.map_err(bus_error)?;
        let dbus = DBusProxy::new(&connection).await.map_err(bus_error)?;
        let name = NAME
            .try_into()
            .map_err(|e: zbus::names::Error| bus_error(e.into()))?;
        if !dbus
            .name_has_owner(name)
            .await
            .map_err(|e| bus_error(e.into()))?
        {
            return Err(CtlError::NotRunning { bus });
        }
        let proxy = GuardProxy::builder(&connection)
            .cache_properties(CacheProperties::No)
            .build()
            .await
            .map_err(bus_error)?;
        Ok(Client { bus, proxy })
    }

    /// Turn the result of a reading call into a [`CtlError`] on failure; `what` completes
    /// "cannot ...", e.g. `read the device list`.
    pub fn read<T, E: Into<GuardError>>(
        &self,
        what: &'static str,
        r: Result<T, E>,
    ) -> Result<T, CtlError> {
        r.map_err(|e| CtlError::from_call(&self.bus, Access::Read(what), e))
    }

    /// Turn the result of a mutating (root-only) call into a [`CtlError`] on failure.
    pub fn change<T, E: Into<GuardError>>(
        &self,
        what: &'static str,
        r: Result<T, E>,
    ) -> Result<T, CtlError> {
        r.map_err(|e| CtlError::from_call(&self.bus, Access::RootOnly(what), e))
    }
}
