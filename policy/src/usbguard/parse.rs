//! The rule language of `usbguard-rules.conf(5)`, one line per rule:
//!
//! ```text
//! line      := blank* (comment | rule)?
//! rule      := target (blank+ device-id)? (blank+ attribute)* blank* comment?
//! target    := allow | block | reject | match | device
//! attribute := keyword blank+ (value | (operator blank+)? "{" blank* value (blank+ value)* blank* "}")
//! comment   := "#" anything
//! ```
//!
//! Each keyword has its value type (`value.rs`). Beyond the grammar, USBGuard refuses what its
//! rule builder refuses, and so does this parser: an attribute given twice (except `label`,
//! which USBGuard's builder appends to), `*:pppp`, `cc:*:pp`, escapes other than `\"`, `\\`
//! and `\xHH`, unknown conditions and condition arguments its conditions cannot read.

use super::cursor::Cursor;
use super::error::{Problem, RuleError};
use super::rule::{Attribute, AttributeName, Rule, SetOperator, Target};
use super::value;

/// Parses a whole rules file: every rule, or every malformed line (one error per line).
pub fn parse_rules(text: &str) -> Result<Vec<Rule>, Vec<RuleError>> {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    // USBGuard reads the file with getline: only '\n' ends a line.
    for (index, line) in text.split('\n').enumerate() {
        match parse_line(line, index + 1) {
            Ok(Some(rule)) => rules.push(rule),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// One line: `None` for a blank or comment line.
pub fn parse_line(line: &str, line_no: usize) -> Result<Option<Rule>, RuleError> {
    parse_line_inner(line, line_no).map_err(|mut e| {
        // Whatever the parser expected there, a '\r' is the real cause.
        if line.chars().nth(e.column - 1) == Some('\r') {
            e.problem = Problem::CarriageReturn;
        }
        e
    })
}

fn parse_line_inner(line: &str, line_no: usize) -> Result<Option<Rule>, RuleError> {
    let mut c = Cursor::new(line, line_no, 0, line.len());
    c.blanks();
    if c.at_end_or_comment() {
        return Ok(None);
    }
    let start = c.pos();
    let word = c.word();
    let target = Target::ALL
        .into_iter()
        .find(|t| t.as_str() == word)
        .ok_or_else(|| {
            c.error_at(
                start,
                Problem::UnknownTarget {
                    found: word.to_string(),
                },
            )
        })?;
    let mut rule = Rule {
        line: line_no,
        text: line.to_string(),
        target: Some(target),
        ..Rule::default()
    };
    attributes(&mut c, &mut rule)?;
    Ok(Some(rule))
}

/// The attributes after a target, to the end of the cursor's text. Also reads the query of
/// `allowed-matches(...)`, which is a rule without its target.
pub(super) fn attributes(c: &mut Cursor<'_>, rule: &mut Rule) -> Result<(), RuleError> {
    let mut first = true;
    loop {
        let blanks = c.blanks();
        if c.at_end_or_comment() {
            return Ok(());
        }
        let found = c.peek_char().unwrap_or(' ');
        if blanks == 0 && !(first && rule.target.is_none()) {
            return Err(c.error_here(Problem::ExpectedBlank { found }));
        }
        let start = c.pos();
        let column = c.column(start);
        // A bare device id may follow the target directly: it is the `id` attribute.
        if first && value::starts_device_id(c) {
            first = false;
            let id = value::device_id(c)?;
            value::end_of_value(c)?;
            rule.id = Some(Attribute {
                column,
                set: false,
                operator: SetOperator::Equals,
                values: vec![id],
            });
            continue;
        }
        first = false;
        if found == '}' {
            return Err(c.error_here(Problem::StrayBrace));
        }
        let word = c.word();
        if word.is_empty() {
            return Err(c.error_here(Problem::ExpectedAttribute { found }));
        }
        let name = AttributeName::ALL
            .into_iter()
            .find(|n| n.as_str() == word)
            .ok_or_else(|| {
                c.error_at(
                    start,
                    Problem::UnknownAttribute {
                        found: word.to_string(),
                    },
                )
            })?;
        if let Some(first) = rule.column_of(name) {
            if name != AttributeName::Label {
                return Err(c.error_at(start, Problem::Duplicate { name, first }));
            }
        }
        if c.blanks() == 0 {
            return Err(match c.peek_char() {
                None | Some('#') => c.error_at(start, Problem::MissingValue { name }),
                Some(found) => c.error_here(Problem::ExpectedBlank { found }),
            });
        }
        if c.at_end_or_comment() {
            return Err(c.error_at(start, Problem::MissingValue { name }));
        }
        read_attribute(c, rule, name, column)?;
    }
}

fn read_attribute(
    c: &mut Cursor<'_>,
    rule: &mut Rule,
    name: AttributeName,
    column: usize,
) -> Result<(), RuleError> {
    match name {
        AttributeName::Id => rule.id = Some(values(c, column, value::device_id)?),
        AttributeName::Name => rule.name = Some(values(c, column, value::string)?),
        AttributeName::Hash => rule.hash = Some(values(c, column, value::string)?),
        AttributeName::ParentHash => rule.parent_hash = Some(values(c, column, value::string)?),
        AttributeName::Serial => rule.serial = Some(values(c, column, value::string)?),
        AttributeName::ViaPort => rule.via_port = Some(values(c, column, value::string)?),
        AttributeName::WithInterface => {
            rule.with_interface = Some(values(c, column, value::interface)?)
        }
        AttributeName::WithConnectType => {
            rule.with_connect_type = Some(values(c, column, value::string)?)
        }
        AttributeName::If => rule.conditions = Some(values(c, column, value::condition)?),
        AttributeName::Label => {
            let more = values(c, column, value::string)?;
            match &mut rule.label {
                Some(label) => label.values.extend(more.values),
                None => rule.label = Some(more),
            }
        }
    }
    Ok(())
}

/// A single value, or a set in braces with an optional operator before it.
fn values<T>(
    c: &mut Cursor<'_>,
    column: usize,
    read: fn(&mut Cursor<'_>) -> Result<T, RuleError>,
) -> Result<Attribute<T>, RuleError> {
    let mut operator = SetOperator::Equals;
    // A word followed by blanks and a brace is an operator; anything else is a value (a device
    // id may itself start with letters, `abcd:0001`), as USBGuard's grammar tries the set
    // first and falls back to a single value.
    let before = c.pos();
    let word = c.word();
    if !word.is_empty() {
        let blanks = c.blanks();
        let known = SetOperator::ALL.into_iter().find(|o| o.as_str() == word);
        match (known, c.peek_char()) {
            (Some(op), Some('{')) if blanks > 0 => operator = op,
            (None, Some('{')) if blanks > 0 => {
                return Err(c.error_at(
                    before,
                    Problem::UnknownOperator {
                        found: word.to_string(),
                    },
                ))
            }
            (Some(op), _) => {
                return Err(c.error_at(
                    before,
                    Problem::OperatorWithoutSet {
                        operator: op.as_str(),
                    },
                ))
            }
            _ => c.seek(before),
        }
    }
    if c.peek_char() != Some('{') {
        let one = read(c)?;
        value::end_of_value(c)?;
        return Ok(Attribute {
            column,
            set: false,
            operator,
            values: vec![one],
        });
    }
    let open = c.column(c.pos());
    c.bump();
    let mut items = Vec::new();
    loop {
        let blanks = c.blanks();
        match c.peek_char() {
            None => return Err(c.error_at_column(open, Problem::UnclosedBrace { open })),
            Some('}') => {
                if items.is_empty() {
                    return Err(c.error_here(Problem::EmptySet));
                }
                c.bump();
                value::end_of_value(c)?;
                return Ok(Attribute {
                    column,
                    set: true,
                    operator,
                    values: items,
                });
            }
            Some(found) if blanks == 0 && !items.is_empty() => {
                return Err(c.error_here(Problem::ExpectedBlank { found }))
            }
            Some(_) => items.push(read(c)?),
        }
    }
}
