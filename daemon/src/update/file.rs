//! Reading and writing the files of an update without following links, blocking on FIFOs,
//! reading without bound or leaving a half-written file under a name anyone reads.

use std::fmt;
use std::fs::{self, File, Metadata};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Who must own a file that is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// Anyone: files on a medium, whose signature is what is trusted.
    Any,
    /// root, and neither group nor others may write: what decides what the machine trusts.
    Root,
}

/// Why a file could not be read.
#[derive(Debug)]
pub(crate) enum FileProblem {
    Missing,
    Symlink,
    NotRegular(&'static str),
    Owner(u32),
    Writable(u32),
    TooLarge(u64),
    Io(io::Error),
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileProblem::Missing => f.write_str("no such file"),
            FileProblem::Symlink => f.write_str("is a symbolic link; it must be a plain file"),
            FileProblem::NotRegular(kind) => write!(f, "is a {kind}, not a regular file"),
            FileProblem::Owner(uid) => {
                write!(f, "is owned by uid {uid}, not root: chown root:root")
            }
            FileProblem::Writable(mode) => write!(
                f,
                "is writable by group or others (mode {mode:04o}): chmod go-w"
            ),
            FileProblem::TooLarge(size) => write!(f, "is too large ({size} bytes)"),
            FileProblem::Io(e) => write!(f, "{e}"),
        }
    }
}

/// What a file type is called in messages (the policy crate's wording, one definition).
pub(crate) use airgapd_policy::file_kind as kind_name;

/// Checks ownership and permission bits for [`Owner::Root`].
pub(crate) fn check_owner(meta: &Metadata, owner: Owner) -> Result<(), FileProblem> {
    if owner == Owner::Root {
        if meta.uid() != 0 {
            return Err(FileProblem::Owner(meta.uid()));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(FileProblem::Writable(meta.mode() & 0o7777));
        }
    }
    Ok(())
}

fn check(meta: &Metadata, owner: Owner, limit: u64) -> Result<(), FileProblem> {
    if meta.file_type().is_symlink() {
        return Err(FileProblem::Symlink);
    }
    if !meta.file_type().is_file() {
        return Err(FileProblem::NotRegular(kind_name(meta)));
    }
    check_owner(meta, owner)?;
    if meta.len() > limit {
        return Err(FileProblem::TooLarge(meta.len()));
    }
    Ok(())
}

/// Reads the regular file `path` (never through a link, at most `limit` bytes), checked before
/// opening (so a FIFO or device is never opened) and again on the open file.
pub(crate) fn read(path: &Path, owner: Owner, limit: u64) -> Result<Vec<u8>, FileProblem> {
    let io = |e: io::Error| match e.kind() {
        io::ErrorKind::NotFound => FileProblem::Missing,
        _ => FileProblem::Io(e),
    };
    check(&fs::symlink_metadata(path).map_err(io)?, owner, limit)?;
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => FileProblem::Symlink,
            _ => io(e),
        })?;
    check(&file.metadata().map_err(io)?, owner, limit)?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(FileProblem::Io)?;
    if bytes.len() as u64 > limit {
        return Err(FileProblem::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Whether `path` is a regular file (not following a link).
pub(crate) fn is_regular(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
}

/// Writes `bytes` to a new file `path`, owned by root with `mode`, and fsyncs it. A stale file
/// or link of that name is removed first; the new one is created exclusively, never followed.
pub(crate) fn write_synced(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)?;
    // The umask may have narrowed the mode; ownership is root's whatever the group of the
    // directory.
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    std::os::unix::fs::fchown(&file, Some(0), Some(0))?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// fsyncs a directory, making the renames and creations in it durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Renames `from` over `to` (atomic on one file system) and makes it durable.
pub(crate) fn rename_synced(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)?;
    sync_dir(parent(to))
}

/// The directory of `path` (`.` for a bare name).
pub(crate) fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}
