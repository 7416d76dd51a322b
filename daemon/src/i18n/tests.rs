//! The catalogs are complete and consistent: every message in both languages, with the same
//! placeables; every id the code asks for exists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};

use super::*;
use crate::tr_in;

/// What a translation must keep: per message (and `message.attribute`), the `$variables` and
/// the `-terms`/messages it refers to.
type Shape = BTreeMap<String, BTreeSet<String>>;

fn inline_refs(e: &InlineExpression<&str>, out: &mut BTreeSet<String>) {
    match e {
        InlineExpression::VariableReference { id } => {
            out.insert(format!("${}", id.name));
        }
        InlineExpression::MessageReference { id, attribute } => {
            out.insert(match attribute {
                Some(a) => format!("{}.{}", id.name, a.name),
                None => id.name.to_string(),
            });
        }
        InlineExpression::TermReference { id, arguments, .. } => {
            out.insert(format!("-{}", id.name));
            for a in arguments.iter().flat_map(|a| a.named.iter()) {
                inline_refs(&a.value, out);
            }
        }
        InlineExpression::FunctionReference { arguments, .. } => {
            for a in &arguments.positional {
                inline_refs(a, out);
            }
            for a in &arguments.named {
                inline_refs(&a.value, out);
            }
        }
        InlineExpression::Placeable { expression } => expr_refs(expression, out),
        InlineExpression::StringLiteral { .. } | InlineExpression::NumberLiteral { .. } => {}
    }
}

fn expr_refs(e: &Expression<&str>, out: &mut BTreeSet<String>) {
    match e {
        Expression::Inline(i) => inline_refs(i, out),
        Expression::Select { selector, variants } => {
            inline_refs(selector, out);
            for v in variants {
                pattern_refs(&v.value, out);
            }
        }
    }
}

fn pattern_refs(p: &Pattern<&str>, out: &mut BTreeSet<String>) {
    for el in &p.elements {
        if let PatternElement::Placeable { expression } = el {
            expr_refs(expression, out);
        }
    }
}

/// The shape of every message of one language, with parse errors as failures.
fn shape(lang: Lang, failures: &mut Vec<String>) -> Shape {
    let mut shape = Shape::new();
    for (file, text) in FILES.iter().zip(builtin(lang)) {
        let where_ = format!("packaging/locale/{}/{file}", lang.code());
        let resource = match fluent_syntax::parser::parse(text) {
            Ok(r) => r,
            Err((r, errors)) => {
                failures.push(format!("{where_}: syntax errors {errors:?}"));
                r
            }
        };
        for entry in &resource.body {
            let (id, value, attributes) = match entry {
                Entry::Message(m) => (m.id.name.to_string(), m.value.as_ref(), &m.attributes),
                Entry::Term(t) => (format!("-{}", t.id.name), Some(&t.value), &t.attributes),
                Entry::Junk { content } => {
                    failures.push(format!("{where_}: cannot parse {content:?}"));
                    continue;
                }
                _ => continue,
            };
            let mut refs = BTreeSet::new();
            if let Some(v) = value {
                pattern_refs(v, &mut refs);
            }
            if shape.insert(id.clone(), refs).is_some() {
                failures.push(format!("{where_}: {id} is defined twice"));
            }
            for a in attributes {
                let mut refs = BTreeSet::new();
                pattern_refs(&a.value, &mut refs);
                shape.insert(format!("{id}.{}", a.id.name), refs);
            }
        }
    }
    shape
}

#[test]
fn every_message_is_in_both_languages_with_the_same_placeables() {
    let mut failures = Vec::new();
    let en = shape(Lang::En, &mut failures);
    let vi = shape(Lang::Vi, &mut failures);
    for (id, refs) in &en {
        match vi.get(id) {
            None => failures.push(format!("{id}: no Vietnamese entry (packaging/locale/vi)")),
            Some(vi_refs) if vi_refs != refs => failures.push(format!(
                "{id}: English uses {refs:?}, Vietnamese {vi_refs:?}"
            )),
            Some(_) => {}
        }
    }
    for id in vi.keys().filter(|id| !en.contains_key(*id)) {
        failures.push(format!("{id}: no English entry (packaging/locale/en)"));
    }
    // A refusal sentence gets exactly what ViolationEntry::sentence_by gives it: a message of a
    // new kind written with another placeable ($uid) renders with an error.
    let given: BTreeSet<String> = ["$pid", "$target", "$comm", "$user"]
        .map(String::from)
        .into();
    for (id, refs) in &en {
        let helper = ["refusal-folded", "refusal-user", "refusal-user-named"];
        if id.starts_with("refusal-") && !helper.contains(&id.as_str()) && !refs.is_subset(&given) {
            failures.push(format!(
                "{id}: uses {refs:?}; a refusal is given only {given:?}"
            ));
        }
    }
    // Every reference inside a message must exist.
    for (id, refs) in &en {
        for r in refs.iter().filter(|r| !r.starts_with('$')) {
            if !en.contains_key(r) {
                failures.push(format!("{id}: refers to {r}, which does not exist"));
            }
        }
    }
    assert!(failures.is_empty(), "catalogs:\n{}", failures.join("\n"));
}

/// The ids in `tr!("...")` and `tr_in!(catalog, "...")` calls of this crate's sources.
fn ids_used_in(dir: &Path, out: &mut BTreeSet<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            ids_used_in(&path, out);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for start in ["tr!(", "tr_in!("] {
            for (at, _) in text.match_indices(start) {
                // The id is the first string literal, after at most a catalog expression.
                let rest = &text[at + start.len()..];
                let Some((before, after)) = rest.split_once('"') else {
                    continue;
                };
                let plain = |c: char| c.is_alphanumeric() || " \n\t,&._()".contains(c);
                if !before.chars().all(plain) || (start == "tr!(" && !before.trim().is_empty()) {
                    continue;
                }
                if let Some(id) = after.split('"').next() {
                    if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                        out.insert((id.to_string(), path.display().to_string()));
                    }
                }
            }
        }
    }
}

#[test]
fn every_id_the_code_asks_for_exists() {
    let mut used = BTreeSet::new();
    ids_used_in(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut used,
    );
    assert!(used.len() > 20, "found only {used:?}");
    let en = Catalog::new(Lang::En, None);
    let vi = Catalog::new(Lang::Vi, None);
    let missing: Vec<String> = used
        .iter()
        .filter(|(id, _)| !en.has(id) || !vi.has(id))
        .map(|(id, file)| format!("{file}: {id}"))
        .collect();
    assert!(missing.is_empty(), "ids without a message: {missing:?}");
}

#[test]
fn the_locale_variables_choose_the_language() {
    for (locale, lang) in [
        ("vi_VN.UTF-8", Lang::Vi),
        ("vi", Lang::Vi),
        ("vi_VN@tcvn", Lang::Vi),
        ("en_US.UTF-8", Lang::En),
        ("C", Lang::En),
        ("POSIX", Lang::En),
        ("de_DE.UTF-8", Lang::En),
        ("video", Lang::En),
    ] {
        assert_eq!(Lang::from_locale(locale), lang, "{locale}");
    }
}

#[test]
fn vietnamese_dates_are_day_month_year() {
    let vi = Catalog::new(Lang::Vi, None);
    let en = Catalog::new(Lang::En, None);
    // 2026-11-24 12:00 UTC is the 24th in every time zone.
    let t = 1_795_521_600_000_000;
    assert_eq!(time::date(&vi, t), "24/11/2026");
    assert_eq!(time::date(&en, t), "2026-11-24");
    assert!(time::date_time(&vi, t).starts_with("24/11/2026 "));
}

#[test]
fn an_installed_file_overrides_and_english_fills_gaps() {
    let dir = std::env::temp_dir().join(format!("airgapd-i18n-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("vi")).unwrap();
    std::fs::write(dir.join("vi/common.ftl"), "date = ngày { $day }\n").unwrap();
    let vi = Catalog::new(Lang::Vi, Some(&dir));
    assert_eq!(tr_in!(vi, "date", day = "24"), "ngày 24");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn wrapping_keeps_words_and_indents() {
    let text = "một hai ba bốn năm sáu bảy tám chín mười";
    let w = wrap(text, 16, 4);
    assert_eq!(w, "một hai ba bốn\n    năm sáu bảy\n    tám chín\n    mười");
    assert!(w.lines().all(|l| width(l) <= 16));
    let long = "sha256 0123456789abcdef0123456789abcdef";
    assert_eq!(
        wrap(long, 20, 2),
        "sha256\n  0123456789abcdef0123456789abcdef"
    );
}
