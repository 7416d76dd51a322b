//! Refusals the kernel folded (issue 23): a storm crosses the ring buffer as about one event
//! per interval per identical refusal, each carrying the kernel's running count of what it
//! folded (`airgap_fold`); `crate::storm::kernel` turns the counts into repeats of the
//! records, and the periodic sweep reads the map for counts no later event carried.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::maps::{Count, FoldKey};
use crate::storm::kernel::{self, Attribution};

use super::*;

/// A sweep with nothing pending still runs this often, to forget the keys the kernel dropped.
const SWEEP_AT_LEAST: Duration = Duration::from_secs(10);

/// The daemon's side of the kernel's folding.
#[derive(Default)]
pub(super) struct Folds {
    attribution: Attribution<FoldKey, Violation>,
    /// Per `enum airgap_kind`: folded refusals attributed to records (or, at the start, taken
    /// as an earlier daemon's).
    attributed: HashMap<u16, u64>,
    swept: Option<Instant>,
    /// The kernel's folded count (all kinds) the last sweep was made for: whatever of it is not
    /// attributed by then never will be (its entry was pushed out or its event lost), so it
    /// calls for no further sweep.
    swept_for: u64,
}

impl Folds {
    /// A daemon starting on counters an earlier one kept: what they counted is its business.
    pub(super) fn baseline(&mut self, counts: &[(Kind, Count)]) {
        for (kind, count) in counts {
            if let Some(k) = kind.abi().and_then(|k| u16::try_from(k).ok()) {
                self.attributed.insert(k, count.folded);
            }
        }
        self.swept_for = counts.iter().map(|(_, c)| c.folded).sum();
    }

    /// Folded refusals the kernel counted of `kind` (its counter, read before the last
    /// sweep) that no record accounts for: their map entries were pushed out first.
    pub(super) fn unattributed(&self, kind: Kind, count: &Count) -> u64 {
        let k = kind.abi().and_then(|k| u16::try_from(k).ok());
        let attributed = k.and_then(|k| self.attributed.get(&k)).copied();
        kernel::unattributed(count.folded, attributed.unwrap_or(0))
    }

    fn attribute(&mut self, kind: u16, n: u64) {
        *self.attributed.entry(kind).or_default() += n;
    }
}

impl Service {
    /// How many refusals `v` stands for: itself and those the kernel folded since its key's
    /// last total.
    pub(super) fn weight(&mut self, v: &Violation) -> u64 {
        let Some((key, total)) = v.fold else {
            return 1;
        };
        let folded = self.folds.attribution.event(key, total, v);
        self.folds.attribute(key.kind, folded);
        1 + folded
    }

    /// Attribute what the kernel folded and no event carried (a process that stopped, or one
    /// still inside its window). `counts` must be read before: then nothing is found counted
    /// that the map does not hold yet.
    pub(super) fn sweep_folds(&mut self, counts: &[(Kind, Count)]) {
        let counted: u64 = counts.iter().map(|(_, c)| c.folded).sum();
        let due = self
            .folds
            .swept
            .is_none_or(|at| at.elapsed() >= SWEEP_AT_LEAST);
        // Compared with the last sweep's count, not with what is attributed: after an entry
        // was pushed out (a flood of processes can force that) the two never meet again, and
        // the map would be read on every tick.
        let pending = counted > self.folds.swept_for;
        let prune = due && !self.folds.attribution.is_empty();
        if !pending && !prune {
            return;
        }
        self.folds.swept = Some(Instant::now());
        self.folds.swept_for = counted;
        let entries = self.enforcer.folds().totals();
        for (key, n, last) in self.folds.attribution.sweep(&entries) {
            // Without the key's event (lost: the ring buffer was full) nothing says what was
            // refused: the counts stay unattributed and are recorded as lost.
            let Some(v) = last else {
                continue;
            };
            self.folds.attribute(key.kind, n);
            self.offer_n(v, n);
        }
    }
}
