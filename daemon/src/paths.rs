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
/// journald's native protocol socket.
pub const JOURNAL_SOCKET: &str = "/run/systemd/journal/socket";

/// Pin directory for a scoped (test or `airgapd run`) instance: unique per process.
pub fn scoped_pin_dir(tag: &str) -> PathBuf {
    PathBuf::from(BPFFS).join(format!("airgapd-{tag}-{}", std::process::id()))
}
