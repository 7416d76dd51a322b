//! The office's remote journal (issue 21): the files `systemd-journal-remote` on the log host
//! and `systemd-journal-upload` on each PC need, made with `openssl` (the program: nothing is
//! downloaded) and written under a root directory (`/` in production, a test's directory).
//!
//! - [`certs`]: the office CA and the certificates it signs.
//! - [`setup`]: `host-setup` and `pc-setup`: which file goes where, with which owner and mode.

pub mod certs;
pub mod setup;

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// What went wrong setting up the remote journal.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// A file or directory could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// `openssl` could not be run or failed.
    #[error("openssl {step} failed: {detail}")]
    Openssl {
        /// Which step (`making the CA`, `signing the certificate of pc-07`, ...).
        step: String,
        /// Its stderr, or why it did not start.
        detail: String,
    },
    /// A value given on the command line is not usable.
    #[error("{0}")]
    Invalid(String),
    /// `systemctl` could not enable a unit.
    #[error("systemctl enable --now {unit} failed: {detail}")]
    Enable {
        /// The unit.
        unit: &'static str,
        /// Its stderr.
        detail: String,
    },
}

/// What a written file is, as the catalogs name it (`fleet-file-<id>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// The office CA's certificate (kept on the log host, trusted everywhere).
    CaCert,
    /// The office CA's private key.
    CaKey,
    /// The certificate the CA is trusted as, where journal-remote/-upload look for it.
    Trusted,
    /// The log host's certificate.
    ServerCert,
    /// The log host's key.
    ServerKey,
    /// `journal-remote.conf`.
    RemoteConf,
    /// A PC's certificate.
    PcCert,
    /// A PC's key.
    PcKey,
    /// This PC's certificate, installed for journal-upload.
    UploadCert,
    /// This PC's key, installed for journal-upload.
    UploadKey,
    /// `journal-upload.conf`.
    UploadConf,
}

impl FileKind {
    /// The catalog id's tail.
    pub fn id(self) -> &'static str {
        match self {
            FileKind::CaCert => "ca-cert",
            FileKind::CaKey => "ca-key",
            FileKind::Trusted => "trusted",
            FileKind::ServerCert => "server-cert",
            FileKind::ServerKey => "server-key",
            FileKind::RemoteConf => "remote-conf",
            FileKind::PcCert => "pc-cert",
            FileKind::PcKey => "pc-key",
            FileKind::UploadCert => "upload-cert",
            FileKind::UploadKey => "upload-key",
            FileKind::UploadConf => "upload-conf",
        }
    }
}

/// One file a setup wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Written {
    /// Where, root included.
    pub path: PathBuf,
    /// What it is.
    pub kind: FileKind,
}

/// `path` (absolute, as on the target system) under `root`.
pub fn under(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> FleetError + 'a {
    move |source| FleetError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Make the parent directories of `path`.
fn parent_dirs(path: &Path) -> Result<(), FleetError> {
    match path.parent() {
        Some(dir) => std::fs::create_dir_all(dir).map_err(io("creating", dir)),
        None => Ok(()),
    }
}

/// An empty file of `mode` (created with that mode, so a key never exists readable by others,
/// not even until a chmod), replacing an earlier one.
fn fresh_file(path: &Path, mode: u32) -> Result<std::fs::File, FleetError> {
    parent_dirs(path)?;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .map_err(io("creating", path))?;
    // An existing file keeps its mode through open(): set it.
    file.set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(io("setting the mode of", path))?;
    Ok(file)
}

/// Write `contents` to `path` with `mode`.
fn write_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), FleetError> {
    fresh_file(path, mode)?
        .write_all(contents)
        .map_err(io("writing", path))
}

/// Give `path` to group `group` when this system has it (the service reading a key runs in
/// it); otherwise it stays root's alone and the service cannot read it, which is said by the
/// service itself.
fn group_readable(path: &Path, group: &str) -> Result<(), FleetError> {
    if let Ok(Some(g)) = nix::unistd::Group::from_name(group) {
        nix::unistd::chown(path, None, Some(g.gid)).map_err(|e| FleetError::Io {
            action: "changing the group of",
            path: path.to_path_buf(),
            source: e.into(),
        })?;
    }
    Ok(())
}
