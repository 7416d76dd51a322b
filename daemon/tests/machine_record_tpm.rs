//! Issue 19, the TPM in the machine record, against a software TPM (swtpm) whose restarts are
//! the machine's boots as the TPM counts them. Lines are written as the daemon and `airgapd
//! lift` write them (`machine_record::append_now`, which asks the TPM under the record's lock);
//! `airgapctl inspect --root ROOT --tpm SOCKET` reads them back against the TPM:
//!
//! - a boot made without airgapd (a jump in the TPM's reset count) is uncovered;
//! - an older copy of the record put back is caught (the TPM's counter is ahead of it), and
//!   still caught once the next start has continued it (the record's counter values skip),
//!   although its hash chain verifies;
//! - a clean record over several boots answers none-found;
//! - a record written without a TPM says so, and the inspection lists the TPM as missing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use airgapd::journal::Sink;
use airgapd::machine_record::{append_now, Entry};
use common::swtpm::Swtpm;
use serde_json::Value;

const CTL: &str = env!("CARGO_BIN_EXE_airgapctl");

/// A fixture root with a machine record in it.
struct Root {
    dir: PathBuf,
}

impl Root {
    fn new(name: &str) -> Root {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("mrec-tpm-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("var/lib/airgapd")).unwrap();
        Root { dir }
    }

    fn record(&self) -> PathBuf {
        self.dir.join("var/lib/airgapd/machine-record.jsonl")
    }

    /// Append `event` in boot `boot` as the daemon does, asking the TPM at `tpm`.
    fn line(&self, event: &str, boot: &str, tpm: Option<&Path>) {
        let entry = Entry {
            boot_id: boot.to_string(),
            ..Entry::now(event)
        };
        append_now(&self.record(), entry, tpm, &Sink::Stderr);
    }

    /// A daemon's run in boot `boot`: its start and its stop.
    fn run(&self, boot: &str, tpm: Option<&Path>) {
        self.line("start", boot, tpm);
        self.line("stop", boot, tpm);
    }

    /// `airgapctl inspect` of this root in `lang`, against the TPM at `tpm`.
    fn inspect(&self, tpm: Option<&Path>, json: bool, lang: &str) -> String {
        let mut c = Command::new(CTL);
        if json {
            c.arg("--json");
        }
        c.args(["inspect", "--root"]).arg(&self.dir);
        if let Some(t) = tpm {
            c.arg("--tpm").arg(t);
        }
        let out = c
            .env("LANG", lang)
            .env("LC_ALL", lang)
            .env_remove("LANGUAGE")
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 3 | 5)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn report(&self, tpm: Option<&Path>) -> Value {
        serde_json::from_str(&self.inspect(tpm, true, "C.UTF-8")).unwrap()
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn uncovered(r: &Value) -> &Value {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "uncovered-boots")
        .unwrap()
}

/// The evidence items of `kind` under uncovered-boots.
fn evidence<'a>(r: &'a Value, kind: &str) -> Vec<&'a Value> {
    uncovered(r)["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

fn tpm_kinds(r: &Value) -> Vec<String> {
    uncovered(r)["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .filter(|k| k.starts_with("tpm-"))
        .map(String::from)
        .collect()
}

const BOOT_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const BOOT_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const BOOT_C: &str = "cccccccccccccccccccccccccccccccc";

#[test]
fn every_boot_in_the_record_answers_none_found() {
    let mut sw = Swtpm::start("clean");
    let root = Root::new("clean");
    root.run(BOOT_A, Some(&sw.socket()));
    // The daemon restarted within the boot: no reset, no gap.
    root.run(BOOT_A, Some(&sw.socket()));
    sw.reboot();
    root.run(BOOT_B, Some(&sw.socket()));
    root.line("lift", BOOT_B, Some(&sw.socket()));

    let entries = airgapd::chain::read::<Entry>(&root.record()).unwrap();
    let starts: Vec<_> = entries
        .iter()
        .filter(|e| e.event == "start" || e.event == "lift")
        .map(|e| e.tpm.as_ref().unwrap().nv_counter.unwrap())
        .collect();
    assert_eq!(starts, [1, 2, 3, 4], "{entries:#?}");
    let stop = entries.iter().find(|e| e.event == "stop").unwrap();
    let t = stop.tpm.as_ref().unwrap();
    assert_eq!(t.state, "present");
    assert!(t.reset_count.is_some() && t.nv_counter.is_none(), "{t:?}");

    let r = root.report(Some(&sw.socket()));
    assert_eq!(uncovered(&r)["answer"], "none-found", "{:#}", uncovered(&r));
    assert!(uncovered(&r)["sources"]
        .as_array()
        .unwrap()
        .contains(&Value::from("tpm")));
    assert_eq!(r["since_airgapd"]["tpm"]["readings"], 7);
    assert_eq!(r["since_airgapd"]["tpm"]["now"]["nv_counter"], 4);
    let text = root.inspect(Some(&sw.socket()), false, "C.UTF-8");
    assert!(text.contains("airgapd's counter 4"), "{text}");
}

#[test]
fn a_boot_made_without_airgapd_is_uncovered() {
    let mut sw = Swtpm::start("jump");
    let root = Root::new("jump");
    root.run(BOOT_A, Some(&sw.socket()));
    // A boot airgapd never saw (a live USB, airgapd disabled): the TPM counts it all the same.
    sw.reboot();
    sw.reboot();
    root.run(BOOT_C, Some(&sw.socket()));

    let r = root.report(Some(&sw.socket()));
    assert_eq!(uncovered(&r)["answer"], "found");
    let jump = evidence(&r, "tpm-resets-not-in-record");
    assert_eq!(jump.len(), 1, "{:#}", uncovered(&r));
    assert_eq!(jump[0]["count"], 1);
    assert_eq!(tpm_kinds(&r), ["tpm-resets-not-in-record"]);

    // Another boot without airgapd, now: the TPM read during the inspection shows it.
    sw.reboot();
    let r = root.report(Some(&sw.socket()));
    let counts: u64 = evidence(&r, "tpm-resets-not-in-record")
        .iter()
        .map(|e| e["count"].as_u64().unwrap())
        .sum();
    assert_eq!(counts, 2, "{:#}", uncovered(&r));
    for lang in ["C.UTF-8", "vi_VN.UTF-8"] {
        let text = root.inspect(Some(&sw.socket()), false, lang);
        let want = if lang == "C.UTF-8" {
            "Boots the TPM counted that the machine record does not hold"
        } else {
            "Có lần khởi động được TPM đếm nhưng không có trong sổ ghi của máy"
        };
        assert!(text.contains(want), "{text}");
    }
}

#[test]
fn an_older_copy_of_the_record_put_back_is_caught() {
    let mut sw = Swtpm::start("rollback");
    let root = Root::new("rollback");
    root.run(BOOT_A, Some(&sw.socket()));
    let old = std::fs::read(root.record()).unwrap();
    sw.reboot();
    root.run(BOOT_B, Some(&sw.socket()));
    root.line("lift", BOOT_B, Some(&sw.socket()));
    // Root puts the older copy back: a chain that verifies, and nothing of boot B.
    std::fs::write(root.record(), &old).unwrap();
    let r = root.report(Some(&sw.socket()));
    assert_eq!(r["since_airgapd"]["verified"], true);
    let ahead = evidence(&r, "tpm-counter-ahead");
    assert_eq!(ahead.len(), 1, "{:#}", uncovered(&r));
    assert_eq!(ahead[0]["subject"], "1 → 3");
    assert_eq!(ahead[0]["count"], 2);
    // The boot the copy does not hold is a reset it does not hold either.
    assert_eq!(evidence(&r, "tpm-resets-not-in-record").len(), 1);

    // The next start continues the restored copy: the chain still verifies, the counter's
    // values in it now skip the two increments whose lines were thrown away.
    sw.reboot();
    root.run(BOOT_C, Some(&sw.socket()));
    let r = root.report(Some(&sw.socket()));
    assert_eq!(r["since_airgapd"]["verified"], true);
    let gap = evidence(&r, "tpm-counter-gap");
    assert_eq!(gap.len(), 1, "{:#}", uncovered(&r));
    assert_eq!(gap[0]["subject"], "1 → 4");
    assert_eq!(gap[0]["count"], 2);
    assert!(evidence(&r, "tpm-counter-ahead").is_empty());
    // The start that continued the copy said so itself: the TPM was at 3, the record at 1.
    let entries = airgapd::chain::read::<Entry>(&root.record()).unwrap();
    let start = entries.iter().rfind(|e| e.event == "start").unwrap();
    let t = start.tpm.as_ref().unwrap();
    assert_eq!(
        (t.nv_counter_before, t.nv_counter),
        (Some(3), Some(4)),
        "{t:?}"
    );
    let first = entries.iter().find(|e| e.event == "start").unwrap();
    assert_eq!(first.tpm.as_ref().unwrap().nv_counter_before, None);
    // Without the TPM at hand (a disk inspected elsewhere), the gap alone still shows it.
    let r = root.report(None);
    assert_eq!(evidence(&r, "tpm-counter-gap").len(), 1);
}

#[test]
fn an_edited_counter_value_is_caught() {
    let sw = Swtpm::start("edit");
    let root = Root::new("edit");
    root.run(BOOT_A, Some(&sw.socket()));
    root.run(BOOT_A, Some(&sw.socket()));
    // Root rewrites the record with a lower counter value and recomputes the whole chain.
    let mut entries = airgapd::chain::read::<Entry>(&root.record()).unwrap();
    entries[2].tpm.as_mut().unwrap().nv_counter = Some(1);
    std::fs::remove_file(root.record()).unwrap();
    for mut e in entries {
        airgapd::chain::append_locked(&root.record(), &mut e).unwrap();
    }
    let r = root.report(Some(&sw.socket()));
    assert_eq!(r["since_airgapd"]["verified"], true);
    assert_eq!(
        evidence(&r, "tpm-counter-went-back").len(),
        1,
        "{:#}",
        uncovered(&r)
    );
    assert_eq!(evidence(&r, "tpm-counter-ahead").len(), 1);
}

#[test]
fn without_a_tpm_the_record_and_the_inspection_say_so() {
    let root = Root::new("none");
    let missing = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-tpm-here");
    root.run(BOOT_A, None);
    root.run(BOOT_B, Some(&missing));
    let entries = airgapd::chain::read::<Entry>(&root.record()).unwrap();
    for e in &entries {
        assert_eq!(e.tpm.as_ref().unwrap().state, "absent", "{e:?}");
    }
    let r = root.report(None);
    assert_eq!(r["since_airgapd"]["tpm"]["absent"], 4);
    assert!(uncovered(&r)["missing_sources"]
        .as_array()
        .unwrap()
        .contains(&Value::from("tpm")));
    assert!(tpm_kinds(&r).is_empty());
    let source = r["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "tpm")
        .unwrap();
    assert_eq!(source["exists"], false);
    let en = root.inspect(None, false, "C.UTF-8");
    assert!(en.contains("TPM: none."), "{en}");
    assert!(
        en.contains("not present: ") && en.contains("TPM counters"),
        "{en}"
    );
    let vi = root.inspect(None, false, "vi_VN.UTF-8");
    assert!(vi.contains("TPM: không có."), "{vi}");
}

#[test]
fn a_tpm_that_disappears_is_caught() {
    let mut sw = Swtpm::start("gone");
    let root = Root::new("gone");
    root.run(BOOT_A, Some(&sw.socket()));
    sw.reboot();
    // Disabled in the firmware: the next boot's daemon finds no TPM.
    root.run(BOOT_B, None);
    let r = root.report(None);
    let gone = evidence(&r, "tpm-disappeared");
    assert_eq!(gone.len(), 1, "{:#}", uncovered(&r));
    assert_eq!(gone[0]["subject"], BOOT_B);
}

/// The real daemon (scoped) and `airgapd lift` with `--tpm`: the start line has the TPM's
/// reset count and counter value 1, the stop line the reset count; after the TPM's reboot the
/// next start has the next reset count and value 2, the lift value 3; the inspection finds the
/// counter's values whole.
#[test]
fn the_daemon_and_lift_keep_the_tpm_counts() {
    use airgapd::journal::MessageId;
    use common::daemon::{entry, id, m, Daemon, AIRGAPD};
    use common::journald::{skip_unless_root, PrivateJournald};
    if skip_unless_root() {
        return;
    }
    let mut sw = Swtpm::start("daemon");
    let mut j = PrivateJournald::start("mrectpm");
    let policy = "[meta]\nid = \"mrec-tpm\"\nserial = 1\n[network]\nloopback = false\n";
    let mut d = Daemon::new("mrectpm", j.socket(), Some(policy));
    d.extra_args = vec!["--tpm".into(), sw.socket().display().to_string()];
    let path = d.machine_record.clone();
    let wait_for = |event: &str, n: usize| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let e = airgapd::chain::read::<Entry>(&path).unwrap_or_default();
            if e.iter().filter(|e| e.event == event).count() >= n {
                return e;
            }
            assert!(std::time::Instant::now() < deadline, "{e:#?}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    d.start();
    wait_for("start", 1);
    d.signal(nix::sys::signal::Signal::SIGTERM);
    d.wait();
    sw.reboot();
    d.start();
    wait_for("start", 2);
    // Lift refuses while a daemon runs: stop it first, as an administrator would.
    d.signal(nix::sys::signal::Signal::SIGTERM);
    d.wait();
    let status = Command::new(AIRGAPD)
        .args(["lift", "--yes", "--pin-dir"])
        .arg(&d.pin_dir)
        .arg("--journal-socket")
        .arg(&d.journal)
        .arg("--record")
        .arg(&d.record)
        .arg("--machine-record")
        .arg(&path)
        .arg("--tpm")
        .arg(sw.socket())
        .status()
        .unwrap();
    assert!(status.success());
    let all = wait_for("lift", 1);
    let tpm: Vec<(&str, Option<u32>, Option<u64>)> = all
        .iter()
        .filter_map(|e| {
            let t = e.tpm.as_ref()?;
            assert_eq!(t.state, "present", "{e:?}");
            Some((e.event.as_str(), t.reset_count, t.nv_counter))
        })
        .collect();
    let r0 = tpm[0].1.unwrap();
    assert_eq!(
        tpm,
        [
            ("start", Some(r0), Some(1)),
            ("stop", Some(r0), None),
            ("start", Some(r0 + 1), Some(2)),
            ("stop", Some(r0 + 1), None),
            ("lift", Some(r0 + 1), Some(3)),
        ],
        "{all:#?}"
    );
    // The journal's copy of each line carries the TPM's facts too.
    entry(
        &mut j,
        &[
            id(MessageId::MachineRecord),
            m("AIRGAP_MACHINE_RECORD_EVENT", "lift"),
            m("AIRGAP_TPM_STATE", "present"),
            m("AIRGAP_TPM_RESET_COUNT", r0 + 1),
            m("AIRGAP_TPM_COUNTER", 3),
        ],
    );
    let root = Root::new("daemon");
    std::fs::copy(&path, root.record()).unwrap();
    // Every line carries this host's one boot id while the software TPM rebooted between the
    // runs: the inspection rightly counts that reset as a boot the record does not hold. The
    // counter's values 1, 2, 3 run on and end at the TPM's.
    let r = root.report(Some(&sw.socket()));
    assert!(
        evidence(&r, "tpm-counter-gap").is_empty(),
        "{:#}",
        uncovered(&r)
    );
    assert!(
        evidence(&r, "tpm-counter-ahead").is_empty(),
        "{:#}",
        uncovered(&r)
    );
    assert_eq!(r["since_airgapd"]["tpm"]["now"]["nv_counter"], 3);
    assert_eq!(evidence(&r, "tpm-resets-not-in-record").len(), 1);
}
