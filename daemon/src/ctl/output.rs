//! Printing for people and for programs: local times in the reader's convention, JSON, 80
//! columns, and the one-line form of a refusal.

use serde::Serialize;

use crate::dbus::ViolationEntry;
use crate::i18n::{self, catalog, time};

/// The width every airgapctl screen fits.
pub const COLUMNS: usize = 80;

/// `24/11/2025 23:29:01 +0700` (vi) or `2025-11-24 23:29:01 +0700` (en), machine's time zone.
pub fn local_time(micros: u64) -> String {
    time::date_time(catalog(), micros)
}

/// `text` wrapped to [`COLUMNS`], continuation lines indented by `indent`.
pub fn wrap(text: &str, indent: usize) -> String {
    i18n::wrap(text, COLUMNS, indent)
}

/// Say `text` on stderr after "airgapctl: ", wrapped to the screen.
pub fn say_error(text: &str) {
    eprintln!("{}", wrap(&format!("airgapctl: {text}"), 2));
}

/// Say `text` on stdout, wrapped to the screen.
pub fn say(text: &str) {
    println!("{}", wrap(text, 2));
}

/// Print `value` as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        // Only maps with non-string keys fail, and these types have none.
        Err(e) => unreachable!("serialising airgapctl output: {e}"),
    }
}

/// `#12    24/11/2025 23:30:00 +0700  Refused a connection to 93.184.216.34:443 by curl
///        (process 4242, uid 1000).` (wrapped to 80 columns)
pub fn violation_line(v: &ViolationEntry) -> String {
    violation_line_at(v, 0)
}

/// [`violation_line`] indented by `lead` columns, the indent counted in the 80.
pub fn violation_line_at(v: &ViolationEntry, lead: usize) -> String {
    wrap(
        &format!(
            "{:lead$}#{:<5} {}  {}",
            "",
            v.seq,
            local_time(v.time_us),
            v.sentence_by(catalog(), user_name(v.uid).as_deref())
        ),
        lead + 7,
    )
}

/// The name of account `uid` on this machine (None when it has none), looked up once per uid:
/// an officer reads "user chuyenvien", not "uid 1000".
pub fn user_name(uid: u32) -> Option<String> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static NAMES: Mutex<Option<HashMap<u32, Option<String>>>> = Mutex::new(None);
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    names
        .get_or_insert_with(HashMap::new)
        .entry(uid)
        .or_insert_with(|| {
            nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                .ok()
                .flatten()
                .map(|u| u.name)
        })
        .clone()
}
