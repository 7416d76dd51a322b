//! Raw access to an approved medium: a process opening the medium's block device itself
//! (`dd`, `debugfs -w`, `swapon`, a disk editor) rather than its files through a mount. The
//! kernel's own use of the device (mounting it) is not an open of the node and is not seen.
//!
//! A notification group reporting file identifiers has an inode mark on each approved
//! medium's device node (`FAN_OPEN`, `FAN_ACCESS`, `FAN_MODIFY`, `FAN_CLOSE`): who opened it,
//! and whether they read or wrote through it. Each process's access to a medium that read or
//! wrote through the device becomes one register line (`raw-read` or `raw-write`), made when
//! it closes the device, or at its first write. An open with no read or write through the
//! descriptor (`losetup`, ioctls) is not recorded; I/O the kernel does itself on a device a
//! process handed it (`swapon`: the swap area is written by the kernel) is `swaps.rs`'s,
//! which names the last opener noted here. The daemon's own reads (identifying the
//! medium) are not recorded. Only the node the daemon knows (`/dev/sdb1`) is watched: a node
//! made elsewhere with `mknod` for the same device is not (root is trusted, and `mknod` of a
//! block device is itself refused outside the policy's devices).

use std::collections::HashMap;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::sync::{Arc, RwLock};

use super::fanotify::{self, Group};
use super::jobs::{now_us, Job, Queue};
use super::who::{self, Exits, Who};

const MASK: u64 = libc::FAN_OPEN
    | libc::FAN_ACCESS
    | libc::FAN_MODIFY
    | libc::FAN_CLOSE_WRITE
    | libc::FAN_CLOSE_NOWRITE;

/// One process's raw access to a medium, as the worker records it.
#[derive(Debug)]
pub struct RawAccess {
    /// The medium's block device.
    pub dev: (u32, u32),
    /// The node opened.
    pub node: String,
    /// Who.
    pub who: Who,
    /// It wrote through the device (else it only opened or read it).
    pub wrote: bool,
    /// It read through the device.
    pub read: bool,
    /// When it was first seen.
    pub at_us: u64,
    /// Swap was enabled on it (`swaps.rs`: the kernel writes to it; `who` is the last opener,
    /// pid 0 when none is known).
    pub swap: bool,
}

/// The watched nodes, by their file handle bytes.
type Nodes = Arc<RwLock<HashMap<Vec<u8>, ((u32, u32), String)>>>;

/// The raw access group.
pub struct Raw {
    group: Arc<Group>,
    nodes: Nodes,
}

use super::swaps::{Key, Openers};

/// The file handle of `path` (not following a symlink), as fanotify reports it.
pub(super) fn handle_of(path: &str) -> io::Result<Vec<u8>> {
    let c =
        std::ffi::CString::new(path).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // struct file_handle { u32 handle_bytes; int handle_type; u8 f_handle[128]; }
    let mut words = [0u32; 2 + 32];
    words[0] = 128;
    let mut mount_id = 0;
    // SAFETY: `words` is a file_handle with room for 128 bytes; `c` is a valid path.
    let rc = unsafe {
        libc::name_to_handle_at(
            libc::AT_FDCWD,
            c.as_ptr(),
            words.as_mut_ptr().cast::<libc::file_handle>(),
            &raw mut mount_id,
            0,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    let len = (words[0] as usize).min(128);
    // SAFETY: the kernel wrote `len` bytes of handle after the two header words.
    let bytes = unsafe { std::slice::from_raw_parts(words.as_ptr().add(2).cast::<u8>(), len) };
    Ok(bytes.to_vec())
}

impl Raw {
    /// Create the group and its reader.
    pub fn new(queue: Queue, exits: Option<Arc<Exits>>, openers: Arc<Openers>) -> io::Result<Raw> {
        let group = Arc::new(Group::init(
            libc::FAN_CLASS_NOTIF | libc::FAN_REPORT_FID,
            (libc::O_RDONLY | libc::O_LARGEFILE) as u32,
        )?);
        let nodes: Nodes = Arc::default();
        let (g, n) = (group.clone(), nodes.clone());
        openers.reader(group.clone());
        std::thread::Builder::new()
            .name("airgapd-raw".into())
            .spawn(move || read(&g, &n, &queue, exits.as_deref(), &openers))?;
        Ok(Raw { group, nodes })
    }

    /// Watch the device node `node` of the medium `dev` (checked to be that block device).
    pub fn watch(&self, dev: (u32, u32), node: &str) -> io::Result<()> {
        let meta = std::fs::symlink_metadata(node)?;
        let rdev = meta.rdev();
        if !meta.file_type().is_block_device() || (libc::major(rdev), libc::minor(rdev)) != dev {
            return Err(io::Error::other(format!(
                "{node} is not the block device {}:{}",
                dev.0, dev.1
            )));
        }
        let handle = handle_of(node)?;
        let c = std::ffi::CString::new(node)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        // SAFETY: `c` is a valid path for the duration of the call.
        let rc = unsafe {
            libc::fanotify_mark(
                self.group.as_raw_fd(),
                libc::FAN_MARK_ADD | libc::FAN_MARK_DONT_FOLLOW,
                MASK,
                libc::AT_FDCWD,
                c.as_ptr(),
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        self.nodes
            .write()
            .expect("raw nodes lock")
            .insert(handle, (dev, node.to_string()));
        Ok(())
    }
}

/// Accesses in progress, by (process, device).
type Open = HashMap<(i32, (u32, u32)), RawAccess>;

fn read(group: &Group, nodes: &Nodes, queue: &Queue, exits: Option<&Exits>, openers: &Openers) {
    let me = std::process::id() as i32;
    let mut buf = vec![0u8; 16 * 1024];
    let mut open: Open = HashMap::new();
    // Writes already recorded, so a process writing on and on makes one line.
    let mut written: std::collections::HashSet<(i32, (u32, u32))> = Default::default();
    loop {
        if !group.wait(-1) {
            continue;
        }
        let _reading = openers.reading();
        let n = match group.read(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %e, "reading raw device events");
                std::thread::sleep(std::time::Duration::from_secs(1));
                continue;
            }
        };
        for ev in fanotify::parse(&buf[..n]) {
            if ev.pid == me {
                continue;
            }
            let Some(h) = ev.fid() else { continue };
            let Some((dev, node)) = nodes.read().expect("raw nodes lock").get(&h.bytes).cloned()
            else {
                continue;
            };
            let key = (ev.pid, dev);
            let access = open.entry(key).or_insert_with(|| RawAccess {
                dev,
                node,
                who: who::identify(ev.pid as u32, exits),
                wrote: false,
                read: false,
                at_us: now_us(),
                swap: false,
            });
            if ev.mask & libc::FAN_OPEN != 0 {
                // Who opened the node last: the kernel's open in swapon(2) is one.
                openers.note(Key::Node(dev), ev.pid as u32, Some(access.who.clone()));
            }
            access.read |= ev.mask & libc::FAN_ACCESS != 0;
            access.wrote |= ev.mask & libc::FAN_MODIFY != 0;
            let closed = ev.mask & (libc::FAN_CLOSE_WRITE | libc::FAN_CLOSE_NOWRITE) != 0;
            let first_write = access.wrote && !written.contains(&key);
            if closed || first_write {
                let done = if closed {
                    open.remove(&key)
                } else {
                    open.get(&key).map(|a| RawAccess {
                        dev: a.dev,
                        node: a.node.clone(),
                        who: a.who.clone(),
                        wrote: true,
                        read: a.read,
                        at_us: a.at_us,
                        swap: false,
                    })
                };
                let Some(done) = done else { continue };
                if !(done.read || done.wrote) {
                    // Opened and closed without reading or writing through it (`losetup`,
                    // an ioctl): nothing of the medium went anywhere.
                    continue;
                }
                if closed && written.remove(&key) && !first_write {
                    // Its write was recorded when it began.
                    continue;
                }
                if first_write && !closed {
                    written.insert(key);
                }
                queue.send(Job::Raw(Box::new(done)));
            }
        }
    }
}
