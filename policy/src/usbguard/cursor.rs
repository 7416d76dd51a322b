//! A position in one line of a rules file, and errors placed at a column of it.

use super::error::{Problem, RuleError};

/// Reads `text[pos..end]`; columns are counted from the start of `text`, so a cursor over
/// part of a line (a condition's query) still reports columns of the whole line.
pub(super) struct Cursor<'a> {
    text: &'a str,
    line: usize,
    pos: usize,
    end: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(text: &'a str, line: usize, pos: usize, end: usize) -> Cursor<'a> {
        Cursor {
            text,
            line,
            pos,
            end,
        }
    }

    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    pub(super) fn seek(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// The whole text the columns are counted in.
    pub(super) fn text(&self) -> &'a str {
        self.text
    }

    pub(super) fn line(&self) -> usize {
        self.line
    }

    pub(super) fn rest(&self) -> &'a str {
        &self.text[self.pos..self.end]
    }

    pub(super) fn peek_char(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// Moves past one character.
    pub(super) fn bump(&mut self) -> Option<char> {
        let ch = self.peek_char()?;
        self.pos += ch.len_utf8();
        Some(ch)
    }

    /// Moves past spaces and tabs (USBGuard's blanks); returns how many.
    pub(super) fn blanks(&mut self) -> usize {
        let n = self
            .rest()
            .bytes()
            .take_while(|&b| b == b' ' || b == b'\t')
            .count();
        self.pos += n;
        n
    }

    pub(super) fn at_end_or_comment(&self) -> bool {
        matches!(self.peek_char(), None | Some('#'))
    }

    /// A keyword: letters, digits and `-`.
    pub(super) fn word(&mut self) -> &'a str {
        let rest = self.rest();
        let n = rest
            .bytes()
            .take_while(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            .count();
        self.pos += n;
        &rest[..n]
    }

    /// 1-based column of byte `pos`, in characters.
    pub(super) fn column(&self, pos: usize) -> usize {
        self.text[..pos].chars().count() + 1
    }

    pub(super) fn error_at(&self, pos: usize, problem: Problem) -> RuleError {
        self.error_at_column(self.column(pos), problem)
    }

    pub(super) fn error_here(&self, problem: Problem) -> RuleError {
        self.error_at(self.pos, problem)
    }

    pub(super) fn error_at_column(&self, column: usize, problem: Problem) -> RuleError {
        RuleError {
            line: self.line,
            column,
            problem,
        }
    }
}
