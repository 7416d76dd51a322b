//! `[devices]`: which block devices count as internal.

use std::fmt;

use crate::value::BlockDevice;

/// How block devices are classified before the media rules apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Devices {
    /// How loop devices are treated.
    pub loop_devices: LoopDevices,
    /// Block devices to treat as internal in addition to those the daemon detects.
    pub internal: Vec<BlockDevice>,
}

/// How loop devices (`/dev/loopN`) are classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoopDevices {
    /// Like internal disks: the default, since system tools set them up (snaps, images).
    Internal,
    /// Like removable media, so the media rules apply to them; the test suite uses this to
    /// exercise media enforcement without USB hardware.
    Removable,
}

impl LoopDevices {
    /// The spelling used in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            LoopDevices::Internal => "internal",
            LoopDevices::Removable => "removable",
        }
    }
}

impl fmt::Display for LoopDevices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
