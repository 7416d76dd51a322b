//! Reading a policy file safely: the policy decides what the machine may do, so it must come
//! from a file only root can have written (USBGuard's `checkFilePermissions` does the same).

use std::fs::{self, File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use crate::error::PolicyError;
use crate::model::Checked;
use crate::parse::parse_text;
use crate::source::{Locator, Origin};

/// The largest policy accepted. Real policies are a few kilobytes; the limit bounds memory and
/// parse time if the path points somewhere unexpected.
pub const MAX_POLICY_BYTES: u64 = 1024 * 1024;

/// Loads and checks the policy at `path`, which must be a regular file (not a symlink) owned by
/// root, not writable by group or others, at most [`MAX_POLICY_BYTES`] and UTF-8.
pub fn load(path: &Path) -> Result<Checked, PolicyError> {
    load_with_owner(path, 0)
}

/// [`load`], requiring the file to be owned by `expected_uid` instead of root.
///
/// A test seam: it lets tests run the ownership check as an ordinary user, on files they
/// create. The daemon must call [`load`].
pub fn load_with_owner(path: &Path, expected_uid: u32) -> Result<Checked, PolicyError> {
    let text = read_checked(path, expected_uid)?;
    parse_text(&text, Origin::File(path))
}

fn read_checked(path: &Path, expected_uid: u32) -> Result<String, PolicyError> {
    let io_error = |source: io::Error| match source.kind() {
        io::ErrorKind::NotFound => PolicyError::Missing {
            file: path.to_path_buf(),
        },
        _ => PolicyError::Io {
            file: path.to_path_buf(),
            source,
        },
    };
    // Look before opening so a device node or FIFO is never opened (opening some devices has
    // effects); then check again on the open file, which is what is actually read.
    let before = fs::symlink_metadata(path).map_err(io_error)?;
    check_metadata(path, &before, expected_uid)?;
    let file = fs::OpenOptions::new()
        .read(true)
        // O_NOFOLLOW: a link swapped in after the look above fails with ELOOP instead of being
        // followed. O_NONBLOCK: a FIFO swapped in does not block the daemon's boot.
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => PolicyError::Symlink {
                file: path.to_path_buf(),
            },
            _ => io_error(e),
        })?;
    let opened = file.metadata().map_err(io_error)?;
    check_metadata(path, &opened, expected_uid)?;
    read_limited(path, file)
}

/// What a file type is called in messages ("directory", "fifo", "regular file", ...). Shared with
/// every other reader of root-owned files (signed updates, trusted keys).
pub fn file_kind(meta: &Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_symlink() {
        "symbolic link"
    } else if kind.is_dir() {
        "directory"
    } else if kind.is_fifo() {
        "fifo"
    } else if kind.is_socket() {
        "socket"
    } else if kind.is_block_device() {
        "block device"
    } else if kind.is_char_device() {
        "character device"
    } else if kind.is_file() {
        "regular file"
    } else {
        "special file"
    }
}

fn check_metadata(path: &Path, meta: &Metadata, expected_uid: u32) -> Result<(), PolicyError> {
    let file = path.to_path_buf();
    let kind = meta.file_type();
    if kind.is_symlink() {
        return Err(PolicyError::Symlink { file });
    }
    if !kind.is_file() {
        let kind = file_kind(meta);
        return Err(PolicyError::NotRegular { file, kind });
    }
    if meta.uid() != expected_uid {
        return Err(PolicyError::Owner {
            file,
            uid: meta.uid(),
            expected: expected_uid,
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(PolicyError::Writable { file, mode });
    }
    if meta.len() > MAX_POLICY_BYTES {
        return Err(PolicyError::TooLarge {
            file,
            size: meta.len(),
            limit: MAX_POLICY_BYTES,
        });
    }
    Ok(())
}

/// Reads at most one byte past the limit, so a file that grew after the size check is still
/// refused rather than read in full.
fn read_limited(path: &Path, file: File) -> Result<String, PolicyError> {
    let mut bytes = Vec::new();
    file.take(MAX_POLICY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| PolicyError::Io {
            file: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > MAX_POLICY_BYTES {
        return Err(PolicyError::TooLarge {
            file: path.to_path_buf(),
            size: bytes.len() as u64,
            limit: MAX_POLICY_BYTES,
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let bad = e.utf8_error().valid_up_to();
        let name = path.display().to_string();
        PolicyError::NotUtf8 {
            location: Locator::new(name, e.as_bytes()).locate(bad),
        }
    })
}
