//! Small readers for sysfs attributes. Attributes that a driver may not create (a device without a
//! serial number has no `serial` file) read as `None`; every other failure is an error, because a
//! half-read device must be refused rather than guessed at.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::{read_error, DeviceError};

/// The attribute's text with surrounding whitespace removed (the kernel pads some values, e.g.
/// `version` is " 2.00" and SCSI `model` is space-filled), or `None` when the file does not exist.
pub(crate) fn read_opt(path: &Path) -> Result<Option<String>, DeviceError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text.trim().to_owned())),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
        Err(err) => Err(read_error(path)(err)),
    }
}

/// Like [`read_opt`], but an absent file means the directory is not the kind of device expected.
pub(crate) fn read_req(path: &Path, kind: &'static str) -> Result<String, DeviceError> {
    read_opt(path)?.ok_or_else(|| DeviceError::Missing {
        path: path.to_owned(),
        kind,
    })
}

/// A hexadecimal attribute such as `idVendor` ("0951") or `bInterfaceClass` ("08").
pub(crate) fn hex<T: TryFrom<u32>>(path: &Path, text: &str) -> Result<T, DeviceError> {
    u32::from_str_radix(text, 16)
        .ok()
        .and_then(|v| T::try_from(v).ok())
        .ok_or_else(|| parse_error(path, text, "a hexadecimal number of the attribute's width"))
}

/// A decimal attribute such as `busnum` or `size`.
pub(crate) fn dec<T: std::str::FromStr>(path: &Path, text: &str) -> Result<T, DeviceError> {
    text.parse()
        .map_err(|_| parse_error(path, text, "a decimal number"))
}

/// A `dev` attribute: "MAJ:MIN".
pub(crate) fn dev_number(path: &Path, text: &str) -> Result<(u32, u32), DeviceError> {
    parse_maj_min(text).ok_or_else(|| parse_error(path, text, "MAJOR:MINOR"))
}

/// "MAJ:MIN" as the kernel writes it in `dev`, mountinfo and uevents.
pub(crate) fn parse_maj_min(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.trim().split_once(':')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

fn parse_error(path: &Path, text: &str, expected: &'static str) -> DeviceError {
    DeviceError::Parse {
        path: path.to_owned(),
        value: text.to_owned(),
        expected,
    }
}

/// The real location of a sysfs entry: class and bus directories are symlinks into `devices/`, and
/// the ancestry of the real directory is what tells which bus a device hangs from.
pub(crate) fn canonical(path: &Path) -> Result<PathBuf, DeviceError> {
    std::fs::canonicalize(path).map_err(read_error(path))
}

/// The entry names of a directory such as `holders/` or `slaves/`, sorted; empty when absent.
pub(crate) fn entry_names(dir: &Path) -> Result<Vec<String>, DeviceError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(read_error(dir)(err)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(read_error(dir))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// The final component of a path, as text.
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
