//! NetworkManager's files: the profiles (`/etc/NetworkManager/system-connections/*`, and in
//! `/run` and `/usr/lib`; keyfile
//! format: id, type, SSID, interface, `ipv4.method=shared`, last activation), its state
//! (`/var/lib/NetworkManager/timestamps`: `uuid=epoch` of each last activation;
//! `seen-bssids`: `uuid=mac,...`), and its leases (`/var/lib/NetworkManager/*.lease`).
//! Secrets (PSKs, passwords) are dropped by [`super::ini`] while reading.

use std::collections::BTreeMap;

use super::ini;
use super::model::{FindingId, NetworkProfile, SourceReport};
use super::root::Root;
use super::Folder;

/// Where profiles live: the administrator's, this boot's (in `/run`), the distribution's.
const PROFILES: [&str; 3] = [
    "/etc/NetworkManager/system-connections",
    "/run/NetworkManager/system-connections",
    "/usr/lib/NetworkManager/system-connections",
];
const STATE: &str = "/var/lib/NetworkManager";

/// The sources `nm-profiles`, `nm-state`, `nm-leases`, and the profiles read.
pub fn read(root: &Root, fold: &mut Folder) -> (Vec<SourceReport>, Vec<NetworkProfile>) {
    let mut profiles_src = SourceReport::new("nm-profiles");
    let mut profiles = Vec::new();
    for dir in PROFILES {
        profiles_src.paths.push(dir.into());
        let names = match root.list(dir) {
            Ok(Some(names)) => names,
            Ok(None) => continue,
            Err(e) => {
                profiles_src.problems.push(format!("{dir}: {e}"));
                continue;
            }
        };
        profiles_src.exists = true;
        for name in names {
            let path = format!("{dir}/{name}");
            match root.read(&path) {
                Ok(Some(bytes)) => {
                    let p = profile(&path, &String::from_utf8_lossy(&bytes));
                    if p.kind.as_deref() == Some("loopback") {
                        continue;
                    }
                    profiles_src.record(p.last_activated_us);
                    profiles.push(p);
                }
                Ok(None) => {}
                Err(e) => profiles_src.problems.push(format!("{path}: {e}")),
            }
        }
    }

    let mut state_src = SourceReport::new("nm-state");
    let timestamps = kv_file(root, &format!("{STATE}/timestamps"), &mut state_src);
    let bssids = kv_file(root, &format!("{STATE}/seen-bssids"), &mut state_src);
    for (uuid, value) in &timestamps {
        let t = value
            .parse::<u64>()
            .ok()
            .filter(|&s| s > 0)
            .and_then(super::dates::secs_us);
        state_src.record(t);
        match profiles
            .iter_mut()
            .find(|p| p.uuid.as_deref() == Some(uuid))
        {
            Some(p) => p.last_activated_us = p.last_activated_us.max(t),
            // A profile activated once and deleted since: still a network the PC joined.
            None => fold.add(
                FindingId::Network,
                "nm-state",
                "nm-deleted-profile",
                uuid.clone(),
                t,
                &format!("{STATE}/timestamps: {uuid}={value}"),
            ),
        }
    }
    for (uuid, value) in &bssids {
        state_src.record(None);
        let list: Vec<String> = value
            .split(',')
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        if let Some(p) = profiles
            .iter_mut()
            .find(|p| p.uuid.as_deref() == Some(uuid))
        {
            p.bssids = list;
        }
    }

    for p in &profiles {
        // The keyfile's own key names: the same in every language.
        let mut subject = p.id.clone().unwrap_or_else(|| "?".into());
        if let Some(kind) = &p.kind {
            subject.push_str(&format!(", type={kind}"));
        }
        if let Some(ssid) = &p.ssid {
            subject.push_str(&format!(", ssid={ssid}"));
        }
        if !p.bssids.is_empty() {
            subject.push_str(&format!(", bssid={}", p.bssids.join(",")));
        }
        fold.add(
            FindingId::Network,
            "nm-profiles",
            "nm-profile",
            subject.clone(),
            p.last_activated_us,
            &p.file,
        );
        if p.ipv4_method.as_deref() == Some("shared") {
            fold.add(
                FindingId::Network,
                "nm-profiles",
                "nm-shared",
                subject,
                p.last_activated_us,
                &p.file,
            );
        }
    }

    let mut leases_src = SourceReport::new("nm-leases");
    leases_src.paths.push(format!("{STATE}/*.lease"));
    if let Ok(Some(names)) = root.list(STATE) {
        for name in names.iter().filter(|n| n.ends_with(".lease")) {
            leases_src.exists = true;
            let path = format!("{STATE}/{name}");
            let t = root.mtime_us(&path);
            let Ok(Some(bytes)) = root.read(&path) else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes);
            // NetworkManager's own DHCP client writes `ADDRESS=...`; the dhclient it can
            // use instead writes dhclient's format.
            let addr = text
                .lines()
                .find_map(|l| l.strip_prefix("ADDRESS="))
                .map(str::to_string)
                .or_else(|| super::dhclient::addresses(&text).into_iter().next());
            leases_src.record(t);
            fold.add(
                FindingId::Network,
                "nm-leases",
                "dhcp-lease-file",
                addr.unwrap_or_else(|| name.clone()),
                t,
                &path,
            );
        }
    }
    (vec![profiles_src, state_src, leases_src], profiles)
}

fn profile(path: &str, text: &str) -> NetworkProfile {
    let e = ini::parse(text);
    let get = |s: &str, k: &str| ini::get(&e, s, k).map(str::to_string);
    let kind = get("connection", "type").map(|t| match t.as_str() {
        "802-11-wireless" => "wifi".to_string(),
        "802-3-ethernet" => "ethernet".to_string(),
        _ => t,
    });
    let ssid = get("wifi", "ssid").or_else(|| get("802-11-wireless", "ssid"));
    let has_secret = e.iter().any(|(s, k, _)| ini::is_secret(s, k));
    NetworkProfile {
        file: path.to_string(),
        id: get("connection", "id"),
        uuid: get("connection", "uuid"),
        kind,
        ssid,
        interface: get("connection", "interface-name"),
        ipv4_method: get("ipv4", "method"),
        last_activated_us: get("connection", "timestamp")
            .and_then(|t| t.parse::<u64>().ok())
            .filter(|&s| s > 0)
            .and_then(super::dates::secs_us),
        bssids: Vec::new(),
        has_secret,
    }
}

/// `key=value` lines of a GLib key file's one group (NetworkManager's state files).
fn kv_file(root: &Root, path: &str, src: &mut SourceReport) -> BTreeMap<String, String> {
    src.paths.push(path.to_string());
    match root.read(path) {
        Ok(Some(bytes)) => {
            src.exists = true;
            ini::parse(&String::from_utf8_lossy(&bytes))
                .into_iter()
                .map(|(_, k, v)| (k, v))
                .collect()
        }
        Ok(None) => BTreeMap::new(),
        Err(e) => {
            src.problems.push(format!("{path}: {e}"));
            BTreeMap::new()
        }
    }
}

#[cfg(test)]
mod tests {
    /// A profile's `timestamp=` is seconds a user may have written: too large for a date, the
    /// profile is still a network the PC knew, with no date (the same overflow the fuzzer
    /// found in the `timestamps` file).
    #[test]
    fn fuzz_profile_timestamp_too_large_is_no_date() {
        let p = super::profile(
            "/etc/NetworkManager/system-connections/x.nmconnection",
            "[connection]\nid=x\ntype=wifi\ntimestamp=18446744073709551615\n",
        );
        assert_eq!(p.id.as_deref(), Some("x"));
        assert_eq!(p.last_activated_us, None);
        let p = super::profile("f", "[connection]\ntimestamp=1700000000\n");
        assert_eq!(p.last_activated_us, Some(1_700_000_000_000_000));
    }
}
