//! The guard of airgapd's own BPF objects (`ebpf/src/bpf_guard.bpf.c`), where BPF LSM loads:
//! while the daemon runs, other processes (root included) cannot open its links, open its maps
//! for writing, change its pin directory or ptrace it; each attempt is refused with EPERM and
//! recorded as a `bpf.guard` refusal naming the object.
//!
//! The guard's links are held by the daemon and never pinned, so they end with it: stopped,
//! killed or crashed, the daemon leaves nothing that refuses, and `airgapctl status`,
//! `airgapd lift`, a package upgrade or a restart find the pins open to them. The set of
//! guarded objects follows what the daemon holds ([`BpfGuard::sync`], on the tamper tick):
//! every link it holds (its own included), every map their programs use, its pin directory
//! and each pin in it (by inode: a repaired pin is a new inode).
//!
//! Where BPF LSM does not load (this development kernel) the layer is unavailable and tampering
//! is only found and repaired (`crate::tamper`); docs/tampering.md says which kernel does what.

use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use aya::maps::{Array, HashMap, MapData};
use aya::programs::{Lsm, ProgramError};

use airgapd_ebpf::abi;

use crate::bpf::{program_mut, Enforcer};
use crate::links::{self, AttachType, Target};

/// The programs and the LSM hooks they attach to.
pub const PROGRAMS: [(&str, &str); 4] = [
    ("airgap_guard_bpf", "bpf"),
    ("airgap_guard_map", "bpf_map"),
    ("airgap_guard_inode", "inode_permission"),
    ("airgap_guard_ptrace", "ptrace_access_check"),
];

/// What this kernel does not refuse when the programs do not load (the layer's state).
pub const UNREFUSED: &str = "other processes' bpf() on airgapd's links, maps and pins \
     (bpftool link detach, bpftool map update, rm of a pin) is not refused: it is found, \
     repaired within 250 ms and recorded";

/// A guarded object: `(enum airgap_guard_object, id)`.
type Key = (u32, u32);

/// The armed guard: its links (held, never pinned) and the objects it guards, by name.
pub struct BpfGuard {
    links: Vec<OwnedFd>,
    set: HashMap<MapData, abi::airgap_guard_key, u32>,
    /// Guarded objects and how a record names them.
    held: BTreeMap<Key, String>,
    /// Map names by id (maps do not change their name).
    map_names: BTreeMap<u32, String>,
    pin_dir: PathBuf,
}

fn kernel_answer(e: &ProgramError) -> String {
    crate::bpf::load_answer(e)
}

/// The kernel's `dev_t` (`super_block.s_dev`) of a user-space device number.
fn kdev(dev: u64) -> u32 {
    (libc::major(dev) << 20) | libc::minor(dev)
}

impl BpfGuard {
    /// Load the programs, name the daemon (this process) and what it guards, then link them.
    /// Fails where the kernel cannot load BPF LSM programs, with the kernel's answer.
    pub fn arm(enforcer: &mut Enforcer, pin_dir: &Path) -> Result<BpfGuard, String> {
        crate::bpf::bpf_lsm_listed()?;
        let btf = crate::kernel_btf::kernel_btf()?;
        let ebpf = enforcer.object_mut();
        let take = |ebpf: &mut aya::Ebpf, name: &str| {
            ebpf.take_map(name)
                .ok_or_else(|| format!("the BPF object has no map {name}"))
        };
        let mut cfg: Array<MapData, abi::airgap_guard_config> =
            Array::try_from(take(ebpf, abi::MAP_GUARD_CFG)?)
                .map_err(|e| format!("map {}: {e}", abi::MAP_GUARD_CFG))?;
        let set = HashMap::try_from(take(ebpf, abi::MAP_GUARDED)?)
            .map_err(|e| format!("map {}: {e}", abi::MAP_GUARDED))?;
        for (name, hook) in PROGRAMS {
            let prog: &mut Lsm = program_mut(ebpf, name).map_err(|e| e.to_string())?;
            prog.load(hook, &btf).map_err(|e| {
                format!(
                    "this kernel refused to load the BPF LSM program ({}): {UNREFUSED}",
                    kernel_answer(&e)
                )
            })?;
        }
        let dev = std::fs::metadata(pin_dir)
            .map_err(|e| format!("{}: {e}", pin_dir.display()))?
            .dev();
        let value = abi::airgap_guard_config {
            daemon_tgid: std::process::id(),
            pin_dev: kdev(dev),
        };
        cfg.set(0, value, 0)
            .map_err(|e| format!("map {}: {e}", abi::MAP_GUARD_CFG))?;
        let mut guard = BpfGuard {
            links: Vec::new(),
            set,
            held: BTreeMap::new(),
            map_names: BTreeMap::new(),
            pin_dir: pin_dir.to_path_buf(),
        };
        // The set before the links: from its first moment the guard has something to guard.
        guard.sync(enforcer);
        for (name, _) in PROGRAMS {
            let prog = enforcer
                .object_mut()
                .program(name)
                .and_then(|p| p.fd().ok())
                .ok_or_else(|| format!("the BPF LSM program {name} is not loaded"))?;
            let link = links::create(prog.as_fd(), Target::Global, AttachType::BPF_LSM_MAC)
                .map_err(|e| format!("linking {name}: {e}"))?;
            guard.links.push(link);
        }
        guard.sync(enforcer);
        Ok(guard)
    }

    /// Bring the guarded set to what the daemon holds now (links made, repaired or let go,
    /// pins made again). Cheap enough for every tick: a few dozen bpf(2) and stat(2) calls.
    pub fn sync(&mut self, enforcer: &Enforcer) {
        let want = self.wanted(enforcer);
        let gone: Vec<Key> = self
            .held
            .keys()
            .filter(|k| !want.contains_key(k))
            .copied()
            .collect();
        for k in gone {
            match self.set.remove(&key(k)) {
                Ok(()) | Err(aya::maps::MapError::KeyNotFound) => {
                    self.held.remove(&k);
                }
                Err(e) => tracing::error!(error = %e, "{}", abi::MAP_GUARDED),
            }
        }
        for (k, name) in want {
            if self.held.contains_key(&k) {
                continue;
            }
            match self.set.insert(key(k), 1, 0) {
                Ok(()) => {
                    self.held.insert(k, name);
                }
                Err(e) => tracing::error!(error = %e, object = %name, "{}", abi::MAP_GUARDED),
            }
        }
    }

    fn wanted(&mut self, enforcer: &Enforcer) -> BTreeMap<Key, String> {
        let mut want = BTreeMap::new();
        let mut progs = BTreeSet::new();
        let held = enforcer
            .held_links()
            .iter()
            .map(|h| (h.pin.clone(), h.fd.as_fd()));
        let own = PROGRAMS
            .iter()
            .zip(&self.links)
            .map(|((name, _), fd)| (format!("{name} (airgapd's guard)"), fd.as_fd()));
        for (name, fd) in held.chain(own) {
            if let Ok(info) = links::link_info(fd) {
                want.insert(
                    (abi::AIRGAP_GUARD_LINK, info.id),
                    format!("{name} (link {})", info.id),
                );
                progs.insert(info.prog_id);
            }
        }
        let guard_progs = PROGRAMS.iter().filter_map(|(name, _)| {
            let prog = enforcer.program_id(name)?;
            Some(prog)
        });
        progs.extend(guard_progs);
        for prog in progs {
            let Ok(info) = links::prog_info(prog) else {
                continue;
            };
            for map in info.map_ids {
                let name = self.map_names.entry(map).or_insert_with(|| {
                    links::map_by_id(map)
                        .map(|(_, name)| name)
                        .unwrap_or_default()
                });
                want.insert(
                    (abi::AIRGAP_GUARD_MAP, map),
                    format!("map {name} (map {map})"),
                );
            }
        }
        if let Ok(meta) = std::fs::metadata(&self.pin_dir) {
            want.insert(
                (abi::AIRGAP_GUARD_INODE, meta.ino() as u32),
                format!("{} (pin directory)", self.pin_dir.display()),
            );
        }
        for entry in std::fs::read_dir(&self.pin_dir).into_iter().flatten() {
            let Ok(entry) = entry else { continue };
            if let Ok(meta) = entry.metadata() {
                want.insert(
                    (abi::AIRGAP_GUARD_INODE, meta.ino() as u32),
                    entry.path().display().to_string(),
                );
            }
        }
        want
    }

    /// The object a refusal names (`enum airgap_guard_action`, id), as a record says it.
    pub fn name(&self, action: u32, id: u32) -> String {
        let kind = match action {
            abi::AIRGAP_GUARD_LINK_BY_ID => abi::AIRGAP_GUARD_LINK,
            abi::AIRGAP_GUARD_MAP_WRITE => abi::AIRGAP_GUARD_MAP,
            abi::AIRGAP_GUARD_PIN_WRITE => abi::AIRGAP_GUARD_INODE,
            abi::AIRGAP_GUARD_PTRACE => return format!("airgapd (process {id})"),
            _ => 0,
        };
        self.held
            .get(&(kind, id))
            .cloned()
            .unwrap_or_else(|| format!("object {id}"))
    }

    /// How many objects are guarded (for tests and the log).
    pub fn guarded(&self) -> usize {
        self.held.len()
    }
}

fn key((type_, id): Key) -> abi::airgap_guard_key {
    abi::airgap_guard_key { type_, id }
}
