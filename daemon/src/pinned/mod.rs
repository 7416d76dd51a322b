//! What is pinned in a pin directory, read from the kernel with bpf(2) (no daemon needed):
//! which links are attached where and run which program, what the config map and the rule maps
//! hold; and the judgement `airgapctl status` gives from it when the daemon is not running.
//! Root only (bpffs pins are root's); others read the [`record::Record`] the daemon keeps.

pub mod interfaces;
pub mod problem;
pub mod process;
pub mod record;
pub mod upgrade;

use std::collections::BTreeMap;
use std::io;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use airgapd_ebpf::abi;
use serde::{Deserialize, Serialize};

use crate::links::{self, LinkInfo, ProgInfo};
use crate::maps::{ConfigMap, DevRules, LanTrie, NetMode};
use crate::network;
pub use problem::Problem;
use record::Record;

/// One `link_*` pin.
#[derive(Debug, Clone)]
pub struct PinnedLink {
    /// Its name in the pin directory.
    pub pin: String,
    /// The link, or why it could not be read.
    pub info: Result<LinkInfo, String>,
    /// The program it runs, when readable.
    pub prog: Option<ProgInfo>,
}

/// Everything in a pin directory.
#[derive(Debug, Clone, Default)]
pub struct Inspection {
    /// The directory.
    pub pin_dir: PathBuf,
    /// Its `link_*` pins.
    pub links: Vec<PinnedLink>,
    /// The config map's value, when pinned.
    pub config: Option<abi::airgap_config>,
    /// The config map's id.
    pub config_map_id: Option<u32>,
    /// Device rules, formatted as in the record.
    pub dev_rules: Option<Vec<String>>,
    /// LAN entries, formatted as in the record.
    pub lan: Option<Vec<String>>,
    /// Entries of the per-major device index that the pinned rules do not imply
    /// ([`crate::maps::dev_index::pinned_drift`]).
    pub dev_index_drift: Vec<String>,
    /// Names of every pin (links and maps).
    pub pins: Vec<String>,
    /// What is wrong with the classic tc filters of the interfaces read
    /// ([`Inspection::read_interfaces`]): one problem each.
    pub tc: Vec<Problem>,
}

/// `b 8:* = 0x7`, the form of a device rule in the record and in records of tampering.
pub fn dev_rule_line(m: &crate::maps::DevMatch, access: u32) -> String {
    format!("{m} = {access:#x}")
}

/// `airgap_lan_peers 192.168.50.0/24 = 3`.
pub fn lan_line(map: &str, net: &airgapd_policy::Cidr, ifindex: u32) -> String {
    format!("{map} {net} = {ifindex}")
}

/// Device rules as lines.
pub fn dev_rule_lines(rules: &BTreeMap<crate::maps::DevMatch, u32>) -> Vec<String> {
    rules.iter().map(|(m, a)| dev_rule_line(m, *a)).collect()
}

/// LAN tries as lines.
pub fn lan_lines(tries: &[&LanTrie]) -> Vec<String> {
    tries
        .iter()
        .flat_map(|t| {
            t.contents()
                .into_iter()
                .map(|(net, i)| lan_line(t.name(), &net, i))
        })
        .collect()
}

impl Inspection {
    /// Read `pin_dir`. A missing directory is an empty inspection (nothing enforces); an
    /// unreadable one (not root) is an error.
    pub fn read(pin_dir: &Path) -> io::Result<Inspection> {
        let mut insp = Inspection {
            pin_dir: pin_dir.to_path_buf(),
            ..Inspection::default()
        };
        let entries = match std::fs::read_dir(pin_dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(insp),
            Err(e) => return Err(e),
        };
        for entry in entries {
            insp.pins
                .push(entry?.file_name().to_string_lossy().into_owned());
        }
        insp.pins.sort();
        for pin in insp.pins.iter().filter(|p| p.starts_with("link_")) {
            let path = pin_dir.join(pin);
            let info = links::get(&path).and_then(|fd| links::link_info(fd.as_fd()));
            // Not root: bpffs lists the names but the objects are closed. Not an answer.
            if let Err(e) = &info {
                if matches!(e.raw_os_error(), Some(libc::EACCES | libc::EPERM)) {
                    return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display())));
                }
            }
            let prog = info
                .as_ref()
                .ok()
                .and_then(|i| links::prog_info(i.prog_id).ok());
            insp.links.push(PinnedLink {
                pin: pin.clone(),
                info: info.map_err(|e| e.to_string()),
                prog,
            });
        }
        let map = |name: &str| pin_dir.join(format!("map_{name}"));
        if let Ok(config) = ConfigMap::open_pinned(&map(abi::MAP_CONFIG)) {
            insp.config = config.read().ok();
            insp.config_map_id = links::get(&map(abi::MAP_CONFIG))
                .and_then(|fd| links::map_id(fd.as_fd()))
                .ok();
        }
        if let Ok(rules) = DevRules::open_pinned(&map(abi::MAP_DEV_RULES)) {
            let contents = rules.contents();
            insp.dev_rules = Some(dev_rule_lines(&contents));
            insp.dev_index_drift =
                crate::maps::dev_index::pinned_drift(&map(abi::MAP_DEV_MAJOR), &contents)
                    .unwrap_or_default();
        }
        let tries: Vec<LanTrie> = [abi::MAP_LAN_LOCAL, abi::MAP_LAN_PEERS]
            .into_iter()
            .filter_map(|name| LanTrie::open_pinned(&map(name), name).ok())
            .collect();
        if tries.len() == 2 {
            insp.lan = Some(lan_lines(&tries.iter().collect::<Vec<_>>()));
        }
        Ok(insp)
    }

    fn link(&self, pin: &str) -> Option<&PinnedLink> {
        self.links.iter().find(|l| l.pin == pin)
    }
}

/// The answer to "is this machine air-gapped?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every required layer enforces.
    Yes,
    /// Some of it enforces, some is missing or changed.
    Partial,
    /// Nothing enforces.
    No,
    /// It cannot be told (no daemon, no record, no right to read bpffs).
    Unknown,
}

/// One layer as found in the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerFinding {
    /// Stable layer name (as [`crate::bpf::Layer::name`]).
    pub name: String,
    /// `active`, `damaged` or `missing`.
    pub state: String,
    /// What is wrong, one item each.
    pub problems: Vec<Problem>,
}

/// The judgement of an inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// The answer.
    pub verdict: Verdict,
    /// The layers that decide it, then others found pinned.
    pub layers: Vec<LayerFinding>,
}

/// The links of a layer: (program, pin). The per-packet programs belong to the network layer
/// only where the pinned configuration needs them ([`network::packet_programs_needed`]; no
/// readable configuration: needed, so that nothing missing goes unsaid).
fn expected(layer: &str, config: Option<&abi::airgap_config>) -> Vec<(&'static str, String)> {
    let names: Vec<&'static str> = match layer {
        "cgroup-network" => {
            let packets =
                config.is_none_or(|c| network::packet_programs_needed(c.scope_level, c.net_mode));
            let skb = network::SKB_LINKS.iter().filter(|_| packets);
            network::CGROUP_LINKS
                .iter()
                .chain(skb)
                .map(|(n, _)| *n)
                .collect()
        }
        _ => vec![crate::devices::enforce::LINK.0],
    };
    names
        .into_iter()
        .map(|n| (n, format!("link_{n}")))
        .collect()
}

/// What is wrong with one link that must run `program` on the scope.
fn link_problems(
    insp: &Inspection,
    record: Option<&Record>,
    program: &str,
    pin: &str,
    scope: Option<u64>,
) -> Vec<Problem> {
    let Some(link) = insp.link(pin) else {
        return vec![Problem::new(
            "status-problem-not-pinned",
            &[("program", &program)],
        )];
    };
    let info = match &link.info {
        Ok(i) => i,
        Err(e) => {
            return vec![Problem::new(
                "status-problem-unreadable",
                &[("program", &program), ("error", e)],
            )]
        }
    };
    let mut out = Vec::new();
    match (info.target, scope) {
        (0, _) => out.push(Problem::new(
            "status-problem-detached",
            &[("program", &program)],
        )),
        (have, Some(want)) if have != want => out.push(Problem::new(
            "status-problem-other-cgroup",
            &[("program", &program), ("have", &have), ("want", &want)],
        )),
        _ => {}
    }
    match &link.prog {
        None => out.push(Problem::new(
            "status-problem-program-unreadable",
            &[("program", &program), ("id", &info.prog_id)],
        )),
        // Its reduced variant ([`crate::variant`]) is the same program where the kernel
        // refused the full one.
        Some(p)
            if !p.is_named(program)
                && !crate::variant::reduced_of(program).is_some_and(|r| p.is_named(r)) =>
        {
            out.push(Problem::new(
                "status-problem-other-program",
                &[("program", &program), ("name", &p.name), ("id", &p.id)],
            ))
        }
        Some(p) if insp.config_map_id.is_some_and(|m| !p.map_ids.contains(&m)) => {
            out.push(Problem::new(
                "status-problem-not-our-config",
                &[("program", &program), ("id", &p.id)],
            ))
        }
        Some(_) => {}
    }
    if let Some(r) = record.and_then(|r| r.links.iter().find(|l| l.pin == pin)) {
        if r.prog_id != info.prog_id {
            out.push(Problem::new(
                "status-problem-replaced",
                &[
                    ("program", &program),
                    ("have", &info.prog_id),
                    ("want", &r.prog_id),
                ],
            ));
        }
    }
    out
}

/// What is wrong with the config map.
fn config_problems(insp: &Inspection, record: Option<&Record>) -> Vec<Problem> {
    let Some(c) = insp.config else {
        return vec![Problem::new("status-problem-config-missing", &[])];
    };
    let mut out = Vec::new();
    if c.abi_version != abi::AIRGAP_ABI_VERSION {
        out.push(Problem::new(
            "status-problem-config-abi",
            &[("have", &c.abi_version), ("want", &abi::AIRGAP_ABI_VERSION)],
        ));
    }
    if NetMode::from_bits(c.net_mode).is_none() {
        out.push(Problem::new(
            "status-problem-config-unknown-mode",
            &[("mode", &c.net_mode)],
        ));
    }
    if let Some(r) = record {
        let want = r.config;
        let have = record::ConfigRecord::from(c);
        if have.scope_cgroup_id != want.scope_cgroup_id || have.scope_level != want.scope_level {
            out.push(Problem::new(
                "status-problem-config-scope",
                &[
                    ("have", &have.scope_cgroup_id),
                    ("have_level", &have.scope_level),
                    ("want", &want.scope_cgroup_id),
                    ("want_level", &want.scope_level),
                ],
            ));
        }
        if have.net_mode != want.net_mode {
            out.push(Problem::new(
                "status-problem-config-mode",
                &[
                    ("have", &mode_key(have.net_mode)),
                    ("want", &mode_key(want.net_mode)),
                ],
            ));
        }
    }
    out
}

/// A network mode's bits as the catalogs select on them (`none`, `loopback`, `lan`,
/// `lan-loopback`; the number for bits no daemon writes).
fn mode_key(bits: u32) -> String {
    match NetMode::from_bits(bits) {
        Some(NetMode::None) => "none".into(),
        Some(NetMode::Loopback) => "loopback".into(),
        Some(NetMode::Lan { loopback: false }) => "lan".into(),
        Some(NetMode::Lan { loopback: true }) => "lan-loopback".into(),
        None => bits.to_string(),
    }
}

/// A network mode's bits in words.
pub fn mode_name(bits: u32) -> String {
    NetMode::from_bits(bits).map_or_else(|| format!("unknown ({bits})"), |m| m.describe().into())
}

/// Lines in `have` but not in `want` and the reverse, as problems: `added` and `removed` are
/// the messages for one line each.
fn differences(
    (added, removed): (&'static str, &'static str),
    have: &[String],
    want: &[String],
) -> Vec<Problem> {
    let plus = have.iter().filter(|l| !want.contains(l));
    let minus = want.iter().filter(|l| !have.contains(l));
    plus.map(|l| Problem::new(added, &[("line", l)]))
        .chain(minus.map(|l| Problem::new(removed, &[("line", l)])))
        .collect()
}

/// Whether another program runs before the interface link `pin` on its interface (TCX), in
/// words. Read only when the interface at that index in this namespace has the name the pin
/// carries (the link may belong to another namespace, where the index means another one).
fn overtaken(pin: &str, info: &LinkInfo) -> Option<Problem> {
    let rest = pin.strip_prefix("link_airgap_wire_")?;
    let (attach, interface) = if let Some(i) = rest.strip_prefix("egress_") {
        (links::AttachType::BPF_TCX_EGRESS, i)
    } else {
        (
            links::AttachType::BPF_TCX_INGRESS,
            rest.strip_prefix("ingress_")?,
        )
    };
    let ifindex = u32::try_from(info.target).ok()?;
    if nix::net::if_::if_indextoname(ifindex).ok()?.to_str().ok()? != interface {
        return None;
    }
    let chain = links::tcx_chain(ifindex, attach).ok()?;
    let at = chain.iter().position(|e| e.link_id == info.id)?;
    (at > 0).then(|| {
        let ids: Vec<String> = chain[..at].iter().map(|e| e.prog_id.to_string()).collect();
        Problem::new(
            "status-problem-overtaken",
            &[
                ("pin", &pin),
                ("ids", &ids.join(", ")),
                ("interface", &interface),
            ],
        )
    })
}

/// Judge what is pinned, against the daemon's record when there is one.
pub fn judge(insp: &Inspection, record: Option<&Record>) -> Judgement {
    let scope = insp.config.map(|c| c.scope_cgroup_id);
    let mut layers = Vec::new();
    for name in ["cgroup-network", "cgroup-device"] {
        let want = expected(name, insp.config.as_ref());
        let present = want
            .iter()
            .filter(|(_, pin)| insp.link(pin).is_some())
            .count();
        let mut problems: Vec<Problem> = want
            .iter()
            .flat_map(|(prog, pin)| link_problems(insp, record, prog, pin, scope))
            .collect();
        if name == "cgroup-network" {
            problems.extend(config_problems(insp, record));
            if let (Some(have), Some(r)) = (&insp.lan, record) {
                problems.extend(differences(
                    ("status-problem-lan-added", "status-problem-lan-removed"),
                    have,
                    &r.lan,
                ));
            }
        } else if let (Some(have), Some(r)) = (&insp.dev_rules, record) {
            problems.extend(differences(
                ("status-problem-rule-added", "status-problem-rule-removed"),
                have,
                &r.dev_rules,
            ));
        }
        let state = match (present, problems.is_empty()) {
            (0, _) => "missing",
            (_, true) => "active",
            (_, false) => "damaged",
        };
        layers.push(LayerFinding {
            name: name.into(),
            state: state.into(),
            problems,
        });
    }
    let required_active = layers.iter().all(|l| l.state == "active");
    let all_missing = layers.iter().all(|l| l.state == "missing");
    // Interface links (whole machine): each pinned one must still be attached.
    let wire: Vec<&PinnedLink> = insp
        .links
        .iter()
        .filter(|l| l.pin.starts_with("link_airgap_wire_"))
        .collect();
    let mut wire_ok = true;
    if !wire.is_empty() || !insp.tc.is_empty() {
        let mut problems: Vec<Problem> = wire
            .iter()
            .filter_map(|l| match &l.info {
                Ok(i) if i.target != 0 => overtaken(&l.pin, i),
                _ => Some(Problem::new(
                    "status-problem-detached",
                    &[("program", &l.pin)],
                )),
            })
            .collect();
        // Classic tc filters (kernels without TCX), read where the record or the scope says
        // the daemon put them ([`interfaces`]).
        problems.extend(insp.tc.iter().cloned());
        wire_ok = problems.is_empty();
        layers.push(LayerFinding {
            name: crate::bpf::Layer::Wire.name().into(),
            state: if wire_ok { "active" } else { "damaged" }.into(),
            problems,
        });
    }
    let verdict = if all_missing {
        Verdict::No
    } else if required_active && wire_ok {
        Verdict::Yes
    } else {
        Verdict::Partial
    };
    Judgement { verdict, layers }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCOPE: u64 = 4242;
    const CONFIG_MAP: u32 = 7;

    /// Everything pinned as the daemon leaves it, and its record.
    fn healthy() -> (Inspection, Record) {
        let mut insp = Inspection {
            config: Some(abi::airgap_config {
                scope_cgroup_id: SCOPE,
                scope_level: 1,
                net_mode: abi::AIRGAP_NET_LOOPBACK,
                abi_version: abi::AIRGAP_ABI_VERSION,
                trusted_tgid: 1,
                trusted_cgroup_id: 2,
                fold_ns: 0,
            }),
            config_map_id: Some(CONFIG_MAP),
            ..Inspection::default()
        };
        let mut record = Record {
            config: record::ConfigRecord::from(insp.config.unwrap()),
            ..Record::default()
        };
        for (i, (name, pin)) in expected("cgroup-network", insp.config.as_ref())
            .into_iter()
            .chain(expected("cgroup-device", None))
            .enumerate()
        {
            let id = 100 + i as u32;
            insp.links.push(PinnedLink {
                pin: pin.clone(),
                info: Ok(LinkInfo {
                    link_type: links::link_kind::CGROUP,
                    id,
                    prog_id: id + 1000,
                    target: SCOPE,
                }),
                prog: Some(ProgInfo {
                    id: id + 1000,
                    prog_type: 0,
                    name: name[..name.len().min(15)].to_string(),
                    map_ids: vec![CONFIG_MAP],
                }),
            });
            record.links.push(record::LinkRecord {
                pin,
                program: name.into(),
                link_id: id,
                prog_id: id + 1000,
            });
        }
        (insp, record)
    }

    fn link<'a>(insp: &'a mut Inspection, pin: &str) -> &'a mut PinnedLink {
        insp.links.iter_mut().find(|l| l.pin == pin).unwrap()
    }

    #[test]
    fn as_the_daemon_left_it_is_yes_and_nothing_is_no() {
        let (insp, record) = healthy();
        assert_eq!(judge(&insp, Some(&record)).verdict, Verdict::Yes);
        assert_eq!(judge(&insp, None).verdict, Verdict::Yes);
        assert_eq!(judge(&Inspection::default(), None).verdict, Verdict::No);
    }

    /// Issue 23: a whole-machine scope in loopback mode has no per-packet programs; a cgroup
    /// scope, or the LAN mode, must have them, and their absence is a gap.
    #[test]
    fn the_packet_programs_are_expected_where_the_configuration_needs_them() {
        let skb = |c: &abi::airgap_config| {
            expected("cgroup-network", Some(c))
                .iter()
                .filter(|(n, _)| n.starts_with("airgap_skb_"))
                .count()
        };
        let (insp, _) = healthy();
        let mut c = insp.config.unwrap();
        assert_eq!(skb(&c), 2, "cgroup scope");
        c.scope_level = 0;
        assert_eq!(skb(&c), 0, "whole machine, loopback");
        c.net_mode = abi::AIRGAP_NET_NONE;
        assert_eq!(skb(&c), 0, "whole machine, no network");
        c.net_mode = abi::AIRGAP_NET_LAN | abi::AIRGAP_NET_LOOPBACK;
        assert_eq!(skb(&c), 2, "whole machine, LAN");
        assert_eq!(
            expected("cgroup-network", None).len(),
            network::CGROUP_LINKS.len() + 2,
            "no readable configuration: every program is expected"
        );

        let (mut insp, record) = healthy();
        insp.links.retain(|l| l.pin != "link_airgap_skb_ingress");
        let j = judge(&insp, Some(&record));
        assert_eq!(j.verdict, Verdict::Partial, "a cgroup scope without one");
    }

    #[test]
    fn each_change_makes_it_partial_and_says_what() {
        let problems = |insp: &Inspection, record: &Record| {
            let j = judge(insp, Some(record));
            assert_eq!(j.verdict, Verdict::Partial);
            j.layers
                .iter()
                .flat_map(|l| l.problems.iter().map(Problem::to_string))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let (mut insp, record) = healthy();
        insp.links.retain(|l| l.pin != "link_airgap_bind6");
        assert!(problems(&insp, &record).contains("airgap_bind6: not pinned"));

        let (mut insp, record) = healthy();
        link(&mut insp, "link_airgap_dev")
            .info
            .as_mut()
            .unwrap()
            .target = 0;
        assert!(problems(&insp, &record).contains("airgap_dev: detached"));

        let (mut insp, record) = healthy();
        link(&mut insp, "link_airgap_connect4")
            .prog
            .as_mut()
            .unwrap()
            .name = "evil".into();
        assert!(problems(&insp, &record).contains("runs another program, \"evil\""));

        // Same name, another program (swapped while the daemon was stopped).
        let (mut insp, record) = healthy();
        let l = link(&mut insp, "link_airgap_sendmsg4");
        l.info.as_mut().unwrap().prog_id = 9;
        l.prog.as_mut().unwrap().id = 9;
        assert!(problems(&insp, &record).contains("airgapd left id"));

        // A program that does not read airgapd's config.
        let (mut insp, record) = healthy();
        link(&mut insp, "link_airgap_bind4")
            .prog
            .as_mut()
            .unwrap()
            .map_ids = vec![99];
        assert!(problems(&insp, &record).contains("does not read airgapd's config"));

        let (mut insp, record) = healthy();
        insp.config.as_mut().unwrap().scope_cgroup_id = 1;
        assert!(problems(&insp, &record).contains("the config map's scope is cgroup 1"));

        let (mut insp, record) = healthy();
        insp.config.as_mut().unwrap().net_mode = abi::AIRGAP_NET_LAN;
        assert!(problems(&insp, &record).contains("the network mode is the isolated LAN only"));

        let (mut insp, record) = healthy();
        insp.dev_rules = Some(vec!["b 7:* = 0x7".into()]);
        assert!(problems(&insp, &record).contains("device rule b 7:* = 0x7 was added"));
    }
}
