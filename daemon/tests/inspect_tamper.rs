//! `airgapctl inspect`'s tamper evidence (issue 19) on fixture roots this test builds: the
//! chain heads a report prints, `--previous HEAD` against a record extended since (still a
//! prefix), truncated before the head, and edited with the chain computed again from the edit
//! on (which verifies on its own); a malformed HEAD is a usage error.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const CTL: &str = env!("CARGO_BIN_EXE_airgapctl");
/// 2023-11-14 22:13:20 UTC.
const T0: u64 = 1_700_000_000_000_000;
const MINUTE: u64 = 60_000_000;

struct Fixture {
    root: PathBuf,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("inspect-tamper-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("etc")).unwrap();
        Fixture { root }
    }

    fn record(&self) -> PathBuf {
        self.root.join("var/lib/airgapd/machine-record.jsonl")
    }

    /// `count` more machine record lines, as the daemon writes them.
    fn append(&self, count: u64) {
        for i in 0..count {
            let mut e = airgapd::machine_record::Entry {
                time_us: T0 + i * MINUTE,
                event: if i % 2 == 0 { "start" } else { "stop" }.into(),
                boot_id: "11111111111111111111111111111111".into(),
                pid: 1,
                ..Default::default()
            };
            airgapd::chain::append_locked(&self.record(), &mut e).unwrap();
        }
    }

    /// (exit code, stdout, stderr) of `airgapctl [--json] inspect --root ROOT ARGS...`.
    fn inspect(&self, json: bool, lang: &str, args: &[&str]) -> (i32, String, String) {
        let mut cmd = Command::new(CTL);
        if json {
            cmd.arg("--json");
        }
        let out = cmd
            .arg("inspect")
            .arg("--root")
            .arg(&self.root)
            .args(args)
            .env("LC_ALL", lang)
            .env("TZ", "UTC")
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn report(&self, args: &[&str]) -> (i32, Value) {
        let (code, out, err) = self.inspect(true, "C.UTF-8", args);
        assert!(err.is_empty(), "stderr: {err}");
        (
            code,
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}")),
        )
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

fn finding<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id}"))
}

fn evidence_kinds(f: &Value) -> Vec<String> {
    f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

/// The head the report prints, in JSON and in the text of both languages, as one token.
fn printed_head(f: &Fixture) -> String {
    let (_, r) = f.report(&[]);
    let head = r["since_airgapd"]["head"].as_str().unwrap().to_string();
    let seq = r["since_airgapd"]["last_seq"].as_u64().unwrap();
    let chain = r["since_airgapd"]["last_chain"].as_str().unwrap();
    assert_eq!(head, format!("machine-record:{seq}:{chain}"));
    for lang in ["C.UTF-8", "vi_VN.UTF-8"] {
        let (_, text, _) = f.inspect(false, lang, &[]);
        assert!(text.contains(&head), "{lang}: {text}");
    }
    head
}

/// The lines from `from` (1-based) on edited by `edit`, and the chain computed again from there,
/// as someone who knows the format would: the file verifies on its own.
fn rewrite_from(path: &Path, from: usize, edit: impl Fn(&str) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut prev = airgapd::chain::GENESIS.to_string();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let at = line.rfind(",\"chain\":\"").unwrap();
        let body = if i + 1 >= from {
            edit(&line[..at])
        } else {
            line[..at].to_string()
        };
        prev = airgapd::chain::chain(&prev, &body);
        out.push_str(&format!("{body},\"chain\":\"{prev}\"}}\n"));
    }
    std::fs::write(path, out).unwrap();
}

fn previous_check(r: &Value) -> &Value {
    let p = r["previous"].as_array().unwrap();
    assert_eq!(p.len(), 1, "{r:#}");
    &p[0]
}

#[test]
fn a_record_extended_since_still_holds_the_previous_head() {
    let f = Fixture::new("extended");
    f.append(4);
    let head = printed_head(&f);
    f.append(3);
    let (code, r) = f.report(&["--previous", &head]);
    let p = previous_check(&r);
    assert_eq!(p["outcome"], "prefix", "{p:#}");
    assert_eq!(p["still_prefix"], true);
    let u = finding(&r, "uncovered-boots");
    assert!(
        !evidence_kinds(u)
            .iter()
            .any(|k| k.starts_with("previous-head")),
        "{u:#}"
    );
    assert_ne!(code, 3, "{r:#}");
    let (_, text, _) = f.inspect(false, "C.UTF-8", &["--previous", &head]);
    assert!(text.contains("still in the record"), "{text}");
}

#[test]
fn a_record_truncated_before_the_previous_head_is_caught() {
    let f = Fixture::new("truncated");
    f.append(4);
    let head = printed_head(&f);
    f.append(2);
    // Root cuts the record back to two lines: what it holds verifies, and is shorter.
    let text = std::fs::read_to_string(f.record()).unwrap();
    let kept: Vec<&str> = text.lines().take(2).collect();
    std::fs::write(f.record(), kept.join("\n") + "\n").unwrap();
    let (code, r) = f.report(&["--previous", &head]);
    assert_eq!(
        r["since_airgapd"]["verified"], true,
        "the cut alone verifies"
    );
    let p = previous_check(&r);
    assert_eq!(p["outcome"], "truncated", "{p:#}");
    assert_eq!(p["lines_now"], 2);
    let u = finding(&r, "uncovered-boots");
    assert_eq!(u["answer"], "found", "{u:#}");
    let e = u["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "previous-head-truncated")
        .unwrap_or_else(|| panic!("{u:#}"));
    assert_eq!(e["subject"], head.as_str());
    assert_eq!(code, 3);
    for (lang, word) in [("C.UTF-8", "NOT FOUND"), ("vi_VN.UTF-8", "KHÔNG TÌM THẤY")] {
        let (_, text, _) = f.inspect(false, lang, &["--previous", &head]);
        assert!(text.contains(word), "{lang}: {text}");
    }
}

#[test]
fn a_record_edited_and_hashed_again_is_caught() {
    let f = Fixture::new("rehashed");
    f.append(5);
    let head = printed_head(&f);
    f.append(1);
    // Someone moves the second line's time and computes every chain again from there on.
    let edited = (T0 + 30 * MINUTE).to_string();
    rewrite_from(&f.record(), 2, |body| {
        if body.contains("\"seq\":2,") {
            body.replace(&(T0 + MINUTE).to_string(), &edited)
        } else {
            body.to_string()
        }
    });
    let (code, r) = f.report(&["--previous", &head]);
    assert_eq!(
        r["since_airgapd"]["verified"], true,
        "the chain computed again verifies on its own: {:#}",
        r["since_airgapd"]
    );
    let p = previous_check(&r);
    assert_eq!(p["outcome"], "rewritten", "{p:#}");
    assert_ne!(p["chain_now"], p["chain"]);
    let u = finding(&r, "uncovered-boots");
    assert!(
        evidence_kinds(u).contains(&"previous-head-rewritten".to_string()),
        "{u:#}"
    );
    assert_eq!(code, 3);

    // An edit after the head leaves the prefix whole: still a prefix.
    let g = Fixture::new("rehashed-after");
    g.append(3);
    let head = printed_head(&g);
    g.append(3);
    rewrite_from(&g.record(), 5, |body| body.replace("\"stop\"", "\"start\""));
    let (_, r) = g.report(&["--previous", &head]);
    assert_eq!(previous_check(&r)["outcome"], "prefix");
}

#[test]
fn a_deleted_record_and_a_malformed_head_are_told_apart() {
    let f = Fixture::new("deleted");
    f.append(2);
    let head = printed_head(&f);
    std::fs::remove_file(f.record()).unwrap();
    let (code, r) = f.report(&["--previous", &head]);
    assert_eq!(previous_check(&r)["outcome"], "missing");
    assert_eq!(code, 3);
    for bad in [
        "machine-record:2",
        "machine-record:two:00",
        &head[..head.len() - 1],
        "copy-register:0:0000000000000000000000000000000000000000000000000000000000000000",
    ] {
        let (code, out, err) = f.inspect(false, "C.UTF-8", &["--previous", bad]);
        assert_eq!(code, 2, "{bad}: {out}{err}");
        assert!(
            err.contains("--previous") && err.contains("not a chain head"),
            "{err}"
        );
        let (_, _, vi) = f.inspect(false, "vi_VN.UTF-8", &["--previous", bad]);
        assert!(vi.contains("không phải là đầu chuỗi"), "{vi}");
    }
}

#[test]
fn the_copy_register_head_is_printed_and_checked() {
    let f = Fixture::new("register");
    let path = f.root.join("var/lib/airgapd/register.jsonl");
    for i in 0..3 {
        let mut e = airgapd::register::entry::Entry {
            time_us: T0 + i,
            event: "copy".into(),
            ..Default::default()
        };
        airgapd::chain::append_locked(&path, &mut e).unwrap();
    }
    let (_, r) = f.report(&[]);
    let head = r["copy_register"]["head"].as_str().unwrap().to_string();
    assert!(head.starts_with("copy-register:3:"), "{head}");
    let (_, text, _) = f.inspect(false, "C.UTF-8", &[]);
    assert!(text.contains(&head), "{text}");
    let mut e = airgapd::register::entry::Entry::default();
    airgapd::chain::append_locked(&path, &mut e).unwrap();
    let (_, r) = f.report(&["--previous", &head]);
    assert_eq!(previous_check(&r)["outcome"], "prefix");
    std::fs::write(&path, "").unwrap();
    let (code, r) = f.report(&["--previous", &head]);
    assert_eq!(previous_check(&r)["outcome"], "truncated");
    assert_eq!(code, 3);
}
