//! USB decisions: composite refusal, media, explicit allows, policy switches.

use super::usb;
use crate::devices::usb::{UsbDevice, UsbInterface};
use crate::devices::usb_decide::{decide, DecisionBasis, UsbAllow, UsbDecision, UsbRules, Verdict};

const APPROVED_SERIAL: &str = "60A44C413AB2F140391F0021";

/// The `approved` callback of a policy with one media entry for the Kingston stick no. 3.
fn media_entry(dev: &UsbDevice) -> Option<String> {
    (dev.vendor_id == 0x0951
        && dev.product_id == 0x1666
        && dev.serial.as_deref() == Some(APPROVED_SERIAL))
    .then(|| "Secret transfer stick no. 3".to_owned())
}

fn no_media(_: &UsbDevice) -> Option<String> {
    None
}

fn decide_default(name: &str) -> UsbDecision {
    decide(&usb(name), &UsbRules::default(), media_entry)
}

#[test]
fn the_approved_stick_is_authorized_by_its_media_entry() {
    let d = decide_default("2-1");
    assert_eq!(d.verdict, Verdict::Authorize);
    assert_eq!(d.rule, "Secret transfer stick no. 3");
    assert_eq!(d.basis, DecisionBasis::ApprovedMedium);
    assert!(d.log_arrival);
    assert!(
        d.reason
            .contains("stay locked until its full identity is checked"),
        "{}",
        d.reason
    );
}

#[test]
fn another_stick_of_the_same_model_is_refused() {
    let d = decide_default("2-2");
    assert_eq!(d.verdict, Verdict::Refuse);
    assert_eq!(d.rule, "default");
    assert!(
        d.reason.contains("not on the list of approved media"),
        "{}",
        d.reason
    );
    assert!(
        d.reason.contains("serial E0D55EA573DCF450E97C0D9A"),
        "{}",
        d.reason
    );
}

#[test]
fn a_stick_that_also_types_is_refused_even_with_the_approved_identity() {
    // 2-3 copies the approved stick's vendor, product and serial, and adds a keyboard.
    let dev = usb("2-3");
    assert!(media_entry(&dev).is_some());
    let rules = UsbRules {
        explicit_allow: vec![UsbAllow {
            name: "copied identity".into(),
            vendor_id: 0x0951,
            product_id: 0x1666,
            serial: Some(APPROVED_SERIAL.into()),
        }],
        ..UsbRules::default()
    };
    let d = decide(&dev, &rules, media_entry);
    assert_eq!(d.verdict, Verdict::Refuse);
    assert_eq!(d.rule, "default");
    assert!(
        d.reason
            .contains("memory stick or disk and also as a keyboard"),
        "{}",
        d.reason
    );
}

#[test]
fn a_keyboard_with_a_storage_interface_is_refused() {
    let mut dev = usb("1-1");
    dev.interfaces.push(UsbInterface {
        config: 1,
        number: 2,
        alt: 0,
        class: 0x08,
        subclass: 0x06,
        protocol: 0x50,
        name: None,
    });
    let d = decide(&dev, &UsbRules::default(), |_| Some("any".into()));
    assert_eq!(d.verdict, Verdict::Refuse);
    assert!(d.reason.contains("refused as a whole"), "{}", d.reason);
}

#[test]
fn refused_classes_say_why_in_plain_words() {
    let cases = [
        (
            "1-5",
            "network adapter (phone tethering or USB Ethernet); network devices are not allowed",
        ),
        (
            "1-4",
            "phone offering file transfer (MTP); phones and cameras may not exchange files",
        ),
        (
            "2-4",
            "manufacturer-specific device; what it does cannot be checked",
        ),
        ("1-6", "Bluetooth adapter; radio devices are not allowed"),
        (
            "1-7",
            "camera or other video recording device; recording devices are not allowed",
        ),
    ];
    for (name, words) in cases {
        let d = decide_default(name);
        assert_eq!(d.verdict, Verdict::Refuse, "{name}");
        assert_eq!(d.basis, DecisionBasis::Refused, "{name}");
        assert!(
            d.reason.starts_with("refused: this device is "),
            "{name}: {}",
            d.reason
        );
        assert!(d.reason.contains(words), "{name}: {}", d.reason);
    }
    // The webcam's microphone is named too.
    assert!(decide_default("1-7")
        .reason
        .contains("it also declares a microphone"));
}

#[test]
fn input_devices_hubs_printers_and_card_readers_are_allowed_and_logged() {
    for name in ["1-1", "1-2", "1-3", "1-3.1", "1-8"] {
        let d = decide_default(name);
        assert_eq!(d.verdict, Verdict::Authorize, "{name}: {}", d.reason);
        assert_eq!(
            (d.rule.as_str(), d.basis),
            ("default", DecisionBasis::ClassDefault),
            "{name}"
        );
        assert!(d.log_arrival, "{name}");
    }
    assert!(decide_default("1-1")
        .reason
        .contains("a keyboard and an input device"));
}

#[test]
fn policy_switches_refuse_hid_printers_and_card_readers() {
    let rules = UsbRules {
        hid_allowed: false,
        printers_allowed: false,
        smartcards_allowed: false,
        ..UsbRules::default()
    };
    for (name, words) in [
        ("1-1", "does not allow new keyboards"),
        ("1-2", "does not allow new keyboards"),
        ("1-3.1", "does not allow printers"),
        ("1-8", "does not allow smart card readers"),
    ] {
        let d = decide(&usb(name), &rules, no_media);
        assert_eq!(d.verdict, Verdict::Refuse, "{name}");
        assert!(d.reason.contains(words), "{name}: {}", d.reason);
    }
    // Hubs stay allowed: refusing one would hide the keyboard behind it.
    assert_eq!(
        decide(&usb("1-3"), &rules, no_media).verdict,
        Verdict::Authorize
    );
}

#[test]
fn an_explicit_allow_names_the_rule_and_needs_the_serial() {
    let allow = |serial: Option<&str>| UsbRules {
        explicit_allow: vec![UsbAllow {
            name: "Lab Ethernet adapter".into(),
            vendor_id: 0x0b95,
            product_id: 0x1790,
            serial: serial.map(str::to_owned),
        }],
        ..UsbRules::default()
    };
    let d = decide(&usb("2-4"), &allow(Some("0000000000009D")), no_media);
    assert_eq!(
        (d.verdict, d.rule.as_str(), d.basis),
        (
            Verdict::Authorize,
            "Lab Ethernet adapter",
            DecisionBasis::ExplicitAllow
        )
    );
    assert_eq!(
        decide(&usb("2-4"), &allow(None), no_media).verdict,
        Verdict::Authorize
    );
    assert_eq!(
        decide(&usb("2-4"), &allow(Some("OTHER")), no_media).verdict,
        Verdict::Refuse
    );
}

#[test]
fn explicit_allow_does_not_open_storage() {
    // Storage alone is governed by media entries only.
    let rules = UsbRules {
        explicit_allow: vec![UsbAllow {
            name: "a stick".into(),
            vendor_id: 0x0951,
            product_id: 0x1666,
            serial: None,
        }],
        ..UsbRules::default()
    };
    assert_eq!(
        decide(&usb("2-2"), &rules, no_media).verdict,
        Verdict::Refuse
    );
}

#[test]
fn root_hubs_are_authorized_without_an_arrival_record() {
    let d = decide(
        &usb("usb1"),
        &UsbRules {
            hid_allowed: false,
            ..UsbRules::default()
        },
        no_media,
    );
    assert_eq!(
        (d.verdict, d.basis, d.log_arrival),
        (Verdict::Authorize, DecisionBasis::RootHub, false)
    );
}

#[test]
fn a_device_without_interfaces_is_refused() {
    let mut dev = usb("1-2");
    dev.interfaces.clear();
    let d = decide(&dev, &UsbRules::default(), no_media);
    assert_eq!(d.verdict, Verdict::Refuse);
    assert!(
        d.reason.contains("does not say what kind of device"),
        "{}",
        d.reason
    );
}

#[test]
fn only_pure_input_devices_count_as_input_only() {
    let rules = UsbRules {
        hid_allowed: false,
        ..UsbRules::default()
    };
    let keyboard = decide(&usb("1-1"), &rules, no_media);
    assert_eq!(keyboard.verdict, Verdict::Refuse);
    assert!(keyboard.input_only(), "kept at start-up although refused");
    assert!(
        !decide(&usb("2-3"), &rules, no_media).input_only(),
        "BadUSB stick"
    );
    assert!(
        !decide(&usb("1-7"), &rules, no_media).input_only(),
        "webcam"
    );
}

/// Issue 18: every USB decision's reason reads the same from the English catalog as the
/// daemon's own sentence, and from the Vietnamese catalog without a word of the English one.
#[test]
fn every_reason_is_rendered_from_the_catalogs_in_both_languages() {
    use crate::ctl::devices::reason_words_in;
    use crate::i18n::{Catalog, Lang};
    let en = Catalog::new(Lang::En, None);
    let vi = Catalog::new(Lang::Vi, None);
    let strict = UsbRules {
        hid_allowed: false,
        printers_allowed: false,
        smartcards_allowed: false,
        explicit_allow: Vec::new(),
    };
    let named = UsbRules {
        explicit_allow: vec![UsbAllow {
            name: "Officer's phone".into(),
            vendor_id: usb("1-4").vendor_id,
            product_id: usb("1-4").product_id,
            serial: None,
        }],
        ..UsbRules::default()
    };
    let names = [
        "1-1", "1-2", "1-3", "1-3.1", "1-4", "1-5", "1-6", "1-7", "1-8", "2-1", "2-2", "2-3",
        "2-4", "usb1",
    ];
    let mut keys = std::collections::BTreeSet::new();
    let mut bare = usb("2-2");
    bare.serial = None;
    let mut empty = usb("1-1");
    empty.interfaces.clear();
    let devices = names.iter().map(|n| usb(n)).chain([bare, empty]);
    for dev in devices {
        for rules in [&UsbRules::default(), &strict, &named] {
            for approved in [media_entry as fn(&UsbDevice) -> Option<String>, no_media] {
                let d = decide(&dev, rules, approved);
                let r = d.reason_ref.encode();
                keys.insert(d.reason_ref.key.clone());
                assert_eq!(reason_words_in(&en, &r, &d.reason), d.reason, "{r}");
                let v = reason_words_in(&vi, &r, &d.reason);
                assert!(
                    v.starts_with("từ chối: ") || v.starts_with("cho phép: "),
                    "{r}: {v}"
                );
                for english in ["refused", "authorized", " device", " allowed", " and "] {
                    assert!(!v.contains(english), "{r}: {v}");
                }
            }
        }
    }
    // Every USB reason was reached.
    for key in [
        "usb-root-hub",
        "usb-no-interface",
        "usb-storage-and-more",
        "usb-approved-medium",
        "usb-storage-not-approved",
        "usb-storage-not-approved-no-serial",
        "usb-named",
        "usb-allowed-kind",
        "usb-refused",
    ] {
        assert!(keys.contains(key), "{key} not reached: {keys:?}");
    }
    // A key or a category the catalog does not know: the daemon's sentence.
    let unknown = crate::devices::reason::ReasonRef::new("usb-from-the-future").encode();
    assert_eq!(reason_words_in(&vi, &unknown, "refused: x"), "refused: x");
    let odd = crate::devices::reason::ReasonRef::new("usb-refused")
        .arg("first_cats", "teleporter")
        .arg("classes", "")
        .encode();
    assert_eq!(reason_words_in(&vi, &odd, "refused: y"), "refused: y");
    assert_eq!(reason_words_in(&vi, "not json", "refused: z"), "refused: z");
}

/// Every USB category has words in both catalogs.
#[test]
fn every_category_has_words_in_both_catalogs() {
    use crate::devices::reason::{category_key, ALL_CATEGORIES};
    use crate::i18n::{Catalog, Lang};
    for lang in [Lang::En, Lang::Vi] {
        let c = Catalog::new(lang, None);
        for cat in ALL_CATEGORIES {
            let id = format!("usb-category-{}", category_key(cat));
            assert!(c.has(&id), "{id} missing in {lang:?}");
        }
    }
    // And the English ones are the daemon's words.
    let en = Catalog::new(Lang::En, None);
    for cat in ALL_CATEGORIES {
        let id = format!("usb-category-{}", category_key(cat));
        assert_eq!(en.text(&id, None), crate::devices::usb_decide::words(cat));
    }
}
