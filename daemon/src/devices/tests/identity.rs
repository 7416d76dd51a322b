//! Identities for events and media matching.

use super::{sysfs, text, usb};
use crate::devices::block::BlockDevice;
use crate::devices::identity::{parse_udev_properties, DeviceIdentity, MediaIdentity};

#[test]
fn a_usb_partition_with_udev_properties() {
    let sda1 = BlockDevice::from_sysfs(&sysfs(), "sda1").unwrap();
    let usb = sda1.usb_parent().unwrap().unwrap();
    let udev = parse_udev_properties(&text("udev/sda1.properties"));
    let id = DeviceIdentity::from_block(&sda1, Some(&usb), Some(&udev));
    assert_eq!(id.dev, Some((8, 1)));
    assert_eq!(id.node.as_deref(), Some("/dev/sda1"));
    assert_eq!((id.vendor_id, id.product_id), (Some(0x0951), Some(0x1666)));
    assert_eq!(id.vendor.as_deref(), Some("Kingston"));
    assert_eq!(id.model.as_deref(), Some("DataTraveler 3.0"));
    assert_eq!(id.serial.as_deref(), Some("60A44C413AB2F140391F0021"));
    assert_eq!(id.bus.as_deref(), Some("usb"));
    assert_eq!(
        id.bus_path.as_deref(),
        Some("/devices/pci0000:00/0000:00:14.0/usb2/2-1")
    );
    assert_eq!(id.interface_classes, vec!["08/06/50"]);
    assert_eq!(
        (id.fs_uuid.as_deref(), id.fs_label.as_deref()),
        (Some("2F3C-5A1E"), Some("CIPHER_3"))
    );
    assert_eq!(
        id.media_identity(),
        MediaIdentity {
            vendor_id: Some(0x0951),
            product_id: Some(0x1666),
            serial: Some("60A44C413AB2F140391F0021".into()),
            fs_uuid: Some("2f3c-5a1e".into()),
            fs_label: Some("CIPHER_3".into()),
        }
    );
}

#[test]
fn the_kernel_wins_when_udev_disagrees() {
    let sda = BlockDevice::from_sysfs(&sysfs(), "sda").unwrap();
    let mut udev = parse_udev_properties(&text("udev/sda1.properties"));
    udev.insert("ID_SERIAL_SHORT".into(), "FORGED".into());
    udev.insert("ID_VENDOR_ID".into(), "abcd".into());
    let id = DeviceIdentity::from_block(&sda, Some(&usb("2-1")), Some(&udev));
    assert_eq!(id.serial.as_deref(), Some("60A44C413AB2F140391F0021"));
    assert_eq!(id.vendor_id, Some(0x0951));
}

#[test]
fn before_probing_only_usb_fields_are_known() {
    let sda = BlockDevice::from_sysfs(&sysfs(), "sda").unwrap();
    let id = DeviceIdentity::from_block(&sda, Some(&usb("2-1")), None);
    assert_eq!((id.fs_uuid.clone(), id.fs_label.clone()), (None, None));
    let probed = id.with_filesystem(Some("2F3C-5A1E".into()), None);
    assert_eq!(
        probed.media_identity().fs_uuid.as_deref(),
        Some("2f3c-5a1e")
    );
}

#[test]
fn internal_and_virtual_devices_without_usb() {
    let nvme = BlockDevice::from_sysfs(&sysfs(), "nvme0n1p1").unwrap();
    let id = DeviceIdentity::from_block(&nvme, None, None);
    assert_eq!((id.vendor_id, id.bus.as_deref()), (None, Some("nvme")));
    assert_eq!(id.model.as_deref(), Some("Samsung SSD 980 PRO 1TB"));
    assert_eq!(id.serial.as_deref(), Some("S5GXNF0R123456A"));
    assert_eq!(
        id.bus_path.as_deref(),
        Some("/devices/pci0000:00/0000:00:06.0/nvme/nvme0")
    );

    let loop0 = BlockDevice::from_sysfs(&sysfs(), "loop0").unwrap();
    let id = DeviceIdentity::from_block(&loop0, None, None);
    assert_eq!(
        (id.bus.as_deref(), id.bus_path.as_deref()),
        (Some("virtual"), Some("/devices/virtual/block/loop0"))
    );
    assert_eq!(id.media_identity(), MediaIdentity::default());
}

#[test]
fn a_usb_device_alone() {
    let id = DeviceIdentity::from_usb(&usb("1-4"));
    assert_eq!(id.node.as_deref(), Some("/dev/bus/usb/001/006"));
    assert_eq!(id.dev, None);
    assert_eq!(id.interface_classes, vec!["06/01/01", "ff/ff/00"]);
    assert_eq!(id.serial.as_deref(), Some("R58M12ABCDE"));
}
