//! Block devices named in `devices.internal`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::ValueError;

const EXPECTED: &str =
    r#""MAJOR:MINOR" (e.g. "8:0") or an absolute path under /dev (e.g. "/dev/sda")"#;

/// Linux device numbers have 12 major and 20 minor bits (`MINORBITS` in `<linux/kdev_t.h>`).
const MAX_MAJOR: u32 = (1 << 12) - 1;
const MAX_MINOR: u32 = (1 << 20) - 1;

/// A block device the daemon must treat as internal (never as removable media).
///
/// Checked for syntax only: the policy knows nothing of this machine's devices, and a path
/// that does not exist yet may appear later (the daemon resolves it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BlockDevice {
    /// A device number, as in `/sys/dev/block/MAJOR:MINOR`.
    Number {
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
    /// A path under `/dev`, e.g. `/dev/nvme0n1` or `/dev/disk/by-id/...`.
    Path(PathBuf),
}

impl FromStr for BlockDevice {
    type Err = ValueError;

    fn from_str(text: &str) -> Result<BlockDevice, ValueError> {
        let invalid = || ValueError::new(format!("{text:?} is not a block device"), EXPECTED);
        if let Some(rest) = text.strip_prefix('/') {
            // Plain names only: ".." would escape /dev, "." and empty segments hide what is
            // meant, and a bare "/dev" is a directory.
            let segments: Vec<&str> = rest.split('/').collect();
            let plain = segments
                .iter()
                .all(|s| !s.is_empty() && *s != "." && *s != ".." && !s.contains('\0'));
            if segments[0] != "dev" || segments.len() < 2 || !plain {
                return Err(invalid());
            }
            return Ok(BlockDevice::Path(PathBuf::from(text)));
        }
        let (major, minor) = text.split_once(':').ok_or_else(invalid)?;
        let number = |part: &str, max: u32| -> Option<u32> {
            let digits_only = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
            digits_only
                .then(|| part.parse().ok())
                .flatten()
                .filter(|n| *n <= max)
        };
        match (number(major, MAX_MAJOR), number(minor, MAX_MINOR)) {
            (Some(major), Some(minor)) => Ok(BlockDevice::Number { major, minor }),
            _ => Err(invalid()),
        }
    }
}

impl fmt::Display for BlockDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockDevice::Number { major, minor } => write!(f, "{major}:{minor}"),
            BlockDevice::Path(path) => write!(f, "{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_dev_paths() {
        assert_eq!(
            "8:0".parse::<BlockDevice>().unwrap(),
            BlockDevice::Number { major: 8, minor: 0 }
        );
        assert_eq!(
            "259:1048575".parse::<BlockDevice>().unwrap().to_string(),
            "259:1048575"
        );
        assert_eq!(
            "/dev/disk/by-id/nvme-Samsung_SSD"
                .parse::<BlockDevice>()
                .unwrap(),
            BlockDevice::Path("/dev/disk/by-id/nvme-Samsung_SSD".into())
        );
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "8",
            "8:",
            ":0",
            "8:0:0",
            "-8:0",
            "+8:0",
            "4096:0",
            "8:1048576",
            "sda",
            "dev/sda",
            "/dev",
            "/dev/",
            "/dev/sda/",
            "/etc/passwd",
            "/dev/../etc/x",
            "/dev/./sda",
            "/dev//sda",
            "/devices/sda",
        ] {
            let err = bad.parse::<BlockDevice>().unwrap_err();
            assert_eq!(
                err.problem,
                format!("{bad:?} is not a block device"),
                "{bad}"
            );
        }
    }
}
