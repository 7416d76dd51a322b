//! The interface programs as classic tc filters (kernels without TCX, Debian 12's 6.1), read
//! without the daemon: bpffs does not show them, so `airgapctl status` and the start-up check
//! list each interface's filters (RTM_GETTFILTER, as `crate::tamper` does while the daemon
//! runs) and judge airgapd's: there, running airgapd's program, first.
//!
//! Which interfaces: those the daemon recorded carrying filters, and on a whole-machine
//! installation every other interface of this network namespace but `lo` (one that came while
//! the daemon was stopped is not covered either). An interface that carries airgapd's TCX
//! link pins is judged from them instead ([`super::judge`]). An interface of the record that
//! is not in this namespace is left alone: its index here would mean another one.

use aya::programs::TcAttachType;

use super::record::Record;
use super::{Inspection, Problem};
use crate::links;
use crate::network::{self, filters, filters::FilterProblem};

fn direction(attach: TcAttachType) -> &'static str {
    match attach {
        TcAttachType::Ingress => "ingress",
        _ => "egress",
    }
}

/// Every interface of this namespace but `lo`.
fn all_interfaces() -> Vec<String> {
    nix::net::if_::if_nameindex()
        .map(|l| {
            l.iter()
                .map(|i| i.name().to_string_lossy().into_owned())
                .filter(|n| n != "lo")
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `f` runs airgapd's program `program` (by the name the kernel keeps).
fn runs(f: &filters::Filter, program: &str) -> bool {
    f.prog_id
        .and_then(|id| links::prog_info(id).ok())
        .is_some_and(|p| p.is_named(program))
}

impl Inspection {
    /// The interfaces' tc filters, as `record` (the daemon's, None: none of this boot) says
    /// where to look: the interfaces it names, and on a whole-machine installation every
    /// interface here. Nothing after a lift, nor with nothing pinned.
    pub fn read_interfaces_of(&mut self, record: Option<&Record>) {
        if self.pins.is_empty() || record.is_some_and(|r| r.lifted.is_some()) {
            return;
        }
        let machine = match record {
            Some(r) => r.scope.machine,
            None => self
                .config
                .is_some_and(|c| c.scope_level == 0 && c.scope_cgroup_id != 0),
        };
        let recorded = record.map(|r| r.tc_interfaces.clone()).unwrap_or_default();
        self.read_interfaces(&recorded, machine);
    }

    /// Read the tc filters of `recorded` (the interfaces the daemon put filters on) and, with
    /// `machine`, of every interface here but `lo`, into [`Inspection::tc`].
    pub fn read_interfaces(&mut self, recorded: &[String], machine: bool) {
        let mut names: Vec<String> = recorded.to_vec();
        if machine {
            names.extend(all_interfaces());
        }
        names.sort();
        names.dedup();
        let key = (
            network::WIRE_LEGACY_PRIORITY,
            u32::from(network::WIRE_LEGACY_HANDLE),
        );
        for name in names {
            let tcx = ["egress", "ingress"]
                .iter()
                .any(|d| self.pins.contains(&format!("link_airgap_wire_{d}_{name}")));
            let Ok(ifindex) = nix::net::if_::if_nametoindex(name.as_str()) else {
                continue;
            };
            if tcx {
                continue;
            }
            for (program, attach) in network::WIRE_LEGACY {
                let is_ours = |f: &filters::Filter| runs(f, program);
                let dir = direction(attach);
                let problem = match filters::judge(ifindex, attach, key, &is_ours) {
                    None => continue,
                    Some(FilterProblem::ForeignQdisc(kind)) => Problem::new(
                        "status-problem-tc-qdisc",
                        &[("interface", &name), ("kind", &kind)],
                    ),
                    Some(FilterProblem::Missing) => Problem::new(
                        "status-problem-tc-missing",
                        &[("interface", &name), ("direction", &dir)],
                    ),
                    Some(FilterProblem::OtherProgram(f)) => Problem::new(
                        "status-problem-tc-other",
                        &[("interface", &name), ("direction", &dir), ("filter", &f)],
                    ),
                    Some(FilterProblem::Overtaken(before)) => Problem::new(
                        "status-problem-tc-overtaken",
                        &[
                            ("interface", &name),
                            ("direction", &dir),
                            ("filters", &before.join(", ")),
                        ],
                    ),
                };
                if !self.tc.contains(&problem) {
                    self.tc.push(problem);
                }
            }
        }
    }
}
