//! Folding: a storm of refusals becomes one notice per thing refused, updated at most once per
//! quiet interval, and no more than a few new notices per interval in all. Pure over the times
//! it is given, so the rules are unit-tested.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// At most this many new notices per quiet interval; further refusals of other things fold
/// into one notice under [`OTHERS`].
pub const MAX_NEW: usize = 3;
/// The key that collects refusals beyond [`MAX_NEW`].
pub const OTHERS: &str = "others";

/// What the notifier must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<C> {
    /// Show (or, when `replaces` is not 0, update) the notice of `key`: `content`, refused
    /// `count` times so far.
    Show {
        /// The thing refused.
        key: String,
        /// The notification to replace, 0 for a new one.
        replaces: u32,
        /// What to say.
        content: C,
        /// Refusals folded into it so far.
        count: u64,
    },
    /// Close notification `id`.
    Close {
        /// The server's notification id.
        id: u32,
    },
}

#[derive(Debug)]
struct Notice<C> {
    /// The server's id; 0 until shown, or after the reader closed it.
    id: u32,
    count: u64,
    shown_count: u64,
    last_shown: Instant,
    content: C,
}

/// The notices open or recently shown, by key.
#[derive(Debug)]
pub struct Folder<C> {
    quiet: Duration,
    notices: HashMap<String, Notice<C>>,
    recent_new: VecDeque<Instant>,
}

impl<C: Clone> Folder<C> {
    /// A folder that updates a notice at most once per `quiet`.
    pub fn new(quiet: Duration) -> Folder<C> {
        Folder {
            quiet,
            notices: HashMap::new(),
            recent_new: VecDeque::new(),
        }
    }

    /// A refusal of `key` at `now`; `others` is what to say when it folds into [`OTHERS`].
    pub fn refused(&mut self, key: &str, content: C, others: C, now: Instant) -> Option<Action<C>> {
        while self
            .recent_new
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.quiet)
        {
            self.recent_new.pop_front();
        }
        let (key, content) = if self.notices.contains_key(key) || self.recent_new.len() < MAX_NEW {
            (key, content)
        } else {
            (OTHERS, others)
        };
        let quiet = self.quiet;
        match self.notices.get_mut(key) {
            Some(n) => {
                n.count += 1;
                n.content = content;
                if now.duration_since(n.last_shown) < quiet {
                    return None;
                }
                n.shown_count = n.count;
                n.last_shown = now;
                Some(Action::Show {
                    key: key.to_string(),
                    replaces: n.id,
                    content: n.content.clone(),
                    count: n.count,
                })
            }
            None => {
                self.recent_new.push_back(now);
                self.notices.insert(
                    key.to_string(),
                    Notice {
                        id: 0,
                        count: 1,
                        shown_count: 1,
                        last_shown: now,
                        content: content.clone(),
                    },
                );
                Some(Action::Show {
                    key: key.to_string(),
                    replaces: 0,
                    content,
                    count: 1,
                })
            }
        }
    }

    /// The server gave notice `key` the id `id`.
    pub fn shown(&mut self, key: &str, id: u32) {
        if let Some(n) = self.notices.get_mut(key) {
            n.id = id;
        }
    }

    /// Refusals folded since a notice was last shown, once its quiet interval is over.
    pub fn tick(&mut self, now: Instant) -> Vec<Action<C>> {
        let mut out = Vec::new();
        for (key, n) in &mut self.notices {
            if n.count > n.shown_count && now.duration_since(n.last_shown) >= self.quiet {
                n.shown_count = n.count;
                n.last_shown = now;
                out.push(Action::Show {
                    key: key.clone(),
                    replaces: n.id,
                    content: n.content.clone(),
                    count: n.count,
                });
            }
        }
        out
    }

    /// The thing `key` left (a device unplugged): close its notice and forget it.
    pub fn gone(&mut self, key: &str) -> Option<Action<C>> {
        let n = self.notices.remove(key)?;
        (n.id != 0).then_some(Action::Close { id: n.id })
    }

    /// The server closed notification `id` (expired, or the reader dismissed it): the next
    /// refusal of that thing after the quiet interval shows a new notice.
    pub fn closed(&mut self, id: u32) {
        for n in self.notices.values_mut().filter(|n| n.id == id) {
            n.id = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUIET: Duration = Duration::from_secs(5);

    fn shows<C>(a: &Option<Action<C>>) -> bool {
        matches!(a, Some(Action::Show { .. }))
    }

    #[test]
    fn a_storm_of_one_thing_is_one_notice_updated_once_per_interval() {
        let t0 = Instant::now();
        let mut f = Folder::new(QUIET);
        assert!(shows(&f.refused("sdb", "x", "o", t0)));
        f.shown("sdb", 7);
        let mut updates = 0;
        for i in 1..1000u64 {
            let now = t0 + Duration::from_millis(i);
            updates += usize::from(f.refused("sdb", "x", "o", now).is_some());
        }
        assert_eq!(updates, 0, "no update inside the quiet interval");
        let later = f.tick(t0 + QUIET);
        assert_eq!(
            later,
            vec![Action::Show {
                key: "sdb".into(),
                replaces: 7,
                content: "x",
                count: 1000
            }]
        );
        assert!(f.tick(t0 + QUIET * 2).is_empty(), "nothing new to say");
    }

    #[test]
    fn many_different_things_fold_into_one_more_notice() {
        let t0 = Instant::now();
        let mut f = Folder::new(QUIET);
        let mut new = 0;
        for i in 0..1000 {
            let key = format!("dev{i}");
            if let Some(Action::Show { replaces: 0, .. }) = f.refused(&key, "x", "o", t0) {
                new += 1;
            }
        }
        assert_eq!(new, MAX_NEW + 1, "{MAX_NEW} notices and one for the others");
    }

    #[test]
    fn a_device_that_leaves_closes_its_notice() {
        let t0 = Instant::now();
        let mut f = Folder::new(QUIET);
        f.refused("sdb", "x", "o", t0);
        f.shown("sdb", 9);
        assert_eq!(f.gone("sdb"), Some(Action::Close { id: 9 }));
        assert_eq!(f.gone("sdb"), None);
        assert!(shows(&f.refused("sdb", "x", "o", t0)), "plugged in again");
    }

    #[test]
    fn a_dismissed_notice_comes_back_only_after_the_interval() {
        let t0 = Instant::now();
        let mut f = Folder::new(QUIET);
        f.refused("net", "x", "o", t0);
        f.shown("net", 3);
        f.closed(3);
        assert_eq!(f.refused("net", "x", "o", t0 + QUIET / 2), None);
        match f.refused("net", "x", "o", t0 + QUIET) {
            Some(Action::Show { replaces: 0, .. }) => {}
            other => panic!("{other:?}"),
        }
    }
}
