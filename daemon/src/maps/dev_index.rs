//! `airgap_dev_major`: the per-major index in front of the device rule map (issue 23). It is
//! never a rule of its own: every entry is derived from the rules ([`entries`]), written only
//! by [`super::DevRules`] in an order that is never more open than the rules before or after
//! a change, and checked against them as the rules are checked against what the daemon wrote.

use std::collections::BTreeMap;
use std::os::fd::{AsFd, BorrowedFd};

use aya::maps::{IterableMap, MapData, MapError};
use aya::sys::SyscallError;
use aya::Ebpf;

use airgapd_ebpf::abi;

use super::{take, DevMatch, DevType, MapsError};
use crate::links;

/// Entries in the array: every major of each type.
pub const ENTRIES: u32 = 2 * abi::AIRGAP_DEV_MAJORS;

/// The index of (type, major): block majors first.
pub fn slot(ty: DevType, major: u32) -> u32 {
    let base = match ty {
        DevType::Block => 0,
        DevType::Char => abi::AIRGAP_DEV_MAJORS,
    };
    base + major
}

/// What `rules` answer for a device without a rule of its own, per (type, major) (as
/// `granted()` in devices.bpf.c walks them: the major's rule, the type's, the default), with
/// the flag saying that some device of the major has its own rule.
pub fn entries(rules: &BTreeMap<DevMatch, u32>) -> Vec<u32> {
    let mut out = Vec::with_capacity(ENTRIES as usize);
    for ty in [DevType::Block, DevType::Char] {
        let type_wide = rules
            .get(&DevMatch {
                dev_type: ty,
                major: None,
                minor: None,
            })
            .copied();
        let default = match ty {
            DevType::Block => 0,
            DevType::Char => abi::AIRGAP_ACC_MKNOD | abi::AIRGAP_ACC_READ | abi::AIRGAP_ACC_WRITE,
        };
        let base = type_wide.unwrap_or(default);
        let start = out.len();
        out.resize(
            start + abi::AIRGAP_DEV_MAJORS as usize,
            abi::AIRGAP_DEV_IDX_VALID | base,
        );
        for (m, access) in rules.iter().filter(|(m, _)| m.dev_type == ty) {
            let Some(major) = m.major.filter(|&x| x < abi::AIRGAP_DEV_MAJORS) else {
                continue;
            };
            let e = &mut out[start + major as usize];
            match m.minor {
                Some(_) => *e |= abi::AIRGAP_DEV_IDX_MINORS,
                None => {
                    *e = (*e & !abi::AIRGAP_DEV_IDX_ACCESS) | (access & abi::AIRGAP_DEV_IDX_ACCESS)
                }
            }
        }
    }
    out
}

/// The index array and what this daemon last wrote into it.
pub struct DevIndex {
    map: aya::maps::Array<MapData, u32>,
    /// The array mapped read-only (the daemon's own array; None for a pinned one opened to be
    /// read once): the tamper check reads it every tick without a syscall.
    view: Option<links::MappedU32Array>,
    /// None until the first [`DevIndex::write`].
    written: Option<Vec<u32>>,
}

fn failed(action: String, call: &'static str, io_error: std::io::Error) -> MapsError {
    MapsError::Map {
        name: abi::MAP_DEV_MAJOR,
        action,
        source: MapError::SyscallError(SyscallError { call, io_error }),
    }
}

impl DevIndex {
    /// Take the array out of a freshly loaded object.
    pub fn take(ebpf: &mut Ebpf) -> Result<DevIndex, MapsError> {
        let name = abi::MAP_DEV_MAJOR;
        let map =
            aya::maps::Array::try_from(take(ebpf, name)?).map_err(|source| MapsError::Map {
                name,
                action: "opening".into(),
                source,
            })?;
        // Without the mapping (an LSM refusing it, say) the check reads by syscall: dearer,
        // the same answers; enforcement never depends on it.
        let view = links::MappedU32Array::map(map.map().fd().as_fd(), ENTRIES)
            .map_err(|e| {
                tracing::warn!(
                    map = name,
                    error = %e,
                    "could not map the device index; the tamper check reads it by bpf(2)"
                )
            })
            .ok();
        Ok(DevIndex {
            map,
            view,
            written: None,
        })
    }

    /// Open the array pinned at `path` (to read it; nothing is recorded as written).
    pub fn open_pinned(path: &std::path::Path) -> Result<DevIndex, MapsError> {
        let name = abi::MAP_DEV_MAJOR;
        aya::maps::Array::try_from(super::pinned(path, name, aya::maps::Map::Array)?)
            .map(|map| DevIndex {
                map,
                view: None,
                written: None,
            })
            .map_err(|source| MapsError::Map {
                name,
                action: "opening".into(),
                source,
            })
    }

    fn fd(&self) -> BorrowedFd<'_> {
        self.map.map().fd().as_fd()
    }

    /// What the kernel holds now.
    pub fn read(&self) -> Result<Vec<u32>, MapsError> {
        if let Some(view) = &self.view {
            return Ok(view.read());
        }
        links::array_u32_all(self.fd(), ENTRIES)
            .map_err(|e| failed("reading every entry".into(), "bpf_map_lookup_batch", e))
    }

    /// Bring the array to `want`, writing only the entries that differ from what it was last
    /// brought to (the first time: from what the kernel holds).
    pub fn write(&mut self, want: Vec<u32>) -> Result<(), MapsError> {
        let have = match self.written.take() {
            Some(w) => w,
            None => self.read()?,
        };
        let changed: Vec<(u32, u32)> = want
            .iter()
            .zip(&have)
            .enumerate()
            .filter(|(_, (w, h))| w != h)
            .map(|(i, (w, _))| (i as u32, *w))
            .collect();
        let result = links::array_u32_set(self.fd(), &changed).map_err(|e| {
            failed(
                format!("writing {} entries", changed.len()),
                "bpf_map_update_batch",
                e,
            )
        });
        // After a failure what the kernel holds is unknown: read again next time.
        if result.is_ok() {
            self.written = Some(want);
        }
        result
    }

    /// Entries where the kernel differs from what this daemon wrote: (slot, have, want).
    pub fn drift(&self) -> Result<Vec<(u32, u32, u32)>, MapsError> {
        let Some(want) = &self.written else {
            return Ok(Vec::new());
        };
        Ok(self
            .read()?
            .into_iter()
            .zip(want)
            .enumerate()
            .filter(|(_, (h, w))| h != *w)
            .map(|(i, (h, w))| (i as u32, h, *w))
            .collect())
    }

    /// Put back what this daemon wrote (after [`DevIndex::drift`] found a change).
    pub fn repair(&mut self) -> Result<(), MapsError> {
        if let Some(want) = self.written.take() {
            return self.write(want);
        }
        Ok(())
    }
}

/// The pinned index at `path` against the pinned `rules` (while no daemon runs: what the next
/// start would silently put back): one `b 7:* = 0x80000007 (rules: 0x80000000)` per entry
/// that differs. An unfilled entry (no VALID bit) only costs time and is not listed.
pub fn pinned_drift(
    path: &std::path::Path,
    rules: &BTreeMap<DevMatch, u32>,
) -> Result<Vec<String>, MapsError> {
    let have = DevIndex::open_pinned(path)?.read()?;
    Ok(entries(rules)
        .into_iter()
        .zip(have)
        .enumerate()
        .filter(|(_, (want, have))| want != have && have & abi::AIRGAP_DEV_IDX_VALID != 0)
        .map(|(i, (want, have))| format!("{} = {have:#x} (rules: {want:#x})", slot_words(i as u32)))
        .collect())
}

/// Changed entries in one line, however many: the first four, then how many more (a rewrite
/// of the whole array is one record, not thousands).
pub fn listed(items: &[String]) -> String {
    match items.len() {
        n if n > 4 => format!("{} (and {} more)", items[..4].join(", "), n - 4),
        _ => items.join(", "),
    }
}

/// A slot in words: `c 1:*` (the index covers every minor of a major).
pub fn slot_words(slot: u32) -> String {
    let (t, major) = match slot.checked_sub(abi::AIRGAP_DEV_MAJORS) {
        Some(m) => ('c', m),
        None => ('b', slot),
    };
    format!("{t} {major}:*")
}

#[cfg(test)]
mod tests {
    use super::*;

    const RWM: u32 = abi::AIRGAP_ACC_MKNOD | abi::AIRGAP_ACC_READ | abi::AIRGAP_ACC_WRITE;
    const VALID: u32 = abi::AIRGAP_DEV_IDX_VALID;
    const MINORS: u32 = abi::AIRGAP_DEV_IDX_MINORS;

    /// What devices.bpf.c's rule walk (without the index) answers.
    fn walk(rules: &BTreeMap<DevMatch, u32>, ty: DevType, major: u32, minor: u32) -> u32 {
        let get = |major, minor| {
            rules
                .get(&DevMatch {
                    dev_type: ty,
                    major,
                    minor,
                })
                .copied()
        };
        get(Some(major), Some(minor))
            .or_else(|| get(Some(major), None))
            .or_else(|| get(None, None))
            .unwrap_or(if ty == DevType::Block { 0 } else { RWM })
    }

    /// What the program answers with the index in front.
    fn indexed(
        rules: &BTreeMap<DevMatch, u32>,
        index: &[u32],
        ty: DevType,
        major: u32,
        minor: u32,
    ) -> u32 {
        let e = index[slot(ty, major) as usize];
        assert!(e & VALID != 0);
        if e & MINORS != 0 {
            if let Some(v) = rules.get(&DevMatch::device(ty, major, minor)) {
                return *v;
            }
        }
        e & abi::AIRGAP_DEV_IDX_ACCESS
    }

    #[test]
    fn the_index_answers_as_the_rules_do() {
        let mut rules = BTreeMap::new();
        rules.insert(DevMatch::major(DevType::Char, 21), 0); // sg
        rules.insert(DevMatch::major(DevType::Block, 7), abi::AIRGAP_ACC_READ); // loop
        rules.insert(DevMatch::device(DevType::Block, 8, 16), RWM & !1); // an approved stick
        rules.insert(DevMatch::device(DevType::Block, 7, 3), 0);
        rules.insert(
            DevMatch::device(DevType::Char, 189, 5),
            abi::AIRGAP_ACC_READ,
        );
        let cases = [
            (7, 0),
            (7, 3),
            (8, 0),
            (8, 16),
            (8, 17),
            (259, 0),
            (4095, 1),
        ];
        for with_type_rule in [false, true] {
            if with_type_rule {
                rules.insert(
                    DevMatch {
                        dev_type: DevType::Char,
                        major: None,
                        minor: None,
                    },
                    abi::AIRGAP_ACC_READ,
                );
            }
            let index = entries(&rules);
            assert_eq!(index.len(), ENTRIES as usize);
            for ty in [DevType::Block, DevType::Char] {
                for &(major, minor) in cases.iter().chain(&[(21, 0), (189, 5), (189, 6), (1, 3)]) {
                    assert_eq!(
                        indexed(&rules, &index, ty, major, minor),
                        walk(&rules, ty, major, minor),
                        "{ty:?} {major}:{minor} with a type rule: {with_type_rule}"
                    );
                }
            }
        }
    }

    #[test]
    fn only_majors_with_device_rules_send_the_program_to_the_hash() {
        let mut rules = BTreeMap::new();
        rules.insert(DevMatch::device(DevType::Block, 8, 16), RWM);
        rules.insert(DevMatch::major(DevType::Block, 9), RWM);
        let index = entries(&rules);
        assert_eq!(index[slot(DevType::Block, 8) as usize], VALID | MINORS);
        assert_eq!(index[slot(DevType::Block, 9) as usize], VALID | RWM);
        assert_eq!(index[slot(DevType::Char, 1) as usize], VALID | RWM);
        assert_eq!(slot_words(slot(DevType::Char, 1)), "c 1:*");
        assert_eq!(slot_words(slot(DevType::Block, 8)), "b 8:*");
    }

    #[test]
    fn a_rewrite_of_many_entries_is_one_line() {
        let items: Vec<String> = (0..8192).map(|i| format!("e{i}")).collect();
        assert_eq!(listed(&items), "e0, e1, e2, e3 (and 8188 more)");
        assert_eq!(listed(&items[..2]), "e0, e1");
    }
}
