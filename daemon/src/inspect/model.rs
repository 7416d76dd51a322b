//! The inspection's data, built once: every renderer (terminal, JSON) only prints it. The JSON
//! form of these types is the stable `airgapctl inspect --json` output (docs/inspection.md):
//! keys are only ever added, never renamed; times are microseconds since the Unix epoch (UTC).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Version of the JSON document; raised when a key changes meaning.
pub const FORMAT_VERSION: u32 = 1;

/// The whole inspection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// [`FORMAT_VERSION`].
    pub format: u32,
    /// The root filesystem inspected (`/` for the running machine).
    pub root: String,
    /// When the inspection ran.
    pub inspected_at_us: u64,
    /// One answer per directive question, in a fixed order.
    pub findings: Vec<Finding>,
    /// Every evidence source: whether it exists and the window its records cover.
    pub sources: Vec<SourceReport>,
    /// The policy whose `[[media]]` entries judged storage devices.
    pub policy: PolicyInfo,
    /// USB devices the journal shows, one per identity.
    pub usb_devices: Vec<UsbDevice>,
    /// Boots the journal holds, oldest first.
    pub boots: Vec<Boot>,
    /// NetworkManager profiles (never their secrets).
    pub network_profiles: Vec<NetworkProfile>,
    /// Bonded Bluetooth devices.
    pub bluetooth_bonds: Vec<BluetoothBond>,
    /// The machine record airgapd keeps (issue 19), verified.
    pub since_airgapd: SinceAirgapd,
    /// The copy register's chain head, to note for the next inspection.
    pub copy_register: super::previous::RecordHead,
    /// Chain heads of a previous inspection (`--previous`), checked.
    pub previous: Vec<super::previous::PreviousCheck>,
    /// The journal's seals checked with the officer's key (`--verify-key`).
    pub journal_seal: Option<super::journal_seal::SealReport>,
}

/// The machine record, read back: what airgapd recorded since it was installed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SinceAirgapd {
    /// Its path inside the root.
    pub path: String,
    /// Whether it exists.
    pub exists: bool,
    /// Records read.
    pub records: u64,
    /// Whether every line verified (false also when it does not exist).
    pub verified: bool,
    /// The first line (1-based) that does not verify, when one does not.
    pub broken_at: Option<u64>,
    /// Why it does not verify, or could not be read.
    pub problem: Option<String>,
    /// The last record's number, when it verified.
    pub last_seq: u64,
    /// The chain head (the last record's chain), when it verified: keep it to compare with
    /// the next inspection.
    pub last_chain: Option<String>,
    /// The head as one token, `machine-record:SEQ:HASH`, for `inspect --previous`.
    pub head: Option<String>,
    /// Every record's chain, in order, when it verified: a later report shows that an earlier
    /// head is its prefix (`report merge`, issue 20).
    #[serde(default)]
    pub chains: Vec<String>,
    /// Every record, oldest first.
    pub entries: Vec<crate::machine_record::Entry>,
    /// What the record's lines say the TPM counted, and the TPM now (issue 19).
    pub tpm: super::tpm::TpmCoverage,
}

/// The directive questions, with their stable JSON ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingId {
    /// Has the machine been connected to the Internet?
    Internet,
    /// Has it been connected to a computer network (any, the Internet included)?
    Network,
    /// Has a phone or a network-capable device (USB tethering, modem, radio) been attached?
    PhoneOrNetworkDevice,
    /// Has a storage device no `[[media]]` entry approves been attached?
    UnapprovedStorage,
    /// Has a Bluetooth device been paired?
    BluetoothPairing,
    /// Are there boots airgapd did not see start (no DaemonStarted record)?
    UncoveredBoots,
}

impl FindingId {
    /// Every question, in report order.
    pub const ALL: [FindingId; 6] = [
        FindingId::Internet,
        FindingId::Network,
        FindingId::PhoneOrNetworkDevice,
        FindingId::UnapprovedStorage,
        FindingId::BluetoothPairing,
        FindingId::UncoveredBoots,
    ];

    /// The question of an evidence item read back from JSON before its finding is known.
    pub fn unset() -> FindingId {
        FindingId::Internet
    }

    /// The JSON id, also the tail of its catalog message ids.
    pub fn name(self) -> &'static str {
        match self {
            FindingId::Internet => "internet",
            FindingId::Network => "network",
            FindingId::PhoneOrNetworkDevice => "phone-or-network-device",
            FindingId::UnapprovedStorage => "unapproved-storage",
            FindingId::BluetoothPairing => "bluetooth-pairing",
            FindingId::UncoveredBoots => "uncovered-boots",
        }
    }
}

/// The answer to one question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    /// At least one evidence item.
    Found,
    /// Sources exist and hold nothing: "none found between `from` and `to`".
    NoneFound,
    /// No source that could answer exists.
    Unknown,
}

/// One answered question.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    /// The question.
    pub id: FindingId,
    /// The answer.
    pub answer: Answer,
    /// Earliest record of the sources that were searched (None: they hold no dated record).
    pub from_us: Option<u64>,
    /// Latest record of those sources.
    pub to_us: Option<u64>,
    /// The sources that can answer this question and exist.
    pub sources: Vec<String>,
    /// The sources that could have answered but do not exist.
    pub missing_sources: Vec<String>,
    /// Sources it was answered from that could not be read whole (see their `problems`):
    /// the answer may miss what the unread part held.
    pub incomplete_sources: Vec<String>,
    /// What was found, grouped by kind and subject.
    pub evidence: Vec<Evidence>,
}

/// Everything an evidence source yields about one subject, folded: a device attached 40 times
/// is one item with a count, not 40.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Evidence {
    /// The question it answers. Not in the JSON (an item sits under its finding); read back,
    /// it is the finding it sits under (`crate::report::model`).
    #[serde(skip, default = "FindingId::unset")]
    pub finding: FindingId,
    /// The source (see [`SourceReport::name`]).
    pub source: String,
    /// What kind of trace (stable; `inspect-evidence-<kind>` in the catalogs).
    pub kind: String,
    /// What it is about: a device, a profile, a host, a boot id.
    pub subject: String,
    /// How many records.
    pub count: u64,
    /// First record's time, when the source dates it.
    pub first_us: Option<u64>,
    /// Last record's time.
    pub last_us: Option<u64>,
    /// One record as the source wrote it (a journal line, a file path), for the officer to
    /// find it again; never a secret.
    pub example: String,
}

/// Every [`Evidence::kind`] the sources yield: each has an `inspect-evidence-<kind>` message
/// in every catalog (checked by a test in `ctl/inspect.rs`).
pub const EVIDENCE_KINDS: &[&str] = &[
    "nm-connected-global",
    "nm-connected",
    "nm-activated",
    "dhcp-lease",
    "link-carrier",
    "ntp-server",
    "nm-profile",
    "nm-shared",
    "nm-deleted-profile",
    "dhcp-lease-file",
    "apt-source",
    "bluetooth-bond",
    "bluetooth-known",
    "ssh-known-hosts",
    "usb-phone",
    "usb-network-capable",
    "usb-radio",
    "usb-storage",
    "removable-disk",
    "boot-without-airgapd",
    "boot-not-in-journal",
    "remote-login",
    "browser-history",
    "interface-configured",
    "machine-record-altered",
    "boot-not-in-machine-record",
    "machine-record-cut",
    "machine-record-replaced",
    "tpm-resets-not-in-record",
    "tpm-reset-count-went-back",
    "tpm-counter-gap",
    "tpm-counter-ahead",
    "tpm-counter-went-back",
    "tpm-counter-missing",
    "tpm-disappeared",
    "previous-head-missing",
    "previous-head-truncated",
    "previous-head-rewritten",
    "previous-head-not-a-record",
    "previous-head-unreadable",
    "journal-seal-failed",
    "journal-unsealed-after-key",
];

/// Every [`SourceReport::name`], in report order; each has an `inspect-source-name-<name>`
/// message in every catalog.
pub const SOURCE_NAMES: &[&str] = &[
    "journal",
    "nm-profiles",
    "nm-state",
    "nm-leases",
    "network-config",
    "dhclient-leases",
    "apt",
    "bluez",
    "known-hosts",
    "browsers",
    "wtmp",
    "machine-record",
    "tpm",
    "copy-register",
];

/// One evidence source.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceReport {
    /// Stable id: `journal`, `nm-profiles`, `nm-state`, `nm-leases`, `dhclient-leases`,
    /// `apt`, `bluez`, `known-hosts`, `browsers`, `wtmp`.
    pub name: String,
    /// Where it was looked for, inside the root.
    pub paths: Vec<String>,
    /// Whether any of them exists.
    pub exists: bool,
    /// How many records it holds (lines, files, entries: per source, see the docs).
    pub records: u64,
    /// Earliest dated record.
    pub earliest_us: Option<u64>,
    /// Latest dated record.
    pub latest_us: Option<u64>,
    /// What could not be read, and why (a partial source is never silently complete).
    pub problems: Vec<String>,
}

impl SourceReport {
    /// A source not read yet.
    pub fn new(name: &str) -> SourceReport {
        SourceReport {
            name: name.to_string(),
            paths: Vec::new(),
            exists: false,
            records: 0,
            earliest_us: None,
            latest_us: None,
            problems: Vec::new(),
        }
    }

    /// Count one record, at `time_us` if it is dated.
    pub fn record(&mut self, time_us: Option<u64>) {
        self.records += 1;
        if let Some(t) = time_us {
            self.date(t);
        }
    }

    /// Widen the window to `time_us`.
    pub fn date(&mut self, time_us: u64) {
        self.earliest_us = Some(self.earliest_us.map_or(time_us, |e| e.min(time_us)));
        self.latest_us = Some(self.latest_us.map_or(time_us, |l| l.max(time_us)));
    }
}

/// What one source module hands back.
#[derive(Debug, Default)]
pub struct SourceOutput {
    /// The source reports (a module may read several related files).
    pub sources: Vec<SourceReport>,
    /// The evidence it found.
    pub evidence: Vec<Evidence>,
}

/// The policy that judged storage devices.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyInfo {
    /// Its path inside the root.
    pub path: String,
    /// `loaded`, `missing` (no media approved) or `invalid`.
    pub state: String,
    /// Why it could not be used.
    pub error: Option<String>,
    /// `[meta] id` and serial.
    pub id: Option<String>,
    /// See `id`.
    pub serial: Option<u64>,
    /// How many `[[media]]` entries it approves.
    pub media: usize,
}

/// What a USB device is, from what its traces show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// A handset (vendor, MTP/PTP, iPhone Ethernet).
    Phone,
    /// USB networking: tethering, USB Ethernet, modems.
    NetworkCapable,
    /// Wi-Fi or Bluetooth adapters.
    Radio,
    /// Webcams, microphones, audio capture.
    CameraOrMicrophone,
    /// Mass storage.
    Storage,
    /// Keyboards, mice and other HID.
    Input,
    /// Anything else (hubs, unrecognised).
    Other,
}

impl Category {
    /// The JSON spelling, also the tail of `inspect-category-<name>`.
    pub fn name(self) -> &'static str {
        match self {
            Category::Phone => "phone",
            Category::NetworkCapable => "network-capable",
            Category::Radio => "radio",
            Category::CameraOrMicrophone => "camera-or-microphone",
            Category::Storage => "storage",
            Category::Input => "input",
            Category::Other => "other",
        }
    }
}

/// A network interface a USB device registered (usbnet `register` line).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UsbNet {
    /// The kernel driver (`rndis_host`, `cdc_ether`, `cdc_ncm`, `ipheth`, ...).
    pub driver: String,
    /// Interface name at the time (`usb0`, `enx...`).
    pub interface: String,
    /// The MAC address the device gave.
    pub mac: String,
}

/// One USB device identity across every boot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UsbDevice {
    /// `idVendor`, 4 hex digits (None: the kernel never printed it).
    pub vendor_id: Option<String>,
    /// `idProduct`.
    pub product_id: Option<String>,
    /// `Manufacturer:` string, as the device claims.
    pub manufacturer: Option<String>,
    /// `Product:` string.
    pub product: Option<String>,
    /// `SerialNumber:` string.
    pub serial: Option<String>,
    /// The category (the most significant capability).
    pub category: Category,
    /// Every capability seen.
    pub capabilities: BTreeSet<Category>,
    /// First attach.
    pub first_seen_us: u64,
    /// Last record of it (its last detach, or its last line).
    pub last_seen_us: u64,
    /// How many times it was attached.
    pub attaches: u64,
    /// Ports it was seen on (`1-2`, `3-1.4`).
    pub ports: BTreeSet<String>,
    /// Kernel drivers bound to it.
    pub drivers: BTreeSet<String>,
    /// Network interfaces it registered.
    pub networks: BTreeSet<UsbNet>,
    /// Removable disks it showed (`sdb`).
    pub disks: BTreeSet<String>,
    /// The `[[media]]` entry that approves the whole device (storage only, vendor, product
    /// and serial equal); filesystem fields cannot be checked from traces.
    pub approved_by: Option<String>,
    /// The kernel line that shows best what it is (a `register` line, else its ids).
    pub example: String,
}

/// One boot in the journal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Boot {
    /// `_BOOT_ID`.
    pub boot_id: String,
    /// First entry of the boot.
    pub first_us: u64,
    /// Last entry.
    pub last_us: u64,
    /// Whether airgapd journaled DaemonStarted in this boot.
    pub airgapd_started: bool,
    /// Whether the machine record holds a start in this boot (false too when there is no
    /// record; None: not looked up).
    pub in_machine_record: Option<bool>,
}

/// A NetworkManager profile, without any secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkProfile {
    /// The keyfile, inside the root.
    pub file: String,
    /// `connection.id`.
    pub id: Option<String>,
    /// `connection.uuid`.
    pub uuid: Option<String>,
    /// `connection.type` (`wifi`, `ethernet`, `gsm`, `vpn`, ...).
    pub kind: Option<String>,
    /// `wifi.ssid`.
    pub ssid: Option<String>,
    /// `connection.interface-name`.
    pub interface: Option<String>,
    /// `ipv4.method` (`shared`: the PC shared its connection).
    pub ipv4_method: Option<String>,
    /// Last activation (`connection.timestamp`, or the `timestamps` file).
    pub last_activated_us: Option<u64>,
    /// Access points seen with it (`seen-bssids`).
    pub bssids: Vec<String>,
    /// Whether the profile holds a secret (the secret itself is never read out).
    pub has_secret: bool,
}

/// A Bluetooth bond (`/var/lib/bluetooth/<adapter>/<device>/info`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BluetoothBond {
    /// The adapter's address.
    pub adapter: String,
    /// The device's address.
    pub device: String,
    /// `Name=`.
    pub name: Option<String>,
    /// `Class=`.
    pub class: Option<String>,
    /// Whether it holds a link key (a completed pairing).
    pub paired: bool,
    /// The file's modification time.
    pub modified_us: Option<u64>,
}
