//! The office summary of `report merge`, rendered: `summary.html` (A4 landscape, inline CSS)
//! and `summary.csv` (UTF-8, the same columns), words from the catalogs.

use maud::{html, PreEscaped, DOCTYPE};

use super::merge::{Row, Summary};
use crate::i18n::time::date_time_at;
use crate::i18n::{Catalog, Lang};
use crate::tr_in;

const CSS: &str = "\
@page { size: A4 landscape; margin: 12mm; }
body { font-family: 'airgapd-report', 'DejaVu Sans', 'Noto Sans', Arial, sans-serif; font-size: 8.5pt; }
h1 { font-size: 13pt; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 0.6pt solid #444; padding: 2pt 3pt; text-align: left; vertical-align: top; }
tr { break-inside: avoid; }
th { background: #eee; }
.bad { font-weight: bold; background: #fbdcdc; }
.mono { font-family: 'DejaVu Sans Mono', monospace; overflow-wrap: anywhere; }
";

/// The column ids, in order; `merge-col-<id>` in the catalogs.
pub const COLUMNS: &[&str] = &[
    "report", "status", "machine", "date", "policy", "findings", "refusals", "register", "record",
    "key",
];

/// One row's cells, as text, in [`COLUMNS`] order.
fn cells(c: &Catalog, r: &Row, newest: Option<u64>) -> Vec<String> {
    let status = match (&r.error, r.diverges_from.is_empty()) {
        (Some(e), _) => tr_in!(c, "merge-not-verified", error = e.clone()),
        (None, false) => tr_in!(c, "merge-diverges", others = r.diverges_from.join(", ")),
        (None, true) => tr_in!(c, "merge-verified"),
    };
    let machine = format!(
        "{} {}",
        r.hostname.clone().unwrap_or_default(),
        r.machine_id.clone().unwrap_or_else(|| "-".into())
    );
    let date = r
        .created_at_us
        .map_or_else(|| "-".into(), |t| date_time_at(c, t, r.utc_offset_s));
    let mut policy = match (&r.policy_id, r.policy_serial) {
        (Some(id), Some(s)) => format!("{id} #{s}"),
        _ => "-".into(),
    };
    if r.policy_outdated {
        policy = tr_in!(
            c,
            "merge-policy-outdated",
            policy = policy,
            newest = newest.unwrap_or(0)
        );
    }
    let findings = if r.found.is_empty() {
        tr_in!(c, "merge-findings-none")
    } else {
        let names: Vec<String> = r
            .found
            .iter()
            .map(|f| tr_in!(c, &format!("inspect-question-{f}")))
            .collect();
        names.join(" ")
    };
    let record = format!(
        "{}:{}",
        r.record_seq,
        r.record_chain.clone().unwrap_or_else(|| "-".into())
    );
    vec![
        r.dir.clone(),
        status,
        machine.trim().to_string(),
        date,
        policy,
        findings,
        r.refusals.to_string(),
        r.register_entries.to_string(),
        record,
        r.key_fingerprint.clone().unwrap_or_else(|| "-".into()),
    ]
}

/// `summary.html`, with the font file `font` inside.
pub fn html(s: &Summary, lang: Lang, font: &[u8]) -> String {
    let c = Catalog::new(lang, None);
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                title { (tr_in!(c, "merge-title")) }
                style { (PreEscaped(super::html::font_face(font))) (PreEscaped(CSS)) }
            }
            body {
                h1 { (tr_in!(c, "merge-title")) }
                p { (tr_in!(c, "merge-counts", reports = s.rows.len(), bad = bad(s))) }
                table {
                    tr { @for col in COLUMNS { th { (tr_in!(c, &format!("merge-col-{col}"))) } } }
                    @for r in &s.rows {
                        @let cells = cells(&c, r, s.newest_serial);
                        tr {
                            td.mono { (cells[0]) }
                            td.bad[!r.verified || !r.diverges_from.is_empty()] { (cells[1]) }
                            td.mono { (cells[2]) }
                            td { (cells[3]) }
                            td.bad[r.policy_outdated] { (cells[4]) }
                            td.bad[!r.found.is_empty()] { (cells[5]) }
                            td { (cells[6]) }
                            td { (cells[7]) }
                            td.mono { (cells[8]) }
                            td.mono { (cells[9]) }
                        }
                    }
                }
            }
        }
    }
    .into_string()
}

/// A CSV field, quoted when it must be (RFC 4180).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// `summary.csv`: a header line, then a line per row.
pub fn csv(s: &Summary, lang: Lang) -> String {
    let c = Catalog::new(lang, None);
    let mut out = String::new();
    let header: Vec<String> = COLUMNS
        .iter()
        .map(|col| field(&tr_in!(c, &format!("merge-col-{col}"))))
        .collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for r in &s.rows {
        let line: Vec<String> = cells(&c, r, s.newest_serial)
            .iter()
            .map(|t| field(t))
            .collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// `summary.pdf`: a block per report (the same cells as the table, label beside value), on A4
/// in the font `font`.
pub fn pdf(s: &Summary, lang: Lang, font: &std::path::Path) -> Result<Vec<u8>, super::ReportError> {
    use super::pdf::Block;
    let c = Catalog::new(lang, None);
    let title = tr_in!(c, "merge-title");
    let mut blocks = vec![
        Block::Title(title.clone()),
        Block::Para(tr_in!(
            c,
            "merge-counts",
            reports = s.rows.len(),
            bad = bad(s)
        )),
    ];
    for r in &s.rows {
        let cells = cells(&c, r, s.newest_serial);
        blocks.push(Block::Heading(cells[0].clone()));
        for (col, cell) in COLUMNS.iter().zip(&cells).skip(1) {
            blocks.push(Block::Row(
                tr_in!(c, &format!("merge-col-{col}")),
                cell.clone(),
            ));
        }
    }
    super::pdf::typeset(&blocks, &title, font)
}

/// How many reports do not verify or contradict another.
pub fn bad(s: &Summary) -> usize {
    s.rows
        .iter()
        .filter(|r| !r.verified || !r.diverges_from.is_empty())
        .count()
}

/// Message ids built at run time, for the catalog test.
pub fn runtime_ids() -> Vec<String> {
    COLUMNS.iter().map(|c| format!("merge-col-{c}")).collect()
}
