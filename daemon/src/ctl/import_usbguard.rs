//! `airgapctl policy import-usbguard RULES.conf`: USBGuard rules as an airgapd policy. Needs no
//! daemon. The policy goes to stdout or `--out FILE`; what airgapd does not honour goes to
//! stderr with its line and column. Exit 0 when the rules parse (notes or not), 1 when a rule
//! is malformed or the result cannot be written (then nothing is written).

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use airgapd_policy::usbguard::{self, Note, RuleError};
use airgapd_policy::Access;
use serde::Serialize;

use super::client::CtlError;
use super::output::{print_json, say_error, wrap};
use super::Ctx;
use crate::tr;

/// Larger than any rules file; a bigger one is a mistake (USBGuard's own limit is memory).
const MAX_RULES_BYTES: u64 = 16 << 20;

/// Arguments of `airgapctl policy import-usbguard`.
#[derive(Debug, clap::Args)]
pub struct ImportUsbguardArgs {
    /// The USBGuard rules file (e.g. /etc/usbguard/rules.conf).
    pub rules: PathBuf,
    /// Write the policy to FILE (replaced whole, mode 0644) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Approve the imported media read-write (default: read-only).
    #[arg(long)]
    pub read_write: bool,
}

/// The result, for `--json`.
#[derive(Debug, Serialize)]
struct ImportReport {
    rules: PathBuf,
    /// True when every rule parsed.
    parsed: bool,
    /// One line per malformed rule (file:line:column: problem).
    errors: Vec<String>,
    /// One line per rule or attribute not honoured (file:line:column: why).
    not_honoured: Vec<String>,
    /// How many entries the policy has.
    entries: usize,
    /// The policy text, when the rules parsed and no `--out` was given.
    policy: Option<String>,
}

/// Read, parse, convert, check with airgapd's own policy checker, then write.
pub fn run(ctx: &Ctx, args: ImportUsbguardArgs) -> Result<i32, CtlError> {
    let name = args.rules.display().to_string();
    let text = match read_rules(&args.rules) {
        Ok(text) => text,
        Err(e) => {
            let error = e.to_string();
            say_error(&tr!("import-cannot-read", file = &name, error = error));
            return Ok(1);
        }
    };
    let rules = match usbguard::parse_rules(&text) {
        Ok(rules) => rules,
        Err(errors) => {
            report_errors(ctx, &args.rules, &text, &errors);
            return Ok(1);
        }
    };
    let conversion = usbguard::convert(&rules);
    let access = if args.read_write {
        Access::ReadWrite
    } else {
        Access::ReadOnly
    };
    let policy = usbguard::to_toml(&conversion, &name, access);
    // The importer must never produce a policy the daemon would refuse at boot (and then fall
    // back to its strict built-in one): check it as the daemon does.
    if let Err(e) = airgapd_policy::parse(&policy, args.out.as_deref()) {
        say_error(&tr!("import-internal", error = e.to_string()));
        return Ok(1);
    }
    let notes: Vec<String> = conversion
        .notes
        .iter()
        .map(|n| note_line(&name, n))
        .collect();
    let said: Vec<String> = conversion
        .notes
        .iter()
        .map(|n| note_said(&name, n))
        .collect();
    if let Some(out) = &args.out {
        if let Err(e) = write_replacing(out, &policy) {
            let file = out.display().to_string();
            say_error(&tr!(
                "import-cannot-write",
                file = file,
                error = e.to_string()
            ));
            return Ok(1);
        }
    }
    if ctx.json {
        print_json(&ImportReport {
            rules: args.rules.clone(),
            parsed: true,
            errors: Vec::new(),
            not_honoured: notes,
            entries: conversion.imported.len(),
            policy: args.out.is_none().then_some(policy),
        });
    } else {
        for line in &said {
            eprintln!("{}", wrap(line, 4));
        }
        eprintln!(
            "{}",
            wrap(
                &tr!(
                    "import-summary",
                    file = &name,
                    rules = rules.len(),
                    entries = conversion.imported.len(),
                    notes = notes.len()
                ),
                2
            )
        );
        if args.out.is_none() {
            print!("{policy}");
        }
    }
    Ok(0)
}

/// A note for the reader: the frame in their language, the checker's reason in English.
fn note_said(name: &str, note: &Note) -> String {
    let at = format!("{name}:{}:{}", note.line, note.column);
    tr!(
        "import-not-honoured",
        place = at,
        why = note.kind.to_string()
    )
}

/// A note for `--json` (stable English).
pub fn note_line(name: &str, note: &Note) -> String {
    format!(
        "{name}:{}:{}: not honoured: {}",
        note.line, note.column, note.kind
    )
}

fn report_errors(ctx: &Ctx, path: &Path, text: &str, errors: &[RuleError]) {
    let name = path.display().to_string();
    let lines: Vec<String> = errors.iter().map(|e| format!("{name}:{e}")).collect();
    if ctx.json {
        print_json(&ImportReport {
            rules: path.to_path_buf(),
            parsed: false,
            errors: lines,
            not_honoured: Vec::new(),
            entries: 0,
            policy: None,
        });
        return;
    }
    eprint!("{}", error_text(&lines, text, errors));
    eprintln!(
        "{}",
        wrap(
            &tr!("import-malformed", file = &name, count = errors.len()),
            2
        )
    );
}

/// Each error's line (`lines`, file:line:column: problem), then the rule it is in with a caret
/// under the column.
pub fn error_text(lines: &[String], text: &str, errors: &[RuleError]) -> String {
    let source: Vec<&str> = text.split('\n').collect();
    let mut out = String::new();
    for (error, line) in errors.iter().zip(lines) {
        out.push_str(&format!("{}\n", wrap(line, 4)));
        if let Some(rule) = error.line.checked_sub(1).and_then(|i| source.get(i)) {
            let shown: String = rule
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            out.push_str(&format!("    {shown}\n"));
            out.push_str(&format!(
                "    {}^\n",
                " ".repeat(error.column.saturating_sub(1))
            ));
        }
    }
    out
}

fn read_rules(path: &Path) -> std::io::Result<String> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, MAX_RULES_BYTES + 1),
        &mut bytes,
    )?;
    if bytes.len() as u64 > MAX_RULES_BYTES {
        return Err(std::io::Error::other(format!(
            "the file is larger than {MAX_RULES_BYTES} bytes"
        )));
    }
    // Strings may hold any byte through \xHH; a raw byte that is not UTF-8 can only sit in a
    // string, where it makes a serial unusable (and noted) or a name show U+FFFD.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Write through a temporary file in the same directory and rename it over `path`, so a
/// reader never sees half a policy.
fn write_replacing(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the path names no file"))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
