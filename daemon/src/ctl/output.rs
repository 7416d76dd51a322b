//! Printing for people and for programs: local times, JSON, and the one-line form of a refusal.

use serde::Serialize;

use crate::dbus::ViolationEntry;

/// `2025-11-24 23:29:01 +0700` in the machine's time zone (UTC if it has none).
pub fn local_time(micros: u64) -> String {
    let secs = libc::time_t::try_from(micros / 1_000_000).unwrap_or(libc::time_t::MAX);
    // SAFETY: `tm` is plain data that localtime_r fills in; both pointers are valid for the call.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&secs, &mut tm).is_null() {
            return format!("@{secs}");
        }
        tm
    };
    let offset = tm.tm_gmtoff / 60;
    let sign = if offset < 0 { '-' } else { '+' };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        offset.abs() / 60,
        offset.abs() % 60
    )
}

/// Print `value` as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        // Only maps with non-string keys fail, and these types have none.
        Err(e) => unreachable!("serialising airgapctl output: {e}"),
    }
}

/// `#12  2025-11-24 23:30:00 +0700  denied connect 93.184.216.34:443 by curl[4242] uid=1000`
pub fn violation_line(v: &ViolationEntry) -> String {
    let mut line = format!("#{:<5} {}  {}", v.seq, local_time(v.time_us), v.text);
    if v.repeats > 0 {
        line.push_str(&format!(" (and {} more like it)", v.repeats));
    }
    line
}
