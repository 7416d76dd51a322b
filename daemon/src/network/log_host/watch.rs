//! The upload service's cgroup coming and going: systemd removes it when the service stops and
//! makes it anew, with a new id, when it starts. inotify on the cgroup filesystem reports the
//! mkdir and rmdir; the log host entry is then resolved again.

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::path::{Path, PathBuf};

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, WatchDescriptor};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// The inotify instance as tokio registers it (nix gives it `AsFd` only).
struct InotifyFd(Inotify);

impl AsRawFd for InotifyFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// Watches the deepest existing directory on the way from the scope's cgroup to the upload
/// cgroup's parent (a slice may be missing too), and follows it down as directories appear.
pub struct CgroupWatch {
    fd: AsyncFd<InotifyFd>,
    scope_dir: PathBuf,
    target: PathBuf,
    watched: Option<WatchDescriptor>,
}

impl CgroupWatch {
    /// Watch for `target` (a cgroup directory below `scope_dir`) appearing or going. Must be
    /// called inside a tokio runtime.
    pub fn new(scope_dir: &Path, target: PathBuf) -> io::Result<CgroupWatch> {
        let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)?;
        // SAFETY: the AsyncFd owns the inotify instance, whose fd stays open as long as it does.
        let fd = unsafe { AsyncFd::register_with_interest(InotifyFd(inotify), Interest::READABLE) }
            .map_err(io::Error::from)?;
        let mut watch = CgroupWatch {
            fd,
            scope_dir: scope_dir.to_path_buf(),
            target,
            watched: None,
        };
        watch.arm()?;
        Ok(watch)
    }

    /// Watch the deepest existing ancestor of the target (the scope's directory at least).
    fn arm(&mut self) -> io::Result<()> {
        if let Some(wd) = self.watched.take() {
            // Gone already when its directory was removed: nothing to undo then.
            let _ = self.fd.get_ref().0.rm_watch(wd);
        }
        let parent = self.target.parent().unwrap_or(&self.scope_dir);
        let dir = parent
            .ancestors()
            .take_while(|d| d.starts_with(&self.scope_dir))
            .find(|d| d.is_dir())
            .unwrap_or(&self.scope_dir)
            .to_path_buf();
        let flags = AddWatchFlags::IN_CREATE
            | AddWatchFlags::IN_DELETE
            | AddWatchFlags::IN_MOVED_TO
            | AddWatchFlags::IN_MOVED_FROM
            | AddWatchFlags::IN_DELETE_SELF
            | AddWatchFlags::IN_ONLYDIR;
        self.watched = Some(self.fd.get_ref().0.add_watch(&dir, flags)?);
        tracing::debug!(dir = %dir.display(), target = %self.target.display(), "watching for the upload cgroup");
        Ok(())
    }

    /// Wait for a directory to appear or go on the watched path, then follow it. Any change
    /// counts: the caller resolves the id again, which is cheap.
    pub async fn changed(&mut self) -> io::Result<()> {
        loop {
            let mut ready = self.fd.readable().await?;
            let inotify = &ready.get_inner().0;
            match inotify.read_events() {
                Ok(events) if !events.is_empty() => {
                    ready.clear_ready();
                    // Read everything queued before re-arming, so no event is taken twice.
                    while matches!(inotify.read_events(), Ok(more) if !more.is_empty()) {}
                    self.arm()?;
                    return Ok(());
                }
                Ok(_) | Err(nix::errno::Errno::EAGAIN) => ready.clear_ready(),
                Err(e) => return Err(e.into()),
            }
        }
    }
}
