//! From the raw policy to the validated one: every rule of the policy lives here.
//!
//! Checks do not stop at the first problem: each section is checked in full and every problem
//! recorded, so one run shows an officer everything to fix. Where a value is wrong a
//! placeholder stands in for it; the result is only returned when no error was recorded.

mod devices;
mod media;
mod network;
mod usb;

use std::ops::{Range, RangeInclusive};
use std::time::Duration;

use toml::Spanned;

use crate::error::{FieldError, PolicyError, ValueError};
use crate::model::{Checked, Exec, Logging, Meta, Policy};
use crate::raw::{Field, RawExec, RawLogging, RawMeta, RawPolicy};
use crate::source::{Locator, Source};
use crate::value::Date;
use crate::warning::{Warning, WarningKind};

/// Checks a raw policy; `source` is attached to the result.
pub(crate) fn check(
    raw: &RawPolicy,
    locator: &Locator<'_>,
    source: Source,
) -> Result<Checked, PolicyError> {
    let mut c = Checker {
        locator,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let policy = Policy {
        meta: meta(&mut c, &raw.meta),
        network: network::check(&mut c, &raw.network),
        devices: devices::check(&mut c, &raw.devices),
        media: media::check(&mut c, &raw.media),
        usb: usb::check_usb(&mut c, &raw.usb),
        capture: usb::check_capture(&mut c, &raw.capture),
        logging: logging(&mut c, &raw.logging),
        exec: exec(&mut c, &raw.exec),
        source,
    };
    let Checker {
        mut errors,
        mut warnings,
        ..
    } = c;
    // Sections are checked in a fixed order, not the file's; sort so messages read top down.
    errors.sort_by(|a, b| a.location.cmp(&b.location));
    warnings.sort_by(|a, b| a.location.cmp(&b.location));
    if errors.is_empty() {
        Ok(Checked { policy, warnings })
    } else {
        Err(PolicyError::Invalid { errors })
    }
}

fn meta(c: &mut Checker<'_>, raw: &RawMeta) -> Meta {
    let id = raw.id.as_ref().and_then(|id| {
        let valid = (1..=128).contains(&id.get_ref().chars().count())
            && id
                .get_ref()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !valid {
            c.error(
                id.span(),
                "meta.id",
                format!("{:?} is not a policy id", id.get_ref()),
                "1 to 128 characters from A-Z, a-z, 0-9, '.', '_' and '-'",
            );
        }
        valid.then(|| id.get_ref().clone())
    });
    let issued = raw.issued.as_ref().and_then(|issued| {
        let parsed = match issued.get_ref() {
            toml::Value::String(text) => text.parse::<Date>(),
            // A bare TOML date (issued = 2026-11-24) is what many will write; accept it, but
            // not a date-time, which would suggest a precision the field does not have.
            toml::Value::Datetime(dt) => match (dt.date, dt.time) {
                (Some(d), None) => Date::new(d.year, d.month, d.day),
                _ => Err(ValueError::new(
                    format!("{dt} has a time of day"),
                    r#"a date without time, e.g. "2026-11-24""#,
                )),
            },
            other => Err(ValueError::new(
                format!("{other} is not a date"),
                r#"a date written YYYY-MM-DD, e.g. "2026-11-24""#,
            )),
        };
        parsed
            .map_err(|e| c.value_error(issued.span(), "meta.issued", e))
            .ok()
    });
    Meta {
        id,
        serial: raw
            .serial
            .as_ref()
            .and_then(|s| c.int("meta.serial", s, 0..=i64::MAX))
            .unwrap_or(0),
        issuer: c.text("meta.issuer", raw.issuer.as_ref(), 256, Lines::One),
        issued,
        note: c.text("meta.note", raw.note.as_ref(), 4096, Lines::Many),
    }
}

fn exec(c: &mut Checker<'_>, raw: &RawExec) -> Exec {
    let allowed = raw.unprivileged_user_namespaces.as_ref();
    if let Some(on) = allowed.filter(|b| *b.get_ref()) {
        c.warn(
            on.span(),
            "exec.unprivileged_user_namespaces",
            WarningKind::UserNamespacesAllowed,
            "any user may make a user namespace: on kernels without BPF LSM that lets them run \
             programs from removable media between opening and mapping them; keep it only if \
             rootless containers, Flatpak or browser sandboxes are needed on this PC",
        );
    }
    Exec {
        unprivileged_user_namespaces: allowed.is_some_and(|b| *b.get_ref()),
    }
}

fn logging(c: &mut Checker<'_>, raw: &RawLogging) -> Logging {
    let storm_ms: u64 = raw
        .storm_interval_ms
        .as_ref()
        .and_then(|ms| c.int("logging.storm_interval_ms", ms, 100..=60_000))
        .unwrap_or(1000);
    Logging {
        storm_interval: Duration::from_millis(storm_ms),
        recent_violations: raw
            .recent_violations
            .as_ref()
            .and_then(|n| c.int("logging.recent_violations", n, 10..=100_000))
            .unwrap_or(1000),
    }
}

/// Whether free text may span lines.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lines {
    /// Names and the like end up in single-line log records; a newline would forge a record.
    One,
    /// Notes may use newlines and tabs.
    Many,
}

/// Collects errors and warnings, placing each at the span it is about.
pub(crate) struct Checker<'a> {
    locator: &'a Locator<'a>,
    errors: Vec<FieldError>,
    warnings: Vec<Warning>,
}

impl Checker<'_> {
    pub(crate) fn error(
        &mut self,
        span: Range<usize>,
        field: &str,
        problem: impl Into<String>,
        expected: impl Into<String>,
    ) {
        self.errors.push(FieldError {
            location: self.locator.locate(span.start),
            field: field.to_string(),
            problem: problem.into(),
            expected: expected.into(),
        });
    }

    pub(crate) fn value_error(&mut self, span: Range<usize>, field: &str, error: ValueError) {
        self.error(span, field, error.problem, error.expected);
    }

    pub(crate) fn warn(
        &mut self,
        span: Range<usize>,
        field: &str,
        kind: WarningKind,
        message: impl Into<String>,
    ) {
        self.warnings.push(Warning {
            location: self.locator.locate(span.start),
            field: field.to_string(),
            kind,
            message: message.into(),
        });
    }

    /// Parses a string value with one of the value types' parsers.
    pub(crate) fn parse<T>(
        &mut self,
        field: &str,
        value: &Spanned<String>,
        parse: impl FnOnce(&str) -> Result<T, ValueError>,
    ) -> Option<T> {
        parse(value.get_ref())
            .map_err(|e| self.value_error(value.span(), field, e))
            .ok()
    }

    /// Maps a string to one of a fixed set of values; `choices` gives the spellings.
    pub(crate) fn choice<T: Copy>(
        &mut self,
        field: &str,
        value: &Spanned<String>,
        choices: &[(&str, T)],
    ) -> Option<T> {
        let found = choices.iter().find(|(name, _)| name == value.get_ref());
        if found.is_none() {
            self.error(
                value.span(),
                field,
                format!("unknown value {:?}", value.get_ref()),
                one_of(choices.iter().map(|(name, _)| *name)),
            );
        }
        found.map(|(_, choice)| *choice)
    }

    /// An integer within `range`, converted to the type the model stores.
    pub(crate) fn int<T: TryFrom<i64>>(
        &mut self,
        field: &str,
        value: &Spanned<i64>,
        range: RangeInclusive<i64>,
    ) -> Option<T> {
        let n = *value.get_ref();
        let converted = range.contains(&n).then(|| T::try_from(n).ok()).flatten();
        if converted.is_none() {
            let expected = if *range.end() == i64::MAX {
                format!("a whole number, {} or more", range.start())
            } else {
                format!("a whole number from {} to {}", range.start(), range.end())
            };
            self.error(
                value.span(),
                field,
                format!("{n} is out of range"),
                expected,
            );
        }
        converted
    }

    /// Free text: non-empty, at most `max` characters, no control characters except newline
    /// and tab where `lines` allows. `None` in, `None` out, for optional keys.
    pub(crate) fn text(
        &mut self,
        field: &str,
        value: Option<&Spanned<String>>,
        max: usize,
        lines: Lines,
    ) -> Option<String> {
        let value = value?;
        let text = value.get_ref();
        let length = text.chars().count();
        let control = text
            .chars()
            .find(|&ch| ch.is_control() && !(lines == Lines::Many && (ch == '\n' || ch == '\t')));
        let (problem, expected) = if text.trim().is_empty() {
            (
                "the text is empty".to_string(),
                format!("1 to {max} characters, or leave the key out"),
            )
        } else if length > max {
            (
                format!("the text is {length} characters long"),
                format!("at most {max} characters"),
            )
        } else if let Some(ch) = control {
            let expected = match lines {
                Lines::One => "a single line of printable text",
                Lines::Many => "printable text, newlines and tabs",
            };
            (
                format!("the text contains the control character {ch:?}"),
                expected.to_string(),
            )
        } else {
            return Some(text.clone());
        };
        self.error(value.span(), field, problem, expected);
        None
    }

    /// A key an entry must have: reports it missing at the start of the entry.
    pub(crate) fn required<'v, T>(
        &mut self,
        entry: Range<usize>,
        field: &str,
        value: &'v Field<T>,
        expected: &str,
    ) -> Option<&'v Spanned<T>> {
        if value.is_none() {
            self.error(entry, field, "the key is missing", expected);
        }
        value.as_ref()
    }
}

/// `"a", "b" or "c"`.
pub(crate) fn one_of<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = names.map(|name| format!("{name:?}")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}
