//! Helpers shared by the integration tests.

// Each test file is its own crate and uses a subset of these.
#![allow(dead_code)]

use std::path::Path;

use airgapd_policy::{parse, Checked, FieldError, PolicyError, Warning};

/// Parses `text` as `policy.toml`, panicking with the errors if it is invalid.
pub fn ok(text: &str) -> Checked {
    parse(text, Some(Path::new("policy.toml"))).unwrap_or_else(|e| panic!("{e}"))
}

/// Parses `text` as `policy.toml`, expecting it to be invalid.
pub fn err(text: &str) -> PolicyError {
    match parse(text, Some(Path::new("policy.toml"))) {
        Ok(checked) => panic!("accepted:\n{text}\n{:?}", checked.policy),
        Err(e) => e,
    }
}

/// The field errors of an invalid policy.
pub fn errors(text: &str) -> Vec<FieldError> {
    match err(text) {
        PolicyError::Invalid { errors } => errors,
        other => panic!("expected field errors, got: {other}"),
    }
}

/// The single field error of an invalid policy.
pub fn only_error(text: &str) -> FieldError {
    let mut all = errors(text);
    assert_eq!(all.len(), 1, "expected one error, got {all:#?}");
    all.remove(0)
}

/// Asserts the single error names `field` and mentions `problem`, and returns it.
pub fn assert_error(text: &str, field: &str, problem: &str) -> FieldError {
    let error = only_error(text);
    assert_eq!(error.field, field, "{error}");
    assert!(
        error.problem.contains(problem),
        "problem {:?} lacks {problem:?}",
        error.problem
    );
    error
}

/// (line, column) of an error.
pub fn at(error: &FieldError) -> (u32, u32) {
    (error.location.line, error.location.column)
}

/// The warnings of a valid policy.
pub fn warnings(text: &str) -> Vec<Warning> {
    ok(text).warnings
}

/// A complete, warning-free media entry to build on.
pub const GOOD_MEDIA: &str = r#"
[[media]]
name = "stick"
vendor_id = "0951"
product_id = "1666"
serial = "ABC123"
access = "read-only"
"#;
