//! Network configuration outside NetworkManager: ifupdown's `/etc/network/interfaces` (and
//! `interfaces.d/`), systemd-networkd's `*.network` files, netplan's YAML. A configured
//! interface is not a connection, but it shows the machine was set up to join a network; the
//! loopback interface is left out.

use super::model::{FindingId, SourceReport};
use super::root::Root;
use super::Folder;

const IFUPDOWN: &str = "/etc/network/interfaces";
const IFUPDOWN_D: &str = "/etc/network/interfaces.d";
const NETWORKD: [&str; 2] = ["/etc/systemd/network", "/run/systemd/network"];
const NETPLAN: &str = "/etc/netplan";

/// `iface eth0 inet dhcp` lines, loopback left out.
fn ifaces(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.len() >= 4 && w[0] == "iface" && w[1] != "lo" && w[3] != "loopback")
                .then(|| w[1..4].join(" "))
        })
        .collect()
}

/// The source `network-config`.
pub fn read(root: &Root, fold: &mut Folder) -> SourceReport {
    let mut src = SourceReport::new("network-config");
    src.paths = vec![
        IFUPDOWN.into(),
        format!("{IFUPDOWN_D}/*"),
        "/etc/systemd/network/*.network".into(),
        "/run/systemd/network/*.network".into(),
        format!("{NETPLAN}/*.yaml"),
    ];
    let mut files = vec![IFUPDOWN.to_string()];
    if let Ok(Some(names)) = root.list(IFUPDOWN_D) {
        files.extend(names.into_iter().map(|n| format!("{IFUPDOWN_D}/{n}")));
    }
    for path in files {
        let Ok(Some(bytes)) = root.read(&path) else {
            continue;
        };
        src.exists = true;
        let t = root.mtime_us(&path);
        for iface in ifaces(&String::from_utf8_lossy(&bytes)) {
            src.record(t);
            fold.add(
                FindingId::Network,
                "network-config",
                "interface-configured",
                iface,
                t,
                &path,
            );
        }
    }
    for dir in NETWORKD {
        let Ok(Some(names)) = root.list(dir) else {
            continue;
        };
        src.exists = true;
        for name in names.iter().filter(|n| n.ends_with(".network")) {
            let path = format!("{dir}/{name}");
            let t = root.mtime_us(&path);
            src.record(t);
            fold.add(
                FindingId::Network,
                "network-config",
                "interface-configured",
                name.clone(),
                t,
                &path,
            );
        }
    }
    if let Ok(Some(names)) = root.list(NETPLAN) {
        src.exists = true;
        for name in names
            .iter()
            .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
        {
            let path = format!("{NETPLAN}/{name}");
            // Ubuntu's `renderer: NetworkManager` file configures nothing by itself.
            let bytes = root.read(&path).ok().flatten().unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            if !["ethernets:", "wifis:", "modems:"]
                .iter()
                .any(|k| text.contains(k))
            {
                continue;
            }
            let t = root.mtime_us(&path);
            src.record(t);
            fold.add(
                FindingId::Network,
                "network-config",
                "interface-configured",
                name.clone(),
                t,
                &path,
            );
        }
    }
    src
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_not_a_network() {
        let text = "auto lo\niface lo inet loopback\n\nallow-hotplug eth0\niface eth0 inet dhcp # office\n";
        assert_eq!(ifaces(text), vec!["eth0 inet dhcp".to_string()]);
    }
}
