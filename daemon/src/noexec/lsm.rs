//! The BPF LSM exec layer (`ebpf/src/exec.bpf.c`): which programs go where, the map of
//! devices whose files may not run, and the reader of its refusals.
//!
//! The map is filled before the programs are linked (a pinned link adopted from an earlier
//! daemon switches to the new programs, and so to this map, at once), and kept equal to the
//! media the daemon has judged. The links are pinned, so refusal outlives the daemon like the
//! rest of enforcement.

use std::collections::BTreeSet;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use aya::maps::{HashMap, MapData, PerCpuArray, RingBuf};
use aya::programs::{Lsm, ProgramError};
use aya::Ebpf;

use airgapd_ebpf::abi;

use crate::bpf::Layer;
use crate::links::{self, AttachType, Target};
use crate::register::jobs::{now_us, Exec, Job, Queue};
use crate::register::who::{comm_of, Who};

/// The programs and the LSM hooks they attach to.
pub const PROGRAMS: [(&str, &str); 3] = [
    ("airgap_lsm_bprm_check", "bprm_check_security"),
    ("airgap_lsm_mmap_file", "mmap_file"),
    ("airgap_lsm_file_mprotect", "file_mprotect"),
];

/// The kernel's `dev_t` of a block device (`AIRGAP_KDEV`).
pub fn kdev((major, minor): (u32, u32)) -> u32 {
    (major << 20) | minor
}

fn from_kdev(dev: u32) -> (u32, u32) {
    (dev >> 20, dev & 0xf_ffff)
}

/// The maps of the layer, taken from the object when the daemon starts.
pub struct LsmMaps {
    devices: HashMap<MapData, u32, u32>,
    events: Option<RingBuf<MapData>>,
    count: Option<PerCpuArray<MapData, abi::airgap_counter>>,
    held: BTreeSet<u32>,
}

/// Why the layer's maps could not be used.
fn map_error(name: &str, e: impl std::fmt::Display) -> String {
    format!("map {name}: {e}")
}

impl LsmMaps {
    /// Take the maps out of the loaded object.
    pub fn take(ebpf: &mut Ebpf) -> Result<LsmMaps, String> {
        let mut take = |name: &str| {
            ebpf.take_map(name)
                .ok_or_else(|| format!("the BPF object has no map {name}"))
        };
        let devices = HashMap::try_from(take(abi::MAP_EXEC_DEV)?)
            .map_err(|e| map_error(abi::MAP_EXEC_DEV, e))?;
        let events = RingBuf::try_from(take(abi::MAP_EXEC_EVENTS)?)
            .map_err(|e| map_error(abi::MAP_EXEC_EVENTS, e))?;
        let count = PerCpuArray::try_from(take(abi::MAP_EXEC_COUNT)?)
            .map_err(|e| map_error(abi::MAP_EXEC_COUNT, e))?;
        Ok(LsmMaps {
            devices,
            events: Some(events),
            count: Some(count),
            held: BTreeSet::new(),
        })
    }

    /// Make the device map hold exactly `devices`.
    pub fn set_devices(&mut self, devices: &BTreeSet<(u32, u32)>) {
        let want: BTreeSet<u32> = devices.iter().copied().map(kdev).collect();
        for gone in self.held.difference(&want).copied().collect::<Vec<_>>() {
            match self.devices.remove(&gone) {
                Ok(()) | Err(aya::maps::MapError::KeyNotFound) => {
                    self.held.remove(&gone);
                }
                Err(e) => tracing::error!(error = %e, dev = gone, "{}", abi::MAP_EXEC_DEV),
            }
        }
        for new in want.difference(&self.held).copied().collect::<Vec<_>>() {
            match self.devices.insert(new, 1, 0) {
                Ok(()) => {
                    self.held.insert(new);
                }
                Err(e) => tracing::error!(error = %e, dev = new, "{}", abi::MAP_EXEC_DEV),
            }
        }
    }
}

fn kernel_answer(e: &ProgramError) -> String {
    crate::bpf::load_answer(e)
}

/// Load the programs and link them (pinned in `pin_dir`); the links, held while the daemon
/// runs. Fails where the kernel cannot load BPF LSM programs.
pub fn attach(ebpf: &mut Ebpf, pin_dir: &Path) -> Result<Vec<OwnedFd>, String> {
    let btf = crate::kernel_btf::kernel_btf()?;
    let mut links = Vec::new();
    for (name, hook) in PROGRAMS {
        let prog: &mut Lsm = ebpf
            .program_mut(name)
            .and_then(|p| p.try_into().ok())
            .ok_or_else(|| format!("the BPF object has no LSM program {name}"))?;
        prog.load(hook, &btf).map_err(|e| {
            format!(
                "this kernel refused to load the BPF LSM program ({}); programs on removable \
                 media are refused by fanotify and noexec instead",
                kernel_answer(&e)
            )
        })?;
        let fd = prog.fd().map_err(|e| e.to_string())?;
        let pin = PathBuf::from(pin_dir).join(format!("link_{name}"));
        let (link, _) = links::attach(
            fd.as_fd(),
            Target::Global,
            AttachType::BPF_LSM_MAC,
            Some(&pin),
        )
        .map_err(|e| format!("linking {name}: {e}"))?;
        links.push(link);
    }
    Ok(links)
}

/// Read the layer's refusals from a thread of its own and hand them to the worker.
pub fn read_events(maps: &mut LsmMaps, queue: Queue) -> std::io::Result<()> {
    let (Some(mut ring), Some(count)) = (maps.events.take(), maps.count.take()) else {
        return Ok(());
    };
    std::thread::Builder::new()
        .name("airgapd-exec-lsm".into())
        .spawn(move || {
            let mut lost_seen = 0u64;
            loop {
                let mut pfd = libc::pollfd {
                    fd: ring.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd for the duration of the call.
                unsafe { libc::poll(&raw mut pfd, 1, 1000) };
                while let Some(item) = ring.next() {
                    if item.len() < size_of::<abi::airgap_exec_event>() {
                        continue;
                    }
                    // SAFETY: the ring buffer record is an airgap_exec_event written by the
                    // kernel program (checked size); read unaligned into a plain struct.
                    let e: abi::airgap_exec_event =
                        unsafe { std::ptr::read_unaligned(item.as_ptr().cast()) };
                    if let Err(Job::Exec(x)) = queue.offer(Job::Exec(Box::new(exec_job(&e)))) {
                        tracing::warn!(path = %x.path, "exec refusal not recorded: queue full");
                    }
                }
                let lost: u64 = count
                    .get(&0, 0)
                    .map(|v| v.iter().map(|c| c.lost).sum())
                    .unwrap_or(0);
                if lost > lost_seen {
                    let _ = queue.offer(Job::ExecLost(lost - lost_seen));
                    lost_seen = lost;
                }
            }
        })?;
    Ok(())
}

/// A refusal as the worker records it. The kernel names the file by its path as the process
/// sees it (the file's own name for mprotect); the daemon opens it for hashing through the
/// process's root and working directory while it lives, else by that path in its own mount
/// namespace, and keeps only a file that is the very inode refused: never a namesake.
fn exec_job(e: &abi::airgap_exec_event) -> Exec {
    let name = comm_of(&e.name);
    let pid = e.tgid;
    let exe = std::fs::read_link(format!("/proc/{pid}/exe"))
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let dev = from_kdev(e.dev);
    let mut candidates = vec![if name.starts_with('/') {
        format!("/proc/{pid}/root{name}")
    } else {
        format!("/proc/{pid}/cwd/{name}")
    }];
    if name.starts_with('/') {
        candidates.push(name.clone());
    }
    let file = candidates
        .iter()
        .find_map(|p| open_inode(Path::new(p), dev, e.ino));
    // A relative name is made absolute from the file found.
    let path = match &file {
        Some(f) if !name.starts_with('/') => {
            crate::register::fanotify::fd_path(f).map_or(name, |p| p.display().to_string())
        }
        _ => name,
    };
    let hook = match e.hook {
        abi::AIRGAP_EXEC_HOOK_MMAP => " (executable mapping)",
        abi::AIRGAP_EXEC_HOOK_MPROTECT => " (mprotect to executable)",
        _ => "",
    };
    Exec {
        dev,
        path: format!("{path}{hook}"),
        file,
        who: Who {
            pid,
            uid: Some(e.uid),
            comm: comm_of(&e.comm),
            exe,
        },
        layer: Layer::ExecLsm,
        at_us: now_us(),
    }
}

/// `path` opened read-only, if it is inode `ino` on device `dev`.
fn open_inode(path: &Path, (major, minor): (u32, u32), ino: u64) -> Option<OwnedFd> {
    use std::os::unix::fs::MetadataExt;
    let f = std::fs::File::open(path).ok()?;
    let m = f.metadata().ok()?;
    let same = m.ino() == ino && libc::major(m.dev()) == major && libc::minor(m.dev()) == minor;
    same.then(|| OwnedFd::from(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_dev_t_round_trips() {
        assert_eq!(kdev((7, 3)), (7 << 20) | 3);
        assert_eq!(from_kdev(kdev((259, 70000))), (259, 70000));
    }
}
