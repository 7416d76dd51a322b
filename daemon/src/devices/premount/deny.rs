//! Every open and every read of a refused medium's files refused, for as long as the daemon
//! runs: a fanotify permission group with a filesystem mark (`FAN_OPEN_PERM`,
//! `FAN_OPEN_EXEC_PERM`, `FAN_ACCESS_PERM`, directories included), answered `FAN_DENY`.
//!
//! The mark is on the superblock, so it holds through every mount in every namespace, through
//! a working directory or a directory descriptor kept from before the mounts were detached,
//! and for reads (`read`, `getdents`) through descriptors opened before the daemon started.
//! What it does not see: writes through descriptors already open (fanotify has no
//! permission event for writes to a FAT filesystem) and pages already mapped; on
//! filesystems with a shutdown the shutdown takes those ([`super::act::shutdown`]).
//!
//! The answering thread never stops answering: a permission event left unanswered would
//! block the process that caused it. Refusals are recorded folded ([`Folded`]): one record per
//! user, command and medium every second at most, a summary counting those in between
//! (`AIRGAP_REPEATS`), written when its second ends even if nothing follows, so a loop of opens
//! cannot flood the journal and its last refusals are never left uncounted.

use std::collections::HashMap;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::sync::Arc;

use super::walk::{Dev, ScopeView};
use crate::journal::{field, MessageId, Record};
use crate::noexec::fold::Folded;
use crate::register::fanotify::{self, Group};
use crate::register::who::Exits;

const MASK: u64 =
    libc::FAN_OPEN_PERM | libc::FAN_OPEN_EXEC_PERM | libc::FAN_ACCESS_PERM | libc::FAN_ONDIR;

/// The permission group that refuses refused media mounted before the start.
#[derive(Clone)]
pub struct Deny {
    group: Arc<Group>,
    /// The block device of each filesystem marked, by the filesystem's device number (they
    /// differ for btrfs): records name the block device.
    blocks: Blocks,
}

type Blocks = Arc<std::sync::RwLock<HashMap<Dev, Dev>>>;

impl Deny {
    /// Create the group and its answering thread; processes outside `scope` are let through.
    /// Refusals are recorded through `folded`; a process that ended before its refusal was
    /// read is named from `exits`.
    pub fn new(scope: ScopeView, folded: Folded, exits: Option<Arc<Exits>>) -> io::Result<Deny> {
        let group = Arc::new(Group::init(
            libc::FAN_CLASS_CONTENT,
            (libc::O_RDONLY | libc::O_LARGEFILE) as u32,
        )?);
        let g = group.clone();
        let blocks = Blocks::default();
        let b = blocks.clone();
        std::thread::Builder::new()
            .name("airgapd-premount".into())
            .spawn(move || answer(&g, &scope, &folded, exits.as_deref(), &b))?;
        Ok(Deny { group, blocks })
    }

    /// Refuse the filesystem the open directory `root` is on, which is on the block device
    /// `dev`.
    pub fn mark(&self, root: &impl AsRawFd, dev: Dev) -> io::Result<()> {
        let meta = std::fs::metadata(format!("/proc/self/fd/{}", root.as_raw_fd()))?;
        let fs = (libc::major(meta.dev()), libc::minor(meta.dev()));
        self.blocks.write().expect("premount lock").insert(fs, dev);
        self.group.mark_filesystem_fd(MASK, root)
    }
}

/// `PF_KTHREAD` in `/proc/PID/stat`'s flags (field 9).
const PF_KTHREAD: u64 = 0x0020_0000;

fn is_kernel_thread(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The command name (field 2) may hold spaces and parentheses: count from its end.
    let Some((_, rest)) = stat.rsplit_once(") ") else {
        return false;
    };
    rest.split(' ')
        .nth(6)
        .and_then(|f| f.parse::<u64>().ok())
        .is_some_and(|flags| flags & PF_KTHREAD != 0)
}

fn answer(
    group: &Group,
    scope: &ScopeView,
    folded: &Folded,
    exits: Option<&Exits>,
    blocks: &Blocks,
) {
    let own = std::process::id();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match group.read(&mut buf) {
            Ok(n) => n,
            // The kernel could not open the file for the event (a filesystem shut down
            // answers EIO): it denies that event itself; go on with the next.
            Err(e) => {
                tracing::debug!(error = %e, "reading a premount permission event");
                std::thread::sleep(std::time::Duration::from_millis(1));
                continue;
            }
        };
        for ev in fanotify::parse(&buf[..n]) {
            let Some(fd) = ev.fd else { continue };
            let pid = ev.pid as u32;
            // Kernel threads read for the kernel (a loop device's worker reading its image):
            // never refused.
            let allow = pid == own || is_kernel_thread(pid) || !scope.contains(pid);
            if let Err(e) = group.respond(fd.as_raw_fd(), allow) {
                tracing::error!(error = %e, "answering a premount permission event");
            }
            if allow {
                continue;
            }
            let dev = std::fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd()))
                .map(|m| (libc::major(m.dev()), libc::minor(m.dev())))
                .unwrap_or_default();
            let dev = blocks
                .read()
                .ok()
                .and_then(|b| b.get(&dev).copied())
                .unwrap_or(dev);
            // A refused `cat` has often ended by now: then the kernel kept who it was.
            let who = crate::register::who::identify(pid, exits);
            let access = if ev.mask & libc::FAN_ACCESS_PERM != 0 {
                "read"
            } else {
                "open"
            };
            let r = Record::new(
                MessageId::DeviceViolation,
                format!(
                    "process {pid} ({}) was refused a file on the refused medium {}:{} that was \
                     mounted before airgapd started ({access})",
                    who.comm, dev.0, dev.1,
                ),
            )
            .field(field::KIND, "dev.premounted")
            .field(field::ACTION, field::action::DENY)
            .field(field::ACCESS, access)
            .field(field::DEVICE, format!("{}:{}", dev.0, dev.1))
            .field(field::COMM, &who.comm)
            .field(field::PID, pid)
            .field(
                field::UID,
                who.uid.map(|u| u.to_string()).unwrap_or_default(),
            );
            let key = format!("{:?} {} {}:{}", who.uid, who.comm, dev.0, dev.1);
            folded.send(key, r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_threads_are_told_from_processes() {
        assert!(is_kernel_thread(2), "kthreadd");
        assert!(!is_kernel_thread(std::process::id()));
    }
}
