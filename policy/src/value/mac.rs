//! Ethernet MAC addresses of the interfaces an isolated LAN may use.

use std::fmt;
use std::str::FromStr;

use crate::error::ValueError;

const EXPECTED: &str = r#"six colon-separated pairs of hex digits, e.g. "52:54:00:12:34:56""#;

/// A unicast Ethernet address. Prints as lowercase `aa:bb:cc:dd:ee:ff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// The six octets.
    pub fn octets(&self) -> [u8; 6] {
        self.0
    }
}

impl FromStr for MacAddr {
    type Err = ValueError;

    /// Accepts only the colon form `ip link` prints, in either case. Refuses multicast and
    /// all-zero addresses: no real interface has them, so one in a policy is a typo.
    fn from_str(text: &str) -> Result<Self, ValueError> {
        let not_mac = || ValueError::new(format!("{text:?} is not a MAC address"), EXPECTED);
        let mut octets = [0u8; 6];
        let mut parts = text.split(':');
        for octet in &mut octets {
            let part = parts.next().ok_or_else(not_mac)?;
            if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(not_mac());
            }
            *octet = u8::from_str_radix(part, 16).map_err(|_| not_mac())?;
        }
        if parts.next().is_some() {
            return Err(not_mac());
        }
        if octets[0] & 1 == 1 {
            return Err(ValueError::new(
                format!("{text:?} is a multicast address, which no interface owns"),
                "the unicast address of the LAN interface, as `ip link` shows it",
            ));
        }
        if octets == [0; 6] {
            return Err(ValueError::new(
                format!("{text:?} is the all-zero address, which no interface owns"),
                "the address of the LAN interface, as `ip link` shows it",
            ));
        }
        Ok(MacAddr(octets))
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises_to_lowercase() {
        let mac: MacAddr = "52:54:00:AB:cD:56".parse().unwrap();
        assert_eq!(mac.octets(), [0x52, 0x54, 0x00, 0xab, 0xcd, 0x56]);
        assert_eq!(mac.to_string(), "52:54:00:ab:cd:56");
    }

    #[test]
    fn refuses_other_spellings() {
        for bad in [
            "",
            "52:54:00:12:34",
            "52:54:00:12:34:56:78",
            "52-54-00-12-34-56",
            "525400123456",
            "52:54:00:12:34:5",
            "52:54:00:12:34:5g",
            "52:54:00:12:34:56:",
        ] {
            let err = bad.parse::<MacAddr>().unwrap_err();
            assert!(err.problem.contains("is not a MAC address"), "{bad}: {err}");
        }
    }

    #[test]
    fn refuses_multicast_and_zero() {
        let err = "01:00:5e:00:00:01".parse::<MacAddr>().unwrap_err();
        assert!(err.problem.contains("multicast"), "{err}");
        let err = "ff:ff:ff:ff:ff:ff".parse::<MacAddr>().unwrap_err();
        assert!(err.problem.contains("multicast"), "{err}");
        let err = "00:00:00:00:00:00".parse::<MacAddr>().unwrap_err();
        assert!(err.problem.contains("all-zero"), "{err}");
    }
}
