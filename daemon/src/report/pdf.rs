//! `report.pdf`: the report typeset on the PC itself, no browser needed (pdf-writer for the
//! PDF objects, ttf-parser for the font's glyphs and widths). The words are the page's
//! (`html::Page`, the same catalog calls); DejaVu Sans, which has every Vietnamese letter, is
//! embedded whole with a ToUnicode map, so `pdftotext` and a search in any viewer find the
//! accented text. Nothing varies between runs (no date, no id): the same JSON and font give
//! the same bytes, which `verify` checks.

use std::collections::BTreeMap;
use std::path::Path;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use super::html::Page;
use super::model::ReportDoc;
use super::ReportError;
use crate::inspect::model::Answer;
use crate::tr_in;

/// A4 in points, and the margins.
const W: f32 = 595.28;
const H: f32 = 841.89;
const MARGIN: f32 = 42.0;
const LABEL: f32 = 170.0;
const BODY: f32 = 9.0;

/// What a PDF is made of, top to bottom.
pub(super) enum Block {
    /// The title.
    Title(String),
    /// A section's heading.
    Heading(String),
    /// A label and its value, side by side.
    Row(String, String),
    /// A paragraph.
    Para(String),
}

fn blocks(p: &Page, json_sha256: &str) -> Vec<Block> {
    use Block::{Heading, Para, Row, Title};
    let (doc, c) = (p.doc, &p.c);
    let h = &doc.header;
    let given = |v: &Option<String>| v.clone().unwrap_or_else(|| p.t("report-not-given"));
    let mut b = vec![
        Title(p.t("report-title")),
        Para(p.t("report-subtitle")),
        Heading(p.t("report-section-header")),
        Row(p.t("report-agency"), given(&h.agency)),
        Row(p.t("report-room"), given(&h.room)),
        Row(
            p.t("report-officers"),
            given(&Some(h.officers.join(", ")).filter(|s| !s.is_empty())),
        ),
        Row(p.t("report-time"), p.time(h.created_at_us)),
        Row(p.t("report-legal-basis"), given(&h.legal_basis)),
        Row(p.t("report-seal"), given(&h.seal)),
        Heading(p.t("report-section-machine")),
    ];
    let m = &doc.machine;
    let nics: Vec<String> = m
        .nics
        .iter()
        .map(|n| format!("{} {}", n.name, n.mac))
        .collect();
    b.extend([
        Row(
            p.t("report-machine-id"),
            p.or_unknown(m.machine_id.as_ref()),
        ),
        Row(p.t("report-hostname"), p.or_unknown(m.hostname.as_ref())),
        Row(p.t("report-os"), p.or_unknown(m.os.as_ref())),
        Row(
            p.t("report-dmi-serial"),
            p.or_unknown(m.dmi_serial.as_ref()),
        ),
        Row(
            p.t("report-nics"),
            Some(nics.join(", "))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| p.t("report-unknown")),
        ),
        Row(p.t("report-airgapd-version"), m.airgapd_version.clone()),
        Row(p.t("report-machine-key"), m.key_fingerprint.clone()),
        Heading(p.t("report-section-findings")),
    ]);
    let i = &doc.inspection;
    for f in &i.findings {
        let q = tr_in!(c, &format!("inspect-question-{}", f.id.name()));
        let mark = if f.answer == Answer::Found {
            "■ "
        } else {
            ""
        };
        b.push(Row(q, format!("{mark}{}", p.answer(f))));
    }
    b.push(Heading(p.t("report-section-evidence")));
    if i.findings.iter().all(|f| f.evidence.is_empty()) {
        b.push(Para(p.t("report-evidence-none")));
    }
    for f in i.findings.iter().filter(|f| !f.evidence.is_empty()) {
        b.push(Para(tr_in!(
            c,
            &format!("inspect-question-{}", f.id.name())
        )));
        b.extend(
            f.evidence
                .iter()
                .map(|e| Para(format!("  • {}", p.evidence(e)))),
        );
    }
    b.push(Heading(p.t("report-section-sources")));
    for s in &i.sources {
        let v = if s.exists {
            format!(
                "{}: {} – {}",
                s.records,
                p.opt_time(s.earliest_us),
                p.opt_time(s.latest_us)
            )
        } else {
            p.t("report-source-absent")
        };
        b.push(Row(p.source_name(&s.name), v));
    }
    let uncovered = i
        .boots
        .iter()
        .filter(|b| !b.airgapd_started || b.in_machine_record == Some(false))
        .count();
    b.extend([
        Heading(p.t("report-section-record")),
        Para(tr_in!(
            c,
            "report-boots",
            count = i.boots.len(),
            uncovered = uncovered
        )),
        Heading(p.t("report-section-timeline")),
        Para(p.t("report-timeline-in-html")),
    ]);
    let g = &doc.integrity;
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    b.extend([
        Heading(p.t("report-section-integrity")),
        Row(p.t("report-json-sha256"), json_sha256.to_string()),
        Row(p.t("report-record-seq"), g.machine_record_seq.to_string()),
        Row(p.t("report-record-head"), dash(&g.machine_record_chain)),
        Row(p.t("report-record-previous"), dash(&g.machine_record_head)),
        Row(p.t("report-register-head"), dash(&g.copy_register_head)),
        Para(p.t("report-verify-how")),
        Heading(p.t("report-signatures")),
        Row(
            p.t("report-signature-officer"),
            p.t("report-signature-unit"),
        ),
    ]);
    b
}

/// Lays text out on A4 pages in the embedded font.
struct Typesetter<'f> {
    face: ttf_parser::Face<'f>,
    pages: Vec<Content>,
    y: f32,
    /// Every glyph used, with its character, for the widths and the ToUnicode map.
    used: BTreeMap<u16, char>,
}

impl Typesetter<'_> {
    fn advance(&self, ch: char, size: f32) -> f32 {
        let gid = self.face.glyph_index(ch).unwrap_or(ttf_parser::GlyphId(0));
        f32::from(self.face.glyph_hor_advance(gid).unwrap_or(0)) * size
            / f32::from(self.face.units_per_em())
    }

    /// `text` cut into lines of at most `width` points, at spaces, or anywhere in a word
    /// longer than a line (a hash).
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = vec![String::new()];
        let mut used = 0.0;
        for word in text.split(' ') {
            let w: f32 = word.chars().map(|c| self.advance(c, size)).sum();
            let space = self.advance(' ', size);
            let last = lines.last_mut().unwrap_or_else(|| unreachable!());
            if !last.is_empty() && used + space + w <= width {
                last.push(' ');
                last.push_str(word);
                used += space + w;
                continue;
            }
            if !last.is_empty() {
                lines.push(String::new());
                used = 0.0;
            }
            for ch in word.chars() {
                let a = self.advance(ch, size);
                if used + a > width && used > 0.0 {
                    lines.push(String::new());
                    used = 0.0;
                }
                lines.last_mut().unwrap_or_else(|| unreachable!()).push(ch);
                used += a;
            }
        }
        lines
    }

    fn need(&mut self, height: f32) {
        if self.pages.is_empty() || self.y - height < MARGIN {
            self.pages.push(Content::new());
            self.y = H - MARGIN;
        }
    }

    fn show(&mut self, x: f32, y: f32, text: &str, size: f32) {
        let mut bytes = Vec::with_capacity(text.len() * 2);
        for ch in text.chars() {
            let gid = self.face.glyph_index(ch).map_or(0, |g| g.0);
            self.used.entry(gid).or_insert(ch);
            bytes.extend(gid.to_be_bytes());
        }
        let page = self.pages.last_mut().unwrap_or_else(|| unreachable!());
        page.begin_text();
        page.set_font(Name(b"F1"), size);
        page.next_line(x, y);
        page.show(Str(&bytes));
        page.end_text();
    }

    fn block(&mut self, b: &Block) {
        let full = W - 2.0 * MARGIN;
        let (left, right, size, gap) = match b {
            Block::Title(t) => (self.wrap(t, 14.0, full), vec![], 14.0, 6.0),
            Block::Heading(t) => (self.wrap(t, 11.0, full), vec![], 11.0, 8.0),
            Block::Para(t) => (self.wrap(t, BODY, full), vec![], BODY, 2.0),
            Block::Row(l, v) => (
                self.wrap(l, BODY, LABEL - 8.0),
                self.wrap(v, BODY, full - LABEL),
                BODY,
                1.0,
            ),
        };
        let lead = size * 1.3;
        let rows = left.len().max(right.len());
        self.need(gap + lead * rows as f32);
        self.y -= gap;
        for n in 0..rows {
            self.y -= lead;
            if let Some(l) = left.get(n) {
                self.show(MARGIN, self.y, l, size);
            }
            if let Some(r) = right.get(n) {
                self.show(MARGIN + LABEL, self.y, r, size);
            }
        }
    }
}

/// The PDF of `doc`, whose `report.json` has the SHA-256 `json_sha256`, with the font `font`.
pub fn render(doc: &ReportDoc, json_sha256: &str, font: &Path) -> Result<Vec<u8>, ReportError> {
    let page = Page::new(doc);
    typeset(&blocks(&page, json_sha256), &page.t("report-title"), font)
}

/// `blocks` on A4 pages in the font `font`, with `title` in the document's information.
pub(super) fn typeset(blocks: &[Block], title: &str, font: &Path) -> Result<Vec<u8>, ReportError> {
    let data = std::fs::read(font).map_err(|e| ReportError::io(font, e))?;
    let face = ttf_parser::Face::parse(&data, 0).map_err(|e| ReportError::Field {
        file: font.to_path_buf(),
        field: "font".into(),
        detail: e.to_string(),
    })?;
    let mut t = Typesetter {
        face,
        pages: Vec::new(),
        y: 0.0,
        used: BTreeMap::new(),
    };
    for b in blocks {
        t.block(b);
    }
    Ok(write(t, &data, title))
}

fn write(t: Typesetter, data: &[u8], title: &str) -> Vec<u8> {
    let (catalog, tree, type0, cid, descriptor, file, cmap) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
        Ref::new(6),
        Ref::new(7),
    );
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    let n = i32::try_from(t.pages.len()).unwrap_or(i32::MAX);
    let page_ids: Vec<Ref> = (0..n).map(|i| Ref::new(10 + 2 * i)).collect();
    pdf.pages(tree).kids(page_ids.iter().copied()).count(n);
    for (id, content) in page_ids.iter().zip(t.pages) {
        let content_id = Ref::new(id.get() + 1);
        let mut page = pdf.page(*id);
        page.media_box(Rect::new(0.0, 0.0, W, H));
        page.parent(tree);
        page.contents(content_id);
        page.resources().fonts().pair(Name(b"F1"), type0);
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.document_info(Ref::new(8))
        .title(pdf_writer::TextStr(title));
    let name = Name(b"DejaVuSans");
    pdf.type0_font(type0)
        .base_font(name)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap);
    let info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    let scale = 1000.0 / f32::from(t.face.units_per_em());
    let mut font = pdf.cid_font(cid);
    font.subtype(CidFontType::Type2)
        .base_font(name)
        .system_info(info)
        .font_descriptor(descriptor)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    let mut widths = font.widths();
    for gid in t.used.keys() {
        let w = t
            .face
            .glyph_hor_advance(ttf_parser::GlyphId(*gid))
            .unwrap_or(0);
        widths.consecutive(*gid, [f32::from(w) * scale]);
    }
    widths.finish();
    font.finish();
    let bbox = t.face.global_bounding_box();
    pdf.font_descriptor(descriptor)
        .name(name)
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(
            f32::from(bbox.x_min) * scale,
            f32::from(bbox.y_min) * scale,
            f32::from(bbox.x_max) * scale,
            f32::from(bbox.y_max) * scale,
        ))
        .italic_angle(0.0)
        .ascent(f32::from(t.face.ascender()) * scale)
        .descent(f32::from(t.face.descender()) * scale)
        .cap_height(f32::from(t.face.capital_height().unwrap_or(0)) * scale)
        .stem_v(80.0)
        .font_file2(file);
    pdf.stream(file, data);
    let mut map = UnicodeCmap::new(Name(b"Custom"), info);
    for (gid, ch) in &t.used {
        map.pair(*gid, *ch);
    }
    pdf.cmap(cmap, &map.finish());
    pdf.finish()
}
