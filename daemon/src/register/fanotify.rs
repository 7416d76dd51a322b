//! fanotify(7) through libc: groups, filesystem marks, events with their information records,
//! file handles and permission answers. Only what the copy register and the exec layer use.
//!
//! Two kinds of group are used. A notification group reporting file identifiers
//! (`FAN_REPORT_DFID_NAME_TARGET`) tells which directory entry a copy went to and follows
//! renames; it carries no open file, so the file is opened later with `open_by_handle_at`. A
//! group without identifiers (the exec permission group, and the register's fallback for
//! filesystems whose handles cannot be decoded) carries an open file descriptor in each event.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Size of `struct fanotify_event_metadata`.
const METADATA_LEN: usize = 24;
/// Size of `struct fanotify_event_info_header` plus `__kernel_fsid_t`.
const FID_HEADER_LEN: usize = 12;

/// A fanotify group.
#[derive(Debug)]
pub struct Group {
    fd: OwnedFd,
}

impl Group {
    /// `fanotify_init(flags, event_f_flags)`; `FAN_CLOEXEC` is added.
    pub fn init(flags: u32, event_f_flags: u32) -> io::Result<Group> {
        // SAFETY: plain syscall with integer arguments.
        let fd = unsafe { libc::fanotify_init(flags | libc::FAN_CLOEXEC, event_f_flags) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the kernel just returned this new descriptor to us.
        Ok(Group {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Watch `mask` on the whole filesystem of the open directory `fd` (a mount root the
    /// caller checked: no path is looked up again).
    pub fn mark_filesystem_fd(&self, mask: u64, fd: &impl AsRawFd) -> io::Result<()> {
        self.mark_fd(libc::FAN_MARK_ADD | libc::FAN_MARK_FILESYSTEM, mask, fd)
    }

    /// Stop watching `mask` on the filesystem of the open directory `fd`.
    pub fn unmark_filesystem_fd(&self, mask: u64, fd: &impl AsRawFd) -> io::Result<()> {
        self.mark_fd(libc::FAN_MARK_REMOVE | libc::FAN_MARK_FILESYSTEM, mask, fd)
    }

    fn mark_fd(&self, flags: u32, mask: u64, fd: &impl AsRawFd) -> io::Result<()> {
        // SAFETY: a NULL path with a descriptor marks what the descriptor refers to.
        let rc = unsafe {
            libc::fanotify_mark(
                self.fd.as_raw_fd(),
                flags,
                mask,
                fd.as_raw_fd(),
                std::ptr::null(),
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Wait up to `timeout_ms` (-1: for ever) for events; true when there are some.
    pub fn wait(&self, timeout_ms: i32) -> bool {
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: `pfd` is one valid pollfd for the duration of the call.
        let n = unsafe { libc::poll(&raw mut pfd, 1, timeout_ms) };
        // An error (EINTR) reads as "none yet": the caller does its timed work and waits again
        // (a blocking read now could keep folded reads unrecorded until the next event).
        n > 0
    }

    /// Read events into `buf`, blocking until there is one.
    pub fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            // SAFETY: `buf` is valid for writes of its length.
            let n = unsafe {
                libc::read(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr().cast::<libc::c_void>(),
                    buf.len(),
                )
            };
            if n >= 0 {
                return Ok(n as usize);
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    /// Answer a permission event: allow or deny (the caller's syscall fails with EPERM).
    pub fn respond(&self, event_fd: RawFd, allow: bool) -> io::Result<()> {
        let response = libc::fanotify_response {
            fd: event_fd,
            response: if allow {
                libc::FAN_ALLOW
            } else {
                libc::FAN_DENY
            },
        };
        // SAFETY: `response` is a plain struct valid for reads of its size.
        let n = unsafe {
            libc::write(
                self.fd.as_raw_fd(),
                (&raw const response).cast::<libc::c_void>(),
                size_of::<libc::fanotify_response>(),
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl AsRawFd for Group {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// A file handle as fanotify reports it and `open_by_handle_at` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Handle {
    /// The filesystem's id (`statfs` `f_fsid`, 8 bytes read natively).
    pub fsid: u64,
    /// `file_handle.handle_type`.
    pub handle_type: i32,
    /// `file_handle.f_handle`.
    pub bytes: Vec<u8>,
}

impl Handle {
    /// Open the file or directory this handle names on the filesystem `mount` is on
    /// (`O_PATH` for a directory whose path alone is wanted). Needs CAP_DAC_READ_SEARCH.
    pub fn open(&self, mount: &OwnedFd, flags: i32) -> io::Result<OwnedFd> {
        // struct file_handle { u32 handle_bytes; int handle_type; unsigned char f_handle[]; }
        // laid out in u32 words so the struct's alignment holds.
        let mut words = vec![0u32; 2 + self.bytes.len().div_ceil(4)];
        words[0] = self.bytes.len() as u32;
        words[1] = self.handle_type as u32;
        // SAFETY: `words` has room for the header and every handle byte after it.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.bytes.as_ptr(),
                words.as_mut_ptr().add(2).cast::<u8>(),
                self.bytes.len(),
            );
        }
        // SAFETY: `words` holds a complete struct file_handle for the duration of the call.
        let fd = unsafe {
            libc::open_by_handle_at(
                mount.as_raw_fd(),
                words.as_mut_ptr().cast::<libc::file_handle>(),
                flags | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the kernel just returned this new descriptor to us.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}

/// One information record of an event reported with file identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Info {
    /// The object itself (`FAN_EVENT_INFO_TYPE_FID`).
    Fid(Handle),
    /// The directory and the entry's name (`FAN_EVENT_INFO_TYPE_DFID_NAME`).
    DirName(Handle, Vec<u8>),
    /// The directory alone (`FAN_EVENT_INFO_TYPE_DFID`).
    Dir(Handle),
}

/// One event.
#[derive(Debug)]
pub struct Event {
    /// `FAN_*` bits.
    pub mask: u64,
    /// The process that caused it (tgid).
    pub pid: i32,
    /// The open file, for groups without identifiers; None for identifier groups and queue
    /// overflow.
    pub fd: Option<OwnedFd>,
    /// Identifier records.
    pub infos: Vec<Info>,
}

impl Event {
    /// The object's own handle.
    pub fn fid(&self) -> Option<&Handle> {
        self.infos.iter().find_map(|i| match i {
            Info::Fid(h) => Some(h),
            _ => None,
        })
    }

    /// The directory's handle and the entry's name.
    pub fn dir_name(&self) -> Option<(&Handle, &[u8])> {
        self.infos.iter().find_map(|i| match i {
            Info::DirName(h, n) => Some((h, n.as_slice())),
            _ => None,
        })
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Parse the events in `buf` (what one `read` returned). Event descriptors become owned, so
/// they are closed with the event. Stops at the first malformed event.
pub fn parse(buf: &[u8]) -> Vec<Event> {
    let mut events = Vec::new();
    let mut at = 0;
    while let Some(event_len) = u32_at(buf, at).map(|n| n as usize) {
        let Some(ev) = buf.get(at..at + event_len) else {
            break;
        };
        if event_len < METADATA_LEN {
            break;
        }
        let metadata_len = u16_at(ev, 6).unwrap_or(0) as usize;
        let mask = u64_at(ev, 8).unwrap_or(0);
        let fd = u32_at(ev, 16).unwrap_or(u32::MAX) as i32;
        let pid = u32_at(ev, 20).unwrap_or(0) as i32;
        let fd = (fd >= 0).then(|| {
            // SAFETY: the kernel installed this descriptor for us in the event just read, and
            // nothing else owns it.
            unsafe { OwnedFd::from_raw_fd(fd) }
        });
        events.push(Event {
            mask,
            pid,
            fd,
            infos: parse_infos(ev.get(metadata_len.max(METADATA_LEN)..).unwrap_or(&[])),
        });
        at += event_len;
    }
    events
}

fn parse_infos(mut rest: &[u8]) -> Vec<Info> {
    let mut infos = Vec::new();
    while rest.len() >= 4 {
        let kind = rest[0];
        let len = u16_at(rest, 2).unwrap_or(0) as usize;
        if len < 4 || len > rest.len() {
            break;
        }
        let record = &rest[..len];
        rest = &rest[len..];
        let Some(handle_bytes) = u32_at(record, FID_HEADER_LEN).map(|n| n as usize) else {
            continue;
        };
        let Some(handle_type) = u32_at(record, FID_HEADER_LEN + 4) else {
            continue;
        };
        let start = FID_HEADER_LEN + 8;
        let Some(bytes) = record.get(start..start + handle_bytes) else {
            continue;
        };
        let handle = Handle {
            fsid: u64_at(record, 4).unwrap_or(0),
            handle_type: handle_type as i32,
            bytes: bytes.to_vec(),
        };
        match kind {
            libc::FAN_EVENT_INFO_TYPE_FID => infos.push(Info::Fid(handle)),
            libc::FAN_EVENT_INFO_TYPE_DFID => infos.push(Info::Dir(handle)),
            libc::FAN_EVENT_INFO_TYPE_DFID_NAME => {
                let name = &record[start + handle_bytes..];
                let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                infos.push(Info::DirName(handle, name[..end].to_vec()));
            }
            _ => {}
        }
    }
    infos
}

/// The path an open descriptor refers to, as this process's mount namespace names it.
pub fn fd_path(fd: &OwnedFd) -> io::Result<std::path::PathBuf> {
    std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(mask: u64, pid: i32, infos: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = infos.concat();
        let len = (METADATA_LEN + body.len()) as u32;
        let mut b = Vec::new();
        b.extend_from_slice(&len.to_ne_bytes());
        b.extend_from_slice(&[3, 0]);
        b.extend_from_slice(&(METADATA_LEN as u16).to_ne_bytes());
        b.extend_from_slice(&mask.to_ne_bytes());
        b.extend_from_slice(&(-1i32).to_ne_bytes());
        b.extend_from_slice(&pid.to_ne_bytes());
        b.extend_from_slice(&body);
        b
    }

    fn info(kind: u8, handle: &[u8], name: Option<&[u8]>) -> Vec<u8> {
        let mut b = vec![kind, 0, 0, 0];
        b.extend_from_slice(&[0; 8]); // fsid
        b.extend_from_slice(&(handle.len() as u32).to_ne_bytes());
        b.extend_from_slice(&1i32.to_ne_bytes());
        b.extend_from_slice(handle);
        if let Some(name) = name {
            b.extend_from_slice(name);
            b.push(0);
        }
        while b.len() % 4 != 0 {
            b.push(0);
        }
        let len = b.len() as u16;
        b[2..4].copy_from_slice(&len.to_ne_bytes());
        b
    }

    #[test]
    fn parses_directory_name_and_target_records() {
        let mut buf = event(
            libc::FAN_CLOSE_WRITE,
            42,
            &[
                info(
                    libc::FAN_EVENT_INFO_TYPE_DFID_NAME,
                    &[1; 8],
                    Some(b"doc.pdf"),
                ),
                info(libc::FAN_EVENT_INFO_TYPE_FID, &[2; 8], None),
            ],
        );
        buf.extend(event(libc::FAN_Q_OVERFLOW, 0, &[]));
        let events = parse(&buf);
        assert_eq!(events.len(), 2);
        let e = &events[0];
        assert_eq!((e.mask, e.pid), (libc::FAN_CLOSE_WRITE, 42));
        assert!(e.fd.is_none());
        let (dir, name) = e.dir_name().unwrap();
        assert_eq!(
            (dir.bytes.as_slice(), name),
            (&[1u8; 8][..], &b"doc.pdf"[..])
        );
        assert_eq!(e.fid().unwrap().bytes, vec![2; 8]);
        assert_eq!(events[1].mask, libc::FAN_Q_OVERFLOW);
    }

    #[test]
    fn stops_at_a_truncated_event() {
        let buf = event(libc::FAN_CLOSE_WRITE, 1, &[]);
        assert!(parse(&buf[..10]).is_empty());
    }
}
