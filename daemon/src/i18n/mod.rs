//! Words for people, in the reader's language: Project Fluent catalogs (`packaging/locale/<lang>/
//! *.ftl`), Vietnamese and English, English as the fallback. How to add a string:
//! docs/translations.md.
//!
//! The catalogs are compiled into every binary, so a program never speaks without words; the
//! package also installs them under [`crate::paths::LOCALE_DIR`], and a message found there
//! replaces the built-in one (a correction needs no rebuild). A message missing from the
//! reader's language falls back to English, never to nothing; a test fails the build when the
//! two languages do not have the same messages with the same placeables.
//!
//! Code asks for whole sentences by id with named values ([`tr!`]); it never glues sentences
//! out of translated fragments.

mod lang;
pub mod reason;
pub mod time;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

pub use lang::Lang;

/// The catalog files, in every language: one per program area.
pub const FILES: &[&str] = &[
    "common.ftl",
    "airgapctl.ftl",
    "airgapd.ftl",
    "notify.ftl",
    "journal.ftl",
    "inspect.ftl",
    "report.ftl",
];

/// The built-in text of `FILES` for one language, in the same order.
fn builtin(lang: Lang) -> [&'static str; 7] {
    macro_rules! files {
        ($dir:literal) => {
            [
                include_str!(concat!("../../../packaging/locale/", $dir, "/common.ftl")),
                include_str!(concat!(
                    "../../../packaging/locale/",
                    $dir,
                    "/airgapctl.ftl"
                )),
                include_str!(concat!("../../../packaging/locale/", $dir, "/airgapd.ftl")),
                include_str!(concat!("../../../packaging/locale/", $dir, "/notify.ftl")),
                include_str!(concat!("../../../packaging/locale/", $dir, "/journal.ftl")),
                include_str!(concat!("../../../packaging/locale/", $dir, "/inspect.ftl")),
                include_str!(concat!("../../../packaging/locale/", $dir, "/report.ftl")),
            ]
        };
    }
    match lang {
        Lang::En => files!("en"),
        Lang::Vi => files!("vi"),
    }
}

/// Named values for a message: `$name` in the catalog.
#[derive(Default)]
pub struct Args(FluentArgs<'static>);

impl Args {
    /// No values yet.
    pub fn new() -> Args {
        Args::default()
    }

    /// Set `$name`.
    pub fn set(&mut self, name: &'static str, value: impl Arg) {
        self.0.set(name, value.into_value());
    }

    /// Set `$name`, a name known only at run time (a reason's arguments).
    pub fn set_named(&mut self, name: String, value: impl Arg) {
        self.0.set(name, value.into_value());
    }
}

/// What a catalog value can be made of. Integers stay numbers (so that plural selectors work)
/// while an f64, which Fluent uses, holds them exactly; larger ones are passed as text.
pub trait Arg {
    /// The Fluent value.
    fn into_value(self) -> FluentValue<'static>;
}

impl Arg for String {
    fn into_value(self) -> FluentValue<'static> {
        FluentValue::from(self)
    }
}

impl Arg for &str {
    fn into_value(self) -> FluentValue<'static> {
        FluentValue::from(self.to_string())
    }
}

impl Arg for &String {
    fn into_value(self) -> FluentValue<'static> {
        FluentValue::from(self.clone())
    }
}

macro_rules! integer_arg {
    ($($t:ty)+) => {$(
        impl Arg for $t {
            fn into_value(self) -> FluentValue<'static> {
                // 2^53: the largest integer an f64 holds exactly.
                match i64::try_from(self) {
                    Ok(n) if n.unsigned_abs() <= 1 << 53 => FluentValue::from(n),
                    _ => FluentValue::from(self.to_string()),
                }
            }
        }
    )+};
}
integer_arg!(u8 u16 u32 u64 usize i32 i64);

/// One language's messages, with English behind them.
pub struct Catalog {
    lang: Lang,
    bundle: FluentBundle<FluentResource>,
    english: Option<FluentBundle<FluentResource>>,
}

impl Catalog {
    /// The built-in catalogs of `lang`, with the installed files in `dir` (if any) over them.
    pub fn new(lang: Lang, dir: Option<&Path>) -> Catalog {
        let english = (lang != Lang::En).then(|| bundle(Lang::En, dir));
        Catalog {
            lang,
            bundle: bundle(lang, dir),
            english,
        }
    }

    /// The language of this catalog.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The message `id` with `args`; English when this language lacks it, the id itself when
    /// no language has it (a test keeps that from shipping).
    pub fn text(&self, id: &str, args: Option<&Args>) -> String {
        for bundle in std::iter::once(&self.bundle).chain(self.english.as_ref()) {
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, args.map(|a| &a.0), &mut errors);
                debug_assert!(errors.is_empty(), "message {id}: {errors:?}");
                return text.into_owned();
            }
        }
        debug_assert!(false, "no message {id} in any catalog");
        id.to_string()
    }

    /// Whether `id` exists in this language (not counting the English fallback).
    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id)
    }
}

/// The bundle of `lang`: built-in resources, then the installed files overriding them.
fn bundle(lang: Lang, dir: Option<&Path>) -> FluentBundle<FluentResource> {
    let mut bundle = FluentBundle::new_concurrent(vec![lang.id()]);
    // Unicode isolation marks would count as characters on a terminal and end up in CSV.
    bundle.set_use_isolating(false);
    for text in builtin(lang) {
        let resource = FluentResource::try_new(text.to_string())
            .unwrap_or_else(|(_, e)| panic!("built-in {} catalog: {e:?}", lang.code()));
        if let Err(e) = bundle.add_resource(resource) {
            panic!("built-in {} catalog: {e:?}", lang.code());
        }
    }
    let Some(dir) = dir else { return bundle };
    for file in FILES {
        let path = dir.join(lang.code()).join(file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        // A damaged installed file must not silence the program: keep what parsed, say so.
        let resource = match FluentResource::try_new(text) {
            Ok(r) => r,
            Err((r, errors)) => {
                tracing::warn!(file = %path.display(), ?errors, "catalog file has errors");
                r
            }
        };
        bundle.add_resource_overriding(resource);
    }
    bundle
}

/// The catalog of the reader's language (from the locale variables), made on first use.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG
        .get_or_init(|| Catalog::new(Lang::from_env(), Some(Path::new(crate::paths::LOCALE_DIR))))
}

/// The message `id` in the reader's language.
pub fn text(id: &str, args: Option<&Args>) -> String {
    catalog().text(id, args)
}

/// A message from the reader's catalog: `tr!(ID)` or `tr!(ID, name = value, ...)` with ID a
/// string literal, each `name` a `$name` of the message and each value text or an integer.
#[macro_export]
macro_rules! tr {
    ($id:literal) => {
        $crate::i18n::text($id, None)
    };
    ($id:literal, $($name:ident = $value:expr),+ $(,)?) => {{
        let mut args = $crate::i18n::Args::new();
        $( args.set(stringify!($name), $value); )+
        $crate::i18n::text($id, Some(&args))
    }};
}

/// A message from a given catalog (tests, and programs that choose the language themselves).
#[macro_export]
macro_rules! tr_in {
    ($catalog:expr, $id:expr) => {
        $catalog.text($id, None)
    };
    ($catalog:expr, $id:expr, $($name:ident = $value:expr),+ $(,)?) => {{
        let mut args = $crate::i18n::Args::new();
        $( args.set(stringify!($name), $value); )+
        $catalog.text($id, Some(&args))
    }};
}

/// Display width of `s` on a terminal: characters, not counting combining marks (a decomposed
/// Vietnamese letter is one column).
pub fn width(s: &str) -> usize {
    s.chars()
        .filter(|c| !matches!(*c as u32, 0x0300..=0x036F | 0x200B..=0x200F))
        .count()
}

/// `text` wrapped at word boundaries to `columns`, continuation lines indented by `indent`
/// spaces (the first line keeps its own leading spaces); a word longer than a line (a hash, a
/// path) stands alone on its line.
pub fn wrap(text: &str, columns: usize, indent: usize) -> String {
    let lead = text.len() - text.trim_start_matches(' ').len();
    let mut out = String::new();
    let mut line = " ".repeat(lead);
    let mut words_on_line = 0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let limit = if out.is_empty() {
            columns
        } else {
            columns - indent
        };
        if words_on_line > 0 && width(&line) + 1 + width(word) > limit {
            push_line(&mut out, &line, indent);
            line.clear();
            words_on_line = 0;
        }
        if words_on_line > 0 {
            line.push(' ');
        }
        line.push_str(word);
        words_on_line += 1;
    }
    if words_on_line > 0 || out.is_empty() {
        push_line(&mut out, &line, indent);
    }
    out.pop();
    out
}

fn push_line(out: &mut String, line: &str, indent: usize) {
    if !out.is_empty() {
        out.push_str(&" ".repeat(indent));
    }
    out.push_str(line);
    out.push('\n');
}
