//! `airgapctl report`: the officer's inspection report (report.json, report.html,
//! report.sig) from `inspect`'s model, and `report verify DIR`. The library
//! (`crate::report`) builds, renders, signs and checks; this file reads the command line and
//! prints.
//!
//! Exit status: `report` 0 written, 1 not; `report verify` 0 verified, 3 not; 2 bad usage.

use std::path::{Path, PathBuf};

use super::client::CtlError;
use super::inspect::InspectArgs;
use super::output::{print_json, say, say_error};
use super::Ctx;
use crate::paths;
use crate::report::model::Header;
use crate::report::{self, merge, merge_log, merge_render, sign, verify, ReportError};
use crate::tr;

/// Arguments of `airgapctl report`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReportArgs {
    /// Check a report instead of making one.
    #[command(subcommand)]
    pub command: Option<ReportCommand>,
    /// What to make.
    #[command(flatten)]
    pub make: MakeArgs,
}

/// `report verify`.
#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// Check a report: report.sig is the machine key's signature of report.json, and
    /// report.html is report.json rendered. Exit 0 verified, 3 not.
    Verify(VerifyArgs),
    /// An office's reports, each verified, as one summary (summary.html, .csv, .pdf): a row
    /// per report, those that do not verify or contradict another report of the same machine
    /// first, then those with findings; older policies flagged. With --journal-dir, the
    /// machines the office's log host collected journals of join it (marked as not signed;
    /// silent and missing ones are findings). Exit 0 all reports verified, 3 not.
    Merge(MergeArgs),
}

/// Arguments of `airgapctl report merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The report directories (each holding report.json, report.html, report.sig).
    #[arg(value_name = "DIR", required_unless_present = "journal_dir")]
    pub dirs: Vec<PathBuf>,
    /// A directory of journals the office's log host collected with systemd-journal-remote
    /// (/var/log/journal/remote there): a row per machine not covered by a report, matched
    /// by machine-id; repeat for each log host.
    #[arg(long = "journal-dir", value_name = "DIR")]
    pub journal_dir: Vec<PathBuf>,
    /// How the log host's machines are judged.
    #[command(flatten)]
    pub log_host: super::inspect_fleet::LogHostArgs,
    /// Write summary.html, summary.csv and summary.pdf into DIR (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The summary's language.
    #[arg(long, value_name = "LANG", default_value = "vi", value_parser = ["vi", "en"])]
    pub lang: String,
    /// The machines' public keys from their enrolment, as MACHINE-ID.pub [default: the key
    /// each report names].
    #[arg(long, value_name = "DIR")]
    pub keys: Option<PathBuf>,
}

/// Arguments of `airgapctl report verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The directory holding report.json, report.html and report.sig.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The machine's public key (from its enrolment, or `airgapctl status --machine-key`)
    /// [default: the key report.json names, which shows the files unchanged but not which
    /// machine made them].
    #[arg(long, value_name = "PUBKEY_FILE")]
    pub key: Option<PathBuf>,
}

/// Arguments of making a report.
#[derive(Debug, clap::Args)]
pub struct MakeArgs {
    /// What to inspect, as for `airgapctl inspect`.
    #[command(flatten)]
    pub inspect: InspectArgs,
    /// Write report.json, report.html and report.sig into DIR (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The page's language.
    #[arg(long, value_name = "LANG", default_value = "vi", value_parser = ["vi", "en"])]
    pub lang: String,
    /// An inspector's name; give it once per inspector.
    #[arg(long, value_name = "NAME")]
    pub officer: Vec<String>,
    /// The seal number.
    #[arg(long, value_name = "NUMBER")]
    pub seal: Option<String>,
    /// The inspecting agency.
    #[arg(long, value_name = "NAME")]
    pub agency: Option<String>,
    /// The room or office inspected.
    #[arg(long, value_name = "NAME")]
    pub room: Option<String>,
    /// The legal basis of the inspection.
    #[arg(long, value_name = "TEXT")]
    pub legal_basis: Option<String>,
    /// The machine key that signs (made if missing; root's only).
    #[arg(long, value_name = "FILE", default_value = paths::MACHINE_KEY)]
    pub machine_key: PathBuf,
}

/// Run `airgapctl report`.
pub fn run(ctx: &Ctx, args: ReportArgs) -> Result<i32, CtlError> {
    match args.command {
        Some(ReportCommand::Verify(v)) => run_verify(ctx, &v),
        Some(ReportCommand::Merge(m)) => run_merge(ctx, &m),
        None => make(ctx, args.make),
    }
}

fn make(ctx: &Ctx, args: MakeArgs) -> Result<i32, CtlError> {
    let out = args
        .out
        .clone()
        .ok_or_else(|| CtlError::Usage(tr!("report-out-missing")))?;
    let inspection = super::inspect::inspection(&args.inspect)?;
    let written = report::build(inspection, header(&args), &args.machine_key).and_then(|doc| {
        let files = report::write(&out, &doc, &args.machine_key, Path::new(paths::REPORT_FONT))?;
        Ok((doc, files))
    });
    match written {
        Ok((doc, files)) => {
            if ctx.json {
                print_json(&serde_json::json!({
                    "dir": out.display().to_string(),
                    "json": files.json.display().to_string(),
                    "html": files.html.display().to_string(),
                    "sig": files.sig.display().to_string(),
                    "pdf": files.pdf.display().to_string(),
                    "key_fingerprint": doc.machine.key_fingerprint,
                }));
            } else {
                say(&tr!(
                    "report-written",
                    dir = out.display().to_string(),
                    fingerprint = doc.machine.key_fingerprint
                ));
            }
            Ok(0)
        }
        Err(e) => {
            say_error(&tr!("report-failed", error = e.to_string()));
            Ok(1)
        }
    }
}

/// The header the officer typed.
fn header(args: &MakeArgs) -> Header {
    Header {
        lang: args.lang.clone(),
        agency: args.agency.clone(),
        room: args.room.clone(),
        officers: args.officer.clone(),
        seal: args.seal.clone(),
        legal_basis: args.legal_basis.clone(),
        ..Header::default()
    }
}

fn run_verify(ctx: &Ctx, args: &VerifyArgs) -> Result<i32, CtlError> {
    let dir = args.dir.display().to_string();
    match verify::verify(
        &args.dir,
        args.key.as_deref(),
        Path::new(paths::REPORT_FONT),
    ) {
        Ok(v) => {
            if ctx.json {
                print_json(&serde_json::json!({
                    "dir": dir,
                    "verified": true,
                    "key_fingerprint": v.key.fingerprint,
                    "embedded_key": v.embedded_key,
                    "json_sha256": v.json_sha256,
                }));
            } else {
                say(&tr!(
                    "report-verified",
                    dir = dir,
                    fingerprint = v.key.fingerprint
                ));
                if v.embedded_key {
                    say(&tr!("report-verify-embedded-key"));
                }
            }
            Ok(0)
        }
        Err(e) => {
            if ctx.json {
                print_json(&serde_json::json!({
                    "dir": dir,
                    "verified": false,
                    "error": e.to_string(),
                }));
            }
            say_error(&tr!(
                "report-verify-failed",
                dir = dir,
                error = e.to_string()
            ));
            Ok(3)
        }
    }
}

fn run_merge(ctx: &Ctx, args: &MergeArgs) -> Result<i32, CtlError> {
    let log = if args.journal_dir.is_empty() {
        None
    } else {
        let limit = args.log_host.limit()?;
        let now = super::inspect_fleet::now_us();
        let dirs = args
            .journal_dir
            .iter()
            .map(|dir| super::inspect_fleet::read_dir(dir, &[], &limit, now))
            .collect::<Result<Vec<_>, _>>()?;
        Some(merge_log::LogHosts {
            dirs,
            expect: args.log_host.expect.clone(),
            limit,
        })
    };
    let summary = merge::merge(&args.dirs, args.keys.as_deref(), log.as_ref());
    let lang = crate::i18n::Lang::from_locale(&args.lang);
    let html = args.out.join("summary.html");
    let csv = args.out.join("summary.csv");
    let pdf = args.out.join("summary.pdf");
    let font = Path::new(paths::REPORT_FONT);
    let written = std::fs::create_dir_all(&args.out)
        .map_err(|e| ReportError::io(&args.out, e))
        .and_then(|()| std::fs::read(font).map_err(|e| ReportError::io(font, e)))
        .and_then(|font_data| {
            std::fs::write(&html, merge_render::html(&summary, lang, &font_data))
                .map_err(|e| ReportError::io(&html, e))
        })
        .and_then(|()| {
            std::fs::write(&csv, merge_render::csv(&summary, lang))
                .map_err(|e| ReportError::io(&csv, e))
        })
        .and_then(|()| merge_render::pdf(&summary, lang, font))
        .and_then(|bytes| std::fs::write(&pdf, bytes).map_err(|e| ReportError::io(&pdf, e)));
    if let Err(e) = written {
        say_error(&tr!("report-failed", error = e.to_string()));
        return Ok(1);
    }
    let bad = merge_render::bad(&summary);
    if ctx.json {
        print_json(&summary);
    } else {
        say(&tr!(
            "merge-written",
            reports = summary.reports().count(),
            dir = args.out.display().to_string(),
            bad = bad
        ));
        for line in merge_render::counts(crate::i18n::catalog(), &summary)
            .iter()
            .skip(1)
        {
            say(line);
        }
    }
    Ok(if summary.clean() { 0 } else { 3 })
}

/// `airgapctl status --machine-key`: the machine key's public half (made if missing).
pub fn print_machine_key(ctx: &Ctx, file: &Path) -> Result<i32, CtlError> {
    match sign::ensure_key(file) {
        Ok(key) => {
            if ctx.json {
                print_json(&serde_json::json!({
                    "file": sign::public_file(file).display().to_string(),
                    "public_key": key.line,
                    "fingerprint": key.fingerprint,
                }));
            } else {
                say(&tr!(
                    "report-machine-key-line",
                    fingerprint = key.fingerprint.clone(),
                    file = sign::public_file(file).display().to_string()
                ));
                println!("{}", key.line);
            }
            Ok(0)
        }
        Err(e) => {
            say_error(&tr!("report-failed", error = e.to_string()));
            Ok(1)
        }
    }
}
