//! Dates and times in the reader's convention (2026-11-24 in English, 24/11/2026 in
//! Vietnamese): the order is the catalog's `datetime` and `date` messages, so a translator
//! sets it, not the code.

use super::{Args, Catalog};

/// A moment in the machine's time zone, each part ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Local {
    /// Four digits.
    pub year: String,
    /// Two digits each.
    pub month: String,
    /// See `month`.
    pub day: String,
    /// See `month`.
    pub hour: String,
    /// See `month`.
    pub minute: String,
    /// See `month`.
    pub second: String,
    /// `+0700`.
    pub zone: String,
}

impl Local {
    /// `micros` since the Unix epoch in the machine's time zone (UTC if it has none).
    pub fn new(micros: u64) -> Option<Local> {
        let secs = libc::time_t::try_from(micros / 1_000_000).ok()?;
        // SAFETY: `tm` is plain data that localtime_r fills in; both pointers are valid.
        let tm = unsafe {
            let mut tm: libc::tm = std::mem::zeroed();
            if libc::localtime_r(&secs, &mut tm).is_null() {
                return None;
            }
            tm
        };
        Some(Local::from_tm(&tm, tm.tm_gmtoff / 60))
    }

    /// `micros` at `offset_s` seconds east of UTC, whatever the machine's zone: a signed
    /// report is rendered again on another machine and must read the same there.
    pub fn at_offset(micros: u64, offset_s: i32) -> Option<Local> {
        let secs = i64::try_from(micros / 1_000_000).ok()? + i64::from(offset_s);
        let secs = libc::time_t::try_from(secs).ok()?;
        // SAFETY: as in `new`, with gmtime_r.
        let tm = unsafe {
            let mut tm: libc::tm = std::mem::zeroed();
            if libc::gmtime_r(&secs, &mut tm).is_null() {
                return None;
            }
            tm
        };
        Some(Local::from_tm(&tm, libc::c_long::from(offset_s / 60)))
    }

    fn from_tm(tm: &libc::tm, offset: libc::c_long) -> Local {
        let sign = if offset < 0 { '-' } else { '+' };
        let two = |n: i32| format!("{n:02}");
        Local {
            year: format!("{:04}", tm.tm_year + 1900),
            month: two(tm.tm_mon + 1),
            day: two(tm.tm_mday),
            hour: two(tm.tm_hour),
            minute: two(tm.tm_min),
            second: two(tm.tm_sec),
            zone: format!("{sign}{:02}{:02}", offset.abs() / 60, offset.abs() % 60),
        }
    }

    fn args(&self) -> Args {
        let mut a = Args::new();
        a.set("year", &self.year);
        a.set("month", &self.month);
        a.set("day", &self.day);
        a.set("hour", &self.hour);
        a.set("minute", &self.minute);
        a.set("second", &self.second);
        a.set("zone", &self.zone);
        a
    }
}

/// Date, time and zone: `24/11/2026 23:29:01 +0700` in Vietnamese.
pub fn date_time(catalog: &Catalog, micros: u64) -> String {
    match Local::new(micros) {
        Some(l) => catalog.text("datetime", Some(&l.args())),
        None => format!("@{}", micros / 1_000_000),
    }
}

/// The date alone: `24/11/2026` in Vietnamese.
pub fn date(catalog: &Catalog, micros: u64) -> String {
    match Local::new(micros) {
        Some(l) => catalog.text("date", Some(&l.args())),
        None => format!("@{}", micros / 1_000_000),
    }
}

/// The machine's offset from UTC at `micros`, in seconds (0 when it has no zone).
pub fn utc_offset_s(micros: u64) -> i32 {
    let Ok(secs) = libc::time_t::try_from(micros / 1_000_000) else {
        return 0;
    };
    // SAFETY: as in `Local::new`.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&secs, &mut tm).is_null() {
            return 0;
        }
        i32::try_from(tm.tm_gmtoff).unwrap_or(0)
    }
}

/// [`date_time`] at a fixed offset from UTC ([`Local::at_offset`]).
pub fn date_time_at(catalog: &Catalog, micros: u64, offset_s: i32) -> String {
    match Local::at_offset(micros, offset_s) {
        Some(l) => catalog.text("datetime", Some(&l.args())),
        None => format!("@{}", micros / 1_000_000),
    }
}

/// [`date`] at a fixed offset from UTC ([`Local::at_offset`]).
pub fn date_at(catalog: &Catalog, micros: u64, offset_s: i32) -> String {
    match Local::at_offset(micros, offset_s) {
        Some(l) => catalog.text("date", Some(&l.args())),
        None => format!("@{}", micros / 1_000_000),
    }
}
