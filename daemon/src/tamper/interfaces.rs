//! The interface programs' place. A TCX link of ours can stay attached, running our program,
//! and still enforce nothing: another program put in front of it on the same interface
//! (BPF_F_BEFORE) that answers TCX_PASS ends the chain before ours runs. So each tick every
//! interface's chain is read (BPF_PROG_QUERY) and ours must be first; if it is not, ours is
//! detached and a new link of it put in front (one program runs once per chain), pinned in
//! place of the old one, and the programs that were before it are named in the alert. They stay attached, after ours: root
//! may run its own programs, but not in front of the air gap.
//!
//! Kernels without TCX carry the programs as classic tc filters (clsact, pref 1, handle 1):
//! there `tc filter del`, `tc qdisc del ... clsact`, a filter swapped for another program, or a
//! filter added beside ours at pref 1 (cls_bpf runs the newest first) open the interface. Each
//! tick lists the filters (RTM_GETTFILTER) and puts ours back, first.
//!
//! An interface that is gone (unplugged) took its links with it: that is no tampering
//! ([`gone`]).

use std::os::fd::AsFd;

use aya::programs::TcAttachType;

use crate::bpf::{Enforcer, HeldLink};
use crate::links::{self, link_kind, AttachType, TcxEntry};
use crate::network::filters::{self, FilterProblem};
use crate::network::{self};

use super::Tampering;

fn direction(attach: AttachType) -> &'static str {
    if attach == AttachType::BPF_TCX_INGRESS {
        "ingress"
    } else {
        "egress"
    }
}

/// Whether held link `held` is an interface link whose interface no longer exists.
pub(super) fn gone(held: &HeldLink) -> bool {
    held.ifindex
        .is_some_and(|i| nix::net::if_::if_indextoname(i).is_err())
}

/// What runs before link `ours` on its interface: None when it is first (or the chain cannot
/// be read, or the link is detached: [`super::Guard`] handles that).
fn in_front(held: &HeldLink) -> Option<(u32, Vec<TcxEntry>)> {
    let ifindex = held.ifindex?;
    let info = links::link_info(held.fd.as_fd()).ok()?;
    if info.link_type != link_kind::TCX || info.target == 0 {
        return None;
    }
    let chain = links::tcx_chain(ifindex, held.attach).ok()?;
    let at = chain.iter().position(|e| e.link_id == info.id);
    let before = match at {
        Some(0) => return None,
        Some(k) => chain[..k].to_vec(),
        // Attached but not in the chain: cannot be (the query and the link disagree); read
        // again next tick rather than guess.
        None => return None,
    };
    Some((info.id, before))
}

fn describe(entries: &[TcxEntry]) -> String {
    entries
        .iter()
        .map(|e| {
            let name = links::prog_info(e.prog_id).map_or_else(|_| "?".into(), |p| p.name);
            let how = if e.link_id == 0 {
                "attached without a link".to_string()
            } else {
                format!("link id {}", e.link_id)
            };
            format!("program {name:?} (id {}, {how})", e.prog_id)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Put each interface program back in front of its interface's chain.
pub(super) fn check_order(enforcer: &mut Enforcer, found: &mut Vec<Tampering>) {
    for i in 0..enforcer.held_links().len() {
        let held = &enforcer.held_links()[i];
        let Some((link_id, before)) = in_front(held) else {
            continue;
        };
        let interface = held.interface().unwrap_or("?").to_string();
        let what = format!("{interface} {}", direction(held.attach));
        let program = held.program;
        let repair = enforcer.put_first(i).and_then(|new| {
            // Another process may have raced us to the front again: say so, the next tick
            // tries again.
            match in_front(&enforcer.held_links()[i]) {
                None => Ok(new),
                Some((_, still)) => Err(std::io::Error::other(format!(
                    "{} is still before it",
                    describe(&still)
                ))),
            }
        });
        let done = match &repair {
            Ok(new) => format!("; airgapd put its program first again (link id {new})"),
            Err(_) => String::new(),
        };
        found.push(Tampering {
            object: enforcer.held_links()[i].pin.clone(),
            before: format!("{program} first on {what} (link id {link_id})"),
            after: format!("{} runs before it on {what}{done}", describe(&before)),
            while_down: false,
            repair_error: repair.err().map(|e| e.to_string()),
            interface: Some(interface),
        });
    }
}

fn tc_direction(attach: TcAttachType) -> &'static str {
    match attach {
        TcAttachType::Ingress => "ingress",
        _ => "egress",
    }
}

/// What is wrong with airgapd's tc filter `program` on `ifindex` (None: there, running our
/// program `ours`, first), and whether the fix is to put it first.
fn tc_problem(ifindex: u32, attach: TcAttachType, ours: Option<u32>) -> Option<(String, bool)> {
    let is_ours = |f: &filters::Filter| ours.is_none_or(|id| f.prog_id == Some(id));
    let key = (
        network::WIRE_LEGACY_PRIORITY,
        u32::from(network::WIRE_LEGACY_HANDLE),
    );
    Some(match filters::judge(ifindex, attach, key, &is_ours)? {
        FilterProblem::ForeignQdisc(kind) => (foreign_words(&kind), false),
        FilterProblem::Missing => ("no airgapd filter (removed)".into(), false),
        FilterProblem::OtherProgram(f) => (
            format!("airgapd's filter runs another program ({f})"),
            false,
        ),
        FilterProblem::Overtaken(before) => (format!("{} runs before it", before.join(", ")), true),
    })
}

fn foreign_words(kind: &str) -> String {
    format!(
        "the clsact qdisc was replaced by a {kind:?} qdisc, where airgapd's filters cannot \
         go (remove it: tc qdisc del dev IFACE {kind})"
    )
}

/// Another qdisc than clsact on the ingress handle, in words.
fn foreign_qdisc(ifindex: u32) -> Option<String> {
    match filters::ingress_qdisc(ifindex).ok()? {
        Some(kind) if kind != "clsact" => Some(foreign_words(&kind)),
        _ => None,
    }
}

/// Put airgapd's classic tc filters back on every interface that carries them.
pub(super) fn check_tc(enforcer: &mut Enforcer, found: &mut Vec<Tampering>) {
    for (interface, ifindex) in enforcer.wire_tc().to_vec() {
        if nix::net::if_::if_indextoname(ifindex).is_err() {
            tracing::info!(interface, "interface gone: its tc filters went with it");
            enforcer.forget_tc(ifindex);
            continue;
        }
        let mut problems = Vec::new();
        for (program, attach) in network::WIRE_LEGACY {
            let ours = enforcer.program_id(program);
            if let Some((after, put_first)) = tc_problem(ifindex, attach, ours) {
                problems.push((program, attach, ours, after, put_first));
            }
        }
        if problems.is_empty() {
            continue;
        }
        // One repair for both directions (it attaches both), then each is checked again.
        let first: Vec<TcAttachType> = problems.iter().filter(|p| p.4).map(|p| p.1).collect();
        // Never into another qdisc: that would replace filters that are not ours.
        let repaired = match foreign_qdisc(ifindex) {
            Some(why) => Err(std::io::Error::other(why)),
            None => enforcer.reattach_tc(&interface, &first),
        };
        for (program, attach, ours, after, _) in problems {
            let what = format!("{interface} {}", tc_direction(attach));
            let repair = match &repaired {
                Err(e) => Err(e.to_string()),
                Ok(()) => match tc_problem(ifindex, attach, ours) {
                    None => Ok(()),
                    Some((still, _)) => Err(still),
                },
            };
            let done = if repair.is_ok() {
                "; airgapd attached its filter again, first"
            } else {
                ""
            };
            found.push(Tampering {
                object: format!("tc filter {program} on {interface}"),
                before: format!(
                    "{program} first on {what} (pref {}, program id {})",
                    network::WIRE_LEGACY_PRIORITY,
                    ours.unwrap_or(0)
                ),
                after: format!("{after} on {what}{done}"),
                while_down: false,
                repair_error: repair.err(),
                interface: Some(interface.clone()),
            });
        }
    }
}

/// The interfaces airgapd covers where its program does not run first or is detached, in
/// words (empty: every covered interface is enforced). For the interface layer's state.
pub fn uncovered(enforcer: &Enforcer) -> Vec<String> {
    let mut out = Vec::new();
    for (interface, ifindex) in enforcer.wire_tc() {
        for (program, attach) in network::WIRE_LEGACY {
            if let Some((problem, _)) = tc_problem(*ifindex, attach, enforcer.program_id(program)) {
                out.push(format!("{interface} {}: {problem}", tc_direction(attach)));
            }
        }
    }
    for held in enforcer.held_links() {
        let Some(_) = held.ifindex else { continue };
        let interface = held.interface().unwrap_or("?");
        let what = format!("{interface} {}", direction(held.attach));
        match links::link_info(held.fd.as_fd()) {
            Ok(info) if info.link_type == link_kind::TCX && info.target == 0 => {
                out.push(format!("{what}: airgapd's program is detached"))
            }
            Ok(_) => {
                if let Some((_, before)) = in_front(held) {
                    out.push(format!(
                        "{what}: {} runs before airgapd's",
                        describe(&before)
                    ));
                }
            }
            Err(e) => out.push(format!("{what}: airgapd's link cannot be read ({e})")),
        }
    }
    out
}
