//! Start-up: refused media mounted before the daemon started (issue 15 item 7), once every
//! present medium is judged, so that approved media (and a restart with one mounted) are
//! never touched. What is done and its limits: `crate::devices::premount`.

use super::*;
use crate::devices::premount::{self, walk, Deny, ScopeView};

impl Service {
    pub(super) fn premounted_media(&mut self) {
        let scope = ScopeView::of((!self.scope.is_machine()).then(|| self.scope.path()));
        let namespaces = walk::namespaces(&scope);
        let (media, plan) = (&self.media, &self.plan);
        let found = walk::find(&namespaces, |dev| media.refuses(plan, dev));
        if found.is_empty() {
            self.enforcer
                .set_layer(Layer::PremountedMedia, LayerState::Active);
            return;
        }
        let (folded, exits) = self.media_files.records();
        let deny = match Deny::new(scope.clone(), folded, exits) {
            Ok(d) => Some(d),
            Err(e) => {
                tracing::error!(error = %e, "no fanotify permission group for premounted media");
                None
            }
        };
        let keep = [
            self.opts.register.clone(),
            self.opts.history.clone(),
            self.opts.record.clone(),
        ];
        let mut left = Vec::new();
        let mut left_devs = std::collections::BTreeSet::new();
        // Named before anything is done: a disk cut off is gone from sysfs afterwards.
        let nodes: std::collections::BTreeMap<_, _> = found
            .iter()
            .map(|f| {
                let node = crate::devices::block::BlockDevice::from_dev(
                    Path::new("/sys"),
                    f.dev.0,
                    f.dev.1,
                )
                .ok()
                .flatten()
                .map(|b| b.node())
                .unwrap_or_default();
                (f.dev, node)
            })
            .collect();
        for o in premount::deal(found, deny.as_ref(), &keep, &scope) {
            let dev = o.found.dev;
            let node = nodes.get(&dev).cloned().unwrap_or_default();
            let points: Vec<String> = o.found.places.iter().map(|p| p.label()).collect();
            let text = format!(
                "the refused medium {node} ({}:{}) was mounted before airgapd started ({}): {}",
                dev.0,
                dev.1,
                points.join(", "),
                o.said.join("; ")
            );
            let r = Record::new(MessageId::PremountedMedium, text)
                .field(field::ACTION, field::action::REFUSE)
                .field(field::DEVICE, format!("{}:{}", dev.0, dev.1))
                .field(field::DEV_NODE, &node)
                .field(field::MOUNT_POINTS, points.join("; "))
                .field(
                    field::RESULT,
                    if o.unusable {
                        field::result::SUCCESS
                    } else {
                        field::result::FAILURE
                    },
                );
            send(&self.sink, r);
            if !o.unusable {
                left_devs.insert(dev);
                left.push(format!(
                    "{node} ({}:{}): {}",
                    dev.0,
                    dev.1,
                    o.said.join("; ")
                ));
            }
            self.media.premounted.insert(
                dev,
                format!(
                    "it was mounted before airgapd started: {}",
                    o.said.join("; ")
                ),
            );
        }
        self.premount_deny = deny;
        self.premount_left = left_devs;
        let state = if left.is_empty() {
            LayerState::Active
        } else {
            LayerState::Unavailable(format!(
                "a refused medium mounted before airgapd started is still usable: {}",
                left.join(" | ")
            ))
        };
        self.enforcer.set_layer(Layer::PremountedMedia, state);
    }

    /// A medium left usable at start is gone (unplugged, or another medium there now): once
    /// none is left, the layer is active again, and that is recorded.
    pub(super) fn premounted_gone(&mut self) {
        if self.premount_left.is_empty() {
            return;
        }
        let premounted = &self.media.premounted;
        self.premount_left.retain(|d| premounted.contains_key(d));
        if self.premount_left.is_empty() {
            self.enforcer
                .set_layer(Layer::PremountedMedia, LayerState::Active);
            send(
                &self.sink,
                records::layer(Layer::PremountedMedia, &LayerState::Active, false),
            );
            self.publish_layers(false);
        }
    }
}
