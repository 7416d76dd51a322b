//! One answer per directive question. A question is `found` when any evidence item answers
//! it; `none-found` when at least one source that could have answered exists and was read,
//! with the window those sources cover (`from`/`to`: their earliest and latest record); and
//! `unknown` when no such source exists. "None found" is never "never": traces rotate, a live
//! USB boot leaves none, and root can delete them.

use super::kernel_usb::LooseDisk;
use super::model::{Answer, Boot, Category, Evidence, Finding, FindingId, SourceReport, UsbDevice};
use super::Folder;

/// The sources that can answer each question.
pub fn sources_of(id: FindingId) -> &'static [&'static str] {
    match id {
        FindingId::Internet => &["journal", "apt"],
        FindingId::Network => &[
            "journal",
            "nm-profiles",
            "nm-state",
            "nm-leases",
            "network-config",
            "dhclient-leases",
            "apt",
            "known-hosts",
            "browsers",
            "wtmp",
        ],
        FindingId::PhoneOrNetworkDevice => &["journal"],
        FindingId::UnapprovedStorage => &["journal"],
        // No Bluetooth adapter in the journal's window means no pairing in it either.
        FindingId::BluetoothPairing => &["bluez", "journal"],
        FindingId::UncoveredBoots => &["journal", "wtmp", "machine-record", "tpm"],
    }
}

/// `18d1:4ee7 Google Pixel 7, SerialNumber=29031FDH2000AB, MAC=5a:2b:3c:4d:5e:6f`: the
/// kernel's own field names, so the label reads the same in every language.
pub fn device_label(d: &UsbDevice) -> String {
    let mut head = vec![format!(
        "{}:{}",
        d.vendor_id.as_deref().unwrap_or("????"),
        d.product_id.as_deref().unwrap_or("????")
    )];
    head.extend(d.manufacturer.clone());
    head.extend(d.product.clone());
    let mut parts = vec![head.join(" ")];
    if let Some(s) = &d.serial {
        parts.push(format!("SerialNumber={s}"));
    }
    for n in &d.networks {
        parts.push(format!("MAC={}", n.mac));
    }
    parts.join(", ")
}

/// Evidence items from the journal's devices and boots.
pub fn from_devices(fold: &mut Folder, devices: &[UsbDevice], loose: &[LooseDisk], boots: &[Boot]) {
    let item = |finding, kind: &str, subject: String, count, first, last, example: &str| Evidence {
        finding,
        source: "journal".into(),
        kind: kind.into(),
        subject,
        count,
        first_us: Some(first),
        last_us: Some(last),
        example: example.into(),
    };
    for d in devices {
        let networked = [Category::Phone, Category::NetworkCapable, Category::Radio]
            .into_iter()
            .find(|c| d.capabilities.contains(c));
        if let Some(c) = networked {
            fold.push(item(
                FindingId::PhoneOrNetworkDevice,
                &format!("usb-{}", c.name()),
                device_label(d),
                d.attaches,
                d.first_seen_us,
                d.last_seen_us,
                &d.example,
            ));
        }
        if d.capabilities.contains(&Category::Storage) && d.approved_by.is_none() {
            fold.push(item(
                FindingId::UnapprovedStorage,
                "usb-storage",
                device_label(d),
                d.attaches,
                d.first_seen_us,
                d.last_seen_us,
                &d.example,
            ));
        }
    }
    for disk in loose {
        fold.add(
            FindingId::UnapprovedStorage,
            "journal",
            "removable-disk",
            disk.disk.clone(),
            Some(disk.time_us),
            &disk.line,
        );
    }
    for b in boots.iter().filter(|b| !b.airgapd_started) {
        fold.push(item(
            FindingId::UncoveredBoots,
            "boot-without-airgapd",
            b.boot_id.clone(),
            1,
            b.first_us,
            b.last_us,
            &b.boot_id,
        ));
    }
}

/// How long before a journal boot's first entry its wtmp boot record may be dated: the kernel's
/// first lines carry the boot's start, wtmp the moment systemd-update-utmp ran.
const BOOT_SLACK_US: u64 = 5 * 60 * 1_000_000;

/// Boots wtmp records that no boot in the journal spans: the journal lost them (vacuumed,
/// volatile, another OS writing the same wtmp), so nothing shows airgapd ran.
pub fn boots_not_in_journal(fold: &mut Folder, wtmp_boots: &[u64], boots: &[Boot]) {
    for &t in wtmp_boots {
        let in_journal = boots
            .iter()
            .any(|b| t + BOOT_SLACK_US >= b.first_us && t <= b.last_us);
        if !in_journal {
            fold.add(
                FindingId::UncoveredBoots,
                "wtmp",
                "boot-not-in-journal",
                String::new(),
                Some(t),
                "/var/log/wtmp",
            );
        }
    }
}

/// Whether a source can be relied on for "none found": it exists and was read (a journal
/// journalctl could not read at all says nothing).
fn usable(s: &SourceReport) -> bool {
    s.exists && !(s.records == 0 && s.earliest_us.is_none() && !s.problems.is_empty())
}

/// The findings, in [`FindingId::ALL`] order.
pub fn answer(items: Vec<Evidence>, sources: &[SourceReport]) -> Vec<Finding> {
    FindingId::ALL
        .iter()
        .map(|&id| {
            let names = sources_of(id);
            let (present, missing): (Vec<&SourceReport>, Vec<&SourceReport>) = sources
                .iter()
                .filter(|s| names.contains(&s.name.as_str()))
                .partition(|s| usable(s));
            // An Internet connection is a network connection too.
            let answers = |e: &Evidence| {
                e.finding == id || (id == FindingId::Network && e.finding == FindingId::Internet)
            };
            let evidence: Vec<Evidence> = items.iter().filter(|e| answers(e)).cloned().collect();
            let answer = if !evidence.is_empty() {
                Answer::Found
            } else if !present.is_empty() {
                Answer::NoneFound
            } else {
                Answer::Unknown
            };
            let (from_us, to_us) = if answer == Answer::Unknown {
                (None, None)
            } else {
                (
                    present.iter().filter_map(|s| s.earliest_us).min(),
                    present.iter().filter_map(|s| s.latest_us).max(),
                )
            };
            Finding {
                id,
                answer,
                from_us,
                to_us,
                sources: present.iter().map(|s| s.name.clone()).collect(),
                missing_sources: missing.iter().map(|s| s.name.clone()).collect(),
                incomplete_sources: present
                    .iter()
                    .filter(|s| !s.problems.is_empty())
                    .map(|s| s.name.clone())
                    .collect(),
                evidence,
            }
        })
        .collect()
}
