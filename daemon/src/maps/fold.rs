//! `airgap_fold`: the kernel's running count, per process and refusal (every field a record
//! shows), of the refusals it folded instead of sending (issue 23; `crate::storm::kernel`
//! attributes them). Read only: the programs make and update every entry. Not pinned: each
//! loaded object has its own, so a daemon never inherits totals it did not see.

use aya::maps::{HashMap, MapData};
use aya::Ebpf;

use airgapd_ebpf::abi;

use super::{take, MapsError};

/// A fold key as the daemon holds it: what `airgap_fold_key` says, comparable and hashable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FoldKey {
    /// The process (tgid), 0 where the hook knows none.
    pub who: u32,
    /// `enum airgap_kind`.
    pub kind: u16,
    /// The hash of the rest of the refusal ([`FoldKey::of_event`]).
    pub hash: u64,
}

impl FoldKey {
    /// The key the kernel folds refusals identical to `e` under: the same computation as
    /// `airgap_fold_hash` in `ebpf/src/common.h` (FNV-1a over the event's words 1 to 12, each
    /// mixed with a shift, the thread id masked out).
    pub fn of_event(e: &abi::airgap_event) -> FoldKey {
        // SAFETY: airgap_event is plain old data of AIRGAP_EVENT_SIZE bytes (asserted in
        // airgapd_ebpf::abi); read as bytes only.
        let bytes: &[u8] = unsafe {
            std::slice::from_raw_parts(
                (e as *const abi::airgap_event).cast::<u8>(),
                std::mem::size_of::<abi::airgap_event>(),
            )
        };
        let mut h = abi::AIRGAP_FOLD_SEED as u64;
        for i in 1..abi::AIRGAP_FOLD_HASHED as usize {
            let mut v = u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
            if i == 2 {
                v &= abi::AIRGAP_FOLD_TID_MASK as u64;
            }
            h = (h ^ v).wrapping_mul(abi::AIRGAP_FOLD_PRIME);
            h ^= h >> 29;
        }
        FoldKey {
            who: e.tgid,
            kind: e.kind,
            hash: h,
        }
    }

    fn from_abi(k: &abi::airgap_fold_key) -> FoldKey {
        FoldKey {
            who: k.who,
            kind: k.kind,
            hash: k.hash,
        }
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
