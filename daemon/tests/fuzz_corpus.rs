//! Issue 16: every input of the committed fuzz corpora (`fuzz/corpus/<target>/`, the seeds and
//! what the fuzzers kept) and of the crash regressions (`fuzz/regressions/<target>/`) goes
//! through the same function its fuzz target calls, without a panic. Runs in seconds; the
//! fuzzing itself is `fuzz/` (docs/fuzzing.md).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use airgapd::fuzzing;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Feeds every file of `fuzz/corpus/<target>` and `fuzz/regressions/<target>` to `run`; fails
/// naming each file that panicked. `min` guards against a corpus that went missing.
fn replay(target: &str, min: usize, run: impl Fn(&[u8])) {
    let mut files = Vec::new();
    for dir in ["corpus", "regressions"] {
        let dir = root().join(dir).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            files.push(entry.unwrap().path());
        }
    }
    files.sort();
    assert!(
        files.len() >= min,
        "{target}: {} inputs, expected at least {min}",
        files.len()
    );
    let panicked: Vec<String> = files
        .iter()
        .filter(|file| {
            let data = std::fs::read(file).unwrap();
            catch_unwind(AssertUnwindSafe(|| run(&data))).is_err()
        })
        .map(|file| file.display().to_string())
        .collect();
    assert!(panicked.is_empty(), "{target}: panicked on {panicked:#?}");
}

#[test]
fn superblock_corpus() {
    replay("superblock", 6, fuzzing::superblock);
}

#[test]
fn uevent_corpus() {
    replay("uevent", 5, fuzzing::uevent);
}

#[test]
fn usb_descriptors_corpus() {
    replay("usb_descriptors", 10, fuzzing::usb_descriptors);
}

#[test]
fn usb_device_corpus() {
    replay("usb_device", 10, fuzzing::usb_device);
}

#[test]
fn policy_file_corpus() {
    replay("policy_file", 2, fuzzing::policy_file);
}

#[test]
fn signed_update_corpus() {
    let keys = fuzzing::trusted_keys(include_str!("../../fuzz/keys/fuzz-signer.pub"));
    replay("signed_update", 4, |data| {
        fuzzing::signed_update(data, &keys)
    });
}

#[test]
fn copy_register_corpus() {
    replay("copy_register", 4, fuzzing::copy_register);
}

#[test]
fn rtnetlink_corpus() {
    replay("rtnetlink", 3, fuzzing::rtnetlink);
}

#[test]
fn machine_record_corpus() {
    replay("machine_record", 6, fuzzing::machine_record);
}

#[test]
fn usbguard_rules_corpus() {
    replay("usbguard_rules", 3, fuzzing::usbguard_rules);
}

#[test]
fn inspect_corpus() {
    replay("inspect", 10, fuzzing::inspect);
}

#[test]
fn inspect_journal_corpus() {
    replay("inspect_journal", 3, fuzzing::inspect_journal);
}

#[test]
fn release_order_corpus() {
    replay("release_order", 4, fuzzing::release_order);
}

#[test]
fn enrol_entry_corpus() {
    replay("enrol_entry", 5, fuzzing::enrol_entry);
}

#[test]
fn tpm_response_corpus() {
    replay("tpm_response", 9, fuzzing::tpm_response);
}
