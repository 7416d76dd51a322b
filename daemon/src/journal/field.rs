//! Names of the fields airgapd adds to its records, and the values with a fixed vocabulary.
//!
//! The rest of the daemon names fields only through these constants, so a typo is a compile
//! error rather than a record an officer's query silently misses. Every name is checked against
//! journald's rules at compile time (see the `const` block at the end).
//!
//! | field | meaning |
//! |---|---|
//! | `AIRGAP_KIND` | what happened: `net.create`, `net.connect`, `net.bind`, `net.send`, `net.egress`, `dev.block`, `dev.char`, ... ([`crate::violation::Kind::name`]) |
//! | `AIRGAP_ACTION` | what airgapd did: [`action`] |
//! | `AIRGAP_RESULT` | whether an audited operation completed: [`result`] |
//! | `AIRGAP_PID`, `AIRGAP_TID` | process and thread id of the actor |
//! | `AIRGAP_COMM`, `AIRGAP_EXE` | its command name and executable path |
//! | `AIRGAP_UID` | its user id |
//! | `AIRGAP_CGROUP_ID` | its cgroup v2 id |
//! | `AIRGAP_FAMILY`, `AIRGAP_SOCK_TYPE`, `AIRGAP_PROTOCOL` | socket address family, type, protocol |
//! | `AIRGAP_ADDRESS`, `AIRGAP_PORT` | the peer or local address the process used |
//! | `AIRGAP_SOCKOPT` | a refused socket option, `LEVEL/NAME`, e.g. `SOL_PACKET/PACKET_QDISC_BYPASS` |
//! | `AIRGAP_SYSCALL_ENTRY` | `compat` when the refused call came through the 32-bit entry (an i386 program, or `int 0x80`); absent for the native one |
//! | `AIRGAP_PROCESS` | `unknown` when the kernel gave the refusing program no process id or name (cgroup/dev and cgroup/setsockopt on Debian 11's 5.10: `AIRGAP_PID`, `AIRGAP_TID` are then 0 and `AIRGAP_COMM` is `-`; uid and cgroup are still the actor's); absent otherwise |
//! | `AIRGAP_IFINDEX` | network interface index |
//! | `AIRGAP_INTERFACE` | network interface name, e.g. `enp3s0` |
//! | `AIRGAP_CHANGE` | how an isolated LAN stopped being isolated: `default-route`, `gateway`, `route`, `address`, `carrier`, `mac` ([`crate::network::isolation::Change::name`]) |
//! | `AIRGAP_DEVICE` | device number `major:minor` |
//! | `AIRGAP_DEV_NODE` | device node path, e.g. `/dev/sdb` |
//! | `AIRGAP_VENDOR_ID`, `AIRGAP_PRODUCT_ID`, `AIRGAP_SERIAL`, `AIRGAP_MODEL` | device identity |
//! | `AIRGAP_BUS_PATH` | where the device is attached (sysfs/USB port path) |
//! | `AIRGAP_FS_UUID` | file system UUID of a medium |
//! | `AIRGAP_ACCESS` | access requested: `read`, `write`, `exec`, `mount`, ... |
//! | `AIRGAP_RULE` | the policy rule that decided |
//! | `AIRGAP_SEEN` | how a medium came to be judged: `arrival`, `present-at-start` (as when the daemon last stopped), `present-at-start-new` (not there then) |
//! | `AIRGAP_POLICY_SHA256`, `AIRGAP_POLICY_SERIAL` | which policy was in force or offered |
//! | `AIRGAP_REPEATS` | how many more records like this one were suppressed (storm aggregation) |
//! | `AIRGAP_FOLDED_BY` | `user` when the record counts the refusals of processes of one user beyond those recorded one by one (a crowd: `service::refusals::CROWD`), `everyone` when of several users; absent for one process's. The pid and name are of the last of them |
//! | `AIRGAP_LOST` | how many events lost their details in a ring buffer overflow |
//! | `AIRGAP_LAYER`, `AIRGAP_STATE` | an enforcement layer and its state: [`state`] |
//! | `AIRGAP_DOCUMENT`, `AIRGAP_SECRECY`, `AIRGAP_COPIES`, `AIRGAP_APPROVED_BY` | copy register columns (form 12, Circular 24/2020/TT-BCA) |
//! | `AIRGAP_DIRECTION` | copy register: `to-medium` or `from-medium` |
//! | `AIRGAP_SHA256`, `AIRGAP_SIZE` | SHA-256 and size of a file's content (copied, or refused execution) |
//! | `AIRGAP_REGISTER_SEQ`, `AIRGAP_REGISTER_CHAIN` | a copy's line in the register file and its chain hash |
//! | `AIRGAP_MOUNT_POINTS` | a medium mounted before the daemon started: its mounts, `NAMESPACE:MOUNT_POINT` each, separated by `; ` |
//! | `AIRGAP_MACHINE_RECORD_EVENT`, `AIRGAP_MACHINE_RECORD_SEQ`, `AIRGAP_MACHINE_RECORD_CHAIN` | a line of the machine record: its event, number and chain hash |
//! | `AIRGAP_TPM_STATE`, `AIRGAP_TPM_RESET_COUNT`, `AIRGAP_TPM_COUNTER`, `AIRGAP_TPM_COUNTER_BEFORE` | a machine record line's TPM facts: `present`, `absent` or `error`; the TPM's reset count; airgapd's NV counter after this line's increment, and before it when that was not the record's last value (the record was rolled back) |
//! | `AIRGAP_OBJECT`, `AIRGAP_BEFORE`, `AIRGAP_AFTER` | tampering: which kernel object of airgapd's changed (`link_airgap_sendmsg4`, `airgap_config`, `airgap_dev_rules b 8:*`), how airgapd had set it and how it was found |
//!
//! The catalog (`packaging/catalog/`) substitutes `@FIELD@` only for names made of `A`–`Z` and
//! `_`, so `AIRGAP_POLICY_SHA256` cannot appear in catalog text.

/// What happened, e.g. `net.connect` or `dev.block`.
pub const KIND: &str = "AIRGAP_KIND";
/// What airgapd did about it: one of [`action`].
pub const ACTION: &str = "AIRGAP_ACTION";
/// Whether an audited operation completed: one of [`result`].
pub const RESULT: &str = "AIRGAP_RESULT";
/// Process id (tgid) of the actor.
pub const PID: &str = "AIRGAP_PID";
/// Thread id of the actor.
pub const TID: &str = "AIRGAP_TID";
/// Command name (`comm`) of the actor.
pub const COMM: &str = "AIRGAP_COMM";
/// User id of the actor.
pub const UID: &str = "AIRGAP_UID";
/// Executable path of the actor, or of the program refused execution.
pub const EXE: &str = "AIRGAP_EXE";
/// cgroup v2 id of the actor.
pub const CGROUP_ID: &str = "AIRGAP_CGROUP_ID";
/// Socket address family.
pub const FAMILY: &str = "AIRGAP_FAMILY";
/// Socket type.
pub const SOCK_TYPE: &str = "AIRGAP_SOCK_TYPE";
/// Socket protocol.
pub const PROTOCOL: &str = "AIRGAP_PROTOCOL";
/// Address the process used.
pub const ADDRESS: &str = "AIRGAP_ADDRESS";
/// Port the process used.
pub const PORT: &str = "AIRGAP_PORT";
/// A refused socket option, `LEVEL/NAME`.
pub const SOCKOPT: &str = "AIRGAP_SOCKOPT";
/// `compat`: the refused call came through the 32-bit system call entry.
pub const SYSCALL_ENTRY: &str = "AIRGAP_SYSCALL_ENTRY";
/// `unknown`: the refusing program could not read the process id and name on this kernel.
pub const PROCESS: &str = "AIRGAP_PROCESS";
/// Network interface index.
pub const IFINDEX: &str = "AIRGAP_IFINDEX";
/// Network interface name.
pub const INTERFACE: &str = "AIRGAP_INTERFACE";
/// `1`: the interface came up before its programs were attached and was held down until they
/// were (issue 23).
pub const HELD_DOWN: &str = "AIRGAP_HELD_DOWN";
/// How long it was held down, in ms, once it is up again.
pub const HELD_MS: &str = "AIRGAP_HELD_MS";
/// What changed when an isolated LAN stopped being isolated.
pub const CHANGE: &str = "AIRGAP_CHANGE";
/// Device number, `major:minor`.
pub const DEVICE: &str = "AIRGAP_DEVICE";
/// Device node path.
pub const DEV_NODE: &str = "AIRGAP_DEV_NODE";
/// Vendor id of a device (hex, e.g. `0781`).
pub const VENDOR_ID: &str = "AIRGAP_VENDOR_ID";
/// Product id of a device (hex).
pub const PRODUCT_ID: &str = "AIRGAP_PRODUCT_ID";
/// Serial number of a device.
pub const SERIAL: &str = "AIRGAP_SERIAL";
/// Model name of a device.
pub const MODEL: &str = "AIRGAP_MODEL";
/// Where the device is attached.
pub const BUS_PATH: &str = "AIRGAP_BUS_PATH";
/// File system UUID of a medium.
pub const FS_UUID: &str = "AIRGAP_FS_UUID";
/// Access requested.
pub const ACCESS: &str = "AIRGAP_ACCESS";
/// The policy rule that decided.
pub const RULE: &str = "AIRGAP_RULE";
/// Why a device was decided so, for the translation catalogs: `{"key": ..., "args": {...}}`
/// (`crate::devices::reason::ReasonRef`); `AIRGAP_SUMMARY_VI` says it in Vietnamese.
pub const REASON_REF: &str = "AIRGAP_REASON_REF";
/// How a medium came to be judged: `arrival`, `present-at-start`, `present-at-start-new`.
pub const SEEN: &str = "AIRGAP_SEEN";
/// SHA-256 of the policy file.
pub const POLICY_SHA256: &str = "AIRGAP_POLICY_SHA256";
/// Serial number of the policy.
pub const POLICY_SERIAL: &str = "AIRGAP_POLICY_SERIAL";
/// Number of records like this one suppressed by storm aggregation.
pub const REPEATS: &str = "AIRGAP_REPEATS";
/// See the table above.
pub const FOLDED_BY: &str = "AIRGAP_FOLDED_BY";
/// Number of events whose details were lost.
pub const LOST: &str = "AIRGAP_LOST";
/// An enforcement layer, e.g. `bpf-lsm`, `cgroup-skb`.
pub const LAYER: &str = "AIRGAP_LAYER";
/// State of an enforcement layer: one of [`state`].
pub const STATE: &str = "AIRGAP_STATE";
/// USB interface classes of the device, "cc/ss/pp" each, space-separated.
pub const INTERFACES: &str = "AIRGAP_INTERFACES";
/// Filesystem label of a medium.
pub const FS_LABEL: &str = "AIRGAP_FS_LABEL";
/// Copy register: the document copied.
pub const DOCUMENT: &str = "AIRGAP_DOCUMENT";
/// Copy register: secrecy level (Tuyệt mật, Tối mật, Mật).
pub const SECRECY: &str = "AIRGAP_SECRECY";
/// Copy register: number of copies.
pub const COPIES: &str = "AIRGAP_COPIES";
/// Copy register: who approved the copy.
pub const APPROVED_BY: &str = "AIRGAP_APPROVED_BY";
/// Copy register: `to-medium` or `from-medium`.
pub const DIRECTION: &str = "AIRGAP_DIRECTION";
/// SHA-256 of a file's content (lowercase hex): a copy, or a program refused execution.
pub const SHA256: &str = "AIRGAP_SHA256";
/// Size of that file in bytes.
pub const SIZE: &str = "AIRGAP_SIZE";
/// Copy register: the record's sequence number in the register file.
pub const REGISTER_SEQ: &str = "AIRGAP_REGISTER_SEQ";
/// Copy register: the record's chain hash in the register file.
pub const REGISTER_CHAIN: &str = "AIRGAP_REGISTER_CHAIN";
/// Machine record: the line's event (`start`, `stop`, `policy`, `lift`, `tamper`).
pub const MACHINE_RECORD_EVENT: &str = "AIRGAP_MACHINE_RECORD_EVENT";
/// Machine record: the line's number.
pub const MACHINE_RECORD_SEQ: &str = "AIRGAP_MACHINE_RECORD_SEQ";
/// Machine record: the line's chain hash.
pub const MACHINE_RECORD_CHAIN: &str = "AIRGAP_MACHINE_RECORD_CHAIN";
/// Machine record: the TPM's state for the line (`present`, `absent`, `error`).
pub const TPM_STATE: &str = "AIRGAP_TPM_STATE";
/// Machine record: the TPM's reset count (boots since it was cleared).
pub const TPM_RESET_COUNT: &str = "AIRGAP_TPM_RESET_COUNT";
/// Machine record: airgapd's TPM counter after the line's increment.
pub const TPM_COUNTER: &str = "AIRGAP_TPM_COUNTER";
/// Machine record: the counter before the increment, when the record's last value differs.
pub const TPM_COUNTER_BEFORE: &str = "AIRGAP_TPM_COUNTER_BEFORE";
/// Tampering: the kernel object of airgapd's that another process changed.
pub const OBJECT: &str = "AIRGAP_OBJECT";
/// Tampering: how airgapd had set it.
pub const BEFORE: &str = "AIRGAP_BEFORE";
/// Tampering: how it was found.
pub const AFTER: &str = "AIRGAP_AFTER";

/// A medium mounted before the daemon started: its mounts (`mnt:[NAMESPACE]:POINT`, `; `
/// between them).
pub const MOUNT_POINTS: &str = "AIRGAP_MOUNT_POINTS";

/// Every field name above; tests use it to check the catalog's `@FIELD@` references.
pub const ALL: &[&str] = &[
    KIND,
    ACTION,
    RESULT,
    PID,
    TID,
    COMM,
    UID,
    EXE,
    CGROUP_ID,
    FAMILY,
    SOCK_TYPE,
    PROTOCOL,
    ADDRESS,
    PORT,
    SOCKOPT,
    SYSCALL_ENTRY,
    PROCESS,
    IFINDEX,
    INTERFACE,
    CHANGE,
    DEVICE,
    DEV_NODE,
    VENDOR_ID,
    PRODUCT_ID,
    SERIAL,
    MODEL,
    BUS_PATH,
    FS_UUID,
    FS_LABEL,
    INTERFACES,
    ACCESS,
    RULE,
    POLICY_SHA256,
    POLICY_SERIAL,
    REPEATS,
    FOLDED_BY,
    LOST,
    LAYER,
    STATE,
    DOCUMENT,
    SECRECY,
    COPIES,
    APPROVED_BY,
    DIRECTION,
    SHA256,
    SIZE,
    REGISTER_SEQ,
    REGISTER_CHAIN,
    MACHINE_RECORD_EVENT,
    MACHINE_RECORD_SEQ,
    MACHINE_RECORD_CHAIN,
    TPM_STATE,
    TPM_RESET_COUNT,
    TPM_COUNTER,
    TPM_COUNTER_BEFORE,
    OBJECT,
    BEFORE,
    AFTER,
    MOUNT_POINTS,
];

/// Fields the sink writes itself; a record may not carry them.
pub const RESERVED: &[&str] = &["MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER"];

/// Values of [`ACTION`].
pub mod action {
    /// An operation was refused.
    pub const DENY: &str = "deny";
    /// An operation was let through (audit of an allowed exception).
    pub const ALLOW: &str = "allow";
    /// A device was authorized.
    pub const AUTHORIZE: &str = "authorize";
    /// A device was refused.
    pub const REFUSE: &str = "refuse";
}

/// Values of [`RESULT`].
pub mod result {
    /// The audited operation completed.
    pub const SUCCESS: &str = "success";
    /// The audited operation did not complete (or the code path never said it did).
    pub const FAILURE: &str = "failure";
}

/// Values of [`STATE`].
pub mod state {
    /// The layer enforces.
    pub const ACTIVE: &str = "active";
    /// The layer enforces, with something weaker on this kernel (the message says what).
    pub const LIMITED: &str = "limited";
    /// The layer was loaded but no longer enforces.
    pub const INACTIVE: &str = "inactive";
    /// The kernel cannot provide the layer.
    pub const UNAVAILABLE: &str = "unavailable";
}

/// Longest field name journald accepts.
const MAX_NAME_LEN: usize = 64;

/// Checks `name` against journald's rules for fields a client may set: 1 to 64 characters of
/// `A`–`Z`, `0`–`9` and `_`, not starting with a digit, and not starting with `_` (those are
/// trusted fields journald adds itself and drops from clients). Returns why it is invalid.
pub const fn check_name(name: &str) -> Result<(), &'static str> {
    let bytes = name.as_bytes();
    if bytes.is_empty() {
        return Err("empty");
    }
    if bytes.len() > MAX_NAME_LEN {
        return Err("longer than 64 characters");
    }
    if bytes[0] == b'_' {
        return Err("starts with '_', which journald reserves for trusted fields");
    }
    if bytes[0].is_ascii_digit() {
        return Err("starts with a digit");
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') {
            return Err("contains a character other than A-Z, 0-9 and '_'");
        }
        i += 1;
    }
    Ok(())
}

// A bad constant above fails the build instead of every record that uses it.
const _: () = {
    let mut i = 0;
    while i < ALL.len() {
        if check_name(ALL[i]).is_err() {
            panic!("invalid journal field name in journal::field::ALL");
        }
        i += 1;
    }
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journald_rules() {
        assert!(check_name("AIRGAP_PID").is_ok());
        assert!(check_name("A9").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("_PID").is_err());
        assert!(check_name("9LIVES").is_err());
        assert!(check_name("airgap_pid").is_err());
        assert!(check_name("AIRGAP-PID").is_err());
        assert!(check_name(&"A".repeat(64)).is_ok());
        assert!(check_name(&"A".repeat(65)).is_err());
    }

    #[test]
    fn vocabulary_is_airgap_prefixed_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for name in ALL {
            assert!(name.starts_with("AIRGAP_"), "{name}");
            assert!(seen.insert(name), "{name} listed twice");
        }
    }
}
