//! Release orders (Law 29/2018/QH14, article 5, clause 7): a drafting PC leaves the air gap only
//! after its secrets were removed, on a written order. The order is a small TOML file signed
//! like a policy update (same trusted keys, same `ssh-keygen -Y`, its own namespace
//! `airgapd-release` so neither can pass for the other), bound to one machine (machine-id),
//! with an order number and date, and stating that the wiping was done and by whom:
//!
//! ```toml
//! [release]
//! machine_id = "0123456789abcdef0123456789abcdef"
//! order = "17/QĐ-BM"
//! date = "2026-12-06"
//! wiped_by = "Nguyễn Văn A, security officer"
//! statement = "The documents classified secret on this machine were removed on 2026-12-05."
//! ```
//!
//! [`check`] verifies it; `airgapctl release apply` then lifts (`crate::cli::lift`) and
//! [`remember`]s it in an append-only file, so the same order is never applied twice.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::update::{self, offered, ssh, Signer, TrustedKeys, UpdateError};

/// A release order's contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseOrder {
    /// The `/etc/machine-id` of the machine released.
    pub machine_id: String,
    /// The order's number.
    pub order: String,
    /// Its date, `YYYY-MM-DD`.
    pub date: String,
    /// Who removed the secrets.
    pub wiped_by: String,
    /// The statement that they were removed.
    pub statement: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderFile {
    release: ReleaseOrder,
}

/// Why an order was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// Reading or verifying the signature failed (unsigned, unknown key, altered, ...).
    #[error("release order refused: {0}")]
    Signature(#[from] UpdateError),
    /// The file is not a valid order.
    #[error("{}: not a valid release order: {detail}", file.display())]
    Invalid {
        /// The order file.
        file: PathBuf,
        /// What is wrong (with line and column where the parser gives them).
        detail: String,
    },
    /// The order names another machine.
    #[error("release order {order} is for machine {named}, this machine is {this}: refused")]
    OtherMachine {
        /// Order number.
        order: String,
        /// The machine it names.
        named: String,
        /// This machine's id.
        this: String,
    },
    /// The order was applied before.
    #[error("release order {order} (sha256 {sha256}) was applied before ({}): an order is applied once", file.display())]
    Replayed {
        /// Order number.
        order: String,
        /// Its SHA-256.
        sha256: String,
        /// The file of applied orders.
        file: PathBuf,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl ReleaseError {
    /// One word for `--json` and the journal.
    pub fn kind(&self) -> &'static str {
        match self {
            ReleaseError::Signature(e) => e.kind(),
            ReleaseError::Invalid { .. } => "invalid",
            ReleaseError::OtherMachine { .. } => "other-machine",
            ReleaseError::Replayed { .. } => "replayed",
            ReleaseError::Io { .. } => "io",
        }
    }
}

/// Parse and validate an order's text.
pub fn parse(text: &str, file: &Path) -> Result<ReleaseOrder, ReleaseError> {
    let invalid = |detail: String| ReleaseError::Invalid {
        file: file.to_path_buf(),
        detail,
    };
    let parsed: OrderFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    let o = parsed.release;
    if o.machine_id.len() != 32 || !o.machine_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid(format!(
            "release.machine_id {:?} is not a machine id (32 hex digits, /etc/machine-id)",
            o.machine_id
        )));
    }
    let d = o.date.as_bytes();
    let date_ok = d.len() == 10
        && d[4] == b'-'
        && d[7] == b'-'
        && d.iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !date_ok {
        return Err(invalid(format!(
            "release.date {:?} is not YYYY-MM-DD",
            o.date
        )));
    }
    for (field, value) in [
        ("order", &o.order),
        ("wiped_by", &o.wiped_by),
        ("statement", &o.statement),
    ] {
        if value.trim().is_empty() {
            return Err(invalid(format!("release.{field} is empty")));
        }
    }
    Ok(o)
}

/// This machine's id.
pub fn machine_id(path: &Path) -> Result<String, ReleaseError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|source| ReleaseError::Io {
            path: path.to_path_buf(),
            source,
        })
}

/// A verified order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accepted {
    /// Its contents.
    pub order: ReleaseOrder,
    /// Who signed it.
    pub signer: Signer,
    /// SHA-256 of its text.
    pub sha256: String,
    /// The file.
    pub file: PathBuf,
}

impl Accepted {
    /// How the lift record names it.
    pub fn describe(&self) -> String {
        format!(
            "{} of {} (signed by {} {}; wiping by {}: {})",
            self.order.order,
            self.order.date,
            self.signer.principal,
            self.signer.fingerprint,
            self.order.wiped_by,
            self.order.statement
        )
    }
}

/// Where the checks find their files.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Trusted public keys (the policy updates' directory).
    pub trusted_keys: PathBuf,
    /// ssh-keygen.
    pub ssh_keygen: PathBuf,
    /// This machine's id file.
    pub machine_id: PathBuf,
    /// The applied orders.
    pub orders: PathBuf,
}

/// Verify `file` (and `file.sig`): signed by a trusted key in the release namespace, a valid
/// order, for this machine, never applied before.
pub fn check(setup: &Setup, file: &Path) -> Result<Accepted, ReleaseError> {
    let offered = offered::read(file)?;
    let keys = TrustedKeys::read(&setup.trusted_keys)?;
    let signer = ssh::verify_in(&setup.ssh_keygen, &keys, &offered, ssh::RELEASE_NAMESPACE)?;
    let order = parse(&offered.text, file)?;
    let this = machine_id(&setup.machine_id)?;
    if !order.machine_id.eq_ignore_ascii_case(&this) {
        return Err(ReleaseError::OtherMachine {
            order: order.order,
            named: order.machine_id,
            this,
        });
    }
    let applied = match std::fs::read_to_string(&setup.orders) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(ReleaseError::Io {
                path: setup.orders.clone(),
                source,
            })
        }
    };
    if applied_before(&applied, &offered.sha256, &order.order) {
        return Err(ReleaseError::Replayed {
            order: order.order,
            sha256: offered.sha256,
            file: setup.orders.clone(),
        });
    }
    Ok(Accepted {
        order,
        signer,
        sha256: offered.sha256,
        file: file.to_path_buf(),
    })
}

/// Whether the applied orders' file (its text) holds an order with this SHA-256 or number.
/// A line that is not an applied order (damaged) is skipped.
pub fn applied_before(applied: &str, sha256: &str, order: &str) -> bool {
    applied
        .lines()
        .filter_map(|l| serde_json::from_str::<Applied>(l).ok())
        .any(|a| a.sha256 == sha256 || a.order == order)
}

/// One line of the applied orders' file.
#[derive(Debug, Serialize, Deserialize)]
struct Applied {
    order: String,
    date: String,
    machine_id: String,
    wiped_by: String,
    statement: String,
    sha256: String,
    signer: String,
    applied_at_us: u64,
}

/// Append the order to the applied orders (synced): it is never accepted again.
pub fn remember(orders: &Path, a: &Accepted) -> Result<(), ReleaseError> {
    let io = |source| ReleaseError::Io {
        path: orders.to_path_buf(),
        source,
    };
    if let Some(dir) = orders.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let line = serde_json::to_string(&Applied {
        order: a.order.order.clone(),
        date: a.order.date.clone(),
        machine_id: a.order.machine_id.clone(),
        wiped_by: a.order.wiped_by.clone(),
        statement: a.order.statement.clone(),
        sha256: a.sha256.clone(),
        signer: format!("{} {}", a.signer.principal, a.signer.fingerprint),
        applied_at_us: crate::pinned::record::now_us(),
    })
    .expect("serialises");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(orders)
        .map_err(io)?;
    f.write_all(format!("{line}\n").as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)
}

/// Sign an order (for the security office): checks it first, then `ssh-keygen -Y sign -n
/// airgapd-release`.
pub fn sign_command(ssh_keygen: &Path, key: &Path, file: &Path) -> std::process::Command {
    update::sign_command_in(ssh_keygen, key, file, ssh::RELEASE_NAMESPACE)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "[release]\nmachine_id = \"0123456789abcdef0123456789abcdef\"\n\
                        order = \"17/QĐ-BM\"\ndate = \"2026-12-06\"\nwiped_by = \"A\"\n\
                        statement = \"removed\"\n";

    #[test]
    fn parses_a_good_order_and_names_what_is_wrong() {
        let f = Path::new("order.toml");
        assert_eq!(parse(GOOD, f).unwrap().order, "17/QĐ-BM");
        let bad = GOOD.replace("2026-12-06", "6/12/2026");
        assert!(parse(&bad, f)
            .unwrap_err()
            .to_string()
            .contains("release.date"));
        let bad = GOOD.replace("0123456789abcdef0123456789abcdef", "host1");
        assert!(parse(&bad, f)
            .unwrap_err()
            .to_string()
            .contains("machine_id"));
        let bad = GOOD.replace("wiped_by = \"A\"", "wiped_by = \" \"");
        assert!(parse(&bad, f)
            .unwrap_err()
            .to_string()
            .contains("wiped_by is empty"));
        let bad = format!("{GOOD}extra = 1\n");
        assert!(parse(&bad, f).unwrap_err().to_string().contains("extra"));
    }
}
