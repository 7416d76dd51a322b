//! Issue 17: the whole disk of a partitioned approved medium. udev, blkid, udisks and fdisk read
//! a stick's whole disk (its partition table; udev's worker locks it before handling any event
//! of a partition): once every partition on it is granted the disk may be read, never written,
//! and that reading is no violation. A disk that also holds a partition that is not approved
//! stays refused (reading it would read that partition). Loop devices with partitions
//! (`losetup -P`), declared removable, stand in for sticks.

mod common;

use std::os::unix::fs::FileTypeExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use airgapd::journal::MessageId;
use common::daemon::{entry, id, m, text, Daemon};
use common::journald::{skip_unless_root, PrivateJournald};
use common::loopdev::run;

const POLICY: &str = r#"
[devices]
loop = "removable"

[[media]]
name = "Partitioned transfer stick"
fs_label = "AIRGAPPART"
access = "read-write"
"#;

const MIB: u64 = 1 << 20;

/// A DOS partition table entry (type 0x83) at `start` MiB, `size` MiB long.
fn entry_bytes(start: u64, size: u64) -> Vec<u8> {
    let mut e = vec![0, 0xFE, 0xFF, 0xFF, 0x83, 0xFE, 0xFF, 0xFF];
    e.extend_from_slice(&((start * MIB / 512) as u32).to_le_bytes());
    e.extend_from_slice(&((size * MIB / 512) as u32).to_le_bytes());
    e
}

/// A loop device with a DOS partition table and one ext4 filesystem per label (8 MiB each,
/// from 1 MiB on), attached with partition scanning.
struct Stick {
    path: String,
    image: PathBuf,
}

impl Stick {
    fn new(tag: &str, labels: &[&str]) -> Stick {
        let stick = Self::without_partitions(tag, labels);
        stick.add_parts(labels.len());
        stick
    }

    /// The same, its partitions not added yet ([`Stick::add_parts`]).
    fn without_partitions(tag: &str, labels: &[&str]) -> Stick {
        let image = std::env::temp_dir().join(format!("airgapd-{tag}-{}.img", std::process::id()));
        let size = 1 + 8 * labels.len() as u64;
        let mut mbr = vec![0u8; 446];
        for i in 0..labels.len() as u64 {
            mbr.extend(entry_bytes(1 + 8 * i, 8));
        }
        mbr.resize(510, 0);
        mbr.extend_from_slice(&[0x55, 0xAA]);
        let mut data = mbr;
        data.resize((size * MIB) as usize, 0);
        std::fs::write(&image, data).unwrap();
        let img = image.to_str().unwrap();
        for (i, label) in labels.iter().enumerate() {
            let offset = format!("offset={}", (1 + 8 * i as u64) * MIB);
            run(
                "mkfs.ext4",
                &["-q", "-F", "-L", label, "-E", &offset, img, "8M"],
            );
        }
        let path = run("losetup", &["--find", "--show", "--partscan", img]);
        Stick { path, image }
    }

    /// This development kernel reads no partition table (no CONFIG_MSDOS_PARTITION): the
    /// partitions are added as the table says, with BLKPG (as `partx` would).
    fn add_parts(&self, count: usize) {
        for i in 0..count as u64 {
            let (start, len) = ((1 + 8 * i) * MIB / 512, 8 * MIB / 512);
            let n = (i + 1).to_string();
            run(
                "addpart",
                &[&self.path, &n, &start.to_string(), &len.to_string()],
            );
        }
    }

    fn part(&self, n: u32) -> String {
        format!("{}p{n}", self.path)
    }

    /// The partition's node, once the kernel made it.
    fn wait_part(&self, n: u32) -> String {
        let p = self.part(n);
        let end = Instant::now() + Duration::from_secs(10);
        while !std::fs::metadata(&p).is_ok_and(|m| m.file_type().is_block_device()) {
            assert!(Instant::now() < end, "{p} never appeared");
            std::thread::sleep(Duration::from_millis(50));
        }
        p
    }
}

impl Drop for Stick {
    fn drop(&mut self) {
        let _ = Command::new("losetup").args(["-d", &self.path]).status();
        let _ = std::fs::remove_file(&self.image);
    }
}

fn read(d: &Daemon, dev: &str) -> (u32, String) {
    d.victim(&format!("exec head -c 4096 {dev} > /dev/null"), false)
}

fn write(d: &Daemon, dev: &str) -> String {
    d.victim(&format!("exec 3<>{dev}"), false).1
}

fn authorized(
    j: &mut PrivateJournald,
    node: &str,
) -> std::collections::BTreeMap<String, serde_json::Value> {
    entry(
        j,
        &[
            id(MessageId::DeviceArrival),
            m("AIRGAP_DEV_NODE", node),
            m("AIRGAP_ACTION", "authorize"),
        ],
    )
}

#[test]
fn the_whole_disk_of_an_approved_partitioned_medium_is_read_never_written() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("media-disk");
    let mut d = Daemon::new("media-disk", j.socket(), Some(POLICY));
    d.start();

    let stick = Stick::new("disk-approved", &["AIRGAPPART"]);
    let part = stick.wait_part(1);
    let p = authorized(&mut j, &part);
    assert_eq!(text(&p, "AIRGAP_ACCESS"), "read+write", "{p:?}");
    let disk = authorized(&mut j, &stick.path);
    assert_eq!(text(&disk, "AIRGAP_RESULT"), "success", "{disk:?}");
    assert_eq!(text(&disk, "AIRGAP_ACCESS"), "read", "{disk:?}");
    assert_eq!(text(&disk, "AIRGAP_RULE"), "Partitioned transfer stick");
    assert!(text(&disk, "MESSAGE").contains("whole disk"), "{disk:?}");
    // What udev, blkid and fdisk do: read the whole disk (its partition table).
    let (pid, err) = read(&d, &stick.path);
    assert_eq!(
        err, "",
        "the whole disk of an approved partition can be read"
    );
    // Never written: the partition table cannot be changed through it (EACCES, as a
    // write-protected disk answers).
    assert!(
        write(&d, &stick.path).contains("Permission denied"),
        "but not written"
    );
    // Its partition is used as approved.
    assert_eq!(
        write(&d, &part),
        "",
        "the approved partition opens read-write"
    );
    // No refusal was recorded for the read.
    std::thread::sleep(Duration::from_millis(500));
    let violations = j.query(&[id(MessageId::DeviceViolation), m("AIRGAP_PID", pid)]);
    assert!(violations.is_empty(), "{violations:?}");

    // A disk that also holds a partition that is not approved stays refused: reading it would
    // read that partition too.
    let mixed = Stick::new("disk-mixed", &["AIRGAPPART", "OTHERPART"]);
    let first = mixed.wait_part(1);
    let second = mixed.wait_part(2);
    authorized(&mut j, &first);
    let refused = entry(
        &mut j,
        &[
            id(MessageId::DeviceArrival),
            m("AIRGAP_DEV_NODE", &mixed.path),
            m("AIRGAP_ACTION", "refuse"),
        ],
    );
    assert_eq!(text(&refused, "AIRGAP_RESULT"), "success");
    // `addpart` adds the partitions one at a time: until the second is there, the disk holds
    // only the approved one and may be granted reading for it (its own refusal above was
    // recorded when it arrived, before any partition). Once the second is judged, refused.
    entry(
        &mut j,
        &[
            id(MessageId::DeviceArrival),
            m("AIRGAP_DEV_NODE", &second),
            m("AIRGAP_ACTION", "refuse"),
        ],
    );
    let end = Instant::now() + Duration::from_secs(5);
    let (pid, err) = loop {
        let (pid, err) = read(&d, &mixed.path);
        if err.contains("Operation not permitted") || Instant::now() > end {
            break (pid, err);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(err.contains("Operation not permitted"), "{err}");
    entry(
        &mut j,
        &[id(MessageId::DeviceViolation), m("AIRGAP_PID", pid)],
    );
    assert!(
        read(&d, &mixed.part(2))
            .1
            .contains("Operation not permitted"),
        "the unapproved partition is refused"
    );

    // The medium leaves: the disk's reading ends with its partition's grant.
    let path = stick.path.clone();
    drop(stick);
    entry(
        &mut j,
        &[id(MessageId::DeviceDeparture), m("AIRGAP_DEV_NODE", &path)],
    );
    assert!(
        read(&d, &path).1.contains("Operation not permitted")
            || !std::path::Path::new(&path).exists(),
        "after it left"
    );
}

/// The system probing a medium as it arrives (udev, udisks, blkid), before the daemon has
/// identified it: refused, but once the medium is approved those refusals are not violations.
#[test]
fn reads_before_an_approved_medium_is_granted_are_no_violations() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("media-early");
    let mut d = Daemon::new("media-early", j.socket(), Some(POLICY));
    d.start();
    // A race by nature: the daemon often grants before the reader's first read (5 attempts
    // all lost it about once in ten runs here).
    for attempt in 0..20 {
        let stick = Stick::without_partitions(&format!("early-{attempt}"), &["AIRGAPPART"]);
        // A reader waiting for the partition, reading it as soon as it exists until a read
        // succeeds: the first ones come before its grant. stderr says how many were refused.
        let part = stick.part(1);
        let script = format!(
            "n=0; end=$((SECONDS + 10)); while [ $SECONDS -lt $end ]; do \
             [ -b {part} ] || continue; \
             head -c 512 {part} > /dev/null 2>&1 && {{ echo refused=$n >&2; exit 0; }}; \
             n=$((n+1)); done; echo never >&2"
        );
        let (pid, err) = std::thread::scope(|s| {
            let reader = s.spawn(|| d.victim(&script, false));
            std::thread::sleep(Duration::from_millis(200));
            stick.add_parts(1);
            reader.join().unwrap()
        });
        authorized(&mut j, &part);
        let refused: u32 = err
            .trim()
            .strip_prefix("refused=")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        eprintln!("attempt {attempt}: {refused} reads refused before the grant ({err:?})");
        if refused == 0 {
            continue; // granted before the first read: try again
        }
        std::thread::sleep(Duration::from_millis(1500));
        // By the device: the reads were made by the reader's children.
        let violations = j.query(&[id(MessageId::DeviceViolation), m("AIRGAP_DEV_NODE", &part)]);
        assert!(
            violations.is_empty(),
            "{refused} reads refused before the grant (reader {pid}) were recorded as \
             violations: {violations:?}"
        );
        return;
    }
    panic!("no read came before the grant in twenty attempts");
}
