//! Refusals per week, from the machine record's daily summaries (what the daemon counted and
//! wrote each day), as a bar chart drawn by plotters' SVG backend, inline in the page.

use std::collections::BTreeMap;

use plotters::prelude::*;

use super::model::ReportDoc;
use crate::i18n::time::date_at;
use crate::i18n::Catalog;

const WIDTH: u32 = 720;
const HEIGHT: u32 = 200;
const DAY_US: u64 = 86_400_000_000;
const WEEK_US: u64 = 7 * DAY_US;

/// Refusals summed by week (the Monday it starts on, 00:00 at the report's offset, in
/// microseconds), from the record's `summary` lines.
pub fn by_week(doc: &ReportDoc) -> BTreeMap<u64, u64> {
    let offset_us = i64::from(doc.header.utc_offset_s) * 1_000_000;
    let mut weeks = BTreeMap::new();
    for e in &doc.inspection.since_airgapd.entries {
        let Some(counts) = e.refusals.as_ref().filter(|_| e.event == "summary") else {
            continue;
        };
        let local = e.time_us.saturating_add_signed(offset_us);
        // 1970-01-01 was a Thursday: Mondays are 4 days after a multiple of a week.
        let monday = (local + 3 * DAY_US) / WEEK_US * WEEK_US - 3 * DAY_US;
        let start = monday.saturating_add_signed(-offset_us);
        *weeks.entry(start).or_insert(0) += counts.values().sum::<u64>();
    }
    weeks
}

/// The chart as an SVG document, or None when the record holds no daily summary.
pub fn svg(doc: &ReportDoc, c: &Catalog) -> Option<String> {
    let weeks = by_week(doc);
    let (first, last) = (*weeks.keys().next()?, *weeks.keys().next_back()?);
    let top = weeks.values().copied().max()?.max(1);
    let offset = doc.header.utc_offset_s;
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        area.fill(&WHITE).ok()?;
        let x0 = first as f64 - WEEK_US as f64 * 0.6;
        let x1 = last as f64 + WEEK_US as f64 * 1.6;
        let mut chart = ChartBuilder::on(&area)
            .margin(6)
            .margin_right(36)
            .x_label_area_size(24)
            .y_label_area_size(50)
            .build_cartesian_2d(x0..x1, 0.0..top as f64 * 1.3)
            .ok()?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            // Each bar is labelled with its own Monday; axis ticks would fall between them.
            .x_labels(0)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style(("sans-serif", 12))
            .draw()
            .ok()?;
        chart
            .draw_series(weeks.iter().map(|(&start, &n)| {
                let from = start as f64 + WEEK_US as f64 * 0.1;
                let to = start as f64 + WEEK_US as f64 * 0.9;
                Rectangle::new([(from, 0.0), (to, n as f64)], RED.mix(0.6).filled())
            }))
            .ok()?;
        chart
            .draw_series(weeks.iter().map(|(&start, &n)| {
                Text::new(
                    format!("{}: {n}", date_at(c, start, offset)),
                    (start as f64, n as f64 + top as f64 * 0.12),
                    ("sans-serif", 11),
                )
            }))
            .ok()?;
        area.present().ok()?;
    }
    Some(out)
}
