//! Browser history: Firefox's `places.sqlite` and Chromium's and Chrome's `History`, of root
//! and of every user under `/home`. Only counts and dates are read (visits to http and https
//! pages, the first and the last), never an address: the officer learns that the browser was
//! used for the web and when, not what was read. The files are SQLite databases, read through
//! [`super::sqlite`] (read-only, immutable).

use std::path::Path;

use super::model::{FindingId, SourceReport};
use super::root::Root;
use super::sqlite;
use super::Folder;

/// Chromium's clock starts on 1601-01-01: microseconds from there to the Unix epoch.
const WINDOWS_EPOCH_OFFSET_US: i64 = 11_644_473_600_000_000;

/// Firefox: visits of http(s) pages, microseconds since the Unix epoch.
const FIREFOX_QUERY: &str = "SELECT count(*), coalesce(min(v.visit_date),0), coalesce(max(v.visit_date),0) FROM moz_historyvisits v JOIN moz_places p ON p.id = v.place_id WHERE p.url LIKE 'http%';";

/// Chromium: visits of http(s) pages, microseconds since 1601.
const CHROMIUM_QUERY: &str = "SELECT count(*), coalesce(min(v.visit_time),0), coalesce(max(v.visit_time),0) FROM visits v JOIN urls u ON u.id = v.url WHERE u.url LIKE 'http%';";

/// A history database inside the root, with its browser and owner.
struct Db {
    user: String,
    browser: &'static str,
    inside: String,
}

/// Every history database of the root.
fn databases(root: &Root) -> Vec<Db> {
    let mut homes = vec![("root".to_string(), "/root".to_string())];
    if let Ok(Some(users)) = root.list("/home") {
        homes.extend(users.into_iter().map(|u| (u.clone(), format!("/home/{u}"))));
    }
    let mut out = Vec::new();
    for (user, home) in homes {
        let firefox = format!("{home}/.mozilla/firefox");
        for profile in root.list(&firefox).ok().flatten().unwrap_or_default() {
            let inside = format!("{firefox}/{profile}/places.sqlite");
            if root.resolve(&inside).is_some_and(|p| p.is_file()) {
                out.push(Db {
                    user: user.clone(),
                    browser: "firefox",
                    inside,
                });
            }
        }
        for (browser, dir) in [("chromium", "chromium"), ("chrome", "google-chrome")] {
            let base = format!("{home}/.config/{dir}");
            for profile in root.list(&base).ok().flatten().unwrap_or_default() {
                let inside = format!("{base}/{profile}/History");
                if root.resolve(&inside).is_some_and(|p| p.is_file()) {
                    out.push(Db {
                        user: user.clone(),
                        browser,
                        inside,
                    });
                }
            }
        }
    }
    out
}

/// (visits, first, last) in raw units, or why not.
fn query(path: &Path, sql: &str) -> Result<(u64, i64, i64), String> {
    let rows = sqlite::rows(path, sql)?;
    let row = rows.first().ok_or("no answer")?;
    let num = |i: usize| row.get(i).and_then(|v| v.trim().parse::<i64>().ok());
    match (num(0), num(1), num(2)) {
        (Some(n), Some(first), Some(last)) => Ok((u64::try_from(n).unwrap_or(0), first, last)),
        _ => Err(format!("unexpected answer {row:?}")),
    }
}

/// The source `browsers`.
pub fn read(root: &Root, fold: &mut Folder) -> SourceReport {
    let mut src = SourceReport::new("browsers");
    src.paths = vec![
        "~/.mozilla/firefox/*/places.sqlite".into(),
        "~/.config/chromium/*/History".into(),
        "~/.config/google-chrome/*/History".into(),
    ];
    for db in databases(root) {
        src.exists = true;
        let Some(path) = root.resolve(&db.inside) else {
            continue;
        };
        let (sql, offset) = match db.browser {
            "firefox" => (FIREFOX_QUERY, 0),
            _ => (CHROMIUM_QUERY, WINDOWS_EPOCH_OFFSET_US),
        };
        let (visits, first, last) = match query(&path, sql) {
            Ok(v) => v,
            Err(e) => {
                src.problems.push(format!("{}: {e}", db.inside));
                continue;
            }
        };
        if visits == 0 {
            continue;
        }
        let at = |t: i64| {
            u64::try_from(t.checked_sub(offset)?)
                .ok()
                .filter(|&t| t > 0)
        };
        let (first, last) = (at(first), at(last));
        src.records += visits;
        if let Some(t) = first {
            src.date(t);
        }
        if let Some(t) = last {
            src.date(t);
        }
        let subject = format!("{} ({})", db.user, db.browser);
        fold.add_many(
            FindingId::Network,
            "browsers",
            "browser-history",
            subject.clone(),
            visits,
            first,
            &db.inside,
        );
        // The fold keeps the first time; give it the last too.
        fold.add_many(
            FindingId::Network,
            "browsers",
            "browser-history",
            subject,
            0,
            last,
            &db.inside,
        );
    }
    src
}
