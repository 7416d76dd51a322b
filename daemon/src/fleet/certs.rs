//! The office CA and the certificates it signs, made by the `openssl` program: EC P-256 keys
//! (journal-remote's and journal-upload's GnuTLS/libcurl accept them), SHA-256, ten years.

use std::io::Read;
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;

use super::{fresh_file, FleetError};

/// The program.
const OPENSSL: &str = "openssl";
/// Validity of the CA and of every certificate: the LAN has no clock service to renew on time.
const DAYS: &str = "3650";

fn openssl(step: impl Into<String>, args: &[&str]) -> Result<(), FleetError> {
    let step = step.into();
    let out = Command::new(OPENSSL)
        .args(args)
        .output()
        .map_err(|e| FleetError::Openssl {
            step: step.clone(),
            detail: format!("cannot run {OPENSSL}: {e}"),
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(FleetError::Openssl {
            step,
            detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// A new EC P-256 key, unencrypted, signed with SHA-256 (every key `fleet` makes).
const NEW_KEY: &[&str] = &[
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-sha256",
];

fn path_str(path: &Path) -> Result<&str, FleetError> {
    path.to_str()
        .ok_or_else(|| FleetError::Invalid(format!("{} is not UTF-8", path.display())))
}

/// Make the office CA: its key (mode 0600) and self-signed certificate.
pub fn make_ca(name: &str, key: &Path, cert: &Path) -> Result<(), FleetError> {
    fresh_file(key, 0o600)?;
    fresh_file(cert, 0o644)?;
    let subject = format!("/CN={name}");
    openssl(
        "making the office CA",
        &[
            &["req", "-x509"][..],
            NEW_KEY,
            &[
                "-days",
                DAYS,
                "-subj",
                &subject,
                "-keyout",
                path_str(key)?,
                "-out",
                path_str(cert)?,
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        ]
        .concat(),
    )
}

/// Who a certificate is for: its common name (journal-remote names the PC's files after it)
/// and the addresses it may be reached at (the log host's, which journal-upload checks).
pub struct Subject<'a> {
    /// The common name: the machine's name.
    pub name: &'a str,
    /// Addresses for the subjectAltName.
    pub addresses: &'a [IpAddr],
}

/// Make a key (mode `key_mode`) and a certificate for `subject`, signed by the CA. `scratch`
/// is a directory for the request and extensions, emptied after.
pub fn make_signed(
    subject: &Subject<'_>,
    ca_key: &Path,
    ca_cert: &Path,
    key: &Path,
    cert: &Path,
    key_mode: u32,
) -> Result<(), FleetError> {
    let step = |what: &str| format!("{what} for {}", subject.name);
    fresh_file(key, key_mode)?;
    fresh_file(cert, 0o644)?;
    let csr = cert.with_extension("csr");
    let ext = cert.with_extension("ext");
    let mut alt = vec![format!("DNS:{}", subject.name)];
    alt.extend(subject.addresses.iter().map(|a| format!("IP:{a}")));
    let extensions = format!(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName={}\n",
        alt.join(",")
    );
    super::write_file(&ext, extensions.as_bytes(), 0o600)?;
    let subj = format!("/CN={}", subject.name);
    let result = openssl(
        step("making the key and request"),
        &[
            &["req", "-new"][..],
            NEW_KEY,
            &[
                "-subj",
                &subj,
                "-keyout",
                path_str(key)?,
                "-out",
                path_str(&csr)?,
            ],
        ]
        .concat(),
    )
    .and_then(|()| {
        openssl(
            step("signing the certificate"),
            &[
                "x509",
                "-req",
                "-sha256",
                "-days",
                DAYS,
                "-in",
                path_str(&csr)?,
                "-CA",
                path_str(ca_cert)?,
                "-CAkey",
                path_str(ca_key)?,
                "-set_serial",
                &serial()?,
                "-extfile",
                path_str(&ext)?,
                "-out",
                path_str(cert)?,
            ],
        )
    });
    let _ = std::fs::remove_file(&csr);
    let _ = std::fs::remove_file(&ext);
    result
}

/// A random 128-bit serial (RFC 5280: unique per CA; random needs no state on the log host).
fn serial() -> Result<String, FleetError> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|source| FleetError::Io {
            action: "reading",
            path: "/dev/urandom".into(),
            source,
        })?;
    bytes[0] &= 0x7f; // positive
    Ok(format!(
        "0x{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// Check that `cert` chains to `ca` (`openssl verify`).
pub fn verify(ca: &Path, cert: &Path) -> Result<(), FleetError> {
    openssl(
        format!("verifying {}", cert.display()),
        &["verify", "-CAfile", path_str(ca)?, path_str(cert)?],
    )
}
