//! `airgap_fold`: the kernel's running count, per process, kind and device, of the refusals it
//! folded instead of sending (issue 23; `crate::storm::kernel` attributes them). Read only:
//! the programs make and update every entry.

use aya::maps::{HashMap, MapData};
use aya::Ebpf;

use airgapd_ebpf::abi;

use super::{take, MapsError};
use crate::violation::{Kind, Violation};

/// A fold key as the daemon holds it: what `airgap_fold_key` says, comparable and hashable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FoldKey {
    /// The process (tgid), 0 where the hook knows none.
    pub who: u32,
    /// `enum airgap_kind`.
    pub kind: u16,
    /// `AIRGAP_KDEV` of the device for device kinds, else 0.
    pub detail: u32,
}

impl FoldKey {
    /// The key the kernel folded a refusal like `v` under: the same process, kind and device.
    /// None for refusals that do not come through `airgap_fold` (exec refusals).
    pub fn of(v: &Violation) -> Option<FoldKey> {
        let kind = u16::try_from(v.kind.abi()?).ok()?;
        let detail = match v.device {
            Some((major, minor)) if v.kind.is_device() => (major << 20) | (minor & 0xf_ffff),
            _ => 0,
        };
        Some(FoldKey {
            who: v.pid,
            kind,
            detail,
        })
    }

    fn from_abi(k: &abi::airgap_fold_key) -> FoldKey {
        FoldKey {
            who: k.who,
            kind: k.kind,
            detail: k.detail,
        }
    }

    /// The refusal kind, if this daemon knows it.
    pub fn kind(&self) -> Option<Kind> {
        Kind::from_abi(u32::from(self.kind))
    }
}

/// The fold map of the loaded object.
pub struct FoldMap(HashMap<MapData, abi::airgap_fold_key, abi::airgap_fold>);

impl FoldMap {
    /// Take the fold map out of a freshly loaded object.
    pub fn take(ebpf: &mut Ebpf) -> Result<FoldMap, MapsError> {
        let name = abi::MAP_FOLD;
        HashMap::try_from(take(ebpf, name)?)
            .map(FoldMap)
            .map_err(|source| MapsError::Map {
                name,
                action: "opening".into(),
                source,
            })
    }

    /// Every entry's key and running total. An entry the kernel pushes out while it is being
    /// read is skipped: its count is then among the unattributed ones.
    pub fn totals(&self) -> Vec<(FoldKey, u64)> {
        self.0
            .iter()
            .filter_map(Result::ok)
            .map(|(k, v)| (FoldKey::from_abi(&k), v.folded))
            .collect()
    }
}
