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
    /// The office's log host (isolated-lan profile only): the one destination the journal
    /// upload service may reach, and nothing else may.
    pub log_host: Option<LogHost>,
}

/// Where `systemd-journal-upload` sends this machine's journal, and who may send it.
///
/// The address is deliberately not a peer: only the upload service's cgroup may reach it,
/// and only on `port`. A host that is also the office's file server would let any process
/// reach it, which is exactly what naming a log host must not do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogHost {
    /// The log host's address, inside one LAN's subnets and not among its peers.
    pub address: IpAddr,
    /// The port `systemd-journal-remote` listens on (19532 by default).
    pub port: u16,
    /// The cgroup of the upload service, relative to the enforcement scope's cgroup (the
    /// root cgroup for a whole-machine scope): normalised, no leading or trailing `/`.
    pub cgroup: String,
    /// How long a machine may send nothing before the officer's tools on the log host call
    /// it silent (a finding): the office decides, so it is policy, not a command-line habit.
    pub silent_after_hours: u32,
}

impl LogHost {
    /// `systemd-journal-remote`'s default HTTPS port.
    pub const DEFAULT_PORT: u16 = 19532;
    /// Where systemd puts the upload service.
    pub const DEFAULT_CGROUP: &'static str = "system.slice/systemd-journal-upload.service";
    /// A working day and a night: a PC switched off overnight is not yet silent.
    pub const DEFAULT_SILENT_AFTER_HOURS: u32 = 24;
    /// A year: beyond it silence would never be noticed at all.
    pub const MAX_SILENT_AFTER_HOURS: u32 = 8760;
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
