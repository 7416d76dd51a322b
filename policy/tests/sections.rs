//! Rules of `[meta]`, `[devices]`, `[[media]]`, `[usb]`, `[capture]` and `[logging]`.

mod common;

use std::time::Duration;

use airgapd_policy::{Access, BlockDevice, Date, Decision, LoopDevices, UsbDevice};
use common::*;

#[test]
fn meta_values_are_kept() {
    let text = "[meta]\nid = \"vn.pc-1_a\"\nserial = 42\nissuer = \"Bộ X\"\n\
                issued = \"2026-11-24\"\nnote = \"line one\\n\\tline two\"\n";
    let meta = ok(text).policy.meta;
    assert_eq!(meta.id.as_deref(), Some("vn.pc-1_a"));
    assert_eq!(meta.serial, 42);
    assert_eq!(meta.issuer.as_deref(), Some("Bộ X"));
    assert_eq!(meta.issued, Some(Date::new(2026, 11, 24).unwrap()));
    assert_eq!(meta.note.as_deref(), Some("line one\n\tline two"));
    // A bare TOML date means the same.
    let bare = ok("[meta]\nissued = 2026-11-24\n").policy.meta.issued;
    assert_eq!(bare.unwrap().to_string(), "2026-11-24");
}

#[test]
fn meta_rules() {
    assert_error("[meta]\nid = \"\"\n", "meta.id", "is not a policy id");
    assert_error("[meta]\nid = \"a b\"\n", "meta.id", "is not a policy id");
    assert_error(
        &format!("[meta]\nid = \"{}\"\n", "a".repeat(129)),
        "meta.id",
        "is not a policy id",
    );
    ok(&format!("[meta]\nid = \"{}\"\n", "a".repeat(128)));
    let error = assert_error("[meta]\nserial = -1\n", "meta.serial", "-1 is out of range");
    assert_eq!(error.expected, "a whole number, 0 or more");
    let error = assert_error(
        "[meta]\nissued = \"2026-02-30\"\n",
        "meta.issued",
        "is not a date",
    );
    assert_eq!(
        error.expected,
        "a real date written YYYY-MM-DD, e.g. \"2026-11-24\""
    );
    // TOML itself knows its dates: an impossible bare date is a syntax error.
    let error = err("[meta]\nissued = 2026-02-30\n").to_string();
    assert!(
        error.starts_with("policy.toml:2:18: invalid TOML: "),
        "{error}"
    );
    assert_error(
        "[meta]\nissued = 2026-11-24T10:00:00\n",
        "meta.issued",
        "has a time of day",
    );
    assert_error(
        "[meta]\nissued = 20261124\n",
        "meta.issued",
        "is not a date",
    );
    let error = assert_error(
        &format!("[meta]\nissuer = \"{}\"\n", "é".repeat(257)),
        "meta.issuer",
        "257 characters",
    );
    assert_eq!(error.expected, "at most 256 characters");
    assert_error(
        "[meta]\nissuer = \"a\\nb\"\n",
        "meta.issuer",
        "control character '\\n'",
    );
    assert_error(
        "[meta]\nissuer = \"  \"\n",
        "meta.issuer",
        "the text is empty",
    );
    assert_error(
        &format!("[meta]\nnote = \"{}\"\n", "a".repeat(4097)),
        "meta.note",
        "4097 characters",
    );
    assert_error(
        "[meta]\nnote = \"bell\\u0007\"\n",
        "meta.note",
        "control character",
    );
}

#[test]
fn devices_rules() {
    let text = "[devices]\nloop = \"removable\"\ninternal = [\"8:0\", \"/dev/nvme0n1\"]\n";
    let devices = ok(text).policy.devices;
    assert_eq!(devices.loop_devices, LoopDevices::Removable);
    assert_eq!(
        devices.internal,
        [
            BlockDevice::Number { major: 8, minor: 0 },
            BlockDevice::Path("/dev/nvme0n1".into())
        ]
    );
    let error = assert_error(
        "[devices]\nloop = \"external\"\n",
        "devices.loop",
        "unknown value",
    );
    assert_eq!(error.expected, "\"internal\" or \"removable\"");
    let error = assert_error(
        "[devices]\ninternal = [\"8:0\", \"sda\"]\n",
        "devices.internal[1]",
        "\"sda\" is not a block device",
    );
    assert_eq!(at(&error), (2, 20));
}

#[test]
fn media_is_typed_and_normalised() {
    let text =
        "[[media]]\nname = \"m\"\nvendor_id = \"ABCD\"\nproduct_id = \"00ef\"\nserial = \"S 1\"\n\
                fs_uuid = \"A1B2-C3D4\"\nfs_label = \"SECRET\"\naccess = \"read-write\"\n";
    let media = &ok(text).policy.media[0];
    assert_eq!(media.name, "m");
    assert_eq!(
        (media.vendor_id, media.product_id),
        (Some(0xabcd), Some(0x00ef))
    );
    assert_eq!(media.serial.as_deref(), Some("S 1"));
    assert_eq!(media.fs_uuid.as_deref(), Some("a1b2-c3d4"));
    assert_eq!(media.fs_label.as_deref(), Some("SECRET"));
    assert_eq!(media.access, Access::ReadWrite);
    assert!(!media.allow_exec);
}

#[test]
fn media_rules() {
    let entry = |body: &str| format!("[[media]]\nname = \"m\"\naccess = \"read-only\"\n{body}");
    let error = assert_error(&entry(""), "media[0]", "names no identity field");
    assert_eq!(at(&error), (1, 1));
    let error = assert_error(
        &entry("product_id = \"1666\"\nserial = \"x\"\n"),
        "media[0].product_id",
        "without vendor_id",
    );
    assert_eq!(at(&error), (4, 14));
    assert_error(
        &entry("vendor_id = \"951\"\n"),
        "media[0].vendor_id",
        "is not a USB id",
    );
    assert_error(
        &entry("vendor_id = \"0951\"\nproduct_id = \"x\"\n"),
        "media[0].product_id",
        "is not a USB id",
    );
    assert_error(
        &entry("serial = \"\"\n"),
        "media[0].serial",
        "is not a USB serial number",
    );
    assert_error(
        &entry("serial = \"caf\u{e9}\"\n"),
        "media[0].serial",
        "is not a USB serial number",
    );
    assert_error(
        &entry("serial = \"a\\tb\"\n"),
        "media[0].serial",
        "is not a USB serial number",
    );
    assert_error(
        &entry(&format!("serial = \"{}\"\n", "x".repeat(127))),
        "media[0].serial",
        "serial",
    );
    assert_error(
        &entry("serial = \"x\"\nfs_uuid = \"nope\"\n"),
        "media[0].fs_uuid",
        "is not a filesystem UUID",
    );
    assert_error(
        &entry("serial = \"x\"\nfs_label = \"\"\n"),
        "media[0].fs_label",
        "the text is empty",
    );
    let error = assert_error(
        &GOOD_MEDIA.replace("read-only", "ro"),
        "media[0].access",
        "unknown value \"ro\"",
    );
    assert_eq!(error.expected, "\"read-only\" or \"read-write\"");
    assert_error(
        &GOOD_MEDIA.replace("access = \"read-only\"\n", ""),
        "media[0].access",
        "missing",
    );
    assert_error(
        &GOOD_MEDIA.replace("name = \"stick\"\n", ""),
        "media[0].name",
        "missing",
    );
}

#[test]
fn media_names_and_identities_are_unique() {
    let twice = format!("{GOOD_MEDIA}{}", GOOD_MEDIA.replace("ABC123", "DEF456"));
    let error = assert_error(
        &twice,
        "media[1].name",
        "\"stick\" is already the name of media[0]",
    );
    assert_eq!(at(&error), (10, 8));
    let same = format!("{GOOD_MEDIA}{}", GOOD_MEDIA.replace("stick", "other"));
    let error = assert_error(&same, "media[1]", "names the same medium as media[0]");
    assert_eq!(at(&error), (9, 1));
    // A model-wide entry and a specific stick of that model may coexist.
    let model = GOOD_MEDIA
        .replace("stick", "model")
        .replace("serial = \"ABC123\"\n", "");
    assert_eq!(ok(&format!("{GOOD_MEDIA}{model}")).policy.media.len(), 2);
}

#[test]
fn usb_rules() {
    let text = "[usb]\nhid = \"deny\"\nprinters = \"deny\"\nauthorize_default = \"deny\"\n\n\
                [[usb.allow]]\nname = \"reader\"\nvendor_id = \"076B\"\nproduct_id = \"3031\"\n\n\
                [[usb.allow]]\nname = \"token\"\nvendor_id = \"1050\"\nproduct_id = \"0407\"\nserial = \"7\"\n";
    let usb = ok(text).policy.usb;
    assert_eq!(
        (usb.hid, usb.printers, usb.authorize_default),
        (Decision::Deny, Decision::Deny, Decision::Deny)
    );
    assert_eq!(
        usb.allow,
        [
            UsbDevice {
                name: "reader".into(),
                vendor_id: 0x076b,
                product_id: 0x3031,
                serial: None
            },
            UsbDevice {
                name: "token".into(),
                vendor_id: 0x1050,
                product_id: 0x0407,
                serial: Some("7".into())
            },
        ]
    );
    let error = assert_error(
        "[usb]\nauthorize_default = \"allow\"\n",
        "usb.authorize_default",
        "\"allow\" is not supported",
    );
    assert!(error.expected.starts_with("\"deny\""), "{error}");
    assert_error("[usb]\nhid = \"yes\"\n", "usb.hid", "unknown value");
    assert_error(
        "[usb]\nprinters = \"Allow\"\n",
        "usb.printers",
        "unknown value",
    );
    let text = "[[usb.allow]]\nname = \"reader\"\n";
    let fields: Vec<String> = errors(text).into_iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        ["usb.allow[0].vendor_id", "usb.allow[0].product_id"]
    );
    let text = "[[usb.allow]]\nvendor_id = \"076b\"\nproduct_id = \"3031\"\n";
    assert_error(text, "usb.allow[0].name", "missing");
    let text =
        "[[usb.allow]]\nname = \"r\"\nvendor_id = \"076b\"\nproduct_id = \"3031\"\nserial = \"\"\n";
    assert_error(text, "usb.allow[0].serial", "is not a USB serial number");
    let one = "[[usb.allow]]\nname = \"r\"\nvendor_id = \"076b\"\nproduct_id = \"3031\"\n";
    assert_error(
        &format!("{one}{one}"),
        "usb.allow[1].name",
        "already the name of usb.allow[0]",
    );
}

#[test]
fn capture_rules() {
    let capture = ok("").policy.capture;
    assert_eq!(
        (capture.camera, capture.microphone, capture.radio),
        (Decision::Deny, Decision::Deny, Decision::Deny)
    );
    let text = "[capture]\nmicrophone = \"allow\"\n\n[[capture.allow]]\nname = \"mic\"\nvendor_id = \"0d8c\"\nproduct_id = \"0014\"\n";
    let capture = ok(text).policy.capture;
    assert_eq!(capture.microphone, Decision::Allow);
    assert_eq!(capture.allow[0].vendor_id, 0x0d8c);
    assert_error(
        "[capture]\ncamera = \"maybe\"\n",
        "capture.camera",
        "unknown value",
    );
    assert_error(
        "[[capture.allow]]\nname = \"mic\"\nvendor_id = \"0d8c\"\n",
        "capture.allow[0].product_id",
        "missing",
    );
}

#[test]
fn logging_rules() {
    let logging = ok("[logging]\nstorm_interval_ms = 100\nrecent_violations = 100000\n")
        .policy
        .logging;
    assert_eq!(logging.storm_interval, Duration::from_millis(100));
    assert_eq!(logging.recent_violations, 100_000);
    ok("[logging]\nstorm_interval_ms = 60000\nrecent_violations = 10\n");
    assert_error(
        "[logging]\nstorm_interval_ms = 99\n",
        "logging.storm_interval_ms",
        "out of range",
    );
    assert_error(
        "[logging]\nstorm_interval_ms = 60001\n",
        "logging.storm_interval_ms",
        "out of range",
    );
    let error = assert_error(
        "[logging]\nrecent_violations = 9\n",
        "logging.recent_violations",
        "out of range",
    );
    assert_eq!(error.expected, "a whole number from 10 to 100000");
    assert_error(
        "[logging]\nrecent_violations = 100001\n",
        "logging.recent_violations",
        "out of range",
    );
}
