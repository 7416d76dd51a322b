//! Every filesystem path the product uses, in one place.

use std::path::PathBuf;

/// The policy in force on a production machine.
pub const POLICY_FILE: &str = "/etc/airgapd/policy.toml";
/// Public keys whose signatures `airgapctl policy apply` accepts (`NAME.pub`, root's only).
pub const TRUSTED_KEYS_DIR: &str = "/etc/airgapd/trusted-keys";
/// Anti-rollback state: the highest policy serial ever applied on this machine.
pub const POLICY_SERIAL_FILE: &str = "/var/lib/airgapd/policy-serial";
/// The copy register of removable media: hash-chained JSON lines, append-only (`airgapd service
/// --register`, `airgapctl register --file`).
pub const COPY_REGISTER: &str = "/var/lib/airgapd/register.jsonl";
/// The machine record: starts, stops, policy changes, lifts and tampering, hash-chained JSON
/// lines, append-only (`airgapd service --machine-record`; `airgapctl inspect` reads it).
pub const MACHINE_RECORD: &str = "/var/lib/airgapd/machine-record.jsonl";
/// This boot's id.
pub const BOOT_ID: &str = "/proc/sys/kernel/random/boot_id";
/// What `airgapctl violations` and `devices` show, kept across restarts (`airgapd service
/// --history`; bounded, replaced atomically).
pub const HISTORY: &str = "/var/lib/airgapd/history.json";
/// OpenSSH's ssh-keygen, which signs and verifies policy updates.
pub const SSH_KEYGEN: &str = "/usr/bin/ssh-keygen";
/// Where bpffs is (or gets) mounted.
pub const BPFFS: &str = "/sys/fs/bpf";
/// Pinned programs, links and maps of the production service, so enforcement outlives it.
pub const PIN_DIR: &str = "/sys/fs/bpf/airgapd";
/// The cgroup v2 hierarchy, when it is not found in /proc/self/mountinfo.
pub const CGROUP2_DEFAULT: &str = "/sys/fs/cgroup";
/// Mount table used to find the cgroup v2 hierarchy.
pub const MOUNTINFO: &str = "/proc/self/mountinfo";
/// The installed message catalogs, `<lang>/<file>.ftl`; they override the built-in ones.
pub const LOCALE_DIR: &str = "/usr/share/airgapd/locale";
/// Where journald keeps the journal on disk (its existence makes the journal persistent);
/// `<machine-id>/fss` in it is the sealing key (`airgapctl seal-journal`).
pub const JOURNAL_DIR: &str = "/var/log/journal";
/// The journald drop-in `airgapctl seal-journal` writes: persistent storage, sealing on.
pub const JOURNALD_SEAL_DROPIN: &str = "/etc/systemd/journald.conf.d/90-airgapd-seal.conf";
/// The office CA of the remote journal and the PC certificates made for carrying
/// (`airgapctl fleet host-setup`, on the log host).
pub const FLEET_DIR: &str = "/etc/airgapd/fleet";
/// systemd-journal-remote's configuration (Debian's path).
pub const JOURNAL_REMOTE_CONF: &str = "/etc/systemd/journal-remote.conf";
/// systemd-journal-upload's configuration.
pub const JOURNAL_UPLOAD_CONF: &str = "/etc/systemd/journal-upload.conf";
/// The CA both services trust (their built-in default).
pub const JOURNAL_TRUSTED_CA: &str = "/etc/ssl/ca/trusted.pem";
/// The log host's key and certificate (journal-remote's built-in defaults).
pub const JOURNAL_REMOTE_KEY: &str = "/etc/ssl/private/journal-remote.pem";
/// See [`JOURNAL_REMOTE_KEY`].
pub const JOURNAL_REMOTE_CERT: &str = "/etc/ssl/certs/journal-remote.pem";
/// A PC's key and certificate (journal-upload's built-in defaults).
pub const JOURNAL_UPLOAD_KEY: &str = "/etc/ssl/private/journal-upload.pem";
/// See [`JOURNAL_UPLOAD_KEY`].
pub const JOURNAL_UPLOAD_CERT: &str = "/etc/ssl/certs/journal-upload.pem";
/// journald's native protocol socket.
pub const JOURNAL_SOCKET: &str = "/run/systemd/journal/socket";

/// Pin directory for a scoped (test or `airgapd run`) instance: unique per process.
pub fn scoped_pin_dir(tag: &str) -> PathBuf {
    PathBuf::from(BPFFS).join(format!("airgapd-{tag}-{}", std::process::id()))
}

/// The enforcement record the daemon and `airgapd lift` keep, readable by everyone, so that
/// `airgapctl status` answers while the daemon is stopped (`crate::pinned::record`).
pub const ENFORCEMENT_RECORD: &str = "/run/airgapd/enforcement.json";

/// The enforcement record of a pin directory: [`ENFORCEMENT_RECORD`] for the production one,
/// `/run/airgapd/enforcement-<name>.json` for another (a test's never overwrites production's).
pub fn record_for(pin_dir: &std::path::Path, given: Option<&std::path::Path>) -> PathBuf {
    if let Some(path) = given {
        return path.to_path_buf();
    }
    if pin_dir == std::path::Path::new(PIN_DIR) {
        return PathBuf::from(ENFORCEMENT_RECORD);
    }
    let name = pin_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    PathBuf::from(format!("/run/airgapd/enforcement-{name}.json"))
}
/// Release orders applied on this machine (JSON lines, append-only: an order is applied once).
pub const RELEASE_ORDERS: &str = "/var/lib/airgapd/release-orders.jsonl";
/// This machine's id, which a release order names.
pub const MACHINE_ID: &str = "/etc/machine-id";
/// The machine key (OpenSSH ed25519, root's only; `.pub` beside it): signs inspection
/// reports (`airgapctl report`); made by the package at install, or on first need.
pub const MACHINE_KEY: &str = "/var/lib/airgapd/machine-key";
/// The font `report.pdf` is typeset in and embeds (Debian's fonts-dejavu-core): it has every
/// Vietnamese letter. `report verify` typesets again with it, so both ends need the same one.
pub const REPORT_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
