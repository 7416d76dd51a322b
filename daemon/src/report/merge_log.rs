//! The office's log host in `report merge` (issue 21): machines whose journals
//! systemd-journal-remote collected join the summary of the reports carried on sticks. A
//! machine seen both ways is one row: the log host's view is attached, by machine-id, to its
//! report's row (the newest verified one), in a column of its own, so what the PC signed and
//! what the log host merely received are never mixed. A machine only the log host saw gets a
//! row marked as such; one expected and seen nowhere gets a row that is a finding.

use serde::Serialize;

use super::merge::{Row, Source};
use crate::i18n::time::utc_offset_s;
use crate::inspect::fleet::{FleetReport, Machine};
use crate::inspect::fleet_limit::SilenceLimit;

/// What `report merge --journal-dir` read.
#[derive(Debug, Clone)]
pub struct LogHosts {
    /// Each directory of collected journals, read without expectations.
    pub dirs: Vec<FleetReport>,
    /// Machines that must be somewhere: as journal-remote names them, or by host name or
    /// machine-id (a standalone PC is expected as a report).
    pub expect: Vec<String>,
    /// The silence limit the directories were read with.
    pub limit: SilenceLimit,
}

/// One machine as the log host's journal shows it: received, not signed by the PC.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LogView {
    /// The directory of collected journals (all of them, for a missing machine).
    pub dir: String,
    /// journal-remote's name for it (the sender's address on Debian 12), or the name
    /// expected.
    pub name: String,
    /// The machine-ids its records carry.
    pub machine_ids: Vec<String>,
    /// The host name of its latest record.
    pub hostname: Option<String>,
    /// Records received.
    pub entries: u64,
    /// The latest record, microseconds since the epoch.
    pub last_us: Option<u64>,
    /// airgapd's refusals among them.
    pub refusals: u64,
    /// Losses of isolation among them.
    pub isolation_lost: u64,
    /// Nothing received for longer than the limit: a finding.
    pub silent: bool,
    /// Expected and never seen, neither here nor as a report: a finding.
    pub missing: bool,
}

impl LogView {
    fn of(fleet: &FleetReport, m: &Machine) -> LogView {
        LogView {
            dir: fleet.dir.display().to_string(),
            name: m.name.clone(),
            machine_ids: m.machine_ids.clone(),
            hostname: m.hostname.clone(),
            entries: m.entries,
            last_us: m.last_us,
            refusals: m.refusals,
            isolation_lost: m.isolation_lost,
            silent: m.silent,
            missing: false,
        }
    }

    /// Whether `name` names this machine.
    fn is(&self, name: &str) -> bool {
        self.name == name
            || self.hostname.as_deref() == Some(name)
            || self.machine_ids.iter().any(|id| id == name)
    }

    /// A row of its own, marked as the log host's.
    fn into_row(self) -> Row {
        Row {
            source: Source::LogHost,
            dir: self.dir.clone(),
            machine_id: self.machine_ids.last().cloned(),
            hostname: self.hostname.clone(),
            created_at_us: self.last_us,
            utc_offset_s: self.last_us.map_or(0, utc_offset_s),
            refusals: self.refusals,
            log_host: vec![self],
            ..Row::default()
        }
    }
}

/// Add the log hosts' machines to `rows` (the reports' rows, before sorting).
pub fn join(rows: &mut Vec<Row>, log: &LogHosts) {
    let mut views: Vec<LogView> = log
        .dirs
        .iter()
        .flat_map(|fleet| fleet.machines.iter().map(|m| LogView::of(fleet, m)))
        .collect();
    let all_dirs = views_dirs(log);
    for name in &log.expect {
        let as_report = rows.iter().any(|r| {
            r.hostname.as_deref() == Some(name.as_str())
                || r.machine_id.as_deref() == Some(name.as_str())
        });
        if !as_report && !views.iter().any(|v| v.is(name)) {
            views.push(LogView {
                dir: all_dirs.clone(),
                name: name.clone(),
                missing: true,
                ..LogView::default()
            });
        }
    }
    for view in views {
        match owner(rows, &view) {
            Some(i) => rows[i].log_host.push(view),
            None => rows.push(view.into_row()),
        }
    }
}

fn views_dirs(log: &LogHosts) -> String {
    let dirs: Vec<String> = log
        .dirs
        .iter()
        .map(|d| d.dir.display().to_string())
        .collect();
    dirs.join(", ")
}

/// The row a view belongs to: of the same machine-id, a report's before the log host's own
/// (one machine under two addresses is one row too), a verified report before one that is
/// not, the newest.
fn owner(rows: &[Row], view: &LogView) -> Option<usize> {
    rows.iter()
        .enumerate()
        .filter(|(_, r)| {
            r.machine_id
                .as_ref()
                .is_some_and(|id| view.machine_ids.contains(id))
        })
        .max_by_key(|(_, r)| (r.source == Source::Report, r.verified, r.created_at_us))
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::fleet_limit::LimitFrom;

    fn machine(name: &str, id: &str, silent: bool) -> Machine {
        Machine {
            name: name.into(),
            machine_ids: vec![id.into()],
            hostname: Some(format!("host-{name}")),
            files: Vec::new(),
            entries: 3,
            first_us: Some(1),
            last_us: Some(2),
            refusals: 1,
            isolation_lost: 0,
            silent,
        }
    }

    fn report(id: &str, verified: bool, at: u64) -> Row {
        Row {
            dir: format!("stick/{id}-{at}"),
            verified,
            machine_id: Some(id.into()),
            created_at_us: Some(at),
            ..Row::default()
        }
    }

    /// A machine seen both ways is one row (its newest verified report's); one seen under two
    /// addresses is one row; an expected one seen nowhere is a row, and one expected and
    /// present as a report alone is not missing.
    #[test]
    fn one_machine_one_row() {
        let fleet = FleetReport {
            dir: "/var/log/journal/remote".into(),
            now_us: 10,
            silent_after: SilenceLimit {
                hours: 24,
                from: LimitFrom::Default,
            },
            machines: vec![
                machine("192.168.50.1", "aa", false),
                machine("192.168.50.3", "bb", true),
                machine("192.168.50.7", "bb", false),
            ],
            missing: Vec::new(),
        };
        let mut rows = vec![
            report("aa", true, 5),
            report("aa", true, 9),
            report("aa", false, 12),
            report("cc", true, 1),
        ];
        let log = LogHosts {
            dirs: vec![fleet],
            expect: vec![
                "cc".into(),
                "192.168.50.9".into(),
                "host-192.168.50.1".into(),
            ],
            limit: SilenceLimit {
                hours: 24,
                from: LimitFrom::Default,
            },
        };
        join(&mut rows, &log);
        assert_eq!(rows.len(), 6, "{rows:#?}");
        let names = |r: &Row| {
            r.log_host
                .iter()
                .map(|v| v.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&rows[1]), ["192.168.50.1"], "the newest verified");
        assert!(rows[0].log_host.is_empty() && rows[2].log_host.is_empty());
        assert!(rows[3].log_host.is_empty());
        assert_eq!(rows[4].source, Source::LogHost);
        assert_eq!(names(&rows[4]), ["192.168.50.3", "192.168.50.7"]);
        assert!(rows[4].log_finding(), "one of its addresses went silent");
        assert_eq!(rows[5].source, Source::LogHost);
        assert_eq!(names(&rows[5]), ["192.168.50.9"]);
        assert!(rows[5].log_host[0].missing && rows[5].log_finding());
    }
}
