//! `airgapctl media enroll DEVICE`: print a ready `[[media]]` entry for a medium, with the USB
//! vendor, product and serial the kernel read from its descriptors and the filesystem UUID and
//! label read from its superblock by the daemon's own parser ([`fsprobe::parse`]); `--append
//! FILE` adds it to a policy file once the result passes the policy check. Needs no daemon and
//! grants nothing: the medium stays refused until a policy naming it is put in force.
//!
//! The superblock is read here, through a descriptor this command opened itself: read-only,
//! without following a symbolic link, and only once `fstat` says it is the block device sysfs
//! names. Where airgapd already enforces on the whole machine, that read is refused like any
//! other; the entry then comes without fs_uuid/fs_label and says why.

use std::fs::File;
use std::io::Write as _;
use std::os::unix::fs::{FileExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use airgapd_policy::{Access, MediaIdentity};

use super::client::CtlError;
use super::output::{say_error, wrap};
use super::Ctx;
use crate::devices::block::BlockDevice;
use crate::devices::fsprobe::{self, Filesystem};
use crate::devices::usb::UsbDevice;
use crate::i18n::{catalog, Catalog};
use crate::tr_in;

/// Where the kernel's device tree is.
const SYSFS: &str = "/sys";
/// Every superblock fsprobe knows lies in the first 68 KiB (btrfs's at 64 KiB).
const HEAD_BYTES: usize = fsprobe::HEAD_BYTES;
/// Longest serial and name the policy accepts (policy/src/check/media.rs).
const SERIAL_MAX: usize = 126;
const NAME_MAX: usize = 128;
/// USB interface class of mass storage.
const USB_STORAGE: u8 = 0x08;

/// Arguments of `airgapctl media enroll`.
#[derive(Debug, clap::Args)]
pub struct EnrollArgs {
    /// The medium: its node (/dev/sdb1), its USB device in sysfs (/sys/bus/usb/devices/2-1) or
    /// the number `airgapctl devices` shows for it (8:17).
    pub device: String,
    /// The entry's name (default: the model and serial, to be replaced by a meaningful one).
    #[arg(long)]
    pub name: Option<String>,
    /// Approve the medium read-write (default: read-only).
    #[arg(long)]
    pub read_write: bool,
    /// Append the entry to this policy file, once the result passes the policy check.
    #[arg(long, value_name = "FILE")]
    pub append: Option<PathBuf>,
}

/// Why a medium could not be enrolled. The sentences of this command are here.
#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    /// The node could not be opened.
    #[error("cannot open {path}: {source}")]
    Open {
        /// The node.
        path: PathBuf,
        /// The error; ELOOP for a symbolic link.
        source: std::io::Error,
    },
    /// A symbolic link was given (`/dev/disk/by-label/...`).
    #[error("{path} is a symbolic link; give the device node it points to ({target})")]
    Symlink {
        /// The link.
        path: PathBuf,
        /// Where it points.
        target: String,
    },
    /// Neither a block device nor a USB device.
    #[error("{what} is neither a block device nor a USB device")]
    NotADevice {
        /// What was given.
        what: String,
    },
    /// The node changed between sysfs and open, or sysfs does not know it.
    #[error("{what} is not the block device sysfs names {dev}")]
    Mismatch {
        /// What was given.
        what: String,
        /// MAJOR:MINOR.
        dev: String,
    },
    /// sysfs could not be read.
    #[error("{0}")]
    Sysfs(#[from] crate::devices::DeviceError),
    /// Storage together with other interfaces: refused whatever the policy says.
    #[error("{what} is storage together with other interfaces (a keyboard, a network adapter...); airgapd refuses such a device whatever the policy says, so it cannot be enrolled")]
    StorageComposite {
        /// What was given.
        what: String,
    },
    /// The USB device has no storage interface.
    #[error("{what} is not a storage device (no mass-storage interface)")]
    NotStorage {
        /// What was given.
        what: String,
    },
    /// Several partitions with a filesystem.
    #[error("{what} has several filesystems ({nodes}); enroll one of them by its node")]
    Ambiguous {
        /// What was given.
        what: String,
        /// Their nodes.
        nodes: String,
    },
    /// The policy file to append to is not valid as it is.
    #[error("{path} does not pass the policy check as it is; nothing appended:\n{detail}")]
    PolicyInvalid {
        /// The file.
        path: PathBuf,
        /// The check's errors.
        detail: String,
    },
    /// The policy with the entry appended does not pass.
    #[error("with the entry appended, {path} would not pass the policy check; nothing appended:\n{detail}")]
    AppendedInvalid {
        /// The file.
        path: PathBuf,
        /// The check's errors.
        detail: String,
    },
    /// An entry of the policy already matches the medium.
    #[error("{path} already approves this medium as [[media]] {name:?}; nothing appended")]
    AlreadyEnrolled {
        /// The file.
        path: PathBuf,
        /// The entry's name.
        name: String,
    },
    /// Writing the policy failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// A medium found, and what could be read of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Enrolment {
    /// What was asked for, as given.
    pub asked: String,
    /// The node whose superblock was read.
    pub node: Option<String>,
    /// USB vendor id, product id, serial and product string, for USB media.
    pub usb: Option<(u16, u16, Option<String>, Option<String>)>,
    /// The filesystem, when one was read.
    pub filesystem: Option<Filesystem>,
    /// Why the filesystem could not be read, when it could not.
    pub filesystem_unread: Option<Unread>,
}

/// Why a medium's filesystem was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unread {
    /// An unapproved stick: unauthorized at the USB level, it has no block device.
    NotAuthorized,
    /// Opening or reading the node failed (airgapd refusing it, or not root).
    Failed {
        /// The node.
        node: String,
        /// The system's error.
        error: String,
    },
}

impl Unread {
    fn said(&self, catalog: &Catalog) -> String {
        match self {
            Unread::NotAuthorized => tr_in!(catalog, "enroll-not-authorized"),
            Unread::Failed { node, error } => format!("{node}: {error}"),
        }
    }
}

impl EnrollError {
    /// The error in `catalog`'s language (its Display is English, for logs and tests).
    pub fn said(&self, catalog: &Catalog) -> String {
        let c = catalog;
        let p = |p: &Path| p.display().to_string();
        match self {
            EnrollError::Open { path, source } => {
                tr_in!(
                    c,
                    "enroll-error-open",
                    path = p(path),
                    error = source.to_string()
                )
            }
            EnrollError::Symlink { path, target } => {
                tr_in!(c, "enroll-error-symlink", path = p(path), target = target)
            }
            EnrollError::NotADevice { what } => tr_in!(c, "enroll-error-not-a-device", what = what),
            EnrollError::Mismatch { what, dev } => {
                tr_in!(c, "enroll-error-mismatch", what = what, dev = dev)
            }
            EnrollError::Sysfs(e) => tr_in!(c, "enroll-error-sysfs", error = e.to_string()),
            EnrollError::StorageComposite { what } => {
                tr_in!(c, "enroll-error-storage-composite", what = what)
            }
            EnrollError::NotStorage { what } => tr_in!(c, "enroll-error-not-storage", what = what),
            EnrollError::Ambiguous { what, nodes } => {
                tr_in!(c, "enroll-error-ambiguous", what = what, nodes = nodes)
            }
            EnrollError::PolicyInvalid { path, detail } => {
                tr_in!(
                    c,
                    "enroll-error-policy-invalid",
                    file = p(path),
                    detail = detail
                )
            }
            EnrollError::AppendedInvalid { path, detail } => {
                tr_in!(
                    c,
                    "enroll-error-appended-invalid",
                    file = p(path),
                    detail = detail
                )
            }
            EnrollError::AlreadyEnrolled { path, name } => tr_in!(
                c,
                "enroll-error-already",
                file = p(path),
                name = format!("{name:?}")
            ),
            EnrollError::Write { path, source } => {
                tr_in!(
                    c,
                    "enroll-error-write",
                    file = p(path),
                    error = source.to_string()
                )
            }
        }
    }
}

/// Run `airgapctl media enroll`.
pub fn run(_ctx: &Ctx, args: EnrollArgs) -> Result<i32, CtlError> {
    match enroll(&args) {
        Ok(()) => Ok(0),
        Err(e) => {
            say_error(&e.said(catalog()));
            Ok(1)
        }
    }
}

fn enroll(args: &EnrollArgs) -> Result<(), EnrollError> {
    let catalog = catalog();
    let found = find(Path::new(SYSFS), &args.device)?;
    let access = if args.read_write {
        Access::ReadWrite
    } else {
        Access::ReadOnly
    };
    let entry = render(&found, args.name.as_deref(), access, catalog);
    match &args.append {
        None => print!("{entry}"),
        Some(path) => {
            append(path, &entry, &identity(&found))?;
            let file = path.display().to_string();
            eprintln!(
                "{}",
                wrap(&tr_in!(catalog, "enroll-appended", file = file), 2)
            );
            print!("{entry}");
        }
    }
    Ok(())
}

/// The medium `spec` names: `MAJOR:MINOR`, a sysfs directory, or a node under /dev.
pub fn find(sysfs: &Path, spec: &str) -> Result<Enrolment, EnrollError> {
    let mut found = Enrolment {
        asked: spec.to_string(),
        ..Enrolment::default()
    };
    if let Some(dev) = parse_devnum(spec) {
        let block =
            BlockDevice::from_dev(sysfs, dev.0, dev.1)?.ok_or_else(|| EnrollError::NotADevice {
                what: spec.to_string(),
            })?;
        read_block(sysfs, &block, &mut found)?;
        return Ok(found);
    }
    if spec.starts_with("/sys/") {
        let dir = std::fs::canonicalize(spec).map_err(|source| EnrollError::Open {
            path: spec.into(),
            source,
        })?;
        if dir.join("idVendor").is_file() {
            let usb = UsbDevice::from_sysfs(&dir)?;
            return read_usb(sysfs, &usb, found);
        }
        let dev = std::fs::read_to_string(dir.join("dev"))
            .ok()
            .and_then(|d| parse_devnum(d.trim()));
        let block = dev
            .filter(|_| dir.join("size").is_file())
            .map(|(major, minor)| BlockDevice::from_dev(sysfs, major, minor))
            .transpose()?
            .flatten()
            .ok_or_else(|| EnrollError::NotADevice {
                what: spec.to_string(),
            })?;
        read_block(sysfs, &block, &mut found)?;
        return Ok(found);
    }
    let path = PathBuf::from(spec);
    // lstat first: a USB node needs no opening at all (airgapd refuses unapproved ones), and a
    // symbolic link is named as such.
    let meta = std::fs::symlink_metadata(&path).map_err(|source| EnrollError::Open {
        path: path.clone(),
        source,
    })?;
    if meta.file_type().is_symlink() {
        return Err(symlink_error(&path));
    }
    let (major, minor) = (libc::major(meta.rdev()), libc::minor(meta.rdev()));
    let kind = meta.mode() & libc::S_IFMT;
    if kind == libc::S_IFCHR {
        // A USB device node (/dev/bus/usb/BBB/DDD), as `airgapctl devices` shows USB devices.
        let dir = std::fs::canonicalize(sysfs.join(format!("dev/char/{major}:{minor}")))
            .ok()
            .filter(|d| d.join("idVendor").is_file())
            .ok_or_else(|| EnrollError::NotADevice { what: spec.into() })?;
        let usb = UsbDevice::from_sysfs(&dir)?;
        return read_usb(sysfs, &usb, found);
    }
    if kind != libc::S_IFBLK {
        return Err(EnrollError::NotADevice { what: spec.into() });
    }
    let block =
        BlockDevice::from_dev(sysfs, major, minor)?.ok_or_else(|| EnrollError::Mismatch {
            what: spec.into(),
            dev: format!("{major}:{minor}"),
        })?;
    found.usb = block.usb_parent()?.map(|u| usb_fields(&u));
    probe_node(&path, block.dev, &mut found)?;
    if found.filesystem.is_none() && found.filesystem_unread.is_none() {
        // A whole disk with a partition table: its one filesystem, if it has only one.
        read_partitions(sysfs, &block, &mut found)?;
    }
    Ok(found)
}

fn usb_fields(usb: &UsbDevice) -> (u16, u16, Option<String>, Option<String>) {
    let model = match (&usb.manufacturer, &usb.product) {
        (Some(m), Some(p)) => Some(format!("{m} {p}")),
        (m, p) => p.clone().or_else(|| m.clone()),
    };
    (usb.vendor_id, usb.product_id, usb.serial.clone(), model)
}

/// A USB device: its disk (the block device below its sysfs directory), then its filesystem.
fn read_usb(sysfs: &Path, usb: &UsbDevice, mut found: Enrolment) -> Result<Enrolment, EnrollError> {
    let storage = usb.interfaces.iter().any(|i| i.class == USB_STORAGE);
    if storage && usb.interfaces.iter().any(|i| i.class != USB_STORAGE) {
        return Err(EnrollError::StorageComposite { what: found.asked });
    }
    let blocks = usb_disks(sysfs, usb)?;
    match blocks.as_slice() {
        // airgapd keeps an unapproved stick unauthorized at the USB level, so it has no disk
        // yet; its descriptors (ids, serial) are still there to enrol.
        [] if storage => {
            found.usb = Some(usb_fields(usb));
            found.filesystem_unread = Some(Unread::NotAuthorized);
            Ok(found)
        }
        [] => Err(EnrollError::NotStorage { what: found.asked }),
        [disk] => {
            found.usb = Some(usb_fields(usb));
            read_block(sysfs, disk, &mut found)?;
            Ok(found)
        }
        _ => {
            let nodes: Vec<String> = blocks.iter().map(BlockDevice::node).collect();
            Err(EnrollError::Ambiguous {
                what: found.asked,
                nodes: nodes.join(", "),
            })
        }
    }
}

/// The disks of a USB device, as sysfs lists them below it.
fn usb_disks(sysfs: &Path, usb: &UsbDevice) -> Result<Vec<BlockDevice>, EnrollError> {
    let mut numbers = Vec::new();
    collect_disks(&usb.sys_path, 0, &mut numbers);
    let mut disks = Vec::new();
    for (major, minor) in numbers {
        disks.extend(BlockDevice::from_dev(sysfs, major, minor)?);
    }
    Ok(disks)
}

/// The `block/<disk>/dev` numbers below a USB device's directory (SCSI hosts sit a few levels
/// down; interfaces of other devices are not descended into).
fn collect_disks(dir: &Path, depth: usize, out: &mut Vec<(u32, u32)>) {
    if depth > 8 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if !kind.is_dir() || kind.is_symlink() {
            continue;
        }
        let path = entry.path();
        if entry.file_name() == "block" {
            for disk in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                let dev = std::fs::read_to_string(disk.path().join("dev")).ok();
                if let Some(dev) = dev.as_deref().and_then(|d| parse_devnum(d.trim())) {
                    out.push(dev);
                }
            }
        } else if !path.join("idVendor").exists() {
            // Another USB device (behind a hub) is not this one's disk.
            collect_disks(&path, depth + 1, out);
        }
    }
}

/// A block device given by number or sysfs: open its node, check it is that device, read it;
/// for a whole disk without a filesystem, its one partition with one.
fn read_block(sysfs: &Path, block: &BlockDevice, found: &mut Enrolment) -> Result<(), EnrollError> {
    if found.usb.is_none() {
        found.usb = block.usb_parent()?.map(|u| usb_fields(&u));
    }
    probe_block(block, found)?;
    if found.filesystem.is_none() && found.filesystem_unread.is_none() {
        read_partitions(sysfs, block, found)?;
    }
    Ok(())
}

fn probe_block(block: &BlockDevice, found: &mut Enrolment) -> Result<(), EnrollError> {
    probe_node(Path::new(&block.node()), block.dev, found)
}

/// Read the superblock through `node`, once fstat says it is block device `dev`. A refusal
/// (airgapd enforcing on the whole machine, or not root) is recorded, not an error: the entry
/// is still worth printing without the filesystem.
fn probe_node(node: &Path, dev: (u32, u32), found: &mut Enrolment) -> Result<(), EnrollError> {
    found.node = Some(node.display().to_string());
    let file = match open_node(node) {
        Ok(file) => file,
        Err(EnrollError::Open { source, .. })
            if matches!(source.raw_os_error(), Some(libc::EPERM | libc::EACCES)) =>
        {
            found.filesystem_unread = Some(Unread::Failed {
                node: node.display().to_string(),
                error: source.to_string(),
            });
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let meta = file.metadata().map_err(|source| EnrollError::Open {
        path: node.to_path_buf(),
        source,
    })?;
    let is_it = meta.mode() & libc::S_IFMT == libc::S_IFBLK
        && (libc::major(meta.rdev()), libc::minor(meta.rdev())) == dev;
    if !is_it {
        return Err(EnrollError::Mismatch {
            what: node.display().to_string(),
            dev: format!("{}:{}", dev.0, dev.1),
        });
    }
    match read_head(&file) {
        Ok(head) => found.filesystem = fsprobe::parse(&head),
        Err(e) => {
            found.filesystem_unread = Some(Unread::Failed {
                node: node.display().to_string(),
                error: e.to_string(),
            })
        }
    }
    Ok(())
}

fn read_partitions(
    sysfs: &Path,
    block: &BlockDevice,
    found: &mut Enrolment,
) -> Result<(), EnrollError> {
    if block.partition.is_some() {
        return Ok(());
    }
    let mut with_fs = Vec::new();
    for name in block.partitions()? {
        let dev = std::fs::read_to_string(block.sys_path.join(&name).join("dev"))
            .ok()
            .and_then(|d| parse_devnum(d.trim()));
        let Some(part) = dev
            .map(|(major, minor)| BlockDevice::from_dev(sysfs, major, minor))
            .transpose()?
            .flatten()
        else {
            continue;
        };
        let mut probed = found.clone();
        probe_block(&part, &mut probed)?;
        if probed.filesystem.is_some() || probed.filesystem_unread.is_some() {
            with_fs.push(probed);
        }
    }
    match with_fs.len() {
        0 => {}
        1 => *found = with_fs.remove(0),
        _ => {
            let nodes: Vec<String> = with_fs.iter().filter_map(|f| f.node.clone()).collect();
            return Err(EnrollError::Ambiguous {
                what: found.asked.clone(),
                nodes: nodes.join(", "),
            });
        }
    }
    Ok(())
}

/// Open a node read-only without following a symbolic link.
fn open_node(path: &Path) -> Result<File, EnrollError> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NOCTTY)
        .open(path)
        .map_err(|source| {
            if source.raw_os_error() == Some(libc::ELOOP) {
                symlink_error(path)
            } else {
                EnrollError::Open {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })
}

fn symlink_error(path: &Path) -> EnrollError {
    let target = std::fs::canonicalize(path)
        .map(|t| t.display().to_string())
        .unwrap_or_else(|e| e.to_string());
    EnrollError::Symlink {
        path: path.to_path_buf(),
        target,
    }
}

fn read_head(file: &File) -> std::io::Result<Vec<u8>> {
    let mut head = vec![0u8; HEAD_BYTES];
    let mut n = 0;
    while n < head.len() {
        match file.read_at(&mut head[n..], n as u64)? {
            0 => break,
            k => n += k,
        }
    }
    head.truncate(n);
    Ok(head)
}

fn parse_devnum(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.split_once(':')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// What a `[[media]]` entry would match of this medium.
pub fn identity(found: &Enrolment) -> MediaIdentity {
    let (vendor_id, product_id, serial) = match &found.usb {
        Some((v, p, s, _)) => (Some(*v), Some(*p), s.clone().filter(|s| usable_serial(s))),
        None => (None, None, None),
    };
    MediaIdentity {
        vendor_id,
        product_id,
        serial,
        fs_uuid: found
            .filesystem
            .as_ref()
            .and_then(|f| f.uuid.as_ref().map(|u| u.to_ascii_lowercase())),
        fs_label: found.filesystem.as_ref().and_then(|f| f.label.clone()),
    }
}

fn usable_serial(serial: &str) -> bool {
    (1..=SERIAL_MAX).contains(&serial.len()) && serial.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// The entry, with comments (in `catalog`'s language) saying what was read and what to fill in.
pub fn render(found: &Enrolment, name: Option<&str>, access: Access, catalog: &Catalog) -> String {
    let c = catalog;
    let id = identity(found);
    let line = |text: String| format!("# {}\n", comment(&text));
    let mut out = String::from("\n");
    out.push_str(&line(tr_in!(c, "enroll-comment-by", asked = &found.asked)));
    match &found.usb {
        Some((_, _, serial, _)) if serial.as_deref().is_some_and(usable_serial) => {}
        Some((_, _, Some(serial), _)) => out.push_str(&line(tr_in!(
            c,
            "enroll-comment-bad-serial",
            serial = format!("{serial:?}"),
            max = SERIAL_MAX
        ))),
        Some(_) => out.push_str(&line(tr_in!(c, "enroll-comment-no-serial"))),
        None => out.push_str(&line(tr_in!(c, "enroll-comment-not-usb"))),
    }
    out.push_str(&line(match (&found.filesystem, &found.filesystem_unread) {
        (Some(fs), _) => tr_in!(
            c,
            "enroll-comment-fs-read",
            kind = fs.kind,
            node = found.node.as_deref().unwrap_or("?")
        ),
        (None, Some(why)) => tr_in!(c, "enroll-comment-fs-unread", why = why.said(c)),
        (None, None) => tr_in!(c, "enroll-comment-no-fs"),
    }));
    out.push_str(&line(tr_in!(c, "enroll-comment-fill-in")));
    out.push_str("[[media]]\n");
    let default_name = default_name(found, &id, c);
    out.push_str(&format!(
        "name = {}\n",
        quote(name.unwrap_or(&default_name))
    ));
    if let (Some(v), Some(p)) = (id.vendor_id, id.product_id) {
        out.push_str(&format!(
            "vendor_id = \"{v:04x}\"\nproduct_id = \"{p:04x}\"\n"
        ));
    }
    if let Some(serial) = &id.serial {
        out.push_str(&format!("serial = {}\n", quote(serial)));
    }
    if let Some(fs) = &found.filesystem {
        if let Some(uuid) = &fs.uuid {
            out.push_str(&format!("fs_uuid = {}\n", quote(uuid)));
        }
        if let Some(label) = fs
            .label
            .as_deref()
            .filter(|l| !l.chars().any(char::is_control))
        {
            out.push_str(&format!("fs_label = {}\n", quote(label)));
        }
    }
    out.push_str(&format!("access = \"{access}\"\n"));
    out
}

fn default_name(found: &Enrolment, id: &MediaIdentity, catalog: &Catalog) -> String {
    let model = found.usb.as_ref().and_then(|u| u.3.clone());
    let mark = id
        .serial
        .clone()
        .or_else(|| id.fs_label.clone())
        .or_else(|| id.fs_uuid.clone());
    let text: String = [model, mark]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(NAME_MAX)
        .collect();
    if text.trim().is_empty() {
        let node = found.node.as_deref().unwrap_or(&found.asked);
        tr_in!(catalog, "enroll-default-name", node = node)
    } else {
        text.trim().to_string()
    }
}

fn quote(text: &str) -> String {
    airgapd_policy::toml_string(text)
}

fn comment(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Check the file as the daemon would, check it with the entry, then replace it whole.
fn append(path: &Path, entry: &str, id: &MediaIdentity) -> Result<(), EnrollError> {
    let checked = airgapd_policy::load(path).map_err(|e| EnrollError::PolicyInvalid {
        path: path.into(),
        detail: e.to_string(),
    })?;
    if let Some(m) = checked.policy.media.iter().find(|m| m.matches(id)) {
        return Err(EnrollError::AlreadyEnrolled {
            path: path.into(),
            name: m.name.clone(),
        });
    }
    let write_err = |source| EnrollError::Write {
        path: path.into(),
        source,
    };
    let old = std::fs::read_to_string(path).map_err(write_err)?;
    let mut new = old.clone();
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    new.push_str(entry);
    airgapd_policy::parse(&new, Some(path)).map_err(|e| EnrollError::AppendedInvalid {
        path: path.into(),
        detail: e.to_string(),
    })?;
    replace(path, &new).map_err(write_err)
}

/// Write through a temporary file with the original's owner and mode, then rename.
fn replace(path: &Path, text: &str) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.enroll.{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(meta.mode() & 0o7777)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&tmp)?;
        std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid()))?;
        std::fs::set_permissions(
            &tmp,
            std::os::unix::fs::PermissionsExt::from_mode(meta.mode() & 0o7777),
        )?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn en() -> Catalog {
        Catalog::new(Lang::En, None)
    }

    fn stick(serial: Option<&str>) -> Enrolment {
        Enrolment {
            asked: "/dev/sdb1".into(),
            node: Some("/dev/sdb1".into()),
            usb: Some((
                0x0951,
                0x1666,
                serial.map(str::to_string),
                Some("Kingston DataTraveler 3.0".into()),
            )),
            filesystem: Some(Filesystem {
                kind: "vfat",
                uuid: Some("2A3B-4C5D".into()),
                label: Some("SECRET3".into()),
            }),
            filesystem_unread: None,
        }
    }

    #[test]
    fn a_usb_stick_gets_a_complete_entry_that_passes_the_check() {
        let entry = render(&stick(Some("AA01")), None, Access::ReadOnly, &en());
        let checked = airgapd_policy::parse(&entry, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(checked.warnings, Vec::new());
        let m = &checked.policy.media[0];
        assert_eq!(m.name, "Kingston DataTraveler 3.0 AA01");
        assert_eq!((m.vendor_id, m.product_id), (Some(0x0951), Some(0x1666)));
        assert_eq!(m.serial.as_deref(), Some("AA01"));
        assert_eq!(m.fs_uuid.as_deref(), Some("2a3b-4c5d"));
        assert_eq!(m.fs_label.as_deref(), Some("SECRET3"));
        assert_eq!(m.access, Access::ReadOnly);
        assert!(m.matches(&identity(&stick(Some("AA01")))));
    }

    #[test]
    fn an_unusable_serial_is_left_out_and_said() {
        let entry = render(
            &stick(Some("bad\u{7f}serial")),
            Some("X"),
            Access::ReadWrite,
            &en(),
        );
        assert!(!entry.contains("\nserial ="), "{entry}");
        assert!(entry.contains("is not printable ASCII"), "{entry}");
        let entry = render(&stick(None), Some("X"), Access::ReadWrite, &en());
        assert!(entry.contains("reports no USB serial number"), "{entry}");
    }

    #[test]
    fn a_usb_device_leads_to_its_disk_and_identity() {
        // The recorded tree of daemon/tests/fixtures: 2-1 is a Kingston stick with sda, sda1.
        let sysfs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sysfs");
        let usb = UsbDevice::from_sysfs(&sysfs.join("bus/usb/devices/2-1")).unwrap();
        let disks = usb_disks(&sysfs, &usb).unwrap();
        let names: Vec<&str> = disks.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["sda"]);
        assert_eq!(disks[0].dev, (8, 0));
        let (vendor, product, serial, model) = usb_fields(&usb);
        assert_eq!((vendor, product), (0x0951, 0x1666));
        assert!(serial.is_some_and(|s| usable_serial(&s)));
        assert!(model.is_some_and(|m| m.contains("DataTraveler")), "{usb:?}");
        // A hub has no disk.
        let hub = UsbDevice::from_sysfs(&sysfs.join("bus/usb/devices/usb2")).unwrap();
        assert!(usb_disks(&sysfs, &hub)
            .unwrap()
            .iter()
            .all(|d| d.name == "sda"));
    }

    #[test]
    fn an_unauthorized_stick_is_enrolled_by_its_descriptors_and_badusb_is_refused() {
        // 2-2: a second DataTraveler airgapd left unauthorized (no disk); 2-3: the approved
        // stick's identity plus a keyboard interface.
        let sysfs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sysfs");
        let usb = UsbDevice::from_sysfs(&sysfs.join("bus/usb/devices/2-2")).unwrap();
        let found = read_usb(&sysfs, &usb, Enrolment::default()).unwrap();
        assert_eq!(found.filesystem_unread, Some(Unread::NotAuthorized));
        let entry = render(&found, None, Access::ReadOnly, &en());
        let policy = airgapd_policy::parse(&entry, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(policy.policy.media[0].vendor_id, Some(0x0951));
        assert!(policy.policy.media[0].serial.is_some(), "{entry}");

        let badusb = UsbDevice::from_sysfs(&sysfs.join("bus/usb/devices/2-3")).unwrap();
        let refused = read_usb(&sysfs, &badusb, Enrolment::default());
        assert!(
            matches!(refused, Err(EnrollError::StorageComposite { .. })),
            "{refused:?}"
        );
        let hub = UsbDevice::from_sysfs(&sysfs.join("bus/usb/devices/usb2")).unwrap();
        let refused = read_usb(&sysfs, &hub, Enrolment::default());
        assert!(
            matches!(refused, Err(EnrollError::NotStorage { .. })),
            "{refused:?}"
        );
    }

    #[test]
    fn an_unreadable_filesystem_is_said_not_guessed() {
        let mut refused = stick(Some("AA01"));
        refused.filesystem = None;
        refused.filesystem_unread = Some(Unread::Failed {
            node: "/dev/sdb1".into(),
            error: "Operation not permitted".into(),
        });
        let entry = render(&refused, None, Access::ReadOnly, &en());
        assert!(entry.contains("could not be read (/dev/sdb1: Operation not permitted)"));
        assert!(!entry.contains("fs_uuid ="), "{entry}");
        airgapd_policy::parse(&entry, None).unwrap();
    }
}
