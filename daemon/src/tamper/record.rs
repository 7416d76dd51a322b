//! What the daemon writes into the enforcement record: a snapshot of its links, config, maps,
//! layers and policy, taken on each tick and written only when it changed.

use std::os::fd::AsFd;

use crate::bpf::{Enforcer, LayerState};
use crate::links;
use crate::pinned::record::{
    ConfigRecord, LayerRecord, LinkRecord, PolicyRecord, Record, ScopeRecord,
};
use crate::pinned::{dev_rule_lines, lan_lines};
use crate::scope::Scope;
use crate::state::State;

/// The daemon's part of the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    scope: ScopeRecord,
    config: ConfigRecord,
    links: Vec<LinkRecord>,
    layers: Vec<LayerRecord>,
    policy: PolicyRecord,
    dev_rules: Vec<String>,
    lan: Vec<String>,
    tc_interfaces: Vec<String>,
}

impl Snapshot {
    /// Take it from the enforcer and the shared state.
    pub fn take(enforcer: &mut Enforcer, scope: &Scope, state: &State) -> Snapshot {
        let links = enforcer
            .held_links()
            .iter()
            .filter_map(|h| {
                let info = links::link_info(h.fd.as_fd()).ok()?;
                Some(LinkRecord {
                    pin: h.pin.clone(),
                    program: h.program.to_string(),
                    link_id: info.id,
                    prog_id: info.prog_id,
                })
            })
            .collect();
        let config = enforcer
            .config_written()
            .map(ConfigRecord::from)
            .unwrap_or_default();
        let dev_rules = dev_rule_lines(&enforcer.dev_rules().contents());
        let [local, peers] = enforcer.lan_tries();
        let lan = lan_lines(&[&*local, &*peers]);
        let layers = state
            .layers
            .iter()
            .map(|(l, s)| LayerRecord {
                name: l.name().into(),
                state: match s {
                    LayerState::Active | LayerState::Limited(_) => "active".into(),
                    LayerState::Unavailable(_) => "unavailable".into(),
                },
                detail: match s {
                    LayerState::Active => String::new(),
                    LayerState::Limited(what) => what.clone(),
                    LayerState::Unavailable(why) => why.clone(),
                },
            })
            .collect();
        let p = &state.policy;
        Snapshot {
            scope: ScopeRecord {
                path: scope.path().display().to_string(),
                cgroup_id: scope.id(),
                machine: scope.is_machine(),
            },
            config,
            links,
            layers,
            policy: PolicyRecord {
                id: p.id.clone(),
                serial: p.serial,
                sha256: p.sha256.clone(),
                path: p.path.clone(),
                builtin: p.builtin,
            },
            dev_rules,
            lan,
            tc_interfaces: enforcer.wire_tc().iter().map(|(n, _)| n.clone()).collect(),
        }
    }

    /// Write it into `record`.
    pub fn apply(self, record: &mut Record) {
        record.scope = self.scope;
        record.config = self.config;
        record.links = self.links;
        record.layers = self.layers;
        record.policy = self.policy;
        record.dev_rules = self.dev_rules;
        record.lan = self.lan;
        record.tc_interfaces = self.tc_interfaces;
    }
}
