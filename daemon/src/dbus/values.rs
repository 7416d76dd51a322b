//! The values `org.airgapd.Guard1` carries: plain structs with named fields, one D-Bus struct
//! each, built from [`crate::state`] and read back by `airgapctl`. Their serde names are also the
//! field names of `airgapctl --json`, so the two never drift apart.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use zbus::zvariant::{OwnedValue, Type, Value};

use crate::bpf::{Layer, LayerState};
use crate::i18n::Catalog;
use crate::maps::Count;
use crate::state::{DeviceRecord, ViolationRecord};
use crate::tr_in;
use crate::violation::{family_name, Kind, Violation};

/// One enforcement layer: `(sss)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type, Value, OwnedValue)]
pub struct LayerEntry {
    /// Stable layer name (`cgroup-network`, `interface`, `bpf-lsm`, `cgroup-device`).
    pub name: String,
    /// `active` or `unavailable`.
    pub state: String,
    /// Why it is unavailable; when active, what is weaker on this kernel (empty: nothing).
    pub detail: String,
}

impl LayerEntry {
    /// The wire form of one layer of [`crate::state::State::layers`].
    pub fn new(layer: Layer, state: &LayerState) -> LayerEntry {
        let (state, detail) = match state {
            LayerState::Active => ("active", String::new()),
            // Enforcing: `active`, with what this kernel makes weaker as the detail.
            LayerState::Limited(what) => ("active", what.clone()),
            LayerState::Unavailable(why) => ("unavailable", why.clone()),
        };
        LayerEntry {
            name: layer.name().to_string(),
            state: state.to_string(),
            detail,
        }
    }

    /// Whether the layer enforces.
    pub fn is_active(&self) -> bool {
        self.state == "active"
    }
}

/// Refusals of one kind since the programs were loaded: `(stt)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type, Value, OwnedValue)]
pub struct KindCount {
    /// Kind name (`net.connect`, `dev.block`, ...).
    pub kind: String,
    /// Every refusal the kernel made.
    pub denied: u64,
    /// Refusals whose details were lost (ring buffer full); they are still in `denied`.
    pub lost: u64,
}

impl KindCount {
    /// The wire form of one kernel counter.
    pub fn new(kind: Kind, count: Count) -> KindCount {
        KindCount {
            kind: kind.name().to_string(),
            denied: count.denied,
            lost: count.lost,
        }
    }
}

/// One judged device: `(ssssssssssttss)`. Empty strings stand for "not applicable".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type, Value, OwnedValue)]
pub struct DeviceEntry {
    /// `/dev/sdb`, `/dev/bus/usb/001/004`, or the sysfs name.
    pub node: String,
    /// `major:minor`.
    pub devnum: String,
    /// `block`, `usb`, `char`.
    pub kind: String,
    /// USB vendor id (4 hex digits).
    pub vendor_id: String,
    /// USB product id.
    pub product_id: String,
    /// Serial number.
    pub serial: String,
    /// Model or product string.
    pub model: String,
    /// `internal`, `read-only`, `read-write`, `refused`, `authorized`.
    pub decision: String,
    /// The policy entry that decided, or `default`.
    pub rule: String,
    /// Plain words for the person at the keyboard.
    pub reason: String,
    /// When airgapd first saw it present (µs since the epoch; 0 unknown).
    pub since_us: u64,
    /// When it left (µs since the epoch); 0 while it is present.
    pub left_us: u64,
    /// For a departed device, what was decided while it was present; empty otherwise.
    pub was: String,
    /// `reason` for the translation catalogs: `{"key": ..., "args": {...}}`
    /// (`crate::devices::reason::ReasonRef`), or empty; a client shows `reason` when it lacks
    /// the key.
    pub reason_ref: String,
}

impl From<&DeviceRecord> for DeviceEntry {
    fn from(d: &DeviceRecord) -> DeviceEntry {
        DeviceEntry {
            node: d.node.clone(),
            devnum: d.devnum.clone(),
            kind: d.kind.clone(),
            vendor_id: d.vendor_id.clone(),
            product_id: d.product_id.clone(),
            serial: d.serial.clone(),
            model: d.model.clone(),
            decision: d.decision.clone(),
            rule: d.rule.clone(),
            reason: d.reason.clone(),
            since_us: d.since_us,
            left_us: d.left_us,
            was: d.was.clone(),
            reason_ref: d.reason_ref.clone(),
        }
    }
}

/// One refusal: `(ttsuuussst)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type, Value, OwnedValue)]
pub struct ViolationEntry {
    /// Sequence number, increasing by one per refusal kept (page with `Violations(seq, n)`).
    pub seq: u64,
    /// Wall-clock time, microseconds since the Unix epoch.
    pub time_us: u64,
    /// Kind name (`net.connect`, `dev.block`, ...).
    pub kind: String,
    /// Process id (0 for packets seen outside any task).
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// User id.
    pub uid: u32,
    /// Command name, empty when unknown.
    pub comm: String,
    /// What was aimed at: `address:port`, `major:minor` (`NAME (major:minor)` when airgapd
    /// knew the block device: its node, model and serial, or its policy name), or the socket
    /// family.
    pub target: String,
    /// The whole refusal in words, as the journal says it.
    pub text: String,
    /// Identical refusals folded into this one.
    pub repeats: u64,
}

impl From<&ViolationRecord> for ViolationEntry {
    fn from(r: &ViolationRecord) -> ViolationEntry {
        let mut entry = ViolationEntry::new(&r.violation, r.seq, r.repeats);
        if let (false, Some((major, minor))) = (r.device_name.is_empty(), r.violation.device) {
            entry.target = format!("{} ({major}:{minor})", r.device_name);
        }
        entry
    }
}

impl ViolationEntry {
    /// The wire form of one refusal kept as number `seq`, with `repeats` folded into it.
    pub fn new(v: &Violation, seq: u64, repeats: u64) -> ViolationEntry {
        let target = if let Some(file) = v.file.as_ref().or(v.object.as_ref()) {
            file.clone()
        } else if let Some(ep) = v.endpoint() {
            ep
        } else if let Some((major, minor)) = v.device {
            format!("{major}:{minor}")
        } else if v.kind == Kind::NetCreate {
            family_name(v.family)
        } else {
            String::new()
        };
        ViolationEntry {
            seq,
            time_us: micros(v.time),
            kind: v.kind.name().to_string(),
            pid: v.pid,
            tid: v.tid,
            uid: v.uid,
            comm: v.comm.clone(),
            target,
            text: v.to_string(),
            repeats,
        }
    }

    /// The refusal as one sentence in `catalog`'s language (`text`, the journal's English,
    /// for a kind this program does not know).
    pub fn sentence(&self, catalog: &Catalog) -> String {
        self.sentence_by(catalog, None)
    }

    /// [`Self::sentence`] with the account's name beside its uid (`name`, as the reader's
    /// machine knows it).
    pub fn sentence_by(&self, catalog: &Catalog, name: Option<&str>) -> String {
        let user = match name {
            Some(name) => tr_in!(catalog, "refusal-user-named", name = name, uid = self.uid),
            None => tr_in!(catalog, "refusal-user", uid = self.uid),
        };
        let id = format!("refusal-{}", self.kind.replace('.', "-"));
        if !catalog.has(&id) {
            return self.text.clone();
        }
        let target = if self.target.is_empty() {
            tr_in!(catalog, "target-unknown")
        } else {
            self.target.clone()
        };
        let sentence = tr_in!(
            catalog,
            &id,
            target = target,
            comm = &self.comm,
            pid = self.pid,
            user = user
        );
        if self.repeats > 0 {
            tr_in!(
                catalog,
                "refusal-folded",
                text = sentence,
                repeats = self.repeats
            )
        } else {
            sentence
        }
    }
}

/// Microseconds since the Unix epoch (0 for times before it).
pub fn micros(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_the_documented_ones() {
        assert_eq!(LayerEntry::SIGNATURE.to_string(), "(sss)");
        assert_eq!(KindCount::SIGNATURE.to_string(), "(stt)");
        assert_eq!(DeviceEntry::SIGNATURE.to_string(), "(ssssssssssttss)");
        assert_eq!(ViolationEntry::SIGNATURE.to_string(), "(ttsuuussst)");
    }

    #[test]
    fn a_refusal_names_the_account_beside_its_uid() {
        let catalog = crate::i18n::Catalog::new(crate::i18n::Lang::En, None);
        let v = ViolationEntry {
            kind: "net.connect".into(),
            pid: 42,
            uid: 65534,
            comm: "curl".into(),
            target: "192.0.2.1:80".into(),
            ..ViolationEntry::default()
        };
        assert_eq!(
            v.sentence_by(&catalog, Some("nobody")),
            "Refused a connection to 192.0.2.1:80 by curl (process 42, user nobody, uid 65534)."
        );
        assert_eq!(
            v.sentence(&catalog),
            "Refused a connection to 192.0.2.1:80 by curl (process 42, uid 65534)."
        );
        let vi = crate::i18n::Catalog::new(crate::i18n::Lang::Vi, None);
        assert!(v
            .sentence_by(&vi, Some("nobody"))
            .contains("(tiến trình 42, người dùng nobody, uid 65534)"));
    }

    #[test]
    fn limited_layer_is_active_with_what_it_gives_up() {
        let e = LayerEntry::new(
            Layer::Devices,
            &LayerState::Limited("no pid in records".into()),
        );
        assert_eq!(
            (e.name.as_str(), e.state.as_str(), e.detail.as_str()),
            ("cgroup-device", "active", "no pid in records")
        );
        assert!(e.is_active());
    }

    #[test]
    fn unavailable_layer_keeps_its_reason() {
        let e = LayerEntry::new(
            Layer::Lsm,
            &LayerState::Unavailable("no bpf in lsm=".into()),
        );
        assert_eq!(
            (e.name.as_str(), e.state.as_str(), e.detail.as_str()),
            ("bpf-lsm", "unavailable", "no bpf in lsm=")
        );
        assert!(!e.is_active());
    }
}
