//! The interface programs' place. A TCX link of ours can stay attached, running our program,
//! and still enforce nothing: another program put in front of it on the same interface
//! (BPF_F_BEFORE) that answers TCX_PASS ends the chain before ours runs. So each tick every
//! interface's chain is read (BPF_PROG_QUERY) and ours must be first; if it is not, ours is
//! detached and a new link of it put in front (one program runs once per chain), pinned in
//! place of the old one, and the programs that were before it are named in the alert. They stay attached, after ours: root
//! may run its own programs, but not in front of the air gap.
//!
//! An interface that is gone (unplugged) took its links with it: that is no tampering
//! ([`gone`]).

use std::os::fd::AsFd;

use crate::bpf::{Enforcer, HeldLink};
use crate::links::{self, link_kind, AttachType, TcxEntry};

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

/// The interfaces airgapd covers where its program does not run first or is detached, in
/// words (empty: every covered interface is enforced). For the interface layer's state.
pub fn uncovered(enforcer: &Enforcer) -> Vec<String> {
    let mut out = Vec::new();
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
