//! `airgapctl watch`: airgapd's decisions as they happen, for a text console (as `usbguard
//! watch`): refusals, devices judged and devices removed, one block each, in 80 columns.
//! With `--json`, one JSON object per line: `{"violation": ...}`, `{"device": ...}` or
//! `{"removed": ...}`. Runs until interrupted or until airgapd leaves the bus (exit 1).

use futures_util::StreamExt;
use serde::Serialize;

use super::client::CtlError;
use super::devices::decision_words;
use super::output::{local_time, violation_line, wrap};
use super::Ctx;
use crate::dbus::{DeviceEntry, ViolationEntry};
use crate::i18n::catalog;
use crate::notify::words::device_name;
use crate::tr;

/// Arguments of `airgapctl watch`.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {}

/// One event of `--json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "lowercase")]
enum Event<'a> {
    Violation(&'a ViolationEntry),
    Device(&'a DeviceEntry),
    Removed(&'a DeviceEntry),
}

fn emit(json: bool, event: Event<'_>) {
    if json {
        match serde_json::to_string(&event) {
            Ok(line) => println!("{line}"),
            Err(e) => unreachable!("serialising a watch event: {e}"),
        }
        return;
    }
    let now = local_time(crate::dbus::values::micros(std::time::SystemTime::now()));
    let text = match event {
        Event::Violation(v) => violation_line(v),
        Event::Device(d) => {
            let mut text = wrap(
                &tr!(
                    "watch-device",
                    time = now,
                    decision = decision_words(&d.decision),
                    name = device_name(catalog(), d),
                    node = &d.node
                ),
                4,
            );
            if !d.reason.is_empty() {
                text.push('\n');
                text.push_str(&wrap(
                    &format!(
                        "    {}",
                        tr!(
                            "devices-reason",
                            reason = super::devices::reason_words(&d.reason_ref, &d.reason)
                        )
                    ),
                    6,
                ));
            }
            text
        }
        Event::Removed(d) => wrap(
            &tr!(
                "watch-removed",
                time = now,
                name = device_name(catalog(), d),
                node = &d.node
            ),
            4,
        ),
    };
    println!("{text}");
}

/// Run `airgapctl watch`.
pub async fn run(ctx: &Ctx, _args: WatchArgs) -> Result<i32, CtlError> {
    let client = ctx.connect().await?;
    let p = &client.proxy;
    let what = "read the violations";
    let mut violations = client.read(what, p.receive_violation().await)?;
    let mut decisions = client.read(what, p.receive_device_decision().await)?;
    let mut removals = client.read(what, p.receive_device_removed().await)?;
    let mut owner = client.read(what, p.inner().receive_owner_changed().await)?;
    if !ctx.json {
        println!("{}", tr!("watch-started"));
    }
    loop {
        tokio::select! {
            // Decisions before removals when both are ready (see notify's loop).
            biased;
            Some(s) = violations.next() => {
                if let Ok(a) = s.args() { emit(ctx.json, Event::Violation(&a.violation)) }
            }
            Some(s) = decisions.next() => {
                if let Ok(a) = s.args() { emit(ctx.json, Event::Device(&a.device)) }
            }
            Some(s) = removals.next() => {
                if let Ok(a) = s.args() { emit(ctx.json, Event::Removed(&a.device)) }
            }
            Some(None) = owner.next() => {
                return Err(CtlError::NotRunning { bus: client.bus.clone() });
            }
            else => return Ok(0),
        }
    }
}
