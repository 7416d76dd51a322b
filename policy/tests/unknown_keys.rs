//! A key airgapd does not know is an error at every level, so a typo cannot silently weaken a
//! policy (`alow_exec = false` must not pass for `allow_exec`).

mod common;

use common::*;

/// (policy text, expected field, expected line, expected column)
const CASES: &[(&str, &str, u32, u32)] = &[
    ("bogus = 1\n", "bogus", 1, 1),
    ("[bogus]\nx = 1\n", "bogus", 1, 2),
    ("[meta]\nid = \"a\"\nserail = 1\n", "meta.serail", 3, 1),
    ("[network]\nloopbak = false\n", "network.loopbak", 2, 1),
    ("[network.extra]\nx = 1\n", "network.extra", 1, 10),
    (
        "[network.log_host]\naddress = \"192.168.50.2\"\nhost = \"x\"\n",
        "network.log_host.host",
        3,
        1,
    ),
    (
        "[network]\nprofile = \"isolated-lan\"\n[[network.lan]]\nname = \"l\"\nmac = \"x\"\n",
        "network.lan[0].mac",
        5,
        1,
    ),
    ("[devices]\nloops = \"internal\"\n", "devices.loops", 2, 1),
    (
        "[[media]]\nname = \"a\"\nvendor_id = \"0951\"\naccess = \"read-only\"\nalow_exec = true\n",
        "media[0].alow_exec",
        5,
        1,
    ),
    ("[[media]]\n[media.sub]\nx = 1\n", "media[0].sub", 2, 8),
    (
        "media = [{ name = \"a\", colour = \"red\" }]\n",
        "media[0].colour",
        1,
        24,
    ),
    ("[usb]\nstorage = \"allow\"\n", "usb.storage", 2, 1),
    (
        "[[usb.allow]]\nname = \"r\"\nvid = \"076b\"\n",
        "usb.allow[0].vid",
        3,
        1,
    ),
    ("[capture]\nspeaker = \"deny\"\n", "capture.speaker", 2, 1),
    (
        "[[capture.allow]]\nname.first = \"m\"\n",
        "capture.allow[0].name",
        2,
        6,
    ),
    ("[logging]\nlevel = \"debug\"\n", "logging.level", 2, 1),
];

#[test]
fn unknown_keys_are_refused_at_every_level() {
    for &(text, field, line, column) in CASES {
        let error = only_error(text);
        assert_eq!(error.field, field, "{text}");
        assert_eq!(at(&error), (line, column), "{text}: {error}");
        let key = field.rsplit('.').next().unwrap().split('[').next().unwrap();
        let unknown_key = format!("unknown key `{key}`");
        // `name.first` is a table where a string belongs: a type error, not an unknown key.
        if field == "capture.allow[0].name" {
            assert_eq!(error.problem, "a table is given where a string belongs");
            assert_eq!(error.expected, "a string");
        } else {
            assert_eq!(error.problem, unknown_key, "{text}");
            assert!(error.expected.starts_with('`') || error.expected.starts_with("one of"));
        }
    }
}

#[test]
fn a_table_where_a_value_belongs_names_the_key() {
    let error = assert_error("[meta.id]\nx = 1\n", "meta.id", "invalid type: map");
    assert_eq!(at(&error), (1, 1));
    assert_eq!(error.expected, "a string");
}

#[test]
fn unknown_key_message_lists_the_valid_keys() {
    let error = only_error("[logging]\nlevel = \"debug\"\n");
    assert_eq!(
        error.to_string(),
        "policy.toml:2:1: logging.level: unknown key `level`; \
         expected `storm_interval_ms` or `recent_violations`"
    );
}
