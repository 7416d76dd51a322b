//! The enforcement scope: the cgroup v2 subtree every program is bound to.
//!
//! Production enforces the whole machine (the root cgroup). Tests and `airgapd run` create a
//! dedicated child cgroup, so a deny program can never reach this machine's own control channel.
//! A created scope is removed again on drop, after its processes were killed.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::paths;

/// Errors about the enforcement scope.
#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    /// No cgroup v2 hierarchy is mounted.
    #[error("no cgroup v2 hierarchy is mounted (looked in {mountinfo}); airgapd needs cgroup v2")]
    NoCgroup2 {
        /// The mount table that was read.
        mountinfo: String,
    },
    /// A cgroup file operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The cgroup path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The scope still had processes when it was to be removed.
    #[error("cgroup {path} still has processes after {waited:?}")]
    Busy {
        /// The cgroup path.
        path: PathBuf,
        /// How long we waited for them to exit.
        waited: Duration,
    },
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> ScopeError + 'a {
    move |source| ScopeError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// Where cgroup v2 is mounted, from the mount table.
/// Whether process `pid` is in the cgroup `cgroup` (its path below the cgroup2 root, `/a/b`)
/// or below it, as `/proc/PID/cgroup` says; false when the process is gone.
pub fn pid_in_cgroup(pid: u32, cgroup: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/cgroup")).is_ok_and(|t| {
        t.lines().filter_map(|l| l.strip_prefix("0::")).any(|cg| {
            cg == cgroup
                || cg
                    .strip_prefix(cgroup)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    })
}

/// The cgroup v2 id of this process's own cgroup (its service's, under systemd), or 0 when it
/// cannot be told. The reduced device program trusts it as the full one trusts this process.
pub fn own_cgroup_id() -> u64 {
    let Ok(text) = fs::read_to_string("/proc/self/cgroup") else {
        return 0;
    };
    let Some(path) = text.lines().find_map(|l| l.strip_prefix("0::")) else {
        return 0;
    };
    let Ok(root) = cgroup2_root() else {
        return 0;
    };
    // The kernfs inode number of a cgroup v2 directory is its cgroup id.
    fs::metadata(root.join(path.trim_start_matches('/'))).map_or(0, |m| m.ino())
}

pub fn cgroup2_root() -> Result<PathBuf, ScopeError> {
    let text = fs::read_to_string(paths::MOUNTINFO).unwrap_or_default();
    cgroup2_root_from(&text).ok_or(ScopeError::NoCgroup2 {
        mountinfo: paths::MOUNTINFO.into(),
    })
}

/// The cgroup2 mount point in a mountinfo text (fields: ... mountpoint ... - fstype ...).
fn cgroup2_root_from(mountinfo: &str) -> Option<PathBuf> {
    mountinfo.lines().find_map(|line| {
        let (pre, post) = line.split_once(" - ")?;
        let mount_point = pre.split_whitespace().nth(4)?;
        (post.split_whitespace().next()? == "cgroup2").then(|| PathBuf::from(mount_point))
    })
}

/// A cgroup v2 scope with its kernel id and depth, as the BPF programs compare them.
#[derive(Debug)]
pub struct Scope {
    path: PathBuf,
    id: u64,
    level: u32,
    /// Created by us: killed and removed on drop.
    owned: bool,
}

static SEQ: AtomicU32 = AtomicU32::new(0);

impl Scope {
    /// The whole machine: the root of the cgroup v2 hierarchy. Production only.
    pub fn machine() -> Result<Scope, ScopeError> {
        Self::open(cgroup2_root()?, false)
    }

    /// An existing cgroup the caller owns (a test's, or one set up for a demonstration): bound
    /// to, never removed.
    pub fn at(path: PathBuf) -> Result<Scope, ScopeError> {
        Self::open(path, false)
    }

    /// A fresh, empty cgroup directly below the cgroup v2 root, named `airgapd-<tag>-<pid>-<n>`.
    pub fn create(tag: &str) -> Result<Scope, ScopeError> {
        let root = cgroup2_root()?;
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let path = root.join(format!("airgapd-{tag}-{}-{n}", std::process::id()));
        fs::create_dir(&path).map_err(io_err("creating cgroup", &path))?;
        Self::open(path, true)
    }

    fn open(path: PathBuf, owned: bool) -> Result<Scope, ScopeError> {
        let meta = fs::metadata(&path).map_err(io_err("reading cgroup", &path))?;
        let root = cgroup2_root()?;
        // The kernfs inode number of a cgroup v2 directory is its cgroup id.
        let level = path
            .strip_prefix(&root)
            .map(|p| p.components().count())
            .unwrap_or(0);
        Ok(Scope {
            id: meta.ino(),
            level: level as u32,
            path,
            owned,
        })
    }

    /// The cgroup id, as `bpf_get_current_cgroup_id()` reports it.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Depth below the root: 0 is the whole machine.
    pub fn level(&self) -> u32 {
        self.level
    }

    /// The cgroup directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this scope is the whole machine.
    pub fn is_machine(&self) -> bool {
        self.level == 0
    }

    /// An fd on the cgroup directory, to attach programs to.
    pub fn dir(&self) -> Result<File, ScopeError> {
        File::open(&self.path).map_err(io_err("opening cgroup", &self.path))
    }

    /// The file a process writes its pid to in order to join (usable from `pre_exec`).
    pub fn procs_file(&self) -> PathBuf {
        self.path.join("cgroup.procs")
    }

    /// Move a process into the scope.
    pub fn add(&self, pid: u32) -> Result<(), ScopeError> {
        let procs = self.procs_file();
        fs::write(&procs, pid.to_string()).map_err(io_err("joining cgroup", &procs))
    }

    /// Pids currently in the scope (not its descendants).
    pub fn pids(&self) -> Result<Vec<u32>, ScopeError> {
        let procs = self.procs_file();
        let text = fs::read_to_string(&procs).map_err(io_err("reading", &procs))?;
        Ok(text.lines().filter_map(|l| l.trim().parse().ok()).collect())
    }

    /// Kill every process left in a scope we created (cgroup.kill, Linux 5.14+), wait for them
    /// to go and remove the cgroup. Only ever our own scope: the machine scope is never killed.
    pub fn remove(mut self) -> Result<(), ScopeError> {
        self.teardown()
    }

    fn teardown(&mut self) -> Result<(), ScopeError> {
        if !self.owned {
            return Ok(());
        }
        self.owned = false;
        let kill = self.path.join("cgroup.kill");
        if !self.pids().unwrap_or_default().is_empty() {
            fs::write(&kill, "1").map_err(io_err("killing cgroup", &kill))?;
        }
        let start = Instant::now();
        let waited = Duration::from_secs(5);
        loop {
            match fs::remove_dir(&self.path) {
                Ok(()) => return Ok(()),
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) && start.elapsed() < waited => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                    return Err(ScopeError::Busy {
                        path: self.path.clone(),
                        waited,
                    });
                }
                Err(e) => return Err(io_err("removing cgroup", &self.path)(e)),
            }
        }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        if let Err(e) = self.teardown() {
            tracing::error!(error = %e, "could not remove enforcement scope");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cgroup2_in_hybrid_layout() {
        let text = "35 24 0:30 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n\
                    36 35 0:31 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw\n\
                    37 35 0:32 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";
        assert_eq!(
            cgroup2_root_from(text),
            Some(PathBuf::from("/sys/fs/cgroup/unified"))
        );
    }

    #[test]
    fn no_cgroup2_is_none() {
        let text = "37 35 0:32 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";
        assert_eq!(cgroup2_root_from(text), None);
    }
}
