//! The dotted key path at a byte offset of a TOML document.
//!
//! `toml`'s serde errors (unknown key, wrong type) carry a span but not the key they are
//! about; walking the spanned document tree finds the innermost key or value at that span.

use std::ops::Range;

use toml_edit::{ImDocument, Item, Table, Value};

/// The path (`media[2].vendor_id`, arrays indexed from 0) of the innermost key or value
/// containing `offset`, if any.
pub(crate) fn field_at(doc: &ImDocument<&str>, offset: usize) -> Option<String> {
    let mut found = None;
    walk_table(doc.as_table(), "", offset, &mut found);
    found
}

fn inside(span: Option<Range<usize>>, offset: usize) -> bool {
    span.is_some_and(|span| span.contains(&offset))
}

fn child(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

// Children are visited after their parent is recorded, so the deepest match wins.
fn walk_table(table: &Table, prefix: &str, offset: usize, found: &mut Option<String>) {
    for (key, item) in table.iter() {
        let path = child(prefix, key);
        if inside(table.key(key).and_then(|k| k.span()), offset) {
            *found = Some(path.clone());
        }
        match item {
            Item::None => {}
            Item::Value(value) => walk_value(value, &path, offset, found),
            Item::Table(table) => {
                // A `[header]` table's span is its header: errors about the whole table point
                // at its `[`, before any key.
                if inside(table.span(), offset) {
                    *found = Some(path.clone());
                }
                walk_table(table, &path, offset, found)
            }
            Item::ArrayOfTables(array) => {
                for (i, table) in array.iter().enumerate() {
                    let path = format!("{path}[{i}]");
                    if inside(table.span(), offset) {
                        *found = Some(path.clone());
                    }
                    walk_table(table, &path, offset, found);
                }
            }
        }
    }
}

fn walk_value(value: &Value, path: &str, offset: usize, found: &mut Option<String>) {
    if inside(value.span(), offset) {
        *found = Some(path.to_string());
    }
    match value {
        Value::Array(array) => {
            for (i, item) in array.iter().enumerate() {
                walk_value(item, &format!("{path}[{i}]"), offset, found);
            }
        }
        Value::InlineTable(table) => {
            for (key, item) in table.iter() {
                let path = child(path, key);
                if inside(table.key(key).and_then(|k| k.span()), offset) {
                    *found = Some(path.clone());
                }
                walk_value(item, &path, offset, found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_at(text: &str, needle: &str) -> Option<String> {
        let doc = ImDocument::parse(text).unwrap();
        field_at(&doc, text.find(needle).unwrap())
    }

    #[test]
    fn finds_keys_values_and_entries() {
        let text = "top = 1\n[meta]\nserial = \"x\"\n\n[[media]]\nname = \"a\"\n\n\
                    [[media]]\nname = \"b\"\nvendr = 1\n\n[network]\n\
                    lan = [{ name = \"l\", subnets = [\"10.0.0.0/8\", \"bad\"] }]\n";
        assert_eq!(path_at(text, "top").as_deref(), Some("top"));
        assert_eq!(path_at(text, "\"x\"").as_deref(), Some("meta.serial"));
        assert_eq!(path_at(text, "vendr").as_deref(), Some("media[1].vendr"));
        assert_eq!(path_at(text, "\"b\"").as_deref(), Some("media[1].name"));
        assert_eq!(
            path_at(text, "\"bad\"").as_deref(),
            Some("network.lan[0].subnets[1]")
        );
        assert_eq!(path_at(text, "\n\n[network]"), None);
    }

    #[test]
    fn finds_keys_in_dotted_headers() {
        let text = "[network.foo]\nx = 1\n";
        assert_eq!(path_at(text, "foo").as_deref(), Some("network.foo"));
        assert_eq!(path_at(text, "[").as_deref(), Some("network.foo"));
    }
}
