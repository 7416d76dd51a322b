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
