//! Where refused media are mounted when the daemon starts: every mount namespace a process
//! lives in (`/proc/PID/ns/mnt`, one reader per namespace), and in each the mounts whose
//! superblock is a refused block device (mountinfo field 3, which the kernel sets: a FUSE
//! filesystem calling itself `/dev/sdb1` is never taken for the stick, nor acted on).
//!
//! Which namespaces the daemon may change ("ours"): every one with a whole-machine scope.
//! With a test scope (`--scope-cgroup`), only namespaces whose every process is in the scope
//! or is the daemon or a child of it (a test that gives the daemon a namespace of its own),
//! and never
//! PID 1's: other namespaces on a development machine belong to other people's work and are
//! only read (their mounts of a medium keep the daemon from shutting its filesystem down,
//! since that would reach them too). Where PID 1's namespace cannot be read (a container),
//! the rule on processes still keeps the machine's namespace out.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use crate::register::mounts;

/// A device number.
pub type Dev = (u32, u32);

/// A mount namespace and a process that lives in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// Its inode (`/proc/PID/ns/mnt`).
    pub ino: u64,
    /// A process in it, through which it is read and entered.
    pub pid: u32,
    /// Whether the daemon may change its mounts (see the module comment).
    pub ours: bool,
}

/// One mount of a refused medium.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The namespace (inode) it is in.
    pub ns: u64,
    /// A process in that namespace.
    pub pid: u32,
    /// Its mount id in that namespace.
    pub id: u32,
    /// Its mount point, as that namespace sees it.
    pub point: PathBuf,
    /// Whether the daemon may change it.
    pub ours: bool,
}

impl Place {
    /// `mnt:[INODE]:POINT`, for records.
    pub fn label(&self) -> String {
        format!("mnt:[{}]:{}", self.ns, self.point.display())
    }
}

/// A refused medium's filesystem and every mount of it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The block device under the filesystem (the first refused one, for btrfs over several).
    pub dev: Dev,
    /// The filesystem's own device number (`st_dev`): `dev`, or an anonymous one (btrfs).
    pub fs: Dev,
    /// Its mounts, namespace by namespace, in mountinfo order.
    pub places: Vec<Place>,
    /// The other block devices on its disk that are not refused (an approved partition, an
    /// internal one): the disk is never cut off while one is there.
    pub spared: Vec<Dev>,
}

impl Found {
    /// Whether every mount found may be changed (the filesystem may then be shut down).
    pub fn all_ours(&self) -> bool {
        self.places.iter().all(|p| p.ours)
    }
}

/// Which processes are in the enforcement scope.
#[derive(Debug, Clone)]
pub enum ScopeView {
    /// Every process.
    Machine,
    /// Processes whose cgroup is this one (as `/proc/PID/cgroup` names it) or under it.
    Cgroup(String),
}

impl ScopeView {
    /// The view of a scope cgroup directory (None: the whole machine).
    pub fn of(dir: Option<&std::path::Path>) -> ScopeView {
        match dir {
            None => ScopeView::Machine,
            Some(dir) => {
                let root = crate::scope::cgroup2_root().unwrap_or_default();
                let rel = dir.strip_prefix(&root).unwrap_or(dir);
                ScopeView::Cgroup(format!("/{}", rel.display()))
            }
        }
    }

    /// Whether `pid` is in the scope.
    pub fn contains(&self, pid: u32) -> bool {
        let ScopeView::Cgroup(scope) = self else {
            return true;
        };
        crate::scope::pid_in_cgroup(pid, scope)
    }
}

fn ns_of(pid: &str) -> Option<u64> {
    std::fs::metadata(format!("/proc/{pid}/ns/mnt"))
        .ok()
        .map(|m| m.ino())
}

/// The daemon and its child processes (the probe's holder, `devices::holder`): the daemon's
/// own, wherever its scope is.
fn daemon_and_children() -> Vec<u32> {
    let mut pids = vec![std::process::id()];
    let tasks = std::fs::read_dir("/proc/self/task").into_iter().flatten();
    for task in tasks.flatten() {
        let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        pids.extend(
            children
                .split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok()),
        );
    }
    pids
}

/// Every mount namespace a process lives in now.
pub fn namespaces(scope: &ScopeView) -> Vec<Namespace> {
    let own = ns_of("self");
    let init = ns_of("1");
    // ino -> (first pid, every process in the scope)
    let mut seen: BTreeMap<u64, (u32, bool)> = BTreeMap::new();
    let own_pids = daemon_and_children();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Some(ino) = ns_of(&pid.to_string()) else {
            continue;
        };
        let inside = own_pids.contains(&pid) || scope.contains(pid);
        seen.entry(ino)
            .and_modify(|(_, all)| *all &= inside)
            .or_insert((pid, inside));
    }
    seen.into_iter()
        .map(|(ino, (pid, all_inside))| Namespace {
            ino,
            pid: if Some(ino) == own {
                std::process::id()
            } else {
                pid
            },
            ours: match scope {
                ScopeView::Machine => true,
                ScopeView::Cgroup(_) => all_inside && Some(ino) != init,
            },
        })
        .collect()
}

/// The mounts of refused media in `namespaces`: each filesystem on a block device for which
/// `refused` says yes, with at least one mount the daemon may change.
pub fn find(namespaces: &[Namespace], refused: impl Fn(Dev) -> bool) -> Vec<Found> {
    // block device -> (the filesystem's device number, its mounts)
    let mut by_dev: BTreeMap<Dev, (Dev, Vec<Place>)> = BTreeMap::new();
    let mut verdicts: HashMap<Dev, bool> = HashMap::new();
    for ns in namespaces {
        let Ok(list) = mounts::read(&PathBuf::from(format!("/proc/{}/mountinfo", ns.pid))) else {
            continue;
        };
        for m in list {
            // The first refused block device under the filesystem (there is none under
            // tmpfs, proc or FUSE; btrfs may have several).
            let Some(dev) = m
                .devices
                .iter()
                .copied()
                .find(|d| *verdicts.entry(*d).or_insert_with(|| refused(*d)))
            else {
                continue;
            };
            let (_, places) = by_dev.entry(dev).or_insert_with(|| (m.dev, Vec::new()));
            places.push(Place {
                ns: ns.ino,
                pid: ns.pid,
                id: m.id,
                point: m.point,
                ours: ns.ours,
            });
        }
    }
    by_dev
        .into_iter()
        .filter(|(_, (_, places))| places.iter().any(|p| p.ours))
        .map(|(dev, (fs, places))| Found {
            dev,
            fs,
            places,
            spared: super::cut::neighbours(dev)
                .into_iter()
                .filter(|d| !*verdicts.entry(*d).or_insert_with(|| refused(*d)))
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daemons_own_namespace_is_found_and_ours_on_the_whole_machine() {
        let all = namespaces(&ScopeView::Machine);
        let own = ns_of("self").unwrap();
        let me = all.iter().find(|n| n.ino == own).unwrap();
        assert_eq!(me.pid, std::process::id());
        assert!(all.iter().all(|n| n.ours));
    }

    #[test]
    fn with_a_test_scope_a_namespace_shared_with_others_is_not_ours() {
        // This test's namespace holds cargo, its shell and more: none in the scope.
        let all = namespaces(&ScopeView::Cgroup("/airgapd-no-such-scope".into()));
        let own = ns_of("self").unwrap();
        assert!(all.iter().any(|n| n.ino == own && !n.ours));
    }

    #[test]
    fn nothing_is_found_when_nothing_is_refused() {
        let all = namespaces(&ScopeView::Machine);
        assert!(find(&all, |_| false).is_empty());
    }
}
