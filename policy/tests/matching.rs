//! How a device is recognised as an approved medium or an allowed USB device.

mod common;

use airgapd_policy::{Access, Media, MediaIdentity, Policy, UsbDevice};
use common::*;

fn device(vendor: u16, product: u16, serial: &str) -> MediaIdentity {
    MediaIdentity {
        vendor_id: Some(vendor),
        product_id: Some(product),
        serial: Some(serial.to_string()),
        ..MediaIdentity::default()
    }
}

fn policy(text: &str) -> Policy {
    ok(text).policy
}

#[test]
fn every_field_the_entry_gives_must_match() {
    let policy = policy(GOOD_MEDIA);
    let media = &policy.media[0];
    assert!(media.matches(&device(0x0951, 0x1666, "ABC123")));
    assert!(!media.matches(&device(0x0952, 0x1666, "ABC123")));
    assert!(!media.matches(&device(0x0951, 0x1667, "ABC123")));
    assert!(
        !media.matches(&device(0x0951, 0x1666, "abc123")),
        "serials are exact"
    );
    // Fields the entry does not give are not compared.
    let mut with_fs = device(0x0951, 0x1666, "ABC123");
    with_fs.fs_label = Some("ANY".into());
    with_fs.fs_uuid = Some("1234-5678".into());
    assert!(media.matches(&with_fs));
}

#[test]
fn a_field_the_device_lacks_does_not_match() {
    let policy = policy(GOOD_MEDIA);
    let mut no_serial = device(0x0951, 0x1666, "");
    no_serial.serial = None;
    assert!(!policy.media[0].matches(&no_serial));
    assert!(!policy.media[0].matches(&MediaIdentity::default()));
}

#[test]
fn filesystem_fields_match_uuid_without_case_and_label_exactly() {
    let text = GOOD_MEDIA.replace(
        "access",
        "fs_uuid = \"A1B2-C3D4\"\nfs_label = \"SECRET\"\naccess",
    );
    let policy = policy(&text);
    let mut seen = device(0x0951, 0x1666, "ABC123");
    seen.fs_uuid = Some("A1B2-C3D4".into());
    seen.fs_label = Some("SECRET".into());
    assert!(policy.media[0].matches(&seen));
    seen.fs_uuid = Some("a1b2-c3d4".into());
    assert!(policy.media[0].matches(&seen));
    seen.fs_label = Some("secret".into());
    assert!(!policy.media[0].matches(&seen));
    seen.fs_label = Some("SECRET".into());
    seen.fs_uuid = None;
    assert!(!policy.media[0].matches(&seen));
}

#[test]
fn an_entry_without_identity_matches_nothing() {
    let media = Media {
        name: "built in code".into(),
        vendor_id: None,
        product_id: None,
        serial: None,
        fs_uuid: None,
        fs_label: None,
        access: Access::ReadWrite,
        allow_exec: false,
    };
    assert!(!media.matches(&MediaIdentity::default()));
    assert!(!media.matches(&device(1, 2, "3")));
}

#[test]
fn find_media_prefers_the_most_specific_entry() {
    let model = GOOD_MEDIA
        .replace("stick", "any stick of the model")
        .replace("serial = \"ABC123\"\n", "")
        .replace("read-only", "read-write");
    let policy = policy(&format!("{model}{GOOD_MEDIA}"));
    let found = policy
        .find_media(&device(0x0951, 0x1666, "ABC123"))
        .unwrap();
    assert_eq!(
        (found.name.as_str(), found.access),
        ("stick", Access::ReadOnly)
    );
    let found = policy.find_media(&device(0x0951, 0x1666, "OTHER")).unwrap();
    assert_eq!(found.name, "any stick of the model");
    assert_eq!(policy.find_media(&device(0x0951, 0x1667, "ABC123")), None);
    assert_eq!(
        Policy::builtin_strict().find_media(&device(0x0951, 0x1666, "ABC123")),
        None
    );
}

#[test]
fn usb_device_serial_is_optional_but_exact_when_given() {
    let any = UsbDevice {
        name: "r".into(),
        vendor_id: 0x076b,
        product_id: 0x3031,
        serial: None,
    };
    assert!(any.matches(0x076b, 0x3031, None));
    assert!(any.matches(0x076b, 0x3031, Some("x")));
    assert!(!any.matches(0x076b, 0x3032, None));
    let one = UsbDevice {
        serial: Some("7".into()),
        ..any
    };
    assert!(one.matches(0x076b, 0x3031, Some("7")));
    assert!(!one.matches(0x076b, 0x3031, Some("8")));
    assert!(!one.matches(0x076b, 0x3031, None));
}
