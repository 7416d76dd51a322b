//! Issue 17: USBGuard rules imported. The fixture `all.rules` uses every target, attribute,
//! set operator and condition of usbguard-rules.conf(5); its conversion is compared with the
//! golden `all.toml` (the policy) and `all.notes` (what is not honoured), and the policy must
//! pass airgapd's own check. Malformed rules are each refused at their line and column.
//!
//! `AIRGAPD_BLESS=1 cargo test -p airgapd-policy --test usbguard` rewrites the golden files.

use std::path::Path;

use airgapd_policy::usbguard::{
    self, AttributeName, Problem, Rule, RuleError, Section, SetOperator, Target,
};
use airgapd_policy::{Access, Decision};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/usbguard");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(Path::new(FIXTURES).join(name)).unwrap()
}

fn golden(name: &str, actual: &str) {
    let path = Path::new(FIXTURES).join(name);
    if std::env::var_os("AIRGAPD_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert!(
        expected == actual,
        "{name} differs from the conversion; got:\n{actual}"
    );
}

fn all_rules() -> Vec<Rule> {
    usbguard::parse_rules(&fixture("all.rules")).unwrap_or_else(|errors| {
        panic!(
            "{}",
            errors.iter().map(|e| format!("{e}\n")).collect::<String>()
        )
    })
}

#[test]
fn the_fixture_uses_every_construct_of_the_man_page() {
    let rules = all_rules();
    for target in [
        Target::Allow,
        Target::Block,
        Target::Reject,
        Target::Match,
        Target::Device,
    ] {
        assert!(rules.iter().any(|r| r.target == Some(target)), "{target:?}");
    }
    let names = [
        AttributeName::Id,
        AttributeName::Name,
        AttributeName::Hash,
        AttributeName::ParentHash,
        AttributeName::Serial,
        AttributeName::ViaPort,
        AttributeName::WithInterface,
        AttributeName::WithConnectType,
        AttributeName::If,
        AttributeName::Label,
    ];
    for name in names {
        assert!(rules.iter().any(|r| r.column_of(name).is_some()), "{name}");
    }
    let mut operators = Vec::new();
    for r in &rules {
        let sets = [
            r.id.as_ref().map(|a| (a.set, a.operator)),
            r.serial.as_ref().map(|a| (a.set, a.operator)),
            r.with_interface.as_ref().map(|a| (a.set, a.operator)),
            r.via_port.as_ref().map(|a| (a.set, a.operator)),
            r.with_connect_type.as_ref().map(|a| (a.set, a.operator)),
            r.conditions.as_ref().map(|a| (a.set, a.operator)),
        ];
        operators.extend(
            sets.into_iter()
                .flatten()
                .filter(|(set, _)| *set)
                .map(|(_, op)| op),
        );
    }
    for op in [
        SetOperator::AllOf,
        SetOperator::OneOf,
        SetOperator::NoneOf,
        SetOperator::Equals,
        SetOperator::EqualsOrdered,
        SetOperator::MatchAll,
    ] {
        assert!(operators.contains(&op), "{op:?}");
    }
    let conditions: Vec<(bool, String)> = rules
        .iter()
        .filter_map(|r| r.conditions.as_ref())
        .flat_map(|a| a.values.iter().map(|c| (c.negated, c.identifier.clone())))
        .collect();
    for name in [
        "localtime",
        "allowed-matches",
        "rule-applied",
        "rule-evaluated",
        "random",
        "true",
        "false",
    ] {
        assert!(conditions.iter().any(|(_, c)| c == name), "{name}");
    }
    assert!(conditions.iter().any(|(negated, _)| *negated));
    // The bare device id after the target is the id attribute; \x2d and \" are unescaped;
    // label may be repeated (USBGuard appends).
    let bare = rules.iter().find(|r| r.line == 6).unwrap();
    assert_eq!(bare.id.as_ref().unwrap().column, 7);
    let escaped = rules.iter().find(|r| r.line == 31).unwrap();
    assert_eq!(escaped.serial.as_ref().unwrap().values[0], b"PORT-LESS");
    let labelled = rules.iter().find(|r| r.line == 8).unwrap();
    let labels = &labelled.label.as_ref().unwrap().values;
    assert_eq!(
        labels,
        &[b"Cipher \"A\" stick".to_vec(), b"room 203".to_vec()]
    );
}

#[test]
fn conversion_matches_the_golden_policy_and_notes() {
    let converted = usbguard::convert(&all_rules());
    let text = usbguard::to_toml(&converted, "all.rules", Access::ReadOnly);
    golden("all.toml", &text);
    let notes: String = converted.notes.iter().map(|n| format!("{n}\n")).collect();
    golden("all.notes", &notes);

    // airgapd's own check accepts it, without warnings, and it says what the rules said.
    let checked =
        airgapd_policy::parse(&text, Some(Path::new("all.toml"))).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(checked.warnings, Vec::new());
    let policy = checked.policy;
    let serials: Vec<&str> = policy
        .media
        .iter()
        .map(|m| m.serial.as_deref().unwrap())
        .collect();
    assert_eq!(
        serials,
        [
            "AA0100000000000000001",
            "4C530001140811104304",
            "070B3F5EAE3B8E38",
            "AA00000000011532",
            "PORT-LESS",
            "OTHER"
        ]
    );
    assert!(policy.media.iter().all(|m| m.access == Access::ReadOnly));
    assert_eq!(policy.usb.hid, Decision::Allow);
    assert_eq!(policy.usb.printers, Decision::Deny);
    assert_eq!(policy.usb.allow.len(), 2);
    assert_eq!(policy.capture.allow.len(), 1);
    assert_eq!(policy.capture.camera, Decision::Deny);

    // Every rule is accounted for: imported, or named by a note.
    for rule in all_rules() {
        let imported = converted.imported.iter().any(|i| i.line == rule.line);
        let noted = converted.notes.iter().any(|n| n.line == rule.line);
        let deny = matches!(rule.target, Some(Target::Block | Target::Reject));
        assert!(imported || noted || deny, "line {} vanished", rule.line);
    }
}

#[test]
fn read_write_is_asked_for() {
    let rules = usbguard::parse_rules(
        "allow id 0951:1666 serial \"S1\" with-interface 08:06:50\n\
         allow id 076b:3031 serial \"R1\" with-interface 0b:00:00\n",
    )
    .unwrap();
    let converted = usbguard::convert(&rules);
    assert_eq!(converted.imported[0].section, Section::Media);
    let text = usbguard::to_toml(&converted, "x", Access::ReadWrite);
    let policy = airgapd_policy::parse(&text, None).unwrap().policy;
    assert_eq!(policy.media[0].access, Access::ReadWrite);
    assert_eq!(policy.usb.allow[0].serial.as_deref(), Some("R1"));
}

#[test]
fn an_earlier_block_rule_that_may_match_keeps_the_allow_out() {
    let rules = usbguard::parse_rules(
        "block serial \"S1\"\n\
         allow id 0951:1666 serial \"S1\" with-interface 08:06:50\n\
         allow id 0951:1666 serial \"S2\" with-interface 08:06:50\n\
         block id 0951:*\n\
         allow id 0951:1666 serial \"S3\" with-interface 08:06:50\n",
    )
    .unwrap();
    let converted = usbguard::convert(&rules);
    let lines: Vec<usize> = converted.imported.iter().map(|i| i.line).collect();
    assert_eq!(lines, [3]);
    let shadowed: Vec<String> = converted.notes.iter().map(ToString::to_string).collect();
    assert!(
        shadowed[0].starts_with("2:1: the block rule on line 1"),
        "{shadowed:?}"
    );
    assert!(
        shadowed[1].starts_with("5:1: the block rule on line 4"),
        "{shadowed:?}"
    );
}

#[test]
fn a_device_allowed_twice_is_imported_once() {
    // Before the fix the second entry made the generated policy fail airgapd's check
    // ("names the same medium as media[0]").
    let rules = usbguard::parse_rules(
        "allow id 0951:1666 serial \"S\" with-interface 08:06:50\n\
         allow id 0951:1666 serial \"S\" with-interface { 08:06:50 } label \"again\"\n",
    )
    .unwrap();
    let converted = usbguard::convert(&rules);
    assert_eq!(converted.imported.len(), 1);
    assert_eq!(
        converted.notes[0].to_string(),
        "2:1: the same device as the rule on line 1, which is imported; this one adds nothing"
    );
    let text = usbguard::to_toml(&converted, "x", Access::ReadOnly);
    airgapd_policy::parse(&text, None).unwrap_or_else(|e| panic!("{e}"));
}

/// Each malformed rule, as line 3 of a file whose other lines are valid: (rule, column, check).
#[allow(clippy::type_complexity)]
const MALFORMED: &[(&str, usize, fn(&Problem) -> bool)] = &[
    ("allow id 0951:1666 id 0951:1667", 20, |p| {
        matches!(
            p,
            Problem::Duplicate {
                name: AttributeName::Id,
                first: 7
            }
        )
    }),
    ("allow 0951:1666 id 0951:1666", 17, |p| {
        matches!(p, Problem::Duplicate { first: 7, .. })
    }),
    ("allow serial \"a\" serial \"b\"", 18, |p| {
        matches!(
            p,
            Problem::Duplicate {
                name: AttributeName::Serial,
                ..
            }
        )
    }),
    ("allow via-port \"1-2\" via-port \"1-3\"", 22, |p| {
        matches!(
            p,
            Problem::Duplicate {
                name: AttributeName::ViaPort,
                ..
            }
        )
    }),
    ("allow if true if false", 15, |p| {
        matches!(
            p,
            Problem::Duplicate {
                name: AttributeName::If,
                ..
            }
        )
    }),
    ("allow with-interface 08:*:06", 22, |p| {
        *p == Problem::ProtocolWithoutSubclass
    }),
    ("allow with-interface { 08:06:50 03:*:01 }", 33, |p| {
        *p == Problem::ProtocolWithoutSubclass
    }),
    ("allow with-interface 8:06:50", 22, |p| {
        *p == Problem::BadInterface
    }),
    ("allow with-interface { 08:06:50", 22, |p| {
        *p == Problem::UnclosedBrace { open: 22 }
    }),
    ("allow with-interface 08:06:50 }", 31, |p| {
        *p == Problem::StrayBrace
    }),
    ("allow with-interface { }", 24, |p| *p == Problem::EmptySet),
    ("allow with-interface { 08:06:5003:00:00 }", 32, |p| {
        *p == Problem::ExpectedBlank { found: '0' }
    }),
    (
        "allow with-interface oneof { 08:*:* }",
        22,
        |p| matches!(p, Problem::UnknownOperator { found } if found == "oneof"),
    ),
    ("allow with-interface one-of 08:*:*", 22, |p| {
        *p == Problem::OperatorWithoutSet { operator: "one-of" }
    }),
    ("allow with-interface equals{ 08:*:* }", 22, |p| {
        *p == Problem::OperatorWithoutSet { operator: "equals" }
    }),
    ("allow id *:1666", 10, |p| {
        *p == Problem::ProductWithoutVendor
    }),
    ("allow id 951:1666", 10, |p| *p == Problem::BadDeviceId),
    ("allow id 0951:1666serial \"x\"", 19, |p| {
        *p == Problem::TrailingCharacter { found: 's' }
    }),
    (
        "allow colour \"red\"",
        7,
        |p| matches!(p, Problem::UnknownAttribute { found } if found == "colour"),
    ),
    (
        "permit id 0951:1666",
        1,
        |p| matches!(p, Problem::UnknownTarget { found } if found == "permit"),
    ),
    ("allow serial", 7, |p| {
        *p == Problem::MissingValue {
            name: AttributeName::Serial,
        }
    }),
    ("allow serial \"abc", 14, |p| {
        *p == Problem::UnclosedString { open: 14 }
    }),
    (
        "allow serial \"a\\qb\"",
        16,
        |p| matches!(p, Problem::BadEscape { found } if found == "\\q"),
    ),
    ("allow serial \"a\\n\"", 16, |p| {
        matches!(p, Problem::BadEscape { .. })
    }),
    ("allow serial \"a\\x4\"", 16, |p| {
        matches!(p, Problem::BadEscape { .. })
    }),
    ("allow name \"a\"label \"b\"", 15, |p| {
        *p == Problem::TrailingCharacter { found: 'l' }
    }),
    (
        "allow if tomorrow",
        10,
        |p| matches!(p, Problem::UnknownCondition { found } if found == "tomorrow"),
    ),
    ("allow if localtime", 10, |p| {
        *p == Problem::MissingArgument {
            condition: "localtime",
        }
    }),
    ("allow if localtime(25:00)", 20, |p| {
        matches!(p, Problem::BadTimeRange { .. })
    }),
    ("allow if localtime(17:00-08:00)", 20, |p| {
        matches!(p, Problem::BadTimeRange { .. })
    }),
    ("allow if random(2)", 17, |p| {
        matches!(p, Problem::BadProbability { .. })
    }),
    ("allow if rule-applied(1:2:3:4)", 23, |p| {
        matches!(p, Problem::BadDuration { .. })
    }),
    ("allow if random()", 17, |p| *p == Problem::EmptyArgument),
    ("allow if rule-applied(", 22, |p| {
        *p == Problem::UnclosedParenthesis { open: 22 }
    }),
    (
        "allow if allowed-matches(colour \"x\")",
        26,
        |p| matches!(p, Problem::UnknownAttribute { found } if found == "colour"),
    ),
    ("allow if one-of { true 08 }", 24, |p| {
        *p == Problem::BadCondition
    }),
    ("allow{ }", 6, |p| {
        *p == Problem::ExpectedBlank { found: '{' }
    }),
    ("allow id 0951:1666\r", 19, |p| {
        *p == Problem::CarriageReturn
    }),
    ("allow\r", 6, |p| *p == Problem::CarriageReturn),
    ("allow name \"a\rb\"", 14, |p| *p == Problem::CarriageReturn),
    (
        "allow if allowed-matches(name \\q)",
        31,
        |p| matches!(p, Problem::BadEscape { found } if found == "\\q"),
    ),
    ("allow if allowed-matches(name \\\")", 31, |p| {
        matches!(p, Problem::BadEscape { .. })
    }),
];

#[test]
fn malformed_rules_are_refused_at_their_line_and_column() {
    for &(rule, column, check) in MALFORMED {
        let text = format!("# first line\nallow\t0951:1666 label \"ok\" # fine\n{rule}\nblock\n");
        let errors: Vec<RuleError> = match usbguard::parse_rules(&text) {
            Ok(_) => panic!("accepted: {rule}"),
            Err(errors) => errors,
        };
        assert_eq!(errors.len(), 1, "{rule}: {errors:?}");
        let e = &errors[0];
        assert_eq!((e.line, e.column), (3, column), "{rule}: {e}");
        assert!(check(&e.problem), "{rule}: {e}");
    }
}

#[test]
fn every_malformed_line_is_reported_not_only_the_first() {
    let errors =
        usbguard::parse_rules("allow id *:1\nallow\nallow serial \"x\nblock\n").unwrap_err();
    let at: Vec<(usize, usize)> = errors.iter().map(|e| (e.line, e.column)).collect();
    assert_eq!(at, [(1, 10), (3, 14)]);
}

#[test]
fn blank_lines_comments_and_a_missing_final_newline_are_fine() {
    let rules = usbguard::parse_rules("\n   \n# c\n\t# c\nallow#c\nblock id 0951:1666#c").unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[1].line, 6);
}
