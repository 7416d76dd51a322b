//! `airgapctl inspect [--root DIR] [--json]`: what this PC (or a root filesystem taken from
//! one) has been connected to, from the traces the OS left (crate::inspect). Works without the
//! daemon and changes nothing it reads. This file only prints the report the library built.
//!
//! Exit status: 0 every question answered "none found"; 3 at least one "found"; 5 nothing
//! found but at least one question unknown; 2 bad usage.

use std::path::PathBuf;

use super::client::CtlError;
use super::output::{local_time, print_json, wrap};
use super::Ctx;
use crate::i18n::catalog;
use crate::inspect::model::{
    Answer, Evidence, Finding, Report, SinceAirgapd, SourceReport, UsbDevice,
};
use crate::inspect::{self, findings::device_label};
use crate::{tr, tr_in};

/// Arguments of `airgapctl inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// Inspect the root filesystem mounted at DIR (a disk taken out of a PC, an image; mount
    /// it read-only) instead of this machine.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// The TPM to compare the machine record's counts with, read without changing it: a TPM
    /// character device or a unix socket speaking raw TPM 2.0 commands [default: /dev/tpmrm0
    /// when inspecting this machine, none with --root].
    #[arg(long, value_name = "PATH")]
    pub tpm: Option<PathBuf>,
    /// A chain head a previous inspection printed (`machine-record:SEQ:HASH`,
    /// `copy-register:SEQ:HASH`): check that the record still holds it, so nothing recorded
    /// until then was rewritten, cut or replaced. May be given once per record.
    #[arg(long, value_name = "HEAD")]
    pub previous: Vec<String>,
    /// Verify the journal's Forward Secure Sealing with the verification key `airgapctl
    /// seal-journal` printed; a journal file without seals holding entries from after sealing
    /// began fails too (journalctl's own verification passes it).
    #[arg(long, value_name = "KEY")]
    pub verify_key: Option<String>,
}

/// Run `airgapctl inspect`.
pub fn run(ctx: &Ctx, args: InspectArgs) -> Result<i32, CtlError> {
    let report = inspection(&args)?;
    if ctx.json {
        print_json(&report);
    } else {
        print!("{}", render(&report));
    }
    Ok(exit_code(&report))
}

/// The inspection `args` ask for (`airgapctl report` makes its report from it too).
pub fn inspection(args: &InspectArgs) -> Result<Report, CtlError> {
    if !args.root.is_dir() {
        return Err(CtlError::Usage(tr!(
            "inspect-not-a-directory",
            root = args.root.display().to_string()
        )));
    }
    let mut checks = inspect::Checks::default();
    for given in &args.previous {
        let head = given.parse::<inspect::previous::Head>().map_err(|_| {
            CtlError::Usage(tr!("inspect-previous-malformed", head = given.clone()))
        })?;
        checks.previous.push(head);
    }
    if let Some(given) = &args.verify_key {
        let key = given
            .parse::<inspect::journal_seal::VerifyKey>()
            .map_err(|_| {
                CtlError::Usage(tr!("inspect-verify-key-malformed", key = given.clone()))
            })?;
        checks.verify_key = Some(key);
    }
    // The report names the root as an absolute path: it goes into an inspection record.
    let root = args
        .root
        .canonicalize()
        .unwrap_or_else(|_| args.root.clone());
    // Only this machine's own TPM testifies about this machine's record; a disk taken out of
    // a PC is compared with a TPM only when the officer names it.
    let device = std::path::Path::new(crate::tpm::DEVICE);
    checks.tpm = args
        .tpm
        .clone()
        .or_else(|| (root == std::path::Path::new("/") && device.exists()).then(|| device.into()));
    Ok(inspect::inspect_checked(&root, &checks))
}

/// 3 when anything was found, else 5 when a question is unknown, else 0.
pub fn exit_code(report: &Report) -> i32 {
    let any = |a: Answer| report.findings.iter().any(|f| f.answer == a);
    if any(Answer::Found) {
        3
    } else if any(Answer::Unknown) {
        5
    } else {
        0
    }
}

/// A source's name in the reader's language.
fn source_name(id: &str) -> String {
    tr_in!(catalog(), &format!("inspect-source-name-{id}"))
}

fn source_names<'a>(ids: impl IntoIterator<Item = &'a String>) -> String {
    ids.into_iter()
        .map(|s| source_name(s))
        .collect::<Vec<_>>()
        .join(", ")
}

fn opt_time(t: Option<u64>) -> String {
    t.map_or_else(|| "none".to_string(), local_time)
}

/// The whole text: one screen of answers, then the details.
pub fn render(report: &Report) -> String {
    let c = catalog();
    let mut out = String::new();
    let mut line = |text: String, indent: usize| {
        out.push_str(&wrap(&text, indent));
        out.push('\n');
    };
    let time = local_time(report.inspected_at_us);
    let title = if report.root == "/" {
        tr!("inspect-title-live", time = time)
    } else {
        tr!(
            "inspect-title-root",
            root = report.root.clone(),
            time = time
        )
    };
    line(title, 2);
    line(tr!("inspect-caveat"), 0);
    line(String::new(), 0);
    for f in &report.findings {
        line(
            format!(
                "{} {}",
                marker(f.answer),
                tr_in!(c, &format!("inspect-question-{}", f.id.name()))
            ),
            4,
        );
        line(format!("    {}", answer_text(f)), 4);
    }
    line(String::new(), 0);
    line(tr!("inspect-details"), 0);
    for f in report
        .findings
        .iter()
        .filter(|f| f.evidence.iter().any(|e| e.finding == f.id))
    {
        line(String::new(), 0);
        line(tr_in!(c, &format!("inspect-question-{}", f.id.name())), 2);
        // Under "network", the Internet's items were just listed under "internet".
        for e in f.evidence.iter().filter(|e| e.finding == f.id) {
            line(format!("  - {}", evidence_sentence(e)), 4);
            line(format!("    {}", evidence_when(e)), 6);
            if !e.example.is_empty() && e.example != e.subject {
                line(
                    format!(
                        "    {}",
                        tr!("inspect-evidence-example", example = e.example.clone())
                    ),
                    6,
                );
            }
        }
    }
    line(String::new(), 0);
    line(policy_text(report), 2);
    line(String::new(), 0);
    if report.usb_devices.is_empty() {
        line(tr!("inspect-devices-none"), 2);
    } else {
        line(
            tr!("inspect-devices-title", count = report.usb_devices.len()),
            2,
        );
        for d in &report.usb_devices {
            for l in device_lines(d) {
                line(l, 6);
            }
        }
    }
    line(String::new(), 0);
    // Uncovered: no airgapd start in the journal, or none in the machine record (issue 19).
    let uncovered = report
        .boots
        .iter()
        .filter(|b| !b.airgapd_started || b.in_machine_record == Some(false))
        .count();
    line(
        tr!(
            "inspect-boots",
            count = report.boots.len(),
            uncovered = uncovered
        ),
        2,
    );
    line(String::new(), 0);
    for l in since_lines(&report.since_airgapd) {
        line(l, 6);
    }
    for l in super::inspect_integrity::lines(report) {
        line(l, 6);
    }
    line(String::new(), 0);
    line(tr!("inspect-sources-title"), 0);
    for s in &report.sources {
        for l in source_lines(s) {
            line(l, 6);
        }
    }
    out
}

/// `[ YES ]`-style marker of an answer; plain ASCII so it reads on any console.
fn marker(a: Answer) -> &'static str {
    match a {
        Answer::Found => "[!]",
        Answer::NoneFound => "[ ]",
        Answer::Unknown => "[?]",
    }
}

fn answer_text(f: &Finding) -> String {
    let sources = source_names(&f.sources);
    let text = match (f.answer, f.from_us, f.to_us) {
        (Answer::Found, ..) => tr!(
            "inspect-answer-found",
            count = f.evidence.iter().map(|e| e.count).sum::<u64>(),
            sources = source_names(
                &f.evidence
                    .iter()
                    .map(|e| e.source.clone())
                    .collect::<std::collections::BTreeSet<_>>()
            )
        ),
        (Answer::NoneFound, Some(from), Some(to)) => tr!(
            "inspect-answer-none-found",
            from = local_time(from),
            to = local_time(to),
            sources = sources
        ),
        (Answer::NoneFound, ..) => tr!("inspect-answer-none-found-undated", sources = sources),
        (Answer::Unknown, ..) => {
            return tr!(
                "inspect-answer-unknown",
                missing = source_names(&f.missing_sources)
            );
        }
    };
    let text = if f.incomplete_sources.is_empty() {
        text
    } else {
        format!(
            "{text}; {}",
            tr!(
                "inspect-answer-incomplete",
                sources = source_names(&f.incomplete_sources)
            )
        )
    };
    if f.missing_sources.is_empty() {
        text
    } else {
        format!(
            "{text}; {}",
            tr!(
                "inspect-answer-missing",
                missing = source_names(&f.missing_sources)
            )
        )
    }
}

fn evidence_sentence(e: &Evidence) -> String {
    tr_in!(
        catalog(),
        &format!("inspect-evidence-{}", e.kind),
        subject = e.subject.clone()
    )
}

fn evidence_when(e: &Evidence) -> String {
    tr!(
        "inspect-evidence-when",
        count = e.count,
        first = opt_time(e.first_us),
        last = match (e.first_us, e.last_us) {
            (Some(f), Some(l)) if l != f => local_time(l),
            _ => "none".to_string(),
        },
        source = source_name(&e.source)
    )
}

fn policy_text(report: &Report) -> String {
    let p = &report.policy;
    match p.state.as_str() {
        "loaded" => tr!(
            "inspect-policy-loaded",
            path = p.path.clone(),
            id = p.id.clone().unwrap_or_else(|| "-".into()),
            serial = p.serial.unwrap_or(0),
            media = p.media
        ),
        "missing" => tr!("inspect-policy-missing", path = p.path.clone()),
        _ => tr!(
            "inspect-policy-invalid",
            path = p.path.clone(),
            error = p.error.clone().unwrap_or_default()
        ),
    }
}

fn device_lines(d: &UsbDevice) -> Vec<String> {
    let c = catalog();
    let mut out = vec![format!(
        "  - {}",
        tr!(
            "inspect-device-line",
            label = device_label(d),
            category = tr_in!(c, &format!("inspect-category-{}", d.category.name())),
            count = d.attaches,
            first = local_time(d.first_seen_us),
            last = local_time(d.last_seen_us)
        )
    )];
    if let Some(name) = &d.approved_by {
        out.push(format!(
            "    {}",
            tr!("inspect-device-approved", name = name.clone())
        ));
    }
    for n in &d.networks {
        out.push(format!(
            "    {}",
            tr!(
                "inspect-device-network",
                interface = n.interface.clone(),
                driver = n.driver.clone(),
                mac = n.mac.clone()
            )
        ));
    }
    if !d.disks.is_empty() {
        let disks: Vec<&str> = d.disks.iter().map(String::as_str).collect();
        out.push(format!(
            "    {}",
            tr!("inspect-device-disks", disks = disks.join(", "))
        ));
    }
    out
}

/// "Since airgapd": the machine record's verification and every record, one line each.
fn since_lines(s: &SinceAirgapd) -> Vec<String> {
    let c = catalog();
    let mut out = vec![tr!("inspect-since-title", path = s.path.clone())];
    if !s.exists {
        out.push(format!("  {}", tr!("inspect-since-absent")));
        return out;
    }
    match (&s.problem, &s.last_chain) {
        (None, Some(_)) => out.push(format!(
            "  {}",
            tr!(
                "inspect-since-verified",
                records = s.records,
                head = s.head.clone().unwrap_or_else(|| "-".into())
            )
        )),
        (problem, _) => out.push(format!(
            "  {}",
            tr!(
                "inspect-since-broken",
                problem = problem.clone().unwrap_or_default()
            )
        )),
    }
    out.extend(tpm_lines(
        &s.tpm,
        s.entries.iter().rev().find_map(|e| e.tpm.as_ref()),
    ));
    for e in &s.entries {
        let mut parts = vec![format!(
            "{} #{} {}",
            local_time(e.time_us),
            e.seq,
            if crate::machine_record::EVENTS.contains(&e.event.as_str()) {
                tr_in!(c, &format!("inspect-since-event-{}", e.event))
            } else {
                e.event.clone()
            }
        )];
        if let Some(ms) = e.ready_after_boot_ms {
            parts.push(tr!(
                "inspect-since-ready",
                seconds = format!("{:.1}", ms as f64 / 1000.0)
            ));
        }
        if let (Some(id), Some(serial)) = (&e.policy_id, e.policy_serial) {
            parts.push(tr!(
                "inspect-since-policy",
                id = id.clone(),
                serial = serial
            ));
        }
        if let Some(signer) = &e.signer {
            parts.push(tr!("inspect-since-signer", signer = signer.clone()));
        }
        if !e.boot_id.is_empty() {
            parts.push(format!("_BOOT_ID={}", e.boot_id));
        }
        if let Some(day) = &e.day {
            parts.push(day.clone());
        }
        for counts in [&e.refusals, &e.devices].into_iter().flatten() {
            let list: Vec<String> = counts.iter().map(|(k, n)| format!("{k}={n}")).collect();
            parts.push(list.join(" "));
        }
        if let Some(t) = &e.tpm {
            parts.push(tpm_part(t));
        }
        if let Some(d) = &e.detail {
            parts.push(d.clone());
        }
        out.push(format!("  - {}", parts.join(", ")));
    }
    out
}

/// One line's TPM facts, in the TPM's own field names.
fn tpm_part(t: &crate::machine_record::TpmFacts) -> String {
    use crate::machine_record::tpm::{ABSENT, ERROR};
    match t.state.as_str() {
        ABSENT => tr!("inspect-since-no-tpm"),
        ERROR => format!("TPM: {}", t.error.clone().unwrap_or_default()),
        _ => {
            let mut p = vec![];
            p.extend(t.reset_count.map(|r| format!("resetCount={r}")));
            p.extend(t.restart_count.map(|r| format!("restartCount={r}")));
            p.extend(t.nv_counter.map(|v| format!("NV={v}")));
            p.join(" ")
        }
    }
}

/// What the record's TPM readings and the TPM now say.
fn tpm_lines(
    c: &crate::inspect::tpm::TpmCoverage,
    last: Option<&crate::machine_record::TpmFacts>,
) -> Vec<String> {
    let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    let mut out = Vec::new();
    let head = if c.readings > 0 {
        let last_count = last.filter(|t| t.reset_count.is_some());
        tr!(
            "inspect-tpm-recorded",
            readings = c.readings,
            reset = dash(
                last_count
                    .and_then(|t| t.reset_count)
                    .map(|r| r.to_string())
            ),
            counter = dash(last_count.and_then(|t| t.nv_counter).map(|v| v.to_string()))
        )
    } else if c.absent > 0 {
        tr!("inspect-tpm-absent")
    } else {
        tr!("inspect-tpm-unrecorded")
    };
    out.push(format!("  {head}"));
    if c.errors > 0 {
        out.push(format!("  {}", tr!("inspect-tpm-errors", count = c.errors)));
    }
    if let Some(now) = &c.now {
        let text = match &now.problem {
            Some(p) => tr!(
                "inspect-tpm-now-problem",
                device = now.device.clone(),
                problem = p.clone()
            ),
            None => tr!(
                "inspect-tpm-now",
                device = now.device.clone(),
                reset = dash(now.reset_count.map(|r| r.to_string())),
                counter = dash(now.nv_counter.map(|v| v.to_string()))
            ),
        };
        out.push(format!("  {text}"));
    }
    out
}

fn source_lines(s: &SourceReport) -> Vec<String> {
    let mut out = vec![if s.exists {
        format!(
            "  - {}",
            tr!(
                "inspect-source-present",
                name = source_name(&s.name),
                records = s.records,
                from = opt_time(s.earliest_us),
                to = opt_time(s.latest_us)
            )
        )
    } else {
        format!(
            "  - {}",
            tr!(
                "inspect-source-absent",
                name = source_name(&s.name),
                paths = s.paths.join(", ")
            )
        )
    }];
    for p in &s.problems {
        out.push(format!(
            "    {}",
            tr!("inspect-source-problem", problem = p.clone())
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::i18n::{Catalog, Lang};
    use crate::inspect::model::{Category, FindingId, EVIDENCE_KINDS, SOURCE_NAMES};

    /// Ids built at run time are not seen by the i18n test: check them here, in both
    /// languages.
    #[test]
    fn every_runtime_message_id_is_in_both_catalogs() {
        let mut ids: Vec<String> = EVIDENCE_KINDS
            .iter()
            .map(|k| format!("inspect-evidence-{k}"))
            .collect();
        ids.extend(
            FindingId::ALL
                .iter()
                .map(|f| format!("inspect-question-{}", f.name())),
        );
        ids.extend(
            [
                Category::Phone,
                Category::NetworkCapable,
                Category::Radio,
                Category::CameraOrMicrophone,
                Category::Storage,
                Category::Input,
                Category::Other,
            ]
            .iter()
            .map(|c| format!("inspect-category-{}", c.name())),
        );
        ids.extend(
            SOURCE_NAMES
                .iter()
                .map(|n| format!("inspect-source-name-{n}")),
        );
        ids.extend(
            crate::machine_record::EVENTS
                .iter()
                .map(|e| format!("inspect-since-event-{e}")),
        );
        ids.extend(super::super::inspect_integrity::runtime_ids());
        ids.extend(super::super::seal_journal::runtime_ids());
        ids.extend(crate::report::merge_render::runtime_ids());
        ids.extend(crate::report::timeline::runtime_ids());
        for lang in [Lang::En, Lang::Vi] {
            let catalog = Catalog::new(lang, None);
            for id in &ids {
                assert!(catalog.has(id), "{id} missing in {}", lang.code());
            }
        }
    }
}
