//! The plan: a validated policy plus what this machine has, translated into what the kernel
//! maps must hold. Pure: the facts are read by the caller (or from fixtures in tests).

use std::collections::BTreeMap;
use std::path::PathBuf;

use airgapd_policy::{BlockDevice, LoopDevices, Policy};

use crate::devices::internal::internal_devices;
use crate::devices::raw_majors::denied_char_majors;
use crate::devices::DeviceError;
use crate::maps::{DevAccess, DevMatch, DevType, NetMode};

/// Block major of loop devices.
const LOOP_MAJOR: u32 = 7;

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

/// Everything the kernel maps must hold for a policy on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The network mode.
    pub net_mode: NetMode,
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
        Ok(Plan {
            net_mode: NetMode::from_policy(&policy.network),
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
    fn stale_rules_are_those_the_new_plan_drops_or_changes() {
        let old = Plan::new(&policy(""), &fixtures()).unwrap();
        let new = Plan::new(&policy("[devices]\nloop = \"removable\"\n"), &fixtures()).unwrap();
        let stale: Vec<_> = new.stale_in(&old).map(|r| r.matches).collect();
        assert!(stale.contains(&DevMatch::major(DevType::Block, LOOP_MAJOR)));
        assert_eq!(old.stale_in(&old).count(), 0);
    }
}
