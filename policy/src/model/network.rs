//! `[network]`: whether the machine may talk to anything, and if so to which isolated LAN.

use std::fmt;
use std::net::IpAddr;

use crate::value::{Cidr, MacAddr};

/// The network stance of the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// Standalone or on an independent LAN.
    pub profile: Profile,
    /// True: 127.0.0.0/8 and ::1 may be used (many programs need it). False: no AF_INET or
    /// AF_INET6 socket at all, except towards the LANs below.
    pub loopback: bool,
    /// The LANs allowed; non-empty exactly when `profile` is [`Profile::IsolatedLan`].
    pub lan: Vec<Lan>,
}

/// How connected the machine may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// No network but (optionally) loopback: the default, and what law 29/2018 art. 5 cl. 5
    /// expects of a drafting machine.
    Standalone,
    /// An "independent LAN" in the sense of law 117/2025: the listed subnets on the listed
    /// interfaces, nothing else.
    IsolatedLan,
}

impl Profile {
    /// The spelling used in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Standalone => "standalone",
            Profile::IsolatedLan => "isolated-lan",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One independent LAN the machine may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lan {
    /// Human name, for logs and violation reports.
    pub name: String,
    /// The interface the LAN is reached through.
    pub interface_mac: MacAddr,
    /// The LAN's networks: private, at most /16 (IPv4) or /48 (IPv6) wide.
    pub subnets: Vec<Cidr>,
    /// If non-empty, the only hosts of the LAN the machine may reach; each lies in `subnets`.
    pub peers: Vec<IpAddr>,
}

impl Lan {
    /// True if `ip` is in one of this LAN's subnets and, when peers are listed, is one of them.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.subnets.iter().any(|net| net.contains(ip))
            && (self.peers.is_empty() || self.peers.contains(&ip))
    }
}
