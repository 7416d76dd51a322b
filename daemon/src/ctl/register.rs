//! `airgapctl register [--since DATE] [--medium NAME] [--csv] [--file FILE]`: the copy
//! register, read from its file (no daemon needed; root or the file's group).
//! `airgapctl register verify [--file FILE]`: check its chain; exit 0 when whole, 1 naming the
//! first line that was removed or altered.

use std::path::PathBuf;

use serde::Serialize;

use super::client::CtlError;
use super::output::{local_time, print_json, wrap};
use super::Ctx;
use crate::i18n::catalog;
use crate::paths;
use crate::register::entry::{self, escape, Entry};
use crate::register::file::{self, RegisterError};
use crate::tr;

/// Arguments of `airgapctl register`.
#[derive(Debug, clap::Args)]
pub struct RegisterArgs {
    /// Check the register instead of listing it.
    #[command(subcommand)]
    pub command: Option<RegisterCommand>,
    /// Only records from this local date or time on (`2026-11-24` or `2026-11-24 14:30`).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only records of this medium (its `[[media]]` name).
    #[arg(long, value_name = "NAME")]
    pub medium: Option<String>,
    /// Print CSV with the paper register's columns, to print or attach.
    #[arg(long)]
    pub csv: bool,
    /// The register file.
    #[arg(long, value_name = "FILE", default_value = paths::COPY_REGISTER, global = true)]
    pub file: PathBuf,
    /// (Set from the global --json.)
    #[arg(skip)]
    pub json: bool,
}

/// `airgapctl register ...`.
#[derive(Debug, clap::Subcommand)]
pub enum RegisterCommand {
    /// Check that no line was removed or altered (exit 0 whole, 1 broken).
    Verify,
}

/// What `register verify --json` prints.
#[derive(Debug, Serialize)]
pub struct VerifyReport {
    /// The file checked.
    pub file: PathBuf,
    /// Whether the chain is whole.
    pub valid: bool,
    /// Records checked (all of them when valid).
    pub records: u64,
    /// The last record's number and chain hash: compare with the journal's last
    /// `AIRGAP_REGISTER_SEQ`, which shows lines cut from the end.
    pub last_seq: u64,
    /// See `last_seq`.
    pub last_chain: String,
    /// The first problem, naming its line.
    pub error: Option<String>,
}

/// Seconds since the epoch of a local `YYYY-MM-DD[ HH:MM[:SS]]` or, as Vietnamese write it,
/// `DD/MM/YYYY[ HH:MM[:SS]]`.
pub fn parse_local(text: &str) -> Option<u64> {
    let (date, time) = match text.trim().split_once([' ', 'T']) {
        Some((d, t)) => (d, t),
        None => (text.trim(), "00:00:00"),
    };
    let day_first = date.contains('/');
    let mut d = date
        .split(if day_first { '/' } else { '-' })
        .map(|p| p.parse::<i32>().ok());
    let (a, mo, b) = (d.next()??, d.next()??, d.next()??);
    let (y, da) = if day_first { (b, a) } else { (a, b) };
    let mut t = time.split(':').map(|p| p.parse::<i32>().ok());
    let (h, mi) = (t.next()??, t.next().unwrap_or(Some(0))?);
    let s = t.next().unwrap_or(Some(0))?;
    if d.next().is_some() || !(1..=12).contains(&mo) || !(1..=31).contains(&da) {
        return None;
    }
    // SAFETY: `tm` is plain data mktime reads and normalises.
    let secs = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = da;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = s;
        tm.tm_isdst = -1;
        libc::mktime(&raw mut tm)
    };
    u64::try_from(secs).ok()
}

/// Whether the register file does not exist (yet).
fn missing(e: &RegisterError) -> bool {
    matches!(e, RegisterError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
}

fn unreadable(e: &RegisterError) -> i32 {
    eprintln!("{}", wrap(&format!("airgapctl: {e}"), 2));
    if missing(e) {
        let text = tr!(
            "register-no-file-hint",
            message_id = "3f8377aa4e12412aa3169a5caeb6913f"
        );
        eprintln!("{}", wrap(&format!("airgapctl: {text}"), 2));
    }
    if let RegisterError::Io { source, .. } = e {
        if source.kind() == std::io::ErrorKind::PermissionDenied {
            let text = tr!("register-permission");
            eprintln!("{}", wrap(&format!("airgapctl: {text}"), 2));
        }
    }
    1
}

/// Run `airgapctl register ...`.
pub fn run(ctx: &Ctx, mut args: RegisterArgs) -> Result<i32, CtlError> {
    args.json = ctx.json;
    match args.command {
        Some(RegisterCommand::Verify) => Ok(verify(&args)),
        None => list(&args),
    }
}

fn verify(args: &RegisterArgs) -> i32 {
    let result = file::verify(&args.file);
    let report = match &result {
        Ok(v) => VerifyReport {
            file: args.file.clone(),
            valid: true,
            records: v.records,
            last_seq: v.last_seq,
            last_chain: v.last_chain.clone(),
            error: None,
        },
        Err(RegisterError::Io { .. }) if !args.json => {
            return unreadable(result.as_ref().unwrap_err());
        }
        Err(e) => VerifyReport {
            file: args.file.clone(),
            valid: false,
            records: 0,
            last_seq: 0,
            last_chain: String::new(),
            error: Some(e.to_string()),
        },
    };
    if args.json {
        print_json(&report);
    } else if let Some(e) = &report.error {
        eprintln!("{}", wrap(e, 2));
        let text = tr!("register-not-intact");
        eprintln!("{}", wrap(&format!("airgapctl: {text}"), 2));
    } else {
        let text = tr!(
            "register-intact",
            file = report.file.display().to_string(),
            records = report.records,
            seq = report.last_seq,
            chain = &report.last_chain
        );
        println!("{}", wrap(&text, 2));
    }
    i32::from(!report.valid)
}

fn list(args: &RegisterArgs) -> Result<i32, CtlError> {
    let since = match &args.since {
        None => None,
        Some(text) => Some(
            parse_local(text)
                .ok_or_else(|| CtlError::Usage(tr!("register-since-usage", text = text)))?
                .saturating_mul(1_000_000),
        ),
    };
    let entries = match file::read(&args.file) {
        Ok(e) => e,
        Err(e) if missing(&e) && !args.json => {
            let text = tr!("register-no-file", file = args.file.display().to_string());
            println!("{}", wrap(&text, 2));
            return Ok(0);
        }
        Err(e) if missing(&e) => Vec::new(),
        Err(e) => return Ok(unreadable(&e)),
    };
    let shown: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.matches(since, args.medium.as_deref()))
        .collect();
    match print_list(args, &entries, &shown) {
        // `airgapctl register | head`: the reader has what it wanted.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => {
            eprintln!("airgapctl: writing the register: {e}");
            Ok(1)
        }
        Ok(()) => Ok(0),
    }
}

/// Write the listing to stdout; a closed pipe is an error the caller expects.
fn print_list(args: &RegisterArgs, entries: &[Entry], shown: &[&Entry]) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        let text = serde_json::to_string_pretty(shown).map_err(std::io::Error::other)?;
        writeln!(out, "{text}")?;
    } else if args.csv {
        writeln!(out, "{}", entry::csv_header(catalog()))?;
        for e in shown {
            writeln!(out, "{}", entry::csv_row(e, catalog()))?;
        }
    } else if shown.is_empty() {
        if entries.is_empty() {
            writeln!(out, "{}", tr!("register-none"))?;
        } else {
            writeln!(out, "{}", tr!("register-none-match"))?;
        }
    } else {
        for e in shown {
            writeln!(out, "{}", line(e))?;
        }
    }
    out.flush()
}

/// One record in at most three lines of 80 columns:
/// `#12    24/11/2026 23:29:01 +0700  created on "Stick 3": /docs/a.odt`, then its size and
/// hash, then who copied it.
fn line(e: &Entry) -> String {
    let when = local_time(e.time_us);
    let head = |what: String| wrap(&format!("#{:<5} {when}  {what}", e.seq), 7);
    let event_words = |event: &str| {
        let id = format!("register-event-{event}");
        if catalog().has(&id) {
            catalog().text(&id, None)
        } else {
            event.to_string()
        }
    };
    match e.event.as_str() {
        entry::event::LOST | entry::event::NOTE => head(tr!(
            "register-line-note",
            event = event_words(&e.event),
            note = escape(e.note.as_bytes())
        )),
        ev => {
            let what = if e.direction == entry::direction::TO_MEDIUM {
                tr!(
                    "register-line-to",
                    event = event_words(ev),
                    medium = escape(e.medium.as_bytes()),
                    document = e.document_shown()
                )
            } else {
                tr!(
                    "register-line-from",
                    event = event_words(ev),
                    medium = escape(e.medium.as_bytes()),
                    document = e.document_shown()
                )
            };
            let size = e.size.unwrap_or(0);
            let content = if e.sha256.is_empty() {
                tr!(
                    "register-line-not-hashed",
                    size = size,
                    note = escape(e.note.as_bytes())
                )
            } else {
                tr!("register-line-hash", size = size, sha256 = &e.sha256)
            };
            let who = tr!("register-line-who", who = e.who_in(catalog()));
            format!(
                "{}\n{}\n{}",
                head(what),
                wrap(&format!("       {content}"), 7),
                wrap(&format!("       {who}"), 7)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_local_and_checked() {
        let day = parse_local("2026-11-24").unwrap();
        let later = parse_local("2026-11-24 14:30").unwrap();
        assert_eq!(later - day, 14 * 3600 + 30 * 60);
        assert_eq!(parse_local("2026-11-24T14:30:05").unwrap() - later, 5);
        assert_eq!(parse_local("24/11/2026 14:30").unwrap(), later);
        assert!(parse_local("2026-13-01").is_none());
        assert!(parse_local("24/13/2026").is_none());
        assert!(parse_local("yesterday").is_none());
    }
}
