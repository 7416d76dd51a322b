//! `airgapd lift --yes`: remove pinned enforcement. The only way enforcement ends; root only.
//!
//! Lift means lift: a running daemon would keep enforcing with the links it holds (and pin them
//! again), so lifting under a running daemon is refused with the command that stops it. The
//! intent is recorded before anything is removed (nothing is removed if it cannot be); the
//! alert that the machine is no longer protected is recorded only once the kernel has freed
//! every link, and says what was removed. A whole-machine lift gives USB authorization back to
//! the kernel's default.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::journal::{field, MessageId, Priority, Record, Sink};
use crate::links;
use crate::paths;
use crate::pinned::record::{now_us, LiftRecord, Record as EnforcementRecord};
use crate::pinned::{process, Inspection};
use crate::tr;

/// How long the kernel may take to free unpinned links (bpffs frees them after an RCU grace
/// period and a work item).
const FREED_WITHIN: Duration = Duration::from_secs(5);

/// Arguments of `airgapd lift`.
#[derive(Debug, clap::Args)]
pub struct LiftArgs {
    /// The pin directory whose enforcement to lift.
    #[arg(long, value_name = "DIR", default_value = paths::PIN_DIR)]
    pub pin_dir: PathBuf,
    /// journald's native socket.
    #[arg(long, value_name = "PATH")]
    pub journal_socket: Option<PathBuf>,
    /// The enforcement record to update (what `airgapctl status` reads) [default: as
    /// `airgapd service` finds it from the pin directory].
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// The machine record to write the lift to [default: /var/lib/airgapd/machine-record.jsonl
    /// for the production pin directory, none for another].
    #[arg(long, value_name = "FILE")]
    pub machine_record: Option<PathBuf>,
    /// The TPM whose reset count and NV counter the machine record keeps: a TPM character
    /// device or a unix socket speaking raw TPM 2.0 commands [default: /dev/tpmrm0 with the
    /// production pin directory, none with another unless given].
    #[arg(long, value_name = "PATH")]
    pub tpm: Option<PathBuf>,
    /// Confirm: the machine stops being air-gapped.
    #[arg(long)]
    pub yes: bool,
    /// Lift a whole-machine installation without a signed release order (a machine that is
    /// locked out); recorded at alert priority as an emergency lift.
    #[arg(long)]
    pub emergency: bool,
}

/// On whose authority enforcement is lifted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authority {
    /// `--emergency`, or a scoped (test, demonstration) installation.
    Root,
    /// A signed release order; the text says which (number, date, signer).
    Order(String),
}

/// The sentences of this command: on the terminal in the reader's language (`airgapd.ftl`),
/// in the journal in English (journalctl -x explains the records in Vietnamese).
mod text {
    use crate::tr;

    pub fn running(pid: u32, machine: bool) -> String {
        let stop = if machine {
            "systemctl stop airgapd".to_string()
        } else {
            format!("kill -TERM {pid}")
        };
        tr!("lift-running", pid = pid, stop = stop)
    }
    pub fn emergency(dir: &str, removed: &str) -> String {
        format!(
            "EMERGENCY LIFT without a release order: enforcement in {dir} lifted by root; \
             removed: {removed}"
        )
    }
    pub fn by_order(dir: &str, order: &str, removed: &str) -> String {
        format!("enforcement in {dir} lifted by release order {order}; removed: {removed}")
    }
    pub fn intent(dir: &str) -> String {
        format!("root is lifting the enforcement in {dir}")
    }
    pub fn lifted(dir: &str, removed: &str) -> String {
        format!("enforcement in {dir} lifted by root; removed: {removed}")
    }
    pub fn still_held(ids: &str) -> String {
        format!(
            "the pins were removed but links {ids} are still held by a process and keep \
             enforcing; find it with `bpftool link show` and end it, or start airgapd again"
        )
    }
}

/// One kind of thing a lift removed: in English for the records (journal, enforcement record,
/// machine record), in the reader's language on the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// Pinned links, by name.
    Links(Vec<String>),
    /// Pinned maps, by name.
    Maps(Vec<String>),
    /// The pin directory held nothing.
    Nothing,
    /// Classic tc filters, by interface.
    TcFilters(Vec<String>),
    /// USB buses given back to the kernel's default.
    UsbRestored(Vec<String>),
    /// USB authorization could not be given back.
    UsbNotRestored(String),
}

impl Removed {
    /// For the records.
    pub fn english(&self) -> String {
        match self {
            Removed::Links(n) => format!("{} links ({})", n.len(), n.join(", ")),
            Removed::Maps(n) => format!("{} maps ({})", n.len(), n.join(", ")),
            Removed::Nothing => "nothing was pinned".into(),
            Removed::TcFilters(i) => format!("tc filters (kernel without TCX) on {}", i.join(", ")),
            Removed::UsbRestored(b) => format!(
                "USB authorization restored to the kernel default ({})",
                b.join("; ")
            ),
            Removed::UsbNotRestored(e) => format!("USB authorization NOT restored: {e}"),
        }
    }

    /// For the reader at the terminal.
    pub fn said(&self) -> String {
        match self {
            Removed::Links(n) => tr!("lift-removed-links", count = n.len(), names = n.join(", ")),
            Removed::Maps(n) => tr!("lift-removed-maps", count = n.len(), names = n.join(", ")),
            Removed::Nothing => tr!("lift-removed-nothing"),
            Removed::TcFilters(i) => tr!("lift-removed-tc", interfaces = i.join(", ")),
            Removed::UsbRestored(b) => tr!("lift-removed-usb", buses = b.join("; ")),
            Removed::UsbNotRestored(e) => tr!("lift-removed-usb-failed", error = e),
        }
    }
}

fn joined(removed: &[Removed], f: impl Fn(&Removed) -> String) -> String {
    removed.iter().map(f).collect::<Vec<_>>().join("; ")
}

/// `airgapd lift`: on a whole-machine installation only with `--emergency` (otherwise a
/// release order is the way, `airgapctl release apply`).
pub fn run(args: LiftArgs) -> Result<i32> {
    lift(&args, Authority::Root)
}

/// Unpin every link and map in the pin directory; the kernel detaches what nothing holds.
pub fn lift(args: &LiftArgs, authority: Authority) -> Result<i32> {
    if !nix::unistd::geteuid().is_root() {
        bail!(tr!("lift-not-root"));
    }
    if !args.yes {
        bail!(tr!("lift-confirm"));
    }
    let dir = args.pin_dir.display().to_string();
    let record_path = paths::record_for(&args.pin_dir, args.record.as_deref());
    // A record of another pin directory says nothing about this one.
    let record = EnforcementRecord::read(&record_path)
        .ok()
        .flatten()
        .filter(|r| r.pin_dir == dir);
    let running = record
        .as_ref()
        .and_then(|r| r.daemon.as_ref())
        .filter(|d| d.running())
        .map(|d| d.pid)
        .or_else(|| process::find_daemon(&args.pin_dir));
    // Asked before the pins are read: where BPF LSM loads, a running daemon refuses them to
    // every other process (crate::bpf_guard), which would hide the reason.
    let insp = Inspection::read(&args.pin_dir);
    if let Some(pid) = running {
        let machine = match (&insp, &record) {
            (Ok(i), _) if i.config.is_some() => i.config.is_some_and(|c| c.scope_level == 0),
            (_, Some(r)) => r.scope.machine,
            _ => true,
        };
        bail!(text::running(pid, machine));
    }
    let insp = insp.with_context(|| tr!("lift-reading", dir = &dir))?;
    let machine = insp.config.is_some_and(|c| c.scope_level == 0);
    if machine && authority == Authority::Root && !args.emergency {
        bail!(tr!("lift-needs-order"));
    }

    let sink = match &args.journal_socket {
        Some(p) => Sink::detect_at(p),
        None => Sink::detect(),
    };
    let intent = Record::new(MessageId::EnforcementState, text::intent(&dir))
        .priority(Priority::Notice)
        .field(field::LAYER, "all")
        .field(field::STATE, field::state::INACTIVE)
        .field(field::UID, nix::unistd::getuid())
        .field(field::PID, std::process::id());
    sink.send(&intent)
        .with_context(|| tr!("lift-not-recorded"))?;

    let link_ids: BTreeSet<u32> = insp
        .links
        .iter()
        .filter_map(|l| l.info.as_ref().ok().map(|i| i.id))
        .collect();
    unpin_all(&args.pin_dir)?;
    let held = wait_freed(&link_ids);
    let mut removed = summary(&insp);
    if machine {
        let filters = remove_tc_filters();
        if !filters.is_empty() {
            removed.push(Removed::TcFilters(filters));
        }
        match crate::devices::usb_authorize::restore_kernel_default(Path::new("/sys")) {
            Ok(done) if done.is_empty() => {}
            Ok(done) => removed.push(Removed::UsbRestored(done)),
            Err(e) => removed.push(Removed::UsbNotRestored(e.to_string())),
        }
    }
    let mut rec = record.clone().unwrap_or_default();
    rec.pin_dir = dir.clone();
    rec.daemon = None;
    rec.links.clear();
    rec.lifted = Some(LiftRecord {
        at_us: now_us(),
        uid: nix::unistd::getuid().as_raw(),
        removed: removed.iter().map(Removed::english).collect(),
    });
    if let Err(e) = rec.write(&record_path) {
        say(&tr!("run-warning", warning = e.to_string()));
    }
    if !held.is_empty() {
        let ids: Vec<String> = held.iter().map(u32::to_string).collect();
        let ids = ids.join(", ");
        let r = Record::new(MessageId::EnforcementState, text::still_held(&ids))
            .priority(Priority::Critical)
            .field(field::LAYER, "all")
            .field(field::STATE, field::state::ACTIVE);
        let _ = sink.send(&r);
        bail!(tr!("lift-still-held", ids = ids));
    }
    let what = joined(&removed, Removed::english);
    let message = match &authority {
        Authority::Order(order) => text::by_order(&dir, order, &what),
        Authority::Root if machine || args.emergency => text::emergency(&dir, &what),
        Authority::Root => text::lifted(&dir, &what),
    };
    // The machine record (issue 19): lifts are part of the machine's protected history.
    if let Some(path) =
        crate::machine_record::path_for(&args.pin_dir, args.machine_record.as_deref())
    {
        crate::machine_record::append_now(
            &path,
            crate::machine_record::Entry {
                detail: Some(message.clone()),
                ..crate::machine_record::Entry::now("lift")
            },
            crate::machine_record::tpm_for(&args.pin_dir, args.tpm.as_deref()).as_deref(),
            &sink,
        );
    }
    let alert = Record::new(MessageId::EnforcementLifted, message)
        .field(field::UID, nix::unistd::getuid())
        .field(field::PID, std::process::id());
    if let Err(e) = sink.send(&alert) {
        say(&tr!("lift-alert-unrecorded", error = e.to_string()));
    }
    say(&tr!(
        "lift-done",
        dir = &dir,
        removed = joined(&removed, Removed::said)
    ));
    Ok(0)
}

/// Say `text` on stderr after "airgapd: ", wrapped to 80 columns.
fn say(text: &str) {
    eprintln!("{}", crate::i18n::wrap(&format!("airgapd: {text}"), 80, 2));
}

fn unpin_all(dir: &Path) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(e).with_context(|| tr!("lift-reading", dir = dir.display().to_string()))
        }
    };
    for entry in entries {
        let path = entry?.path();
        std::fs::remove_file(&path)
            .with_context(|| tr!("lift-unpinning", path = path.display().to_string()))?;
    }
    std::fs::remove_dir(dir)
        .with_context(|| tr!("lift-unpinning", path = dir.display().to_string()))
}

/// Wait until the kernel has freed every link in `ids`; the ones still there after
/// [`FREED_WITHIN`] are held by some process.
fn wait_freed(ids: &BTreeSet<u32>) -> Vec<u32> {
    let end = Instant::now() + FREED_WITHIN;
    loop {
        let held: Vec<u32> = ids
            .iter()
            .copied()
            .filter(|&id| {
                !matches!(links::link_by_id(id), Err(e) if e.raw_os_error() == Some(libc::ENOENT))
            })
            .collect();
        if held.is_empty() || Instant::now() > end {
            return held;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kernels without TCX carry the interface programs as classic tc filters, which are not links
/// and not pinned: remove them from every interface. Returns the interfaces that had them.
fn remove_tc_filters() -> Vec<String> {
    let names: Vec<String> = nix::net::if_::if_nameindex()
        .map(|l| {
            l.iter()
                .map(|i| i.name().to_string_lossy().into_owned())
                .filter(|n| n != "lo")
                .collect()
        })
        .unwrap_or_default();
    names
        .into_iter()
        .filter(|name| {
            crate::network::WIRE_LEGACY
                .iter()
                .filter(|(prog, attach)| {
                    aya::programs::tc::qdisc_detach_program(name, *attach, prog).is_ok()
                })
                .count()
                > 0
        })
        .collect()
}

/// What was removed, by kind.
fn summary(insp: &Inspection) -> Vec<Removed> {
    let names = |prefix: &str| -> Vec<String> {
        insp.pins
            .iter()
            .filter_map(|p| p.strip_prefix(prefix).map(str::to_string))
            .collect()
    };
    let mut out = Vec::new();
    let links = names("link_");
    if !links.is_empty() {
        out.push(Removed::Links(links));
    }
    let maps = names("map_");
    if !maps.is_empty() {
        out.push(Removed::Maps(maps));
    }
    if out.is_empty() {
        out.push(Removed::Nothing);
    }
    out
}
