//! Checks of the journald catalog in `packaging/catalog/` against [`MessageId`] and the field
//! vocabulary, so an id added here cannot ship without its English and Vietnamese explanation,
//! and a typo in `@FIELD@` cannot leave an officer reading a raw placeholder.

use std::collections::HashSet;

use super::{vietnamese, MessageId};

const ENGLISH: &str = include_str!("../../../packaging/catalog/airgapd.catalog");
const VIETNAMESE: &str = include_str!("../../../packaging/catalog/airgapd.vi.catalog");

/// One `-- <id> [lang]` entry.
struct Entry<'a> {
    id: &'a str,
    /// Language given in the header; ours come from the file name instead.
    lang: Option<&'a str>,
    body: Vec<&'a str>,
}

/// Parses a catalog the way `journalctl --update-catalog` does: `#` lines are comments, a line
/// `-- <32 hex digits> [language]` starts an entry.
fn parse(text: &str) -> Vec<Entry<'_>> {
    let mut entries: Vec<Entry<'_>> = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("-- ") {
            let mut words = rest.split(' ');
            let id = words.next().unwrap_or_default();
            if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                let lang = words.next();
                assert!(words.next().is_none(), "junk after header: {line}");
                entries.push(Entry {
                    id,
                    lang,
                    body: Vec::new(),
                });
                continue;
            }
        }
        match entries.last_mut() {
            Some(entry) => entry.body.push(line),
            None => assert!(
                line.trim().is_empty(),
                "text before the first entry: {line}"
            ),
        }
    }
    entries
}

/// The `@NAME@` references of `line`; panics on a lone `@` or a name journalctl would not
/// substitute (it accepts only `A`–`Z` and `_`).
fn variables(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find('@') {
        let after = &rest[start + 1..];
        let end = after
            .find('@')
            .unwrap_or_else(|| panic!("unpaired @ in: {line}"));
        let name = &after[..end];
        assert!(
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
            "journalctl does not substitute @{name}@ (only A-Z and _): {line}"
        );
        out.push(name);
        rest = &after[end + 1..];
    }
    out
}

/// Checks one catalog file and returns the ids it explains. Its language is the one in its
/// name (`airgapd.vi.catalog`), as for systemd's own `systemd.de.catalog`.
fn check(file: &str, text: &str) -> HashSet<MessageId> {
    let mut seen = HashSet::new();
    for entry in parse(text) {
        let id = MessageId::from_hex(entry.id)
            .unwrap_or_else(|| panic!("{file}: unknown MESSAGE_ID {}", entry.id));
        // journalctl warns "language specified unnecessarily" when a header repeats it.
        assert_eq!(entry.lang, None, "{file}: {} names a language", id.name());
        assert!(seen.insert(id), "{file}: {} defined twice", id.name());
        let subject = entry.body.first().copied().unwrap_or_default();
        assert!(
            subject.starts_with("Subject: "),
            "{file}: {} lacks a Subject",
            id.name()
        );
        assert!(
            entry.body.contains(&"Defined-By: airgapd"),
            "{file}: {}",
            id.name()
        );
        // journalctl -x prints a missing field as its bare name, so an entry may print only
        // MESSAGE and the fields every record of its kind must carry; and it should print all
        // of those, or they are required for nothing.
        let used: HashSet<&str> = entry
            .body
            .iter()
            .flat_map(|line| variables(line))
            .filter(|&name| name != "MESSAGE")
            .collect();
        let required: HashSet<&str> = id.catalog_fields().iter().copied().collect();
        if file.contains(".vi.") {
            // Vietnamese stands alone (issue 18): no English MESSAGE, values in their
            // Vietnamese fields, which the daemon writes whenever the English one is there.
            let mentions_message = entry.body.iter().any(|l| l.contains("@MESSAGE@"));
            assert!(!mentions_message, "{file}: {} prints MESSAGE", id.name());
            let allowed: HashSet<&str> = required
                .iter()
                .map(|f| vietnamese::derived(f).unwrap_or(f))
                .chain([vietnamese::SUMMARY])
                .collect();
            let stray: Vec<_> = used.difference(&allowed).collect();
            assert!(stray.is_empty(), "{file}: {} prints {stray:?}", id.name());
            for f in &required {
                if let Some(vi) = vietnamese::derived(f) {
                    assert!(
                        !used.contains(f),
                        "{file}: {} prints {f}, not {vi}",
                        id.name()
                    );
                }
            }
            continue;
        }
        assert_eq!(
            used,
            required,
            "{file}: @FIELD@s of {} vs catalog_fields()",
            id.name()
        );
    }
    seen
}

#[test]
fn every_message_id_is_explained_in_english_and_vietnamese() {
    let all: HashSet<MessageId> = MessageId::ALL.iter().copied().collect();
    let english = check("airgapd.catalog", ENGLISH);
    let vietnamese = check("airgapd.vi.catalog", VIETNAMESE);
    for id in &all {
        assert!(english.contains(id), "no English entry for {}", id.name());
        assert!(
            vietnamese.contains(id),
            "no Vietnamese entry for {}",
            id.name()
        );
    }
}

#[test]
fn translations_are_not_copies() {
    let subjects = |text| -> Vec<String> {
        parse(text)
            .iter()
            .map(|e| e.body.first().copied().unwrap_or_default().to_owned())
            .collect()
    };
    let english: HashSet<String> = subjects(ENGLISH).into_iter().collect();
    for subject in subjects(VIETNAMESE) {
        assert!(!english.contains(&subject), "untranslated: {subject}");
    }
}

#[test]
fn parser_spots_bad_references() {
    assert_eq!(
        variables("a @AIRGAP_PID@ b @MESSAGE@"),
        ["AIRGAP_PID", "MESSAGE"]
    );
    assert!(std::panic::catch_unwind(|| variables("@AIRGAP_POLICY_SHA256@")).is_err());
    assert!(std::panic::catch_unwind(|| variables("mail me@example")).is_err());
}
