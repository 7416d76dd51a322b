//! USB devices from the kernel's journal lines. The kernel announces each attach (`usb 1-2:
//! new high-speed USB device number 5 using xhci_hcd`), its ids and strings (`New USB device
//! found, idVendor=...`, `Product:`, `Manufacturer:`, `SerialNumber:`), the drivers that bind
//! to its interfaces (`rndis_host 1-2:1.0 usb0: register 'rndis_host' at ..., <MAC>`,
//! `usb-storage 1-2:1.0: ...`, `sd 2:0:0:0: [sdb] Attached SCSI removable disk`) and each detach
//! (`USB disconnect, device number 5`). Lines are tied together per boot by port, between an
//! attach and its detach (device numbers and ports are reused, so neither is an identity); the
//! sessions of one identity (ids, strings, serial) become one [`UsbDevice`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::categories;
use super::journal::Entry;
use super::model::{Category, UsbDevice, UsbNet};

/// A removable disk the kernel attached that no USB device could be tied to.
#[derive(Debug, Clone)]
pub struct LooseDisk {
    /// When.
    pub time_us: u64,
    /// `sdb`.
    pub disk: String,
    /// The kernel line.
    pub line: String,
}

/// One attach of a device, until its detach.
#[derive(Debug, Clone, Default)]
struct Session {
    port: String,
    first_us: u64,
    last_us: u64,
    vendor_id: Option<String>,
    product_id: Option<String>,
    manufacturer: Option<String>,
    product: Option<String>,
    serial: Option<String>,
    drivers: BTreeSet<String>,
    networks: BTreeSet<UsbNet>,
    disks: BTreeSet<String>,
    capabilities: BTreeSet<Category>,
    /// The line that best shows what it is (a `register` line, else its ids).
    example: String,
}

#[derive(Debug, Default)]
struct BootState {
    open: HashMap<String, Session>,
    /// SCSI host number → USB port (from `scsi hostN: usb-storage 1-2:1.0`).
    scsi_hosts: HashMap<String, String>,
}

/// Reads kernel lines, one at a time, and assembles devices.
#[derive(Debug, Default)]
pub struct UsbTraces {
    boots: HashMap<String, BootState>,
    done: Vec<Session>,
    loose_disks: Vec<LooseDisk>,
    /// Kernel lines read.
    pub lines: u64,
}

/// `1-2`, `3-1.4.2`: a USB port path (bus-port[.port...]).
fn is_port(s: &str) -> bool {
    let Some((bus, ports)) = s.split_once('-') else {
        return false;
    };
    !bus.is_empty()
        && bus.bytes().all(|b| b.is_ascii_digit())
        && !ports.is_empty()
        && ports
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn after<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.find(key).map(|i| &text[i + key.len()..])
}

fn hex_field(text: &str, key: &str) -> Option<String> {
    let v = after(text, key)?;
    let v: String = v.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    (v.len() == 4).then(|| v.to_ascii_lowercase())
}

/// `5a:2b:3c:4d:5e:6f`
fn is_mac(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl UsbTraces {
    /// Take one journal entry; only kernel lines matter.
    pub fn feed(&mut self, entry: &Entry) {
        if !entry.kernel {
            return;
        }
        self.lines += 1;
        let msg = entry.message.trim_end();
        let Some((head, rest)) = msg.split_once(": ") else {
            return;
        };
        let mut words = head.split(' ');
        let driver = words.next().unwrap_or("");
        let dev = words.next().unwrap_or("");
        let netdev = words.next();
        let state = self.boots.entry(entry.boot_id.clone()).or_default();
        let t = entry.time_us;

        // `scsi host2: usb-storage 1-2:1.0`; UAS says only `scsi host2: uas`, right after
        // its device enumerated: the latest attach of the boot is taken to be it.
        if driver == "scsi" {
            if let Some(host) = dev.strip_prefix("host") {
                let port = match rest.split_once(' ') {
                    Some(("usb-storage" | "uas", iface)) => {
                        Some(iface.split(':').next().unwrap_or("").to_string())
                    }
                    None if rest == "uas" => state
                        .open
                        .values()
                        .max_by_key(|s| s.first_us)
                        .map(|s| s.port.clone()),
                    _ => None,
                };
                if let Some(port) = port.filter(|p| is_port(p)) {
                    if let Some(s) = state.open.get_mut(&port) {
                        s.capabilities.insert(Category::Storage);
                        if rest == "uas" {
                            s.drivers.insert("uas".into());
                        }
                    }
                    state.scsi_hosts.insert(host.to_string(), port);
                }
            }
            return;
        }
        // `sd 2:0:0:0: [sdb] Attached SCSI removable disk`; a USB disk that says it is not
        // removable (many SSD enclosures) prints `Attached SCSI disk`, and counts when its
        // SCSI host is a USB one.
        let removable = rest.contains("Attached SCSI removable disk");
        if driver == "sd" && (removable || rest.contains("Attached SCSI disk")) {
            let disk = rest
                .strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .map_or("", |(d, _)| d)
                .to_string();
            let host = dev.split(':').next().unwrap_or("");
            let session = state
                .scsi_hosts
                .get(host)
                .and_then(|port| state.open.get_mut(port));
            match session {
                Some(s) => {
                    s.last_us = s.last_us.max(t);
                    s.disks.insert(disk);
                    s.capabilities.insert(Category::Storage);
                }
                // An internal disk: not evidence of anything.
                None if !removable => {}
                None => self.loose_disks.push(LooseDisk {
                    time_us: t,
                    disk,
                    line: msg.to_string(),
                }),
            }
            return;
        }
        // `uvcvideo: Found UVC 1.00 device HD Webcam (046d:0825)` (older kernels, no port)
        if rest.starts_with("Found UVC") || msg.starts_with("uvcvideo: Found UVC") {
            if let Some(ids) = msg.rsplit_once('(').and_then(|(_, i)| i.strip_suffix(')')) {
                if let Some((v, p)) = ids.split_once(':') {
                    if let Some(s) = latest_with(state, v, p) {
                        s.capabilities.insert(Category::CameraOrMicrophone);
                        s.drivers.insert("uvcvideo".into());
                    }
                }
            }
            if !is_port(dev.split(':').next().unwrap_or("")) {
                return;
            }
        }
        // `hid-generic 0003:046D:C52B.0001: input,hidraw0: USB HID v1.11 Mouse [...]`
        if driver.starts_with("hid-") || driver == "usbhid" {
            let mut ids = dev.split(['.', ':']);
            if let (Some("0003"), Some(v), Some(p)) = (ids.next(), ids.next(), ids.next()) {
                if let Some(s) = latest_with(state, v, p) {
                    s.capabilities.insert(Category::Input);
                    s.drivers.insert(driver.to_string());
                }
            }
            return;
        }

        let port = dev.split(':').next().unwrap_or("");
        if !is_port(port) {
            return;
        }
        if driver == "usb" {
            self.usb_line(entry, port, rest);
            return;
        }
        // An interface driver's line: `<driver> 1-2:1.0[ netdev]: ...`.
        let state = self.boots.get_mut(&entry.boot_id).expect("inserted above");
        let Some(s) = state.open.get_mut(port) else {
            return;
        };
        s.last_us = s.last_us.max(t);
        if dev.contains(':') {
            s.drivers.insert(driver.to_string());
        }
        s.capabilities.extend(categories::of_driver(driver));
        if driver == "ipheth" {
            // iPhone USB Ethernet: a phone that is also a network interface.
            s.capabilities.insert(Category::NetworkCapable);
        }
        if let Some(reg) = rest.strip_prefix("register '") {
            // `register 'rndis_host' at usb-0000:00:14.0-2, RNDIS device, 5a:2b:3c:4d:5e:6f`
            let mac = reg.rsplit(", ").next().unwrap_or("").trim();
            let reg_driver = reg.split('\'').next().unwrap_or(driver);
            s.capabilities.insert(Category::NetworkCapable);
            if is_mac(mac) {
                s.networks.insert(UsbNet {
                    driver: reg_driver.to_string(),
                    interface: netdev.unwrap_or("").to_string(),
                    mac: mac.to_ascii_lowercase(),
                });
            }
            s.example = msg.to_string();
        }
    }

    fn usb_line(&mut self, entry: &Entry, port: &str, rest: &str) {
        let t = entry.time_us;
        let state = self
            .boots
            .get_mut(&entry.boot_id)
            .expect("inserted by feed");
        if rest.starts_with("new ") && rest.contains("USB device number") {
            let fresh = Session {
                port: port.to_string(),
                first_us: t,
                last_us: t,
                ..Session::default()
            };
            // An attach without a detach before it: the earlier one ended unseen.
            if let Some(old) = state.open.insert(port.to_string(), fresh) {
                self.done.push(old);
            }
            return;
        }
        if rest.starts_with("USB disconnect") {
            if let Some(mut s) = state.open.remove(port) {
                s.last_us = s.last_us.max(t);
                self.done.push(s);
            }
            return;
        }
        let Some(s) = state.open.get_mut(port) else {
            return;
        };
        s.last_us = s.last_us.max(t);
        if rest.starts_with("New USB device found") {
            s.vendor_id = hex_field(rest, "idVendor=");
            s.product_id = hex_field(rest, "idProduct=");
            if s.example.is_empty() {
                s.example = format!("usb {port}: {rest}");
            }
        } else if let Some(v) = rest.strip_prefix("Product: ") {
            s.product = Some(v.trim().to_string());
        } else if let Some(v) = rest.strip_prefix("Manufacturer: ") {
            s.manufacturer = Some(v.trim().to_string());
        } else if let Some(v) = rest.strip_prefix("SerialNumber: ") {
            s.serial = Some(v.trim().to_string());
        }
    }

    /// The devices, one per identity, and the removable disks tied to none.
    pub fn finish(mut self) -> (Vec<UsbDevice>, Vec<LooseDisk>) {
        for (_, state) in self.boots.drain() {
            self.done.extend(state.open.into_values());
        }
        let mut by_identity: BTreeMap<String, UsbDevice> = BTreeMap::new();
        self.done.sort_by_key(|s| s.first_us);
        for s in self.done {
            // Root hubs and half-enumerated attaches say nothing about a device.
            if s.vendor_id.is_none() && s.capabilities.is_empty() {
                continue;
            }
            let mut caps = s.capabilities.clone();
            caps.extend(categories::of_identity(
                s.vendor_id.as_deref(),
                s.product_id.as_deref(),
                s.manufacturer.as_deref(),
                s.product.as_deref(),
                &s.capabilities,
            ));
            let key = identity_key(&s);
            let d = by_identity.entry(key).or_insert_with(|| UsbDevice {
                vendor_id: s.vendor_id.clone(),
                product_id: s.product_id.clone(),
                manufacturer: s.manufacturer.clone(),
                product: s.product.clone(),
                serial: s.serial.clone(),
                category: Category::Other,
                capabilities: BTreeSet::new(),
                first_seen_us: s.first_us,
                last_seen_us: s.last_us,
                attaches: 0,
                ports: BTreeSet::new(),
                drivers: BTreeSet::new(),
                networks: BTreeSet::new(),
                disks: BTreeSet::new(),
                approved_by: None,
                example: String::new(),
            });
            d.attaches += 1;
            d.first_seen_us = d.first_seen_us.min(s.first_us);
            d.last_seen_us = d.last_seen_us.max(s.last_us);
            d.capabilities.extend(caps);
            d.ports.insert(s.port);
            d.drivers.extend(s.drivers);
            d.networks.extend(s.networks);
            d.disks.extend(s.disks);
            // A register line says more than an ids line; keep the most telling one.
            if d.example.is_empty() || s.example.contains("register '") {
                d.example = s.example;
            }
        }
        let mut devices: Vec<UsbDevice> = by_identity.into_values().collect();
        for d in &mut devices {
            d.category = d.capabilities.first().copied().unwrap_or(Category::Other);
        }
        devices.sort_by_key(|d| d.first_seen_us);
        (devices, self.loose_disks)
    }
}

/// The open session of this boot with these ids, most recent first.
fn latest_with<'a>(
    state: &'a mut BootState,
    vendor: &str,
    product: &str,
) -> Option<&'a mut Session> {
    let (v, p) = (vendor.to_ascii_lowercase(), product.to_ascii_lowercase());
    let v = v.trim_start_matches('0');
    let p = p.trim_start_matches('0');
    state
        .open
        .values_mut()
        .filter(|s| {
            s.vendor_id.as_deref().map(|x| x.trim_start_matches('0')) == Some(v)
                && s.product_id.as_deref().map(|x| x.trim_start_matches('0')) == Some(p)
        })
        .max_by_key(|s| s.first_us)
}

/// What makes two attaches the same device: ids and serial, or ids and strings without one.
fn identity_key(s: &Session) -> String {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    match &s.serial {
        Some(serial) => format!("{}:{}:serial:{serial}", o(&s.vendor_id), o(&s.product_id)),
        None => format!(
            "{}:{}:strings:{}\u{1f}{}",
            o(&s.vendor_id),
            o(&s.product_id),
            o(&s.manufacturer),
            o(&s.product)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(lines: &[&str]) -> (Vec<UsbDevice>, Vec<LooseDisk>) {
        let mut traces = UsbTraces::default();
        for (i, line) in lines.iter().enumerate() {
            traces.feed(&Entry {
                time_us: 1_000_000 * (i as u64 + 1),
                boot_id: "b".into(),
                kernel: true,
                identifier: "kernel".into(),
                message_id: String::new(),
                record_seq: None,
                record_chain: String::new(),
                message: (*line).into(),
            });
        }
        traces.finish()
    }

    #[test]
    fn uas_ssd_enclosures_and_internal_disks() {
        let (devices, loose) = feed(&[
            "sd 0:0:0:0: [sda] Attached SCSI disk",
            "usb 2-1: new SuperSpeed USB device number 2 using xhci_hcd",
            "usb 2-1: New USB device found, idVendor=174c, idProduct=55aa, bcdDevice= 1.00",
            "usb 2-1: SerialNumber: SSD0001",
            "scsi host4: uas",
            "sd 4:0:0:0: [sdb] Attached SCSI disk",
            "usb 2-1: USB disconnect, device number 2",
        ]);
        // The internal sda is no evidence; the UAS SSD is storage with its disk.
        assert!(loose.is_empty(), "{loose:?}");
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].category, Category::Storage);
        assert!(devices[0].disks.contains("sdb"));
        assert!(devices[0].drivers.contains("uas"));
    }

    #[test]
    fn an_iphone_tethering_is_a_phone_with_a_network() {
        let (devices, _) = feed(&[
            "usb 1-4: new high-speed USB device number 9 using xhci_hcd",
            "usb 1-4: New USB device found, idVendor=05ac, idProduct=12a8, bcdDevice=15.02",
            "usb 1-4: Product: iPhone",
            "ipheth 1-4:4.2: Apple iPhone USB Ethernet device attached",
            "usb 1-4: USB disconnect, device number 9",
            // The same port, another device: a keyboard.
            "usb 1-4: new full-speed USB device number 10 using xhci_hcd",
            "usb 1-4: New USB device found, idVendor=046d, idProduct=c31c, bcdDevice=64.02",
            "hid-generic 0003:046D:C31C.0004: input,hidraw0: USB HID v1.10 Keyboard [Logitech USB Keyboard] on usb-0000:00:14.0-4/input0",
        ]);
        assert_eq!(devices.len(), 2);
        assert_eq!(devices[0].category, Category::Phone);
        assert!(devices[0].capabilities.contains(&Category::NetworkCapable));
        assert_eq!(devices[1].category, Category::Input);
    }
}
