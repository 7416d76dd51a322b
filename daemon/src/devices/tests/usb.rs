//! USB reading and classification, raw descriptors included.

use std::path::Path;

use super::usb;
use crate::devices::usb::{UsbDevice, UsbInterface};
use crate::devices::usb_class::{classify, CaptureKind, HidKind, PhoneKind, UsbCategory};
use crate::devices::{usb_descriptors, DeviceError};

const APPROVED_SERIAL: &str = "60A44C413AB2F140391F0021";

#[test]
fn reads_the_kingston_stick() {
    let dev = usb("2-1");
    assert_eq!((dev.vendor_id, dev.product_id), (0x0951, 0x1666));
    assert_eq!(dev.serial.as_deref(), Some(APPROVED_SERIAL));
    assert_eq!(dev.manufacturer.as_deref(), Some("Kingston"));
    assert_eq!(dev.product.as_deref(), Some("DataTraveler 3.0"));
    assert_eq!((dev.busnum, dev.devnum, dev.dev), (2, 2, (189, 129)));
    assert_eq!(dev.class, (0, 0, 0));
    assert!(dev.authorized);
    assert_eq!(dev.node(), "/dev/bus/usb/002/002");
    assert_eq!(dev.interface_classes(), vec!["08/06/50"]);
    assert!(!dev.is_root_hub());
}

#[test]
fn an_unauthorized_device_is_judged_from_its_raw_descriptors() {
    // 2-2 was recorded before authorization: no interface directories exist.
    let dev = usb("2-2");
    assert!(!dev.authorized);
    assert!(!dev.sys_path.join("2-2:1.0").exists());
    assert_eq!(dev.interface_classes(), vec!["08/06/50"]);
    assert_eq!(classify(&dev).categories(), vec![UsbCategory::Storage]);
}

#[test]
fn interface_strings_come_from_the_interface_directories() {
    let dev = usb("1-4");
    let mtp: Vec<&UsbInterface> = dev
        .interfaces
        .iter()
        .filter(|i| i.name.as_deref() == Some("MTP"))
        .collect();
    assert_eq!(mtp.len(), 1);
    assert_eq!((mtp[0].class, mtp[0].number), (0xff, 1));
    // Merged, not duplicated: two interfaces in the descriptors, two directories.
    assert_eq!(dev.interfaces.len(), 2);
}

#[test]
fn every_alternate_setting_is_listed() {
    // The webcam declares alternate settings 0 and 1 of its streaming interfaces.
    let dev = usb("1-7");
    assert_eq!(dev.interfaces.iter().filter(|i| i.number == 1).count(), 2);
    assert_eq!(dev.interfaces.len(), 6);
}

#[test]
fn classifies_each_recorded_device() {
    use UsbCategory::*;
    let cases: &[(&str, &[UsbCategory])] = &[
        ("2-1", &[Storage]),
        ("1-1", &[Hid(HidKind::Keyboard), Hid(HidKind::Other)]),
        ("1-2", &[Hid(HidKind::Mouse)]),
        ("1-3", &[Hub]),
        ("1-3.1", &[Printer]),
        ("1-4", &[Phone(PhoneKind::Mtp)]),
        ("1-5", &[Network]),
        ("2-4", &[VendorSpecific]),
        ("1-6", &[Bluetooth]),
        (
            "1-7",
            &[Capture(CaptureKind::Audio), Capture(CaptureKind::Video)],
        ),
        ("1-8", &[SmartCard]),
        ("2-3", &[Storage, Hid(HidKind::Keyboard)]),
    ];
    for (name, expected) in cases {
        assert_eq!(
            classify(&usb(name)).categories(),
            expected.to_vec(),
            "device {name}"
        );
    }
}

#[test]
fn device_level_class_counts_but_iad_and_per_interface_do_not() {
    // The Bluetooth dongle says e0/01/01 at device level; the tethering phone says ef/02/01 (IAD).
    assert_eq!(classify(&usb("1-6")).device, Some(UsbCategory::Bluetooth));
    assert_eq!(classify(&usb("1-5")).device, None);
    // AX88179 is ff/ff/00 at device level too.
    assert_eq!(
        classify(&usb("2-4")).device,
        Some(UsbCategory::VendorSpecific)
    );
}

#[test]
fn class_codes_map_to_categories() {
    use crate::devices::usb_class::category_of;
    use UsbCategory::*;
    assert_eq!(category_of(0x06, 0x01, 0x01, false), Phone(PhoneKind::Ptp));
    assert_eq!(category_of(0xff, 0xff, 0x00, true), Phone(PhoneKind::Mtp));
    assert_eq!(category_of(0xff, 0x42, 0x01, false), VendorSpecific);
    assert_eq!(category_of(0xe0, 0x01, 0x03, false), Network, "RNDIS");
    assert_eq!(
        category_of(0xef, 0x04, 0x01, false),
        Network,
        "RNDIS over Ethernet"
    );
    assert_eq!(category_of(0x02, 0x06, 0x00, false), Network, "CDC ECM");
    assert_eq!(category_of(0x02, 0x0d, 0x00, false), Network, "CDC NCM");
    assert_eq!(category_of(0x02, 0x0c, 0x07, false), Network, "CDC EEM");
    assert_eq!(category_of(0x02, 0x02, 0x01, false), Serial, "CDC ACM");
    assert_eq!(category_of(0xe0, 0x01, 0x01, false), Bluetooth);
    assert_eq!(
        category_of(0xe0, 0x02, 0x01, false),
        Wireless,
        "wire adapter"
    );
    assert_eq!(
        category_of(0x0e, 0x01, 0x00, false),
        Capture(CaptureKind::Video)
    );
    assert_eq!(
        category_of(0x01, 0x01, 0x00, false),
        Capture(CaptureKind::Audio)
    );
    assert_eq!(category_of(0x0b, 0x00, 0x00, false), SmartCard);
    assert_eq!(category_of(0xfe, 0x01, 0x02, false), Unknown, "DFU");
    assert_eq!(category_of(0x00, 0x00, 0x00, false), Unknown);
    assert_eq!(category_of(0x08, 0x06, 0x62, false), Storage, "UAS");
}

#[test]
fn a_lone_mtp_interface_is_a_phone_not_just_vendor_specific() {
    let mut dev = usb("2-4");
    dev.class = (0, 0, 0);
    dev.interfaces[0].name = Some("MTP".into());
    assert_eq!(
        classify(&dev).categories(),
        vec![UsbCategory::Phone(PhoneKind::Mtp)]
    );
}

#[test]
fn malformed_descriptors_are_errors_not_guesses() {
    let good = std::fs::read(super::sysfs().join("bus/usb/devices/2-3/descriptors")).unwrap();
    let path = Path::new("descriptors");
    assert!(usb_descriptors::parse(path, &good).is_ok());
    // Truncated inside the configuration.
    let err = usb_descriptors::parse(path, &good[..good.len() - 3]).unwrap_err();
    assert!(matches!(err, DeviceError::Descriptors { .. }), "{err}");
    // A zero-length descriptor inside the configuration would loop forever.
    let mut zero = good.clone();
    zero[18 + 9] = 0;
    assert!(usb_descriptors::parse(path, &zero).is_err());
    // Not a device descriptor at all.
    assert!(usb_descriptors::parse(path, &good[18..]).is_err());
}

#[test]
fn a_second_configuration_is_judged_too() {
    // A device whose first configuration is a keyboard and whose second adds a network function.
    let keyboard = std::fs::read(super::sysfs().join("bus/usb/devices/1-2/descriptors")).unwrap();
    let mut bytes = keyboard.clone();
    bytes[17] = 2; // bNumConfigurations
    let second = [
        9u8, 2, 18, 0, 1, 2, 0, 0x80, 50, 9, 4, 0, 0, 0, 0x02, 0x06, 0, 0,
    ];
    bytes.extend_from_slice(&second);
    let parsed = usb_descriptors::parse(Path::new("descriptors"), &bytes).unwrap();
    assert_eq!(parsed.interfaces.len(), 2);
    assert_eq!(
        (parsed.interfaces[1].config, parsed.interfaces[1].class),
        (2, 0x02)
    );
}

#[test]
fn a_missing_attribute_is_an_error() {
    let err = UsbDevice::from_sysfs(&super::sysfs().join("class/block/sda")).unwrap_err();
    assert!(matches!(err, DeviceError::Missing { .. }), "{err}");
}

/// A throwaway device directory under the system temp dir, removed on drop.
struct TempDevice(std::path::PathBuf);

impl TempDevice {
    fn new(name: &str, files: &[(&str, &str)]) -> TempDevice {
        let base =
            std::env::temp_dir().join(format!("airgapd-devices-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let dir = base.join(name);
        for (file, content) in files {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        TempDevice(dir)
    }
}

impl Drop for TempDevice {
    fn drop(&mut self) {
        if let Some(base) = self.0.parent() {
            let _ = std::fs::remove_dir_all(base);
        }
    }
}

const DEVICE_ATTRS: [(&str, &str); 8] = [
    ("idVendor", "1d6b\n"),
    ("idProduct", "0002\n"),
    ("bDeviceClass", "09\n"),
    ("bDeviceSubClass", "00\n"),
    ("bDeviceProtocol", "01\n"),
    ("busnum", "7\n"),
    ("devnum", "1\n"),
    ("authorized", "1\n"),
];

#[test]
fn root_hub_interface_directories_are_named_after_the_bus() {
    // No `descriptors` file: the interface can only come from "7-0:1.0".
    let mut files = DEVICE_ATTRS.to_vec();
    files.extend([
        ("7-0:1.0/bInterfaceClass", "09\n"),
        ("7-0:1.0/bInterfaceSubClass", "00\n"),
        ("7-0:1.0/bInterfaceProtocol", "00\n"),
    ]);
    let tmp = TempDevice::new("usb7", &files);
    let hub = UsbDevice::from_sysfs(&tmp.0).unwrap();
    assert_eq!(hub.interface_classes(), vec!["09/00/00"]);
    assert_eq!(
        hub.dev,
        (189, 768),
        "computed from busnum and devnum when `dev` is absent"
    );
}

#[test]
fn an_authorized_value_other_than_0_or_1_is_an_error() {
    let mut files = DEVICE_ATTRS.to_vec();
    files[7] = ("authorized", "yes\n");
    let tmp = TempDevice::new("7-1", &files);
    let err = UsbDevice::from_sysfs(&tmp.0).unwrap_err();
    assert!(matches!(err, DeviceError::Parse { .. }), "{err}");
}
