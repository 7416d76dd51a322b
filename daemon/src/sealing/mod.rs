//! Journal Forward Secure Sealing set up on this PC (`airgapctl seal-journal`, issue 19): the
//! journal kept on disk, journald told to seal, a sealing key made by `journalctl --setup-keys`
//! (journald keeps the sealing half in `/var/log/journal/<machine-id>/fss` and evolves it every
//! epoch, so root later cannot forge what was sealed before), journald restarted so it reads the
//! configuration and the key, and its files rotated so every file from now on is sealed. The
//! verification half is printed once, for the officer to keep off the machine; `airgapctl
//! inspect --verify-key` checks the journal with it.
//!
//! Each step is reported with what the system said; a step that fails after the key was made
//! does not lose the key (it cannot be made again without making the first one useless).

pub mod qr;

use std::fs;
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

use crate::inspect::journal_seal::VerifyKey;
use crate::paths;

/// Errors that stop the setup before a key exists.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The machine id could not be read: the key's file is named after it.
    #[error("{path}: {source}")]
    MachineId {
        /// The file.
        path: String,
        /// What the kernel said.
        #[source]
        source: io::Error,
    },
    /// A sealing key exists already; a new one would leave the old verification key useless
    /// for the files sealed from now on, so it is made only when asked (`--force`).
    #[error("{path} exists")]
    KeyExists {
        /// The sealing key's file.
        path: PathBuf,
    },
    /// A file or directory the setup writes could not be written.
    #[error("{path}: {source}")]
    Write {
        /// The path.
        path: PathBuf,
        /// What the kernel said.
        #[source]
        source: io::Error,
    },
    /// `journalctl --setup-keys` failed, or printed no key.
    #[error("journalctl --setup-keys: {detail}")]
    SetupKeys {
        /// What it said.
        detail: String,
    },
}

/// One step after the key: what ran and what it said.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// `restart-journald`, `flush`, `rotate`, `check-sealed`.
    pub step: &'static str,
    /// Whether it worked.
    pub ok: bool,
    /// What the program said (stderr, else stdout), or what was found.
    pub detail: String,
}

/// What the setup did.
#[derive(Debug, Clone, Serialize)]
pub struct Setup {
    /// The verification key, as `inspect --verify-key` takes it.
    pub key: String,
    /// When the key's first epoch began (µs since the epoch, UTC).
    pub key_start_us: u64,
    /// The epoch length (µs): a new sealing key every epoch.
    pub interval_us: u64,
    /// What the QR code holds: the key with the machine it belongs to.
    pub qr_text: String,
    /// `/etc/machine-id`.
    pub machine_id: String,
    /// The host name at setup.
    pub hostname: String,
    /// The sealing key's file (stays on the PC; never print it).
    pub sealing_key_file: PathBuf,
    /// The journald drop-in written.
    pub config: PathBuf,
    /// The steps after the key.
    pub steps: Vec<Step>,
    /// Whether journald writes sealed files now (the active system journal is sealed).
    pub sealing: bool,
}

/// The drop-in's text.
fn dropin() -> &'static str {
    "# Written by airgapctl seal-journal: keep the journal on disk and seal it (Forward\n\
     # Secure Sealing). The verification key was given to the security officer; removing\n\
     # this file or the key leaves files unsealed, which airgapctl inspect --verify-key\n\
     # reports as a failure.\n\
     [Journal]\n\
     Storage=persistent\n\
     Seal=yes\n"
}

/// Set sealing up, with a new epoch every `minutes`; `force` replaces an existing key.
pub fn setup(minutes: u32, force: bool) -> Result<Setup, SealError> {
    let machine_id = fs::read_to_string(paths::MACHINE_ID)
        .map(|s| s.trim().to_string())
        .map_err(|source| SealError::MachineId {
            path: paths::MACHINE_ID.to_string(),
            source,
        })?;
    let dir = Path::new(paths::JOURNAL_DIR).join(&machine_id);
    let keyfile = dir.join("fss");
    if keyfile.exists() && !force {
        return Err(SealError::KeyExists { path: keyfile });
    }
    persistent_storage(&dir)?;
    let config = PathBuf::from(paths::JOURNALD_SEAL_DROPIN);
    write_dropin(&config)?;

    let mut cmd = Command::new(crate::inspect::journal::JOURNALCTL);
    cmd.env("LC_ALL", "C.UTF-8")
        .arg("--setup-keys")
        .arg(format!("--interval={minutes}min"))
        .stdin(Stdio::null());
    if force {
        cmd.arg("--force");
    }
    // stdout is a pipe, so journalctl prints the key alone (no text, no QR code of its own).
    let out = cmd.output().map_err(|e| SealError::SetupKeys {
        detail: e.to_string(),
    })?;
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let key: VerifyKey = match printed.parse() {
        Ok(k) if out.status.success() => k,
        _ => return Err(SealError::SetupKeys { detail: said(&out) }),
    };
    let hostname = nix::sys::utsname::uname()
        .map(|u| u.nodename().to_string_lossy().into_owned())
        .unwrap_or_default();
    // No password prompt from systemctl: run by root, and a prompt would wait for nobody.
    let mut steps = vec![
        run(
            "restart-journald",
            &[
                "systemctl",
                "--no-ask-password",
                "restart",
                "systemd-journald",
            ],
        ),
        run("flush", &["journalctl", "--flush"]),
        run("rotate", &["journalctl", "--rotate"]),
    ];
    let sealing = check_sealed(&dir, &mut steps);
    Ok(Setup {
        qr_text: qr::url(key.text(), &machine_id, &hostname),
        key: key.text().to_string(),
        key_start_us: key.start_us,
        interval_us: key.interval_us,
        machine_id,
        hostname,
        sealing_key_file: keyfile,
        config,
        steps,
        sealing,
    })
}

/// `/var/log/journal` and its machine folder, as systemd's tmpfiles make them (2755, group
/// systemd-journal when it exists): their existence is what makes journald keep the journal.
fn persistent_storage(dir: &Path) -> Result<(), SealError> {
    fn write(path: &Path) -> impl FnOnce(io::Error) -> SealError + '_ {
        move |source| SealError::Write {
            path: path.to_path_buf(),
            source,
        }
    }
    for d in [Path::new(paths::JOURNAL_DIR), dir] {
        if !d.is_dir() {
            fs::create_dir_all(d).map_err(write(d))?;
            fs::set_permissions(d, fs::Permissions::from_mode(0o2755)).map_err(write(d))?;
            if let Ok(Some(group)) = nix::unistd::Group::from_name("systemd-journal") {
                nix::unistd::chown(d, None, Some(group.gid))
                    .map_err(|e| write(d)(io::Error::from(e)))?;
            }
        }
    }
    Ok(())
}

fn write_dropin(path: &Path) -> Result<(), SealError> {
    let err = |source| SealError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(err)?;
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(path)
        .map_err(err)?;
    io::Write::write_all(&mut file, dropin().as_bytes()).map_err(err)?;
    file.sync_all().map_err(err)
}

fn said(out: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    if err.is_empty() {
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    } else {
        err
    }
}

fn run(step: &'static str, argv: &[&str]) -> Step {
    match Command::new(argv[0])
        .args(&argv[1..])
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::null())
        .output()
    {
        Ok(out) => Step {
            step,
            ok: out.status.success(),
            detail: said(&out),
        },
        Err(e) => Step {
            step,
            ok: false,
            detail: format!("{}: {e}", argv[0]),
        },
    }
}

/// Whether the active system journal is sealed now (journalctl --header's flags).
fn check_sealed(dir: &Path, steps: &mut Vec<Step>) -> bool {
    let file = dir.join("system.journal");
    let out = Command::new(crate::inspect::journal::JOURNALCTL)
        .env("LC_ALL", "C.UTF-8")
        .arg("--header")
        .arg(format!("--file={}", file.display()))
        .stdin(Stdio::null())
        .output();
    let (ok, detail) = match out {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let sealed = text
                .lines()
                .filter_map(|l| l.strip_prefix("Compatible flags:"))
                .any(|flags| flags.split_whitespace().any(|f| f == "SEALED"));
            (sealed, format!("{}: sealed={sealed}", file.display()))
        }
        Ok(o) => (false, format!("{}: {}", file.display(), said(&o))),
        Err(e) => (false, e.to_string()),
    };
    steps.push(Step {
        step: "check-sealed",
        ok,
        detail,
    });
    ok
}
