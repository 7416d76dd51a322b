//! IP networks written as `address/prefix`.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::error::ValueError;

const EXPECTED: &str = r#"an address and prefix length, e.g. "192.168.50.0/24" or "fd00:50::/64""#;

/// An IPv4 or IPv6 network whose host bits are zero.
///
/// Which networks a policy may name (private ranges, not too wide) is a rule of the policy,
/// checked in `check::network`; this type only guarantees a well-formed network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// A network from its address and prefix length; refuses a prefix longer than the address
    /// and an address with host bits set, since either means the writer meant something else.
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Cidr, ValueError> {
        let bits = max_prefix(addr);
        if prefix > bits {
            return Err(ValueError::new(
                format!("/{prefix} is longer than an {} address", family(addr)),
                format!("a prefix length from 0 to {bits}"),
            ));
        }
        let network = Cidr { addr, prefix }.masked();
        if network != addr {
            return Err(ValueError::new(
                format!("\"{addr}/{prefix}\" has host bits set"),
                format!("the network address \"{network}/{prefix}\""),
            ));
        }
        Ok(Cidr { addr, prefix })
    }

    /// The network address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length in bits.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// True if `ip` lies in this network. Families never mix: an IPv4-mapped IPv6 address
    /// (`::ffff:192.168.50.10`) is not in `192.168.50.0/24`; callers that see such addresses
    /// should pass `ip.to_canonical()`.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = mask_u32(self.prefix);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = mask_u128(self.prefix);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }

    /// True if every address of `other` is in `self`.
    pub fn covers(&self, other: &Cidr) -> bool {
        other.prefix >= self.prefix && self.contains(other.addr)
    }

    /// The address with the host bits cleared.
    fn masked(&self) -> IpAddr {
        match self.addr {
            IpAddr::V4(a) => IpAddr::V4((u32::from(a) & mask_u32(self.prefix)).into()),
            IpAddr::V6(a) => IpAddr::V6((u128::from(a) & mask_u128(self.prefix)).into()),
        }
    }
}

fn max_prefix(addr: IpAddr) -> u8 {
    if addr.is_ipv4() {
        32
    } else {
        128
    }
}

fn family(addr: IpAddr) -> &'static str {
    if addr.is_ipv4() {
        "IPv4"
    } else {
        "IPv6"
    }
}

fn mask_u32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask_u128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

impl FromStr for Cidr {
    type Err = ValueError;

    /// Requires the `/prefix`: a bare address in a list of subnets is more likely a peer put in
    /// the wrong list than a one-host LAN.
    fn from_str(text: &str) -> Result<Cidr, ValueError> {
        let not_cidr = || ValueError::new(format!("{text:?} is not a network"), EXPECTED);
        let (addr, prefix) = text.split_once('/').ok_or_else(not_cidr)?;
        let addr: IpAddr = addr.parse().map_err(|_| not_cidr())?;
        // `u8::from_str` would accept "+24"; insist on plain digits.
        if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_cidr());
        }
        let prefix: u8 = prefix.parse().map_err(|_| not_cidr())?;
        Cidr::new(addr, prefix)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> Cidr {
        text.parse().unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn parses_both_families() {
        let v4 = cidr("192.168.50.0/24");
        assert_eq!((v4.addr(), v4.prefix()), (ip("192.168.50.0"), 24));
        assert_eq!(v4.to_string(), "192.168.50.0/24");
        assert_eq!(cidr("FD00:50::/64").to_string(), "fd00:50::/64");
        assert_eq!(cidr("0.0.0.0/0").prefix(), 0);
        assert_eq!(cidr("10.1.2.3/32").prefix(), 32);
    }

    #[test]
    fn refuses_host_bits_and_bad_prefixes() {
        let err = "192.168.50.1/24".parse::<Cidr>().unwrap_err();
        assert_eq!(err.problem, "\"192.168.50.1/24\" has host bits set");
        assert_eq!(err.expected, "the network address \"192.168.50.0/24\"");
        let err = "fd00::1/64".parse::<Cidr>().unwrap_err();
        assert_eq!(err.expected, "the network address \"fd00::/64\"");
        let err = "10.0.0.0/33".parse::<Cidr>().unwrap_err();
        assert_eq!(err.problem, "/33 is longer than an IPv4 address");
        for bad in [
            "10.0.0.0",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "10.0.0/8",
            "x/8",
            "10.0.0.0/8/8",
        ] {
            let err = bad.parse::<Cidr>().unwrap_err();
            assert!(err.problem.contains("is not a network"), "{bad}: {err}");
        }
    }

    #[test]
    fn contains_respects_prefix_and_family() {
        let net = cidr("192.168.50.0/24");
        assert!(net.contains(ip("192.168.50.0")));
        assert!(net.contains(ip("192.168.50.255")));
        assert!(!net.contains(ip("192.168.51.0")));
        assert!(!net.contains(ip("::ffff:192.168.50.10")));
        let odd = cidr("172.16.0.0/12");
        assert!(odd.contains(ip("172.31.255.255")));
        assert!(!odd.contains(ip("172.32.0.0")));
        let v6 = cidr("fd00:50::/64");
        assert!(v6.contains(ip("fd00:50::1234")));
        assert!(!v6.contains(ip("fd00:51::1")));
        assert!(!v6.contains(ip("192.168.50.1")));
        assert!(cidr("0.0.0.0/0").contains(ip("8.8.8.8")));
        assert!(cidr("10.1.2.3/32").contains(ip("10.1.2.3")));
        assert!(!cidr("10.1.2.3/32").contains(ip("10.1.2.4")));
    }

    #[test]
    fn covers_needs_a_longer_prefix_inside() {
        let private = cidr("172.16.0.0/12");
        assert!(private.covers(&cidr("172.20.0.0/16")));
        assert!(private.covers(&private));
        assert!(!private.covers(&cidr("172.0.0.0/8")));
        assert!(!private.covers(&cidr("172.32.0.0/16")));
    }
}
