//! `host-setup` and `pc-setup`: the files of the office's remote journal, where Debian's
//! `systemd-journal-remote` and `systemd-journal-upload` look for them by default.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::certs::{self, Subject};
use super::{group_readable, under, write_file, FileKind, FleetError, Written};
use crate::paths;

/// The unit that makes journal-remote listen (on 19532, its default).
pub const REMOTE_UNIT: &str = "systemd-journal-remote.socket";
/// The upload service.
pub const UPLOAD_UNIT: &str = "systemd-journal-upload.service";
/// journal-remote's group (reads its key); the upload's service runs in `systemd-journal`.
const REMOTE_GROUP: &str = "systemd-journal-remote";
const UPLOAD_GROUP: &str = "systemd-journal";

/// What `host-setup` is given.
#[derive(Debug, Clone)]
pub struct HostSetup {
    /// The system's root: `/`, or a directory that stands for it.
    pub root: PathBuf,
    /// The log host's name (its certificate's common name).
    pub name: String,
    /// The log host's address on the LAN (in its certificate: journal-upload checks it).
    pub address: IpAddr,
    /// An existing office CA (certificate, key) to take instead of making one.
    pub ca: Option<(PathBuf, PathBuf)>,
    /// PCs to make a certificate and key for, to carry to each.
    pub pcs: Vec<String>,
}

/// What `pc-setup` is given.
#[derive(Debug, Clone)]
pub struct PcSetup {
    /// The system's root.
    pub root: PathBuf,
    /// The PC's certificate, key and the office CA's certificate, as host-setup made them.
    pub cert: PathBuf,
    /// See `cert`.
    pub key: PathBuf,
    /// See `cert`.
    pub ca: PathBuf,
    /// Where to send: the policy's `[network.log_host]`.
    pub address: IpAddr,
    /// See `address`.
    pub port: u16,
}

/// What a setup did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Done {
    /// Every file written, in order.
    pub files: Vec<Written>,
    /// The unit to enable.
    pub unit: &'static str,
    /// Whether it was enabled and started (never under another root).
    pub enabled: bool,
}

/// A machine name as certificates and journal-remote's file names use it.
pub fn check_name(name: &str) -> Result<(), FleetError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['-', '.'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(FleetError::Invalid(format!(
            "{name:?} is not a machine name: 1 to 64 of A-Z, a-z, 0-9, '-' and '.'"
        )))
    }
}

/// Set up the log host.
pub fn host_setup(s: &HostSetup) -> Result<Done, FleetError> {
    check_name(&s.name)?;
    for pc in &s.pcs {
        check_name(pc)?;
    }
    let mut files = Vec::new();
    let fleet = under(&s.root, paths::FLEET_DIR);
    let (ca_cert, ca_key) = match &s.ca {
        Some((cert, key)) => (cert.clone(), key.clone()),
        None => {
            let (cert, key) = (fleet.join("ca.pem"), fleet.join("ca.key"));
            certs::make_ca(&format!("{} office journal CA", s.name), &key, &cert)?;
            files.push(Written {
                path: cert.clone(),
                kind: FileKind::CaCert,
            });
            files.push(Written {
                path: key.clone(),
                kind: FileKind::CaKey,
            });
            (cert, key)
        }
    };
    files.push(trust(&s.root, &ca_cert)?);

    let (key, cert) = (
        under(&s.root, paths::JOURNAL_REMOTE_KEY),
        under(&s.root, paths::JOURNAL_REMOTE_CERT),
    );
    let subject = Subject {
        name: &s.name,
        addresses: &[s.address],
    };
    certs::make_signed(&subject, &ca_key, &ca_cert, &key, &cert, 0o640)?;
    group_readable(&key, REMOTE_GROUP)?;
    files.push(Written {
        path: cert,
        kind: FileKind::ServerCert,
    });
    files.push(Written {
        path: key,
        kind: FileKind::ServerKey,
    });

    let conf = under(&s.root, paths::JOURNAL_REMOTE_CONF);
    write_file(&conf, remote_conf().as_bytes(), 0o644)?;
    files.push(Written {
        path: conf,
        kind: FileKind::RemoteConf,
    });

    for pc in &s.pcs {
        let dir = fleet.join("pcs").join(pc);
        let (key, cert) = (dir.join(format!("{pc}.key")), dir.join(format!("{pc}.pem")));
        certs::make_signed(
            &Subject {
                name: pc,
                addresses: &[],
            },
            &ca_key,
            &ca_cert,
            &key,
            &cert,
            0o600,
        )?;
        files.push(Written {
            path: cert,
            kind: FileKind::PcCert,
        });
        files.push(Written {
            path: key,
            kind: FileKind::PcKey,
        });
    }
    let enabled = enable(&s.root, REMOTE_UNIT)?;
    Ok(Done {
        files,
        unit: REMOTE_UNIT,
        enabled,
    })
}

/// Set up a PC.
pub fn pc_setup(s: &PcSetup) -> Result<Done, FleetError> {
    certs::verify(&s.ca, &s.cert)?;
    let mut files = vec![trust(&s.root, &s.ca)?];
    let (key, cert) = (
        under(&s.root, paths::JOURNAL_UPLOAD_KEY),
        under(&s.root, paths::JOURNAL_UPLOAD_CERT),
    );
    write_file(&cert, &read(&s.cert)?, 0o644)?;
    files.push(Written {
        path: cert,
        kind: FileKind::UploadCert,
    });
    write_file(&key, &read(&s.key)?, 0o640)?;
    group_readable(&key, UPLOAD_GROUP)?;
    files.push(Written {
        path: key,
        kind: FileKind::UploadKey,
    });
    let conf = under(&s.root, paths::JOURNAL_UPLOAD_CONF);
    write_file(&conf, upload_conf(s.address, s.port).as_bytes(), 0o644)?;
    files.push(Written {
        path: conf,
        kind: FileKind::UploadConf,
    });
    let enabled = enable(&s.root, UPLOAD_UNIT)?;
    Ok(Done {
        files,
        unit: UPLOAD_UNIT,
        enabled,
    })
}

fn read(path: &Path) -> Result<Vec<u8>, FleetError> {
    std::fs::read(path).map_err(super::io("reading", path))
}

/// The office CA where both services look for the CA they trust.
fn trust(root: &Path, ca_cert: &Path) -> Result<Written, FleetError> {
    let trusted = under(root, paths::JOURNAL_TRUSTED_CA);
    write_file(&trusted, &read(ca_cert)?, 0o644)?;
    Ok(Written {
        path: trusted,
        kind: FileKind::Trusted,
    })
}

/// One journal file set per machine (named after its certificate), unsealed: sealing keys
/// belong to the PC that wrote the records (`airgapctl seal-journal`), not to the copy.
pub fn remote_conf() -> String {
    format!(
        "# Written by airgapctl fleet host-setup: the office's remote journal (airgapd).\n\
         [Remote]\nSeal=false\nSplitMode=host\nServerKeyFile={}\nServerCertificateFile={}\n\
         TrustedCertificateFile={}\n",
        paths::JOURNAL_REMOTE_KEY,
        paths::JOURNAL_REMOTE_CERT,
        paths::JOURNAL_TRUSTED_CA
    )
}

/// The log host's URL (IPv6 in brackets) and this PC's credentials.
pub fn upload_conf(address: IpAddr, port: u16) -> String {
    let host = match address {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    };
    format!(
        "# Written by airgapctl fleet pc-setup: the office's remote journal (airgapd).\n\
         [Upload]\nURL=https://{host}:{port}\nServerKeyFile={}\nServerCertificateFile={}\n\
         TrustedCertificateFile={}\n",
        paths::JOURNAL_UPLOAD_KEY,
        paths::JOURNAL_UPLOAD_CERT,
        paths::JOURNAL_TRUSTED_CA
    )
}

/// Enable and start `unit` on this system; under another root nothing is started (the unit
/// files may not even be there): the caller says what to run on that system.
fn enable(root: &Path, unit: &'static str) -> Result<bool, FleetError> {
    if root != Path::new("/") {
        return Ok(false);
    }
    let out = Command::new("systemctl")
        .args(["enable", "--now", unit])
        .output()
        .map_err(|e| FleetError::Enable {
            unit,
            detail: e.to_string(),
        })?;
    if out.status.success() {
        Ok(true)
    } else {
        Err(FleetError::Enable {
            unit,
            detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("airgapd-fleet-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The whole chain with the real openssl, under a scratch root: the log host's and the
    /// PCs' certificates verify against the office CA, keys are not readable by others, and
    /// nothing is enabled.
    #[test]
    fn host_then_pc_setup_under_a_root() {
        use std::os::unix::fs::PermissionsExt;
        let host_root = temp("host");
        let host = host_setup(&HostSetup {
            root: host_root.clone(),
            name: "loghost".into(),
            address: "192.168.50.2".parse().unwrap(),
            ca: None,
            pcs: vec!["pc-01".into()],
        })
        .unwrap();
        assert!(!host.enabled);
        let kinds: Vec<FileKind> = host.files.iter().map(|w| w.kind).collect();
        assert_eq!(
            kinds,
            [
                FileKind::CaCert,
                FileKind::CaKey,
                FileKind::Trusted,
                FileKind::ServerCert,
                FileKind::ServerKey,
                FileKind::RemoteConf,
                FileKind::PcCert,
                FileKind::PcKey
            ]
        );
        for w in &host.files {
            assert!(w.path.starts_with(&host_root), "{w:?} outside the root");
            let mode = std::fs::metadata(&w.path).unwrap().permissions().mode() & 0o777;
            if matches!(
                w.kind,
                FileKind::CaKey | FileKind::ServerKey | FileKind::PcKey
            ) {
                assert_eq!(mode & 0o007, 0, "{w:?} readable by others: {mode:o}");
            }
        }
        let ca = &host.files[0].path;
        certs::verify(ca, &host.files[3].path).unwrap();
        assert!(std::fs::read_to_string(&host.files[5].path)
            .unwrap()
            .contains("SplitMode=host"));

        let pc_root = temp("pc");
        let pc = pc_setup(&PcSetup {
            root: pc_root.clone(),
            cert: host.files[6].path.clone(),
            key: host.files[7].path.clone(),
            ca: ca.clone(),
            address: "192.168.50.2".parse().unwrap(),
            port: 19532,
        })
        .unwrap();
        assert_eq!(pc.files.len(), 4);
        let conf = std::fs::read_to_string(&pc.files[3].path).unwrap();
        assert!(conf.contains("URL=https://192.168.50.2:19532\n"), "{conf}");
        // A certificate of another CA is refused before anything is written.
        let other = temp("other");
        let err = pc_setup(&PcSetup {
            root: other.clone(),
            cert: host.files[6].path.clone(),
            key: host.files[7].path.clone(),
            ca: host.files[3].path.clone(),
            address: "192.168.50.2".parse().unwrap(),
            port: 19532,
        });
        assert!(matches!(err, Err(FleetError::Openssl { .. })), "{err:?}");
        assert!(!under(&other, paths::JOURNAL_UPLOAD_CONF).exists());
        for dir in [host_root, pc_root, other] {
            std::fs::remove_dir_all(dir).unwrap();
        }
    }

    #[test]
    fn names_and_urls() {
        assert!(check_name("pc-07.office").is_ok());
        for bad in ["", "-x", "a/b", "a b", "../x"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(
            upload_conf("fd00::2".parse().unwrap(), 443).contains("URL=https://[fd00::2]:443\n")
        );
    }
}
