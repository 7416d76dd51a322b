//! A copy's job: the file opened (by handle, or through the descriptor the kernel gave), its
//! path on the medium, what the event was really (a read, a truncation), its record once
//! hashed; and a process's access to the block device itself.

use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use super::{of_content, of_medium, Then, Worker};
use crate::register::entry::{self, direction, event, Entry};
use crate::register::fanotify::fd_path;
use crate::register::hash::Content;
use crate::register::jobs::{Check, Copy, Target};

/// Whether a descriptor is open for writing on `f`'s file: a read lease cannot be taken then
/// (`fcntl(F_SETLEASE, F_RDLCK)` fails with EAGAIN; the daemon has CAP_LEASE). A lease taken
/// is given back at once.
fn open_for_writing(f: &File) -> bool {
    // SAFETY: plain fcntl calls on a descriptor we own.
    unsafe {
        if libc::fcntl(f.as_raw_fd(), libc::F_SETLEASE, libc::F_RDLCK) == 0 {
            libc::fcntl(f.as_raw_fd(), libc::F_SETLEASE, libc::F_UNLCK);
            false
        } else {
            std::io::Error::last_os_error().raw_os_error() == Some(libc::EAGAIN)
        }
    }
}

/// How far before its event a change may be and still be the one the event is about.
const CHANGE_WINDOW_US: u64 = 2_000_000;

/// Whether `f`'s content or metadata changed shortly before `at_us` or since (a change
/// through a shared mapping updates the times without an event).
fn changed_since(f: &File, at_us: u64) -> bool {
    use std::os::unix::fs::MetadataExt;
    f.metadata().map_or(true, |m| {
        let ctime_us = (m.ctime().max(m.mtime()).max(0) as u64) * 1_000_000
            + (m.ctime_nsec().max(0) as u64) / 1000;
        ctime_us + CHANGE_WINDOW_US >= at_us
    })
}

impl Worker {
    pub(super) fn copy(&mut self, c: Copy) {
        let medium = self.table.read().ok().and_then(|t| t.get(&c.dev).cloned());
        let to_medium = c.event != event::READ;
        let mut e = Entry {
            time: entry::rfc3339(c.at_us),
            time_us: c.at_us,
            event: c.event.into(),
            direction: if to_medium {
                direction::TO_MEDIUM
            } else {
                direction::FROM_MEDIUM
            }
            .into(),
            copies: c.count.max(1),
            pid: c.who.pid,
            comm: c.who.comm.clone(),
            exe: c.who.exe.clone(),
            uid: c.who.uid,
            user: c.who.user(),
            device: format!("{}:{}", c.dev.0, c.dev.1),
            ..Entry::default()
        };
        if let Some(m) = &medium {
            of_medium(&mut e, &m.medium);
        }
        let opened = self.open(&c.target, medium.as_ref(), &mut e);
        // A FIFO, socket or device node keeps nothing on the medium: no copy to record.
        if let Ok(f) = &opened {
            if f.metadata().is_ok_and(|m| !m.file_type().is_file()) {
                tracing::debug!(document = %e.document, "not a regular file: not recorded");
                return;
            }
        }
        let mut said = String::new();
        if let Ok(f) = &opened {
            match c.check {
                Check::Truncated if open_for_writing(f) => {
                    // Still being written: its close will be recorded.
                    return;
                }
                Check::Truncated => {
                    said = "changed without being written through an open file (truncated)".into();
                }
                Check::Unchanged if !changed_since(f, c.at_us) => {
                    e.event = event::READ.into();
                    e.direction = direction::FROM_MEDIUM.into();
                    said = "opened for reading and writing, read only".into();
                }
                _ => {}
            }
        }
        let read_only = e.event == event::READ;
        let then = Then::Copy {
            e: Box::new(e),
            medium: medium.map(|m| m.medium),
            said,
            count: c.count,
        };
        match opened {
            Ok(f) => self.hash(c.dev, f, read_only, then),
            Err(why) => self.hashed(then, Err(why)),
        }
    }

    /// A copy's record once its content is hashed, or could not be.
    pub(super) fn record_copy(
        &mut self,
        mut e: Entry,
        medium: Option<crate::register::Medium>,
        said: String,
        count: u32,
        hashed: Result<Content, String>,
    ) {
        match hashed {
            Ok(content) => {
                let changed = of_content(&mut e, content);
                e.note = said;
                if count > 1 {
                    e.note = format!(
                        "read {count} times by this process within {} ms: one record",
                        crate::register::watch::FOLD_WINDOW.as_millis()
                    );
                }
                if changed {
                    e.note = "the file changed while it was hashed: the hash is of the content \
                              read then"
                        .into();
                }
            }
            Err(why) => {
                e.result = crate::journal::field::result::FAILURE.into();
                e.note = if why.starts_with(crate::register::hash::UNMOUNTED) {
                    why
                } else {
                    format!("the content could not be read to hash it: {why}")
                };
            }
        }
        if e.document.is_empty() {
            e.document = "(unknown path)".into();
        }
        self.commit(&mut e, medium.as_ref());
    }

    /// Open the file of a job and fill in its path on the medium.
    fn open(
        &mut self,
        target: &Target,
        medium: Option<&crate::register::Tracked>,
        e: &mut Entry,
    ) -> Result<File, String> {
        match target {
            Target::Open(fd) => {
                let path = fd_path(fd).unwrap_or_default();
                let on_medium = medium
                    .and_then(|m| m.mounts.iter().find_map(|mnt| mnt.medium_path(&path)))
                    .unwrap_or(path);
                e.set_document(on_medium.as_os_str().as_bytes());
                let dup = fd.try_clone().map_err(|err| err.to_string())?;
                Ok(File::from(dup))
            }
            Target::Handles { file, dir } => {
                // The name is in the event itself: the record says it even when the file can
                // no longer be reached (every mount of the medium gone before the job ran, as
                // when a mount namespace that wrote to it ends at once).
                if let Some((_, name)) = dir {
                    let mut p = std::ffi::OsString::from("(a folder no longer mounted)/");
                    p.push(OsStr::from_bytes(name));
                    e.set_document(p.as_bytes());
                }
                let medium = medium.ok_or("the medium is no longer mounted")?;
                // Opened for this job only: a mount the daemon keeps open could not be unmounted
                // (the officer's "eject" would say the stick is busy). Checked to be a mount of
                // the medium, whatever its path leads to now.
                let mut why = String::from("the medium is no longer mounted");
                let (mount, mount_fd): (_, OwnedFd) = medium
                    .mounts
                    .iter()
                    .find_map(|m| match m.open_root(medium.medium.dev) {
                        Ok(fd) => Some((m, fd)),
                        Err(err) => {
                            why = err.to_string();
                            None
                        }
                    })
                    .ok_or(why)?;
                if let Some((dir, name)) = dir {
                    let name = OsStr::from_bytes(name);
                    let document = match dir.open(&mount_fd, libc::O_PATH) {
                        Ok(dfd) => {
                            let dpath = fd_path(&dfd).unwrap_or_default();
                            // The directory may be reached through another mount of the
                            // filesystem than the one opened: keep what the kernel said.
                            let mut p = mount.medium_path(&dpath).unwrap_or(dpath);
                            p.push(name);
                            p.into_os_string()
                        }
                        Err(_) => {
                            let mut p = std::ffi::OsString::from("(a removed directory)/");
                            p.push(name);
                            p
                        }
                    };
                    e.set_document(document.as_bytes());
                }
                let file = file.as_ref().ok_or("the event named no file")?;
                // Through a private copy of the mount: while the file is read, the user's
                // mount is not busy and `umount` right after a copy succeeds (the hash is then
                // given up: `hash::UNMOUNTED`).
                let copy =
                    crate::register::mounts::private_copy(&mount_fd).map_err(|e| e.to_string())?;
                drop(mount_fd);
                // Never waiting: a FIFO opened for reading waits for a writer, and the worker
                // with it (a user's FIFO on the medium stopped the register, 2026-12-07).
                let fd = file
                    .open(&copy, libc::O_RDONLY | libc::O_LARGEFILE | libc::O_NONBLOCK)
                    .map_err(|err| match err.raw_os_error() {
                        Some(libc::ESTALE) => {
                            "the file was deleted before it could be read".to_string()
                        }
                        _ => err.to_string(),
                    })?;
                Ok(File::from(fd))
            }
        }
    }

    /// A process's access to a medium's block device itself: no file, no hash.
    pub(super) fn raw(&mut self, r: &crate::register::raw::RawAccess) {
        let medium = self
            .table
            .read()
            .ok()
            .and_then(|t| t.get(&r.dev).map(|m| m.medium.clone()));
        let mut e = Entry {
            time: entry::rfc3339(r.at_us),
            time_us: r.at_us,
            event: if r.wrote {
                event::RAW_WRITE
            } else {
                event::RAW_READ
            }
            .into(),
            direction: if r.wrote {
                direction::TO_MEDIUM
            } else {
                direction::FROM_MEDIUM
            }
            .into(),
            copies: 1,
            pid: r.who.pid,
            comm: r.who.comm.clone(),
            exe: r.who.exe.clone(),
            uid: r.who.uid,
            user: r.who.user(),
            device: format!("{}:{}", r.dev.0, r.dev.1),
            result: crate::journal::field::result::SUCCESS.into(),
            note: if r.swap {
                format!(
                    "swap was enabled on {} (swapon): the kernel writes memory pages of any \
                     process to the medium from now on, until swapoff; no content hash{}",
                    r.node,
                    if r.who.pid == 0 {
                        "; the process that enabled it is not known"
                    } else {
                        ""
                    }
                )
            } else {
                format!(
                    "the block device {} itself was {} (not a file on it: no content hash)",
                    r.node,
                    match (r.wrote, r.read) {
                        (true, _) => "written to",
                        (false, true) => "read",
                        (false, false) => "opened",
                    }
                )
            },
            ..Entry::default()
        };
        e.set_document(r.node.as_bytes());
        if let Some(m) = &medium {
            of_medium(&mut e, m);
        }
        self.commit(&mut e, medium.as_ref());
    }
}
