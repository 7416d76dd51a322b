//! Where a policy text came from, its digest, and turning byte offsets into line:column.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::Location;

/// Where the policy in force came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file it was loaded from; `None` for texts given directly and built-in policies.
    pub path: Option<PathBuf>,
    /// Lowercase hex SHA-256 of the exact bytes parsed, so an inspector can tie the policy in
    /// force to a signed-off file. For built-in policies, the digest of the text they are
    /// equivalent to ([`crate::BUILTIN_STRICT_TOML`], or the empty text for the default policy).
    pub sha256: String,
    /// True for [`crate::Policy::builtin_strict`] and [`crate::Policy::default_policy`].
    pub builtin: bool,
}

impl Source {
    pub(crate) fn new(text: &str, origin: Origin<'_>) -> Source {
        Source {
            path: match origin {
                Origin::File(path) => Some(path.to_path_buf()),
                Origin::Stdin | Origin::Builtin => None,
            },
            sha256: sha256_hex(text.as_bytes()),
            builtin: matches!(origin, Origin::Builtin),
        }
    }
}

/// What a text is called in messages.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Origin<'a> {
    File(&'a Path),
    Stdin,
    Builtin,
}

impl Origin<'_> {
    pub(crate) fn name(self) -> String {
        match self {
            Origin::File(path) => path.display().to_string(),
            Origin::Stdin => "<stdin>".to_string(),
            Origin::Builtin => "<builtin>".to_string(),
        }
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Turns byte offsets of one text into 1-based line:column locations.
pub(crate) struct Locator<'a> {
    file: String,
    text: &'a [u8],
}

impl<'a> Locator<'a> {
    /// Works on bytes so that the position of a non-UTF-8 byte can be reported too.
    pub(crate) fn new(file: String, text: &'a [u8]) -> Self {
        Locator { file, text }
    }

    pub(crate) fn locate(&self, offset: usize) -> Location {
        let before = &self.text[..offset.min(self.text.len())];
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |newline| newline + 1);
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        // Columns count characters, as the TOML parser's own messages do: count the bytes that
        // start a UTF-8 sequence (everything but continuation bytes 0b10xx_xxxx).
        let column = before[line_start..]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count()
            + 1;
        Location {
            file: self.file.clone(),
            line: saturate(line),
            column: saturate(column),
        }
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_character_columns() {
        let text = "a = 1\nid = \"éé\" x\n";
        let locator = Locator::new("p.toml".into(), text.as_bytes());
        let at = |offset| {
            let l = locator.locate(offset);
            (l.line, l.column)
        };
        assert_eq!(at(0), (1, 1));
        assert_eq!(at(4), (1, 5));
        assert_eq!(at(6), (2, 1));
        // `x` is byte 13 of line 2 but character 10.
        assert_eq!(at(text.find('x').unwrap()), (2, 11));
        assert_eq!(at(10_000), (3, 1));
        assert_eq!(locator.locate(0).to_string(), "p.toml:1:1");
    }

    #[test]
    fn sha256_of_known_inputs() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
