//! What can go wrong reading a policy, and where.
//!
//! Every message an officer sees starts with `file:line:column` (1-based, columns counted in
//! characters like the TOML parser does), names the dotted key (`media[2].vendor_id`, arrays
//! indexed from 0) and ends with what would have been accepted.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A position in a policy text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file as given to [`crate::load`], or `<stdin>` / `<builtin>` for texts without one.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl Location {
    /// Where byte `offset` of `text` (the contents of `file`) is, as the parser reports it.
    pub fn at(file: impl Into<String>, text: &[u8], offset: usize) -> Location {
        crate::source::Locator::new(file.into(), text).locate(offset)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One thing wrong with one key of a policy that parsed as TOML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {field}: {problem}; expected {expected}")]
pub struct FieldError {
    /// Where the offending key or value starts.
    pub location: Location,
    /// Dotted key path, e.g. `media[2].vendor_id`; arrays are indexed from 0.
    pub field: String,
    /// What is wrong, quoting the value where that helps.
    pub problem: String,
    /// What would be valid.
    pub expected: String,
}

/// A scalar value that does not parse: returned by the `FromStr` impls of the value types
/// ([`crate::Cidr`], [`crate::MacAddr`], [`crate::Date`], ...) and lifted into a [`FieldError`]
/// when it comes from a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem}; expected {expected}")]
pub struct ValueError {
    /// What is wrong with the value.
    pub problem: String,
    /// What would be valid.
    pub expected: String,
}

impl ValueError {
    pub(crate) fn new(problem: impl Into<String>, expected: impl Into<String>) -> Self {
        ValueError {
            problem: problem.into(),
            expected: expected.into(),
        }
    }
}

/// Why a policy could not be loaded. The daemon falls back to [`crate::Policy::builtin_strict`]
/// on any of these.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The policy file does not exist.
    #[error("{}: no such file; create it from the reference policy shipped with airgapd", file.display())]
    Missing {
        /// The path that was tried.
        file: PathBuf,
    },
    /// The file exists but could not be inspected or read.
    #[error("{}: cannot read the policy: {source}", file.display())]
    Io {
        /// The policy file.
        file: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The path is a symbolic link; following it would let whoever controls the link's target
    /// choose the policy.
    #[error("{}: is a symbolic link; point airgapd at the real file, owned by root", file.display())]
    Symlink {
        /// The policy path.
        file: PathBuf,
    },
    /// The path is not a regular file (a directory, FIFO, socket or device node).
    #[error("{}: is a {kind}, not a regular file; the policy must be a plain file", file.display())]
    NotRegular {
        /// The policy path.
        file: PathBuf,
        /// What it is instead, e.g. `directory` or `fifo`.
        kind: &'static str,
    },
    /// The file is owned by someone other than the expected owner (root outside tests), who could
    /// rewrite the policy.
    #[error("{}: is owned by uid {uid}, not uid {expected}; run `chown root:root {}`", file.display(), file.display())]
    Owner {
        /// The policy file.
        file: PathBuf,
        /// Its owner.
        uid: u32,
        /// The owner that was required.
        expected: u32,
    },
    /// Group or others may write the file, so a non-root user could rewrite the policy.
    #[error("{}: is writable by group or others (mode {mode:04o}); run `chmod 0644 {}`", file.display(), file.display())]
    Writable {
        /// The policy file.
        file: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file is larger than any sensible policy; refusing it bounds memory and parse time.
    #[error("{}: is {size} bytes; expected at most {limit} bytes", file.display())]
    TooLarge {
        /// The policy file.
        file: PathBuf,
        /// Its size in bytes (at least `limit + 1` if it grew while being read).
        size: u64,
        /// The largest size accepted.
        limit: u64,
    },
    /// The file is not UTF-8, which TOML requires.
    #[error("{location}: the file is not valid UTF-8; save it as UTF-8")]
    NotUtf8 {
        /// The first byte that is not UTF-8.
        location: Location,
    },
    /// The text is not TOML at all.
    #[error("{location}: invalid TOML: {message}")]
    Syntax {
        /// Where the parser stopped.
        location: Location,
        /// The parser's explanation, on one line.
        message: String,
    },
    /// The text is TOML but breaks one or more rules of the policy; one line per problem, in
    /// the order they appear in the file.
    #[error("{}", DisplayAll(errors))]
    Invalid {
        /// Every problem found (at least one).
        errors: Vec<FieldError>,
    },
}

impl PolicyError {
    /// The field errors, if the policy was TOML but invalid; empty otherwise.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            PolicyError::Invalid { errors } => errors,
            _ => &[],
        }
    }
}

/// Prints a list of field errors one per line.
struct DisplayAll<'a>(&'a [FieldError]);

impl fmt::Display for DisplayAll<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}
