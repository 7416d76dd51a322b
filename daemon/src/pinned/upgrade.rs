//! Enforcement pinned by a daemon of another ABI version: what the new daemon of a package
//! upgrade finds when it starts.
//!
//! The old links keep enforcing, with the old programs and the old maps, until each is given
//! the new program (`BPF_LINK_UPDATE` in [`crate::links::attach`]): the machine is never open
//! between the two daemons, and never lifted first. Only the map pins are taken out of the way
//! before the new object loads, since it cannot reuse maps of another layout; the old programs
//! hold their maps themselves. Links whose program the new object no longer has are unpinned,
//! so detached, once every new link is made, never before.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use airgapd_ebpf::abi;

use crate::links;

/// What the config map pinned in a directory says of its writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pinned {
    /// Its `abi_version` (0: the config was never written).
    pub version: u32,
    /// The size of its value: another size is another layout, whatever the version says.
    pub value_size: usize,
}

impl Pinned {
    /// Whether this daemon must not reuse the maps pinned beside it.
    pub fn is_other_abi(&self) -> bool {
        let ours = self.version == abi::AIRGAP_ABI_VERSION || self.version == 0;
        !ours || self.value_size != abi::AIRGAP_CONFIG_SIZE as usize
    }
}

/// The config map pinned in `dir`, read without assuming its layout beyond the place of
/// `abi_version`, which never moves (`AIRGAP_CONFIG_ABI_OFFSET`). None: nothing is pinned.
pub fn pinned_config(dir: &Path) -> io::Result<Option<Pinned>> {
    let path = dir.join(format!("map_{}", abi::MAP_CONFIG));
    let fd = match links::get(&path) {
        Ok(fd) => fd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
    };
    let value = links::map_lookup_raw(fd.as_fd(), 0)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let at = abi::AIRGAP_CONFIG_ABI_OFFSET as usize;
    let version = value
        .get(at..at + 4)
        .map(|b| u32::from_ne_bytes(b.try_into().expect("four bytes")))
        .unwrap_or(0);
    Ok(Some(Pinned {
        version,
        value_size: value.len(),
    }))
}

/// The maps of another ABI version, out of the way of this daemon's.
pub struct Retired {
    /// What their config said.
    pub pinned: Pinned,
    /// Their ring buffer, kept open to count what nobody read.
    events: Option<OwnedFd>,
}

/// What replacing another version's enforcement did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upgrade {
    /// The version found (0: unknown, its config was never written).
    pub from: u32,
    /// This daemon's.
    pub to: u32,
    /// Refusals the old programs put in their ring buffer that no daemon read: counted, not
    /// detailed (their layout is another version's). None when the buffer could not be read.
    pub unread: Option<u64>,
    /// Pins of links whose program this version no longer has: unpinned, so detached.
    pub removed: Vec<String>,
    /// What could not be done (a stale link left pinned, the ring buffer unreadable).
    pub errors: Vec<String>,
}

/// When `dir` holds enforcement of another ABI version, take its map pins out of the way
/// (recording nothing yet: [`Retired::finish`] says what was done). Its links stay.
pub fn retire_other_abi(dir: &Path) -> io::Result<Option<Retired>> {
    let Some(pinned) = pinned_config(dir)? else {
        return Ok(None);
    };
    if !pinned.is_other_abi() {
        return Ok(None);
    }
    let events = links::get(&dir.join(format!("map_{}", abi::MAP_EVENTS))).ok();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        if name.to_string_lossy().starts_with("map_") {
            let path = dir.join(&name);
            std::fs::remove_file(&path)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        }
    }
    tracing::info!(
        from = pinned.version,
        to = abi::AIRGAP_ABI_VERSION,
        "enforcement of another ABI version pinned: its maps set aside, its links kept"
    );
    Ok(Some(Retired { pinned, events }))
}

/// The names of the programs in this daemon's object.
pub fn object_programs() -> Vec<String> {
    aya_obj::Object::parse(airgapd_ebpf::OBJECT)
        .map(|o| o.programs.keys().cloned().collect())
        .unwrap_or_default()
}

/// Whether a `link_*` pin belongs to a program of `programs`: `link_<program>`, or for the
/// interface programs `link_<program>_<interface>`.
pub fn pin_is_ours(pin: &str, programs: &[String], interface_programs: &[&str]) -> bool {
    let Some(rest) = pin.strip_prefix("link_") else {
        return true; // not a link
    };
    programs.iter().any(|p| rest == p)
        || interface_programs.iter().any(|p| {
            rest.strip_prefix(p)
                .and_then(|r| r.strip_prefix('_'))
                .is_some_and(|iface| !iface.is_empty())
        })
}

impl Retired {
    /// Once every link of this daemon is made (each pinned link of a program it still has now
    /// runs the new program): unpin the links of programs it no longer has, and count what the
    /// old ring buffer still holds.
    pub fn finish(self, dir: &Path, programs: &[String], interface_programs: &[&str]) -> Upgrade {
        let mut up = Upgrade {
            from: self.pinned.version,
            to: abi::AIRGAP_ABI_VERSION,
            unread: None,
            removed: Vec::new(),
            errors: Vec::new(),
        };
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                let mut names: Vec<String> = entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| !pin_is_ours(n, programs, interface_programs))
                    .collect();
                names.sort();
                for name in names {
                    match std::fs::remove_file(dir.join(&name)) {
                        Ok(()) => up.removed.push(name),
                        Err(e) => up.errors.push(format!("{name} left pinned: {e}")),
                    }
                }
            }
            Err(e) => up.errors.push(format!("{}: {e}", dir.display())),
        }
        match self.events.map(count_unread) {
            Some(Ok(n)) => up.unread = Some(n),
            Some(Err(e)) => up.errors.push(format!("the old ring buffer: {e}")),
            None => up.errors.push("no old ring buffer was pinned".into()),
        }
        up
    }
}

/// The records a ring buffer holds that no reader consumed (read here, so consumed now).
fn count_unread(fd: OwnedFd) -> Result<u64, String> {
    let data = aya::maps::MapData::from_fd(fd).map_err(|e| e.to_string())?;
    let mut ring =
        aya::maps::RingBuf::try_from(aya::maps::Map::RingBuf(data)).map_err(|e| e.to_string())?;
    let mut n = 0;
    while ring.next().is_some() {
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_of_another_version_or_size_is_another_abi() {
        let ours = abi::AIRGAP_ABI_VERSION;
        let size = abi::AIRGAP_CONFIG_SIZE as usize;
        let p = |version, value_size| Pinned {
            version,
            value_size,
        };
        assert!(!p(ours, size).is_other_abi());
        assert!(
            !p(0, size).is_other_abi(),
            "never written: adopted as before"
        );
        assert!(p(ours - 1, size).is_other_abi());
        assert!(p(ours + 1, size).is_other_abi());
        assert!(p(ours, size + 8).is_other_abi());
        assert!(p(0, size - 8).is_other_abi());
    }

    #[test]
    fn stale_pins_are_links_of_programs_the_object_no_longer_has() {
        let programs = vec![
            "airgap_sock_create".to_string(),
            "airgap_wire_egress".into(),
        ];
        let wire = ["airgap_wire_egress"];
        assert!(pin_is_ours("link_airgap_sock_create", &programs, &wire));
        assert!(pin_is_ours(
            "link_airgap_wire_egress_eth0",
            &programs,
            &wire
        ));
        assert!(pin_is_ours("map_airgap_config", &programs, &wire));
        assert!(!pin_is_ours(
            "link_airgap_sock_create_old",
            &programs,
            &wire
        ));
        assert!(!pin_is_ours("link_airgap_wire_egress_", &programs, &wire));
        assert!(!pin_is_ours("link_airgap_gone", &programs, &wire));
    }

    #[test]
    fn every_program_of_the_object_is_named() {
        let names = object_programs();
        for p in crate::devices::readonly_lsm::FMOD_RET {
            assert!(names.iter().any(|n| n == p.0), "{} missing", p.0);
        }
        assert!(names.iter().any(|n| n == crate::network::compat::PROGRAM));
    }
}
