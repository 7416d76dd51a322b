//! One fixed 128-bit `MESSAGE_ID` per kind of record, and the syslog priorities.
//!
//! The ids let an officer (or a script) find every record of a kind with
//! `journalctl MESSAGE_ID=<id>`, and let `journalctl -x` show the explanation from
//! `packaging/catalog/`. They were generated once with `systemd-id128 new` and must never change:
//! saved queries and the catalog depend on them.

use std::fmt;

/// Syslog priority of a record (the `PRIORITY=` field). Lower numbers are more severe, and the
/// derived order follows the numbers: `Priority::Alert < Priority::Warning`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Priority {
    /// The system is unusable. airgapd never uses it: journald would broadcast it to every tty.
    Emergency = 0,
    /// Action must be taken immediately.
    Alert = 1,
    /// Critical condition.
    Critical = 2,
    /// Error condition.
    Error = 3,
    /// Warning condition.
    Warning = 4,
    /// Normal but significant condition.
    Notice = 5,
    /// Informational.
    Info = 6,
    /// Debug-level message.
    Debug = 7,
}

impl Priority {
    /// The number journald stores in `PRIORITY=`.
    pub const fn as_u8(self) -> u8 {
        self as u8
    }

    /// The more severe of `self` and `floor`.
    pub fn at_least(self, floor: Priority) -> Priority {
        self.min(floor)
    }
}

/// Declares [`MessageId`] from one table, so that an id, its doc comment, its default priority
/// and the fields its catalog entry prints are edited together and [`MessageId::ALL`] cannot
/// miss one.
macro_rules! message_ids {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident = $id:literal, $priority:ident, [$($field:ident),*];
    )*) => {
        /// The kind of a record; each kind has a fixed `MESSAGE_ID` and a catalog entry.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum MessageId {
            $($(#[doc = $doc])* $name,)*
        }

        impl MessageId {
            /// Every kind, in declaration order.
            pub const ALL: &'static [MessageId] = &[$(MessageId::$name),*];

            /// The 128-bit id journald stores in `MESSAGE_ID=`.
            pub const fn id128(self) -> u128 {
                match self {
                    $(MessageId::$name => $id,)*
                }
            }

            /// The priority a record of this kind gets unless the caller chooses another.
            pub const fn default_priority(self) -> Priority {
                match self {
                    $(MessageId::$name => Priority::$priority,)*
                }
            }

            /// Fields every record of this kind must carry, because its catalog entry prints
            /// them: `journalctl -x` shows a missing field as its bare name. Anything else a
            /// record has to say goes in its `MESSAGE`, which the catalog prints too.
            pub const fn catalog_fields(self) -> &'static [&'static str] {
                match self {
                    $(MessageId::$name => &[$(super::field::$field),*],)*
                }
            }

            /// The variant's name, for test output and diagnostics.
            pub const fn name(self) -> &'static str {
                match self {
                    $(MessageId::$name => stringify!($name),)*
                }
            }
        }
    };
}

// Columns: the id, the default priority, the fields the catalog entry prints.
message_ids! {
    /// A process was refused network access (socket creation, connect, bind, send, or a packet
    /// of a scoped socket). Warning: the machine is protected, but something tried to reach out.
    NetworkViolation = 0xa982450d2821469cb6d869ae4ddaf373, Warning, [KIND, COMM, PID, UID];
    /// A process was refused access to a device (block or character device node) that the
    /// policy does not allow. Warning, for the same reason as network violations.
    DeviceViolation = 0xb6038709fd644d5697af54d56da7a59d, Warning, [KIND, DEVICE, COMM, PID, UID];
    /// A device was plugged in and airgapd decided to authorize or refuse it
    /// (`AIRGAP_ACTION`). Notice: officers review arrivals, most are expected.
    DeviceArrival = 0x5fad06e6b7094a28bda011f875070ac8, Notice, [ACTION, RESULT];
    /// A device was unplugged. Info: only useful to pair with its arrival.
    DeviceDeparture = 0x9a1e1b6b762c4ee6a68009ef1c79c6ee, Info, [];
    /// A policy was validated and is now enforced. Notice.
    PolicyLoaded = 0xb333bce73a3b4fe2a05055e9803c0aee, Notice, [POLICY_SERIAL];
    /// A policy file was refused (invalid, unsafe permissions); the previous policy stays in
    /// force. Error: an administrator's change did not take effect.
    PolicyRejected = 0xbad565efe84e497eb57841a9a40a4633, Error, [];
    /// An enforcement layer became active, inactive or unavailable (`AIRGAP_LAYER`,
    /// `AIRGAP_STATE`), e.g. "BPF LSM unavailable on this kernel". Notice by default; the
    /// daemon raises it to Critical when a layer the policy requires is not active.
    EnforcementState = 0xe27a15dfa3784fc887bcf56e3ae01de9, Notice, [LAYER, STATE];
    /// The kernel's event ring buffer overflowed: details of `AIRGAP_LOST` events were lost,
    /// their per-kind counts were kept. Warning: the refusals happened, only detail is missing.
    EventsLost = 0xce9854c562144d90902bb973e5d46e82, Warning, [LOST];
    /// The daemon started. Notice.
    DaemonStarted = 0x43e94a8e9f8540b797d0a7e0cfcbc6c0, Notice, [];
    /// The daemon stopped. Warning: pinned programs keep enforcing, but nothing is recorded
    /// until it starts again.
    DaemonStopped = 0x8dbce437865b4f9991e8c85079dddbe8, Warning, [];
    /// Root explicitly lifted enforcement: the machine is no longer protected. Alert: an officer
    /// must know at once, since from now on the machine can connect.
    EnforcementLifted = 0x69a388589c2b44c0a6d907c52118e673, Alert, [UID, PID];
    /// An attempt to install a signed policy update; `AIRGAP_RESULT` says whether it was
    /// accepted. Notice.
    PolicyUpdate = 0x0fa593f53a194f0c808b97392f856573, Notice, [UID, RESULT];
    /// A copy of a document to removable media was recorded in the copy register (the
    /// electronic counterpart of form 12, Circular 24/2020/TT-BCA). Notice.
    CopyRegister = 0x3f8377aa4e12412aa3169a5caeb6913f, Notice,
        [DOCUMENT, SECRECY, COPIES, APPROVED_BY, UID, RESULT];
    /// Execution of a program from removable media was refused. Warning.
    ExecViolation = 0x978079f070f5436dae19f3fb55021943, Warning, [EXE, COMM, PID, UID];
    /// The independent LAN the policy allows is no longer isolated (e.g. a route or gateway to
    /// another network appeared). Critical: the Law 117/2025/QH15 exception no longer holds and
    /// the machine may count as connected.
    NetworkIsolationLost = 0x13a922cbd9c94fd18bdae4a55cdffdfa, Critical, [CHANGE];
    /// Another process changed airgapd's enforcement in the kernel (a link detached or given
    /// another program, the config map, a device rule or a LAN entry rewritten), found by the
    /// daemon's check while it runs or at start; `AIRGAP_RESULT` says whether it was repaired.
    /// Alert: root is trusted, but every change it makes must be known at once.
    EnforcementTampered = 0x939e173a8dcb4edaa4ae5711afe2b7ec, Alert, [OBJECT, RESULT];
    /// A release order was applied or refused (`AIRGAP_RESULT`). Notice when applied (the lift
    /// itself is an `EnforcementLifted` alert naming the order), warning when refused.
    ReleaseOrder = 0x2eb6e0f30ec04393a3e735d03bd1245f, Notice, [UID, RESULT];
    /// A medium the policy refuses was found mounted when the daemon started (an fstab line
    /// or a desktop automount ran first); the record says which device, its mounts and what
    /// was done (`AIRGAP_RESULT`: all of it done, or something left usable). Critical: until
    /// then everyone could read and write it, unrecorded.
    PremountedMedium = 0x49cd919df79045e19bd12b2e9d743b09, Critical,
        [DEVICE, DEV_NODE, MOUNT_POINTS, RESULT];
    /// A line was added to the machine record (issue 19): its event, number and chain hash,
    /// so that lines cut from the end of the file, or the whole file deleted or rolled back,
    /// show against the journal. Info: the event itself has its own record.
    MachineRecord = 0x531031d21f704d0cbc636d29509bb7a6, Info,
        [MACHINE_RECORD_EVENT, MACHINE_RECORD_SEQ];
    /// The daemon started over enforcement pinned by a daemon of another ABI version (a
    /// package upgrade) and gave each pinned link its own program, never leaving the machine
    /// open (`AIRGAP_BEFORE`, `AIRGAP_AFTER`: the versions; `AIRGAP_LOST`: refusals the old
    /// programs left unread, counted only). Notice: root's change, recorded.
    EnforcementUpgraded = 0xcda1ddc3ecbc44d5b436ea8de51a4870, Notice, [BEFORE, AFTER, RESULT];
    /// Another process was refused a bpf(2) change to airgapd's own BPF objects while the
    /// daemon ran (a link opened by id or by pin, a map opened for writing, the pin directory
    /// changed, the daemon ptraced), where BPF LSM loads (`crate::bpf_guard`). Alert: nothing
    /// changed, but someone with root tried to switch enforcement off.
    BpfObjectRefused = 0x35060f6a7f8048da883baf58913be6be, Alert,
        [KIND, OBJECT, COMM, PID, UID];
}

impl MessageId {
    /// The kind whose id is `hex` (32 hex digits, either case).
    pub fn from_hex(hex: &str) -> Option<MessageId> {
        if hex.len() != 32 {
            return None;
        }
        let id = u128::from_str_radix(hex, 16).ok()?;
        MessageId::ALL.iter().copied().find(|m| m.id128() == id)
    }
}

/// Formats the id the way journald stores it: 32 lowercase hex digits, no dashes.
impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.id128())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_distinct_and_round_trip() {
        let mut seen = HashSet::new();
        for &m in MessageId::ALL {
            assert!(seen.insert(m.id128()), "{} reuses an id", m.name());
            let hex = m.to_string();
            assert_eq!(hex.len(), 32);
            assert_eq!(MessageId::from_hex(&hex), Some(m));
        }
        assert_eq!(MessageId::ALL.len(), 21);
    }

    #[test]
    fn no_kind_uses_emergency() {
        // journald broadcasts emergency records to every terminal (MaxLevelWall=emerg).
        for &m in MessageId::ALL {
            assert!(m.default_priority() > Priority::Emergency, "{}", m.name());
        }
    }

    #[test]
    fn at_least_keeps_the_more_severe() {
        assert_eq!(
            Priority::Info.at_least(Priority::Warning),
            Priority::Warning
        );
        assert_eq!(Priority::Alert.at_least(Priority::Warning), Priority::Alert);
    }
}
