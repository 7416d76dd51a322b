//! The built-in policies, defaults, and the digest of the exact text.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use airgapd_policy::{parse, Decision, LoopDevices, Policy, Profile, BUILTIN_STRICT_TOML};
use common::*;

#[test]
fn an_empty_file_means_the_default_policy() {
    let parsed = ok("").policy;
    let default = Policy::default_policy();
    assert_eq!(
        Policy {
            source: default.source.clone(),
            ..parsed.clone()
        },
        default
    );
    assert!(!parsed.source.builtin);
    assert_eq!(parsed.source.path, Some(PathBuf::from("policy.toml")));
    // Comments and empty tables change nothing but the digest.
    let commented = ok("# nothing\n[meta]\n[network]\n[[media]]\nname = \"x\"\nvendor_id = \"0951\"\nproduct_id = \"1666\"\nserial = \"1\"\naccess = \"read-only\"\n").policy;
    assert_eq!(commented.network, default.network);
}

#[test]
fn default_values() {
    let policy = Policy::default_policy();
    assert_eq!(policy.meta.serial, 0);
    assert_eq!(policy.meta.id, None);
    assert_eq!(policy.network.profile, Profile::Standalone);
    assert!(policy.network.loopback);
    assert!(policy.network.lan.is_empty());
    assert_eq!(policy.devices.loop_devices, LoopDevices::Internal);
    assert!(policy.devices.internal.is_empty());
    assert!(policy.media.is_empty());
    assert_eq!(policy.usb.hid, Decision::Allow);
    assert_eq!(policy.usb.printers, Decision::Allow);
    assert_eq!(policy.usb.authorize_default, Decision::Deny);
    assert_eq!(policy.capture.camera, Decision::Deny);
    assert_eq!(policy.capture.microphone, Decision::Deny);
    assert_eq!(policy.capture.radio, Decision::Deny);
    assert_eq!(policy.logging.storm_interval, Duration::from_secs(1));
    assert_eq!(policy.logging.recent_violations, 1000);
    assert!(policy.source.builtin);
    assert_eq!(policy.source.path, None);
    assert_eq!(
        policy.sha256(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn builtin_strict_denies_everything_but_input() {
    let strict = Policy::builtin_strict();
    assert!(!strict.network.loopback);
    assert_eq!(strict.network.profile, Profile::Standalone);
    assert!(strict.network.lan.is_empty());
    assert!(strict.media.is_empty());
    assert_eq!(strict.devices.loop_devices, LoopDevices::Internal);
    assert_eq!(strict.usb.authorize_default, Decision::Deny);
    assert!(strict.usb.allow.is_empty());
    assert_eq!(strict.usb.printers, Decision::Deny);
    assert_eq!(
        strict.usb.hid,
        Decision::Allow,
        "keyboards are needed to repair the policy"
    );
    assert_eq!(strict.capture.camera, Decision::Deny);
    assert_eq!(strict.capture.microphone, Decision::Deny);
    assert_eq!(strict.capture.radio, Decision::Deny);
    assert!(strict.capture.allow.is_empty());
    assert!(strict.source.builtin);
    assert_eq!(strict.source.path, None);
    // The same text parsed from a file gives the same rules.
    let parsed = ok(BUILTIN_STRICT_TOML).policy;
    assert_eq!(
        Policy {
            source: strict.source.clone(),
            ..parsed.clone()
        },
        strict
    );
    assert_eq!(parsed.sha256(), strict.sha256());
}

#[test]
fn sha256_is_of_the_exact_bytes() {
    let text = "[network]\nloopback = false\n";
    let policy = parse(text, Some(Path::new("/etc/airgapd/policy.toml")))
        .unwrap()
        .policy;
    // printf '[network]\nloopback = false\n' | sha256sum
    assert_eq!(
        policy.sha256(),
        "7f948949333710b9746acc872d12cd2551a2b6a82bd2912b0695cdfb0be7675c"
    );
    assert_eq!(policy.source.sha256, policy.sha256());
    // One more byte, one more comment: a different digest, the same rules.
    let other = ok("[network]\nloopback = false\n\n").policy;
    assert_ne!(other.sha256(), policy.sha256());
    assert_eq!(other.network, policy.network);
    assert!(policy
        .sha256()
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
}
