//! Journal records for what the service sees: violations, layers, policy, lifecycle.

use airgapd_policy::Policy;

use crate::bpf::{Layer, LayerState};
use crate::devices::identity::DeviceIdentity;
use crate::journal::field;
use crate::journal::{MessageId, Priority, Record};
use crate::maps::Count;
use crate::violation::{
    access_words, family_name, guard_action_words, route_words, sockopt_name, Kind, Violation,
};

/// A violation record; `repeats` counts identical refusals folded into it (storms). `known` is
/// the device's identity as last judged (with its filesystem), when the daemon has it.
pub fn violation(
    v: &Violation,
    repeats: u64,
    policy_sha256: &str,
    known: Option<&DeviceIdentity>,
) -> Record {
    let id = if v.kind == Kind::BpfGuard {
        MessageId::BpfObjectRefused
    } else if v.kind.is_network() {
        MessageId::NetworkViolation
    } else {
        MessageId::DeviceViolation
    };
    let comm = if v.comm.is_empty() {
        "-".to_string()
    } else {
        v.comm.clone()
    };
    let mut text = format!("{v}");
    if repeats > 0 {
        text.push_str(&format!(" ({repeats} more like this suppressed)"));
    }
    let mut r = Record::new(id, text)
        .field(field::KIND, v.kind.name())
        .field(field::ACTION, field::action::DENY)
        .field(field::PID, v.pid)
        .field(field::TID, v.tid)
        .field(field::UID, v.uid)
        .field(field::COMM, comm)
        .field(field::CGROUP_ID, v.cgroup_id)
        .field(field::RULE, "default")
        .field(field::POLICY_SHA256, policy_sha256)
        .field(field::REPEATS, repeats);
    if let Some(exe) = exe_of(v.pid) {
        r = r.field(field::EXE, exe);
    }
    if v.process_unknown {
        r = r.field(field::PROCESS, "unknown");
    }
    // A 32-bit setsockopt or ioctl (read-only media): said of every kind that can have it.
    if v.compat {
        r = r.field(field::SYSCALL_ENTRY, "compat");
    }
    if let Some((action, id)) = v.guard {
        let object = v.object.clone().unwrap_or_else(|| format!("object {id}"));
        r = r
            .field(field::OBJECT, object)
            .field(field::CHANGE, guard_action_words(action));
    } else if v.kind.is_network() {
        if v.family != 0 {
            r = r.field(field::FAMILY, family_name(v.family));
        }
        if let Some((level, name)) = v.sockopt {
            r = r.field(field::SOCKOPT, sockopt_name(level, name));
        }
        if matches!(v.kind, Kind::NetCreate | Kind::NetSockopt) {
            r = r
                .field(field::SOCK_TYPE, v.sock_type)
                .field(field::PROTOCOL, v.protocol);
        }
        if let Some(addr) = v.addr {
            r = r.field(field::ADDRESS, addr).field(field::PORT, v.port);
        }
        if v.ifindex != 0 {
            r = r.field(field::IFINDEX, v.ifindex);
        }
    } else {
        let (major, minor) = v.device.unwrap_or_default();
        r = r
            .field(field::DEVICE, format!("{major}:{minor}"))
            .field(field::ACCESS, access_words(v.access));
        if let Some((route, detail)) = v.route {
            r = r.field(field::CHANGE, route_words(route, detail));
        }
        let sysfs = std::path::Path::new("/sys");
        let block = matches!(v.kind, Kind::DevBlock | Kind::DevReadOnly);
        if let Some(id) = known
            .cloned()
            .or_else(|| DeviceIdentity::of_device(sysfs, block, major, minor))
        {
            r = identity_fields(r, &id);
        }
    }
    r
}

/// The identity fields of a device, those that are known.
pub fn identity_fields(mut r: Record, id: &DeviceIdentity) -> Record {
    let hex = |v: u16| format!("{v:04x}");
    let fields = [
        (field::DEV_NODE, id.node.clone()),
        (field::VENDOR_ID, id.vendor_id.map(hex)),
        (field::PRODUCT_ID, id.product_id.map(hex)),
        (field::SERIAL, id.serial.clone()),
        (field::MODEL, id.model.clone()),
        (field::BUS_PATH, id.bus_path.clone()),
        (field::FS_UUID, id.fs_uuid.clone()),
        (field::FS_LABEL, id.fs_label.clone()),
        (
            field::INTERFACES,
            (!id.interface_classes.is_empty()).then(|| id.interface_classes.join(" ")),
        ),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            r = r.field(name, value);
        }
    }
    r
}

/// The executable of a still-running process (best effort: it may have exited).
fn exe_of(pid: u32) -> Option<String> {
    (pid != 0)
        .then(|| std::fs::read_link(format!("/proc/{pid}/exe")).ok())
        .flatten()
        .map(|p| p.display().to_string())
}

/// A layer's state. A required layer that is not active is critical.
pub fn layer(layer: Layer, state: &LayerState, required: bool) -> Record {
    let (word, priority) = match state {
        LayerState::Active => (field::state::ACTIVE, Priority::Info),
        LayerState::Limited(_) => (field::state::LIMITED, Priority::Warning),
        LayerState::Unavailable(_) if required => (field::state::UNAVAILABLE, Priority::Critical),
        LayerState::Unavailable(_) => (field::state::UNAVAILABLE, Priority::Warning),
    };
    Record::new(
        MessageId::EnforcementState,
        format!("layer {} {state}", layer.name()),
    )
    .priority(priority)
    .field(field::LAYER, layer.name())
    .field(field::STATE, word)
}

/// A policy now in force.
pub fn policy_loaded(p: &Policy) -> Record {
    let what = if p.source.builtin {
        "built-in strict policy"
    } else {
        "policy"
    };
    let from = p
        .source
        .path
        .as_ref()
        .map(|p| format!(" from {}", p.display()))
        .unwrap_or_default();
    Record::new(
        MessageId::PolicyLoaded,
        format!(
            "{what}{from} in force (id {}, serial {})",
            p.meta.id.as_deref().unwrap_or("-"),
            p.meta.serial
        ),
    )
    .field(field::POLICY_SERIAL, p.meta.serial)
    .field(field::POLICY_SHA256, p.sha256())
}

/// A policy file refused; `fallback` says what is enforced instead.
pub fn policy_rejected(error: &str, fallback: &str) -> Record {
    Record::new(
        MessageId::PolicyRejected,
        format!("policy refused: {error}; {fallback}"),
    )
}

/// Kernel uevents dropped before the daemon read them (`lost`: how many, when the kernel
/// says): devices that came or went meanwhile are judged again.
pub fn uevents_lost(lost: Option<u64>) -> Record {
    let how_many = lost.map_or_else(|| "some".to_string(), |n| n.to_string());
    Record::new(
        MessageId::EventsLost,
        format!(
            "{how_many} kernel device events were lost (the daemon did not read them in time); \
             every block and USB device present was judged again"
        ),
    )
    .field(field::KIND, "uevent")
    .field(field::LOST, lost.map(|n| n.to_string()).unwrap_or_default())
}

/// Enforcement of another ABI version replaced (a package upgrade, `crate::pinned::upgrade`).
pub fn upgraded(up: &crate::pinned::upgrade::Upgrade) -> Record {
    let (result, priority) = match up.errors.is_empty() {
        true => (field::result::SUCCESS, Priority::Notice),
        false => (field::result::FAILURE, Priority::Error),
    };
    Record::new(MessageId::EnforcementUpgraded, upgrade_detail(up))
        .priority(priority)
        .field(field::OBJECT, "enforcement")
        .field(field::BEFORE, up.from)
        .field(field::AFTER, up.to)
        .field(
            field::LOST,
            up.unread.map(|n| n.to_string()).unwrap_or_default(),
        )
        .field(field::RESULT, result)
}

/// [`upgraded`] in words, also the machine record's line.
pub fn upgrade_detail(up: &crate::pinned::upgrade::Upgrade) -> String {
    let from = match up.from {
        0 => "an unknown ABI version (config never written)".to_string(),
        v => format!("ABI version {v}"),
    };
    let unread = match up.unread {
        Some(n) => format!("{n} refusals the old programs recorded were never read (counted only)"),
        None => "the old programs' unread refusals could not be counted".to_string(),
    };
    let removed = match up.removed.as_slice() {
        [] => String::new(),
        r => format!(
            "; links of programs this version no longer has detached: {}",
            r.join(", ")
        ),
    };
    let errors = match up.errors.as_slice() {
        [] => String::new(),
        e => format!("; NOT done: {}", e.join("; ")),
    };
    format!(
        "enforcement pinned by {from} replaced by ABI version {}, link by link, never open \
         in between; {unread}{removed}{errors}",
        up.to
    )
}

/// Refusals the kernel counted but whose detail the ring buffer could not hold.
pub fn events_lost(kind: Kind, count: Count, new_lost: u64) -> Record {
    Record::new(
        MessageId::EventsLost,
        format!(
            "{new_lost} {} refusals were not recorded one by one (event buffer full); \
             {} refused in all",
            kind.name(),
            count.denied
        ),
    )
    .field(field::KIND, kind.name())
    .field(field::LOST, new_lost)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::violation::BootClock;
    use airgapd_ebpf::abi;

    fn record(kind: u32, compat: bool) -> Record {
        let e = abi::airgap_event {
            kind: kind as u16,
            flags: if compat { abi::AIRGAP_EVENT_COMPAT } else { 0 },
            tgid: 7,
            opt_level: abi::AIRGAP_RO_ROSET,
            opt_name: 0x125d,
            ..Default::default()
        };
        violation(
            &Violation::from_event(&e, &BootClock::now()).unwrap(),
            0,
            "-",
            None,
        )
    }

    #[test]
    fn a_32_bit_call_is_said_of_every_kind_that_can_have_it() {
        // The guest caught it: a 32-bit BLKROSET was refused and recorded without it.
        let r = record(abi::AIRGAP_KIND_DEV_READONLY, true);
        assert_eq!(r.get(field::SYSCALL_ENTRY), Some("compat"));
        assert!(r.get(field::CHANGE).is_some_and(|c| c.contains("BLKROSET")));
        let r = record(abi::AIRGAP_KIND_NET_SOCKOPT, true);
        assert_eq!(r.get(field::SYSCALL_ENTRY), Some("compat"));
        let r = record(abi::AIRGAP_KIND_DEV_READONLY, false);
        assert_eq!(r.get(field::SYSCALL_ENTRY), None);
    }
}
