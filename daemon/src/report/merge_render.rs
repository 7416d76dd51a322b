//! The office summary of `report merge`, rendered: `summary.html` (A4 landscape, inline CSS)
//! and `summary.csv` (UTF-8, the same columns), words from the catalogs. A row from the log
//! host's journal says so in its status; what the log host says of a reported machine stays
//! in its own column ("log host"), apart from what the PC signed.

use maud::{html, PreEscaped, DOCTYPE};

use super::merge::{Row, Source, Summary};
use super::merge_log::LogView;
use crate::i18n::time::{date_time_at, utc_offset_s};
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
.log { font-style: italic; }
";

/// The column ids, in order; `merge-col-<id>` in the catalogs.
pub const COLUMNS: &[&str] = &[
    "report", "status", "machine", "date", "policy", "findings", "refusals", "register", "record",
    "key", "loghost",
];

/// What the log host's journal says of one machine, marked as not signed.
fn log_cell(c: &Catalog, v: &LogView) -> String {
    if v.missing {
        return tr_in!(c, "merge-log-never", name = v.name.clone());
    }
    let last = v
        .last_us
        .map_or_else(|| "-".into(), |t| date_time_at(c, t, utc_offset_s(t)));
    tr_in!(
        c,
        "merge-log-view",
        name = v.name.clone(),
        entries = v.entries,
        last = last,
        refusals = v.refusals,
        lost = v.isolation_lost
    )
}

/// The log host's findings about one machine.
fn log_findings(c: &Catalog, v: &LogView, hours: u64) -> Option<String> {
    if v.missing {
        Some(tr_in!(c, "merge-log-missing", name = v.name.clone()))
    } else if v.silent {
        let last = v
            .last_us
            .map_or_else(|| "-".into(), |t| date_time_at(c, t, utc_offset_s(t)));
        Some(tr_in!(
            c,
            "merge-log-silent",
            name = v.name.clone(),
            last = last,
            hours = hours
        ))
    } else {
        None
    }
}

/// One row's cells, as text, in [`COLUMNS`] order.
fn cells(c: &Catalog, r: &Row, s: &Summary) -> Vec<String> {
    let newest = s.newest_serial;
    let hours = s.silent_after.as_ref().map_or(0, |l| l.hours);
    let status = match (r.source, &r.error, r.diverges_from.is_empty()) {
        (Source::LogHost, _, _) => tr_in!(c, "merge-log-row"),
        (Source::Report, Some(e), _) => tr_in!(c, "merge-not-verified", error = e.clone()),
        (Source::Report, None, false) => {
            tr_in!(c, "merge-diverges", others = r.diverges_from.join(", "))
        }
        (Source::Report, None, true) => tr_in!(c, "merge-verified"),
    };
    let report = match (r.source, r.log_host.first()) {
        (Source::LogHost, Some(v)) => tr_in!(
            c,
            "merge-log-source",
            dir = v.dir.clone(),
            name = v.name.clone()
        ),
        _ => r.dir.clone(),
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
    let mut names: Vec<String> = r
        .found
        .iter()
        .map(|f| tr_in!(c, &format!("inspect-question-{f}")))
        .collect();
    names.extend(r.log_host.iter().filter_map(|v| log_findings(c, v, hours)));
    let findings = if names.is_empty() {
        tr_in!(c, "merge-findings-none")
    } else {
        names.join(" ")
    };
    let dash = |text: String| {
        if r.source == Source::LogHost {
            "-".into()
        } else {
            text
        }
    };
    let log: Vec<String> = r.log_host.iter().map(|v| log_cell(c, v)).collect();
    let record = format!(
        "{}:{}",
        r.record_seq,
        r.record_chain.clone().unwrap_or_else(|| "-".into())
    );
    vec![
        report,
        status,
        machine.trim().to_string(),
        date,
        policy,
        findings,
        r.refusals.to_string(),
        dash(r.register_entries.to_string()),
        dash(record),
        r.key_fingerprint.clone().unwrap_or_else(|| "-".into()),
        if log.is_empty() {
            "-".into()
        } else {
            log.join(" ")
        },
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
                @for line in counts(&c, s) { p { (line) } }
                table {
                    tr { @for col in COLUMNS { th { (tr_in!(c, &format!("merge-col-{col}"))) } } }
                    @for r in &s.rows {
                        @let cells = cells(&c, r, s);
                        @let log_row = r.source == Source::LogHost;
                        tr {
                            td.mono { (cells[0]) }
                            td.bad[is_bad(r)].log[log_row] { (cells[1]) }
                            td.mono { (cells[2]) }
                            td { (cells[3]) }
                            td.bad[r.policy_outdated] { (cells[4]) }
                            td.bad[!r.found.is_empty() || r.log_finding()] { (cells[5]) }
                            td { (cells[6]) }
                            td { (cells[7]) }
                            td.mono { (cells[8]) }
                            td.mono { (cells[9]) }
                            td.log { (cells[10]) }
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
        let line: Vec<String> = cells(&c, r, s).iter().map(|t| field(t)).collect();
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
    let mut blocks = vec![Block::Title(title.clone())];
    blocks.extend(counts(&c, s).into_iter().map(Block::Para));
    for r in &s.rows {
        let cells = cells(&c, r, s);
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

/// Whether a report does not verify or contradicts another.
fn is_bad(r: &Row) -> bool {
    r.source == Source::Report && (!r.verified || !r.diverges_from.is_empty())
}

/// How many reports do not verify or contradict another.
pub fn bad(s: &Summary) -> usize {
    s.rows.iter().filter(|r| is_bad(r)).count()
}

/// The lines above the table: the reports' counts, then what the log hosts gave.
pub fn counts(c: &Catalog, s: &Summary) -> Vec<String> {
    let mut lines = vec![tr_in!(
        c,
        "merge-counts",
        reports = s.reports().count(),
        bad = bad(s)
    )];
    if let Some(limit) = &s.silent_after {
        let views = s.rows.iter().flat_map(|r| &r.log_host);
        let (mut seen, mut silent, mut missing) = (0usize, 0usize, 0usize);
        for v in views {
            seen += usize::from(!v.missing);
            silent += usize::from(v.silent);
            missing += usize::from(v.missing);
        }
        lines.push(tr_in!(
            c,
            "merge-log-counts",
            machines = seen,
            dirs = s.journal_dirs.join(", "),
            silent = silent,
            missing = missing
        ));
        lines.push(limit.describe(c));
    }
    lines
}

/// Message ids built at run time, for the catalog test.
pub fn runtime_ids() -> Vec<String> {
    COLUMNS.iter().map(|c| format!("merge-col-{c}")).collect()
}
