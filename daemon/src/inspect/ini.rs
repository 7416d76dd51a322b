//! The GLib key-file format NetworkManager and BlueZ write (`[section]`, `key=value`). Keys
//! that hold secrets are dropped while reading, so no later code can print them by mistake.

/// `(section, key, value)` of every line that is not a secret.
pub fn parse(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().to_string();
        if is_secret(&section, &key) {
            out.push((section.clone(), key, String::new()));
            continue;
        }
        out.push((section.clone(), key, value.trim().to_string()));
    }
    out
}

/// Whether a key holds a secret: Wi-Fi PSKs and WEP keys, 802.1X, VPN and modem passwords,
/// PINs, Bluetooth link and long-term keys.
pub fn is_secret(section: &str, key: &str) -> bool {
    let s = section.to_ascii_lowercase();
    let k = key.to_ascii_lowercase();
    s == "vpn-secrets"
        || s == "linkkey"
        || s.contains("longtermkey")
        || s == "identityresolvingkey"
        || s.contains("signaturekey")
        || k.contains("psk")
        || k.contains("password")
        || k.contains("secret")
        || k.contains("wep-key")
        || k == "pin"
        || k.ends_with("-pin")
        || k == "key"
}

/// The value of `section.key`, if present and not a secret.
pub fn get<'a>(
    entries: &'a [(String, String, String)],
    section: &str,
    key: &str,
) -> Option<&'a str> {
    entries
        .iter()
        .find(|(s, k, _)| s == section && k == key)
        .map(|(_, _, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Whether the file had `section.key` (secrets included, their value never kept).
pub fn has(entries: &[(String, String, String)], section: &str, key: &str) -> bool {
    entries.iter().any(|(s, k, _)| s == section && k == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_dropped_while_reading() {
        let e =
            parse("[wifi]\nssid=Office\n[wifi-security]\nkey-mgmt=wpa-psk\npsk=hunter2hunter2\n");
        assert_eq!(get(&e, "wifi", "ssid"), Some("Office"));
        assert_eq!(get(&e, "wifi-security", "psk"), None);
        assert!(has(&e, "wifi-security", "psk"));
        assert!(!format!("{e:?}").contains("hunter2"));
    }
}
