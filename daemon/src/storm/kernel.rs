//! Attributing the refusals the kernel folded (issue 23).
//!
//! With `airgap_config.fold_ns` set, the kernel sends a refusal and only counts the ones
//! identical to it (the same process and every field a record shows) that follow within the
//! window, in a running total per key that is never reset (`airgap_fold`, see
//! `airgapd_abi.h`). Each later event of the key carries the total as it was when the event
//! was sent. This turns totals into counts: the difference between the total an event (or the
//! map, read by a sweep) shows and the last total seen for its key is what was folded in
//! between, and is attributed to that key's record once: a refusal identical to the one the
//! record describes, but for its time and thread.
//!
//! Totals of one key only grow, but two events of one key can reach the reader out of order
//! (two CPUs), so a smaller total than the one seen attributes nothing. A smaller total in the
//! map itself means the kernel made the entry anew (the LRU map pushed the old one out); from
//! then on the new entry's total counts. What is not attributed that way is still in the
//! kernel's per-kind `folded` counter: [`unattributed`] is that difference.
//!
//! Pure logic: the caller reads the ring buffer and the map.

use std::collections::HashMap;
use std::hash::Hash;

/// What is known of one key: the highest total seen and the key's last event, which a sweep
/// describes when it attributes counts no event carried.
struct Seen<E> {
    total: u64,
    last: Option<E>,
}

/// The running totals seen per key; see the module documentation.
pub struct Attribution<K, E> {
    seen: HashMap<K, Seen<E>>,
}

impl<K: Eq + Hash + Clone, E: Clone> Default for Attribution<K, E> {
    fn default() -> Self {
        Attribution {
            seen: HashMap::new(),
        }
    }
}

impl<K: Eq + Hash + Clone, E: Clone> Attribution<K, E> {
    /// Number of keys tracked.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// An event of `key` that carried the running total `total`: how many refusals the kernel
    /// folded since the last total seen, to be recorded with this event. The event is kept as
    /// the key's description for [`Attribution::sweep`].
    pub fn event(&mut self, key: K, total: u64, event: &E) -> u64 {
        let seen = self.seen.entry(key).or_insert(Seen {
            total: 0,
            last: None,
        });
        let folded = total.saturating_sub(seen.total);
        seen.total = seen.total.max(total);
        seen.last = Some(event.clone());
        folded
    }

    /// The map's entries as they are now: for each key whose total grew past what was seen,
    /// the count no event carried and the key's last event, if one came (none when its event
    /// was lost). Keys the map no longer holds are forgotten.
    pub fn sweep(&mut self, entries: &[(K, u64)]) -> Vec<(K, u64, Option<E>)> {
        let mut out = Vec::new();
        let mut kept = HashMap::with_capacity(entries.len());
        for (key, total) in entries {
            let mut seen = self.seen.remove(key).unwrap_or(Seen {
                total: 0,
                last: None,
            });
            if *total < seen.total {
                // The entry was made anew: its own total counts from here.
                seen.total = *total;
            } else if *total > seen.total {
                out.push((key.clone(), total - seen.total, seen.last.clone()));
                seen.total = *total;
            }
            kept.insert(key.clone(), seen);
        }
        self.seen = kept;
        out
    }
}

/// Refusals the kernel folded (`counted`, its per-kind counter read before the map was swept)
/// that no record accounts for (`attributed` so far): entries the LRU map pushed out before
/// their counts were read. Never negative: a fold is added to its entry before its counter.
pub fn unattributed(counted: u64, attributed: u64) -> u64 {
    counted.saturating_sub(attributed)
}

#[cfg(test)]
mod tests {
    use super::*;

    type A = Attribution<u32, &'static str>;

    #[test]
    fn an_events_total_attributes_what_was_folded_since_the_last() {
        let mut a = A::default();
        assert_eq!(a.event(1, 0, &"first"), 0, "a key's first event");
        assert_eq!(a.event(1, 40, &"second"), 40);
        assert_eq!(a.event(1, 41, &"third"), 1);
        assert_eq!(a.event(2, 7, &"other key, its first event lost"), 7);
    }

    #[test]
    fn events_out_of_order_never_count_twice() {
        let mut a = A::default();
        assert_eq!(a.event(1, 10, &"b"), 10);
        assert_eq!(a.event(1, 8, &"a, sent before b"), 0);
        assert_eq!(a.event(1, 12, &"c"), 2);
    }

    #[test]
    fn a_sweep_attributes_what_no_event_carried_to_the_keys_last_event() {
        let mut a = A::default();
        a.event(1, 0, &"loop");
        a.event(2, 5, &"quiet");
        let out = a.sweep(&[(1, 30), (2, 5), (3, 4)]);
        assert_eq!(out, vec![(1, 30, Some("loop")), (3, 4, None)]);
        assert!(a.sweep(&[(1, 30), (2, 5), (3, 4)]).is_empty(), "once");
        assert_eq!(a.event(1, 31, &"loop again"), 1);
    }

    #[test]
    fn a_key_the_map_dropped_is_forgotten_and_a_remade_entry_counts_anew() {
        let mut a = A::default();
        a.event(1, 100, &"x");
        a.event(2, 3, &"y");
        assert!(a.sweep(&[(1, 100)]).is_empty());
        assert_eq!(a.len(), 1, "key 2 left the map");
        // Key 1 pushed out and made again: the map's smaller total is the new entry's.
        assert!(a.sweep(&[(1, 2)]).is_empty());
        assert_eq!(a.sweep(&[(1, 5)]), vec![(1, 3, Some("x"))]);
    }

    #[test]
    fn unattributed_is_what_the_counter_has_beyond_the_records() {
        assert_eq!(unattributed(10, 7), 3);
        assert_eq!(
            unattributed(7, 10),
            0,
            "a fold read in its entry before its counter"
        );
    }
}
