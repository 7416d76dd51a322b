//! `airgapctl report merge` (issue 20) over 50 reports of 48 fixture PCs (an office's worth) made by the real
//! airgapctl: one altered after signing (forged), one PC reported twice with machine records
//! that cannot both be true (the later one longer, its first lines others: diverging), one PC
//! reported twice with its record grown (continuous, not flagged), two PCs on an older policy,
//! two with findings. The summary flags exactly those, in that order, in HTML, CSV and PDF.

mod report_common;

use std::path::{Path, PathBuf};
use std::process::Command;

use report_common::{change, copy, run, Pc, Spec, CTL};
use serde_json::Value;

const FORGED: usize = 5;
const DIVERGING: usize = 7;
const CONTINUOUS: usize = 8;
const OUTDATED: [usize; 2] = [3, 11];
const FOUND: [usize; 2] = [2, 9];
const REFUSING: usize = 4;
/// The fixture PCs; two of them are reported twice (the diverging twin, the continuous pair).
const PCS: usize = 48;

fn spec(i: usize) -> Spec {
    Spec {
        machine_id: format!("{:032x}", i + 1),
        hostname: format!("pc-{i:02}"),
        policy_serial: if OUTDATED.contains(&i) { 5 } else { 7 },
        network: FOUND.contains(&i),
        records: 2 + (i as u64 % 4),
        pid: 100 + i as u32,
    }
}

#[test]
fn merge_flags_the_forged_the_diverging_and_the_outdated() {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("report-merge-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let reports = base.join("stick");
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut pcs = Vec::new();
    for i in 0..PCS {
        let mut pc = Pc::new(&format!("report-merge-pc{i:02}"), &spec(i));
        if i == REFUSING {
            pc.summary(report_common::T0, &[("net.connect", 4), ("usb.storage", 2)]);
        }
        let out = reports.join(format!("pc-{i:02}"));
        pc.make(&out, "vi", &[]);
        dirs.push(out);
        pcs.push(pc);
    }
    // Forged: the seal number changed after signing.
    change(
        &dirs[FORGED].join("report.json"),
        "\"seal\": \"NP-0042\"",
        "\"seal\": \"NP-0043\"",
    );
    // Diverging: the same machine-id, a longer record whose lines are others (another pid), as
    // a record rewritten and extended, or a disk swapped in, would show.
    let mut twin = spec(DIVERGING);
    twin.pid = 999;
    twin.records += 2;
    let twin = Pc::new("report-merge-twin", &twin);
    let twin_dir = reports.join(format!("pc-{DIVERGING:02}-again"));
    twin.make(&twin_dir, "vi", &[]);
    dirs.push(twin_dir.clone());
    // Continuous: the record grew; its line at the earlier number has the earlier head.
    pcs[CONTINUOUS].append(3);
    let later_dir = reports.join(format!("pc-{CONTINUOUS:02}-later"));
    pcs[CONTINUOUS].make(&later_dir, "vi", &[]);
    dirs.push(later_dir);
    assert_eq!(dirs.len(), PCS + 2);

    let out = base.join("summary");
    let (code, stdout, stderr) = run(Command::new(CTL)
        .arg("--json")
        .args(["report", "merge", "--out"])
        .arg(&out)
        .args(&dirs));
    assert_eq!(code, 3, "{stdout}{stderr}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["newest_serial"], 7);
    let rows = summary["rows"].as_array().unwrap();
    assert_eq!(rows.len(), PCS + 2);
    let dir_of = |r: &Value| PathBuf::from(r["dir"].as_str().unwrap());
    let names: Vec<String> = rows
        .iter()
        .map(|r| {
            dir_of(r)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();

    // The forged one first, not verified, with the file named; still showing which PC it claims.
    assert_eq!(names[0], format!("pc-{FORGED:02}"), "{names:?}");
    assert_eq!(rows[0]["verified"], false);
    assert!(rows[0]["error"].as_str().unwrap().contains("report.json"));
    assert_eq!(rows[0]["hostname"], format!("pc-{FORGED:02}"));
    assert_eq!(rows.iter().filter(|r| r["verified"] == false).count(), 1);

    // The two diverging reports next, each naming the other; nothing else diverges.
    let diverging: Vec<&String> = names[1..3].iter().collect();
    assert!(
        diverging.contains(&&format!("pc-{DIVERGING:02}"))
            && diverging.contains(&&format!("pc-{DIVERGING:02}-again")),
        "{names:?}"
    );
    for r in &rows[1..3] {
        assert_eq!(r["verified"], true);
        assert_eq!(r["diverges_from"].as_array().unwrap().len(), 1, "{r}");
    }
    let diverging_rows = rows
        .iter()
        .filter(|r| !r["diverges_from"].as_array().unwrap().is_empty())
        .count();
    assert_eq!(diverging_rows, 2, "the continuous pair is not flagged");

    // Then the PCs with findings.
    let found: Vec<&String> = names[3..5].iter().collect();
    for i in FOUND {
        assert!(found.contains(&&format!("pc-{i:02}")), "{names:?}");
    }
    for r in &rows[5..] {
        assert!(r["found"].as_array().unwrap().is_empty(), "{r}");
    }

    // Older policies flagged, exactly.
    let mut outdated: Vec<&String> = rows
        .iter()
        .zip(&names)
        .filter(|(r, _)| r["policy_outdated"] == true)
        .map(|(_, n)| n)
        .collect();
    outdated.sort();
    assert_eq!(
        outdated,
        [
            &format!("pc-{:02}", OUTDATED[0]),
            &format!("pc-{:02}", OUTDATED[1])
        ]
    );

    // Refusals from the daily summaries, per PC.
    for (r, n) in rows.iter().zip(&names) {
        let want = if *n == format!("pc-{REFUSING:02}") {
            6
        } else {
            0
        };
        assert_eq!(r["refusals"], want, "{n}");
    }

    check_files(&out, &names);
}

/// The HTML and CSV say the same, in Vietnamese.
fn check_files(out: &Path, names: &[String]) {
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines.len(),
        PCS + 3,
        "a header and a line per report: {csv}"
    );
    assert!(
        lines[0].starts_with("Biên bản,Kiểm chứng,Máy,Ngày,Chính sách,Kết quả,Số lần bị chặn"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(&names[0]) && lines[1].contains("KHÔNG HỢP LỆ"),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains("MÂU THUẪN"), "{}", lines[2]);
    assert!(lines[3].contains("MÂU THUẪN"), "{}", lines[3]);
    assert_eq!(csv.matches("CŨ HƠN số hiệu mới nhất 7").count(), 2, "{csv}");
    assert!(
        lines[4].contains("Đã kết nối mạng máy tính?"),
        "{}",
        lines[4]
    );
    let html = std::fs::read_to_string(out.join("summary.html")).unwrap();
    assert!(html.contains("Biên bản kiểm tra: bảng tổng hợp của đơn vị"));
    assert!(
        html.contains(&format!("{} biên bản; 3 biên bản không hợp lệ", PCS + 2)),
        "{html}"
    );
    assert!(!html.contains("<script"));
    // The PDF, typeset on the PC, says the same: pdftotext reads it back.
    let (code, text, stderr) = run(Command::new("pdftotext")
        .arg(out.join("summary.pdf"))
        .arg("-"));
    assert_eq!(
        code, 0,
        "pdftotext (poppler-utils, scripts/deps.sh): {stderr}"
    );
    for words in [
        "bảng tổng hợp của đơn vị",
        "KHÔNG HỢP LỆ",
        "MÂU THUẪN",
        "CŨ HƠN số hiệu mới nhất 7",
    ] {
        assert!(text.contains(words), "no {words:?} in summary.pdf:\n{text}");
    }
    assert!(text.contains(&names[0]), "{text}");
}

/// A clean office merges with exit 0; a truncated report (its JSON cut short) is shown, not
/// dropped.
#[test]
fn a_truncated_report_is_a_row_that_says_so() {
    let pc = Pc::new("report-merge-cut", &spec(0));
    let good = pc.dir.join("good");
    pc.make(&good, "en", &[]);
    let (code, stdout, stderr) = run(Command::new(CTL)
        .args(["report", "merge", "--lang", "en", "--out"])
        .arg(pc.dir.join("clean"))
        .arg(&good));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let cut = pc.dir.join("cut");
    copy(&good, &cut);
    let json = std::fs::read(cut.join("report.json")).unwrap();
    std::fs::write(cut.join("report.json"), &json[..json.len() / 2]).unwrap();
    let (code, stdout, stderr) = run(Command::new(CTL)
        .args(["--json", "report", "merge", "--lang", "en", "--out"])
        .arg(pc.dir.join("summary"))
        .arg(&good)
        .arg(&cut));
    assert_eq!(code, 3, "{stdout}{stderr}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    let first = &summary["rows"][0];
    assert_eq!(first["verified"], false);
    assert!(
        first["error"]
            .as_str()
            .unwrap()
            .contains("report.json: not a report"),
        "{first}"
    );
    let csv = std::fs::read_to_string(pc.dir.join("summary/summary.csv")).unwrap();
    assert!(
        csv.contains("NOT VERIFIED (forged, altered or truncated)"),
        "{csv}"
    );
}
