//! Fake-clock tests: exact counts, eviction, many keys, and a randomized conservation check.

use super::*;
use std::collections::HashMap;

const SEC: Duration = Duration::from_secs(1);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Offers and collects the records in the order they must be written.
fn offer(
    agg: &mut Aggregator<u32, u32>,
    key: u32,
    now: Instant,
    event: u32,
) -> Vec<Emit<u32, u32>> {
    agg.offer(key, now, event).into_iter().collect()
}

#[test]
fn first_event_is_recorded_and_the_rest_counted_exactly() {
    let t0 = Instant::now();
    let mut agg = Aggregator::new(SEC);
    assert_eq!(
        offer(&mut agg, 7, t0, 0),
        [Emit::First { key: 7, event: 0 }]
    );
    for i in 1..=9 {
        assert!(offer(&mut agg, 7, t0 + ms(100 * i as u64), i).is_empty());
    }
    assert!(agg.flush_due(t0 + ms(999)).is_empty(), "window still open");
    assert_eq!(
        agg.flush_due(t0 + SEC),
        [Emit::Summary {
            key: 7,
            suppressed: 9,
            last: 9
        }]
    );
    assert_eq!(agg.len(), 1, "still limited after a summary");
    assert!(
        agg.flush_due(t0 + 2 * SEC).is_empty(),
        "a quiet interval emits nothing"
    );
    assert!(agg.is_empty(), "and forgets the key");
    assert_eq!(
        offer(&mut agg, 7, t0 + 3 * SEC, 10),
        [Emit::First { key: 7, event: 10 }]
    );
}

#[test]
fn a_retry_loop_yields_one_record_per_interval() {
    let t0 = Instant::now();
    let mut agg = Aggregator::new(SEC);
    let mut records = Vec::new();
    // One attempt per millisecond for 10 s, flushing on a 100 ms tick like the daemon's timer.
    for i in 0..10_000u32 {
        let now = t0 + ms(i as u64);
        records.extend(agg.offer(1, now, i).into_iter().map(|e| (now, e)));
        if i % 100 == 0 {
            records.extend(agg.flush_due(now).into_iter().map(|e| (now, e)));
        }
    }
    records.extend(agg.drain().into_iter().map(|e| (t0 + ms(10_000), e)));
    let total: u64 = records.iter().map(|(_, e)| e.accounts_for()).sum();
    assert_eq!(total, 10_000);
    assert!(records.len() <= 11, "{} records", records.len());
    for pair in records.windows(2).take(records.len() - 2) {
        assert!(
            pair[1].0 - pair[0].0 >= SEC,
            "two records within an interval"
        );
    }
    assert!(matches!(
        records.last(),
        Some((_, Emit::Summary { last: 9_999, .. }))
    ));
}

#[test]
fn late_offer_carries_the_ended_window() {
    let t0 = Instant::now();
    let mut agg = Aggregator::new(SEC);
    let _ = offer(&mut agg, 1, t0, 0);
    let _ = offer(&mut agg, 1, t0 + ms(10), 1);
    let _ = offer(&mut agg, 1, t0 + ms(20), 2);
    // flush_due was not called; the next event after the window closes the window.
    assert_eq!(
        offer(&mut agg, 1, t0 + ms(1500), 3),
        [Emit::Summary {
            key: 1,
            suppressed: 3,
            last: 3
        }]
    );
    assert!(
        offer(&mut agg, 1, t0 + ms(1600), 4).is_empty(),
        "new window started at 1.5 s"
    );
    assert_eq!(
        agg.flush_due(t0 + ms(2500)),
        [Emit::Summary {
            key: 1,
            suppressed: 1,
            last: 4
        }]
    );
}

#[test]
fn keys_are_independent() {
    let t0 = Instant::now();
    let mut agg = Aggregator::new(SEC);
    assert_eq!(offer(&mut agg, 1, t0, 10).len(), 1);
    assert_eq!(offer(&mut agg, 2, t0, 20).len(), 1);
    let _ = offer(&mut agg, 1, t0 + ms(1), 11);
    let mut due = agg.flush_due(t0 + SEC);
    due.sort_by_key(|e| *e.key());
    assert_eq!(
        due,
        [Emit::Summary {
            key: 1,
            suppressed: 1,
            last: 11
        }]
    );
}

#[test]
fn eviction_emits_the_oldest_summary_first() {
    let t0 = Instant::now();
    let mut agg = Aggregator::with_max_keys(SEC, 2);
    let _ = offer(&mut agg, 1, t0, 0);
    for i in 1..=3 {
        let _ = offer(&mut agg, 1, t0 + ms(i), i as u32);
    }
    let _ = offer(&mut agg, 2, t0 + ms(5), 100);
    assert_eq!(
        offer(&mut agg, 3, t0 + ms(6), 200),
        [
            Emit::Summary {
                key: 1,
                suppressed: 3,
                last: 3
            },
            Emit::First { key: 3, event: 200 }
        ]
    );
    assert_eq!(agg.len(), 2);
    // Key 2 is now the oldest and counted nothing: evicting it emits only the new key's record.
    assert_eq!(
        offer(&mut agg, 4, t0 + ms(7), 300),
        [Emit::First { key: 4, event: 300 }]
    );
}

#[test]
fn many_keys_stay_bounded_and_keep_every_count() {
    let t0 = Instant::now();
    let mut agg = Aggregator::new(SEC);
    let mut accounted = 0u64;
    let mut offers = 0u64;
    // 10 000 processes, each failing three times within a few microseconds.
    for key in 0..10_000u32 {
        for n in 0..3u64 {
            let now = t0 + Duration::from_micros(u64::from(key) * 3 + n);
            offers += 1;
            accounted += agg
                .offer(key, now, key)
                .into_iter()
                .map(|e| e.accounts_for())
                .sum::<u64>();
            assert!(agg.len() <= DEFAULT_MAX_KEYS);
        }
    }
    accounted += agg.drain().iter().map(Emit::accounts_for).sum::<u64>();
    assert_eq!(accounted, offers);
    assert!(agg.is_empty());
}

#[test]
fn zero_interval_records_everything() {
    let t0 = Instant::now();
    let mut agg = Aggregator::new(Duration::ZERO);
    for i in 0..5 {
        assert_eq!(
            offer(&mut agg, 1, t0, i),
            [Emit::First { key: 1, event: i }]
        );
    }
    assert!(agg.flush_due(t0).is_empty());
}

#[test]
fn next_due_follows_the_oldest_window() {
    let t0 = Instant::now();
    let mut agg: Aggregator<u32, u32> = Aggregator::new(SEC);
    assert_eq!(agg.next_due(), None);
    let _ = offer(&mut agg, 1, t0 + ms(300), 0);
    let _ = offer(&mut agg, 2, t0 + ms(100), 0);
    assert_eq!(agg.next_due(), Some(t0 + ms(1100)));
}

#[test]
fn clock_going_backwards_counts_as_within_the_window() {
    let t0 = Instant::now() + SEC;
    let mut agg = Aggregator::new(SEC);
    let _ = offer(&mut agg, 1, t0, 0);
    assert!(offer(&mut agg, 1, t0 - ms(500), 1).is_empty());
    assert_eq!(
        agg.drain(),
        [Emit::Summary {
            key: 1,
            suppressed: 1,
            last: 1
        }]
    );
}

/// xorshift64*: deterministic, so a failure reproduces from the printed seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// Random offers, flushes and evictions: the records account for every offer exactly, and
/// without eviction no key gets two records within an interval.
#[test]
fn random_offers_are_all_accounted_for() {
    for seed in 1..=40u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let max_keys = if seed % 2 == 0 { 8 } else { 1_000 };
        let interval = ms(1 + rng.below(500));
        let mut agg = Aggregator::with_max_keys(interval, max_keys);
        let mut now = Instant::now();
        let mut offers = 0u64;
        let mut accounted = 0u64;
        let mut last_record: HashMap<u32, Instant> = HashMap::new();
        let mut note = |e: &Emit<u32, u64>, at: Instant, accounted: &mut u64| {
            *accounted += e.accounts_for();
            if max_keys == 1_000 {
                if let Some(prev) = last_record.insert(*e.key(), at) {
                    assert!(
                        at - prev >= interval,
                        "seed {seed}: key {} too soon",
                        e.key()
                    );
                }
            }
        };
        for step in 0..5_000u64 {
            now += Duration::from_micros(rng.below(20_000));
            if rng.below(10) == 0 {
                for e in agg.flush_due(now) {
                    note(&e, now, &mut accounted);
                }
            } else {
                offers += 1;
                let key = rng.below(40) as u32;
                for e in agg.offer(key, now, step) {
                    note(&e, now, &mut accounted);
                }
            }
            assert!(agg.len() <= max_keys);
        }
        for e in agg.drain() {
            accounted += e.accounts_for();
        }
        assert_eq!(accounted, offers, "seed {seed}");
    }
}

#[test]
fn a_record_and_its_repeats_are_the_events_it_stands_for() {
    let first: Emit<u32, u32> = Emit::First { key: 1, event: 0 };
    assert_eq!((first.accounts_for(), first.repeats()), (1, 0));
    let summary: Emit<u32, u32> = Emit::Summary {
        key: 1,
        suppressed: 5,
        last: 9,
    };
    // The summary describes the last of the five: four more besides it.
    assert_eq!((summary.accounts_for(), summary.repeats()), (5, 4));
    assert_eq!(1 + summary.repeats(), summary.accounts_for());
}

/// Issue 23: an event standing for refusals the kernel folded counts as all of them, whether
/// it starts a record, falls in a window or ends one.
#[test]
fn an_event_standing_for_folded_refusals_counts_as_all_of_them() {
    let t0 = Instant::now();
    let mut agg = Aggregator::new(SEC);
    let got: Vec<_> = agg.offer_n(7, t0, 0, 5).into_iter().collect();
    assert_eq!(
        got,
        [Emit::Summary {
            key: 7,
            suppressed: 5,
            last: 0
        }],
        "a record that starts with 5 stands for 5"
    );
    assert!(agg
        .offer_n(7, t0 + ms(500), 1, 3)
        .into_iter()
        .next()
        .is_none());
    let got: Vec<_> = agg.offer_n(7, t0 + SEC, 2, 2).into_iter().collect();
    assert_eq!(
        got[0].accounts_for(),
        5,
        "the window's 3 and this event's 2"
    );
    assert_eq!(agg.offer_n(8, t0, 9, 1).emit.unwrap().accounts_for(), 1);
    assert_eq!(
        agg.offer_n(9, t0, 9, 0).emit.unwrap().accounts_for(),
        1,
        "0 counts as the event itself"
    );
}

/// A process, its user, everyone: the keys the daemon folds refusals by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Who {
    Process(u32, u32),
    User(u32),
    All,
}

fn crowd_parent(k: &Who) -> Option<Who> {
    match k {
        Who::Process(uid, _) => Some(Who::User(*uid)),
        Who::User(_) => Some(Who::All),
        Who::All => None,
    }
}

fn accounted(records: &[Emit<Who, u32>]) -> u64 {
    records.iter().map(Emit::accounts_for).sum()
}

#[test]
fn a_crowd_of_processes_is_folded_by_its_user() {
    let t0 = Instant::now();
    let mut agg = Aggregator::with_crowds(SEC, DEFAULT_MAX_KEYS, 4, crowd_parent);
    let mut records = Vec::new();
    // 100 processes of one user, each refused once within the second.
    for pid in 0..100u32 {
        records.extend(agg.offer(Who::Process(1000, pid), t0 + ms(pid as u64), pid));
    }
    let firsts: Vec<_> = records.iter().map(|e| e.key().clone()).collect();
    let mut expected: Vec<Who> = (0..4).map(|pid| Who::Process(1000, pid)).collect();
    expected.push(Who::User(1000));
    assert_eq!(firsts, expected, "four processes, then the user");
    records.extend(agg.flush_due(t0 + SEC + ms(100)));
    assert_eq!(
        records.last(),
        Some(&Emit::Summary {
            key: Who::User(1000),
            suppressed: 95,
            last: 99
        })
    );
    assert_eq!(accounted(&records), 100);
    // Once its processes' windows end quiet, a new process has a record of its own again.
    records.extend(agg.flush_due(t0 + 3 * SEC));
    assert!(agg.is_empty(), "{} keys left", agg.len());
    assert_eq!(
        agg.offer(Who::Process(1000, 500), t0 + 4 * SEC, 500)
            .into_iter()
            .collect::<Vec<_>>(),
        [Emit::First {
            key: Who::Process(1000, 500),
            event: 500
        }]
    );
}

#[test]
fn crowds_of_processes_and_users_keep_the_records_bounded_and_the_counts_exact() {
    let t0 = Instant::now();
    let mut agg = Aggregator::with_crowds(SEC, DEFAULT_MAX_KEYS, 4, crowd_parent);
    let mut records = Vec::new();
    let mut offered = 0u64;
    // 20 users, each with 50 processes refused every 100 ms for 10 s, a 100 ms tick.
    for tick in 0..100u64 {
        let now = t0 + ms(100 * tick);
        for uid in 0..20u32 {
            for pid in 0..50u32 {
                records.extend(agg.offer(Who::Process(uid, pid), now, tick as u32));
                offered += 1;
            }
        }
        records.extend(agg.flush_due(now));
    }
    records.extend(agg.drain());
    assert_eq!(accounted(&records), offered, "every refusal accounted for");
    // Four users with four processes and the user each, and everyone else: 21 keys, one
    // record per key and second (the first at once), over 10 s.
    assert!(
        records.len() <= 21 * 11,
        "{} records for {offered} refusals",
        records.len()
    );
    assert!(records.iter().any(|e| *e.key() == Who::All));
}

#[test]
fn random_crowds_are_all_accounted_for_and_their_counts_come_back_to_nothing() {
    for seed in 1..=40u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let max_keys = if seed % 2 == 0 { 8 } else { 1_000 };
        let per_parent = 1 + rng.below(5) as usize;
        let mut agg =
            Aggregator::with_crowds(ms(1 + rng.below(500)), max_keys, per_parent, crowd_parent);
        let mut now = Instant::now();
        let (mut offers, mut accounted) = (0u64, 0u64);
        for step in 0..5_000u64 {
            now += Duration::from_micros(rng.below(20_000));
            if rng.below(10) == 0 {
                accounted += accounted_n(agg.flush_due(now));
            } else {
                offers += 1;
                let key = match rng.below(20) {
                    0 => Who::User(rng.below(6) as u32),
                    _ => Who::Process(rng.below(6) as u32, rng.below(30) as u32),
                };
                accounted += accounted_n(agg.offer(key, now, step as u32));
            }
            assert!(agg.len() <= max_keys);
            // Every count is of keys present: tracked, or with tracked keys below.
            let c = agg.crowds.as_ref().unwrap();
            for (parent, n) in &c.children {
                let below = agg
                    .windows
                    .keys()
                    .chain(c.children.keys())
                    .filter(|k| crowd_parent(k).as_ref() == Some(parent))
                    .collect::<std::collections::HashSet<_>>()
                    .len();
                assert_eq!(*n, below, "seed {seed} step {step}: {parent:?}");
                assert!(*n <= per_parent, "seed {seed}: {parent:?} has {n}");
            }
        }
        accounted += accounted_n(agg.flush_due(now + Duration::from_secs(2)));
        accounted += accounted_n(agg.flush_due(now + Duration::from_secs(4)));
        assert!(agg.is_empty(), "seed {seed}");
        assert!(
            agg.crowds.as_ref().unwrap().children.is_empty(),
            "seed {seed}"
        );
        assert_eq!(accounted, offers, "seed {seed}");
    }
}

fn accounted_n(records: impl IntoIterator<Item = Emit<Who, u32>>) -> u64 {
    records.into_iter().map(|e| e.accounts_for()).sum()
}
