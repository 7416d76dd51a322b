//! The internal set for each recorded layout.

use std::collections::BTreeSet;

use super::{sysfs, text};
use crate::devices::internal::{internal_devices, parse_mountinfo, parse_swaps};

const VDA: [(u32, u32); 2] = [(254, 0), (254, 1)];
const NVME: [(u32, u32); 4] = [(259, 0), (259, 1), (259, 2), (259, 3)];
const DM: [(u32, u32); 3] = [(253, 0), (253, 1), (253, 2)];
const LOOPS: [(u32, u32); 2] = [(7, 0), (7, 2)];
const ZRAM: (u32, u32) = (252, 0);
const SDA: [(u32, u32); 2] = [(8, 0), (8, 1)];

fn internal(mountinfo: &str, loop_removable: bool, extra: &[&str]) -> BTreeSet<(u32, u32)> {
    let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
    internal_devices(
        &sysfs(),
        &text(&format!("proc/{mountinfo}")),
        loop_removable,
        &extra,
    )
    .unwrap()
}

fn set(parts: &[&[(u32, u32)]]) -> BTreeSet<(u32, u32)> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

#[test]
fn parses_mountinfo_with_optional_fields_and_escapes() {
    let mounts = parse_mountinfo(&text("proc/mountinfo-lvm-crypt")).unwrap();
    let root = mounts.iter().find(|m| m.mount_point == "/").unwrap();
    assert_eq!(
        (root.dev, root.fstype.as_str(), root.source.as_str()),
        ((253, 1), "ext4", "/dev/mapper/vg0-root")
    );
    assert!(mounts
        .iter()
        .any(|m| m.mount_point == "/media/official/My Files" && m.fstype == "fuse.sshfs"));
    let boot = mounts.iter().find(|m| m.mount_point == "/boot").unwrap();
    assert_eq!(
        (boot.dev, boot.source.as_str()),
        ((0, 38), "/dev/nvme0n1p2")
    );
}

#[test]
fn this_machines_mountinfo_parses() {
    // The format exactly as the development VM prints it, without optional fields.
    let line = "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534\n";
    assert_eq!(parse_mountinfo(line).unwrap()[0].dev, (254, 0));
}

#[test]
fn malformed_mountinfo_is_an_error() {
    assert!(parse_mountinfo("27 1 254:0 / / rw,relatime ext4 /dev/vda rw\n").is_err());
    assert!(parse_mountinfo("27 1 nodev / / rw - ext4 /dev/vda rw\n").is_err());
}

#[test]
fn virtio_root_makes_the_whole_disk_internal() {
    // vda1 mounted at /; loop0 holds a snap; loop1 wraps /dev/sda and is not internal; zram is memory.
    assert_eq!(
        internal("mountinfo-vda", false, &[]),
        set(&[&VDA, &LOOPS, &[ZRAM]])
    );
}

#[test]
fn loops_declared_removable_are_not_internal_even_when_mounted() {
    assert_eq!(internal("mountinfo-vda", true, &[]), set(&[&VDA, &[ZRAM]]));
}

#[test]
fn crypt_and_lvm_chain_down_to_the_nvme_disk() {
    // dm-1 (/) -> dm-0 (crypt) -> nvme0n1p3; dm-2 (swap volume, unmounted) sits on dm-0 too;
    // /boot is btrfs (0:38) found by its source; /boot/efi is nvme0n1p1.
    assert_eq!(
        internal("mountinfo-lvm-crypt", true, &[]),
        set(&[&NVME, &DM, &[ZRAM]])
    );
    // vda is not mounted in this layout.
    assert!(!internal("mountinfo-lvm-crypt", true, &[]).contains(&(254, 1)));
}

#[test]
fn a_stick_mounted_before_start_stays_external() {
    let got = internal("mountinfo-usb-automounted", false, &[]);
    assert!(SDA.iter().all(|d| !got.contains(d)), "{got:?}");
    // loop1 (mounted, backed by /dev/sda) is not internal either.
    assert!(!got.contains(&(7, 1)));
    assert_eq!(got, set(&[&VDA, &LOOPS, &[ZRAM]]));
}

#[test]
fn the_policy_can_name_devices() {
    let got = internal(
        "mountinfo-usb-automounted",
        true,
        &["8:1", "/dev/mapper/vg0-swap", "/dev/nosuch"],
    );
    // Naming sda1 names its disk and its partitions; naming the swap volume takes the chain.
    assert_eq!(got, set(&[&VDA, &SDA, &NVME, &DM, &[ZRAM]]));
    let by_name = internal("mountinfo-usb-automounted", true, &["/dev/sda"]);
    assert!(SDA.iter().all(|d| by_name.contains(d)));
}

#[test]
fn swap_devices_from_proc_swaps() {
    assert_eq!(parse_swaps(&text("proc/swaps")), vec!["/dev/dm-2"]);
}
