//! Block devices read from the recorded sysfs.

use super::sysfs;
use crate::devices::block::BlockDevice;

fn block(name: &str) -> BlockDevice {
    BlockDevice::from_sysfs(&sysfs(), name).unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

#[test]
fn a_virtio_disk_and_its_partition() {
    let vda = block("vda");
    assert_eq!(
        (vda.dev, vda.partition, vda.disk.as_str()),
        ((254, 0), None, "vda")
    );
    assert_eq!(
        vda.bus_path.as_deref(),
        Some("/devices/pci0000:00/0000:00:02.0/virtio1")
    );
    assert_eq!(vda.serial.as_deref(), Some("airgap-dev-01"));
    assert_eq!(
        (vda.external, vda.removable, vda.read_only),
        (None, false, false)
    );
    assert_eq!(vda.partitions().unwrap(), vec!["vda1"]);

    let vda1 = block("vda1");
    assert_eq!(
        (vda1.dev, vda1.partition, vda1.disk.as_str()),
        ((254, 1), Some(1), "vda")
    );
    assert_eq!(
        vda1.devpath,
        "/devices/pci0000:00/0000:00:02.0/virtio1/block/vda/vda1"
    );
    // Hardware attributes come from the whole disk.
    assert_eq!(vda1.bus_path, vda.bus_path);
    assert_eq!(vda1.partitions().unwrap(), vec!["vda1"]);
}

#[test]
fn a_usb_stick_is_external_with_its_usb_parent() {
    let sda1 = block("sda1");
    assert_eq!(
        (sda1.dev, sda1.disk.as_str(), sda1.removable),
        ((8, 1), "sda", true)
    );
    assert_eq!(sda1.external, Some("attached over USB"));
    let usb = sda1.usb_parent().unwrap().expect("USB parent");
    assert_eq!(
        (usb.name.as_str(), usb.vendor_id, usb.product_id),
        ("2-1", 0x0951, 0x1666)
    );
    let sda = block("sda");
    assert_eq!(sda.vendor.as_deref(), Some("Kingston"));
    assert_eq!(sda.model.as_deref(), Some("DataTraveler 3.0"));
    assert_eq!(sda.size_sectors, 60063744);
}

#[test]
fn nvme_partition_and_stacked_devices() {
    let p3 = block("nvme0n1p3");
    assert_eq!(
        (p3.dev, p3.disk.as_str(), p3.external),
        ((259, 3), "nvme0n1", None)
    );
    assert_eq!(p3.holders, vec!["dm-0"]);
    assert_eq!(
        block("nvme0n1").model.as_deref(),
        Some("Samsung SSD 980 PRO 1TB")
    );
    assert_eq!(block("nvme0n1").serial.as_deref(), Some("S5GXNF0R123456A"));

    let dm0 = block("dm-0");
    assert_eq!(
        (dm0.slaves.clone(), dm0.holders.clone()),
        (
            vec!["nvme0n1p3".to_owned()],
            vec!["dm-1".to_owned(), "dm-2".to_owned()]
        )
    );
    assert!(dm0.dm_name.as_deref().unwrap().starts_with("luks-"));
    assert_eq!(dm0.bus_path, None);
    assert_eq!(block("dm-1").dm_name.as_deref(), Some("vg0-root"));
}

#[test]
fn loop_devices_and_their_backing_files() {
    let loop0 = block("loop0");
    assert!(loop0.is_loop());
    assert_eq!(
        loop0.loop_backing_file.as_deref(),
        Some("/var/lib/snapd/snaps/core22_1612.snap")
    );
    assert_eq!(
        block("loop1").loop_backing_file.as_deref(),
        Some("/dev/sda")
    );
    assert_eq!(block("loop2").loop_backing_file, None);
    assert_eq!(loop0.external, None);
}

#[test]
fn an_unknown_name_is_an_error() {
    assert!(BlockDevice::from_sysfs(&sysfs(), "sdz").is_err());
}

#[test]
fn a_refusal_event_number_finds_its_device() {
    let sda1 = BlockDevice::from_dev(&sysfs(), 8, 1).unwrap().expect("8:1");
    assert_eq!(
        (sda1.name.as_str(), sda1.external),
        ("sda1", Some("attached over USB"))
    );
    assert_eq!(BlockDevice::from_dev(&sysfs(), 8, 99).unwrap(), None);
}

/// Issue 17: the block devices a read-only grant marks read-only. The flag belongs to one
/// block device, so a partition's grant marks its disk too, and a disk's grant its partitions.
#[test]
fn read_only_targets_cover_the_disk_and_its_partitions() {
    use crate::devices::readonly::targets;
    let names = |b: &BlockDevice| -> Vec<String> {
        targets(&sysfs(), b).into_iter().map(|(_, n)| n).collect()
    };
    assert_eq!(names(&block("sda1")), ["sda1", "sda"]);
    assert_eq!(names(&block("sda")), ["sda", "sda1"]);
    assert_eq!(
        names(&block("nvme0n1")),
        ["nvme0n1", "nvme0n1p1", "nvme0n1p2", "nvme0n1p3"]
    );
    let t = targets(&sysfs(), &block("sda1"));
    assert_eq!(t[1].0, block("sda").dev, "each with its own device number");
    assert_eq!(names(&block("loop0")), ["loop0"]);
}
