//! The values of rule attributes: device ids, interface types, strings and conditions.

use super::cursor::Cursor;
use super::error::{Problem, RuleError};
use super::parse;
use super::rule::{Bytes, Condition, DeviceId, InterfaceType, Rule};

/// True if the cursor is at something meant as a device id (`0951:1666`, `*:*`, `123:4`).
pub(super) fn starts_device_id(c: &Cursor<'_>) -> bool {
    let rest = c.rest().as_bytes();
    let hex4_colon =
        rest.len() > 4 && rest[..4].iter().all(u8::is_ascii_hexdigit) && rest[4] == b':';
    hex4_colon
        || rest
            .first()
            .is_some_and(|b| b.is_ascii_digit() || *b == b'*')
}

/// After a single value: a blank, a comment or the end of the line.
pub(super) fn end_of_value(c: &Cursor<'_>) -> Result<(), RuleError> {
    match c.peek_char() {
        None | Some(' ' | '\t' | '#') => Ok(()),
        Some('}') => Err(c.error_here(Problem::StrayBrace)),
        Some(found) => Err(c.error_here(Problem::TrailingCharacter { found })),
    }
}

/// `vvvv:pppp`, each part 4 hex digits or `*`; `*:pppp` is refused.
pub(super) fn device_id(c: &mut Cursor<'_>) -> Result<DeviceId, RuleError> {
    let start = c.pos();
    let vendor = id_part(c);
    let colon = c.peek_char() == Some(':');
    if colon {
        c.bump();
    }
    let product = id_part(c);
    let (Some(vendor), true, Some(product)) = (vendor, colon, product) else {
        return Err(c.error_at(start, Problem::BadDeviceId));
    };
    if vendor.is_none() && product.is_some() {
        return Err(c.error_at(start, Problem::ProductWithoutVendor));
    }
    Ok(DeviceId { vendor, product })
}

/// `Some(None)` for `*`, `Some(Some(n))` for 4 hex digits, `None` otherwise.
fn id_part(c: &mut Cursor<'_>) -> Option<Option<u16>> {
    if c.peek_char() == Some('*') {
        c.bump();
        return Some(None);
    }
    let digits = c.rest().get(..4)?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    c.seek(c.pos() + 4);
    u16::from_str_radix(digits, 16).ok().map(Some)
}

/// `cc:ss:pp`, 2 hex digits each, subclass and protocol possibly `*`; `cc:*:pp` is refused.
pub(super) fn interface(c: &mut Cursor<'_>) -> Result<InterfaceType, RuleError> {
    let start = c.pos();
    let bad = |c: &Cursor<'_>| c.error_at(start, Problem::BadInterface);
    let class = hex2(c).ok_or_else(|| bad(c))?;
    let mut parts = [None, None];
    for part in &mut parts {
        if c.bump() != Some(':') {
            return Err(bad(c));
        }
        *part = if c.peek_char() == Some('*') {
            c.bump();
            None
        } else {
            Some(hex2(c).ok_or_else(|| bad(c))?)
        };
    }
    let [subclass, protocol] = parts;
    if subclass.is_none() && protocol.is_some() {
        return Err(c.error_at(start, Problem::ProtocolWithoutSubclass));
    }
    Ok(InterfaceType {
        class,
        subclass,
        protocol,
    })
}

fn hex2(c: &mut Cursor<'_>) -> Option<u8> {
    let digits = c.rest().get(..2)?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    c.seek(c.pos() + 2);
    u8::from_str_radix(digits, 16).ok()
}

/// `"..."`: USBGuard unescapes `\"`, `\\` and `\xHH` and refuses any other escape.
pub(super) fn string(c: &mut Cursor<'_>) -> Result<Bytes, RuleError> {
    let open_pos = c.pos();
    if c.peek_char() != Some('"') {
        return Err(c.error_here(Problem::ExpectedString));
    }
    c.bump();
    let mut out = Vec::new();
    loop {
        let at = c.pos();
        match c.bump() {
            None => {
                let open = c.column(open_pos);
                return Err(c.error_at_column(open, Problem::UnclosedString { open }));
            }
            Some('"') => return Ok(out),
            Some('\r') => return Err(c.error_at(at, Problem::CarriageReturn)),
            Some('\\') => match c.bump() {
                Some(ch @ ('"' | '\\')) => out.push(ch as u8),
                Some('x') => match hex2(c) {
                    Some(byte) => out.push(byte),
                    None => {
                        let found: String = c.text()[at..].chars().take(4).collect();
                        return Err(c.error_at(at, Problem::BadEscape { found }));
                    }
                },
                other => {
                    let found = format!("\\{}", other.map(String::from).unwrap_or_default());
                    return Err(c.error_at(at, Problem::BadEscape { found }));
                }
            },
            Some(ch) => {
                let mut buf = [0; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

/// `[!]name[(argument)]`, checked as USBGuard's conditions check their arguments.
pub(super) fn condition(c: &mut Cursor<'_>) -> Result<Condition, RuleError> {
    let start = c.pos();
    let negated = c.peek_char() == Some('!');
    if negated {
        c.bump();
    }
    let name_start = c.pos();
    let identifier = c.word();
    let valid_name = identifier
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'-')
        && !identifier.contains('_');
    if !valid_name {
        return Err(c.error_at(start, Problem::BadCondition));
    }
    let mut argument = None;
    let mut arg_range = (0, 0);
    if c.peek_char() == Some('(') {
        let open_pos = c.pos();
        c.bump();
        let arg_start = c.pos();
        loop {
            match c.bump() {
                None => {
                    let open = c.column(open_pos);
                    return Err(c.error_at_column(open, Problem::UnclosedParenthesis { open }));
                }
                Some(')') => break,
                // The argument is kept as written, but its escapes must be ones USBGuard's
                // grammar reads: \) and the escapes of strings.
                Some('\\') => argument_escape(c, c.pos() - 1)?,
                Some(_) => {}
            }
        }
        arg_range = (arg_start, c.pos() - 1);
        argument = Some(c.text()[arg_range.0..arg_range.1].to_string());
    }
    let identifier = identifier.to_string();
    check_condition(c, name_start, &identifier, argument.as_deref(), arg_range)?;
    Ok(Condition {
        negated,
        identifier,
        argument,
    })
}

/// After a backslash in a condition argument: `\)`, `\xHH`, 1 to 3 decimal digits, or one of
/// `a b f n r t v \ ' 0`.
fn argument_escape(c: &mut Cursor<'_>, at: usize) -> Result<(), RuleError> {
    let bad = |c: &Cursor<'_>| {
        let found: String = c.text()[at..].chars().take(2).collect();
        c.error_at(at, Problem::BadEscape { found })
    };
    match c.bump() {
        Some(')' | 'a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\' | '\'') => Ok(()),
        Some('x') => hex2(c).map(|_| ()).ok_or_else(|| bad(c)),
        Some(d) if d.is_ascii_digit() => {
            for _ in 0..2 {
                if c.peek_char().is_some_and(|ch| ch.is_ascii_digit()) {
                    c.bump();
                }
            }
            Ok(())
        }
        _ => Err(bad(c)),
    }
}

fn check_condition(
    c: &Cursor<'_>,
    name_start: usize,
    identifier: &str,
    argument: Option<&str>,
    (arg_start, arg_end): (usize, usize),
) -> Result<(), RuleError> {
    const KNOWN: [&str; 7] = [
        "localtime",
        "allowed-matches",
        "rule-applied",
        "rule-evaluated",
        "random",
        "true",
        "false",
    ];
    let Some(&known) = KNOWN.iter().find(|&&k| k == identifier) else {
        return Err(c.error_at(
            name_start,
            Problem::UnknownCondition {
                found: identifier.to_string(),
            },
        ));
    };
    if argument == Some("") {
        return Err(c.error_at(arg_start, Problem::EmptyArgument));
    }
    let bad = |problem| Err(c.error_at(arg_start, problem));
    match (known, argument) {
        ("localtime" | "allowed-matches", None) => {
            return Err(c.error_at(name_start, Problem::MissingArgument { condition: known }))
        }
        ("localtime", Some(range)) if !time_range(range) => {
            return bad(Problem::BadTimeRange {
                found: range.to_string(),
            })
        }
        ("rule-applied" | "rule-evaluated", Some(d)) if !duration(d) => {
            return bad(Problem::BadDuration {
                found: d.to_string(),
            })
        }
        ("random", Some(p))
            if !p
                .trim()
                .parse::<f64>()
                .is_ok_and(|p| (0.0..=1.0).contains(&p)) =>
        {
            return bad(Problem::BadProbability {
                found: p.to_string(),
            })
        }
        ("allowed-matches", Some(_)) => {
            // The query is a rule without its target; USBGuard parses it when it loads the
            // rule, so a malformed query is a malformed rule.
            let mut query = Cursor::new(c.text(), c.line(), arg_start, arg_end);
            let mut rule = Rule::default();
            parse::attributes(&mut query, &mut rule)?;
        }
        _ => {}
    }
    Ok(())
}

/// Seconds since midnight of `HH:MM[:SS]`.
fn daytime(text: &str) -> Option<u32> {
    let parts: Vec<&str> = text.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let mut seconds = 0;
    for (i, part) in parts.iter().enumerate() {
        if !(1..=2).contains(&part.len()) || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u32 = part.parse().ok()?;
        let max = if i == 0 { 23 } else { 59 };
        if n > max {
            return None;
        }
        seconds = seconds * 60 + n;
    }
    Some(if parts.len() == 2 {
        seconds * 60
    } else {
        seconds
    })
}

fn time_range(text: &str) -> bool {
    match text.split_once('-') {
        None => daytime(text).is_some(),
        Some((begin, end)) => {
            matches!((daytime(begin), daytime(end)), (Some(b), Some(e)) if b <= e)
        }
    }
}

fn duration(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    parts.len() <= 3
        && parts
            .iter()
            .all(|p| (1..=6).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}
