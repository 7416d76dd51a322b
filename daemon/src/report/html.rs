//! `report.html`: one self-contained page for A4 printing (inline CSS, no script, no link
//! out), rendered from the report's model alone, in the model's language, with the built-in
//! catalogs only: the same `report.json` renders byte for byte the same page on any machine
//! (`verify` relies on it), whatever that machine's zone, locale or installed catalogs.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::model::ReportDoc;
use crate::i18n::time::date_time_at;
use crate::i18n::{Catalog, Lang};
use crate::inspect::model::{Answer, Evidence, Finding};
use crate::tr_in;

/// The page's style: A4 with margins, tables that break between rows, hashes that wrap.
const CSS: &str = "\
@page { size: A4; margin: 16mm 14mm; }
body { font-family: 'airgapd-report', 'DejaVu Sans', 'Noto Sans', Arial, sans-serif; \
font-size: 10pt; color: #000; margin: 0; }
h1 { font-size: 15pt; text-align: center; text-transform: uppercase; margin: 0 0 4pt; }
p.sub { text-align: center; font-style: italic; margin: 0 0 10pt; }
h3 { font-size: 10.5pt; margin: 8pt 0 3pt; break-after: avoid; }
h2 { font-size: 11.5pt; margin: 12pt 0 4pt; break-after: avoid; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 0.6pt solid #444; padding: 2pt 4pt; text-align: left; vertical-align: top; }
tr { break-inside: avoid; }
th { background: #eee; font-weight: bold; }
table.kv th { width: 34%; }
td.found { font-weight: bold; background: #fbdcdc; }
.mono { font-family: 'DejaVu Sans Mono', monospace; font-size: 8.5pt; overflow-wrap: anywhere; }
ul { margin: 2pt 0 6pt; padding-left: 14pt; }
.qr { break-inside: avoid; margin: 6pt 0; font-size: 8pt; }
.qr svg { width: 40mm; height: 40mm; }
.timeline svg { width: 100%; height: auto; }
table.sign td { border: none; text-align: center; height: 28mm; width: 50%; }
";

/// What renders one report: its catalog and its zone (the PDF's words come from it too).
pub(super) struct Page<'a> {
    pub(super) doc: &'a ReportDoc,
    pub(super) c: Catalog,
}

impl<'a> Page<'a> {
    /// The page of `doc`, in its language, with the built-in catalogs.
    pub(super) fn new(doc: &'a ReportDoc) -> Page<'a> {
        Page {
            doc,
            c: Catalog::new(Lang::from_locale(&doc.header.lang), None),
        }
    }

    pub(super) fn t(&self, id: &str) -> String {
        tr_in!(self.c, id)
    }

    pub(super) fn time(&self, us: u64) -> String {
        date_time_at(&self.c, us, self.doc.header.utc_offset_s)
    }

    pub(super) fn opt_time(&self, us: Option<u64>) -> String {
        us.map_or_else(|| "-".to_string(), |t| self.time(t))
    }

    pub(super) fn or_unknown(&self, v: Option<&String>) -> String {
        v.cloned().unwrap_or_else(|| self.t("report-unknown"))
    }

    pub(super) fn source_name(&self, id: &str) -> String {
        tr_in!(self.c, &format!("inspect-source-name-{id}"))
    }

    fn source_names<'b>(&self, ids: impl IntoIterator<Item = &'b String>) -> String {
        let names: Vec<String> = ids.into_iter().map(|s| self.source_name(s)).collect();
        names.join(", ")
    }

    /// "Có: N traces" / "Không phát hiện trong khoảng từ ... đến ..." / "Không xác định".
    pub(super) fn answer(&self, f: &Finding) -> String {
        let c = &self.c;
        match (f.answer, f.from_us, f.to_us) {
            (Answer::Found, ..) => {
                let sources: std::collections::BTreeSet<&String> =
                    f.evidence.iter().map(|e| &e.source).collect();
                tr_in!(
                    c,
                    "report-answer-found",
                    count = f.evidence.iter().map(|e| e.count).sum::<u64>(),
                    sources = self.source_names(sources)
                )
            }
            (Answer::NoneFound, Some(from), Some(to)) => tr_in!(
                c,
                "inspect-answer-none-found",
                from = self.time(from),
                to = self.time(to),
                sources = self.source_names(&f.sources)
            ),
            (Answer::NoneFound, ..) => tr_in!(
                c,
                "inspect-answer-none-found-undated",
                sources = self.source_names(&f.sources)
            ),
            (Answer::Unknown, ..) => tr_in!(
                c,
                "inspect-answer-unknown",
                missing = self.source_names(&f.missing_sources)
            ),
        }
    }

    pub(super) fn evidence(&self, e: &Evidence) -> String {
        let c = &self.c;
        let what = tr_in!(
            c,
            &format!("inspect-evidence-{}", e.kind),
            subject = e.subject.clone()
        );
        let when = tr_in!(
            c,
            "inspect-evidence-when",
            count = e.count,
            first = self.opt_time(e.first_us),
            last = match (e.first_us, e.last_us) {
                (Some(f), Some(l)) if l != f => self.time(l),
                _ => "none".to_string(),
            },
            source = self.source_name(&e.source)
        );
        format!("{what} — {when}")
    }

    fn header(&self) -> Markup {
        let h = &self.doc.header;
        let given = |v: &Option<String>| v.clone().unwrap_or_else(|| self.t("report-not-given"));
        let officers = if h.officers.is_empty() {
            self.t("report-not-given")
        } else {
            h.officers.join(", ")
        };
        html! {
            h2 { (self.t("report-section-header")) }
            table.kv {
                tr { th { (self.t("report-agency")) } td { (given(&h.agency)) } }
                tr { th { (self.t("report-room")) } td { (given(&h.room)) } }
                tr { th { (self.t("report-officers")) } td { (officers) } }
                tr { th { (self.t("report-time")) } td { (self.time(h.created_at_us)) } }
                tr { th { (self.t("report-legal-basis")) } td { (given(&h.legal_basis)) } }
                tr { th { (self.t("report-seal")) } td { (given(&h.seal)) } }
            }
        }
    }

    fn machine(&self) -> Markup {
        let m = &self.doc.machine;
        let p = &self.doc.inspection.policy;
        let policy = match (&p.id, p.serial) {
            (Some(id), Some(serial)) => format!("{id} #{serial} ({})", p.path),
            _ => format!("{} ({})", p.state, p.path),
        };
        let nics: Vec<String> = m
            .nics
            .iter()
            .map(|n| format!("{} {}", n.name, n.mac))
            .collect();
        html! {
            h2 { (self.t("report-section-machine")) }
            table.kv {
                tr { th { (self.t("report-machine-id")) } td.mono { (self.or_unknown(m.machine_id.as_ref())) } }
                tr { th { (self.t("report-hostname")) } td { (self.or_unknown(m.hostname.as_ref())) } }
                tr { th { (self.t("report-os")) } td { (self.or_unknown(m.os.as_ref())) } }
                tr { th { (self.t("report-installed")) } td { (m.installed_us.map_or_else(|| self.t("report-unknown"), |t| self.time(t))) } }
                tr { th { (self.t("report-dmi-serial")) } td { (self.or_unknown(m.dmi_serial.as_ref())) } }
                tr { th { (self.t("report-nics")) } td.mono { @if nics.is_empty() { (self.t("report-unknown")) } @else { (nics.join(", ")) } } }
                tr { th { (self.t("report-airgapd-version")) } td { (m.airgapd_version) } }
                tr { th { (self.t("report-policy")) } td { (policy) } }
                tr { th { (self.t("report-machine-key")) } td.mono { (m.key_fingerprint) } }
            }
        }
    }

    fn findings(&self) -> Markup {
        let c = &self.c;
        let findings = &self.doc.inspection.findings;
        html! {
            h2 { (self.t("report-section-findings")) }
            table {
                tr { th { (self.t("report-question")) } th { (self.t("report-answer")) } }
                @for f in findings {
                    tr {
                        td { (tr_in!(c, &format!("inspect-question-{}", f.id.name()))) }
                        td.found[f.answer == Answer::Found] { (self.answer(f)) }
                    }
                }
            }
            h2 { (self.t("report-section-evidence")) }
            @if findings.iter().all(|f| f.evidence.is_empty()) {
                p { (self.t("report-evidence-none")) }
            }
            @for f in findings.iter().filter(|f| !f.evidence.is_empty()) {
                p { b { (tr_in!(c, &format!("inspect-question-{}", f.id.name()))) } }
                ul { @for e in &f.evidence { li { (self.evidence(e)) } } }
            }
        }
    }

    fn sources(&self) -> Markup {
        let i = &self.doc.inspection;
        let uncovered = i
            .boots
            .iter()
            .filter(|b| !b.airgapd_started || b.in_machine_record == Some(false))
            .count();
        html! {
            h2 { (self.t("report-section-sources")) }
            table {
                tr {
                    th { (self.t("report-source")) } th { (self.t("report-source-records")) }
                    th { (self.t("report-source-from")) } th { (self.t("report-source-to")) }
                }
                @for s in &i.sources {
                    tr {
                        td { (self.source_name(&s.name)) }
                        @if s.exists {
                            td { (s.records) } td { (self.opt_time(s.earliest_us)) } td { (self.opt_time(s.latest_us)) }
                        } @else {
                            td colspan="3" { (self.t("report-source-absent")) }
                        }
                    }
                }
            }
            h2 { (self.t("report-section-record")) }
            p { (tr_in!(self.c, "report-boots", count = i.boots.len(), uncovered = uncovered)) }
        }
    }

    fn timeline(&self) -> Markup {
        let svg = super::timeline::svg(self.doc, &self.c);
        html! {
            h2 { (self.t("report-section-timeline")) }
            @match svg {
                Some(svg) => {
                    div.timeline { (PreEscaped(svg)) }
                    p { (self.t("report-timeline-note")) }
                }
                None => p { (self.t("report-timeline-none")) },
            }
            h3 { (self.t("report-weekly-title")) }
            @match super::weekly::svg(self.doc, &self.c) {
                Some(svg) => div.timeline { (PreEscaped(svg)) },
                None => p { (self.t("report-weekly-none")) },
            }
        }
    }

    fn integrity(&self, json_sha256: &str) -> Markup {
        let g = &self.doc.integrity;
        let record = match (&g.machine_record_chain, &g.machine_record_problem) {
            (Some(_), None) => self.t("report-record-verified"),
            (_, Some(p)) => tr_in!(self.c, "report-record-broken", problem = p.clone()),
            (None, None) => self.t("report-record-absent"),
        };
        let seal = match g.journal_sealed {
            Some(true) => self.t("report-journal-seal-passed"),
            Some(false) => self.t("report-journal-seal-failed"),
            None => self.t("report-journal-seal-unchecked"),
        };
        html! {
            h2 { (self.t("report-section-integrity")) }
            table.kv {
                tr { th { (self.t("report-json-sha256")) } td.mono { (json_sha256) } }
                tr { th { (self.t("report-record")) } td.found[!g.machine_record_verified] { (record) } }
                tr { th { (self.t("report-record-seq")) } td.mono { (g.machine_record_seq) } }
                tr { th { (self.t("report-record-head")) } td.mono { (g.machine_record_chain.clone().unwrap_or_else(|| "-".into())) } }
                tr { th { (self.t("report-record-previous")) } td.mono { (g.machine_record_head.clone().unwrap_or_else(|| "-".into())) } }
                tr { th { (self.t("report-register-head")) } td.mono { (g.copy_register_head.clone().unwrap_or_else(|| "-".into())) } }
                tr { th { (self.t("report-journal-seal")) } td.found[g.journal_sealed == Some(false)] { (seal) } }
            }
            p.mono { (self.t("report-verify-how")) }
            @if let Some(qr) = super::qr::svg(self.doc, json_sha256) {
                div.qr { (PreEscaped(qr)) p { (self.t("report-qr")) } }
            }
        }
    }
}

/// The `@font-face` that carries the font file `font` inside the page as `airgapd-report`:
/// the page reads the same on a PC without that font (an officer's office PC), Vietnamese
/// diacritics included. The same file the PDF is typeset with, so `verify` renders both again
/// from the same bytes.
pub(super) fn font_face(font: &[u8]) -> String {
    use base64::Engine;
    format!(
        "@font-face {{ font-family: 'airgapd-report'; \
         src: url(data:font/ttf;base64,{}) format('truetype'); }}\n",
        base64::engine::general_purpose::STANDARD.encode(font)
    )
}

/// The page of `doc`, whose `report.json` has the SHA-256 `json_sha256` (hex), with the font
/// file `font` inside.
pub fn render(doc: &ReportDoc, json_sha256: &str, font: &[u8]) -> String {
    let page = Page::new(doc);
    let lang = page.c.lang();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                title { (page.t("report-title")) }
                style { (PreEscaped(font_face(font))) (PreEscaped(CSS)) }
            }
            body {
                h1 { (page.t("report-title")) }
                p.sub { (page.t("report-subtitle")) }
                (page.header())
                (page.machine())
                (page.findings())
                (page.sources())
                (page.timeline())
                (page.integrity(json_sha256))
                h2 { (page.t("report-signatures")) }
                table.sign {
                    tr { td { b { (page.t("report-signature-officer")) } } td { b { (page.t("report-signature-unit")) } } }
                }
            }
        }
    }
    .into_string()
}
