//! A device decision's reason in the reader's language (issue 18): the daemon's
//! [`ReasonRef`] through the catalog (`reason-*`, USB categories through `usb-category-*`),
//! or the daemon's English sentence when there is none or the catalog lacks a key.

use super::{Args, Catalog};
use crate::devices::reason::{ReasonRef, CATEGORIES_SUFFIX};
use crate::tr_in;

/// `reason_ref` (as encoded in records and on D-Bus) in `cat`'s language; `english` when it
/// cannot be rendered.
pub fn reason_words_in(cat: &Catalog, reason_ref: &str, english: &str) -> String {
    let Some(r) = ReasonRef::decode(reason_ref) else {
        return english.to_string();
    };
    let id = format!("reason-{}", r.key);
    if !cat.has(&id) {
        return english.to_string();
    }
    // "a, b and c", as the daemon joins them.
    let words = |keys: &str| -> Option<String> {
        let mut out = Vec::new();
        for key in keys.split(',').filter(|k| !k.is_empty()) {
            let id = format!("usb-category-{key}");
            if !cat.has(&id) {
                return None; // a category this client does not know: the daemon's words
            }
            out.push(cat.text(&id, None));
        }
        out.dedup();
        Some(match out.split_last() {
            None => String::new(),
            Some((last, [])) => last.clone(),
            Some((last, rest)) => tr_in!(
                cat,
                "reason-list-and",
                rest = rest.join(", "),
                last = last.as_str()
            ),
        })
    };
    let mut args = Args::new();
    let mut also = None;
    for (name, value) in &r.args {
        match name.strip_suffix(CATEGORIES_SUFFIX) {
            Some(base) => {
                let Some(text) = words(value) else {
                    return english.to_string();
                };
                if base == "also" {
                    also = Some(text);
                    continue;
                }
                args.set_named(format!("{base}_key"), value.clone());
                args.set_named(base.to_string(), text);
            }
            None => args.set_named(name.clone(), value.clone()),
        }
    }
    let mut text = cat.text(&id, Some(&args));
    if let Some(also) = also {
        text.push_str(&tr_in!(cat, "reason-also", also = also));
    }
    text
}
