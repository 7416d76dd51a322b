//! Interfaces: each non-loopback interface gets the interface programs (whole-machine scope).

use super::*;

impl Service {
    pub(super) fn cover_interface(&mut self, i: &Interface) {
        if i.loopback {
            return;
        }
        let attached = match self.covered.get(&i.index) {
            // Renamed after the attach (eth0 becoming enp1s0): the programs stay; say so under
            // the name the officer will see.
            Some(old) if *old != i.name => {
                Ok(format!("renamed from {old}, programs still attached"))
            }
            Some(_) => return,
            None => self
                .enforcer
                .enforce_interface(&i.name)
                .map(|()| "programs attached".to_string()),
        };
        match attached {
            Ok(what) => {
                self.uncoverable.remove(&i.index);
                self.covered.insert(i.index, i.name.clone());
                let r = Record::new(
                    MessageId::EnforcementState,
                    format!("interface {} (ifindex {}): {what}", i.name, i.index),
                )
                .field(field::LAYER, Layer::Wire.name())
                .field(field::STATE, field::state::ACTIVE)
                .field(field::INTERFACE, &i.name)
                .field(field::IFINDEX, i.index);
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

/// Every non-loopback interface now and later, from a thread of its own (rtnetlink blocks).
pub(super) fn watch_interfaces(tx: mpsc::Sender<Interface>) -> Result<()> {
    let mut watcher = LinkWatcher::open().context("opening rtnetlink")?;
    let now = watcher.list().context("listing interfaces")?;
    std::thread::Builder::new()
        .name("airgapd-links".into())
        .spawn(move || {
            for i in now {
                let _ = tx.blocking_send(i);
            }
            while let Ok(links) = watcher.wait() {
                for i in links {
                    if tx.blocking_send(i).is_err() {
                        return;
                    }
                }
            }
        })?;
    Ok(())
}
