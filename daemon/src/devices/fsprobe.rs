//! Reading a filesystem's UUID and label from its superblock, by the daemon itself.
//!
//! Why not blkid or udev's `ID_FS_UUID`: with a whole-machine scope, udevd and any helper the
//! daemon spawns are refused the device like every other process (that is the point), so the
//! device program lets exactly one process read block devices: the daemon (its tgid is in the
//! config map). The formats a transfer stick carries are few: ext2/3/4, FAT12/16/32, exFAT,
//! and btrfs.
//! The UUID is printed the way blkid prints it, so policy entries can be copied from `blkid`.
//! How the device is opened, without trusting `/dev`, is `probe`'s concern.

/// What the superblock says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filesystem {
    /// `ext4`, `vfat`, `exfat`, `btrfs`.
    pub kind: &'static str,
    /// UUID as blkid prints it.
    pub uuid: Option<String>,
    /// Label, trimmed; None when empty.
    pub label: Option<String>,
}

/// How many bytes from the start of a device [`parse`] needs (btrfs's superblock is at
/// 64 KiB).
pub const HEAD_BYTES: usize = BTRFS_SB + 4096;

/// Recognise a superblock in the first bytes of a device.
pub fn parse(b: &[u8]) -> Option<Filesystem> {
    ext(b)
        .or_else(|| exfat(b))
        .or_else(|| fat(b))
        .or_else(|| btrfs(b))
}

/// Where btrfs's first superblock is.
const BTRFS_SB: usize = 0x10000;

/// btrfs: superblock at 64 KiB, fsid at +0x20, magic `_BHRfS_M` at +0x40, label at +0x12b.
fn btrfs(b: &[u8]) -> Option<Filesystem> {
    let sb = b.get(BTRFS_SB..BTRFS_SB + 0x12b + 256)?;
    if &sb[0x40..0x48] != b"_BHRfS_M" {
        return None;
    }
    let u = &sb[0x20..0x30];
    let uuid = uuid_text(u);
    Some(Filesystem {
        kind: "btrfs",
        uuid: Some(uuid),
        label: text(&sb[0x12b..0x12b + 256]),
    })
}

fn text(bytes: &[u8]) -> Option<String> {
    let end = bytes.iter().position(|&c| c == 0).unwrap_or(bytes.len());
    let s = String::from_utf8_lossy(&bytes[..end])
        .trim_end()
        .to_string();
    (!s.is_empty()).then_some(s)
}

/// ext2/3/4: superblock at 1024, magic 0xEF53 at +56, UUID at +104, label at +120.
fn ext(b: &[u8]) -> Option<Filesystem> {
    let sb = b.get(1024..1024 + 136)?;
    if u16::from_le_bytes([sb[56], sb[57]]) != 0xEF53 {
        return None;
    }
    let u = &sb[104..120];
    let uuid = uuid_text(u);
    Some(Filesystem {
        kind: "ext4",
        uuid: Some(uuid),
        label: text(&sb[120..136]),
    })
}

/// exFAT: "EXFAT   " at 3, volume serial (LE) at 100; blkid prints it as XXXX-XXXX.
fn exfat(b: &[u8]) -> Option<Filesystem> {
    if b.get(3..11)? != b"EXFAT   " {
        return None;
    }
    let serial = u32::from_le_bytes(b.get(100..104)?.try_into().ok()?);
    // The label lives in the root directory, not the boot sector: not read here.
    Some(Filesystem {
        kind: "exfat",
        uuid: Some(fat_serial(serial)),
        label: None,
    })
}

/// FAT12/16 (serial at 39, label at 43) and FAT32 (serial at 67, label at 71).
fn fat(b: &[u8]) -> Option<Filesystem> {
    if b.get(510..512)? != [0x55, 0xAA] {
        return None;
    }
    let (serial_at, label_at) = if b.get(82..87)? == b"FAT32" {
        (67, 71)
    } else if b.get(54..57)? == b"FAT" {
        (39, 43)
    } else {
        return None;
    };
    let serial = u32::from_le_bytes(b.get(serial_at..serial_at + 4)?.try_into().ok()?);
    let label = text(b.get(label_at..label_at + 11)?).filter(|l| l != "NO NAME");
    Some(Filesystem {
        kind: "vfat",
        uuid: Some(fat_serial(serial)),
        label,
    })
}

fn fat_serial(serial: u32) -> String {
    format!("{:04X}-{:04X}", serial >> 16, serial & 0xffff)
}

/// 16 bytes as blkid prints a filesystem UUID (8-4-4-4-12 lowercase hex).
pub(crate) fn uuid_text(u: &[u8]) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        hex(&u[0..4]),
        hex(&u[4..6]),
        hex(&u[6..8]),
        hex(&u[8..10]),
        hex(&u[10..16])
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ext4_uuid_and_label() {
        let mut b = vec![0u8; 4096];
        b[1024 + 56..1024 + 58].copy_from_slice(&0xEF53u16.to_le_bytes());
        let uuid: Vec<u8> = (0u8..16).collect();
        b[1024 + 104..1024 + 120].copy_from_slice(&uuid);
        b[1024 + 120..1024 + 127].copy_from_slice(b"SECRET3");
        let fs = parse(&b).unwrap();
        assert_eq!(fs.kind, "ext4");
        assert_eq!(
            fs.uuid.as_deref(),
            Some("00010203-0405-0607-0809-0a0b0c0d0e0f")
        );
        assert_eq!(fs.label.as_deref(), Some("SECRET3"));
    }

    #[test]
    fn fat32_serial_is_printed_like_blkid() {
        let mut b = vec![0u8; 4096];
        b[510] = 0x55;
        b[511] = 0xAA;
        b[82..87].copy_from_slice(b"FAT32");
        b[67..71].copy_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        b[71..82].copy_from_slice(b"TRANSFER   ");
        let fs = parse(&b).unwrap();
        assert_eq!(fs.uuid.as_deref(), Some("1A2B-3C4D"));
        assert_eq!(fs.label.as_deref(), Some("TRANSFER"));
    }

    #[test]
    fn btrfs_fsid_and_label_at_64_kib() {
        let mut b = vec![0u8; HEAD_BYTES];
        let sb = 0x10000;
        b[sb + 0x40..sb + 0x48].copy_from_slice(b"_BHRfS_M");
        let uuid: Vec<u8> = (0u8..16).collect();
        b[sb + 0x20..sb + 0x30].copy_from_slice(&uuid);
        b[sb + 0x12b..sb + 0x12b + 6].copy_from_slice(b"BTRSTK");
        let fs = parse(&b).unwrap();
        assert_eq!(fs.kind, "btrfs");
        assert_eq!(
            fs.uuid.as_deref(),
            Some("00010203-0405-0607-0809-0a0b0c0d0e0f")
        );
        assert_eq!(fs.label.as_deref(), Some("BTRSTK"));
        assert_eq!(parse(&b[..8192]), None, "a head too short");
    }

    #[test]
    fn unknown_bytes_are_no_filesystem() {
        assert_eq!(parse(&[0u8; 4096]), None);
        assert_eq!(parse(&[0u8; 10]), None);
    }
}
