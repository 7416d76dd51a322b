//! ISC dhclient's lease files (`/var/lib/dhcp/dhclient*.leases`, `/var/lib/dhclient/`): each
//! `lease { ... }` block is a DHCP server that answered, with the address it gave, its router
//! and the lease's renew/expire dates (UTC, `renew 2 2023/11/14 22:13:20;`). The renew date
//! dates the lease: it falls half a lease time after the answer.

use super::dates;
use super::model::{FindingId, SourceReport};
use super::root::Root;
use super::Folder;

const DIRS: [&str; 2] = ["/var/lib/dhcp", "/var/lib/dhclient"];

/// One lease block.
#[derive(Debug, Default)]
struct Lease {
    address: Option<String>,
    interface: Option<String>,
    router: Option<String>,
    dates: Vec<u64>,
}

fn leases(text: &str) -> Vec<Lease> {
    let mut out = Vec::new();
    let mut current: Option<Lease> = None;
    for line in text.lines() {
        let line = line.trim().trim_end_matches(';');
        if line.starts_with("lease") && line.ends_with('{') {
            current = Some(Lease::default());
            continue;
        }
        if line == "}" {
            out.extend(current.take());
            continue;
        }
        let Some(l) = current.as_mut() else { continue };
        let mut words = line.split_whitespace();
        match words.next() {
            Some("fixed-address") => l.address = words.next().map(str::to_string),
            Some("interface") => l.interface = words.next().map(|w| w.trim_matches('"').into()),
            Some("option") if words.next() == Some("routers") => {
                l.router = words.next().map(str::to_string)
            }
            Some("renew" | "rebind" | "expire") => {
                let _weekday = words.next();
                if let (Some(d), Some(t)) = (words.next(), words.next()) {
                    l.dates.extend(dates::ymd_hms_utc(d, t));
                }
            }
            _ => {}
        }
    }
    out
}

/// The addresses of every lease in a dhclient lease file (for NetworkManager's copies).
pub fn addresses(text: &str) -> Vec<String> {
    leases(text).into_iter().filter_map(|l| l.address).collect()
}

/// The source `dhclient-leases`.
pub fn read(root: &Root, fold: &mut Folder) -> SourceReport {
    let mut src = SourceReport::new("dhclient-leases");
    for dir in DIRS {
        src.paths.push(format!("{dir}/dhclient*.leases"));
        let Ok(Some(names)) = root.list(dir) else {
            continue;
        };
        for name in names
            .iter()
            .filter(|n| n.starts_with("dhclient") && n.contains(".lease"))
        {
            src.exists = true;
            let path = format!("{dir}/{name}");
            let bytes = match root.read(&path) {
                Ok(Some(b)) => b,
                Ok(None) => continue,
                Err(e) => {
                    src.problems.push(format!("{path}: {e}"));
                    continue;
                }
            };
            for lease in leases(&String::from_utf8_lossy(&bytes)) {
                let first = lease.dates.iter().min().copied();
                src.record(first);
                let mut subject = lease.address.clone().unwrap_or_else(|| "?".into());
                if let Some(i) = &lease.interface {
                    subject = format!("{i} {subject}");
                }
                if let Some(r) = &lease.router {
                    // dhclient's own option name.
                    subject.push_str(&format!(", routers={r}"));
                }
                fold.add(
                    FindingId::Network,
                    "dhclient-leases",
                    "dhcp-lease-file",
                    subject,
                    first,
                    &path,
                );
            }
        }
    }
    src
}
