//! The office's log host of the isolated-lan profile (issue 21): the policy's
//! `[network.log_host]` resolved on this machine into what the kernel maps hold.
//!
//! Two things change under a running daemon: the LAN's interface (the LAN tries already follow
//! it, see [`super::lan`]) and the upload service's cgroup, which systemd makes anew, with a
//! new id, each time the service starts. Both are resolved again whenever the LAN entries are
//! written, and the cgroup is watched ([`watch`]).

mod watch;

pub use watch::CgroupWatch;

use std::net::IpAddr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use airgapd_policy::{Cidr, MacAddr};

use crate::maps::{LanEntries, LogHostEntry};
use crate::plan::LanPlan;

/// The log host as the policy names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogHostPlan {
    /// Its address, inside one LAN's subnets and none of its peers.
    pub address: IpAddr,
    /// Its port.
    pub port: u16,
    /// The upload service's cgroup, relative to the scope's cgroup.
    pub cgroup: PathBuf,
}

impl LogHostPlan {
    /// The log host of a `[network]` section; none outside the isolated-lan profile.
    pub fn from_policy(network: &airgapd_policy::Network) -> Option<LogHostPlan> {
        if network.profile != airgapd_policy::Profile::IsolatedLan {
            return None;
        }
        network.log_host.as_ref().map(|h| LogHostPlan {
            address: h.address,
            port: h.port,
            cgroup: PathBuf::from(&h.cgroup),
        })
    }

    /// The upload cgroup's directory under the scope's cgroup directory.
    pub fn cgroup_dir(&self, scope_dir: &Path) -> PathBuf {
        scope_dir.join(&self.cgroup)
    }

    /// The cgroup v2 id of the upload service's cgroup under `scope_dir` (the kernfs inode
    /// number of the directory), or 0 while it does not exist: nothing passes then.
    pub fn cgroup_id(&self, scope_dir: &Path) -> u64 {
        std::fs::metadata(self.cgroup_dir(scope_dir)).map_or(0, |m| m.ino())
    }

    /// Adds the log host to `entries`: its address carved out of the peers (value 0, so only
    /// the log host rule reaches it), and its entry with the interface of the LAN it lies in.
    pub fn add_to(
        &self,
        entries: &mut LanEntries,
        lans: &[LanPlan],
        ifindex_of: impl Fn(&MacAddr) -> Option<u32>,
        cgroup_id: u64,
    ) {
        let bits = if self.address.is_ipv4() { 32 } else { 128 };
        let host = Cidr::new(self.address, bits).expect("a full-length prefix has no host bits");
        entries.peers.insert(host, 0);
        let ifindex = lans
            .iter()
            .find(|lan| lan.subnets.iter().any(|net| net.contains(self.address)))
            .and_then(|lan| ifindex_of(&lan.interface_mac))
            .unwrap_or(0);
        entries.log_host = Some(LogHostEntry {
            address: self.address,
            port: self.port,
            cgroup_id,
            ifindex,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::lan_entries;

    fn policy(peers: &str) -> airgapd_policy::Policy {
        let text = format!(
            "[network]\nprofile = \"isolated-lan\"\n[[network.lan]]\nname = \"office\"\n\
             interface_mac = \"02:00:00:00:50:01\"\nsubnets = [\"192.168.50.0/24\"]\n{peers}\n\
             [network.log_host]\naddress = \"192.168.50.2\"\n"
        );
        airgapd_policy::parse(&text, None).unwrap().policy
    }

    #[test]
    fn the_log_host_is_carved_out_of_the_subnet_and_bound_to_its_lan() {
        for peers in ["", "peers = [\"192.168.50.3\"]"] {
            let policy = policy(peers);
            let lans = LanPlan::from_policy(&policy.network);
            let host = LogHostPlan::from_policy(&policy.network).unwrap();
            let mut entries = lan_entries(&lans, |_| Some(7));
            host.add_to(&mut entries, &lans, |_| Some(7), 42);
            let carved: Cidr = "192.168.50.2/32".parse().unwrap();
            assert_eq!(entries.peers[&carved], 0, "{peers}");
            assert_eq!(
                entries.log_host,
                Some(LogHostEntry {
                    address: "192.168.50.2".parse().unwrap(),
                    port: 19532,
                    cgroup_id: 42,
                    ifindex: 7,
                })
            );
            // The interface absent: the entry stays, and lets nothing through.
            let mut entries = lan_entries(&lans, |_| None);
            host.add_to(&mut entries, &lans, |_| None, 42);
            assert_eq!(entries.log_host.unwrap().ifindex, 0);
        }
    }

    #[test]
    fn cgroup_ids_are_the_directory_inode_or_zero() {
        let dir = std::env::temp_dir().join(format!("airgapd-log-host-{}", std::process::id()));
        let host = LogHostPlan::from_policy(&policy("").network).unwrap();
        assert_eq!(host.cgroup_id(&dir), 0);
        let upload = host.cgroup_dir(&dir);
        std::fs::create_dir_all(&upload).unwrap();
        let (id, ino) = (
            host.cgroup_id(&dir),
            std::fs::metadata(&upload).unwrap().ino(),
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(id, ino);
        assert_ne!(id, 0);
    }
}
