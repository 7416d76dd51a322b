//! The plan: a validated policy plus what this machine has, translated into what the kernel
//! maps must hold. Pure: the facts are read by the caller (or from fixtures in tests).

use std::collections::BTreeMap;
use std::path::PathBuf;

use std::net::IpAddr;

use airgapd_policy::{BlockDevice, Cidr, LoopDevices, MacAddr, Policy, Profile};

use crate::devices::capture::{capture_nodes, usb_owner, CaptureKind};
use crate::devices::internal::internal_devices;
use crate::devices::raw_majors::{denied_char_majors, parse_proc_devices};
use crate::devices::DeviceError;
use crate::maps::{DevAccess, DevMatch, DevType, LanEntries, NetMode};

/// Block major of loop devices.
const LOOP_MAJOR: u32 = 7;
/// Character major of V4L2 (video4linux) nodes.
const V4L2_MAJOR: u32 = 81;
/// /dev/rfkill: misc major 10, minor 242. Reading it shows radio state; writing unblocks.
const RFKILL: (u32, u32) = (10, 242);
/// Why cameras, microphones and radios are refused, for logs and `airgapctl`.
const LAW_CAPTURE: &str = "refused where secrets are handled (Law 29/2018/QH14 art. 5 cl. 8)";

/// What the planner reads from the machine.
#[derive(Debug, Clone)]
pub struct Facts {
    /// Root of sysfs (`/sys`, or a fixture tree).
    pub sysfs: PathBuf,
    /// `/proc/self/mountinfo` as text.
    pub mountinfo: String,
    /// `/proc/devices` as text.
    pub proc_devices: String,
}

impl Facts {
    /// Read the running machine.
    pub fn read() -> std::io::Result<Facts> {
        Ok(Facts {
            sysfs: PathBuf::from("/sys"),
            mountinfo: std::fs::read_to_string("/proc/self/mountinfo")?,
            proc_devices: std::fs::read_to_string("/proc/devices")?,
        })
    }
}

/// A device rule with the reason it exists (for logs and `airgapctl`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// What it matches.
    pub matches: DevMatch,
    /// What it grants.
    pub access: DevAccess,
    /// Why, in words.
    pub why: String,
}

/// One LAN of the isolated-lan profile, as the LAN tries encode it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanPlan {
    /// The policy's name for it.
    pub name: String,
    /// Its interface, found by MAC address in the enforcing network namespace.
    pub interface_mac: MacAddr,
    /// Addresses this machine may have on it (and bind to).
    pub subnets: Vec<Cidr>,
    /// Hosts this machine may talk to: each listed peer as a /32 or /128, or the subnets when
    /// the policy lists no peers.
    pub peers: Vec<Cidr>,
}

impl LanPlan {
    /// The LANs of a `[network]` section; none outside the isolated-lan profile.
    pub fn from_policy(network: &airgapd_policy::Network) -> Vec<LanPlan> {
        if network.profile != Profile::IsolatedLan {
            return Vec::new();
        }
        network
            .lan
            .iter()
            .map(|lan| LanPlan {
                name: lan.name.clone(),
                interface_mac: lan.interface_mac,
                subnets: lan.subnets.clone(),
                peers: if lan.peers.is_empty() {
                    lan.subnets.clone()
                } else {
                    lan.peers.iter().map(|&ip| host(ip)).collect()
                },
            })
            .collect()
    }
}

/// A single host as a network.
fn host(ip: IpAddr) -> Cidr {
    let bits = if ip.is_ipv4() { 32 } else { 128 };
    Cidr::new(ip, bits).expect("a full-length prefix has no host bits")
}

/// The LAN tries' contents for `lans`, with each LAN's interface as `ifindex_of` resolves its
/// MAC now (an absent interface gives 0: its LAN's entries then let nothing through).
pub fn lan_entries(lans: &[LanPlan], ifindex_of: impl Fn(&MacAddr) -> Option<u32>) -> LanEntries {
    let mut entries = LanEntries::default();
    for lan in lans {
        let ifindex = ifindex_of(&lan.interface_mac).unwrap_or(0);
        entries
            .local
            .extend(lan.subnets.iter().map(|&n| (n, ifindex)));
        entries
            .peers
            .extend(lan.peers.iter().map(|&n| (n, ifindex)));
    }
    entries
}

/// Everything the kernel maps must hold for a policy on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The network mode.
    pub net_mode: NetMode,
    /// The LANs of the isolated-lan profile (empty otherwise).
    pub lans: Vec<LanPlan>,
    /// The office's log host (isolated-lan profile only).
    pub log_host: Option<crate::network::log_host::LogHostPlan>,
    /// Device rules, one per match (the most specific wins in the kernel).
    pub rules: BTreeMap<DevMatch, Rule>,
}

impl Plan {
    /// Build the plan. Approved media are not in it: they are granted when they arrive and
    /// are identified.
    pub fn new(policy: &Policy, facts: &Facts) -> Result<Plan, DeviceError> {
        let loop_removable = policy.devices.loop_devices == LoopDevices::Removable;
        let extra: Vec<String> = policy
            .devices
            .internal
            .iter()
            .map(|d| match d {
                BlockDevice::Number { major, minor } => format!("{major}:{minor}"),
                BlockDevice::Path(p) => p.display().to_string(),
            })
            .collect();
        let mut rules = BTreeMap::new();
        let mut add = |matches: DevMatch, access: DevAccess, why: String| {
            rules.insert(
                matches,
                Rule {
                    matches,
                    access,
                    why,
                },
            );
        };
        for (major, minor) in
            internal_devices(&facts.sysfs, &facts.mountinfo, loop_removable, &extra)?
        {
            add(
                DevMatch::device(DevType::Block, major, minor),
                DevAccess::ALL,
                "internal disk".into(),
            );
        }
        if !loop_removable {
            // Loop devices made later are internal too: their data is already on the machine.
            add(
                DevMatch::major(DevType::Block, LOOP_MAJOR),
                DevAccess::ALL,
                "loop devices are internal".into(),
            );
        }
        for denied in denied_char_majors(&facts.proc_devices)? {
            add(
                DevMatch::major(DevType::Char, denied.major),
                DevAccess::NONE,
                format!("raw device path ({}): {}", denied.name, denied.why),
            );
        }
        capture_rules(policy, facts, &mut add)?;
        Ok(Plan {
            net_mode: NetMode::from_policy(&policy.network),
            lans: LanPlan::from_policy(&policy.network),
            log_host: crate::network::log_host::LogHostPlan::from_policy(&policy.network),
            rules,
        })
    }

    /// Rules present in `old` but not (or differently) in `self`: to withdraw first, so that
    /// a change never passes through a state more open than either plan.
    pub fn stale_in<'a>(&'a self, old: &'a Plan) -> impl Iterator<Item = &'a Rule> + 'a {
        old.rules
            .values()
            .filter(|r| self.rules.get(&r.matches) != Some(*r))
    }
}

/// Cameras, microphones and radios: refused by class unless the policy allows the class, with
/// device rules (more specific than the class rule) for devices `[[capture.allow]]` names.
fn capture_rules(
    policy: &Policy,
    facts: &Facts,
    add: &mut impl FnMut(DevMatch, DevAccess, String),
) -> Result<(), DeviceError> {
    let capture = &policy.capture;
    if !capture.camera.is_allow() {
        add(
            DevMatch::major(DevType::Char, V4L2_MAJOR),
            DevAccess::NONE,
            format!("cameras (V4L2) {LAW_CAPTURE}"),
        );
        // Media controller nodes configure camera pipelines.
        let proc = parse_proc_devices(&facts.proc_devices)?;
        if let Some((major, _)) = proc.char.iter().find(|(_, name)| name == "media") {
            add(
                DevMatch::major(DevType::Char, *major),
                DevAccess::NONE,
                format!("media controllers {LAW_CAPTURE}"),
            );
        }
    }
    for node in capture_nodes(&facts.sysfs) {
        let class_allowed = match node.kind {
            CaptureKind::Camera => capture.camera.is_allow(),
            CaptureKind::Microphone => capture.microphone.is_allow(),
        };
        let allowed = usb_owner(&node).and_then(|usb| {
            capture
                .allow
                .iter()
                .find(|a| a.matches(usb.vendor_id, usb.product_id, usb.serial.as_deref()))
        });
        let m = DevMatch::device(DevType::Char, node.dev.0, node.dev.1);
        match (allowed, class_allowed, node.kind) {
            (Some(entry), false, _) => add(
                m,
                DevAccess::ALL,
                format!("{} allowed by \"{}\"", node.name, entry.name),
            ),
            (None, false, CaptureKind::Microphone) => add(
                m,
                DevAccess::NONE,
                format!("microphone {} {LAW_CAPTURE}", node.name),
            ),
            _ => {}
        }
    }
    if !capture.radio.is_allow() {
        add(
            DevMatch::device(DevType::Char, RFKILL.0, RFKILL.1),
            DevAccess::READ_MKNOD,
            format!("/dev/rfkill read-only: radios stay blocked, {LAW_CAPTURE}"),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn fixtures() -> Facts {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        Facts {
            sysfs: root.join("sysfs"),
            mountinfo: std::fs::read_to_string(root.join("proc/mountinfo-vda")).unwrap(),
            proc_devices: std::fs::read_to_string(root.join("proc/devices")).unwrap(),
        }
    }

    fn policy(text: &str) -> Policy {
        airgapd_policy::parse(text, None).unwrap().policy
    }

    #[test]
    fn loop_devices_internal_by_default_removable_on_request() {
        let internal = Plan::new(&policy(""), &fixtures()).unwrap();
        let m = DevMatch::major(DevType::Block, LOOP_MAJOR);
        assert_eq!(internal.rules[&m].access, DevAccess::ALL);
        let removable =
            Plan::new(&policy("[devices]\nloop = \"removable\"\n"), &fixtures()).unwrap();
        assert!(!removable.rules.contains_key(&m));
    }

    #[test]
    fn raw_paths_are_refused_and_network_follows_policy() {
        let plan = Plan::new(&policy("[network]\nloopback = false\n"), &fixtures()).unwrap();
        assert_eq!(plan.net_mode, NetMode::None);
        for major in [21, 189] {
            let rule = &plan.rules[&DevMatch::major(DevType::Char, major)];
            assert_eq!(rule.access, DevAccess::NONE, "{}", rule.why);
        }
        assert!(plan.rules.values().any(|r| r.why == "internal disk"));
    }

    #[test]
    fn an_isolated_lan_names_its_peers_or_else_its_subnets() {
        let text = "[network]\nprofile = \"isolated-lan\"\nloopback = false\n\
                    [[network.lan]]\nname = \"office\"\ninterface_mac = \"02:00:00:00:50:01\"\n\
                    subnets = [\"192.168.50.0/24\"]\npeers = [\"192.168.50.2\"]\n\
                    [[network.lan]]\nname = \"lab\"\ninterface_mac = \"02:00:00:00:60:01\"\n\
                    subnets = [\"fd00:60::/64\"]\n";
        let plan = Plan::new(&policy(text), &fixtures()).unwrap();
        assert_eq!(plan.net_mode, NetMode::Lan { loopback: false });
        let net = |t: &str| t.parse::<Cidr>().unwrap();
        assert_eq!(plan.lans[0].peers, [net("192.168.50.2/32")]);
        assert_eq!(plan.lans[1].peers, [net("fd00:60::/64")]);
        let office: MacAddr = "02:00:00:00:50:01".parse().unwrap();
        let entries = lan_entries(&plan.lans, |mac| (*mac == office).then_some(7));
        assert_eq!(entries.local[&net("192.168.50.0/24")], 7);
        assert_eq!(entries.peers[&net("192.168.50.2/32")], 7);
        assert_eq!(
            entries.peers[&net("fd00:60::/64")],
            0,
            "lab interface absent"
        );
        let standalone = Plan::new(&policy(""), &fixtures()).unwrap();
        assert!(standalone.lans.is_empty());
        assert_eq!(standalone.net_mode, NetMode::Loopback);
    }

    #[test]
    fn cameras_microphones_and_radios_are_refused_by_default() {
        let plan = Plan::new(&policy(""), &fixtures()).unwrap();
        let access = |m: DevMatch| plan.rules.get(&m).map(|r| r.access);
        assert_eq!(
            access(DevMatch::major(DevType::Char, V4L2_MAJOR)),
            Some(DevAccess::NONE)
        );
        assert_eq!(
            access(DevMatch::device(DevType::Char, 116, 24)),
            Some(DevAccess::NONE),
            "laptop mic"
        );
        assert_eq!(
            access(DevMatch::device(DevType::Char, 116, 56)),
            Some(DevAccess::NONE),
            "webcam mic"
        );
        assert_eq!(
            access(DevMatch::device(DevType::Char, 116, 16)),
            None,
            "playback stays"
        );
        assert_eq!(
            access(DevMatch::device(DevType::Char, 10, 242)),
            Some(DevAccess::READ_MKNOD)
        );
    }

    #[test]
    fn a_named_device_is_allowed_above_its_class_rule() {
        let text = "[[capture.allow]]\nname = \"Dictation webcam\"\nvendor_id = \"046d\"\nproduct_id = \"0825\"\n";
        let plan = Plan::new(&policy(text), &fixtures()).unwrap();
        let access = |m: DevMatch| plan.rules.get(&m).map(|r| r.access);
        assert_eq!(
            access(DevMatch::device(DevType::Char, 116, 56)),
            Some(DevAccess::ALL)
        );
        assert_eq!(
            access(DevMatch::device(DevType::Char, 81, 0)),
            Some(DevAccess::ALL)
        );
        assert_eq!(
            access(DevMatch::device(DevType::Char, 116, 24)),
            Some(DevAccess::NONE),
            "laptop mic stays refused"
        );
        let allowed =
            Plan::new(&policy("[capture]\nmicrophone = \"allow\"\n"), &fixtures()).unwrap();
        assert!(!allowed
            .rules
            .contains_key(&DevMatch::device(DevType::Char, 116, 24)));
    }

    #[test]
    fn stale_rules_are_those_the_new_plan_drops_or_changes() {
        let old = Plan::new(&policy(""), &fixtures()).unwrap();
        let new = Plan::new(&policy("[devices]\nloop = \"removable\"\n"), &fixtures()).unwrap();
        let stale: Vec<_> = new.stale_in(&old).map(|r| r.matches).collect();
        assert!(stale.contains(&DevMatch::major(DevType::Block, LOOP_MAJOR)));
        assert_eq!(old.stale_in(&old).count(), 0);
    }
}
