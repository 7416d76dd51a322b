//! Interfaces: each non-loopback interface gets the interface programs (whole-machine scope),
//! and none carries frames before it has them.
//!
//! Issue 23: with a whole-machine scope the per-packet cgroup programs are gone in the
//! loopback and no-network modes (`network::packet_programs_needed`), so the interface
//! programs are all that stands between a socket bound to an interface and the wire. Two
//! things keep an interface from carrying frames uncovered:
//! - the interfaces there at start are covered before READY (network services start after
//!   airgapd, so they are still down at boot);
//! - an interface that appears later, or comes up, while it is not covered is **held down**:
//!   the links thread sets it down the moment rtnetlink reports it up (without waiting for the
//!   main loop), and the main loop brings it back up once its programs are attached. An
//!   interface whose programs cannot be attached stays down. A kernel registers new
//!   interfaces down (`ip link add`, a driver's probe), so in the common case nothing is held:
//!   the programs are attached before anything brings it up.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::*;
use crate::network::rtnetlink;

/// What the links thread hands the main loop: an interface, and when it held it down.
pub(super) struct LinkEvent {
    pub iface: Interface,
    pub held: Option<Instant>,
}

/// The interfaces (ifindex, name) that carry the interface programs: written by the main
/// loop, read by the links thread to know what to hold down.
pub(super) type Covered = Arc<Mutex<BTreeMap<u32, String>>>;

impl Service {
    pub(super) fn cover_interface(&mut self, i: &Interface, held: Option<Instant>) {
        if i.loopback {
            return;
        }
        let known = self
            .covered
            .lock()
            .expect("covered lock")
            .get(&i.index)
            .cloned();
        let attached = match known {
            // Renamed after the attach (eth0 becoming enp1s0): the programs stay; say so under
            // the name the officer will see.
            Some(old) if old != i.name => {
                Ok(format!("renamed from {old}, programs still attached"))
            }
            Some(_) if held.is_none() => return,
            Some(_) => Ok("programs attached".to_string()),
            None => self
                .enforcer
                .enforce_interface(&i.name)
                .map(|()| "programs attached".to_string()),
        };
        match attached {
            Ok(mut what) => {
                self.uncoverable.remove(&i.index);
                self.covered
                    .lock()
                    .expect("covered lock")
                    .insert(i.index, i.name.clone());
                // Held down: up again, and how long it was held (the Vietnamese summary says
                // so only when it is up again).
                let mut held_ms = None;
                if let Some(since) = held {
                    let ms = format!("{:.1}", since.elapsed().as_secs_f64() * 1000.0);
                    what = match rtnetlink::set_link_up(i.index, true) {
                        Ok(()) => {
                            held_ms = Some(ms.clone());
                            format!(
                                "{what}; it was up before it was known to be covered, so it \
                                 was held down for {ms} ms until it was, and is up again"
                            )
                        }
                        Err(e) => format!(
                            "{what}; it was up before it was known to be covered and was held \
                             down; bringing it up again failed: {e}"
                        ),
                    };
                }
                let r = Record::new(
                    MessageId::EnforcementState,
                    format!("interface {} (ifindex {}): {what}", i.name, i.index),
                )
                .field(field::LAYER, Layer::Wire.name())
                .field(field::STATE, field::state::ACTIVE)
                .field(field::INTERFACE, &i.name)
                .field(field::IFINDEX, i.index);
                let r = match (held, held_ms) {
                    (Some(_), Some(ms)) => r.field(field::HELD_DOWN, "1").field(field::HELD_MS, ms),
                    (Some(_), None) => r.field(field::HELD_DOWN, "1"),
                    (None, _) => r,
                };
                send(&self.sink, r);
            }
            // Renamed (eth0 becoming enp1s0) or gone while we attached: its next link message
            // carries the name to use.
            Err(_) if nix::net::if_::if_nametoindex(i.name.as_str()).ok() != Some(i.index) => {
                tracing::debug!(interface = %i.name, "interface renamed or gone before attaching");
            }
            Err(e) => {
                // Never silent: an interface without its programs is a gap, and the layer says
                // so until it is covered ([`Service::judge_wire`]).
                let state = LayerState::Unavailable(format!("{}: {e}", i.name));
                send(&self.sink, records::layer(Layer::Wire, &state, false));
                self.uncoverable
                    .insert(i.index, format!("{}: programs not attached ({e})", i.name));
            }
        }
        self.publish_layers(false);
        self.judge_wire();
    }
}

impl Service {
    /// Issue 14: the interface layer says active only while every covered interface has
    /// airgapd's programs attached and first; otherwise it names the interfaces (the tamper
    /// check has tried to repair them already) and the machine is not air-gapped.
    pub(super) fn judge_wire(&mut self) {
        if !self
            .enforcer
            .held_links()
            .iter()
            .any(|h| h.ifindex.is_some())
            && self.enforcer.wire_tc().is_empty()
            && self.uncoverable.is_empty()
        {
            return;
        }
        // An interface that is gone is no gap any more.
        self.uncoverable
            .retain(|index, _| nix::net::if_::if_indextoname(*index).is_ok());
        let mut uncovered: Vec<String> = self.uncoverable.values().cloned().collect();
        uncovered.extend(crate::tamper::uncovered(&self.enforcer));
        let want = if uncovered.is_empty() {
            LayerState::Active
        } else {
            LayerState::Unavailable(format!(
                "not every interface is covered: {}",
                uncovered.join("; ")
            ))
        };
        let now = self
            .enforcer
            .layers()
            .iter()
            .find(|(l, _)| *l == Layer::Wire)
            .map(|(_, s)| s.clone());
        if now.as_ref() == Some(&want) {
            return;
        }
        send(&self.sink, records::layer(Layer::Wire, &want, false));
        self.enforcer.set_layer(Layer::Wire, want);
        self.state.write().expect("state lock").uncovered = uncovered;
        self.publish_layers(false);
    }
}

/// Every non-loopback interface now (returned, for the caller to cover before READY) and later
/// (sent from a thread of its own: rtnetlink blocks). The thread holds down an interface that
/// is up and not in `covered` (see the module's documentation).
pub(super) fn watch_interfaces(
    tx: mpsc::Sender<LinkEvent>,
    covered: Covered,
) -> Result<Vec<Interface>> {
    let mut watcher = LinkWatcher::open().context("opening rtnetlink")?;
    let now = watcher.list().context("listing interfaces")?;
    std::thread::Builder::new()
        .name("airgapd-links".into())
        .spawn(move || {
            while let Ok(links) = watcher.wait() {
                for iface in links {
                    let held = hold_if_uncovered(&iface, &covered);
                    if tx.blocking_send(LinkEvent { iface, held }).is_err() {
                        return;
                    }
                }
            }
        })?;
    Ok(now)
}

/// Set `iface` down if it is up without the interface programs; when it was held.
fn hold_if_uncovered(iface: &Interface, covered: &Covered) -> Option<Instant> {
    if iface.loopback
        || !iface.up
        || covered
            .lock()
            .expect("covered lock")
            .contains_key(&iface.index)
    {
        return None;
    }
    let at = Instant::now();
    match rtnetlink::set_link_up(iface.index, false) {
        Ok(()) => {
            tracing::info!(interface = %iface.name, "up before it was covered: held down");
            Some(at)
        }
        // Gone already, or refused: the main loop attaches as soon as it can either way.
        Err(e) => {
            tracing::warn!(interface = %iface.name, "could not hold it down: {e}");
            None
        }
    }
}
