//! `airgapctl inspect --verify-key KEY` (issue 19) on real sealed journal files: a key made by
//! `journalctl --setup-keys` and files sealed with it by `systemd-journal-remote --seal`, both
//! in a private mount namespace with a tmpfs over /var/log (where they keep the sealing key), so
//! nothing of the host's journal is touched. Good sealed files pass; an edited file fails; a
//! file without seals holding entries from after sealing began fails (journalctl's own
//! verification passes it, checked here too); a wrong key fails; a malformed key is a usage
//! error.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

const CTL: &str = env!("CARGO_BIN_EXE_airgapctl");
const BOOT: &str = "11111111111111111111111111111111";
const SECOND: u64 = 1_000_000;
const MINUTE: u64 = 60 * SECOND;

fn journal_remote() -> PathBuf {
    [
        "/lib/systemd/systemd-journal-remote",
        "/usr/lib/systemd/systemd-journal-remote",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .expect("systemd-journal-remote is missing: install systemd-journal-remote (scripts/deps.sh)")
}

fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
}

/// Export format of `count` entries from `from_us`, one a second.
fn export(from_us: u64, count: u64, what: &str) -> String {
    let mut out = String::new();
    for i in 0..count {
        let t = from_us + i * SECOND;
        writeln!(out, "__CURSOR=s=0;i={i}").unwrap();
        writeln!(out, "__REALTIME_TIMESTAMP={t}").unwrap();
        writeln!(out, "__MONOTONIC_TIMESTAMP={}", i * SECOND + 1).unwrap();
        writeln!(out, "_BOOT_ID={BOOT}").unwrap();
        writeln!(out, "_TRANSPORT=kernel").unwrap();
        writeln!(out, "PRIORITY=6").unwrap();
        writeln!(out, "MESSAGE={what} line {i:04}\n").unwrap();
    }
    out
}

/// What the namespace made: the key, and journal files sealed and not.
struct Made {
    dir: PathBuf,
    key: String,
}

impl Made {
    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// Made once for every test: a key, a sealed file of entries from now on, a file without seals
/// of entries from 20 minutes on (after sealing began), and one of entries two days old.
fn made() -> &'static Made {
    static MADE: OnceLock<Made> = OnceLock::new();
    MADE.get_or_init(|| {
        // One name, not one per run: the last run's files (24 MiB) are replaced, never left.
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("inspect-seal-made");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let now = now_us();
        std::fs::write(dir.join("sealed.export"), export(now, 40, "sealed")).unwrap();
        std::fs::write(
            dir.join("later.export"),
            export(now + 20 * MINUTE, 40, "unsealed later"),
        )
        .unwrap();
        std::fs::write(
            dir.join("older.export"),
            export(now - 48 * 60 * MINUTE, 40, "unsealed older"),
        )
        .unwrap();
        // journalctl --setup-keys and journal-remote --seal keep and read the sealing key in
        // /var/log/journal/<machine-id>/fss: a tmpfs over /var/log in a namespace of our own.
        let script = format!(
            r#"set -eu
mount -t tmpfs -o size=16m airgapd-seal-test /var/log
mkdir -p /var/log/journal/$(cat /etc/machine-id)
journalctl --setup-keys --interval=15min > {d}/key
{jr} --seal=yes -o {d}/sealed.journal {d}/sealed.export
{jr} -o {d}/later.journal {d}/later.export
{jr} -o {d}/older.journal {d}/older.export
"#,
            d = dir.display(),
            jr = journal_remote().display()
        );
        let out = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "--", "sh", "-c"])
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "making the sealed journal: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let key = std::fs::read_to_string(dir.join("key"))
            .unwrap()
            .trim()
            .to_string();
        Made { dir, key }
    })
}

fn skip_unless_root() -> bool {
    if nix::unistd::geteuid().is_root() {
        return false;
    }
    eprintln!("skipped: making sealed journal files needs root (mount namespace, tmpfs)");
    true
}

struct Root {
    dir: PathBuf,
}

impl Root {
    /// A root whose journal directory holds `files` (name in the root, file made).
    fn new(name: &str, files: &[(&str, &Path)]) -> Root {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("inspect-seal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let journal = dir.join("var/log/journal/0123456789abcdef0123456789abcdef");
        std::fs::create_dir_all(&journal).unwrap();
        for (name, from) in files {
            std::fs::copy(from, journal.join(name)).unwrap();
        }
        Root { dir }
    }

    fn journal(&self, name: &str) -> PathBuf {
        self.dir
            .join("var/log/journal/0123456789abcdef0123456789abcdef")
            .join(name)
    }

    fn inspect(&self, json: bool, lang: &str, key: &str) -> (i32, String, String) {
        let mut cmd = Command::new(CTL);
        if json {
            cmd.arg("--json");
        }
        let out = cmd
            .arg("inspect")
            .arg("--root")
            .arg(&self.dir)
            .arg("--verify-key")
            .arg(key)
            .env("LC_ALL", lang)
            .env("TZ", "UTC")
            .output()
            .unwrap();
        // Words as read, whatever the 80-column wrapping split.
        let words = |b: &[u8]| {
            let text = String::from_utf8_lossy(b).into_owned();
            if json {
                text
            } else {
                text.split_whitespace().collect::<Vec<_>>().join(" ")
            }
        };
        (
            out.status.code().unwrap_or(-1),
            words(&out.stdout),
            words(&out.stderr),
        )
    }

    fn report(&self, key: &str) -> Value {
        let (_, out, err) = self.inspect(true, "C.UTF-8", key);
        assert!(err.is_empty(), "stderr: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// (file name, outcome) of every file, and whether the whole passed.
fn outcomes(r: &Value) -> (Vec<(String, String)>, bool) {
    let seal = &r["journal_seal"];
    let files = seal["files"]
        .as_array()
        .unwrap_or_else(|| panic!("{seal:#}"))
        .iter()
        .map(|f| {
            (
                f["path"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                f["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (files, seal["passed"].as_bool().unwrap())
}

fn uncovered_kinds(r: &Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "uncovered-boots")
        .unwrap()["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

fn pair(name: &str, outcome: &str) -> (String, String) {
    (name.to_string(), outcome.to_string())
}

#[test]
fn good_sealed_files_pass_and_older_unsealed_history_is_listed() {
    if skip_unless_root() {
        return;
    }
    let m = made();
    let root = Root::new(
        "good",
        &[
            ("system@old.journal", &m.file("older.journal")),
            ("system.journal", &m.file("sealed.journal")),
        ],
    );
    let r = root.report(&m.key);
    let (files, passed) = outcomes(&r);
    assert_eq!(
        files,
        vec![
            pair("system.journal", "verified"),
            pair("system@old.journal", "unsealed-before-key")
        ],
        "{:#}",
        r["journal_seal"]
    );
    assert!(passed);
    let sealed = &r["journal_seal"]["files"][0];
    assert_eq!(sealed["sealed"], true);
    assert_eq!(
        (
            sealed["head_seqnum"].as_u64(),
            sealed["tail_seqnum"].as_u64()
        ),
        (Some(1), Some(40))
    );
    assert!(!uncovered_kinds(&r)
        .iter()
        .any(|k| k.starts_with("journal-")));
    for (lang, word) in [("C.UTF-8", "PASSED"), ("vi_VN.UTF-8", "ĐẠT")] {
        let (_, text, _) = root.inspect(false, lang, &m.key);
        assert!(text.contains(word), "{lang}: {text}");
    }
}

#[test]
fn an_edited_sealed_file_fails() {
    if skip_unless_root() {
        return;
    }
    let m = made();
    let root = Root::new("edited", &[("system.journal", &m.file("sealed.journal"))]);
    let path = root.journal("system.journal");
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes
        .windows(b"sealed line 0007".len())
        .position(|w| w == b"sealed line 0007")
        .expect("the message is stored as written");
    bytes[at + 7] = b'L';
    std::fs::write(&path, bytes).unwrap();
    let r = root.report(&m.key);
    let (files, passed) = outcomes(&r);
    assert_eq!(files, vec![pair("system.journal", "failed")]);
    assert!(!passed);
    assert!(uncovered_kinds(&r).contains(&"journal-seal-failed".to_string()));
    let (code, text, _) = root.inspect(false, "C.UTF-8", &m.key);
    assert_eq!(code, 3);
    assert!(text.contains("verification FAILED"), "{text}");
}

/// journalctl's own verification passes a file without seals, key or not (systemd issue
/// 15425); here it fails when it holds entries from after sealing began.
#[test]
fn an_unsealed_file_newer_than_the_key_fails() {
    if skip_unless_root() {
        return;
    }
    let m = made();
    let own = Command::new("journalctl")
        .arg(format!("--file={}", m.file("later.journal").display()))
        .arg("--verify")
        .arg(format!("--verify-key={}", m.key))
        .output()
        .unwrap();
    assert!(own.status.success(), "journalctl passes it: {own:?}");
    let root = Root::new(
        "unsealed",
        &[
            ("system@a.journal", &m.file("sealed.journal")),
            ("system.journal", &m.file("later.journal")),
        ],
    );
    let r = root.report(&m.key);
    let (files, passed) = outcomes(&r);
    assert_eq!(
        files,
        vec![
            pair("system.journal", "unsealed-after-key"),
            pair("system@a.journal", "verified")
        ]
    );
    assert!(!passed);
    assert!(uncovered_kinds(&r).contains(&"journal-unsealed-after-key".to_string()));
    let journal = r["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "journal")
        .unwrap();
    assert!(
        journal["problems"]
            .to_string()
            .contains("unsealed-after-key"),
        "{journal:#}"
    );
    // Alone (no sealed file left at all), it fails too.
    let alone = Root::new(
        "unsealed-alone",
        &[("system.journal", &m.file("later.journal"))],
    );
    let (files, passed) = outcomes(&alone.report(&m.key));
    assert_eq!(files, vec![pair("system.journal", "unsealed-after-key")]);
    assert!(!passed);
    let (_, vi, _) = alone.inspect(false, "vi_VN.UTF-8", &m.key);
    assert!(vi.contains("KHÔNG CÓ NIÊM PHONG"), "{vi}");
}

#[test]
fn a_wrong_key_fails_and_a_malformed_key_is_a_usage_error() {
    if skip_unless_root() {
        return;
    }
    let m = made();
    let root = Root::new(
        "wrong-key",
        &[("system.journal", &m.file("sealed.journal"))],
    );
    // Another seed, same epochs.
    let mut wrong: Vec<char> = m.key.chars().collect();
    wrong[0] = if wrong[0] == '0' { '1' } else { '0' };
    let wrong: String = wrong.into_iter().collect();
    let (files, passed) = outcomes(&root.report(&wrong));
    assert_eq!(files, vec![pair("system.journal", "failed")]);
    assert!(!passed);
    for bad in [
        "",
        "not-a-key",
        "045ee3-9b276b-86091c/1e7591-35a4e900",
        "0/0-0",
    ] {
        let (code, out, err) = root.inspect(false, "C.UTF-8", bad);
        assert_eq!(code, 2, "{bad}: {out}{err}");
        assert!(err.contains("--verify-key"), "{err}");
    }
}
