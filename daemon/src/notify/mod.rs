//! `airgapd-notify`: tells the person at the keyboard when airgapd refused something they did
//! (a stick, a phone, a network device, a program on a stick, a camera). A small program of
//! the desktop session (XDG autostart): it listens to `org.airgapd.Guard1` on the system bus
//! and shows notices through the session's `org.freedesktop.Notifications`, in the reader's
//! language, naming the device rather than `8:16`. Storms fold ([`fold`]); a device that
//! leaves closes its notice.

pub mod desktop;
pub mod fold;
pub mod words;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use futures_util::StreamExt;
use zbus::proxy::CacheProperties;
use zbus::zvariant::Value;
use zbus::Connection;

use crate::dbus::{Bus, DeviceEntry, GuardProxy, ViolationEntry};
use crate::i18n::{catalog, Catalog};
use desktop::{escape, NotificationsProxy};
use fold::{Action, Folder};
use words::Words;

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "airgapd-notify",
    version,
    about = "Show a desktop notice when airgapd refuses a device or an action of this user"
)]
pub struct Args {
    /// airgapd's bus (default: the system bus); for tests.
    #[arg(long, value_name = "ADDRESS")]
    pub system_bus_address: Option<String>,
    /// The desktop session's bus (default: $DBUS_SESSION_BUS_ADDRESS); for tests.
    #[arg(long, value_name = "ADDRESS")]
    pub session_bus_address: Option<String>,
    /// Seconds between two updates of one notice during a storm.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub quiet: u64,
}

/// The main of `airgapd-notify`; returns the exit status.
pub fn main() -> i32 {
    crate::logging::init();
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("airgapd-notify: {e}");
            return 1;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("airgapd-notify: {e:#}");
            1
        }
    }
}

/// What a notice is keyed by: the device's node, or the kind of action.
fn key_of(v: &ViolationEntry, device: Option<&DeviceEntry>) -> String {
    match (v.kind.as_str(), device) {
        ("exec", _) => "exec".into(),
        (k, Some(d)) if k.starts_with("dev.") => d.node.clone(),
        (k, None) if k.starts_with("dev.") => format!("dev:{}", v.target),
        _ => "net".into(),
    }
}

struct Notifier<'a> {
    catalog: &'a Catalog,
    server: NotificationsProxy<'static>,
    folder: Folder<Words>,
    /// Devices by `major:minor`, to name the device of a `dev.*` refusal.
    devices: HashMap<String, DeviceEntry>,
}

impl Notifier<'_> {
    async fn act(&mut self, action: Option<Action<Words>>) {
        let Some(action) = action else { return };
        match action {
            Action::Show {
                key,
                replaces,
                content,
                count,
            } => {
                let mut hints = HashMap::new();
                // 2 critical: stays until the device leaves; 1 normal.
                hints.insert("urgency", Value::U8(if content.persistent { 2 } else { 1 }));
                hints.insert("desktop-entry", Value::from("airgapd-notify"));
                let body = escape(&content.body_with_count(self.catalog, count));
                let result = self
                    .server
                    .notify(
                        &self.catalog.text("notify-app-name", None),
                        replaces,
                        "security-high",
                        &content.summary,
                        &body,
                        &[],
                        hints,
                        if content.persistent { 0 } else { -1 },
                    )
                    .await;
                match result {
                    Ok(id) => self.folder.shown(&key, id),
                    Err(e) => tracing::warn!(error = %e, "showing a notice"),
                }
            }
            Action::Close { id } => {
                if let Err(e) = self.server.close_notification(id).await {
                    tracing::debug!(error = %e, id, "closing a notice");
                }
            }
        }
    }

    async fn device(&mut self, d: DeviceEntry) {
        if !d.devnum.is_empty() {
            self.devices.insert(d.devnum.clone(), d.clone());
        }
        if words::is_refusal(&d.decision) {
            let words = words::device(self.catalog, &d);
            let others = words::others(self.catalog);
            let action = self.folder.refused(&d.node, words, others, Instant::now());
            self.act(action).await;
        }
    }

    async fn removed(&mut self, d: DeviceEntry) {
        self.devices.remove(&d.devnum);
        let action = self.folder.gone(&d.node);
        self.act(action).await;
    }

    async fn violation(&mut self, v: ViolationEntry, me: u32) {
        // Only what this user did: other users' and services' refusals are the officer's.
        if v.uid != me {
            return;
        }
        let device = self.devices.get(words::devnum_of(&v.target)).cloned();
        let key = key_of(&v, device.as_ref());
        let words = words::refusal(self.catalog, &v, device.as_ref());
        let others = words::others(self.catalog);
        let action = self.folder.refused(&key, words, others, Instant::now());
        self.act(action).await;
    }
}

async fn run(args: Args) -> Result<()> {
    let system_bus = Bus::from_address(args.system_bus_address);
    let system = system_bus
        .connect()
        .await
        .with_context(|| format!("connecting to {system_bus}"))?;
    let session = match &args.session_bus_address {
        Some(address) => zbus::connection::Builder::address(address.as_str())?
            .build()
            .await
            .with_context(|| format!("connecting to the session bus at {address}"))?,
        None => Connection::session()
            .await
            .context("connecting to the session bus")?,
    };
    let server = NotificationsProxy::new(&session).await?;
    let mut closed = server.receive_notification_closed().await?;
    // Signals are matched whether or not airgapd runs now; it may start later.
    let guard = GuardProxy::builder(&system)
        .cache_properties(CacheProperties::No)
        .build()
        .await?;
    let mut decisions = guard.receive_device_decision().await?;
    let mut removals = guard.receive_device_removed().await?;
    let mut violations = guard.receive_violation().await?;
    let mut notifier = Notifier {
        catalog: catalog(),
        server,
        folder: Folder::new(Duration::from_secs(args.quiet.max(1))),
        devices: HashMap::new(),
    };
    // Devices already judged: their names, not notices (they were refused before this session).
    if let Ok(list) = guard.list_devices().await {
        for d in list.into_iter().filter(|d| !d.devnum.is_empty()) {
            notifier.devices.insert(d.devnum.clone(), d);
        }
    }
    let me = nix::unistd::getuid().as_raw();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tracing::info!("airgapd-notify listening");
    loop {
        tokio::select! {
            // In this order: zbus queues each stream in the order the bus delivered, so a
            // decision and its device's removal, both ready, are handled decision first.
            biased;
            Some(s) = decisions.next() => {
                if let Ok(a) = s.args() { notifier.device(a.device).await }
            }
            Some(s) = removals.next() => {
                if let Ok(a) = s.args() { notifier.removed(a.device).await }
            }
            Some(s) = violations.next() => {
                if let Ok(a) = s.args() { notifier.violation(a.violation, me).await }
            }
            Some(s) = closed.next() => {
                if let Ok(a) = s.args() { notifier.folder.closed(a.id) }
            }
            _ = tick.tick() => {
                for action in notifier.folder.tick(Instant::now()) {
                    notifier.act(Some(action)).await;
                }
            }
            else => return Ok(()),
        }
    }
}
