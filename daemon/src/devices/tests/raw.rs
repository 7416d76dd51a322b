//! Raw paths and denied majors.

use super::{sysfs, text, usb};
use crate::devices::block::BlockDevice;
use crate::devices::raw::{
    identify_char, raw_paths_for_block, raw_paths_for_usb, usb_raw_grants, AllowEntry, DevType,
    RawKind, ACCESS_READ, ACCESS_WRITE,
};
use crate::devices::raw_majors::{denied_char_majors, dynamic_char_majors, parse_proc_devices};
use crate::devices::usb_decide::{decide, DecisionBasis, UsbRules};

fn kinds(nodes: &[crate::devices::raw::RawNode]) -> Vec<(RawKind, u32, u32)> {
    let mut out: Vec<_> = nodes
        .iter()
        .map(|n| (n.kind.clone(), n.major, n.minor))
        .collect();
    out.sort();
    out
}

#[test]
fn sg_and_bsg_belong_to_the_stick() {
    let sg = identify_char(&sysfs(), 21, 0).unwrap().expect("sg0");
    assert_eq!(
        (sg.node.kind.clone(), sg.node.name.as_str()),
        (RawKind::ScsiGeneric, "sg0")
    );
    assert_eq!(sg.block_devices, vec!["sda"]);
    assert!(sg.usb_device.unwrap().ends_with("usb2/2-1"));

    let bsg = identify_char(&sysfs(), 244, 0).unwrap().expect("bsg");
    assert_eq!(
        (bsg.node.kind, bsg.block_devices),
        (RawKind::Bsg, vec!["sda".to_owned()])
    );
}

#[test]
fn usb_nodes_nvme_generic_and_unknown_numbers() {
    let node = identify_char(&sysfs(), 189, 129)
        .unwrap()
        .expect("usb node");
    assert_eq!(
        (node.node.kind.clone(), node.node.name.as_str()),
        (RawKind::UsbDevice, "2-1")
    );
    assert_eq!(node.block_devices, vec!["sda"]);

    let ng = identify_char(&sysfs(), 240, 0).unwrap().expect("ng0n1");
    assert_eq!(
        (ng.node.kind, ng.usb_device, ng.block_devices),
        (RawKind::NvmeGeneric, None, vec!["nvme0n1".to_owned()])
    );

    let hidraw = identify_char(&sysfs(), 242, 1).unwrap().expect("hidraw1");
    assert_eq!(hidraw.node.kind, RawKind::Hidraw);
    assert!(hidraw.usb_device.unwrap().ends_with("usb1/1-1"));

    assert_eq!(identify_char(&sysfs(), 21, 9).unwrap(), None);
}

#[test]
fn raw_paths_of_block_devices() {
    let sda1 = BlockDevice::from_sysfs(&sysfs(), "sda1").unwrap();
    assert_eq!(
        kinds(&raw_paths_for_block(&sda1).unwrap()),
        vec![(RawKind::ScsiGeneric, 21, 0), (RawKind::Bsg, 244, 0)]
    );
    let nvme = BlockDevice::from_sysfs(&sysfs(), "nvme0n1").unwrap();
    assert_eq!(
        kinds(&raw_paths_for_block(&nvme).unwrap()),
        vec![
            (RawKind::NvmeGeneric, 240, 0),
            (RawKind::NvmeController, 241, 0)
        ]
    );
    let loop0 = BlockDevice::from_sysfs(&sysfs(), "loop0").unwrap();
    assert!(raw_paths_for_block(&loop0).unwrap().is_empty());
}

#[test]
fn raw_paths_of_usb_devices() {
    assert_eq!(
        kinds(&raw_paths_for_usb(&usb("2-1")).unwrap()),
        vec![
            (RawKind::ScsiGeneric, 21, 0),
            (RawKind::Bsg, 244, 0),
            (RawKind::UsbDevice, 189, 129)
        ]
    );
    assert_eq!(
        kinds(&raw_paths_for_usb(&usb("1-1")).unwrap()),
        vec![
            (RawKind::UsbDevice, 189, 1),
            (RawKind::Hidraw, 242, 0),
            (RawKind::Hidraw, 242, 1),
            (RawKind::Other("input".into()), 13, 67)
        ]
    );
    // A hub's nodes do not include the printer behind it.
    assert_eq!(
        kinds(&raw_paths_for_usb(&usb("1-3")).unwrap()),
        vec![(RawKind::UsbDevice, 189, 3)]
    );
}

#[test]
fn grants_follow_the_decision() {
    let rw = ACCESS_READ | ACCESS_WRITE;
    let char_entry = |major, minor| AllowEntry {
        kind: DevType::Char,
        major,
        minor,
        access: rw,
    };
    let grants = |name: &str| {
        let dev = usb(name);
        let d = decide(&dev, &UsbRules::default(), |_| Some("stick".into()));
        usb_raw_grants(&raw_paths_for_usb(&dev).unwrap(), d.basis, &d.categories)
    };
    assert_eq!(
        grants("1-3.1"),
        vec![char_entry(180, 0), char_entry(189, 4)]
    );
    assert_eq!(grants("1-8"), vec![char_entry(189, 9)]);
    assert!(
        grants("1-1").is_empty(),
        "keyboards type through evdev, not hidraw"
    );
    assert!(
        grants("2-1").is_empty(),
        "approved media never get sg, bsg or usbfs"
    );
    assert!(grants("2-4").is_empty(), "refused");
    let explicit = usb_raw_grants(
        &raw_paths_for_usb(&usb("1-1")).unwrap(),
        DecisionBasis::ExplicitAllow,
        &[],
    );
    assert_eq!(
        explicit,
        vec![char_entry(189, 1), char_entry(242, 0), char_entry(242, 1)]
    );
}

#[test]
fn proc_devices_parses_both_sections() {
    let parsed = parse_proc_devices(&text("proc/devices")).unwrap();
    assert!(parsed.char.contains(&(189, "usb_device".into())));
    assert!(parsed.char.contains(&(4, "/dev/vc/0".into())));
    assert!(parsed.block.contains(&(253, "device-mapper".into())));
    assert!(parse_proc_devices("Character devices:\nnot a line\n").is_err());
    assert!(
        parse_proc_devices(" 21 sg\n").is_err(),
        "a line before any section"
    );
}

#[test]
fn dynamic_majors_are_read_from_proc_devices() {
    let found: Vec<(u32, String)> = dynamic_char_majors(&text("proc/devices"))
        .unwrap()
        .into_iter()
        .map(|d| (d.major, d.name))
        .collect();
    let expected: Vec<(u32, String)> = [
        (234, "uio"),
        (235, "vfio"),
        (237, "firewire"),
        (239, "usbmon"),
        (240, "nvme-generic"),
        (241, "nvme"),
        (242, "hidraw"),
        (244, "bsg"),
    ]
    .iter()
    .map(|(m, n)| (*m, (*n).to_owned()))
    .collect();
    assert_eq!(found, expected);
}

#[test]
fn denied_majors_include_fixed_ones_even_when_not_loaded() {
    // This machine's /proc/devices: no sg, no usb, bsg at 248, hidraw at 245.
    let here = "Character devices:\n  1 mem\n 10 misc\n 13 input\n245 hidraw\n248 bsg\n\nBlock devices:\n  7 loop\n";
    let majors: Vec<u32> = denied_char_majors(here)
        .unwrap()
        .iter()
        .map(|d| d.major)
        .collect();
    assert_eq!(majors, vec![9, 21, 86, 162, 180, 189, 245, 248]);
    let full: Vec<u32> = denied_char_majors(&text("proc/devices"))
        .unwrap()
        .iter()
        .map(|d| d.major)
        .collect();
    assert!(
        full.contains(&21) && full.contains(&189) && full.contains(&239) && full.contains(&244)
    );
    assert!(
        !full.contains(&13) && !full.contains(&10),
        "input and misc stay open"
    );
}
