//! Every open of a file on a medium whose programs are refused goes through a noexec mount,
//! in whatever mount namespace it happens, or does not happen.
//!
//! Without BPF LSM nothing sees an executable mapping; the kernel refuses one only when the
//! file's mount is noexec. The daemon's own mounts are noexec, but a mount namespace made
//! before the medium was mounted (an unprivileged `unshare -rm`, a browser sandbox, a
//! container) received its copy of the mount as it was mounted, and an overlay whose lower
//! layer is the medium is a mount of its own. So the exec permission group also asks about
//! every *open* (`FAN_OPEN_PERM`, on the medium's superblock: opens through overlays and in
//! other namespaces included) and, before answering, [`Gate::before_open`]:
//!
//! - refuses the dynamic loader run as a program (`ld.so FILE`): recorded;
//! - makes the mount the file is opened through noexec, entering the opener's mount namespace
//!   if need be, and refuses the open if that cannot be done;
//! - makes each overlay in the opener's namespace with a layer on the medium noexec.
//!
//! Each change is recorded ([`super::fold`], folded). Mappings need an open file, so every
//! mapping then meets a noexec mount. What remains: the owner of a user namespace may take
//! noexec off its own mounts again (the kernel locks the attribute only on copies made from a
//! noexec mount), between an open and a mapping; `[exec] unprivileged_user_namespaces = false`
//! is what closes that (docs/copy-register.md).
//!
//! An open mountinfo file holds its mount namespace, and with it every mount in it: a
//! namespace held that way after its processes ended would keep a stick's filesystem alive
//! after the user unmounted it. So only the daemon's own namespace and PID 1's, which live
//! anyway, are kept open (to learn of changes by `POLLPRI`); any other namespace's mount table
//! is read at each open from it.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{self, Read, Seek};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::bpf::Layer;
use crate::devices::internal::unescape;
use crate::register::{records, Medium, Table};

use super::fold::Folded;
use super::remount;

/// The longest the daemon spends making one opener's mount noexec from within its namespace.
const SETNS_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

/// The process's command name, for records.
fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim_end().to_string())
        .unwrap_or_else(|_| "?".into())
}

/// An overlay mount of a mountinfo text that is not noexec, and its layers.
#[derive(Debug, PartialEq, Eq)]
struct Overlay {
    id: u64,
    point: String,
    layers: Vec<String>,
}

/// The exec overlays of a mountinfo text.
fn exec_overlays(text: &str) -> Vec<Overlay> {
    text.lines()
        .filter_map(|line| {
            let (pre, post) = line.split_once(" - ")?;
            let pre: Vec<&str> = pre.split(' ').collect();
            let mut post = post.split(' ');
            if post.next()? != "overlay" || pre.get(5)?.split(',').any(|o| o == "noexec") {
                return None;
            }
            let layers = post
                .nth(1)?
                .split(',')
                .filter_map(|o| o.split_once('='))
                .filter(|(k, _)| matches!(*k, "lowerdir" | "upperdir" | "lowerdir+" | "datadir+"))
                .flat_map(|(_, v)| v.split(':'))
                .filter(|l| !l.is_empty())
                .map(unescape)
                .collect();
            Some(Overlay {
                id: pre.first()?.parse().ok()?,
                point: unescape(pre.get(4)?),
                layers,
            })
        })
        .collect()
}

/// Whether POLLPRI is pending on a mountinfo file (its namespace's mounts changed).
fn changed(f: &File) -> bool {
    let mut pfd = libc::pollfd {
        fd: f.as_raw_fd(),
        events: libc::POLLPRI,
        revents: 0,
    };
    // SAFETY: one valid pollfd, no wait.
    let n = unsafe { libc::poll(&raw mut pfd, 1, 0) };
    n != 0
}

/// What the exec permission thread asks before letting a file on a refused medium be opened.
pub struct Gate {
    own_pid: u32,
    /// The scope's cgroup as `/proc/PID/cgroup` names it; None: the whole machine.
    scope: Option<String>,
    /// The daemon's and PID 1's mount namespaces once judged, each with its mountinfo open to
    /// learn of changes.
    namespaces: HashMap<u64, File>,
    /// The inodes of those two namespaces.
    lasting: [Option<u64>; 2],
    folded: Folded,
}

impl Gate {
    /// A gate for processes in `scope` (a cgroup directory; None: every process).
    pub fn new(scope: Option<&Path>, folded: Folded) -> Gate {
        let scope = scope.map(|dir| {
            let root = crate::scope::cgroup2_root().unwrap_or_default();
            let rel = dir.strip_prefix(&root).unwrap_or(dir);
            format!("/{}", rel.display())
        });
        Gate {
            own_pid: std::process::id(),
            scope,
            namespaces: HashMap::new(),
            lasting: [remount::namespace_of("self"), remount::namespace_of("1")],
            folded,
        }
    }

    /// Whether the daemon acts for `pid` (the daemon's own opens are never held).
    pub fn concerns(&self, pid: u32) -> bool {
        if pid == self.own_pid {
            return false;
        }
        let Some(scope) = &self.scope else {
            return true;
        };
        crate::scope::pid_in_cgroup(pid, scope)
    }

    /// Whether `pid` runs the dynamic loader itself (`ld.so FILE`): it maps FILE without
    /// execve. A renamed copy of the loader is not recognised here; the noexec mount still
    /// refuses its mappings.
    pub fn is_loader(&self, pid: u32) -> bool {
        std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| {
            let name = exe.file_name().map(|n| n.to_string_lossy().into_owned());
            name.is_some_and(|n| {
                n.starts_with("ld-linux") || n.starts_with("ld-musl") || n.starts_with("ld.so")
            })
        })
    }

    /// Before `pid` may open `file` (on `medium`, one of the media of `table` whose programs
    /// are refused): make sure the mount it is opened through, and the overlays over such
    /// media in its namespace, are noexec. An error says why the open must be refused.
    pub fn before_open(
        &mut self,
        pid: u32,
        file: &OwnedFd,
        medium: Option<&Medium>,
        table: &Table,
    ) -> Result<(), String> {
        self.through(pid, file, medium)?;
        self.overlays(pid, medium, table);
        Ok(())
    }

    /// A gate for another thread: the same scope and records, its own namespace cache.
    pub fn twin(&self) -> Gate {
        Gate {
            own_pid: self.own_pid,
            scope: self.scope.clone(),
            namespaces: HashMap::new(),
            lasting: self.lasting,
            folded: self.folded.clone(),
        }
    }

    /// Record `what` about `medium` (folded with the other records of `key`).
    pub fn note(&self, key: String, medium: Option<&Medium>, what: String) {
        self.send(key, medium, what);
    }

    fn send(&self, key: String, medium: Option<&Medium>, what: String) {
        if let Some(m) = medium {
            self.folded
                .send(key, records::failed(m, Layer::ExecNoexec, what));
        } else {
            tracing::warn!("{what}");
        }
    }

    /// The mount the file is opened through. `mount_setattr` acts only on a mount's root, never
    /// through a file on it (EINVAL), so the mount is reached by its id: its mount point in the
    /// opener's own mount table, looked up from the opener's root and checked to lead to that
    /// very mount. The opener waits meanwhile (its permission event is not answered yet).
    fn through(&self, pid: u32, file: &OwnedFd, medium: Option<&Medium>) -> Result<(), String> {
        if remount::is_noexec(file.as_fd()).unwrap_or(false) {
            return Ok(());
        }
        let who = format!("process {pid} ({})", comm(pid));
        let ns = remount::namespace_of(&pid.to_string()).unwrap_or_default();
        let set = remount::mount_id(file.as_fd()).and_then(|id| {
            let info = std::fs::read_to_string(format!("/proc/{pid}/mountinfo"))?;
            let point = mount_point(&info, id).ok_or_else(|| {
                io::Error::other("it is not in the opener's mount table (outside its root)")
            })?;
            self.mount_noexec(pid, &self.in_ns(pid, &point), id)
                .map(|()| id)
        });
        match set {
            Ok(id) => {
                let what = format!(
                    "{who} opened a file on this medium through a mount that was not noexec \
                     (mount {id} in its mount namespace); the daemon made it noexec"
                );
                self.send(format!("mnt:{ns}:{id}"), medium, what);
                Ok(())
            }
            Err(e) => {
                let id = remount::mount_id(file.as_fd()).unwrap_or_default();
                let what = format!(
                    "{who} was refused a file on this medium: it opened it through a mount \
                     that is not noexec (mount {id} in its mount namespace), which the daemon \
                     could not make noexec ({e})"
                );
                self.send(format!("mnt:{ns}:{id}"), medium, what.clone());
                Err(what)
            }
        }
    }

    /// A path as process `pid` names it (mountinfo's mount points are relative to its root),
    /// reached from the daemon through `/proc/PID/root` (or its working directory).
    fn in_ns(&self, pid: u32, p: &str) -> PathBuf {
        match p.strip_prefix('/') {
            Some(rel) => PathBuf::from(format!("/proc/{pid}/root")).join(rel),
            None => PathBuf::from(format!("/proc/{pid}/cwd")).join(p),
        }
    }

    /// Overlays over refused media in the opener's namespace, judged again only when that
    /// namespace's mounts changed.
    fn overlays(&mut self, pid: u32, medium: Option<&Medium>, table: &Table) {
        let Some(ns) = remount::namespace_of(&pid.to_string()) else {
            return;
        };
        let mut info = match self.namespaces.remove(&ns) {
            Some(f) if !changed(&f) => {
                self.namespaces.insert(ns, f);
                return;
            }
            Some(f) => f,
            None => match File::open(format!("/proc/{pid}/mountinfo")) {
                Ok(f) => f,
                Err(_) => return,
            },
        };
        let keep = self.lasting.contains(&Some(ns));
        let mut text = String::new();
        if info
            .rewind()
            .and_then(|()| info.read_to_string(&mut text))
            .is_err()
        {
            return;
        }
        // Read only when the namespace changed: most opens never get here.
        let refused: BTreeSet<(u32, u32)> = match table.read() {
            Ok(t) => t
                .iter()
                .filter(|(_, m)| !m.medium.allow_exec)
                .map(|(d, _)| *d)
                .collect(),
            Err(_) => BTreeSet::new(),
        };
        let in_ns = |p: &str| self.in_ns(pid, p);
        for o in exec_overlays(&text) {
            let over_medium = o.layers.iter().any(|l| {
                std::fs::metadata(in_ns(l))
                    .is_ok_and(|m| refused.contains(&(libc::major(m.dev()), libc::minor(m.dev()))))
            });
            if !over_medium {
                continue;
            }
            let result = self.mount_noexec(pid, &in_ns(&o.point), o.id);
            let what = match result {
                Ok(()) => format!(
                    "process {pid} ({}) uses an overlay over this medium at {} (mount {} in its \
                     mount namespace); the daemon made it noexec",
                    comm(pid),
                    o.point,
                    o.id
                ),
                Err(e) => format!(
                    "process {pid} ({}) uses an overlay over this medium at {} (mount {} in its \
                     mount namespace), which the daemon could not make noexec: {e}",
                    comm(pid),
                    o.point,
                    o.id
                ),
            };
            self.send(format!("ovl:{ns}:{}", o.id), medium, what);
        }
        if keep {
            self.namespaces.insert(ns, info);
        }
    }

    /// Make the mount `id` of `pid`'s mount namespace noexec, through `point` (its mount point
    /// as reached from the daemon), checked to lead to that mount: a mount point covered by
    /// another mount, or a symbolic link put there, is refused, never followed elsewhere.
    fn mount_noexec(&self, pid: u32, point: &Path, id: u64) -> io::Result<()> {
        let fd: OwnedFd = File::options()
            .read(true)
            .custom_flags(libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(point)?
            .into();
        let top = remount::mount_id(fd.as_fd())?;
        if top != id {
            return Err(io::Error::other(format!(
                "its mount point leads to mount {top}: it is covered"
            )));
        }
        // A mount of the daemon's own namespace is changed from here; any other only from
        // within its namespace (the kernel refuses a mount of another namespace: EINVAL).
        if remount::set_noexec_fd(fd.as_fd()).is_ok() {
            return Ok(());
        }
        let ns = File::open(format!("/proc/{pid}/ns/mnt"))?;
        remount::in_namespace_within(ns, SETNS_DEADLINE, move || {
            remount::set_noexec_fd(fd.as_fd())
        })
    }
}

/// The mount point of the mount `id` in a mountinfo text (as the process that read it names it).
fn mount_point(text: &str, id: u64) -> Option<String> {
    text.lines().find_map(|line| {
        let mut f = line.split(' ');
        let this: u64 = f.next()?.parse().ok()?;
        (this == id).then(|| f.nth(3).map(unescape))?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlays_that_are_not_noexec_are_read_with_their_layers() {
        let text = "\
22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
94 70 0:40 / /tmp/w/o rw,relatime - overlay overlay rw,lowerdir=/media/a\\054b:/tmp/l,upperdir=/tmp/u,workdir=/tmp/wk,uuid=null
95 70 0:41 / /tmp/w/p rw,noexec,relatime - overlay overlay rw,lowerdir=/media/x
";
        assert_eq!(
            exec_overlays(text),
            vec![Overlay {
                id: 94,
                point: "/tmp/w/o".into(),
                layers: vec!["/media/a,b".into(), "/tmp/l".into(), "/tmp/u".into()],
            }]
        );
    }

    #[test]
    fn a_mount_point_is_found_by_its_id_and_unescaped() {
        let text = "\
22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
94 22 7:1 / /media/a\\040b rw,relatime - ext4 /dev/loop1 rw
";
        assert_eq!(mount_point(text, 94).as_deref(), Some("/media/a b"));
        assert_eq!(mount_point(text, 9), None);
    }
}
