//! Tampering: another process (root) changing airgapd's enforcement in the kernel while the
//! daemon runs, or while it was stopped. The daemon calls [`Guard::check`] on its 250 ms tick;
//! each change is put back, journaled at alert priority (what, from what, to what) and kept in
//! the enforcement record, so `airgapctl status` shows it. At start, [`while_down`] compares
//! the pins with the record the last daemon left.
//!
//! What is checked: every link the daemon holds (detached: attached again with a new link;
//! another program swapped in with BPF_LINK_UPDATE: ours swapped back; unpinned or pinned over:
//! pinned again), the config map, the device rules and the LAN tries (against what the daemon
//! wrote: extra entries removed, changed or missing ones written back), and the place of each
//! interface program (first on its interface, as a TCX link or a classic tc filter:
//! [`interfaces`]). Not checked: the links of the exec LSM layer (`crate::noexec`, held
//! elsewhere). Refusing the change in the first place needs BPF LSM (not on every kernel):
//! see docs/tampering.md.

mod interfaces;
mod record;

use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use airgapd_ebpf::abi;

use crate::bpf::Enforcer;
use crate::journal::{field, MessageId, Record};
use crate::links::{self, link_kind};
use crate::maps::{dev_index, DevAccess, LogHostEntry, NetMode};
use crate::pinned::record::{Record as EnforcementRecord, TamperRecord};
use crate::pinned::{self, Inspection};

pub use interfaces::uncovered;
pub use record::Snapshot;

/// One change found (and the repair's outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tampering {
    /// The object: a link's pin name, a map name and key.
    pub object: String,
    /// How airgapd had set it.
    pub before: String,
    /// How it was found.
    pub after: String,
    /// Whether it happened while no daemon ran (found at start).
    pub while_down: bool,
    /// None: repaired; otherwise why not.
    pub repair_error: Option<String>,
    /// The interface, for an interface program's link.
    pub interface: Option<String>,
}

impl Tampering {
    /// Its alert record.
    pub fn record(&self) -> Record {
        let when = if self.while_down {
            " while airgapd was not running"
        } else {
            ""
        };
        let outcome = match &self.repair_error {
            None => "airgapd restored it".to_string(),
            Some(e) => format!("airgapd could NOT restore it: {e}"),
        };
        let record = Record::new(
            MessageId::EnforcementTampered,
            format!(
                "{} was changed{when}: it was {}, it is {}; {outcome}",
                self.object, self.before, self.after
            ),
        )
        .field(field::OBJECT, &self.object)
        .field(field::BEFORE, &self.before)
        .field(field::AFTER, &self.after)
        .field(
            field::RESULT,
            if self.repair_error.is_none() {
                field::result::SUCCESS
            } else {
                field::result::FAILURE
            },
        );
        match &self.interface {
            Some(i) => record.field(field::INTERFACE, i),
            None => record,
        }
    }

    /// Its line in the enforcement record.
    pub fn to_record(&self) -> TamperRecord {
        TamperRecord {
            at_us: pinned::record::now_us(),
            what: self.object.clone(),
            from: self.before.clone(),
            to: self.after.clone(),
            while_down: self.while_down,
            repair_error: self.repair_error.clone().unwrap_or_default(),
        }
    }
}

/// The config value in words.
fn config_words(c: &abi::airgap_config) -> String {
    format!(
        "scope cgroup {} level {}, network {}, ABI {}, daemon pid {} cgroup {}",
        c.scope_cgroup_id,
        c.scope_level,
        pinned::mode_name(c.net_mode),
        c.abi_version,
        c.trusted_tgid,
        c.trusted_cgroup_id
    )
}

fn access_words(v: Option<u32>) -> String {
    v.map_or_else(|| "no rule".into(), |v| format!("access {v:#x}"))
}

fn lan_words(v: Option<u32>) -> String {
    v.map_or_else(|| "no entry".into(), |v| format!("ifindex {v}"))
}

/// The daemon's tamper check and its enforcement record.
pub struct Guard {
    record_path: PathBuf,
    record: EnforcementRecord,
    /// Program ids by name (programs do not change while the daemon runs).
    prog_ids: BTreeMap<&'static str, u32>,
    /// Changes that could not be repaired and were journaled already (not again each tick).
    unrepaired: BTreeSet<(String, String)>,
}

impl Guard {
    /// A guard keeping its record at `record_path`.
    pub fn new(record_path: PathBuf, record: EnforcementRecord) -> Guard {
        Guard {
            record_path,
            record,
            prog_ids: BTreeMap::new(),
            unrepaired: BTreeSet::new(),
        }
    }

    /// The record as kept.
    pub fn record(&self) -> &EnforcementRecord {
        &self.record
    }

    /// Bring the record to `snapshot` and write it when anything changed.
    pub fn publish(&mut self, snapshot: Snapshot, tampered: &[Tampering]) {
        let before = self.record.clone();
        snapshot.apply(&mut self.record);
        for t in tampered {
            self.record.push_tampering(t.to_record());
        }
        if self.record != before {
            self.write();
        }
    }

    /// The daemon stops: say so in the record (the pins keep enforcing).
    pub fn stopped(&mut self) {
        if let Some(d) = &mut self.record.daemon {
            d.stopped_at_us = Some(pinned::record::now_us());
        }
        self.write();
    }

    fn write(&mut self) {
        if let Err(e) = self.record.write(&self.record_path) {
            tracing::error!(error = %e, "could not write the enforcement record");
        }
    }

    fn prog_id(&mut self, enforcer: &Enforcer, name: &'static str) -> Option<u32> {
        if let Some(id) = self.prog_ids.get(name) {
            return Some(*id);
        }
        let id = enforcer.program_id(name)?;
        self.prog_ids.insert(name, id);
        Some(id)
    }

    /// Compare the kernel with what the daemon set, put back what differs, and return each
    /// change (once; an unrepairable one is not returned again while it lasts).
    pub fn check(&mut self, enforcer: &mut Enforcer) -> Vec<Tampering> {
        let mut found = Vec::new();
        self.check_links(enforcer, &mut found);
        interfaces::check_order(enforcer, &mut found);
        interfaces::check_tc(enforcer, &mut found);
        check_config(enforcer, &mut found);
        check_maps(enforcer, &mut found);
        let now: BTreeSet<(String, String)> = found
            .iter()
            .filter(|t| t.repair_error.is_some())
            .map(|t| (t.object.clone(), t.after.clone()))
            .collect();
        found.retain(|t| {
            t.repair_error.is_none()
                || !self
                    .unrepaired
                    .contains(&(t.object.clone(), t.after.clone()))
        });
        self.unrepaired = now;
        found
    }

    fn check_links(&mut self, enforcer: &mut Enforcer, found: &mut Vec<Tampering>) {
        let pin_dir = enforcer.pin_dir().map(Path::to_path_buf);
        let mut gone = Vec::new();
        for i in 0..enforcer.held_links().len() {
            let (pin, program) = {
                let h = &enforcer.held_links()[i];
                (h.pin.clone(), h.program)
            };
            let interface = enforcer.held_links()[i].interface().map(str::to_string);
            let Ok(info) = links::link_info(enforcer.held_links()[i].fd.as_fd()) else {
                continue;
            };
            let ours = self.prog_id(enforcer, program);
            let where_ = match info.link_type {
                link_kind::CGROUP => format!("attached to cgroup {}", info.target),
                link_kind::TCX => format!("attached to interface {}", info.target),
                _ => "attached".into(),
            };
            let detached =
                matches!(info.link_type, link_kind::CGROUP | link_kind::TCX) && info.target == 0;
            let mut link_id = info.id;
            if detached && interfaces::gone(&enforcer.held_links()[i]) {
                gone.push(i);
                continue;
            }
            if detached {
                let before = match enforcer.held_links()[i].ifindex {
                    Some(ifindex) => format!("attached to interface {ifindex}"),
                    None => "attached to the scope cgroup".into(),
                };
                let repair = enforcer.relink(i);
                if let Ok(id) = &repair {
                    link_id = *id;
                }
                found.push(Tampering {
                    object: pin.clone(),
                    before: format!("{before}, running {program}"),
                    after: "detached".into(),
                    while_down: false,
                    repair_error: repair.err().map(|e| e.to_string()),
                    interface: interface.clone(),
                });
            } else if ours.is_some_and(|id| id != info.prog_id) {
                let other = links::prog_info(info.prog_id).map_or_else(|_| "?".into(), |p| p.name);
                let repair = enforcer.restore_program(i);
                found.push(Tampering {
                    object: pin.clone(),
                    before: format!(
                        "{where_}, running {program} (program id {})",
                        ours.unwrap_or(0)
                    ),
                    after: format!(
                        "running another program {other:?} (program id {})",
                        info.prog_id
                    ),
                    while_down: false,
                    repair_error: repair.err().map(|e| e.to_string()),
                    interface: interface.clone(),
                });
            }
            // The pin must be this very link: unpinned, a stopping daemon would detach it.
            let Some(dir) = &pin_dir else { continue };
            let pinned = links::get(&dir.join(&pin)).and_then(|fd| links::link_info(fd.as_fd()));
            let after = match pinned {
                Ok(p) if p.id == link_id => continue,
                Ok(p) => format!("the pin holds another link (id {})", p.id),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => "unpinned".into(),
                Err(e) => format!("the pin cannot be read ({e})"),
            };
            let repair = enforcer.repin(i);
            found.push(Tampering {
                object: pin,
                before: format!("pinned (link id {link_id})"),
                after,
                while_down: false,
                repair_error: repair.err().map(|e| e.to_string()),
                interface,
            });
        }
        for i in gone.into_iter().rev() {
            let held = &enforcer.held_links()[i];
            tracing::info!(
                interface = held.interface().unwrap_or("?"),
                pin = %held.pin,
                "interface gone: the kernel detached its program; its link is let go"
            );
            enforcer.forget(i);
        }
    }
}

fn check_config(enforcer: &mut Enforcer, found: &mut Vec<Tampering>) {
    let Some(want) = enforcer.config_written() else {
        return;
    };
    let Ok(have) = enforcer.config_map().read() else {
        return;
    };
    if have == want {
        return;
    }
    let repair = enforcer.config_map().write_raw(want);
    found.push(Tampering {
        object: abi::MAP_CONFIG.to_string(),
        before: config_words(&want),
        after: config_words(&have),
        while_down: false,
        repair_error: repair.err().map(|e| e.to_string()),
        interface: None,
    });
}

fn check_maps(enforcer: &mut Enforcer, found: &mut Vec<Tampering>) {
    let rules = enforcer.dev_rules();
    for d in rules.drift() {
        let repair = match d.want {
            Some(v) => rules.set(d.key, DevAccess(v)),
            None => rules.remove(d.key),
        };
        found.push(Tampering {
            object: format!("{} {}", abi::MAP_DEV_RULES, d.key),
            before: access_words(d.want),
            after: access_words(d.have),
            while_down: false,
            repair_error: repair.err().map(|e| e.to_string()),
            interface: None,
        });
    }
    // The per-major index (issue 23): an entry another process changed answers for every
    // device of its major; all of it is put back, in one record.
    let rules = enforcer.dev_rules();
    let changed = rules.index_drift().unwrap_or_default();
    if !changed.is_empty() {
        let repair = rules.repair_index();
        let words = |value: fn(&(u32, u32, u32)) -> u32| {
            let items: Vec<String> = changed
                .iter()
                .map(|c| format!("{} = {:#x}", dev_index::slot_words(c.0), value(c)))
                .collect();
            dev_index::listed(&items)
        };
        found.push(Tampering {
            object: format!("{} ({} entries)", abi::MAP_DEV_MAJOR, changed.len()),
            before: words(|c| c.2),
            after: words(|c| c.1),
            while_down: false,
            repair_error: repair.err().map(|e| e.to_string()),
            interface: None,
        });
    }
    // The log host (issue 21): one entry, put back whole.
    let log_host = enforcer.log_host_map();
    if let Some(d) = log_host.drift() {
        let repair = log_host.repair();
        found.push(Tampering {
            object: abi::MAP_LOG_HOST.to_string(),
            before: LogHostEntry::words(d.want.as_ref()),
            after: LogHostEntry::words(d.have.as_ref()),
            while_down: false,
            repair_error: repair.err().map(|e| e.to_string()),
            interface: None,
        });
    }
    for trie in enforcer.lan_tries() {
        for d in trie.drift() {
            let repair = match d.want {
                Some(v) => trie.set(d.key, v),
                None => trie.remove(d.key),
            };
            found.push(Tampering {
                object: format!("{} {}", trie.name(), d.key),
                before: lan_words(d.want),
                after: lan_words(d.have),
                while_down: false,
                repair_error: repair.err().map(|e| e.to_string()),
                interface: None,
            });
        }
    }
}

/// What changed in `pin_dir` since the last daemon recorded it (at `record_path`): read before
/// this daemon adopts the pins, which puts everything back as it sets it. Nothing when there
/// is no record of this boot or nothing pinned.
pub fn while_down(pin_dir: &Path, record_path: &Path) -> Vec<Tampering> {
    let Ok(Some(record)) = EnforcementRecord::read(record_path) else {
        return Vec::new();
    };
    if record.lifted.is_some() || record.pin_dir != pin_dir.display().to_string() {
        return Vec::new();
    }
    let Ok(mut insp) = Inspection::read(pin_dir) else {
        return Vec::new();
    };
    if insp.pins.is_empty() {
        return Vec::new();
    }
    insp.read_interfaces_of(Some(&record));
    let judgement = pinned::judge(&insp, Some(&record));
    let mut out = Vec::new();
    for layer in judgement.layers {
        for problem in layer.problems {
            out.push(Tampering {
                object: layer.name.clone(),
                before: "as airgapd left it".into(),
                after: problem.to_string(),
                while_down: true,
                repair_error: None,
                interface: None,
            });
        }
    }
    // The per-major device index (issue 23): the next start rewrites it from the rules, which
    // would put a change made meanwhile back without a word.
    if !insp.dev_index_drift.is_empty() {
        out.push(Tampering {
            object: format!(
                "{} ({} entries)",
                abi::MAP_DEV_MAJOR,
                insp.dev_index_drift.len()
            ),
            before: "as the device rules imply".into(),
            after: dev_index::listed(&insp.dev_index_drift),
            while_down: true,
            repair_error: None,
            interface: None,
        });
    }
    if let Some(c) = insp.config {
        if NetMode::from_bits(c.net_mode).is_none() {
            tracing::warn!(
                mode = c.net_mode,
                "unknown network mode in the pinned config"
            );
        }
    }
    out
}
