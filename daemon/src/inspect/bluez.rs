//! BlueZ bonds: `/var/lib/bluetooth/<adapter>/<device>/info`, one folder per device the PC
//! paired with (a phone, a headset), with its `Name=` and `Class=`. A `[LinkKey]` or
//! `[LongTermKey]` group means the pairing completed; the keys themselves are dropped by
//! [`super::ini`] while reading. The files carry no date: their modification time stands in.

use super::ini;
use super::model::{BluetoothBond, FindingId, SourceReport};
use super::root::Root;
use super::Folder;

const DIR: &str = "/var/lib/bluetooth";

fn is_address(s: &str) -> bool {
    s.len() == 17 && s.split(':').count() == 6
}

/// The source `bluez` and its bonds.
pub fn read(root: &Root, fold: &mut Folder) -> (SourceReport, Vec<BluetoothBond>) {
    let mut src = SourceReport::new("bluez");
    src.paths.push(format!("{DIR}/*/*/info"));
    let mut bonds = Vec::new();
    let Ok(Some(adapters)) = root.list(DIR) else {
        return (src, bonds);
    };
    src.exists = true;
    for adapter in adapters.iter().filter(|a| is_address(a)) {
        let Ok(Some(devices)) = root.list(&format!("{DIR}/{adapter}")) else {
            continue;
        };
        for device in devices.iter().filter(|d| is_address(d)) {
            let path = format!("{DIR}/{adapter}/{device}/info");
            let bytes = match root.read(&path) {
                Ok(Some(b)) => b,
                Ok(None) => continue,
                Err(e) => {
                    src.problems.push(format!("{path}: {e}"));
                    continue;
                }
            };
            let e = ini::parse(&String::from_utf8_lossy(&bytes));
            let modified = root.mtime_us(&path);
            let paired = e.iter().any(|(s, _, _)| {
                s == "LinkKey" || s == "LongTermKey" || s == "PeripheralLongTermKey"
            });
            let bond = BluetoothBond {
                adapter: adapter.clone(),
                device: device.clone(),
                name: ini::get(&e, "General", "Name").map(str::to_string),
                class: ini::get(&e, "General", "Class").map(str::to_string),
                paired,
                modified_us: modified,
            };
            src.record(modified);
            let subject = format!("{} ({device})", bond.name.as_deref().unwrap_or("?"));
            fold.add(
                FindingId::BluetoothPairing,
                "bluez",
                if paired {
                    "bluetooth-bond"
                } else {
                    "bluetooth-known"
                },
                subject,
                modified,
                &path,
            );
            bonds.push(bond);
        }
    }
    (src, bonds)
}
