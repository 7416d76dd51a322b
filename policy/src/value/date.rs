//! Calendar dates (`meta.issued`), checked by hand: a policy needs no time zones or clocks.

use std::fmt;
use std::str::FromStr;

use crate::error::ValueError;

const EXPECTED: &str = r#"a real date written YYYY-MM-DD, e.g. "2026-11-24""#;

/// A proleptic Gregorian date between years 1 and 9999. Orders chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, if it exists.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Date, ValueError> {
        let valid = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day);
        if !valid {
            return Err(ValueError::new(
                format!("{year:04}-{month:02}-{day:02} is not a date"),
                EXPECTED,
            ));
        }
        Ok(Date { year, month, day })
    }

    /// The year, 1..=9999.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1..=12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(&self) -> u8 {
        self.day
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

impl FromStr for Date {
    type Err = ValueError;

    fn from_str(text: &str) -> Result<Date, ValueError> {
        let not_date = || ValueError::new(format!("{text:?} is not a date"), EXPECTED);
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shape_ok {
            return Err(not_date());
        }
        let year = text[0..4].parse().map_err(|_| not_date())?;
        let month = text[5..7].parse().map_err(|_| not_date())?;
        let day = text[8..10].parse().map_err(|_| not_date())?;
        Date::new(year, month, day).map_err(|_| not_date())
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_dates_parse_and_print() {
        let date: Date = "2026-11-24".parse().unwrap();
        assert_eq!((date.year(), date.month(), date.day()), (2026, 11, 24));
        assert_eq!(date.to_string(), "2026-11-24");
        assert!("2024-02-29".parse::<Date>().is_ok());
        assert!("2000-02-29".parse::<Date>().is_ok());
        assert!("2026-12-31".parse::<Date>().is_ok());
        assert!("2026-01-01".parse::<Date>().unwrap() < date);
    }

    #[test]
    fn impossible_dates_are_refused() {
        for bad in [
            "2026-02-29",
            "1900-02-29",
            "2026-04-31",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "0000-01-01",
            "2026-1-01",
            "26-11-24",
            "2026/11/24",
            "2026-11-24T00:00:00",
            "+026-11-24",
            "",
        ] {
            let err = bad.parse::<Date>().unwrap_err();
            assert_eq!(err.problem, format!("{bad:?} is not a date"));
        }
    }
}
