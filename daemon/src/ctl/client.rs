//! Reaching airgapd from `airgapctl`: connect, make sure the daemon is there (without starting
//! it: a status report must show a stopped daemon as stopped), and turn D-Bus errors into
//! messages an operator can act on.

use zbus::fdo::DBusProxy;
use zbus::proxy::CacheProperties;

use crate::dbus::{Bus, GuardError, GuardProxy, NAME};
use crate::tr;

/// What can go wrong in `airgapctl`. Its text is in the reader's language (catalog
/// `airgapctl.ftl`); an access refusal names what was refused and what to do, never the raw
/// D-Bus error.
#[derive(Debug)]
pub enum CtlError {
    /// The bus itself could not be reached.
    Bus {
        /// Which bus.
        bus: Bus,
        /// The zbus error.
        source: Box<zbus::Error>,
    },
    /// Nobody owns `org.airgapd.Guard1`.
    NotRunning {
        /// Which bus.
        bus: Bus,
    },
    /// The caller may not do this, refused by the bus policy or by airgapd itself.
    AccessDenied {
        /// What was attempted, e.g. `reload the policy`.
        what: &'static str,
        /// Whether only root may do it (else the bus policy narrowed who may read).
        root_only: bool,
        /// The D-Bus error name: `org.freedesktop.DBus.Error.AccessDenied` when the bus
        /// policy refused, `org.airgapd.Guard1.Error.AccessDenied` when airgapd did (kept for
        /// debugging, not shown).
        name: String,
        /// The text that came with it (not shown).
        detail: String,
    },
    /// airgapd could not put the policy in force.
    ReloadFailed {
        /// The policy error.
        detail: String,
    },
    /// Any other failed call.
    Call {
        /// What was asked, e.g. `read the device list`.
        what: &'static str,
        /// The error.
        source: Box<GuardError>,
    },
    /// A command-line value is not valid (the text is already in the reader's language).
    Usage(String),
}

/// The bus in words: `system` selects "the system bus" in the catalogs.
fn bus_words(bus: &Bus) -> String {
    match bus {
        Bus::System => "system".into(),
        Bus::Address(address) => address.clone(),
    }
}

/// What was attempted, in the reader's words: the phrases callers pass (also those of
/// `status`) have catalog entries; an unknown one is shown as it is.
fn action_words(what: &str) -> String {
    let id = match what {
        "read the device list" => "action-read-devices",
        "read the violations" => "action-read-violations",
        "reload the policy" => "action-reload-policy",
        "read the policy in force" => "action-read-policy",
        "read the status" => "action-read-status",
        other => return other.to_string(),
    };
    crate::i18n::text(id, None)
}

impl std::fmt::Display for CtlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            CtlError::Bus { bus, source } => tr!(
                "ctl-error-bus",
                bus = bus_words(bus),
                error = source.to_string()
            ),
            CtlError::NotRunning { bus } => tr!("ctl-error-not-running", bus = bus_words(bus)),
            CtlError::AccessDenied {
                what,
                root_only,
                name,
                ..
            } => {
                // Who refused, in words: the error name says it, the raw D-Bus text is not
                // for the reader.
                let by = if name.starts_with("org.airgapd.") {
                    "daemon"
                } else {
                    "bus"
                };
                if *root_only {
                    tr!("ctl-error-access-root", what = action_words(what), by = by)
                } else {
                    tr!("ctl-error-access-read", what = action_words(what), by = by)
                }
            }
            CtlError::ReloadFailed { detail } => tr!("ctl-error-reload", detail = detail),
            CtlError::Call { what, source } => tr!(
                "ctl-error-call",
                what = action_words(what),
                error = source.to_string()
            ),
            CtlError::Usage(text) => text.clone(),
        };
        f.write_str(&text)
    }
}

impl std::error::Error for CtlError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CtlError::Bus { source, .. } => Some(source.as_ref()),
            CtlError::Call { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

impl CtlError {
    /// Classify the error of a call that needed `access`, made on `bus`.
    pub fn from_call(bus: &Bus, access: Access, e: impl Into<GuardError>) -> CtlError {
        let (what, root_only) = match access {
            Access::Read(what) => (what, false),
            Access::RootOnly(what) => (what, true),
        };
        match e.into() {
            GuardError::AccessDenied(detail) => CtlError::AccessDenied {
                what,
                root_only,
                name: "org.airgapd.Guard1.Error.AccessDenied".into(),
                detail,
            },
            GuardError::ReloadFailed(detail) => CtlError::ReloadFailed { detail },
            GuardError::ZBus(e) => match error_name(&e) {
                Some((name, detail)) if name.ends_with(".AccessDenied") => CtlError::AccessDenied {
                    what,
                    root_only,
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
