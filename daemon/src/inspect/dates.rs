//! The date formats the sources write, turned into microseconds since the Unix epoch. Written
//! here rather than pulled from a date crate: four small formats, all in UTC or with an
//! explicit offset, except apt's history (the inspected machine's local time, read in the
//! inspecting machine's zone, which docs/inspection.md states).

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The years a date may name: before 1970 is before the epoch; after 9999 no log writes, and
/// the microseconds of a larger year need not fit in 64 bits (the files read here are the
/// inspected PC's users', so any number can be in them).
const YEARS: std::ops::RangeInclusive<i64> = 1970..=9999;

/// Seconds since the epoch in microseconds; None when that does not fit in 64 bits.
pub fn secs_us(secs: u64) -> Option<u64> {
    secs.checked_mul(1_000_000)
}

/// Whether a year, month and day can be a date here (the day not checked against its month).
fn plausible(year: i64, month: i64, day: i64) -> bool {
    YEARS.contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// UTC date and time to microseconds; None before 1970 or out of range.
pub fn utc_us(year: i64, month: u32, day: u32, hour: u32, min: u32, sec: u32) -> Option<u64> {
    if !plausible(year, month.into(), day.into()) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(min) * 60
        + i64::from(sec);
    u64::try_from(secs).ok().and_then(secs_us)
}

fn hms(text: &str) -> Option<(u32, u32, u32)> {
    let mut it = text.split(':').map(|p| p.parse::<u32>().ok());
    Some((it.next()??, it.next()??, it.next().flatten().unwrap_or(0)))
}

/// `2023/11/14 22:13:20` (dhclient leases, UTC) or `2023-11-14 22:13:20`.
pub fn ymd_hms_utc(date: &str, time: &str) -> Option<u64> {
    let mut d = date.split(['/', '-']).map(|p| p.parse::<i64>().ok());
    let (y, m, dd) = (d.next()??, d.next()??, d.next()??);
    let (h, mi, s) = hms(time)?;
    utc_us(y, u32::try_from(m).ok()?, u32::try_from(dd).ok()?, h, mi, s)
}

/// `Sat, 14 Oct 2023 09:31:43 UTC` or `... +0700` (apt's `InRelease` `Date:`, RFC 2822).
pub fn rfc2822(text: &str) -> Option<u64> {
    let text = text.split_once(',').map_or(text, |(_, rest)| rest).trim();
    let mut parts = text.split_whitespace();
    let day: u32 = parts.next()?.parse().ok()?;
    let month = month_number(parts.next()?)?;
    let year: i64 = parts.next()?.parse().ok()?;
    let (h, mi, s) = hms(parts.next()?)?;
    let zone = parts.next().unwrap_or("UTC");
    let offset_secs: i64 = match zone {
        "UTC" | "GMT" | "Z" => 0,
        z if z.len() == 5 && (z.starts_with('+') || z.starts_with('-')) => {
            let n: i64 = z[1..].parse().ok()?;
            let secs = (n / 100) * 3600 + (n % 100) * 60;
            if z.starts_with('-') {
                -secs
            } else {
                secs
            }
        }
        _ => 0,
    };
    let utc = i64::try_from(utc_us(year, month, day, h, mi, s)? / 1_000_000).ok()?;
    u64::try_from(utc.checked_sub(offset_secs)?)
        .ok()
        .and_then(secs_us)
}

fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = name.get(..3)?.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| *m == lower)
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// `2023-11-14  22:13:20` in the local time zone of this machine (apt's history.log).
pub fn local_ymd_hms(date: &str, time: &str) -> Option<u64> {
    let mut d = date.split('-').map(|p| p.parse::<i32>().ok());
    let (y, m, dd) = (d.next()??, d.next()??, d.next()??);
    if !plausible(y.into(), m.into(), dd.into()) {
        return None;
    }
    let (h, mi, s) = hms(time)?;
    // SAFETY: `tm` is plain data; mktime reads and normalises it.
    let secs = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        tm.tm_year = y - 1900;
        tm.tm_mon = m - 1;
        tm.tm_mday = dd;
        tm.tm_hour = i32::try_from(h).ok()?;
        tm.tm_min = i32::try_from(mi).ok()?;
        tm.tm_sec = i32::try_from(s).ok()?;
        tm.tm_isdst = -1;
        libc::mktime(&mut tm)
    };
    u64::try_from(secs).ok().and_then(secs_us)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(
            ymd_hms_utc("2023/11/14", "22:13:20"),
            Some(1_700_000_000_000_000)
        );
        assert_eq!(
            rfc2822("Tue, 14 Nov 2023 22:13:20 UTC"),
            Some(1_700_000_000_000_000)
        );
        assert_eq!(
            rfc2822("Wed, 15 Nov 2023 05:13:20 +0700"),
            Some(1_700_000_000_000_000)
        );
        assert_eq!(utc_us(1970, 1, 1, 0, 0, 0), Some(0));
        assert_eq!(utc_us(1969, 12, 31, 0, 0, 0), None);
    }

    /// The inspected PC's users write these files: a number too large for a date is no date,
    /// never an overflow (a panic in debug builds, a wrapped and so wrong date in release
    /// builds). The first was found by the `inspect` fuzz target in a NetworkManager
    /// `timestamps` file (fuzz/regressions/inspect/nm-timestamp-seconds-overflow).
    #[test]
    fn fuzz_numbers_too_large_for_a_date_are_no_date() {
        assert_eq!(
            secs_us(u64::MAX / 1_000_000),
            Some(u64::MAX / 1_000_000 * 1_000_000)
        );
        assert_eq!(secs_us(u64::MAX / 1_000_000 + 1), None);
        assert_eq!(
            ymd_hms_utc("9999/12/31", "23:59:59"),
            Some(253_402_300_799_000_000)
        );
        assert_eq!(ymd_hms_utc("10000/1/1", "00:00:00"), None);
        assert_eq!(ymd_hms_utc("9223372036854775807/1/1", "00:00:00"), None);
        assert_eq!(ymd_hms_utc("-9223372036854775808/3/1", "00:00:00"), None);
        assert_eq!(rfc2822("Sat, 1 Jan 9223372036854775807 00:00:00 UTC"), None);
        assert_eq!(rfc2822("Thu, 1 Jan 1970 00:00:00 +0100"), None);
        assert_eq!(local_ymd_hms("-2147483648-1-1", "00:00:00"), None);
        assert_eq!(local_ymd_hms("2023--2147483648-1", "00:00:00"), None);
        assert_eq!(local_ymd_hms("2147483647-1-1", "00:00:00"), None);
    }
}
