//! The per-day summary: refusals by kind and device decisions, counted by the daemon and
//! written as one `summary` line when the UTC day changes and at stop (so a day with restarts
//! has several summaries, which add up). The journal keeps every refusal in detail; the
//! summary keeps the day's totals in the chained record, where deleting journal files does
//! not take them away.

use std::collections::BTreeMap;

use super::Entry;

/// Counts of the current day.
#[derive(Debug, Default)]
pub struct Day {
    day: String,
    refusals: BTreeMap<String, u64>,
    devices: BTreeMap<String, u64>,
}

/// `YYYY-MM-DD` (UTC) of `time_us` microseconds since the epoch.
pub fn utc_day(time_us: u64) -> String {
    // Days to civil date (proleptic Gregorian), after Howard Hinnant's `civil_from_days`.
    let z = (time_us / 86_400_000_000) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

impl Day {
    /// `n` refusals of `kind` now.
    pub fn refusal(&mut self, kind: &str, n: u64) {
        *self.refusals.entry(kind.to_string()).or_default() += n;
    }

    /// One device decision (`allowed`, `refused`, ...) now.
    pub fn device(&mut self, decision: &str) {
        *self.devices.entry(decision.to_string()).or_default() += 1;
    }

    /// At `now_us`: the summary of the day that ended, if it did and counted anything.
    pub fn roll(&mut self, now_us: u64) -> Option<Entry> {
        let today = utc_day(now_us);
        if self.day.is_empty() {
            self.day = today;
            return None;
        }
        if self.day == today {
            return None;
        }
        let out = self.flush();
        self.day = today;
        out
    }

    /// The summary so far (at stop), if anything was counted; counting starts again.
    pub fn flush(&mut self) -> Option<Entry> {
        if self.refusals.is_empty() && self.devices.is_empty() {
            return None;
        }
        let day = if self.day.is_empty() {
            utc_day(crate::pinned::record::now_us())
        } else {
            self.day.clone()
        };
        Some(Entry {
            day: Some(day),
            refusals: Some(std::mem::take(&mut self.refusals)),
            devices: Some(std::mem::take(&mut self.devices)),
            ..Entry::now("summary")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_calendar_days() {
        assert_eq!(utc_day(0), "1970-01-01");
        // 2023-11-14 22:13:20 UTC.
        assert_eq!(utc_day(1_700_000_000_000_000), "2023-11-14");
        // 2024-02-29 00:00:00 UTC, a leap day.
        assert_eq!(utc_day(1_709_164_800_000_000), "2024-02-29");
    }

    #[test]
    fn a_day_is_summarised_when_it_ends_and_at_stop() {
        let mut d = Day::default();
        let t = 1_700_000_000_000_000;
        assert!(d.roll(t).is_none());
        d.refusal("net.create", 3);
        d.device("refused");
        assert!(d.roll(t + 1_000_000).is_none(), "same day");
        let s = d.roll(t + 86_400_000_000).unwrap();
        assert_eq!(s.event, "summary");
        assert_eq!(s.day.as_deref(), Some("2023-11-14"));
        assert_eq!(s.refusals.unwrap()["net.create"], 3);
        assert_eq!(s.devices.unwrap()["refused"], 1);
        assert!(d.flush().is_none(), "nothing counted since");
    }
}
