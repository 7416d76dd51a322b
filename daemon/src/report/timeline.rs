//! The report's timeline of the whole covered period, drawn by plotters' SVG backend: one
//! lane each for boots (bars from first to last entry), airgapd's record (starts and stops),
//! USB devices (attaches) and network traces. The SVG goes inline into the page, so it is
//! part of what `verify` renders again and compares; plotters draws it the same every time.

use plotters::prelude::*;

use super::model::ReportDoc;
use crate::i18n::time::{date_at, date_time_at};
use crate::i18n::Catalog;
use crate::inspect::model::FindingId;
use crate::tr_in;

/// The lanes, top to bottom; `report-timeline-<id>` in the catalogs.
pub const LANES: &[&str] = &["boots", "airgapd", "devices", "network"];

const WIDTH: u32 = 720;
const HEIGHT: u32 = 230;

/// A mark on a lane: a bar from `from` to `to`, or a dot when they are equal (microseconds).
struct Mark {
    lane: usize,
    from: u64,
    to: u64,
    alarm: bool,
}

fn marks(doc: &ReportDoc) -> Vec<Mark> {
    let i = &doc.inspection;
    let mut out = Vec::new();
    for b in &i.boots {
        // A boot of minutes is no width over months: its start is a dot too.
        for to in [b.first_us, b.last_us] {
            out.push(Mark {
                lane: 0,
                from: b.first_us,
                to,
                alarm: !b.airgapd_started,
            });
        }
    }
    for e in &i.since_airgapd.entries {
        out.push(Mark {
            lane: 1,
            from: e.time_us,
            to: e.time_us,
            alarm: matches!(e.event.as_str(), "lift" | "tamper"),
        });
    }
    for d in &i.usb_devices {
        for t in [d.first_seen_us, d.last_seen_us] {
            out.push(Mark {
                lane: 2,
                from: t,
                to: t,
                alarm: d.approved_by.is_none(),
            });
        }
    }
    for f in i
        .findings
        .iter()
        .filter(|f| matches!(f.id, FindingId::Internet | FindingId::Network))
    {
        for e in &f.evidence {
            for t in [e.first_us, e.last_us].into_iter().flatten() {
                out.push(Mark {
                    lane: 3,
                    from: t,
                    to: t,
                    alarm: true,
                });
            }
        }
    }
    out
}

/// The timeline as an SVG document, or None when nothing in the report is dated.
pub fn svg(doc: &ReportDoc, c: &Catalog) -> Option<String> {
    let marks = marks(doc);
    let start = marks.iter().map(|m| m.from).min()?;
    let end = marks.iter().map(|m| m.to).max()?;
    // A day either side, so a single moment still has an axis.
    let pad = ((end - start) / 20).max(86_400_000_000);
    let (x0, x1) = (start.saturating_sub(pad) as f64, (end + pad) as f64);
    let offset = doc.header.utc_offset_s;
    // Under a week the days repeat on the axis: label with times.
    let short = x1 - x0 < 7.0 * 86_400_000_000.0;
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        area.fill(&WHITE).ok()?;
        let lanes = LANES.len() as f64;
        let mut chart = ChartBuilder::on(&area)
            .margin(6)
            .margin_right(36)
            .x_label_area_size(24)
            .y_label_area_size(110)
            .build_cartesian_2d(x0..x1, -0.5..lanes - 0.5)
            .ok()?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_labels(4)
            .y_labels(LANES.len())
            .x_label_formatter(&|x| {
                if short {
                    date_time_at(c, *x as u64, offset)
                } else {
                    date_at(c, *x as u64, offset)
                }
            })
            .y_label_formatter(&|y| {
                // Lane 0 is drawn at the top.
                let lane = (lanes - 1.0 - y).round();
                LANES
                    .get(lane as usize)
                    .filter(|_| (y - y.round()).abs() < 0.01)
                    .map(|id| tr_in!(c, &format!("report-timeline-{id}")))
                    .unwrap_or_default()
            })
            .label_style(("sans-serif", 12))
            .draw()
            .ok()?;
        let y = |lane: usize| lanes - 1.0 - lane as f64;
        let color = |alarm: bool| if alarm { RED } else { BLUE };
        chart
            .draw_series(marks.iter().filter(|m| m.to > m.from).map(|m| {
                Rectangle::new(
                    [
                        (m.from as f64, y(m.lane) - 0.25),
                        (m.to as f64, y(m.lane) + 0.25),
                    ],
                    color(m.alarm).mix(0.6).filled(),
                )
            }))
            .ok()?;
        chart
            .draw_series(
                marks
                    .iter()
                    .filter(|m| m.to == m.from)
                    .map(|m| Circle::new((m.from as f64, y(m.lane)), 3, color(m.alarm).filled())),
            )
            .ok()?;
        area.present().ok()?;
    }
    Some(out)
}

/// Message ids built at run time, for the catalog test.
pub fn runtime_ids() -> Vec<String> {
    LANES
        .iter()
        .map(|l| format!("report-timeline-{l}"))
        .collect()
}
