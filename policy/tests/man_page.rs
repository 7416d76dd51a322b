//! airgapd.policy(5) documents every key the parser accepts: each field of the raw model
//! (`src/raw.rs`, serde names) and each table appears in the page. A key added to the parser
//! without a word in the manual fails here.

use std::collections::BTreeSet;

const RAW: &str = include_str!("../src/raw.rs");
const PAGE: &str = include_str!("../../packaging/man/airgapd.policy.5");

/// (serde name of each field, table names) read from the raw model's source.
fn keys() -> (BTreeSet<String>, BTreeSet<String>) {
    let mut keys = BTreeSet::new();
    let mut tables = BTreeSet::new();
    let mut rename: Option<String> = None;
    for line in RAW.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("#[serde(rename = \"") {
            rename = rest.split('"').next().map(str::to_string);
            continue;
        }
        if let Some(t) = line
            .strip_prefix("#[serde(deny_unknown_fields, expecting = \"a [")
            .or_else(|| line.strip_prefix("#[serde(deny_unknown_fields, expecting = \"an ["))
        {
            if let Some(name) = t.split(']').next() {
                tables.insert(name.trim_start_matches('[').to_string());
            }
        }
        let Some(field) = line.strip_prefix("pub ") else {
            continue;
        };
        let Some((name, _)) = field.split_once(':') else {
            continue;
        };
        if name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            keys.insert(rename.take().unwrap_or_else(|| name.to_string()));
        }
        rename = None;
    }
    (keys, tables)
}

#[test]
fn every_key_and_table_is_in_the_manual() {
    // roff escapes a hyphen as \- ; the page's text is what a reader sees.
    let page = PAGE.replace("\\-", "-");
    let (keys, tables) = keys();
    assert!(
        keys.len() > 25,
        "the raw model's fields were not found: {keys:?}"
    );
    let top: BTreeSet<&str> = [
        "meta", "network", "devices", "media", "usb", "capture", "logging", "exec",
    ]
    .into();
    let missing: Vec<_> = keys
        .iter()
        .filter(|k| !top.contains(k.as_str()) && !page.contains(k.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "keys not in airgapd.policy(5): {missing:?}"
    );
    let missing: Vec<_> = tables
        .iter()
        .chain(
            ["network.lan", "usb.allow", "capture.allow", "media"]
                .map(String::from)
                .iter(),
        )
        .filter(|t| !page.contains(&format!("[{t}]")))
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "tables not in airgapd.policy(5): {missing:?}"
    );
}
