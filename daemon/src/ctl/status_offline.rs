//! `airgapctl status` when airgapd does not answer: root reads the pins in bpffs and judges
//! them against the daemon's record ([`crate::pinned`]); anyone else gets the record, marked
//! as such. Never a guess: without either, the answer is "cannot tell".

use super::status::{PolicyStatus, Status, StatusArgs};
use crate::dbus::LayerEntry;
use crate::pinned::record::{Record, RecordError};
use crate::pinned::{self, Inspection, Verdict};
use crate::tr;

/// The status without the daemon. `record` is the daemon's record as read (None: there is
/// none of this boot).
pub fn status(args: &StatusArgs, record: Result<Option<Record>, RecordError>) -> Status {
    let mut problems = Vec::new();
    let record = record.unwrap_or_else(|e| {
        problems.push(tr!("status-record-unusable", error = e.to_string()));
        None
    });
    // A record of another pin directory says nothing about this one.
    let record =
        record.filter(|r| r.pin_dir.is_empty() || r.pin_dir == args.pin_dir.display().to_string());
    let daemon = match record.as_ref().and_then(|r| r.daemon.as_ref()) {
        Some(d) if d.running() => "running",
        Some(_) => "stopped",
        None => "not running",
    };
    let mut status = Status {
        air_gapped: false,
        mode: String::new(),
        started_at_us: 0,
        layers: Vec::new(),
        policy: policy(record.as_ref()),
        violation_counts: Vec::new(),
        last_violations: Vec::new(),
        verdict: Verdict::Unknown,
        daemon: daemon.into(),
        source: String::new(),
        problems,
        tampering: Vec::new(),
        lifted: None,
    };
    if let Some(r) = &record {
        status.mode = if r.scope.machine {
            "enforcing".into()
        } else {
            format!("scoped:{}", r.scope.path)
        };
        status.started_at_us = r.daemon.as_ref().map_or(0, |d| d.started_at_us);
        status.tampering = r.tampering.clone();
        status.lifted = r.lifted.clone();
    }
    // A running daemon whose guard is active refuses its pins to everyone else
    // (crate::bpf_guard): asking would only leave an alert behind. Its record answers.
    let guarded = record.as_ref().is_some_and(|r| {
        r.daemon.as_ref().is_some_and(|d| d.running())
            && r.layers
                .iter()
                .any(|l| l.name == crate::bpf::Layer::BpfGuard.name() && l.state == "active")
    });
    let insp = if guarded {
        Err(std::io::Error::from_raw_os_error(libc::EPERM))
    } else {
        Inspection::read(&args.pin_dir)
    };
    match insp {
        Ok(mut insp) => {
            insp.read_interfaces_of(record.as_ref());
            from_kernel(&mut status, &insp, record.as_ref())
        }
        // Not root: bpffs is closed; the record is all there is.
        Err(_) => from_record(&mut status, record.as_ref()),
    }
    // What only the daemon knows: a refused medium mounted before it started and left
    // usable (issue 15). The kernel's pins cannot show it; the record can.
    if let Some(r) = record.as_ref().filter(|r| r.lifted.is_none()) {
        let layers = layer_entries(r);
        let left = super::status::premount_left(&layers);
        if !left.is_empty() && status.verdict == Verdict::Yes {
            status.verdict = Verdict::Partial;
        }
        status.problems.extend(left);
    }
    status.air_gapped = status.verdict == Verdict::Yes;
    status
}

fn from_kernel(status: &mut Status, insp: &Inspection, record: Option<&Record>) {
    status.source = "kernel".into();
    // After a lift the record describes nothing pinned; compare only with a daemon's record.
    let compare = record.filter(|r| r.lifted.is_none());
    let judgement = pinned::judge(insp, compare);
    status.verdict = judgement.verdict;
    for l in &judgement.layers {
        let problems: Vec<String> = l.problems.iter().map(|p| p.localized()).collect();
        status.layers.push(LayerEntry {
            name: l.name.clone(),
            state: l.state.clone(),
            detail: problems.join("; "),
        });
        status.problems.extend(problems);
    }
    // What the daemon could not restore (an interface's tc filters, which bpffs does not
    // show) keeps the answer from YES, as it does from the record alone.
    if let Some(r) = compare {
        let unrepaired = super::status::unrepaired(&r.tampering);
        if !unrepaired.is_empty() && status.verdict == Verdict::Yes {
            status.verdict = Verdict::Partial;
        }
        status.problems.extend(unrepaired);
    }
    if status.mode.is_empty() {
        if let Some(c) = insp.config {
            status.mode = if c.scope_level == 0 {
                "enforcing".into()
            } else {
                format!("scoped:cgroup {}", c.scope_cgroup_id)
            };
        }
    }
}

fn from_record(status: &mut Status, record: Option<&Record>) {
    let Some(r) = record else {
        status.source = "none".into();
        return;
    };
    status.source = "record".into();
    if r.lifted.is_some() || r.daemon.is_none() {
        status.verdict = Verdict::No;
        return;
    }
    status.layers = layer_entries(r);
    let required = ["cgroup-network", "cgroup-device"];
    let active = |name: &str| {
        r.layers
            .iter()
            .any(|l| l.name == name && l.state == "active")
    };
    let unrepaired = super::status::unrepaired(&r.tampering);
    status.verdict = if required.iter().all(|l| active(l)) && unrepaired.is_empty() {
        Verdict::Yes
    } else if required.iter().any(|l| active(l)) {
        Verdict::Partial
    } else {
        Verdict::No
    };
    status.problems.extend(unrepaired);
}

fn policy(record: Option<&Record>) -> PolicyStatus {
    let p = record.map(|r| r.policy.clone()).unwrap_or_default();
    PolicyStatus {
        id: p.id,
        serial: p.serial,
        sha256: p.sha256,
        builtin: p.builtin,
        fallback_reason: String::new(),
        path: p.path,
        provenance: None,
    }
    .with_provenance()
}

/// The layers as the daemon recorded them, in the form `status` shows.
fn layer_entries(r: &Record) -> Vec<LayerEntry> {
    r.layers
        .iter()
        .map(|l| LayerEntry {
            name: l.name.clone(),
            state: l.state.clone(),
            detail: l.detail.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pinned::record::{DaemonRecord, LayerRecord};

    #[test]
    fn a_refused_medium_left_usable_is_a_problem_and_never_air_gapped() {
        let layer = |name: &str, state: &str, detail: &str| LayerRecord {
            name: name.into(),
            state: state.into(),
            detail: detail.into(),
        };
        let record = Record {
            daemon: Some(DaemonRecord::this_process(0)),
            layers: vec![
                layer("cgroup-network", "active", ""),
                layer("cgroup-device", "active", ""),
                layer(
                    "premounted-media",
                    "unavailable",
                    "/dev/sdb1 (8:17): left mounted",
                ),
            ],
            ..Default::default()
        };
        let args = StatusArgs {
            pin_dir: "/sys/fs/bpf/airgapd-no-such-pin-dir".into(),
            record: None,
            machine_key: false,
            machine_key_file: std::path::PathBuf::new(),
        };
        let s = status(&args, Ok(Some(record)));
        assert!(s.problems.iter().any(|p| p.contains("/dev/sdb1")), "{s:?}");
        assert_ne!(s.verdict, Verdict::Yes);
        assert!(!s.air_gapped);
    }

    /// Where a running daemon's guard is active (BPF LSM), its pins are not asked for (they
    /// would answer EPERM and leave an alert behind): the record answers.
    #[test]
    fn a_guarded_running_daemon_is_answered_from_its_record() {
        let layer = |name: &str| LayerRecord {
            name: name.into(),
            state: "active".into(),
            detail: String::new(),
        };
        let mut record = Record {
            daemon: Some(DaemonRecord::this_process(0)),
            layers: vec![layer("cgroup-network"), layer("cgroup-device")],
            ..Default::default()
        };
        let args = StatusArgs {
            pin_dir: "/sys/fs/bpf/airgapd-no-such-pin-dir".into(),
            record: None,
            machine_key: false,
            machine_key_file: std::path::PathBuf::new(),
        };
        let s = status(&args, Ok(Some(record.clone())));
        assert_eq!(s.source, "kernel", "no guard: the kernel is read");
        record.layers.push(layer("bpf-guard"));
        let s = status(&args, Ok(Some(record)));
        assert_eq!(s.source, "record");
        assert_eq!(s.verdict, Verdict::Yes);
    }
}
