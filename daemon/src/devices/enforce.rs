//! The devices area's kernel side: the `cgroup/dev` program of `devices.bpf.c` on the scope.

use std::os::fd::AsFd;

use aya::programs::{CgroupAttachMode, CgroupDevice};
use aya::Ebpf;

use crate::bpf::{program_mut, EnforceError};

const DEV: &str = "airgap_dev";

/// Load and attach the device program to the scope cgroup.
pub fn attach(ebpf: &mut Ebpf, cgroup: impl AsFd) -> Result<(), EnforceError> {
    let prog: &mut CgroupDevice = program_mut(ebpf, DEV)?;
    prog.load().map_err(EnforceError::load(DEV))?;
    prog.attach(cgroup, CgroupAttachMode::Single)
        .map_err(EnforceError::attach(DEV))?;
    Ok(())
}
