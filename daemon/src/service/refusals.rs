//! Refusals: folded into records, kept for `airgapctl violations`, announced on D-Bus; and the
//! periodic work (tampering, lost counts, the history file, probe deadlines).

use super::*;

/// The longest a refusal waits for its medium's decision (the probe deadline is 5 s).
const DEFERRED_AT_MOST: Duration = Duration::from_secs(15);

/// Whose refusals a record counts: one process's; past [`CROWD`] processes of a user refused
/// the same way at once, the others' together; past [`CROWD`] such users, everyone else's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Source {
    Process { pid: u32, uid: u32 },
    User(u32),
    Everyone,
}

impl Source {
    /// `AIRGAP_FOLDED_BY` of a record counting a crowd; `None` for one process's.
    fn folded_by(self) -> Option<&'static str> {
        match self {
            Source::Process { .. } => None,
            Source::User(_) => Some("user"),
            Source::Everyone => Some("everyone"),
        }
    }
}

/// What the records of refusals are folded by: whose, and what kind.
pub(super) type StormKey = (Source, Kind);

/// Processes of one user, and users, with records of their own at once, per kind. A user's
/// process that is refused once and ends made a record each, and a user may start thousands a
/// second (bash's `( exec 3<>/dev/tcp/... ) &` in a loop): the journal took them all, and its
/// own rate limit (10 000 per 30 s and service, scaled by the free space) then dropped every
/// record of the daemon's, a phone's refusal with the rest.
pub(super) const CROWD: usize = 16;

/// The key a refusal is folded under, before crowds (`storm::Aggregator::with_crowds`).
fn key_of(v: &Violation) -> StormKey {
    (
        Source::Process {
            pid: v.pid,
            uid: v.uid,
        },
        v.kind,
    )
}

/// The English catalog, for the words of crowd records.
fn english() -> &'static crate::i18n::Catalog {
    static EN: std::sync::OnceLock<crate::i18n::Catalog> = std::sync::OnceLock::new();
    EN.get_or_init(|| crate::i18n::Catalog::new(crate::i18n::Lang::En, None))
}

/// The larger key of a crowd.
pub(super) fn crowd_of(&(source, kind): &StormKey) -> Option<StormKey> {
    match source {
        Source::Process { uid, .. } => Some((Source::User(uid), kind)),
        Source::User(_) => Some((Source::Everyone, kind)),
        Source::Everyone => None,
    }
}

impl Service {
    /// A refusal from the ring buffer (or the exec watcher): recorded with what the kernel
    /// folded into it.
    pub(super) fn offer(&mut self, v: Violation) {
        let n = self.weight(&v);
        self.offer_n(v, n);
    }

    /// A refusal standing for `n` (itself and `n - 1` the kernel folded).
    pub(super) fn offer_n(&mut self, mut v: Violation, n: u64) {
        // bpf.guard: the object by the name the daemon knows it by.
        if let (Some((action, id)), Some(g)) = (v.guard, &self.bpf_guard) {
            v.object = Some(g.name(action, id));
        }
        // Issue 17: udev, udisks and blkid read a medium as it arrives, while the daemon is
        // still identifying it. Such a refusal waits for the decision: the medium refused, it
        // is a violation like any other; approved, it was the system's own probing of an
        // approved medium, logged as such and not counted as a violation.
        if let Some(dev) = v.device.filter(|_| v.kind == Kind::DevBlock) {
            if self.media.judging(&self.plan, dev) {
                self.deferred.push((Instant::now(), v, n));
                return;
            }
            let before_grant = self
                .media
                .granted_at(dev)
                .is_some_and(|at| v.boot_ns.is_some_and(|t| t <= at));
            if before_grant {
                tracing::info!(
                    device = %format!("{}:{}", dev.0, dev.1),
                    pid = v.pid,
                    uid = v.uid,
                    comm = %v.comm,
                    refusals = n,
                    "refused while the medium was still being identified, before its grant (the system probing an approved medium): not a violation"
                );
                return;
            }
        }
        for emit in self.storm.offer_n(key_of(&v), Instant::now(), v, n) {
            self.record(emit);
        }
    }

    /// Refusals that waited for their medium's decision: judged again now; one waiting longer
    /// than [`DEFERRED_AT_MOST`] is recorded as it is.
    pub(super) fn release_deferred(&mut self) {
        if self.deferred.is_empty() {
            return;
        }
        let now = Instant::now();
        for (since, v, n) in std::mem::take(&mut self.deferred) {
            let dev = v.device.expect("deferred refusals name a device");
            if self.media.judging(&self.plan, dev) && now.duration_since(since) < DEFERRED_AT_MOST {
                self.deferred.push((since, v, n));
            } else if self.media.judging(&self.plan, dev) {
                for emit in self.storm.offer_n(key_of(&v), now, v, n) {
                    self.record(emit);
                }
            } else {
                self.offer_n(v, n);
            }
        }
    }

    pub(super) fn record(&mut self, emit: Emit<StormKey, Violation>) {
        let repeats = emit.repeats();
        let (source, _) = *emit.key();
        let v = match emit {
            Emit::First { event, .. } => event,
            Emit::Summary { last, .. } => last,
        };
        let sha = self.state.read().expect("state lock").policy.sha256.clone();
        let known = v
            .device
            .filter(|_| v.kind == Kind::DevBlock)
            .and_then(|d| self.media.identity(d));
        let mut record = records::violation(&v, repeats, &sha, known);
        if let Some(by) = source.folded_by() {
            record = record.field(field::FOLDED_BY, by);
            if let Some(words) = crate::journal::vietnamese::folded_by(english(), &record) {
                record.message.push_str(". ");
                record.message.push_str(&words);
            }
        }
        send(&self.sink, record);
        self.keep(v, repeats);
    }

    /// Keep a violation for `airgapctl violations` and announce it on D-Bus (its journal
    /// record is written already).
    pub(super) fn keep(&mut self, v: Violation, repeats: u64) {
        self.day.refusal(v.kind.name(), 1 + repeats); // issue 19: the day's summary
                                                      // Named from the daemon's own table of block devices, as judged when they came: the
                                                      // kernel's event carries only the number (issue 18).
        let device_name = v
            .device
            .filter(|_| matches!(v.kind, Kind::DevBlock | Kind::DevReadOnly))
            .and_then(|d| self.media.device_name(d))
            .unwrap_or_default();
        let seq = self
            .state
            .write()
            .expect("state lock")
            .push_violation_named(v.clone(), repeats, device_name.clone());
        self.history_dirty = true;
        let record = ViolationRecord {
            seq,
            violation: v,
            repeats,
            device_name,
        };
        self.signal(move |s| async move { s.violation(&record).await });
    }

    /// Issue 14: find and repair tampering, and keep the enforcement record current.
    pub(super) fn guard_tick(&mut self) {
        let found = self.guard.check(&mut self.enforcer);
        if let Some(g) = &mut self.bpf_guard {
            g.sync(&self.enforcer);
        }
        for t in &found {
            send(&self.sink, t.record());
            self.machine.send(super::start::tamper_entry(t));
        }
        self.judge_wire();
        let snapshot = {
            let state = self.state.read().expect("state lock");
            crate::tamper::Snapshot::take(&mut self.enforcer, &self.scope, &state)
        };
        self.guard.publish(snapshot, &found);
    }

    /// Write the history file (issue 15); a failure is said, never fatal.
    pub(super) fn save_history(&mut self) {
        let stored = {
            let state = self.state.read().expect("state lock");
            history::snapshot(
                &state.violations_after(0, usize::MAX),
                state.next_seq(),
                &self.present,
                &self.departed,
            )
        };
        match history::save(&self.opts.history, &stored) {
            Ok(()) => {
                self.history_dirty = false;
                self.history_saved = Instant::now();
            }
            Err(e) => {
                tracing::error!(path = %self.opts.history.display(), error = %e, "could not write the history file")
            }
        }
    }

    pub(super) fn housekeeping(&mut self) {
        self.guard_tick(); // issue 14
        if let Some(summary) = self.day.roll(crate::pinned::record::now_us()) {
            self.machine.send(summary); // issue 19: the day that ended
        }
        if self.history_dirty && self.history_saved.elapsed() >= HISTORY_EVERY {
            self.save_history();
        }
        let mut cx = media::Ctx {
            enforcer: &mut self.enforcer,
            sink: &self.sink,
            policy: &self.policy,
            plan: &self.plan,
        };
        self.media.watch_read_only(&mut cx); // issue 17
        if self.media.deadlines(&mut cx, Instant::now()) {
            self.sync_media_files();
            self.publish_devices();
        }
        self.release_deferred(); // issue 17

        // Issue 23: the counters are read before the fold sweep (see sweep_folds); when they
        // cannot be read, the sweep waits for a tick that can.
        let counts = self.enforcer.counters().all();
        if let Ok(counts) = &counts {
            self.sweep_folds(counts); // issue 23
        }
        for emit in self.storm.flush_due(Instant::now()) {
            self.record(emit);
        }
        let Ok(counts) = counts else {
            return;
        };
        for (kind, count) in &counts {
            // Folded refusals no record accounts for are lost to the records as well.
            let lost = count.lost + self.folds.unattributed(*kind, count);
            let seen = self
                .lost_seen
                .iter()
                .find(|(k, _)| k == kind)
                .map_or(0, |(_, n)| *n);
            if lost > seen {
                send(&self.sink, records::events_lost(*kind, *count, lost - seen));
                self.lost_seen.retain(|(k, _)| k != kind);
                self.lost_seen.push((*kind, lost));
            }
        }
        self.state.write().expect("state lock").counts = counts;
    }
}
