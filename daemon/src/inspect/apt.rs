//! apt's traces (Internet indicators): `/var/lib/apt/lists/<host>_..._InRelease` are the
//! package indexes apt downloaded, named after the host they came from; the signed `Date:`
//! inside dates the download (a lower bound). A public host is the Internet (a local mirror
//! has a local name or a private address). `/var/log/apt/history.log` dates each run of apt
//! (compressed rotations are not read, and said so); `/var/cache/apt/archives/*.deb` are
//! packages downloaded and not yet cleaned.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::dates;
use super::model::{FindingId, SourceReport};
use super::netlog::is_public;
use super::root::Root;
use super::Folder;

const LISTS: &str = "/var/lib/apt/lists";
const HISTORY: &str = "/var/log/apt";
const ARCHIVES: &str = "/var/cache/apt/archives";

/// Whether a repository host is reached through the Internet: a public address, or a
/// dotted name outside the private name spaces.
pub fn is_internet_host(host: &str) -> bool {
    let bare = host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    if let Ok(ip) = bare.trim_matches(['[', ']']).parse::<IpAddr>() {
        return is_public(&ip);
    }
    let lower = bare.to_ascii_lowercase();
    const LOCAL: [&str; 6] = [
        ".local",
        ".lan",
        ".internal",
        ".home.arpa",
        ".localdomain",
        ".intranet",
    ];
    lower.contains('.') && !LOCAL.iter().any(|s| lower.ends_with(s)) && lower != "localhost"
}

/// The source `apt`.
pub fn read(root: &Root, fold: &mut Folder) -> SourceReport {
    let mut src = SourceReport::new("apt");
    src.paths = vec![
        format!("{LISTS}/*_InRelease"),
        format!("{HISTORY}/history.log"),
        format!("{ARCHIVES}/*.deb"),
    ];
    if let Ok(Some(names)) = root.list(LISTS) {
        src.exists = true;
        let mut hosts: BTreeMap<String, Vec<(Option<u64>, String)>> = BTreeMap::new();
        for name in names
            .iter()
            .filter(|n| n.ends_with("_InRelease") || n.ends_with("_Release"))
        {
            // `file:` and `cdrom:` sources have no host: their names start with `_`.
            let host = name.split('_').next().unwrap_or("");
            if host.is_empty() {
                continue;
            }
            let host = host.replace("%3a", ":").replace("%5f", "_");
            let path = format!("{LISTS}/{name}");
            let date = root
                .read(&path)
                .ok()
                .flatten()
                .and_then(|b| release_date(&String::from_utf8_lossy(&b)));
            src.record(date);
            hosts.entry(host).or_default().push((date, path));
        }
        for (host, files) in hosts {
            let finding = if is_internet_host(&host) {
                FindingId::Internet
            } else {
                FindingId::Network
            };
            for (date, path) in files {
                fold.add(finding, "apt", "apt-source", host.clone(), date, &path);
            }
        }
    }
    if let Ok(Some(names)) = root.list(HISTORY) {
        src.exists = true;
        for name in names.iter().filter(|n| n.starts_with("history.log")) {
            let path = format!("{HISTORY}/{name}");
            if name.ends_with(".gz") || name.ends_with(".xz") {
                src.problems.push(format!(
                    "{path}: compressed, not read (decompress a copy to read it)"
                ));
                continue;
            }
            if let Ok(Some(bytes)) = root.read(&path) {
                for line in String::from_utf8_lossy(&bytes).lines() {
                    if let Some(rest) = line.strip_prefix("Start-Date:") {
                        let mut w = rest.split_whitespace();
                        if let (Some(d), Some(t)) = (w.next(), w.next()) {
                            src.record(dates::local_ymd_hms(d, t));
                        }
                    }
                }
            }
        }
    }
    if let Ok(Some(names)) = root.list(ARCHIVES) {
        src.exists = true;
        for name in names.iter().filter(|n| n.ends_with(".deb")) {
            src.record(root.mtime_us(&format!("{ARCHIVES}/{name}")));
        }
    }
    src
}

/// The `Date:` of a Release/InRelease file (its signed header).
fn release_date(text: &str) -> Option<u64> {
    text.lines()
        .take(64)
        .find_map(|l| l.strip_prefix("Date:"))
        .and_then(|d| dates::rfc2822(d.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_mirrors_are_the_internet() {
        assert!(is_internet_host("deb.debian.org"));
        // Documentation addresses are not routed on the Internet.
        assert!(!is_internet_host("203.0.113.1"));
        assert!(is_internet_host("8.8.8.8"));
        assert!(!is_internet_host("10.0.0.5"));
        assert!(!is_internet_host("mirror"));
        assert!(!is_internet_host("mirror.office.lan"));
        assert!(!is_internet_host("192.168.1.2:3142"));
    }
}
