//! Text to checked policy: TOML syntax, then the raw shape (unknown keys, types), then the
//! rules in `check`.

use crate::check::check;
use crate::error::{FieldError, PolicyError};
use crate::field_path::field_at;
use crate::model::Checked;
use crate::raw::RawPolicy;
use crate::source::{Locator, Origin, Source};

pub(crate) fn parse_text(text: &str, origin: Origin<'_>) -> Result<Checked, PolicyError> {
    let locator = Locator::new(origin.name(), text.as_bytes());
    let raw: RawPolicy = toml::from_str(text).map_err(|e| toml_error(text, &locator, &e))?;
    check(&raw, &locator, Source::new(text, origin))
}

/// Sorts a `toml` error into "not TOML" and "TOML of the wrong shape"; only the latter can
/// name a key, found by walking the document.
fn toml_error(text: &str, locator: &Locator<'_>, error: &toml::de::Error) -> PolicyError {
    let offset = error.span().map_or(0, |span| span.start);
    let location = locator.locate(offset);
    let message = error.message().trim().replace('\n', "; ");
    let Ok(doc) = toml_edit::ImDocument::parse(text) else {
        return PolicyError::Syntax { location, message };
    };
    let mut field = field_at(&doc, offset).unwrap_or_else(|| "(document)".to_string());
    // serde words its messages "<problem>, expected <what>"; split them to match ours.
    let (mut problem, mut expected) = match message.split_once(", expected ") {
        Some((problem, expected)) => (problem.to_string(), expected.to_string()),
        None => (
            message.clone(),
            "a key and value as in the reference policy".to_string(),
        ),
    };
    // toml 0.8 quirk: a table given where a spanned string belongs (`name.first = "x"`)
    // is reported as the sub-key being "a string, expected a borrowed string".
    if expected == "a borrowed string" {
        if let Some((parent, _)) = field.rsplit_once('.') {
            field = parent.to_string();
        }
        problem = "a table is given where a string belongs".to_string();
        expected = "a string".to_string();
    }
    PolicyError::Invalid {
        errors: vec![FieldError {
            location,
            field,
            problem: problem.replace("unknown field", "unknown key"),
            expected: expected.replace("a sequence", "an array"),
        }],
    }
}
