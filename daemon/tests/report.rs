//! `airgapctl report` (issue 20) on fixture roots this test builds: a NetworkManager profile
//! (a "found" finding) and a machine record written by the library (its chain head). The
//! page holds the Vietnamese findings with their diacritics, the times at the zone the report
//! was made in (not the verifier's), and the chain head; `report verify` passes, then fails
//! after one byte is changed in each of report.json, report.html and report.sig, naming the
//! file; a report re-signed with another key passes only without `--key`; headless Chromium
//! prints the page to A4 PDF pages that pdftotext reads back.

mod report_common;

use std::path::{Path, PathBuf};
use std::process::Command;

use report_common::{change, copy, run, Pc, Spec, CTL, T0};
use serde_json::Value;

struct Fixture {
    pc: Pc,
    dir: PathBuf,
    head: String,
    chain: String,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let pc = Pc::new(
            &format!("report-{name}"),
            &Spec {
                machine_id: "0123456789abcdef0123456789abcdef".into(),
                hostname: "may-17".into(),
                policy_serial: 3,
                network: true,
                records: 5,
                pid: 1,
            },
        );
        Fixture {
            dir: pc.dir.clone(),
            head: pc.head.clone(),
            chain: pc.chain.clone(),
            pc,
        }
    }

    /// `airgapctl report` into `out` in `lang`.
    fn make(&self, out: &str, lang: &str) -> PathBuf {
        let out = self.dir.join(out);
        self.pc.make(&out, lang, &[]);
        out
    }

    fn copy(&self, from: &Path, name: &str) -> PathBuf {
        let to = self.dir.join(name);
        copy(from, &to);
        to
    }
}

/// `airgapctl report verify DIR [--key KEY]`, checked in another zone than it was made in.
fn verify(dir: &Path, key: Option<&Path>) -> (i32, String, String) {
    let mut cmd = Command::new(CTL);
    cmd.arg("report").arg("verify").arg(dir).env("TZ", "UTC");
    if let Some(k) = key {
        cmd.arg("--key").arg(k);
    }
    run(&mut cmd)
}

fn json(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap()
}

#[test]
fn the_page_holds_the_vietnamese_findings_and_the_chain_head() {
    let f = Fixture::new("vi");
    let out = f.make("out", "vi");
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    for text in [
        "<html lang=\"vi\">",
        "Biên bản kiểm tra kỹ thuật máy tính",
        "Đã kết nối mạng máy tính?",
        "Có: 1 dấu vết",
        // The machine record answers uncovered boots over its own window, in the zone the
        // report was made in.
        "Không phát hiện trong khoảng từ 15/11/2023 05:13:20 +0700 đến 15/11/2023 05:17:20 +0700",
        "Nguyễn Văn A, Trần Thị Bích",
        "NP-0042",
        "Phòng An ninh",
        "0123456789abcdef0123456789abcdef",
        "@page { size: A4;",
        &f.head,
    ] {
        assert!(page.contains(text), "no {text:?} in\n{page}");
    }
    // The timeline, drawn inline, its lanes named in Vietnamese.
    for text in ["<svg", "Sổ ghi airgapd", "Dòng thời gian"] {
        assert!(page.contains(text), "no {text:?} in the page");
    }
    // Self-contained: no script, nothing fetched (the SVG namespace is a name, not a link;
    // the one url() is the font inside the page).
    let outside = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    let outside = outside.replacen("url(data:font/ttf;base64,", "", 1);
    for text in [
        "<script", "src=", "href=", "url(", "@import", "http://", "https://",
    ] {
        assert!(!outside.contains(text), "{text:?} in the page");
    }
    let j = json(&out);
    assert_eq!(j["integrity"]["machine_record_head"], f.head.as_str());
    assert_eq!(j["integrity"]["machine_record_seq"], 5);
    assert_eq!(j["header"]["lang"], "vi");
    assert_eq!(j["header"]["utc_offset_s"], 7 * 3600);
    assert_eq!(j["inspection"]["since_airgapd"]["head"], f.head.as_str());
    let sha =
        airgapd::update::offered::sha256_hex(&std::fs::read(out.join("report.json")).unwrap());
    assert!(page.contains(&sha), "the page shows report.json's hash");
    // The key's public half is what `report.json` names.
    let public = std::fs::read_to_string(f.pc.public_key()).unwrap();
    let named = j["machine"]["public_key"].as_str().unwrap();
    assert!(public.starts_with(named), "{public} / {named}");
}

#[test]
fn english_on_request_and_no_english_in_the_vietnamese_page() {
    let f = Fixture::new("en");
    let en = std::fs::read_to_string(f.make("en", "en").join("report.html")).unwrap();
    assert!(en.contains("Technical inspection record of a computer"));
    assert!(en.contains("Has it been connected to a computer network?") || en.contains("network"));
    assert!(
        en.contains("None found between 2023-11-15 05:13:20 +0700"),
        "{en}"
    );
    let vi = std::fs::read_to_string(f.make("vi", "vi").join("report.html")).unwrap();
    for english in [
        "Technical inspection",
        "None found",
        "Machine record",
        "Inspectors",
    ] {
        assert!(!vi.contains(english), "{english:?} in the Vietnamese page");
    }
    let (code, _, err) = run(Command::new(CTL).args(["report", "--lang", "fr", "--out", "x"]));
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(Command::new(CTL).args(["report"]));
    assert_eq!(code, 2, "no --out: {err}");
    assert!(err.contains("--out"), "{err}");
}

#[test]
fn verify_passes_then_fails_after_one_byte_in_each_file() {
    let f = Fixture::new("verify");
    let out = f.make("out", "vi");
    let (code, stdout, stderr) = verify(&out, None);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("verifies"), "{stdout}");
    let public = f.pc.public_key();
    let (code, stdout, stderr) = verify(&out, Some(&public));
    assert_eq!(code, 0, "{stdout}{stderr}");

    // One byte each: a name in the JSON, a digit of the chain head on the page, a character
    // of the signature's body.
    let seq_digit = &f.head["machine-record:".len()..];
    let cases: [(&str, &str, String, String); 3] = [
        ("report.json", "report.json", "Văn A".into(), "Văn B".into()),
        (
            "report.html",
            "report.html",
            seq_digit[..6].to_string(),
            format!(
                "{}{}",
                &seq_digit[..5],
                if seq_digit.as_bytes()[5] == b'0' {
                    '1'
                } else {
                    '0'
                }
            ),
        ),
        (
            "report.sig",
            "report.json",
            "\n".to_string() + &sig_line(&out),
            "\n".to_string() + &flip(&sig_line(&out)),
        ),
    ];
    for (file, named, from, to) in cases {
        let dir = f.copy(&out, &format!("changed-{file}"));
        change(&dir.join(file), &from, &to);
        let (code, stdout, stderr) = verify(&dir, None);
        assert_eq!(code, 3, "{file} changed: {stdout}{stderr}");
        assert!(stderr.contains("does NOT verify"), "{stderr}");
        assert!(stderr.contains(named), "{file}: {stderr}");
        if file == "report.sig" {
            assert!(stderr.contains("report.sig"), "{stderr}");
        }
        if file == "report.html" {
            assert!(
                stderr.contains("differs from the page rendered"),
                "{stderr}"
            );
        }
    }
    // The PDF is binary: one byte in its middle (the embedded font or a page).
    let dir = f.copy(&out, "changed-report.pdf");
    let mut pdf = std::fs::read(dir.join("report.pdf")).unwrap();
    let middle = pdf.len() / 2;
    pdf[middle] ^= 0x01;
    std::fs::write(dir.join("report.pdf"), pdf).unwrap();
    let (code, stdout, stderr) = verify(&dir, None);
    assert_eq!(code, 3, "report.pdf changed: {stdout}{stderr}");
    let said = format!(
        "report.pdf: differs from the page rendered from {}",
        dir.join("report.json").display()
    );
    assert!(stderr.contains(&said), "{stderr}");

    // Bad input names the file and the field.
    let dir = f.copy(&out, "bad-format");
    change(&dir.join("report.json"), "\"format\": 1,", "\"format\": 9,");
    let (code, _, stderr) = verify(&dir, None);
    assert_eq!(code, 3);
    assert!(stderr.contains("report.json: field `format`"), "{stderr}");
    let dir = f.copy(&out, "missing-sig");
    std::fs::remove_file(dir.join("report.sig")).unwrap();
    let (code, _, stderr) = verify(&dir, None);
    assert_eq!(code, 3);
    assert!(stderr.contains("report.sig"), "{stderr}");
}

/// The signature's second body line.
fn sig_line(dir: &Path) -> String {
    let sig = std::fs::read_to_string(dir.join("report.sig")).unwrap();
    sig.lines().nth(2).unwrap().to_string()
}

/// `line` with its middle character changed.
fn flip(line: &str) -> String {
    let mut bytes = line.as_bytes().to_vec();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

/// Someone who changes the report and signs it again with a key of their own, named in the
/// JSON, passes the check without `--key` (it shows only that the files agree); the
/// machine's own key from its enrolment catches it.
#[test]
fn a_report_signed_again_by_another_key_fails_with_the_machines_key() {
    let f = Fixture::new("forged");
    let out = f.make("out", "vi");
    let forged = f.copy(&out, "forged");
    let other = f.dir.join("keys/other");
    let keygen = |args: &[&str]| {
        let st = Command::new("ssh-keygen").args(args).status().unwrap();
        assert!(st.success());
    };
    keygen(&[
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-f",
        other.to_str().unwrap(),
    ]);
    let other_pub = std::fs::read_to_string(f.dir.join("keys/other.pub")).unwrap();
    let other_line: Vec<&str> = other_pub.split_whitespace().take(2).collect();
    let mut j = json(&forged);
    j["header"]["seal"] = "NP-9999".into();
    j["machine"]["public_key"] = other_line.join(" ").into();
    let text = serde_json::to_vec_pretty(&j).unwrap();
    std::fs::write(forged.join("report.json"), [text, b"\n".to_vec()].concat()).unwrap();
    // The page, rendered again by the library from the changed JSON, so only the key tells.
    let doc = airgapd::report::model::ReportDoc::from_json(
        &forged.join("report.json"),
        &std::fs::read(forged.join("report.json")).unwrap(),
    )
    .unwrap();
    std::fs::remove_file(forged.join("report.sig")).unwrap();
    airgapd::report::write(
        &forged,
        &doc,
        &other,
        Path::new(airgapd::paths::REPORT_FONT),
    )
    .unwrap();
    let (code, stdout, stderr) = verify(&forged, None);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("not which machine"), "{stdout}");
    let (code, _, stderr) = verify(&forged, Some(&f.pc.public_key()));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("report.sig"), "{stderr}");
}

fn tool(name: &str, package: &str) -> PathBuf {
    for dir in ["/usr/bin", "/bin", "/usr/local/bin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    panic!("{name} is missing: install the Debian package {package} (scripts/deps.sh)");
}

/// Headless Chromium with `args`, its profile under `dir`, once the page settled (its font,
/// inside it, loaded). A browser that hangs must not hang the suite: coreutils' timeout ends it.
fn headless(chromium: &Path, dir: &Path, args: &[&str]) -> (i32, String, String) {
    run(Command::new("timeout")
        .args(["--kill-after=10", "120"])
        .arg(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=10000",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.join("chromium").display()
        ))
        .args(args))
}

/// The text pdftotext reads from `pdf` holds the title, the Vietnamese findings with their
/// diacritics, the officers and the chain head (a hash may be wrapped: compared without the
/// line breaks).
fn pdf_holds(pdftotext: &Path, pdf: &Path, title: &str, chain: &str) {
    let (_, text, _) = run(Command::new(pdftotext).arg(pdf).arg("-"));
    for words in [
        title,
        "Đã kết nối mạng máy tính?",
        "Có: 1 dấu vết",
        "Không phát hiện trong khoảng từ 15/11/2023 05:13:20 +0700",
        "Nguyễn Văn A, Trần Thị Bích",
    ] {
        assert!(text.contains(words), "no {words:?} in the PDF:\n{text}");
    }
    let joined: String = text.split_whitespace().collect();
    assert!(joined.contains(chain), "no {chain} in the PDF:\n{text}");
}

/// The PDF typeset on the PC itself (no browser): A4 pages whose text pdftotext reads back
/// with the Vietnamese findings, their diacritics and the chain head.
#[test]
fn the_pc_made_pdf_holds_the_vietnamese_findings_and_the_head() {
    let pdftotext = tool("pdftotext", "poppler-utils");
    let pdfinfo = tool("pdfinfo", "poppler-utils");
    let f = Fixture::new("pdf");
    let out = f.make("out", "vi");
    let pdf = out.join("report.pdf");
    let (_, info, _) = run(Command::new(&pdfinfo).arg(&pdf));
    assert!(
        info.contains("Page size: 595.28 x 841.89 pts (A4)"),
        "{info}"
    );
    pdf_holds(
        &pdftotext,
        &pdf,
        "Biên bản kiểm tra kỹ thuật máy tính",
        &f.chain,
    );
}

/// Headless Chromium prints the page; the PDF's text holds the Vietnamese findings with
/// their diacritics and the chain head, on A4 pages. The PNG and the PDF are kept under
/// target/tmp/report-artifacts as artifacts.
#[test]
fn chromium_prints_the_page_on_a4_with_the_findings_and_the_head() {
    let chromium = tool("chromium", "chromium");
    let pdftotext = tool("pdftotext", "poppler-utils");
    let pdfinfo = tool("pdfinfo", "poppler-utils");
    let f = Fixture::new("chromium");
    let out = f.make("out", "vi");
    let artifacts = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let pdf = artifacts.join("report.pdf");
    let png = artifacts.join("report.png");
    let _ = std::fs::remove_file(&pdf);
    let _ = std::fs::remove_file(&png);
    let page = format!("file://{}", out.join("report.html").display());
    let (code, stdout, stderr) = headless(
        &chromium,
        &f.dir,
        &[
            "--no-pdf-header-footer",
            &format!("--print-to-pdf={}", pdf.display()),
            &format!("--screenshot={}", png.display()),
            // Tall enough for the whole page, the QR code at its end included.
            "--window-size=900,3600",
            &page,
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        png.metadata().unwrap().len() > 10_000,
        "a screenshot of a page"
    );
    let (_, info, _) = run(Command::new(&pdfinfo).arg(&pdf));
    assert!(
        info.contains("Page size: 594.96 x 841.92 pts (A4)"),
        "{info}"
    );
    let pages: u32 = info
        .split("Pages: ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(pages >= 1, "{info}");
    // CSS sets the title in capitals.
    pdf_holds(
        &pdftotext,
        &pdf,
        "BIÊN BẢN KIỂM TRA KỸ THUẬT MÁY TÍNH",
        &f.chain,
    );
    // A label and its value side by side in the table (-layout keeps the rows' lines).
    let (_, text, _) = run(Command::new(&pdftotext).arg("-layout").arg(&pdf).arg("-"));
    let label = "Sổ ghi của máy: số thứ tự";
    assert!(
        text.lines().any(|l| l
            .split(label)
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            == Some("5")),
        "{text}"
    );
    // The QR code on the page, read back from the screenshot.
    let zbarimg = tool("zbarimg", "zbar-tools");
    let (code, qr, stderr) = run(Command::new(zbarimg).arg("--raw").arg("-q").arg(&png));
    assert_eq!(code, 0, "no QR code read: {stderr}");
    let sha =
        airgapd::update::offered::sha256_hex(&std::fs::read(out.join("report.json")).unwrap());
    assert!(qr.contains(&format!("airgapd-report sha256:{sha}")), "{qr}");
    assert!(qr.contains(&f.head), "{qr}");
}

/// The page carries its font inside (a data: URL of the font file the PDF is typeset with),
/// with a glyph for every letter on the page, and nothing outside it: it reads the same on a
/// PC without that font.
#[test]
fn the_page_carries_its_font_inside_and_refers_to_nothing_outside() {
    use base64::Engine;
    let f = Fixture::new("font");
    let out = f.make("out", "vi");
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    let start = "url(data:font/ttf;base64,";
    let at = page.find(start).expect("an embedded font") + start.len();
    let len = page[at..].find(')').unwrap();
    let font = base64::engine::general_purpose::STANDARD
        .decode(&page[at..at + len])
        .unwrap();
    assert_eq!(
        font,
        std::fs::read(airgapd::paths::REPORT_FONT).unwrap(),
        "the font file the PDF is typeset with"
    );
    let face = ttf_parser::Face::parse(&font, 0).unwrap();
    let text = page[at + len..].replace(|c: char| c.is_ascii_control(), "");
    let missing: std::collections::BTreeSet<char> = text
        .chars()
        .filter(|c| !c.is_whitespace() && face.glyph_index(*c).is_none())
        .collect();
    assert!(missing.is_empty(), "no glyph for {missing:?}");
    // The SVG namespace is a name, not a link.
    let page = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for outside in ["http:", "https:", "src=", "<link", "<script", "@import"] {
        assert!(
            !page.contains(outside),
            "the page refers outside: {outside}"
        );
    }
}

/// Headless Chromium lays the page out at the A4 text width (210 mm less the 14 mm margins:
/// 688 CSS px) with the embedded font loaded, and nothing sticks out of the page or out of its
/// box (a long hash in a table cell, a wide table, the timeline): what is printed is not cut.
/// A script added to a copy of the page (the page itself has none) measures every element
/// once the fonts are ready and writes what it found into the DOM that Chromium dumps.
#[test]
fn chromium_lays_the_page_out_within_the_a4_width_with_its_own_font() {
    let chromium = tool("chromium", "chromium");
    let f = Fixture::new("clip");
    let out = f.make("out", "vi");
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    let probe = r#"<script>
document.fonts.ready.then(() => {
  const w = document.documentElement.clientWidth;
  const over = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    const name = e.tagName + (e.className && e.className.baseVal === undefined ? '.' + e.className : '');
    if (r.right > w + 0.5) over.push(name + ' right ' + Math.round(r.right));
    if (e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
      over.push(name + ' content ' + e.scrollWidth + ' > box ' + e.clientWidth);
  }
  const loaded = [...document.fonts].filter(f => f.family.includes('airgapd-report') && f.status === 'loaded').length;
  document.body.setAttribute('data-probe', JSON.stringify({w, over, loaded}));
});
</script>"#;
    let probed = page.replace("</body>", &format!("{probe}</body>"));
    assert_ne!(probed, page, "a body to add the probe to");
    let file = f.dir.join("probed.html");
    std::fs::write(&file, probed).unwrap();
    let (code, dom, stderr) = headless(
        &chromium,
        &f.dir,
        &[
            "--dump-dom",
            "--hide-scrollbars",
            "--window-size=688,1200",
            &format!("file://{}", file.display()),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let at = dom.find("data-probe=\"").expect("the probe ran") + "data-probe=\"".len();
    let end = dom[at..].find('"').unwrap();
    let json = dom[at..at + end]
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    let probe: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(probe["w"], 688, "laid out at the A4 text width: {probe}");
    assert_eq!(probe["loaded"], 1, "the embedded font loaded: {probe}");
    assert_eq!(
        probe["over"],
        serde_json::json!([]),
        "nothing sticks out: {probe}"
    );
}

/// `status --machine-key` makes the key on first need (root's only, in a directory only root
/// enters) and prints its public half: the key the reports name and `verify --key` takes.
#[test]
fn status_prints_the_machine_key_the_reports_are_signed_with() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new("status-key");
    // Where the fixture's reports take their key from: nothing there yet.
    let key = f.pc.key();
    assert!(!key.parent().unwrap().exists());
    let (code, stdout, stderr) = run(Command::new(CTL)
        .args(["status", "--machine-key", "--machine-key-file"])
        .arg(&key));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let mode = |p: &Path| p.metadata().unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(key.parent().unwrap()), 0o700);
    let public = std::fs::read_to_string(f.pc.public_key()).unwrap();
    let line: Vec<&str> = public.split_whitespace().take(2).collect();
    assert!(stdout.ends_with(&line.join(" ")), "{stdout}");
    // Asked again, the same key: never replaced.
    let (_, again, _) = run(Command::new(CTL)
        .args(["status", "--machine-key", "--machine-key-file"])
        .arg(&key));
    assert_eq!(again, stdout);
    // A report signed with it names it, and verifies with its public half.
    let out = f.dir.join("out");
    f.pc.make(&out, "vi", &[]);
    let fingerprint = json(&out)["machine"]["key_fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(stdout.contains(&fingerprint), "{stdout}");
    let (code, _, stderr) = verify(&out, Some(&f.pc.public_key()));
    assert_eq!(code, 0, "{stderr}");
}

/// Refusals per week from the machine record's daily summaries: Thursday 16/11/2023 and
/// Tuesday 21/11/2023 (+0700) fall in the weeks of Monday 13/11 and Monday 20/11.
#[test]
fn refusals_are_counted_per_week_from_the_daily_summaries() {
    const DAY: u64 = 86_400_000_000;
    let mut f = Fixture::new("weekly");
    let without = std::fs::read_to_string(f.make("before", "vi").join("report.html")).unwrap();
    assert!(without.contains("Sổ ghi của máy không có bản tổng hợp hằng ngày"));
    f.pc.summary(T0 + DAY, &[("net.connect", 3), ("usb.storage", 2)]);
    f.pc.summary(T0 + 6 * DAY, &[("net.connect", 4)]);
    let out = f.make("out", "vi");
    let (code, stdout, stderr) = verify(&out, Some(&f.pc.public_key()));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    for text in ["Số lần bị chặn mỗi tuần", "13/11/2023: 5", "20/11/2023: 4"] {
        assert!(page.contains(text), "no {text:?} in the page");
    }
}
