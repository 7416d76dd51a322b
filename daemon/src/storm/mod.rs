//! Storm aggregation: at most one record per interval (1 s by default) per key, normally
//! (tgid, kind), with the exact number of the events that were not recorded one by one.
//!
//! A process that retries a refused `connect` in a loop would otherwise write thousands of
//! identical records a second, drowning the journal and the officer. The first event of a quiet
//! key is recorded at once ([`Emit::First`]); later events within the interval are only counted.
//! When the interval ends with events counted, one [`Emit::Summary`] carries the count and the
//! most recent of them, and the key stays limited for another interval, so a loop yields one
//! record per interval. When an interval ends with nothing counted the key is forgotten.
//!
//! Counts are never lost: every offered event is accounted for by exactly one emitted record
//! (a `First` accounts for itself, a `Summary` for `suppressed` events), including when the key
//! table is full and the oldest key is evicted, and at shutdown ([`Aggregator::drain`]).
//!
//! A key may belong to a larger one ([`Aggregator::with_crowds`]: a process to its user, a
//! user to everyone): past a number of live keys below it, a new key's events are counted
//! under the larger key, so that the records stay bounded however many keys there are.
//!
//! Pure logic: the caller passes the time, so tests drive it with a fake clock.

pub mod kernel;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::time::{Duration, Instant};

/// Default length of an aggregation window.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
/// Default bound on the number of keys tracked at once.
pub const DEFAULT_MAX_KEYS: usize = 4096;

/// A record the caller should write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Emit<K, E> {
    /// The first event of a quiet key: record it as it is.
    First {
        /// Its key.
        key: K,
        /// The event.
        event: E,
    },
    /// `suppressed` events of `key` were not recorded one by one since its last record; `last`
    /// is the most recent of them. Record it once, with the count (`AIRGAP_REPEATS`).
    Summary {
        /// Its key.
        key: K,
        /// How many events this summary stands for (at least 1).
        suppressed: u64,
        /// The most recent of them.
        last: E,
    },
}

impl<K, E> Emit<K, E> {
    /// The key the record is about.
    pub fn key(&self) -> &K {
        match self {
            Emit::First { key, .. } | Emit::Summary { key, .. } => key,
        }
    }

    /// The event to describe in the record.
    pub fn event(&self) -> &E {
        match self {
            Emit::First { event, .. } => event,
            Emit::Summary { last, .. } => last,
        }
    }

    /// How many offered events this record accounts for.
    pub fn accounts_for(&self) -> u64 {
        match self {
            Emit::First { .. } => 1,
            Emit::Summary { suppressed, .. } => *suppressed,
        }
    }

    /// How many events this record stands for besides the one it describes: its
    /// `AIRGAP_REPEATS`. A record and its repeats are `1 + repeats` events; a summary's own
    /// event is one of those it stands for, so it is never counted twice.
    pub fn repeats(&self) -> u64 {
        self.accounts_for().saturating_sub(1)
    }
}

/// What one [`Aggregator::offer`] produced: up to two records, to be written in iteration
/// order (the evicted key's summary first).
#[derive(Debug)]
#[must_use = "dropping an offer's records loses counts"]
pub struct Offered<K, E> {
    /// Summary of the oldest key, evicted to make room for a new one.
    pub evicted: Option<Emit<K, E>>,
    /// The record for the offered event itself, if it is not suppressed.
    pub emit: Option<Emit<K, E>>,
}

impl<K, E> IntoIterator for Offered<K, E> {
    type Item = Emit<K, E>;
    type IntoIter =
        std::iter::Chain<std::option::IntoIter<Emit<K, E>>, std::option::IntoIter<Emit<K, E>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.evicted.into_iter().chain(self.emit)
    }
}

/// The state of one key: a record was written at `opened`; `suppressed` events came since.
struct Window<E> {
    opened: Instant,
    /// Position in [`Aggregator::order`] together with `opened`.
    seq: u64,
    suppressed: u64,
    last: Option<E>,
}

/// Rate-limits records per key; see the module documentation.
pub struct Aggregator<K, E> {
    interval: Duration,
    max_keys: usize,
    windows: HashMap<K, Window<E>>,
    /// Every key by (opened, seq), oldest first: what is due and what to evict is at the front.
    /// `seq` orders windows opened at the same instant.
    order: BTreeMap<(Instant, u64), K>,
    next_seq: u64,
    crowds: Option<Crowds<K>>,
}

/// Keys that belong to larger ones (a process to its user, a user to everyone): a larger key
/// has at most `per_parent` keys of its own at once; the events of a new key past that are
/// counted under the larger key. A user starting thousands of processes that are each refused
/// once made a record each (one per process and interval is all the windows bound): now at
/// most `per_parent` processes of a user, and `per_parent` users, have records of their own.
struct Crowds<K> {
    parent: fn(&K) -> Option<K>,
    per_parent: usize,
    /// Live keys of each larger key.
    children: HashMap<K, usize>,
}

impl<K: Eq + Hash + Clone, E> Aggregator<K, E> {
    /// At most one record per `interval` per key, tracking up to [`DEFAULT_MAX_KEYS`] keys.
    /// A zero interval records every event.
    pub fn new(interval: Duration) -> Self {
        Self::with_max_keys(interval, DEFAULT_MAX_KEYS)
    }

    /// Like [`Aggregator::new`], tracking up to `max_keys` keys (at least one).
    pub fn with_max_keys(interval: Duration, max_keys: usize) -> Self {
        Aggregator {
            interval,
            max_keys: max_keys.max(1),
            windows: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
            crowds: None,
        }
    }

    /// The same, where a key's `parent` takes the events of its new keys once it has
    /// `per_parent` of them (see [`Crowds`]).
    pub fn with_crowds(
        interval: Duration,
        max_keys: usize,
        per_parent: usize,
        parent: fn(&K) -> Option<K>,
    ) -> Self {
        Aggregator {
            crowds: Some(Crowds {
                parent,
                per_parent: per_parent.max(1),
                children: HashMap::new(),
            }),
            ..Self::with_max_keys(interval, max_keys)
        }
    }

    /// Whether `key` is tracked or has tracked keys below it.
    fn present(&self, key: &K) -> bool {
        self.windows.contains_key(key)
            || self
                .crowds
                .as_ref()
                .is_some_and(|c| c.children.contains_key(key))
    }

    /// The key a new key's events are counted under: itself when it and each larger key it
    /// would make present have room, else the first larger key that does (or counts already).
    fn place(&self, key: K) -> K {
        let Some(c) = &self.crowds else {
            return key;
        };
        // A key counted already makes nothing new present.
        let room = |k: &K| {
            if self.present(k) {
                return true;
            }
            let mut x = k.clone();
            while let Some(parent) = (c.parent)(&x) {
                if c.children.get(&parent).copied().unwrap_or(0) >= c.per_parent {
                    return false;
                }
                if self.present(&parent) {
                    return true;
                }
                x = parent;
            }
            true
        };
        let mut key = key;
        while !room(&key) {
            let Some(parent) = (c.parent)(&key) else {
                break;
            };
            key = parent;
            if self.windows.contains_key(&key) {
                break;
            }
        }
        key
    }

    /// `key` was tracked (`true`) or forgotten: the counts of the larger keys follow.
    fn counted(&mut self, key: &K, tracked: bool) {
        let Some(parent_of) = self.crowds.as_ref().map(|c| c.parent) else {
            return;
        };
        // Only a change of presence moves the counts above it.
        if self
            .crowds
            .as_ref()
            .is_some_and(|c| c.children.contains_key(key))
        {
            return;
        }
        let mut x = key.clone();
        while let Some(parent) = parent_of(&x) {
            let was = self.present(&parent);
            let Some(c) = self.crowds.as_mut() else {
                return;
            };
            if tracked {
                *c.children.entry(parent.clone()).or_default() += 1;
            } else if let Some(n) = c.children.get_mut(&parent) {
                *n -= 1;
                if *n == 0 {
                    c.children.remove(&parent);
                }
            }
            if self.present(&parent) == was {
                return;
            }
            x = parent;
        }
    }

    /// Number of keys tracked.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// When [`Aggregator::flush_due`] next has work, if any key is tracked.
    pub fn next_due(&self) -> Option<Instant> {
        let (&(opened, _), _) = self.order.first_key_value()?;
        Some(opened.checked_add(self.interval).unwrap_or(opened))
    }

    /// Offers an event of `key` at time `now`.
    pub fn offer(&mut self, key: K, now: Instant, event: E) -> Offered<K, E> {
        self.offer_n(key, now, event, 1)
    }

    /// Offers `event` standing for `n` events of `key` (at least 1; 0 counts as 1): itself and
    /// `n - 1` the kernel folded ([`kernel`]). A record it starts is a summary of the `n`.
    pub fn offer_n(&mut self, key: K, now: Instant, event: E, n: u64) -> Offered<K, E> {
        let n = n.max(1);
        let interval = self.interval;
        if let Some(window) = self.windows.get_mut(&key) {
            // A clock that went backwards counts as "within the window".
            if now.saturating_duration_since(window.opened) < interval {
                window.suppressed += n;
                window.last = Some(event);
                return Offered {
                    evicted: None,
                    emit: None,
                };
            }
            // The window ended but flush_due has not run yet: this event is the interval's one
            // record, and it carries what the ended window counted.
            let emit = Self::record(key.clone(), window.suppressed + n, event);
            self.reopen(&key, now);
            return Offered {
                evicted: None,
                emit: Some(emit),
            };
        }
        let placed = self.place(key.clone());
        if placed != key {
            return self.offer_n(placed, now, event, n);
        }
        let evicted = if self.windows.len() >= self.max_keys {
            self.evict_oldest()
        } else {
            None
        };
        let seq = self.take_seq();
        self.counted(&key, true);
        self.order.insert((now, seq), key.clone());
        self.windows.insert(
            key.clone(),
            Window {
                opened: now,
                seq,
                suppressed: 0,
                last: None,
            },
        );
        Offered {
            evicted,
            emit: Some(Self::record(key, n, event)),
        }
    }

    /// The record of `event` standing for `n` events.
    fn record(key: K, n: u64, event: E) -> Emit<K, E> {
        match n {
            0 | 1 => Emit::First { key, event },
            n => Emit::Summary {
                key,
                suppressed: n,
                last: event,
            },
        }
    }

    /// Summaries of the keys whose window ended by `now` with events counted; keys whose window
    /// ended quiet are forgotten.
    pub fn flush_due(&mut self, now: Instant) -> Vec<Emit<K, E>> {
        let mut out = Vec::new();
        // Windows reopened below get a seq from here on; stopping at them makes a zero interval
        // terminate.
        let first_new_seq = self.next_seq;
        while let Some((&(opened, seq), _)) = self.order.first_key_value() {
            if seq >= first_new_seq || now.saturating_duration_since(opened) < self.interval {
                break;
            }
            let Some((_, key)) = self.order.pop_first() else {
                break;
            };
            let Some(window) = self.windows.get_mut(&key) else {
                continue;
            };
            match window.last.take() {
                Some(last) if window.suppressed > 0 => {
                    out.push(Emit::Summary {
                        key: key.clone(),
                        suppressed: window.suppressed,
                        last,
                    });
                    // The summary is this interval's record: keep the key limited.
                    let seq = self.take_seq();
                    if let Some(window) = self.windows.get_mut(&key) {
                        *window = Window {
                            opened: now,
                            seq,
                            suppressed: 0,
                            last: None,
                        };
                    }
                    self.order.insert((now, seq), key);
                }
                _ => {
                    self.windows.remove(&key);
                    self.counted(&key, false);
                }
            }
        }
        out
    }

    /// Summaries of every key with events counted, forgetting all keys: for shutdown.
    pub fn drain(&mut self) -> Vec<Emit<K, E>> {
        self.order.clear();
        if let Some(c) = &mut self.crowds {
            c.children.clear();
        }
        self.windows
            .drain()
            .filter_map(|(key, window)| match window.last {
                Some(last) if window.suppressed > 0 => Some(Emit::Summary {
                    key,
                    suppressed: window.suppressed,
                    last,
                }),
                _ => None,
            })
            .collect()
    }

    /// Starts a new window for `key` at `now` (its record was just emitted).
    fn reopen(&mut self, key: &K, now: Instant) {
        let seq = self.take_seq();
        if let Some(window) = self.windows.get_mut(key) {
            self.order.remove(&(window.opened, window.seq));
            *window = Window {
                opened: now,
                seq,
                suppressed: 0,
                last: None,
            };
            self.order.insert((now, seq), key.clone());
        }
    }

    /// Forgets the oldest key, returning its summary if it counted events.
    fn evict_oldest(&mut self) -> Option<Emit<K, E>> {
        let (_, key) = self.order.pop_first()?;
        let window = self.windows.remove(&key)?;
        self.counted(&key, false);
        match window.last {
            Some(last) if window.suppressed > 0 => Some(Emit::Summary {
                key,
                suppressed: window.suppressed,
                last,
            }),
            _ => None,
        }
    }

    fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }
}
