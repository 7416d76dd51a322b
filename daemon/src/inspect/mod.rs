//! `airgapctl inspect`: what this PC has been connected to, from the traces the OS left
//! before airgapd (docs/inspection.md). One module per evidence source, each answering the
//! same small interface: whether the source exists, its earliest and latest record, and the
//! evidence items it yields ([`model::SourceReport`], [`Folder`]). [`findings`] turns the
//! items into one answer per directive question; renderers (`ctl/inspect.rs`) only print.
//!
//! Nothing here writes: files are opened read-only inside the root ([`root::Root`]), the
//! journal is read by `journalctl` and SQLite databases by `sqlite3` (read-only, immutable),
//! and the daemon is never asked.

pub mod apt;
pub mod bluez;
pub mod browser;
pub mod categories;
pub mod dates;
pub mod dhclient;
pub mod findings;
pub mod fleet;
pub mod fleet_limit;
pub mod ini;
pub mod journal;
pub mod journal_seal;
pub mod kernel_usb;
pub mod known_hosts;
pub mod machine_record;
pub mod model;
pub mod netconfig;
pub mod netlog;
pub mod nm;
pub mod previous;
pub mod root;
pub mod sqlite;
pub mod tpm;
pub mod usb_approval;
pub mod wtmp;

use std::collections::BTreeMap;
use std::path::Path;

use model::{Boot, Evidence, FindingId, Report, SourceReport, FORMAT_VERSION};
use root::Root;

/// Evidence items folded by (question, source, kind, subject): a count and the first and
/// last time, with the first record as the example.
#[derive(Debug, Default)]
pub struct Folder {
    items: BTreeMap<(FindingId, String, String, String), Evidence>,
}

impl Folder {
    /// One record of `subject`.
    pub fn add(
        &mut self,
        finding: FindingId,
        source: &str,
        kind: &str,
        subject: String,
        time_us: Option<u64>,
        example: &str,
    ) {
        self.add_many(finding, source, kind, subject, 1, time_us, example);
    }

    /// `count` records of `subject`, all at `time_us`.
    #[allow(clippy::too_many_arguments)]
    pub fn add_many(
        &mut self,
        finding: FindingId,
        source: &str,
        kind: &str,
        subject: String,
        count: u64,
        time_us: Option<u64>,
        example: &str,
    ) {
        let key = (
            finding,
            source.to_string(),
            kind.to_string(),
            subject.clone(),
        );
        let e = self.items.entry(key).or_insert_with(|| Evidence {
            finding,
            source: source.to_string(),
            kind: kind.to_string(),
            subject,
            count: 0,
            first_us: None,
            last_us: None,
            example: example.to_string(),
        });
        e.count += count;
        if let Some(t) = time_us {
            if e.first_us.is_none_or(|f| t < f) {
                e.first_us = Some(t);
                e.example = example.to_string();
            }
            e.last_us = Some(e.last_us.map_or(t, |l| l.max(t)));
        }
    }

    /// Add an item built elsewhere (USB devices, boots), folding it with its like.
    pub fn push(&mut self, e: Evidence) {
        let key = (
            e.finding,
            e.source.clone(),
            e.kind.clone(),
            e.subject.clone(),
        );
        self.items.entry(key).or_insert(e);
    }

    /// Every item, by question, then source, kind and subject.
    pub fn into_items(self) -> Vec<Evidence> {
        self.items.into_values().collect()
    }
}

/// What `inspect` checks besides the traces (issue 19, tamper evidence).
#[derive(Debug, Clone, Default)]
pub struct Checks {
    /// Chain heads a previous inspection printed (`--previous`).
    pub previous: Vec<previous::Head>,
    /// The journal's verification key (`--verify-key`).
    pub verify_key: Option<journal_seal::VerifyKey>,
    /// The TPM to compare the machine record's counts with (None: no TPM read now).
    pub tpm: Option<std::path::PathBuf>,
}

/// Inspect the machine whose root filesystem is `dir` (`/`: this one), with its TPM at `tpm`
/// (None: no TPM read now).
pub fn inspect(dir: &Path, tpm: Option<&Path>) -> Report {
    inspect_checked(
        dir,
        &Checks {
            tpm: tpm.map(Path::to_path_buf),
            ..Checks::default()
        },
    )
}

/// [`inspect`], with the chain heads and the journal key given checked too.
pub fn inspect_checked(dir: &Path, checks: &Checks) -> Report {
    let mut report = inspect_with(dir, checks.tpm.as_deref(), |root, each| {
        journal::read(root, each)
    });
    check(&mut report, dir, checks);
    report
}

/// Check the previous heads and the journal's seals, and answer the findings again with what
/// they found.
fn check(report: &mut Report, dir: &Path, checks: &Checks) {
    let root = Root::new(dir);
    let mut fold = Folder::default();
    for f in report.findings.drain(..) {
        for e in f.evidence.into_iter().filter(|e| e.finding == f.id) {
            fold.push(e);
        }
    }
    report.previous = checks
        .previous
        .iter()
        .map(|h| previous::check(&root, h))
        .collect();
    previous::findings(&mut fold, &report.previous);
    if let Some(key) = &checks.verify_key {
        let seal = journal_seal::verify(&root, key);
        if let Some(journal) = report.sources.iter_mut().find(|s| s.name == "journal") {
            journal_seal::findings(&mut fold, &seal, journal);
        }
        report.journal_seal = Some(seal);
    }
    report.findings = findings::answer(fold.into_items(), &report.sources);
}

/// [`inspect`], the journal read by `journal` (the root's journal through journalctl; the
/// fuzz target's journalctl output, `crate::fuzzing`), which hands each entry to its second
/// argument and returns the journal's source report and boots.
pub fn inspect_with(
    dir: &Path,
    tpm: Option<&Path>,
    journal: impl FnOnce(&Root, &mut dyn FnMut(&journal::Entry)) -> (SourceReport, Vec<Boot>),
) -> Report {
    let root = Root::new(dir);
    let mut fold = Folder::default();
    let mut usb = kernel_usb::UsbTraces::default();
    let mut record_copy = machine_record::JournalCopy::default();
    let (journal_src, mut boots) = journal(&root, &mut |entry| {
        usb.feed(entry);
        netlog::feed(&mut fold, entry);
        record_copy.feed(entry);
    });
    let (mut devices, loose_disks) = usb.finish();
    let policy = usb_approval::judge(&root, &mut devices);

    let mut sources = vec![journal_src];
    let (nm_sources, network_profiles) = nm::read(&root, &mut fold);
    sources.extend(nm_sources);
    sources.push(netconfig::read(&root, &mut fold));
    sources.push(dhclient::read(&root, &mut fold));
    sources.push(apt::read(&root, &mut fold));
    let (bluez_src, bluetooth_bonds) = bluez::read(&root, &mut fold);
    sources.push(bluez_src);
    sources.push(known_hosts::read(&root, &mut fold));
    sources.push(browser::read(&root, &mut fold));
    let (wtmp_src, wtmp_boots) = wtmp::read(&root, &mut fold);
    sources.push(wtmp_src);
    let (record_src, mut since_airgapd) = machine_record::read(&root, &mut boots);
    sources.push(record_src);
    since_airgapd.tpm = tpm::coverage(&since_airgapd.entries, tpm.map(tpm::read_now));
    sources.push(tpm::source(&since_airgapd));

    findings::from_devices(&mut fold, &devices, &loose_disks, &boots);
    findings::boots_not_in_journal(&mut fold, &wtmp_boots, &boots);
    machine_record::findings(&mut fold, &since_airgapd, &boots, &record_copy);
    tpm::findings(&mut fold, &since_airgapd);
    let findings = findings::answer(fold.into_items(), &sources);
    Report {
        format: FORMAT_VERSION,
        root: dir.display().to_string(),
        inspected_at_us: now_us(),
        findings,
        sources,
        policy,
        usb_devices: devices,
        boots,
        network_profiles,
        bluetooth_bonds,
        since_airgapd,
        copy_register: previous::copy_register(&root),
        previous: Vec::new(),
        journal_seal: None,
    }
}

fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}
