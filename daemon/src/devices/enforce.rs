//! The devices area's kernel side: the `cgroup/dev` program of `devices.bpf.c`.

use aya::programs::{CgroupDevice, ProgramError};
use aya::Ebpf;

use crate::bpf::{program_mut, EnforceError};
use crate::links::AttachType;

/// The device program and its attach type.
pub const LINK: (&str, AttachType) = ("airgap_dev", AttachType::BPF_CGROUP_DEVICE);

/// Load (verify) the device program. `Ok(Some(reason))`: it is the reduced variant
/// ([`crate::variant::DEVICE`]), the verifier having refused the full one for `reason`.
/// `reduced`: that variant without trying the full one (tests).
pub fn load(ebpf: &mut Ebpf, reduced: bool) -> Result<Option<String>, EnforceError> {
    crate::variant::load_either(crate::variant::DEVICE, reduced, |name| {
        let prog: &mut CgroupDevice =
            program_mut(ebpf, name).map_err(|_| ProgramError::NotLoaded)?;
        prog.load()
    })
    .map_err(|(name, e)| EnforceError::load(name)(e))
}
