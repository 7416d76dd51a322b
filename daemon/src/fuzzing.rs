//! Entry points for the fuzz targets (`fuzz/`) and for the replay of their corpora
//! (`daemon/tests/fuzz_corpus.rs`): each hands bytes an attacker controls to the very function
//! the daemon runs on them, and then to what the daemon does next with the result (formatting a
//! record, judging a device), so a panic anywhere on that path is found. None of them changes
//! behaviour; they only make private parsers reachable from outside the crate.
//!
//! Which parser reads what, and who controls it: see `docs/fuzzing.md`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::devices::{fsprobe, identity, uevent, usb, usb_authorize, usb_class, usb_descriptors};
use crate::network::isolation::{Finding, Isolation};
use crate::plan::LanPlan;
use crate::update::{self, TrustedKey, TrustedKeys};

/// The policy devices and rtnetlink messages are judged against: the reference policy, which
/// has media entries, USB and capture allow entries and an isolated LAN.
fn policy() -> &'static airgapd_policy::Policy {
    static POLICY: OnceLock<airgapd_policy::Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        airgapd_policy::parse(include_str!("../../packaging/policy.toml"), None)
            .expect("the reference policy parses")
            .policy
    })
}

/// A directory of this process's own under the temporary directory (`TMPDIR`: point it at a
/// tmpfs when fuzzing), emptied before each use.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "airgapd-fuzz-{}-{:?}-{name}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// The first bytes of a block device, as `probe::probe_file` reads them from a crafted stick.
pub fn superblock(data: &[u8]) {
    let head = &data[..data.len().min(fsprobe::HEAD_BYTES)];
    if let Some(fs) = fsprobe::parse(head) {
        // What the daemon does next: a media identity for matching, with a lowercased UUID.
        let _ = format!("{fs:?}");
    }
}

/// One datagram from the kernel's uevent group (any local process that can send to it, and a
/// USB device through the strings the kernel copies into it).
pub fn uevent(data: &[u8]) {
    if let Some(ev) = uevent::Uevent::parse(data) {
        let _ = (
            ev.action(),
            ev.devnum(),
            ev.get("SUBSYSTEM"),
            ev.get("DEVNAME"),
        );
    }
    // udev's properties of the same device, as text (`ID_FS_*`, `ID_SERIAL`).
    let _ = identity::parse_udev_properties(&String::from_utf8_lossy(data));
}

/// The binary `descriptors` attribute of a USB device: what the device sent at enumeration.
pub fn usb_descriptors(data: &[u8]) {
    let _ = usb_descriptors::parse(Path::new("descriptors"), data);
}

/// A whole USB device as sysfs shows it, built from `data`, read by [`usb::UsbDevice::from_sysfs`]
/// and judged under the reference policy as the daemon judges an arrival.
///
/// Layout of `data`: one flags byte (bit 0 `authorized`, bits 1-3 which of serial, manufacturer
/// and product exist), two bytes of little-endian length, that many bytes of `descriptors`, then
/// the strings separated by NUL: serial, manufacturer, product, then one interface string per
/// interface directory. The numeric attributes (`idVendor`, `bDeviceClass`, ...) are written
/// from the device descriptor the way the kernel writes them; an authorized device also gets
/// the interface directories of its first configuration, as the kernel makes them.
pub fn usb_device(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Some((len, rest)) = rest.split_first_chunk::<2>() else {
        return;
    };
    let len = usize::from(u16::from_le_bytes(*len)).min(rest.len());
    let (descriptors, strings) = rest.split_at(len);
    let mut strings = strings.split(|&b| b == 0);
    let root = scratch("usb");
    let dir = root.join("2-1");
    std::fs::create_dir(&dir).expect("device directory");
    let put = |name: &str, value: &[u8]| {
        let mut line = value.to_vec();
        line.push(b'\n');
        std::fs::write(dir.join(name), line).expect("attribute");
    };
    let byte = |at: usize| descriptors.get(at).copied().unwrap_or(0);
    let word = |at: usize| u16::from_le_bytes([byte(at), byte(at + 1)]);
    put("idVendor", format!("{:04x}", word(8)).as_bytes());
    put("idProduct", format!("{:04x}", word(10)).as_bytes());
    put("bDeviceClass", format!("{:02x}", byte(4)).as_bytes());
    put("bDeviceSubClass", format!("{:02x}", byte(5)).as_bytes());
    put("bDeviceProtocol", format!("{:02x}", byte(6)).as_bytes());
    put("busnum", b"2");
    put("devnum", b"3");
    put("dev", b"189:130");
    put("authorized", if flags & 1 != 0 { b"1" } else { b"0" });
    std::fs::write(dir.join("descriptors"), descriptors).expect("descriptors");
    for (bit, name) in [(2, "serial"), (4, "manufacturer"), (8, "product")] {
        let value = strings.next().unwrap_or_default();
        if flags & bit != 0 {
            put(name, value);
        }
    }
    if flags & 1 != 0 {
        if let Ok(raw) = usb_descriptors::parse(Path::new("descriptors"), descriptors) {
            let first = raw.interfaces.first().map(|i| i.config);
            for i in raw.interfaces.iter().filter(|i| Some(i.config) == first) {
                let idir = dir.join(format!("2-1:{}.{}", i.config, i.number));
                if std::fs::create_dir(&idir).is_err() {
                    continue; // another alternate setting of the same interface
                }
                for (name, value) in [
                    ("bInterfaceClass", i.class),
                    ("bInterfaceSubClass", i.subclass),
                    ("bInterfaceProtocol", i.protocol),
                ] {
                    std::fs::write(idir.join(name), format!("{value:02x}\n")).expect("attribute");
                }
                std::fs::write(idir.join("bAlternateSetting"), format!("{:2}\n", i.alt))
                    .expect("attribute");
                if let Some(name) = strings.next() {
                    let mut line = name.to_vec();
                    line.push(b'\n');
                    std::fs::write(idir.join("interface"), line).expect("attribute");
                }
            }
        }
    }
    if let Ok(dev) = usb::UsbDevice::from_sysfs(&dir) {
        let classes = usb_class::classify(&dev);
        let _ = classes.categories();
        let decision = usb_authorize::judge(policy(), &dev);
        let _ = (decision.input_only(), decision.reason.len());
        let id = identity::DeviceIdentity::from_usb(&dev);
        let _ = id.media_identity();
    }
    let _ = std::fs::remove_dir_all(&root);
}

/// A policy file: parsed and validated, every error and warning rendered as the daemon and
/// `airgapctl` print them (positions into the text included), then turned into the LAN plan
/// and USB rules.
pub fn policy_file(data: &[u8]) {
    let text = match std::str::from_utf8(data) {
        Ok(text) => text,
        Err(e) => {
            let at = airgapd_policy::Location::at("policy.toml", data, e.valid_up_to());
            let _ = at.to_string();
            return;
        }
    };
    match airgapd_policy::parse(text, Some(Path::new("policy.toml"))) {
        Ok(checked) => {
            let mut out = String::new();
            for w in &checked.warnings {
                let _ = writeln!(out, "{w}");
            }
            let _ = LanPlan::from_policy(&checked.policy.network);
            let _ = usb_authorize::rules(&checked.policy);
            let _ = checked.policy.sha256();
        }
        Err(e) => {
            let _ = e.to_string();
            for f in e.field_errors() {
                let _ = f.to_string();
            }
        }
    }
}

/// Separates the policy text from its signature in the input of [`signed_update`].
pub const SIGNATURE_SEPARATOR: &[u8] = b"\n==airgapd-fuzz-signature==\n";

/// Trusted keys holding the one ed25519 public key line `pub_line` (as `ssh-keygen` writes
/// `KEY.pub`), principal `fuzz-signer`.
pub fn trusted_keys(pub_line: &str) -> TrustedKeys {
    let mut words = pub_line.split_whitespace();
    TrustedKeys {
        dir: PathBuf::from("trusted-keys"),
        keys: vec![TrustedKey {
            principal: "fuzz-signer".into(),
            key_type: words.next().unwrap_or_default().into(),
            key: words.next().unwrap_or_default().into(),
            file: PathBuf::from("trusted-keys/fuzz-signer.pub"),
        }],
    }
}

/// A signed update as offered on a medium: `FILE` and `FILE.sig` (the OpenSSH signature
/// envelope), split at [`SIGNATURE_SEPARATOR`] (no separator: no signature file). Read as
/// `airgapctl policy apply` reads them, verified by `ssh-keygen` against `keys` as the daemon
/// verifies them, and parsed when the signature holds; every error is rendered.
pub fn signed_update(data: &[u8], keys: &TrustedKeys) {
    let dir = scratch("update");
    let file = dir.join("policy.toml");
    let (text, sig) = match data
        .windows(SIGNATURE_SEPARATOR.len())
        .position(|w| w == SIGNATURE_SEPARATOR)
    {
        Some(at) => (&data[..at], Some(&data[at + SIGNATURE_SEPARATOR.len()..])),
        None => (data, None),
    };
    std::fs::write(&file, text).expect("offered file");
    if let Some(sig) = sig {
        std::fs::write(update::signature_path(&file), sig).expect("offered signature");
    }
    let result = update::offered::read(&file).and_then(|offered| {
        let signer = update::ssh::verify(Path::new("/usr/bin/ssh-keygen"), keys, &offered)?;
        let checked = airgapd_policy::parse(&offered.text, Some(&file))?;
        Ok((signer, checked.policy.meta.serial))
    });
    if let Err(e) = result {
        let _ = e.to_string();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A copy register file, as `airgapctl register verify` checks it, `airgapctl register` lists
/// it and the daemon reopens it at start (finding its last record, mending a torn tail).
pub fn copy_register(data: &[u8]) {
    let dir = scratch("register");
    let path = dir.join("register.jsonl");
    std::fs::write(&path, data).expect("register file");
    if let Err(e) = crate::register::file::verify(&path) {
        let _ = e.to_string();
    }
    let _ = crate::register::file::read(&path);
    match crate::register::file::RegisterFile::open(&path) {
        Ok((_, note)) => drop(note),
        Err(e) => drop(e.to_string()),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// One rtnetlink datagram (what the kernel reports of links, addresses and routes that any
/// root process or a hot-plugged network adapter's name and MAC shape), read by the interface
/// watcher and judged by the isolated-LAN watcher against the reference policy's LAN.
pub fn rtnetlink(data: &[u8]) {
    let _ = crate::interfaces::parse(data, None);
    let seq = data
        .get(8..12)
        .map(|s| u32::from_ne_bytes(s.try_into().unwrap()));
    let _ = crate::interfaces::parse(data, seq);
    let mut iso = Isolation::new(&LanPlan::from_policy(&policy().network));
    for finding in iso.judge_datagram(data) {
        if let Finding::Lost(loss) = finding {
            let _ = loss.record();
        }
    }
    let _ = iso.lan_entries();
}

/// The machine record (`/var/lib/airgapd/machine-record.jsonl`), which root can alter and
/// `airgapctl inspect` exists to catch: read back and verified by the inspection ("since
/// airgapd", its findings against a journal boot and a journal copy naming the last line),
/// rendered as `airgapctl inspect` prints it, then continued by the daemon's next start
/// ([`crate::chain::append_locked`] finds the last line of the file as it is).
pub fn machine_record(data: &[u8]) {
    use crate::inspect::{findings, machine_record, model::Boot, Folder};
    let dir = scratch("record");
    let path = dir.join(crate::paths::MACHINE_RECORD.trim_start_matches('/'));
    std::fs::create_dir_all(path.parent().expect("a directory")).expect("record directory");
    std::fs::write(&path, data).expect("record file");
    let root = crate::inspect::root::Root::new(&dir);
    let mut boots = vec![Boot {
        boot_id: "0123456789abcdef0123456789abcdef".into(),
        first_us: 1,
        last_us: 2,
        airgapd_started: true,
        in_machine_record: None,
    }];
    let (source, mut since) = machine_record::read(&root, &mut boots);
    // The TPM as an inspection reads it now: the record's TPM counts are checked against it.
    let now = crate::inspect::tpm::TpmNow {
        device: "/dev/tpmrm0".into(),
        reset_count: Some(7),
        restart_count: Some(0),
        nv_counter: Some(3),
        problem: None,
    };
    since.tpm = crate::inspect::tpm::coverage(&since.entries, Some(now));
    let mut copy = machine_record::JournalCopy::default();
    copy.feed(&crate::inspect::journal::Entry {
        time_us: 3,
        boot_id: boots[0].boot_id.clone(),
        kernel: false,
        identifier: "airgapd".into(),
        message_id: String::new(),
        message: String::new(),
        record_seq: Some(since.records),
        record_chain: "0".repeat(64),
    });
    let mut fold = Folder::default();
    machine_record::findings(&mut fold, &since, &boots, &copy);
    crate::inspect::tpm::findings(&mut fold, &since);
    let sources = vec![source, crate::inspect::tpm::source(&since)];
    let report = crate::inspect::model::Report {
        format: crate::inspect::model::FORMAT_VERSION,
        root: dir.display().to_string(),
        inspected_at_us: 4,
        findings: findings::answer(fold.into_items(), &sources),
        sources,
        policy: crate::inspect::usb_approval::judge(&root, &mut []),
        usb_devices: Vec::new(),
        boots,
        network_profiles: Vec::new(),
        bluetooth_bonds: Vec::new(),
        // The record's own head, and the one before it, checked as `--previous` would.
        previous: [
            since.head.clone(),
            Some(format!("machine-record:1:{}", "0".repeat(64))),
        ]
        .into_iter()
        .flatten()
        .filter_map(|h| h.parse().ok())
        .map(|h| crate::inspect::previous::check(&root, &h))
        .collect(),
        since_airgapd: since,
        copy_register: crate::inspect::previous::copy_register(&root),
        journal_seal: None,
    };
    let _ = crate::ctl::inspect::render(&report);
    let _ = serde_json::to_string(&report).expect("the report serialises");
    let mut next = crate::machine_record::Entry::now("start");
    if let Err(e) = crate::chain::append_locked(&path, &mut next) {
        let _ = e.to_string();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A USBGuard rules file (`airgapctl policy import-usbguard`): whoever wrote it, it is text
/// from another program's configuration. Read as the command reads it (lossy UTF-8), parsed,
/// every error rendered with its caret, converted, and the policy it becomes checked by the
/// policy checker, read-only and read-write: the command calls a policy that fails the check
/// an internal error, so here it is a crash.
pub fn usbguard_rules(data: &[u8]) {
    use airgapd_policy::usbguard;
    use airgapd_policy::Access;
    let text = String::from_utf8_lossy(data);
    match usbguard::parse_rules(&text) {
        Ok(rules) => {
            let conversion = usbguard::convert(&rules);
            for note in &conversion.notes {
                let _ = crate::ctl::import_usbguard::note_line("rules.conf", note);
            }
            for access in [Access::ReadOnly, Access::ReadWrite] {
                let policy = usbguard::to_toml(&conversion, "rules.conf", access);
                if let Err(e) = airgapd_policy::parse(&policy, None) {
                    panic!("the imported policy fails the policy check:\n{e}\n{policy}");
                }
            }
        }
        Err(errors) => {
            let lines: Vec<String> = errors.iter().map(|e| format!("rules.conf:{e}")).collect();
            let _ = crate::ctl::import_usbguard::error_text(&lines, &text, &errors);
        }
    }
}

/// Files of an inspected root, by the first byte of each part of [`inspect`]'s input: every
/// file the inspection's readers parse whole (not the SQLite databases, read by `sqlite3`).
pub const INSPECT_FILES: &[&str] = &[
    "/etc/NetworkManager/system-connections/{n}.nmconnection",
    "/var/lib/NetworkManager/timestamps",
    "/var/lib/NetworkManager/seen-bssids",
    "/var/lib/NetworkManager/internal-{n}-eth0.lease",
    "/etc/network/interfaces",
    "/etc/network/interfaces.d/{n}",
    "/etc/systemd/network/{n}.network",
    "/etc/netplan/{n}.yaml",
    "/var/lib/dhcp/dhclient{n}.leases",
    "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_{n}_InRelease",
    "/var/log/apt/history.log",
    "/var/lib/bluetooth/00:11:22:33:44:55/66:77:88:99:AA:{n:02}/info",
    "/root/.ssh/known_hosts",
    "/home/u{n}/.ssh/known_hosts",
    "/var/log/wtmp",
    "/etc/airgapd/policy.toml",
    crate::paths::MACHINE_RECORD,
];

/// The parts of [`inspect`]'s input that are journalctl's output.
const JOURNAL_ENTRIES: u8 = 0xfe;
const JOURNAL_BOOTS: u8 = 0xff;

/// `airgapctl inspect` of a root made from `data`: a disk taken out of a PC whose every file
/// its users (and anyone who had the PC) could write, and a journal whose kernel lines carry
/// what USB devices said of themselves. `data` is a sequence of parts: one byte naming the
/// file ([`INSPECT_FILES`], modulo their number; [`JOURNAL_ENTRIES`]: lines of
/// `journalctl -o json`; [`JOURNAL_BOOTS`]: `journalctl --list-boots -o json`), two bytes of
/// little-endian length, the contents. Every reader, the findings, the text and JSON reports.
pub fn inspect(data: &[u8]) {
    let dir = scratch("inspect");
    let mut rest = data;
    let mut journal: Vec<u8> = Vec::new();
    let mut boots: Vec<u8> = Vec::new();
    let mut n = 0usize;
    while let Some((&which, after)) = rest.split_first() {
        let (len, after) = match after.split_first_chunk::<2>() {
            Some((len, after)) => (usize::from(u16::from_le_bytes(*len)), after),
            None => (after.len(), &[][..]),
        };
        let (part, after) = after.split_at(len.min(after.len()));
        rest = after;
        n += 1;
        match which {
            JOURNAL_ENTRIES => journal.extend_from_slice(part),
            JOURNAL_BOOTS => boots.extend_from_slice(part),
            _ => {
                let inside = INSPECT_FILES[usize::from(which) % INSPECT_FILES.len()]
                    .replace("{n:02}", &format!("{:02X}", n % 256))
                    .replace("{n}", &n.to_string());
                let path = dir.join(inside.trim_start_matches('/'));
                std::fs::create_dir_all(path.parent().expect("a directory")).expect("directory");
                std::fs::write(&path, part).expect("file");
            }
        }
    }
    inspect_root(&dir, &boots, &journal);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `airgapctl inspect` of an empty root whose journal is `data`: lines of `journalctl -o
/// json` (the kernel's USB and network lines, the network daemons', airgapd's). The journal's
/// boots are the `--list-boots` of a journal holding the entries' boot ids.
pub fn inspect_journal(data: &[u8]) {
    let dir = scratch("journal");
    inspect_root(&dir, b"[]", data);
    let _ = std::fs::remove_dir_all(&dir);
}

fn inspect_root(dir: &Path, boots: &[u8], journal: &[u8]) {
    let boots = String::from_utf8_lossy(boots);
    let report = crate::inspect::inspect_with(dir, None, |_, each| {
        crate::inspect::journal::read_output(&boots, journal, each)
    });
    let _ = crate::ctl::inspect::render(&report);
    let _ = crate::ctl::inspect::exit_code(&report);
    let _ = serde_json::to_string(&report).expect("the report serialises");
}

/// A release order's text (TOML, `airgapctl release apply`): signed by the security office,
/// but written by hand and checked here before the signature is trusted for its contents; then
/// the applied orders' file it is looked up in. `data` is the order, then optionally
/// [`SIGNATURE_SEPARATOR`] and the applied orders' file. The signature itself is the
/// `signed_update` target's (the same `offered::read` and `ssh::verify_in`).
pub fn release_order(data: &[u8]) {
    let (text, applied) = match data
        .windows(SIGNATURE_SEPARATOR.len())
        .position(|w| w == SIGNATURE_SEPARATOR)
    {
        Some(at) => (&data[..at], &data[at + SIGNATURE_SEPARATOR.len()..]),
        None => (data, &[][..]),
    };
    let file = Path::new("order.toml");
    let Ok(text) = std::str::from_utf8(text) else {
        return; // offered::read refuses it before the parser
    };
    let applied = String::from_utf8_lossy(applied);
    match crate::release::parse(text, file) {
        Ok(order) => {
            let _ = crate::release::applied_before(&applied, "0".repeat(64).as_str(), &order.order);
            let accepted = crate::release::Accepted {
                signer: update::Signer {
                    principal: "fuzz-signer".into(),
                    fingerprint: "SHA256:fuzz".into(),
                },
                sha256: "0".repeat(64),
                file: file.to_path_buf(),
                order,
            };
            let _ = accepted.describe();
            let _ = serde_json::to_string(&accepted).expect("serialises");
        }
        Err(e) => {
            let _ = (e.to_string(), e.kind());
        }
    }
}

/// `airgapctl media enroll` of a stick that chose its USB strings and its filesystem's label:
/// the `[[media]]` entry rendered from them, appended to the default policy, must either be
/// refused by the policy check or approve exactly this medium (vendor, product, serial,
/// filesystem UUID and label as read): a string that ends the TOML string early and adds an
/// `allow_exec` or a second entry is a crash.
///
/// Layout of `data`: one flags byte (bit 0 a USB device, bit 1 a serial, bit 2 a product
/// string, bit 3 the filesystem unreadable, bit 4 `--read-write`), vendor and product ids (two
/// bytes each, little-endian), then serial, product, the name asked for and the reason the
/// filesystem could not be read, separated by NUL, then a NUL and the first 8 KiB of the
/// medium, read by [`fsprobe::parse`].
pub fn enrol_entry(data: &[u8]) {
    use crate::ctl::enroll::{identity, render, Enrolment};
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Some((ids, rest)) = rest.split_first_chunk::<4>() else {
        return;
    };
    let mut parts = rest.splitn(5, |&b| b == 0);
    let mut next = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let (serial, product, asked, unread) = (next(), next(), next(), next());
    let head = parts.next().unwrap_or_default();
    let filesystem = fsprobe::parse(&head[..head.len().min(8192)]);
    let found = Enrolment {
        asked,
        node: Some("/dev/sdz1".into()),
        usb: (flags & 1 != 0).then(|| {
            (
                u16::from_le_bytes([ids[0], ids[1]]),
                u16::from_le_bytes([ids[2], ids[3]]),
                (flags & 2 != 0).then_some(serial),
                (flags & 4 != 0).then_some(product),
            )
        }),
        filesystem_unread: (filesystem.is_none() && flags & 8 != 0).then_some(
            crate::ctl::enroll::Unread::Failed {
                node: "/dev/sdz1".into(),
                error: unread,
            },
        ),
        filesystem,
    };
    let access = if flags & 16 != 0 {
        airgapd_policy::Access::ReadWrite
    } else {
        airgapd_policy::Access::ReadOnly
    };
    // Both languages' comments must keep the entry valid (the reader's text is in them).
    let lang = if flags & 32 != 0 {
        crate::i18n::Lang::Vi
    } else {
        crate::i18n::Lang::En
    };
    // One catalog per language for the fuzzer's life: building one parses every Fluent file,
    // which was half of each execution's time (airgapctl builds one per run).
    static CATALOGS: [std::sync::OnceLock<crate::i18n::Catalog>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    let catalog = CATALOGS[lang as usize].get_or_init(|| crate::i18n::Catalog::new(lang, None));
    let entry = render(&found, None, access, catalog);
    let mut policy = include_str!("../../packaging/default-policy.toml").to_string();
    policy.push_str(&entry);
    let Ok(checked) = airgapd_policy::parse(&policy, None) else {
        return; // refused with the check's errors: nothing appended
    };
    let media = &checked.policy.media;
    assert_eq!(
        media.len(),
        1,
        "one entry rendered, {} parsed:\n{entry}",
        media.len()
    );
    let m = &media[0];
    let mut id = identity(&found);
    id.fs_label = id.fs_label.filter(|l| !l.chars().any(char::is_control));
    let got = airgapd_policy::MediaIdentity {
        vendor_id: m.vendor_id,
        product_id: m.product_id,
        serial: m.serial.clone(),
        fs_uuid: m.fs_uuid.clone(),
        fs_label: m.fs_label.clone(),
    };
    assert_eq!(got, id, "the entry approves another medium:\n{entry}");
    assert_eq!(m.access, access, "{entry}");
    assert!(!m.allow_exec, "the entry allows execution:\n{entry}");
}

/// A TPM's answer (issue 19: the machine record's TPM readings): whatever comes back from
/// `/dev/tpmrm0` or a socket posing as a TPM is parsed as the answer to each of the four
/// commands the client sends, every error rendered as the record would keep it.
pub fn tpm_response(data: &[u8]) {
    use crate::tpm::marshal;
    let say = |e: crate::tpm::TpmError| e.to_string();
    if let Ok(c) = marshal::parse_read_clock(data) {
        let _ = c.reset_count.checked_add(1);
    }
    let _ = marshal::parse_read_clock(data).map_err(say);
    let _ = marshal::parse_read_counter(data).map_err(say);
    let _ = marshal::parse_empty(data, "TPM2_NV_Increment").map_err(say);
    let _ = marshal::response_code(data, "TPM2_NV_DefineSpace").map_err(say);
}
