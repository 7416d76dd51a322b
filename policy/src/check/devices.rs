//! `[devices]` rules.

use super::Checker;
use crate::model::{Devices, LoopDevices};
use crate::raw::RawDevices;
use crate::value::BlockDevice;

const LOOP_CHOICES: [(&str, LoopDevices); 2] = [
    ("internal", LoopDevices::Internal),
    ("removable", LoopDevices::Removable),
];

pub(super) fn check(c: &mut Checker<'_>, raw: &RawDevices) -> Devices {
    let loop_devices = raw
        .loop_devices
        .as_ref()
        .and_then(|value| c.choice("devices.loop", value, &LOOP_CHOICES))
        .unwrap_or(LoopDevices::Internal);
    let internal = raw
        .internal
        .iter()
        .flat_map(|list| list.get_ref())
        .enumerate()
        .filter_map(|(i, device)| {
            c.parse(
                &format!("devices.internal[{i}]"),
                device,
                str::parse::<BlockDevice>,
            )
        })
        .collect();
    Devices {
        loop_devices,
        internal,
    }
}
