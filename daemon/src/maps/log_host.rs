//! `airgap_log_host`: the office's log host of the isolated-lan profile (issue 21), the one
//! address that is not a peer and yet one cgroup may reach, on one port.

use std::net::IpAddr;
use std::path::Path;

use aya::maps::{HashMap, MapData, MapError};
use aya::Ebpf;

use airgapd_ebpf::abi;

use super::{pinned, take, MapsError};

/// What the kernel needs to let the upload through, resolved on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogHostEntry {
    /// The log host's address.
    pub address: IpAddr,
    /// Its port (never 0).
    pub port: u16,
    /// The cgroup v2 id of the upload service; 0 while the cgroup does not exist.
    pub cgroup_id: u64,
    /// The interface of the LAN the log host lies in; 0 while it is absent.
    pub ifindex: u32,
}

impl LogHostEntry {
    fn value(&self) -> abi::airgap_log_host {
        let addr = match self.address {
            IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
            IpAddr::V6(a) => a.octets(),
        };
        abi::airgap_log_host {
            addr,
            cgroup_id: self.cgroup_id,
            ifindex: self.ifindex,
            port: self.port,
            pad: 0,
        }
    }

    fn from_value(v: &abi::airgap_log_host) -> LogHostEntry {
        let v6 = std::net::Ipv6Addr::from(v.addr);
        LogHostEntry {
            address: v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            port: v.port,
            cgroup_id: v.cgroup_id,
            ifindex: v.ifindex,
        }
    }
}

/// The single-entry (key 0) log host map; no entry: no log host.
pub struct LogHostMap {
    map: HashMap<MapData, u32, abi::airgap_log_host>,
    /// What this daemon wrote (to see another process's change: [`LogHostMap::drift`]).
    written: Option<abi::airgap_log_host>,
}

/// The entry as the kernel holds it and as the daemon wrote it, when they differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogHostDrift {
    /// What the kernel holds.
    pub have: Option<LogHostEntry>,
    /// What the daemon wrote.
    pub want: Option<LogHostEntry>,
}

impl LogHostEntry {
    /// `192.168.50.2:19532 from cgroup 4242 over ifindex 3`, for records.
    pub fn words(entry: Option<&LogHostEntry>) -> String {
        entry.map_or_else(
            || "no log host".to_string(),
            |e| {
                format!(
                    "{} from cgroup {} over ifindex {}",
                    std::net::SocketAddr::new(e.address, e.port),
                    e.cgroup_id,
                    e.ifindex
                )
            },
        )
    }
}

impl LogHostMap {
    /// Take the map out of a freshly loaded object.
    pub fn take(ebpf: &mut Ebpf) -> Result<LogHostMap, MapsError> {
        Self::from_map(take(ebpf, abi::MAP_LOG_HOST)?)
    }

    /// Open the map pinned at `path` (to read it).
    pub fn open_pinned(path: &Path) -> Result<LogHostMap, MapsError> {
        Self::from_map(pinned(path, abi::MAP_LOG_HOST, aya::maps::Map::HashMap)?)
    }

    fn from_map(map: aya::maps::Map) -> Result<LogHostMap, MapsError> {
        HashMap::try_from(map)
            .map(|map| LogHostMap { map, written: None })
            .map_err(|source| MapsError::Map {
                name: abi::MAP_LOG_HOST,
                action: "opening".into(),
                source,
            })
    }

    /// The entry now, if any.
    pub fn get(&self) -> Option<LogHostEntry> {
        self.raw().map(|v| LogHostEntry::from_value(&v))
    }

    fn raw(&self) -> Option<abi::airgap_log_host> {
        self.map.get(&0, 0).ok()
    }

    /// Where the kernel's entry differs from what this daemon wrote, field by field (the
    /// padding too).
    pub fn drift(&self) -> Option<LogHostDrift> {
        let have = self.raw();
        let same = match (&have, &self.written) {
            (Some(a), Some(b)) => {
                (a.addr, a.cgroup_id, a.ifindex, a.port, a.pad)
                    == (b.addr, b.cgroup_id, b.ifindex, b.port, b.pad)
            }
            (None, None) => true,
            _ => false,
        };
        (!same).then(|| LogHostDrift {
            have: have.as_ref().map(LogHostEntry::from_value),
            want: self.written.as_ref().map(LogHostEntry::from_value),
        })
    }

    /// Put back what this daemon wrote.
    pub fn repair(&mut self) -> Result<(), MapsError> {
        let want = self.written.as_ref().map(LogHostEntry::from_value);
        self.set(want.as_ref())
    }

    /// Replace the entry in one update (the kernel swaps a hash entry whole), or remove it.
    pub fn set(&mut self, entry: Option<&LogHostEntry>) -> Result<(), MapsError> {
        self.written = entry.map(LogHostEntry::value);
        match entry {
            Some(e) => self
                .map
                .insert(0, e.value(), 0)
                .map_err(|source| MapsError::Map {
                    name: abi::MAP_LOG_HOST,
                    action: format!(
                        "setting key 0 to {}:{} for cgroup {} over ifindex {}",
                        e.address, e.port, e.cgroup_id, e.ifindex
                    ),
                    source,
                }),
            // aya reports a missing key as the syscall's ENOENT: look first.
            None if self.get().is_none() => Ok(()),
            None => match self.map.remove(&0) {
                Ok(()) | Err(MapError::KeyNotFound) => Ok(()),
                Err(source) => Err(MapsError::Map {
                    name: abi::MAP_LOG_HOST,
                    action: "removing key 0".into(),
                    source,
                }),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_through_the_kernel_value() {
        for address in ["192.168.50.2", "fd00:50::2"] {
            let e = LogHostEntry {
                address: address.parse().unwrap(),
                port: 19532,
                cgroup_id: 77,
                ifindex: 3,
            };
            assert_eq!(LogHostEntry::from_value(&e.value()), e);
        }
        let v = LogHostEntry {
            address: "192.168.50.2".parse().unwrap(),
            port: 1,
            cgroup_id: 1,
            ifindex: 1,
        }
        .value();
        // Keyed like the LAN tries: IPv4-mapped, network order.
        assert_eq!(&v.addr[10..], &[0xff, 0xff, 192, 168, 50, 2]);
    }
}
