//! Network evidence in the journal: what NetworkManager, systemd-networkd, dhclient/dhcpcd
//! and systemd-timesyncd wrote when the machine joined a network. NetworkManager's
//! `CONNECTED_GLOBAL` means its own Internet check succeeded; a time server with a public
//! address answering means the same. A lease or a link with a carrier means a network.

use std::net::IpAddr;

use super::journal::Entry;
use super::model::FindingId;
use super::Folder;

/// The source name these items carry.
const SOURCE: &str = "journal";

/// Whether `addr` is reachable only through the Internet (not private, loopback, link-local).
pub fn is_public(addr: &IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => {
            !(a.is_private()
                || a.is_loopback()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_broadcast()
                || a.is_documentation()
                || a.octets()[0] >= 224)
        }
        IpAddr::V6(a) => (a.segments()[0] & 0xe000) == 0x2000,
    }
}

/// `wlan0` from `device (wlan0): ...` or `dhcp4 (wlan0): ...`.
fn paren_word(text: &str) -> Option<&str> {
    let (_, rest) = text.split_once('(')?;
    rest.split_once(')').map(|(w, _)| w)
}

fn word_after<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let i = text.find(key)?;
    text[i + key.len()..]
        .split([' ', ',', ';'])
        .find(|w| !w.is_empty())
}

/// Classify one entry; network lines become evidence in `fold`.
pub fn feed(fold: &mut Folder, e: &Entry) {
    let m = e.message.as_str();
    let t = Some(e.time_us);
    let mut add = |finding, kind: &str, subject: String| {
        fold.add(finding, SOURCE, kind, subject, t, m);
    };
    match e.identifier.as_str() {
        "NetworkManager" => {
            if m.contains("NetworkManager state is now CONNECTED_GLOBAL") {
                add(
                    FindingId::Internet,
                    "nm-connected-global",
                    "NetworkManager".into(),
                );
            } else if let Some(state) = word_after(m, "NetworkManager state is now CONNECTED_") {
                add(
                    FindingId::Network,
                    "nm-connected",
                    format!("CONNECTED_{state}"),
                );
            } else if m.contains("Activation: successful") {
                let dev = paren_word(m).unwrap_or("?");
                add(FindingId::Network, "nm-activated", dev.to_string());
            } else if (m.contains("dhcp4 (") || m.contains("dhcp6 (")) && m.contains("new lease") {
                let dev = paren_word(m).unwrap_or("?");
                let addr = word_after(m, "address=").unwrap_or("");
                add(
                    FindingId::Network,
                    "dhcp-lease",
                    format!("{dev} {addr}").trim().into(),
                );
            }
        }
        "systemd-networkd" => {
            if let Some(addr) = word_after(m, "DHCPv4 address ") {
                let dev = m.split(':').next().unwrap_or("?");
                add(FindingId::Network, "dhcp-lease", format!("{dev} {addr}"));
            } else if m.ends_with("Gained carrier") {
                let dev = m.split(':').next().unwrap_or("?");
                add(FindingId::Network, "link-carrier", dev.to_string());
            }
        }
        "dhclient" | "dhcpcd" => {
            let addr = word_after(m, "DHCPACK of ")
                .or_else(|| word_after(m, "bound to "))
                .or_else(|| word_after(m, "leased "));
            if let Some(addr) = addr {
                add(FindingId::Network, "dhcp-lease", addr.to_string());
            }
        }
        "systemd-timesyncd" => {
            let server = word_after(m, "Contacted time server ")
                .or_else(|| word_after(m, "Initial synchronization to time server "));
            if let Some(server) = server {
                let host = server.rsplit_once(':').map_or(server, |(h, _)| h);
                let host = host.trim_start_matches('[').trim_end_matches(']');
                let name = paren_word(m).unwrap_or("");
                let subject = format!("{server} {name}").trim().to_string();
                match host.parse::<IpAddr>() {
                    Ok(ip) if is_public(&ip) => add(FindingId::Internet, "ntp-server", subject),
                    _ => add(FindingId::Network, "ntp-server", subject),
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(identifier: &str, message: &str) -> Vec<(FindingId, String, String)> {
        let mut fold = Folder::default();
        feed(
            &mut fold,
            &Entry {
                time_us: 1,
                boot_id: "b".into(),
                kernel: false,
                identifier: identifier.into(),
                message_id: String::new(),
                record_seq: None,
                record_chain: String::new(),
                message: message.into(),
            },
        );
        fold.into_items()
            .into_iter()
            .map(|e| (e.finding, e.kind, e.subject))
            .collect()
    }

    #[test]
    fn network_daemons_lines() {
        assert_eq!(
            classify(
                "systemd-networkd",
                "eth0: DHCPv4 address 10.1.2.3/24, gateway 10.1.2.1 acquired from 10.1.2.1"
            ),
            vec![(
                FindingId::Network,
                "dhcp-lease".into(),
                "eth0 10.1.2.3/24".into()
            )]
        );
        assert_eq!(
            classify("systemd-networkd", "enp3s0: Gained carrier"),
            vec![(FindingId::Network, "link-carrier".into(), "enp3s0".into())]
        );
        // A time server on the LAN is a network, not the Internet.
        assert_eq!(
            classify(
                "systemd-timesyncd",
                "Initial synchronization to time server 192.168.1.1:123 (ntp.office.lan)."
            ),
            vec![(
                FindingId::Network,
                "ntp-server".into(),
                "192.168.1.1:123 ntp.office.lan".into()
            )]
        );
        assert_eq!(
            classify("NetworkManager", "<info>  [1700000000.1] dhcp4 (wlp2s0): state changed new lease, address=192.168.43.5"),
            vec![(FindingId::Network, "dhcp-lease".into(), "wlp2s0 192.168.43.5".into())]
        );
        assert_eq!(
            classify(
                "NetworkManager",
                "<info>  [1700000000.1] device (wlp2s0): Activation: successful, device activated."
            ),
            vec![(FindingId::Network, "nm-activated".into(), "wlp2s0".into())]
        );
        assert!(classify(
            "NetworkManager",
            "<info>  [1700000000.1] manager: NetworkManager state is now DISCONNECTED"
        )
        .is_empty());
        assert!(classify("sshd", "Accepted publickey for root").is_empty());
    }
}
