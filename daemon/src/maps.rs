//! Typed owners of the kernel maps. Each knows its map's name and encoding; policy reaches the
//! kernel only through these, and every failure names the map and key.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use airgapd_policy::Cidr;
use aya::maps::lpm_trie::{Key, LpmTrie};
use aya::maps::{Array, HashMap, MapData, MapError, PerCpuArray, PerCpuValues};
use aya::Ebpf;

use airgapd_ebpf::abi;

use crate::violation::Kind;

pub mod dev_index;
mod fold;
mod log_host;

pub use dev_index::DevIndex;
pub use fold::{FoldKey, FoldMap};
pub use log_host::{LogHostDrift, LogHostEntry, LogHostMap};

/// Errors from a kernel map.
#[derive(Debug, thiserror::Error)]
pub enum MapsError {
    /// The object has no map of that name (a build mismatch).
    #[error("the BPF object has no map {name}")]
    Missing {
        /// Map name.
        name: &'static str,
    },
    /// The map exists but could not be used as expected.
    #[error("map {name}: {action}: {source}")]
    Map {
        /// Map name.
        name: &'static str,
        /// What was done, with the key.
        action: String,
        /// The aya error.
        source: MapError,
    },
}

fn take(ebpf: &mut Ebpf, name: &'static str) -> Result<aya::maps::Map, MapsError> {
    ebpf.take_map(name).ok_or(MapsError::Missing { name })
}

/// Open the map `name` pinned at `path` (another process's, e.g. for `airgapctl status` while
/// the daemon is stopped); `wrap` is its `aya::maps::Map` variant.
fn pinned(
    path: &Path,
    name: &'static str,
    wrap: fn(MapData) -> aya::maps::Map,
) -> Result<aya::maps::Map, MapsError> {
    MapData::from_pin(path)
        .map(wrap)
        .map_err(|source| MapsError::Map {
            name,
            action: format!("opening {}", path.display()),
            source,
        })
}

/// Network behaviour the config map encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetMode {
    /// No AF_INET/AF_INET6 socket at all.
    None,
    /// TCP/UDP on loopback addresses only.
    Loopback,
    /// The isolated-lan profile: TCP/UDP with the peers in the LAN tries ([`LanTrie`]), over
    /// their LAN's interface; and loopback when `loopback` is true.
    Lan {
        /// Whether 127.0.0.0/8 and ::1 may be used too.
        loopback: bool,
    },
}

impl NetMode {
    /// The translation of the policy's `[network]` section.
    pub fn from_policy(network: &airgapd_policy::Network) -> NetMode {
        match (network.profile, network.loopback) {
            (airgapd_policy::Profile::IsolatedLan, loopback) => NetMode::Lan { loopback },
            (airgapd_policy::Profile::Standalone, true) => NetMode::Loopback,
            (airgapd_policy::Profile::Standalone, false) => NetMode::None,
        }
    }

    /// The mode of `enum airgap_net_mode` bits (None for bits no daemon writes).
    pub fn from_bits(bits: u32) -> Option<NetMode> {
        [
            NetMode::None,
            NetMode::Loopback,
            NetMode::Lan { loopback: false },
            NetMode::Lan { loopback: true },
        ]
        .into_iter()
        .find(|m| m.bits() == bits)
    }

    /// The `enum airgap_net_mode` bits.
    pub fn bits(self) -> u32 {
        match self {
            NetMode::None => abi::AIRGAP_NET_NONE,
            NetMode::Loopback => abi::AIRGAP_NET_LOOPBACK,
            NetMode::Lan { loopback: false } => abi::AIRGAP_NET_LAN,
            NetMode::Lan { loopback: true } => abi::AIRGAP_NET_LAN | abi::AIRGAP_NET_LOOPBACK,
        }
    }

    /// In words, for `airgapd run` and logs.
    pub fn describe(self) -> &'static str {
        match self {
            NetMode::None => "no network",
            NetMode::Loopback => "loopback only",
            NetMode::Lan { loopback: true } => "the isolated LAN and loopback only",
            NetMode::Lan { loopback: false } => "the isolated LAN only",
        }
    }
}

/// What the programs read from `airgap_config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// cgroup id of the scope.
    pub scope_cgroup_id: u64,
    /// Depth of the scope below the cgroup root.
    pub scope_level: u32,
    /// Network mode.
    pub net_mode: NetMode,
    /// The kernel's folding window for refusal storms, in ns (0: every refusal is sent).
    pub fold_ns: u64,
}

/// The single-entry config array.
pub struct ConfigMap(Array<MapData, abi::airgap_config>);

impl ConfigMap {
    /// Take the config map out of a freshly loaded object.
    pub fn take(ebpf: &mut Ebpf) -> Result<ConfigMap, MapsError> {
        let name = abi::MAP_CONFIG;
        Array::try_from(take(ebpf, name)?)
            .map(ConfigMap)
            .map_err(|source| MapsError::Map {
                name,
                action: "opening".into(),
                source,
            })
    }

    /// Open the config map pinned at `path`.
    pub fn open_pinned(path: &Path) -> Result<ConfigMap, MapsError> {
        let name = abi::MAP_CONFIG;
        Array::try_from(pinned(path, name, aya::maps::Map::Array)?)
            .map(ConfigMap)
            .map_err(|source| MapsError::Map {
                name,
                action: "opening".into(),
                source,
            })
    }

    /// The config as the kernel holds it now.
    pub fn read(&self) -> Result<abi::airgap_config, MapsError> {
        self.0.get(&0, 0).map_err(|source| MapsError::Map {
            name: abi::MAP_CONFIG,
            action: "reading key 0".into(),
            source,
        })
    }

    /// The value [`ConfigMap::write`] writes for `c`.
    pub fn value(c: &Config) -> abi::airgap_config {
        abi::airgap_config {
            scope_cgroup_id: c.scope_cgroup_id,
            scope_level: c.scope_level,
            net_mode: c.net_mode.bits(),
            abi_version: abi::AIRGAP_ABI_VERSION,
            trusted_tgid: std::process::id(),
            trusted_cgroup_id: crate::scope::own_cgroup_id(),
            fold_ns: c.fold_ns,
        }
    }

    /// The ABI version recorded by whoever wrote the config (0 when never written).
    pub fn abi_version(&self) -> Result<u32, MapsError> {
        self.0
            .get(&0, 0)
            .map(|c| c.abi_version)
            .map_err(|source| MapsError::Map {
                name: abi::MAP_CONFIG,
                action: "reading key 0".into(),
                source,
            })
    }

    /// Replace the config in one update, so no program ever sees half of it.
    pub fn write(&mut self, c: &Config) -> Result<(), MapsError> {
        self.write_raw(Self::value(c))
    }

    /// Write a config value as it is (to put back what another process changed).
    pub fn write_raw(&mut self, value: abi::airgap_config) -> Result<(), MapsError> {
        self.0.set(0, value, 0).map_err(|source| MapsError::Map {
            name: abi::MAP_CONFIG,
            action: "writing key 0".into(),
            source,
        })
    }
}

/// Denied, lost and folded totals of one kind, summed over CPUs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    /// Every refusal the kernel made.
    pub denied: u64,
    /// Refusals whose event did not fit into the ring buffer.
    pub lost: u64,
    /// Refusals the kernel counted in `airgap_fold` instead of sending (issue 23).
    pub folded: u64,
}

/// The per-CPU, per-kind counters: the count of refusals that is never lost.
pub struct Counters(PerCpuArray<MapData, abi::airgap_counter>);

impl Counters {
    /// Take the counters map out of a freshly loaded object.
    pub fn take(ebpf: &mut Ebpf) -> Result<Counters, MapsError> {
        let name = abi::MAP_COUNTERS;
        PerCpuArray::try_from(take(ebpf, name)?)
            .map(Counters)
            .map_err(|source| MapsError::Map {
                name,
                action: "opening".into(),
                source,
            })
    }

    /// The totals of one kind (none for kinds the kernel does not count).
    pub fn get(&self, kind: Kind) -> Result<Count, MapsError> {
        let Some(key) = kind.abi() else {
            return Ok(Count::default());
        };
        let values: PerCpuValues<abi::airgap_counter> =
            self.0.get(&key, 0).map_err(|source| MapsError::Map {
                name: abi::MAP_COUNTERS,
                action: format!("reading key {key} ({})", kind.name()),
                source,
            })?;
        Ok(values.iter().fold(Count::default(), |acc, v| Count {
            denied: acc.denied + v.denied,
            lost: acc.lost + v.lost,
            folded: acc.folded + v.folded,
        }))
    }

    /// The totals of every kind.
    pub fn all(&self) -> Result<Vec<(Kind, Count)>, MapsError> {
        Kind::ALL.iter().map(|&k| Ok((k, self.get(k)?))).collect()
    }
}

/// Device access bits (`enum airgap_dev_access`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DevAccess(pub u32);

impl DevAccess {
    /// Nothing.
    pub const NONE: DevAccess = DevAccess(0);
    /// Read (open O_RDONLY, mount -o ro).
    pub const READ: DevAccess = DevAccess(abi::AIRGAP_ACC_READ);
    /// Read, and make nodes to read through (no write).
    pub const READ_MKNOD: DevAccess = DevAccess(abi::AIRGAP_ACC_READ | abi::AIRGAP_ACC_MKNOD);
    /// Read and write.
    pub const READ_WRITE: DevAccess = DevAccess(abi::AIRGAP_ACC_READ | abi::AIRGAP_ACC_WRITE);
    /// Everything, mknod included (internal disks).
    pub const ALL: DevAccess =
        DevAccess(abi::AIRGAP_ACC_READ | abi::AIRGAP_ACC_WRITE | abi::AIRGAP_ACC_MKNOD);
}

/// Block or character device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DevType {
    /// Block device.
    Block,
    /// Character device.
    Char,
}

/// What a device rule applies to: one device, every minor of a major, or a whole type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DevMatch {
    /// Block or char.
    pub dev_type: DevType,
    /// None: every major.
    pub major: Option<u32>,
    /// None: every minor.
    pub minor: Option<u32>,
}

impl DevMatch {
    /// Exactly one device.
    pub fn device(dev_type: DevType, major: u32, minor: u32) -> DevMatch {
        DevMatch {
            dev_type,
            major: Some(major),
            minor: Some(minor),
        }
    }

    /// Every minor of a major (a driver: loop, sg, usb_device).
    pub fn major(dev_type: DevType, major: u32) -> DevMatch {
        DevMatch {
            dev_type,
            major: Some(major),
            minor: None,
        }
    }

    fn from_key(k: &abi::airgap_dev_key) -> DevMatch {
        let any = |v: u32| (v != abi::AIRGAP_DEV_ANY).then_some(v);
        let dev_type = if k.type_ == abi::AIRGAP_DEV_BLOCK {
            DevType::Block
        } else {
            DevType::Char
        };
        DevMatch {
            dev_type,
            major: any(k.major),
            minor: any(k.minor),
        }
    }

    fn key(&self) -> abi::airgap_dev_key {
        abi::airgap_dev_key {
            type_: match self.dev_type {
                DevType::Block => abi::AIRGAP_DEV_BLOCK,
                DevType::Char => abi::AIRGAP_DEV_CHAR,
            },
            major: self.major.unwrap_or(abi::AIRGAP_DEV_ANY),
            minor: self.minor.unwrap_or(abi::AIRGAP_DEV_ANY),
        }
    }
}

impl std::fmt::Display for DevMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = if self.dev_type == DevType::Block {
            'b'
        } else {
            'c'
        };
        let n = |v: Option<u32>| v.map_or("*".to_string(), |v| v.to_string());
        write!(f, "{t} {}:{}", n(self.major), n(self.minor))
    }
}

/// The device rule map: which access each device (or major, or type) may be granted, and the
/// per-major index in front of it ([`dev_index`]). It also keeps what this daemon wrote, so
/// that a change by another process shows ([`DevRules::drift`], [`DevRules::index_drift`]).
pub struct DevRules {
    map: HashMap<MapData, abi::airgap_dev_key, u32>,
    /// What this daemon wrote.
    written: BTreeMap<DevMatch, u32>,
    /// The rules as the kernel holds them by this daemon's knowledge: read when the map was
    /// taken (an adopted map holds the previous daemon's rules), then changed with each write.
    /// The index is derived from these.
    held: BTreeMap<DevMatch, u32>,
    /// None for a map opened only to be read.
    index: Option<DevIndex>,
}

/// One entry of a map where the kernel's value differs from what the daemon wrote: `have` is
/// the kernel's (None: missing), `want` the daemon's (None: it never wrote this key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift<K> {
    /// The key.
    pub key: K,
    /// What the kernel holds.
    pub have: Option<u32>,
    /// What the daemon wrote.
    pub want: Option<u32>,
}

fn drift<K: Ord + Clone>(have: &BTreeMap<K, u32>, want: &BTreeMap<K, u32>) -> Vec<Drift<K>> {
    let mut out: Vec<Drift<K>> = have
        .iter()
        .filter(|(k, v)| want.get(*k) != Some(*v))
        .map(|(k, v)| Drift {
            key: k.clone(),
            have: Some(*v),
            want: want.get(k).copied(),
        })
        .collect();
    out.extend(
        want.iter()
            .filter(|(k, _)| !have.contains_key(*k))
            .map(|(k, v)| Drift {
                key: k.clone(),
                have: None,
                want: Some(*v),
            }),
    );
    out
}

impl DevRules {
    /// Take the rule map and its index out of a freshly loaded object, and bring the index to
    /// the rules the map holds, before any program runs with it.
    pub fn take(ebpf: &mut Ebpf) -> Result<DevRules, MapsError> {
        let name = abi::MAP_DEV_RULES;
        let mut rules = Self::from_map(take(ebpf, name)?)?;
        rules.held = rules.contents();
        let mut index = DevIndex::take(ebpf)?;
        index.write(dev_index::entries(&rules.held))?;
        rules.index = Some(index);
        Ok(rules)
    }

    /// Open the rule map pinned at `path` (to read it; nothing is recorded as written).
    pub fn open_pinned(path: &Path) -> Result<DevRules, MapsError> {
        Self::from_map(pinned(path, abi::MAP_DEV_RULES, aya::maps::Map::HashMap)?)
    }

    fn from_map(map: aya::maps::Map) -> Result<DevRules, MapsError> {
        HashMap::try_from(map)
            .map(|map| DevRules {
                map,
                written: BTreeMap::new(),
                held: BTreeMap::new(),
                index: None,
            })
            .map_err(|source| MapsError::Map {
                name: abi::MAP_DEV_RULES,
                action: "opening".into(),
                source,
            })
    }

    /// Every rule the kernel holds now, with its access bits. A key no daemon writes (an
    /// unknown device type) shows as a char rule: it can only grant, never hide a refusal.
    pub fn contents(&self) -> BTreeMap<DevMatch, u32> {
        self.map
            .iter()
            .filter_map(Result::ok)
            .map(|(k, v)| (DevMatch::from_key(&k), v))
            .collect()
    }

    /// Where the kernel's rules differ from what this daemon wrote.
    pub fn drift(&self) -> Vec<Drift<DevMatch>> {
        drift(&self.contents(), &self.written)
    }

    /// Where the kernel's index differs from what this daemon wrote: (slot, have, want).
    pub fn index_drift(&self) -> Result<Vec<(u32, u32, u32)>, MapsError> {
        match &self.index {
            Some(index) => index.drift(),
            None => Ok(Vec::new()),
        }
    }

    /// Put the index back as this daemon wrote it.
    pub fn repair_index(&mut self) -> Result<(), MapsError> {
        match &mut self.index {
            Some(index) => index.repair(),
            None => Ok(()),
        }
    }

    /// Benchmarks only (`airgap-bench --dev-walk`): every index entry unwritten, so the
    /// program walks the rules as it did before the index (same answers, more lookups). The
    /// tamper check would put it back; benchmarks run no daemon.
    pub fn unwrite_index(&mut self) -> Result<(), MapsError> {
        self.write_index(vec![0; dev_index::ENTRIES as usize])
    }

    /// Bring the index to `want` (nothing for a map opened only to be read).
    fn write_index(&mut self, want: Vec<u32>) -> Result<(), MapsError> {
        match &mut self.index {
            Some(index) => index.write(want),
            None => Ok(()),
        }
    }

    /// Grant `access` to what `m` matches (replacing an earlier rule for the same match). The
    /// rule first, then the index that makes it count: in between, the old answer holds.
    pub fn set(&mut self, m: DevMatch, access: DevAccess) -> Result<(), MapsError> {
        self.written.insert(m, access.0);
        self.map
            .insert(m.key(), access.0, 0)
            .map_err(|source| MapsError::Map {
                name: abi::MAP_DEV_RULES,
                action: format!("setting {m} to access {:#x}", access.0),
                source,
            })?;
        self.held.insert(m, access.0);
        self.write_index(dev_index::entries(&self.held))
    }

    /// Every rule in the map now (an adopted map holds the previous daemon's rules).
    pub fn matches(&self) -> Vec<DevMatch> {
        self.map
            .keys()
            .filter_map(Result::ok)
            .map(|k| DevMatch::from_key(&k))
            .collect()
    }

    /// Drop the rule for `m`; what it matched falls back to the next less specific rule. The
    /// index first (it stops sending the program to the rule), then the rule.
    pub fn remove(&mut self, m: DevMatch) -> Result<(), MapsError> {
        self.written.remove(&m);
        let mut after = self.held.clone();
        after.remove(&m);
        self.write_index(dev_index::entries(&after))?;
        self.held = after;
        match self.map.remove(&m.key()) {
            Ok(()) | Err(MapError::KeyNotFound) => Ok(()),
            Err(source) => Err(MapsError::Map {
                name: abi::MAP_DEV_RULES,
                action: format!("removing {m}"),
                source,
            }),
        }
    }
}

/// What the two LAN tries must hold: network → ifindex of its LAN's interface (0 when that
/// interface is absent: the entry then lets nothing through).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LanEntries {
    /// `airgap_lan_local`: the LAN subnets (addresses this machine may bind to).
    pub local: BTreeMap<Cidr, u32>,
    /// `airgap_lan_peers`: the hosts this machine may talk to (value 0: carved out, e.g. the
    /// log host's address inside a subnet).
    pub peers: BTreeMap<Cidr, u32>,
    /// `airgap_log_host`: the office's log host, if the policy names one.
    pub log_host: Option<LogHostEntry>,
}

/// One LAN trie (`airgap_lan_local` or `airgap_lan_peers`). Keys are IPv6; IPv4 networks are
/// stored IPv4-mapped (`::ffff:a.b.c.d`, prefix 96 + n) so one lookup serves both families.
pub struct LanTrie {
    name: &'static str,
    map: LpmTrie<MapData, [u8; 16], u32>,
    /// What this daemon wrote (to see another process's changes: [`LanTrie::drift`]).
    written: BTreeMap<Cidr, u32>,
}

/// The trie key of a network.
fn lan_key(net: &Cidr) -> Key<[u8; 16]> {
    match net.addr() {
        IpAddr::V4(a) => Key::new(96 + u32::from(net.prefix()), a.to_ipv6_mapped().octets()),
        IpAddr::V6(a) => Key::new(u32::from(net.prefix()), a.octets()),
    }
}

/// The network of a trie key (None for a key no daemon writes).
fn lan_net(key: &Key<[u8; 16]>) -> Option<Cidr> {
    let addr = std::net::Ipv6Addr::from(key.data());
    let prefix = u8::try_from(key.prefix_len()).ok()?;
    match addr.to_ipv4_mapped() {
        Some(v4) if prefix >= 96 => Cidr::new(IpAddr::V4(v4), prefix - 96).ok(),
        _ => Cidr::new(IpAddr::V6(addr), prefix).ok(),
    }
}

impl LanTrie {
    /// Take the trie `name` ([`abi::MAP_LAN_LOCAL`] or [`abi::MAP_LAN_PEERS`]) out of a freshly
    /// loaded object.
    pub fn take(ebpf: &mut Ebpf, name: &'static str) -> Result<LanTrie, MapsError> {
        Self::from_map(take(ebpf, name)?, name)
    }

    /// Open the trie `name` pinned at `path` (to read it).
    pub fn open_pinned(path: &Path, name: &'static str) -> Result<LanTrie, MapsError> {
        Self::from_map(pinned(path, name, aya::maps::Map::LpmTrie)?, name)
    }

    fn from_map(map: aya::maps::Map, name: &'static str) -> Result<LanTrie, MapsError> {
        LpmTrie::try_from(map)
            .map(|map| LanTrie {
                name,
                map,
                written: BTreeMap::new(),
            })
            .map_err(|source| MapsError::Map {
                name,
                action: "opening".into(),
                source,
            })
    }

    /// Every entry now (an adopted map holds the previous daemon's).
    pub fn entries(&self) -> BTreeMap<Cidr, u32> {
        self.map
            .iter()
            .filter_map(Result::ok)
            .filter_map(|(k, v)| Some((lan_net(&k)?, v)))
            .collect()
    }

    /// Every entry now as the kernel holds it, including keys no daemon writes (shown as
    /// the IPv6 network they are, prefix cut to 128).
    pub fn contents(&self) -> BTreeMap<Cidr, u32> {
        self.map
            .iter()
            .filter_map(Result::ok)
            .map(|(k, v)| {
                let net = lan_net(&k).unwrap_or_else(|| {
                    let addr = std::net::Ipv6Addr::from(k.data());
                    Cidr::new(IpAddr::V6(addr), 128).expect("a /128 is valid")
                });
                (net, v)
            })
            .collect()
    }

    /// Where the kernel's entries differ from what this daemon wrote.
    pub fn drift(&self) -> Vec<Drift<Cidr>> {
        drift(&self.contents(), &self.written)
    }

    /// The map's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Let `net` be used over interface `ifindex` (replacing an earlier entry for `net`).
    pub fn set(&mut self, net: Cidr, ifindex: u32) -> Result<(), MapsError> {
        self.written.insert(net, ifindex);
        self.map
            .insert(&lan_key(&net), ifindex, 0)
            .map_err(|source| MapsError::Map {
                name: self.name,
                action: format!("setting {net} to ifindex {ifindex}"),
                source,
            })
    }

    /// Withdraw `net`.
    pub fn remove(&mut self, net: Cidr) -> Result<(), MapsError> {
        self.written.remove(&net);
        match self.map.remove(&lan_key(&net)) {
            Ok(()) | Err(MapError::KeyNotFound) => Ok(()),
            Err(source) => Err(MapsError::Map {
                name: self.name,
                action: format!("removing {net}"),
                source,
            }),
        }
    }

    /// Bring the trie to `want`: first withdraw what it holds beyond `want`, then write `want`
    /// (each write replaces one entry atomically), so it never holds more than either.
    pub fn sync(&mut self, want: &BTreeMap<Cidr, u32>) -> Result<(), MapsError> {
        for net in self.entries().into_keys() {
            if !want.contains_key(&net) {
                self.remove(net)?;
            }
        }
        // Carve-outs (value 0) before the networks they are cut out of: a log host's address
        // is never reachable as a peer, not even between two writes.
        let (closed, open): (Vec<_>, Vec<_>) = want.iter().partition(|(_, &i)| i == 0);
        for (net, ifindex) in closed.into_iter().chain(open) {
            self.set(*net, *ifindex)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lan_keys_map_ipv4_into_ipv6_and_back() {
        for text in [
            "192.168.50.0/24",
            "10.1.2.3/32",
            "fd00:50::/64",
            "fd00::1/128",
        ] {
            let net: Cidr = text.parse().unwrap();
            assert_eq!(lan_net(&lan_key(&net)), Some(net), "{text}");
        }
        let key = lan_key(&"192.168.50.0/24".parse().unwrap());
        assert_eq!(key.prefix_len(), 120);
        assert_eq!(
            &key.data()[..12],
            &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]
        );
        assert_eq!(&key.data()[12..], &[192, 168, 50, 0]);
    }

    #[test]
    fn net_mode_bits() {
        assert_eq!(NetMode::None.bits(), 0);
        assert_eq!(NetMode::Loopback.bits(), abi::AIRGAP_NET_LOOPBACK);
        assert_eq!(NetMode::Lan { loopback: false }.bits(), abi::AIRGAP_NET_LAN);
        assert_eq!(NetMode::Lan { loopback: true }.bits(), 3);
    }
}
