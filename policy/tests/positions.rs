//! Every error says where: file, line, column, key, and what would be valid.

mod common;

use std::path::Path;

use airgapd_policy::{parse, PolicyError};
use common::*;

#[test]
fn field_error_display_is_file_line_column_field_problem_expected() {
    let text = r#"[[media]]
name = "a"
vendor_id = "0951"
serial = "s1"
access = "read-only"

[[media]]
name = "b"
vendor_id = "0951"
serial = "s2"
access = "read-only"

[[media]]
name = "c"
vendor_id = "09X1"
access = "read-only"
"#;
    let error = only_error(text);
    assert_eq!(
        error.to_string(),
        "policy.toml:15:13: media[2].vendor_id: \"09X1\" is not a USB id; \
         expected 4 hex digits, e.g. \"0951\""
    );
    assert_eq!(err(text).to_string(), error.to_string());
}

#[test]
fn exact_positions_of_value_errors() {
    let text = "\
# comment
[logging]
storm_interval_ms = 50
recent_violations = 1000
";
    let error = assert_error(text, "logging.storm_interval_ms", "50 is out of range");
    assert_eq!(at(&error), (3, 21));
    assert_eq!(error.expected, "a whole number from 100 to 60000");
    assert_eq!(error.location.file, "policy.toml");

    let text = "[network]\nprofile = \"isolated-lan\"\n\n[[network.lan]]\nname = \"l\"\n\
                interface_mac = \"52:54:00:12:34:56\"\nsubnets = [\"192.168.50.0/24\", \"8.8.8.0/24\"]\n";
    let error = assert_error(
        text,
        "network.lan[0].subnets[1]",
        "not inside a private range",
    );
    assert_eq!(at(&error), (7, 31));
}

#[test]
fn missing_keys_point_at_the_entry_header() {
    let text = "[meta]\nserial = 1\n\n[[media]]\nvendor_id = \"0951\"\nserial = \"x\"\n";
    let all = errors(text);
    let fields: Vec<&str> = all.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["media[0].name", "media[0].access"]);
    assert!(all.iter().all(|e| at(e) == (4, 1)), "{all:#?}");
    assert_eq!(all[0].problem, "the key is missing");
}

#[test]
fn columns_count_characters_not_bytes() {
    let text = "[meta]\nissuer = \"Bộ\"\nnote = \"ờ\"\nid = \"ý\"\n";
    let error = assert_error(text, "meta.id", "is not a policy id");
    assert_eq!(at(&error), (4, 6));
    let text = "[meta]\nnote = \"Bộ Quốc phòng\"; serial = -1\n";
    let PolicyError::Syntax { location, .. } = err(text) else {
        panic!("expected a syntax error")
    };
    // `;` is character 23 but byte 28.
    assert_eq!((location.line, location.column), (2, 23));
}

#[test]
fn several_errors_are_all_reported_in_file_order() {
    let text = "\
[logging]
recent_violations = 5

[meta]
serial = -1
id = \"bad id\"
";
    let error = err(text);
    let fields: Vec<&str> = error
        .field_errors()
        .iter()
        .map(|e| e.field.as_str())
        .collect();
    assert_eq!(
        fields,
        ["logging.recent_violations", "meta.serial", "meta.id"]
    );
    let display = error.to_string();
    let lines: Vec<&str> = display.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("policy.toml:2:21: logging.recent_violations: 5 is out of range"));
    assert!(lines[1].starts_with("policy.toml:5:10: meta.serial: -1 is out of range"));
    assert!(lines[2].starts_with("policy.toml:6:6: meta.id: \"bad id\" is not a policy id"));
}

#[test]
fn syntax_errors_have_positions_and_one_line() {
    let PolicyError::Syntax { location, message } = err("[meta]\nid = \n") else {
        panic!("expected a syntax error")
    };
    assert_eq!((location.line, location.column), (2, 6));
    assert!(!message.contains('\n'), "{message}");
    let error = err("[meta]\nid = \"a\"\n[meta]\n");
    assert!(
        error
            .to_string()
            .starts_with("policy.toml:3:1: invalid TOML: "),
        "{error}"
    );
    assert!(error.to_string().contains("duplicate key"), "{error}");
}

#[test]
fn wrong_types_name_the_key() {
    let error = assert_error(
        "[network]\nloopback = \"yes\"\n",
        "network.loopback",
        "invalid type",
    );
    assert_eq!(at(&error), (2, 12));
    assert_eq!(error.expected, "a boolean");
    let error = assert_error("[[media]]\nname = 3\n", "media[0].name", "invalid type");
    assert_eq!(at(&error), (2, 8));
    let error = assert_error("media = 3\n", "media", "invalid type");
    assert_eq!(error.expected, "an array");
    let error = assert_error("meta = 3\n", "meta", "invalid type");
    assert_eq!(error.expected, "a [meta] table");
    let error = assert_error(
        "[devices]\ninternal = [\"8:0\", 8]\n",
        "devices.internal[1]",
        "invalid type",
    );
    assert_eq!(at(&error), (2, 20));
}

#[test]
fn texts_without_a_path_are_called_stdin() {
    let error = parse("[logging]\nrecent_violations = 1\n", None).unwrap_err();
    assert!(error.to_string().starts_with("<stdin>:2:21: "), "{error}");
    let error = parse("x", Some(Path::new("/etc/airgapd/policy.toml"))).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("/etc/airgapd/policy.toml:1:2: "),
        "{error}"
    );
}
