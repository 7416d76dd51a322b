//! The kernel side of read-only media where BPF LSM loads (`ebpf/src/media_ro.bpf.c`): its
//! programs, and the map of block devices marked read-only for a read-only grant.
//!
//! The map is not pinned (like the exec layer's): a restarted daemon fills a new one as it
//! grants media again, and its programs replace the pinned links' at once.

use std::collections::BTreeSet;

use aya::maps::{HashMap, MapData};
use aya::programs::Lsm;
use aya::{Btf, Ebpf};

use airgapd_ebpf::abi;

use crate::bpf::{program_mut, EnforceError};

/// The programs and the LSM hooks they attach to.
pub const PROGRAMS: [(&str, &str); 2] = [
    ("airgap_lsm_ro_ioctl", "file_ioctl"),
    ("airgap_lsm_ro_remount", "sb_mount"),
];

/// The same judgements as fmod_ret programs on the `security_*` functions (loaded by the
/// daemon, [`crate::network::compat`]): they need BPF trampolines, not BPF LSM in `lsm=`.
/// Attached beside the LSM programs where those load too: the trampoline runs first, so a
/// refusal is recorded once.
pub const FMOD_RET: [(&str, &str); 2] = [
    ("airgap_fmod_ro_ioctl", "security_file_ioctl"),
    ("airgap_fmod_ro_remount", "security_sb_mount"),
];

/// A 32-bit process's ioctl (Linux 6.8, and the stable kernels it was backported to), which
/// neither `file_ioctl` program sees. Kernels without the function send those calls to
/// `security_file_ioctl`.
pub const FMOD_RET_COMPAT: (&str, &str) =
    ("airgap_fmod_ro_ioctl_compat", "security_file_ioctl_compat");

/// The fmod_ret programs this kernel takes: [`FMOD_RET`], and [`FMOD_RET_COMPAT`] where it has
/// that function.
pub fn fmod_ret_programs(btf: &Btf) -> Vec<(&'static str, &'static str)> {
    let mut programs = FMOD_RET.to_vec();
    let (_, target) = FMOD_RET_COMPAT;
    if btf
        .id_by_type_name_kind(target, aya_obj::btf::BtfKind::Func)
        .is_ok()
    {
        programs.push(FMOD_RET_COMPAT);
    }
    programs
}

/// What this kernel cannot refuse when no program loads (for the layer's state and
/// `airgapctl doctor`).
pub const UNREFUSED: &str = "root clearing a read-only medium's flag (blockdev --setrw) is \
     undone on the daemon's next tick (250 ms) and recorded, not refused; SCSI write commands \
     through SG_IO on a read-only descriptor (root, CAP_SYS_RAWIO) and re-reading its partition \
     table are neither refused nor seen";

/// Load (verify) the programs; fails where the kernel cannot load BPF LSM programs.
pub fn load(ebpf: &mut Ebpf, btf: &Btf) -> Result<(), EnforceError> {
    for (name, hook) in PROGRAMS {
        let prog: &mut Lsm = program_mut(ebpf, name)?;
        prog.load(hook, btf).map_err(EnforceError::load(name))?;
    }
    Ok(())
}

/// `airgap_ro_dev`: the block devices of read-only grants, by kernel `dev_t`.
pub struct RoDevices {
    map: HashMap<MapData, u32, u32>,
    held: BTreeSet<u32>,
}

/// The kernel's `dev_t` of a block device (`AIRGAP_KDEV`).
pub fn kdev((major, minor): (u32, u32)) -> u32 {
    (major << 20) | minor
}

impl RoDevices {
    /// Take the map out of the loaded object.
    pub fn take(ebpf: &mut Ebpf) -> Option<RoDevices> {
        let map = HashMap::try_from(ebpf.take_map(abi::MAP_RO_DEV)?).ok()?;
        Some(RoDevices {
            map,
            held: BTreeSet::new(),
        })
    }

    /// The map, for the fmod_ret programs loaded beside aya's.
    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use aya::maps::IterableMap;
        use std::os::fd::AsFd;
        self.map.map().fd().as_fd()
    }

    /// List a device (after its read-only flag is set, before its rule is written).
    pub fn insert(&mut self, dev: (u32, u32)) -> Result<(), String> {
        let k = kdev(dev);
        self.map
            .insert(k, 1, 0)
            .map_err(|e| format!("{}: {e}", abi::MAP_RO_DEV))?;
        self.held.insert(k);
        Ok(())
    }

    /// Take a device off the list (before its read-only flag may be cleared).
    pub fn remove(&mut self, dev: (u32, u32)) {
        let k = kdev(dev);
        match self.map.remove(&k) {
            Ok(()) | Err(aya::maps::MapError::KeyNotFound) => {
                self.held.remove(&k);
            }
            Err(e) => tracing::error!(error = %e, dev = k, "{}", abi::MAP_RO_DEV),
        }
    }
}
