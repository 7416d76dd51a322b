//! The devices area's kernel side: the `cgroup/dev` program of `devices.bpf.c`.

use aya::programs::CgroupDevice;
use aya::Ebpf;

use crate::bpf::{program_mut, EnforceError};
use crate::links::AttachType;

/// The device program and its attach type.
pub const LINK: (&str, AttachType) = ("airgap_dev", AttachType::BPF_CGROUP_DEVICE);

/// Load (verify) the device program.
pub fn load(ebpf: &mut Ebpf) -> Result<(), EnforceError> {
    let (name, _) = LINK;
    let prog: &mut CgroupDevice = program_mut(ebpf, name)?;
    prog.load().map_err(EnforceError::load(name))
}
