//! The systemd journal of every boot, read through `journalctl` (libsystemd's own reader: the
//! journal's file format is never parsed here). Two questions are asked of it: the boots it
//! holds (`--list-boots`), and the entries that can be evidence, chosen by journalctl's own
//! matches (kernel lines, the network daemons, airgapd's DaemonStarted). Each entry is handed
//! to the consumers ([`super::kernel_usb`], [`super::netlog`]) as it streams, so memory stays
//! flat however large the journal is.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

use super::model::{Boot, SourceReport};
use super::root::Root;
use crate::journal::MessageId;

/// The journalctl this reads with.
pub const JOURNALCTL: &str = "journalctl";

/// The directories journald writes, inside the root.
const DIRS: [&str; 2] = ["/var/log/journal", "/run/log/journal"];

/// The syslog identifiers whose lines are network evidence (see [`super::netlog`]).
pub const NETWORK_IDENTIFIERS: [&str; 6] = [
    "NetworkManager",
    "systemd-networkd",
    "dhclient",
    "dhcpcd",
    "systemd-timesyncd",
    "bluetoothd",
];

/// One journal entry, as the consumers see it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `__REALTIME_TIMESTAMP`.
    pub time_us: u64,
    /// `_BOOT_ID`.
    pub boot_id: String,
    /// `_TRANSPORT=kernel`.
    pub kernel: bool,
    /// `SYSLOG_IDENTIFIER`.
    pub identifier: String,
    /// `MESSAGE_ID`, lowercase hex.
    pub message_id: String,
    /// `MESSAGE`, lossily decoded when it is not UTF-8.
    pub message: String,
    /// `AIRGAP_MACHINE_RECORD_SEQ`: the journal's copy of a machine record line (issue 19).
    pub record_seq: Option<u64>,
    /// `AIRGAP_MACHINE_RECORD_CHAIN`.
    pub record_chain: String,
}

/// A field as journalctl's JSON writes it: text, bytes (not UTF-8), or several values.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Field {
    Text(String),
    Bytes(Vec<u8>),
    Many(Vec<serde_json::Value>),
}

impl Field {
    fn text(self) -> String {
        match self {
            Field::Text(s) => s,
            Field::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
            Field::Many(values) => values
                .into_iter()
                .next()
                .map(|v| match v {
                    serde_json::Value::String(s) => s,
                    other => serde_json::from_value::<Vec<u8>>(other)
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default(),
                })
                .unwrap_or_default(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct RawEntry {
    #[serde(rename = "__REALTIME_TIMESTAMP")]
    realtime: Option<Field>,
    #[serde(rename = "_BOOT_ID")]
    boot_id: Option<Field>,
    #[serde(rename = "_TRANSPORT")]
    transport: Option<Field>,
    #[serde(rename = "SYSLOG_IDENTIFIER")]
    identifier: Option<Field>,
    #[serde(rename = "MESSAGE_ID")]
    message_id: Option<Field>,
    #[serde(rename = "MESSAGE")]
    message: Option<Field>,
    #[serde(rename = "AIRGAP_MACHINE_RECORD_SEQ")]
    record_seq: Option<Field>,
    #[serde(rename = "AIRGAP_MACHINE_RECORD_CHAIN")]
    record_chain: Option<Field>,
}

#[derive(Debug, Deserialize)]
struct RawBoot {
    boot_id: String,
    first_entry: u64,
    last_entry: u64,
}

/// The journal's source report and its boots, after every selected entry went to `each`.
///
/// journalctl is run on one journal file at a time, oldest first: it maps the files it reads,
/// so asking for all of them at once would make its memory grow with the whole journal
/// (docs/benchmarks.md). The consumers keep their state per boot, so a boot spread over
/// several files is assembled all the same.
pub fn read(root: &Root, mut each: impl FnMut(&Entry)) -> (SourceReport, Vec<Boot>) {
    let mut source = SourceReport::new("journal");
    source.paths = DIRS.iter().map(|d| d.to_string()).collect();
    let files = journal_files(root);
    source.exists = !files.is_empty();
    if !source.exists {
        return (source, Vec::new());
    }
    if root.is_live() && !nix::unistd::geteuid().is_root() {
        source
            .problems
            .push("not root: journalctl shows only the entries this user may read".into());
    }
    // Each file's boots: the boots of the whole journal, and the order to read the files in.
    let mut boots = Boots::default();
    let mut ordered: Vec<(u64, PathBuf)> = Vec::new();
    for file in files {
        match list_boots(&file) {
            Ok(list) => ordered.push((boots.add(list), file)),
            Err(e) => source.problems.push(e),
        }
    }
    ordered.sort();
    for (_, file) in &ordered {
        let result = entries(file, |entry| boots.entry(&mut source, &entry, &mut each));
        match result {
            Ok(warnings) => source.problems.extend(warnings),
            Err(e) => source.problems.push(e),
        }
    }
    let boots = boots.finish(&mut source);
    (source, boots)
}

/// What [`read`] makes of journalctl's output, for the fuzz target (`crate::fuzzing`): the
/// `--list-boots -o json` text of one file and its `-o json` entry lines, through the same
/// parsers and the same assembly of boots.
pub fn read_output(
    boot_list: &str,
    lines: &[u8],
    mut each: impl FnMut(&Entry),
) -> (SourceReport, Vec<Boot>) {
    let mut source = SourceReport::new("journal");
    source.exists = true;
    let mut boots = Boots::default();
    match parse_boot_list(boot_list) {
        Ok(list) => {
            boots.add(list);
        }
        Err(e) => source.problems.push(e.to_string()),
    }
    let mut bad_lines = 0u64;
    for line in lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        match parse_line(line) {
            Some(entry) => boots.entry(&mut source, &entry, &mut each),
            None => bad_lines += 1,
        }
    }
    if bad_lines > 0 {
        source
            .problems
            .push(format!("{bad_lines} entries could not be read"));
    }
    let boots = boots.finish(&mut source);
    (source, boots)
}

/// The boots of every file read, and which of them airgapd started in.
#[derive(Debug)]
struct Boots {
    /// Boot id: first and last entry.
    span: HashMap<String, (u64, u64)>,
    /// Boots with a DaemonStarted entry.
    covered: HashSet<String>,
    /// DaemonStarted's MESSAGE_ID, as an entry carries it.
    started: String,
}

impl Default for Boots {
    fn default() -> Boots {
        Boots {
            span: HashMap::new(),
            covered: HashSet::new(),
            started: format!("{:032x}", MessageId::DaemonStarted.id128()),
        }
    }
}

impl Boots {
    /// One file's boots; its first entry's time (the order to read files in).
    fn add(&mut self, list: Vec<RawBoot>) -> u64 {
        let first = list.iter().map(|b| b.first_entry).min().unwrap_or(u64::MAX);
        for b in list {
            let e = self.span.entry(b.boot_id).or_insert((u64::MAX, 0));
            e.0 = e.0.min(b.first_entry);
            e.1 = e.1.max(b.last_entry);
        }
        first
    }

    /// One entry, counted and handed on.
    fn entry(&mut self, source: &mut SourceReport, entry: &Entry, each: &mut impl FnMut(&Entry)) {
        source.record(None);
        if entry.message_id == self.started {
            self.covered.insert(entry.boot_id.clone());
        }
        each(entry);
    }

    /// The boots, oldest first; their span dates the source.
    fn finish(self, source: &mut SourceReport) -> Vec<Boot> {
        let covered = self.covered;
        let mut boots: Vec<Boot> = self
            .span
            .into_iter()
            .map(|(boot_id, (first_us, last_us))| Boot {
                airgapd_started: covered.contains(&boot_id),
                in_machine_record: None,
                boot_id,
                first_us,
                last_us,
            })
            .collect();
        boots.sort_by_key(|b| (b.first_us, b.last_us));
        for b in &boots {
            source.date(b.first_us);
            source.date(b.last_us);
        }
        boots
    }
}

/// The journal files of the root, found inside it: `*.journal` (and `*.journal~`, files
/// journald set aside as damaged) in the journal directories and their machine-id (and
/// namespace) folders.
pub fn journal_files(root: &Root) -> Vec<PathBuf> {
    let is_journal = |n: &str| n.ends_with(".journal") || n.ends_with(".journal~");
    let mut out = Vec::new();
    for dir in DIRS {
        let Ok(Some(names)) = root.list(dir) else {
            continue;
        };
        for name in names {
            let inside = format!("{dir}/{name}");
            if is_journal(&name) {
                out.extend(root.resolve(&inside));
            } else if let Ok(Some(inner)) = root.list(&inside) {
                out.extend(
                    inner
                        .iter()
                        .filter(|n| is_journal(n))
                        .filter_map(|n| root.resolve(&format!("{inside}/{n}"))),
                );
            }
        }
    }
    out.retain(|p| p.is_file());
    out
}

/// journalctl on one file (resolved inside the root, so it never follows the image's links
/// out of it).
fn journalctl(file: &Path) -> Command {
    let mut cmd = Command::new(JOURNALCTL);
    cmd.env("LC_ALL", "C.UTF-8")
        .env("SYSTEMD_COLORS", "0")
        .env_remove("SYSTEMD_PAGER")
        .arg("--no-pager")
        .arg(format!("--file={}", file.display()))
        .stdin(Stdio::null());
    cmd
}

fn list_boots(file: &Path) -> Result<Vec<RawBoot>, String> {
    let out = journalctl(file)
        .args(["--list-boots", "-o", "json"])
        .output()
        .map_err(|e| format!("cannot run {JOURNALCTL}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if text.trim().is_empty() {
        // No boots at all is an empty journal, not an error, unless journalctl said so.
        return if out.status.success() {
            Ok(Vec::new())
        } else {
            Err(format!(
                "{}: {JOURNALCTL} --list-boots failed: {}",
                file.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        };
    }
    parse_boot_list(&text).map_err(|e| {
        format!(
            "{}: {JOURNALCTL} --list-boots gave unreadable JSON: {e}",
            file.display()
        )
    })
}

/// `journalctl --list-boots -o json`'s text, oldest first.
fn parse_boot_list(text: &str) -> Result<Vec<RawBoot>, serde_json::Error> {
    let mut boots: Vec<RawBoot> = serde_json::from_str(text)?;
    boots.sort_by_key(|b| b.first_entry);
    Ok(boots)
}

/// One line of `journalctl -o json`; None when it is not an entry.
fn parse_line(line: &[u8]) -> Option<Entry> {
    serde_json::from_slice::<RawEntry>(line).ok().map(convert)
}

/// Stream the entries journalctl's matches select: kernel lines, the network daemons'
/// lines, and airgapd's DaemonStarted records.
/// Ok holds what journalctl warned about (a damaged file it skipped, say).
fn entries(file: &Path, mut each: impl FnMut(Entry)) -> Result<Vec<String>, String> {
    let started = format!("{:032x}", MessageId::DaemonStarted.id128());
    let mut cmd = journalctl(file);
    cmd.args([
        "-o",
        "json",
        "--output-fields=MESSAGE,_TRANSPORT,SYSLOG_IDENTIFIER,MESSAGE_ID,\
         AIRGAP_MACHINE_RECORD_SEQ,AIRGAP_MACHINE_RECORD_CHAIN",
        "_TRANSPORT=kernel",
    ]);
    for id in NETWORK_IDENTIFIERS {
        cmd.arg("+").arg(format!("SYSLOG_IDENTIFIER={id}"));
    }
    cmd.arg("+").arg(format!("MESSAGE_ID={started}"));
    // The machine record's journal copy (issue 19).
    cmd.arg("+")
        .arg(format!("MESSAGE_ID={}", MessageId::MachineRecord));
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {JOURNALCTL}: {e}"))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    // Drain stderr beside stdout so a chatty journalctl cannot block on a full pipe.
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut bad_lines = 0u64;
    for line in BufReader::with_capacity(1 << 16, stdout).split(b'\n') {
        let line = line.map_err(|e| format!("reading {JOURNALCTL}: {e}"))?;
        if line.is_empty() {
            continue;
        }
        match parse_line(&line) {
            Some(entry) => each(entry),
            None => bad_lines += 1,
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for {JOURNALCTL}: {e}"))?;
    let errors = errors.join().unwrap_or_default();
    if !status.success() {
        return Err(format!(
            "{}: {JOURNALCTL} failed ({status}): {}",
            file.display(),
            errors.trim()
        ));
    }
    let mut warnings: Vec<String> = errors
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("{}: {JOURNALCTL}: {}", file.display(), l.trim()))
        .collect();
    if bad_lines > 0 {
        warnings.push(format!(
            "{}: {bad_lines} entries {JOURNALCTL} printed could not be read",
            file.display()
        ));
    }
    Ok(warnings)
}

fn convert(raw: RawEntry) -> Entry {
    let text = |f: Option<Field>| f.map(Field::text).unwrap_or_default();
    Entry {
        time_us: text(raw.realtime).parse().unwrap_or(0),
        boot_id: text(raw.boot_id),
        kernel: text(raw.transport) == "kernel",
        identifier: text(raw.identifier),
        message_id: text(raw.message_id).to_ascii_lowercase(),
        message: text(raw.message),
        record_seq: raw.record_seq.map(Field::text).and_then(|s| s.parse().ok()),
        record_chain: text(raw.record_chain),
    }
}
