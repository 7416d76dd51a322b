//! The register's fanotify groups and their readers: each event on a watched medium becomes a
//! job for the worker, with the process that caused it identified at once.
//!
//! The main group reports file identifiers with the directory and name
//! (`FAN_REPORT_DFID_NAME_TARGET`), so renames onto the medium are seen and the path is the
//! entry's: `FAN_CREATE` (remembered, so the close that follows says "created"),
//! `FAN_CLOSE_WRITE` (created, overwritten, appended), `FAN_MOVED_TO`, and
//! `FAN_CLOSE_NOWRITE` (read onto the machine). A filesystem whose file handles the kernel
//! cannot decode (exFAT) cannot be watched that way; it gets a group without identifiers,
//! which sees closes only, each with the file open. Both also report opens (`FAN_OPEN`),
//! which only note the opener, for naming who enabled swap on a file (`swaps.rs`): a
//! notification nobody waits for, merged by the kernel with the file's other events.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::sync::Arc;

use super::entry::event;
use super::fanotify::{self, Group, Handle};
use super::jobs::{now_us, Check, Copy, Job, Queue, Target};
use super::swaps::{Key, Openers};
use super::who::{self, Exits};

/// Events of the identifier group.
const MASK_FID: u64 = libc::FAN_OPEN
    | libc::FAN_CLOSE_WRITE
    | libc::FAN_CLOSE_NOWRITE
    | libc::FAN_MOVED_TO
    | libc::FAN_CREATE
    | libc::FAN_MODIFY;
/// Events of the fallback group.
const MASK_FD: u64 = libc::FAN_OPEN | libc::FAN_CLOSE_WRITE | libc::FAN_CLOSE_NOWRITE;
/// Files created and not yet closed, remembered at most.
const CREATED_ENTRIES: usize = 4096;
/// Size of one read of events.
const READ_BUF: usize = 64 * 1024;
/// After a read that did not fill the buffer, wait this long before the next: events of a
/// burst (`cp -r`) are then read in batches, with one wake-up of this thread per batch rather
/// than per file. The kernel queues 16384 events meanwhile.
const BATCH_PAUSE: std::time::Duration = std::time::Duration::from_millis(2);
/// Reads of the same file by the same process within this window are one record, with their
/// number (`copies`): a process opening the same files over and over (a flood, or a program
/// that rereads) costs one line per file per window, not one per open.
pub const FOLD_WINDOW: std::time::Duration = std::time::Duration::from_millis(1000);
/// Folded reads kept at most; past that the oldest is recorded early.
const FOLDS_KEPT: usize = 8192;
/// How long a process's identity is reused for its next events (`cp -r` of a thousand files
/// is one process: /proc is read once, not a thousand times).
const WHO_TTL: std::time::Duration = std::time::Duration::from_millis(500);

/// Identities of recent actors.
#[derive(Default)]
struct Recent(HashMap<i32, (super::who::Who, std::time::Instant)>);

impl Recent {
    fn get(&mut self, pid: i32, exits: Option<&Exits>) -> super::who::Who {
        let now = std::time::Instant::now();
        if let Some((who, at)) = self.0.get(&pid) {
            if now.duration_since(*at) < WHO_TTL {
                return who.clone();
            }
        }
        if self.0.len() > 1024 {
            self.0
                .retain(|_, (_, at)| now.duration_since(*at) < WHO_TTL);
        }
        let who = who::identify(pid as u32, exits);
        // Only a full identity is reused: one read after the process ended may still learn it.
        if who.uid.is_some() {
            self.0.insert(pid, (who.clone(), now));
        }
        who
    }
}

/// How a medium is watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// By file identifiers: creates, writes, renames and reads, with directory and name.
    Identifiers,
    /// By open files (handles not decodable on this filesystem): writes and reads.
    OpenFiles,
}

/// Which medium a filesystem id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fsid {
    dev: (u32, u32),
    /// Its medium is watched. A medium no longer watched keeps its fsid (events queued before
    /// its unmount are read after it, and name it by that fsid) until another medium with the
    /// same fsid is watched.
    live: bool,
}

/// The register's groups.
pub struct Watcher {
    fid: Arc<Group>,
    fd: Option<Arc<Group>>,
    /// Filesystem ids of the watched media, to tell which medium an identifier event is on.
    fsids: Arc<std::sync::RwLock<HashMap<u64, Fsid>>>,
    queue: Queue,
    exits: Option<Arc<Exits>>,
    openers: Arc<Openers>,
}

/// The `f_fsid` of the filesystem of the open `fd`, as fanotify reports it (8 bytes, native
/// order).
pub fn fsid(fd: &impl AsRawFd) -> io::Result<u64> {
    let mut st = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: `st` is valid for writes of a struct statfs.
    if unsafe { libc::fstatfs(fd.as_raw_fd(), st.as_mut_ptr()) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fstatfs succeeded. f_fsid is two ints, read as the 8 bytes fanotify reports.
    let st = unsafe { st.assume_init() };
    let mut bytes = [0u8; 8];
    // SAFETY: fsid_t is exactly 8 bytes of plain data.
    unsafe {
        std::ptr::copy_nonoverlapping((&raw const st.f_fsid).cast::<u8>(), bytes.as_mut_ptr(), 8);
    }
    Ok(u64::from_ne_bytes(bytes))
}

impl Watcher {
    /// Create the identifier group and its reader.
    pub fn new(
        queue: Queue,
        exits: Option<Arc<Exits>>,
        openers: Arc<Openers>,
    ) -> io::Result<Watcher> {
        let fid = Arc::new(Group::init(
            libc::FAN_CLASS_NOTIF | libc::FAN_REPORT_DFID_NAME_TARGET,
            (libc::O_RDONLY | libc::O_LARGEFILE) as u32,
        )?);
        let w = Watcher {
            fid: fid.clone(),
            fd: None,
            fsids: Default::default(),
            queue,
            exits,
            openers,
        };
        let (fsids, queue, exits) = (w.fsids.clone(), w.queue.clone(), w.exits.clone());
        let openers = w.openers.clone();
        openers.reader(fid.clone());
        std::thread::Builder::new()
            .name("airgapd-copies".into())
            .spawn(move || {
                read_identifiers(&fid, &fsids, &queue, exits.as_deref(), &openers);
            })?;
        Ok(w)
    }

    /// Watch the filesystem of the mount root `root` (checked to be the block device `dev`).
    /// Marking a filesystem already marked changes nothing, so this is done again for every
    /// new mount: a medium unmounted and mounted again is a new filesystem instance whose
    /// marks went with the old one.
    pub fn watch(&mut self, dev: (u32, u32), root: &OwnedFd) -> io::Result<Mode> {
        let id = fsid(root)?;
        // An identifier event names its filesystem by fsid alone, and ext4 derives the fsid
        // from the UUID: two sticks cloned from one image have the same. Mapping the fsid to
        // the second medium recorded every copy to the first against the second (with no
        // hash: the handle does not open there). A medium whose fsid another watched medium
        // holds is watched with open files, whose events carry the file and so its device.
        // (Since 6.8 the kernel refuses such a second mark, EXDEV; before, it took it and the
        // two filesystems' events could not be told apart.)
        //
        // `before`: another medium the fsid named (given back to it if the mark fails).
        let before = {
            let mut fsids = self.fsids.write().expect("fsid lock");
            match fsids.get_mut(&id) {
                Some(f) if f.dev == dev => {
                    f.live = true;
                    None
                }
                Some(f) => Some(*f),
                None => {
                    // Before the mark: an event read right after it finds its medium.
                    fsids.insert(id, Fsid { dev, live: true });
                    None
                }
            }
        };
        let taken = before.is_some_and(|f| f.live);
        if before.is_some_and(|f| !f.live) {
            // The fsid of a medium no longer watched: the events of its last moments may be
            // queued still. Read first (at most 200 ms, `Openers::settle`), then the fsid
            // names this medium.
            self.openers.settle();
            self.fsids
                .write()
                .expect("fsid lock")
                .insert(id, Fsid { dev, live: true });
        }
        if !taken {
            match self.fid.mark_filesystem_fd(MASK_FID, root) {
                Ok(()) => return Ok(Mode::Identifiers),
                // No decodable handles (EOPNOTSUPP), no fsid (ENODEV), or an fsid shared with
                // a filesystem marked before (EXDEV): watch with open files instead.
                Err(e)
                    if matches!(
                        e.raw_os_error(),
                        Some(libc::EOPNOTSUPP | libc::ENODEV | libc::EXDEV)
                    ) =>
                {
                    self.give_back(id, dev, before);
                }
                Err(e) => {
                    self.give_back(id, dev, before);
                    return Err(e);
                }
            }
        }
        self.fd_group()?.mark_filesystem_fd(MASK_FD, root)?;
        Ok(Mode::OpenFiles)
    }

    /// The medium at `dev` is no longer watched (unmounted, gone, or another medium there):
    /// its fsid may name another medium's filesystem from now on ([`Fsid::live`]).
    pub fn forget(&mut self, dev: (u32, u32)) {
        for f in self.fsids.write().expect("fsid lock").values_mut() {
            if f.dev == dev {
                f.live = false;
            }
        }
    }

    /// The fsid `id` taken for `dev` goes back to what it named `before` (nothing, or a
    /// medium no longer watched): `dev` was not marked by identifiers.
    fn give_back(&mut self, id: u64, dev: (u32, u32), before: Option<Fsid>) {
        let mut fsids = self.fsids.write().expect("fsid lock");
        if fsids.get(&id).is_some_and(|f| f.dev == dev) {
            match before {
                Some(f) => fsids.insert(id, f),
                None => fsids.remove(&id),
            };
        }
    }

    fn fd_group(&mut self) -> io::Result<&Group> {
        if self.fd.is_none() {
            let group = Arc::new(Group::init(
                libc::FAN_CLASS_NOTIF,
                (libc::O_RDONLY | libc::O_LARGEFILE) as u32,
            )?);
            let (g, queue, exits) = (group.clone(), self.queue.clone(), self.exits.clone());
            let openers = self.openers.clone();
            openers.reader(group.clone());
            std::thread::Builder::new()
                .name("airgapd-copies-fd".into())
                .spawn(move || read_open_files(&g, &queue, exits.as_deref(), &openers))?;
            self.fd = Some(group);
        }
        Ok(self.fd.as_deref().expect("just set"))
    }
}

/// Files remembered by handle (created and not closed yet; changed and not closed yet), oldest
/// forgotten first.
struct Remembered<V> {
    map: HashMap<Handle, V>,
    order: VecDeque<Handle>,
}

impl<V> Default for Remembered<V> {
    fn default() -> Self {
        Remembered {
            map: HashMap::new(),
            order: VecDeque::new(),
        }
    }
}

impl<V> Remembered<V> {
    fn insert(&mut self, h: Handle, v: V) {
        if self.map.insert(h.clone(), v).is_none() {
            self.order.push_back(h);
            while self.order.len() > CREATED_ENTRIES {
                if let Some(old) = self.order.pop_front() {
                    self.map.remove(&old);
                }
            }
        }
    }

    fn contains(&self, h: &Handle) -> bool {
        self.map.contains_key(h)
    }

    /// Forget `h`; its place in the order goes when it comes to the front.
    fn take(&mut self, h: &Handle) -> Option<V> {
        let v = self.map.remove(h);
        while self
            .order
            .front()
            .is_some_and(|o| !self.map.contains_key(o))
        {
            self.order.pop_front();
        }
        v
    }
}

/// A file changed (`FAN_MODIFY`) and not closed since: if no close follows, it was changed
/// without a descriptor open for writing (`truncate(2)`), and is recorded when this is due.
struct Changed {
    copy: Copy,
    due: std::time::Instant,
}

/// How long after a change without a close the file is looked at (`truncate(2)`).
const CHANGE_SETTLE: std::time::Duration = std::time::Duration::from_millis(500);

/// The next batch of events; a failing read is logged and tried again a second later (the
/// reader threads have nowhere to return to).
fn next_batch(group: &Group, buf: &mut [u8]) -> usize {
    loop {
        match group.read(buf) {
            Ok(n) => return n,
            Err(e) => {
                tracing::error!(error = %e, "reading copy events");
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
        }
    }
}

/// Reads being folded: per (process, file), the record to make and how many reads it stands
/// for, made when its window ends.
#[derive(Default)]
struct Folds {
    open: HashMap<(i32, Handle), (Copy, std::time::Instant)>,
}

impl Folds {
    /// Count a read; true when it was folded into one already open.
    fn fold(&mut self, pid: i32, file: &Handle) -> bool {
        match self.open.get_mut(&(pid, file.clone())) {
            Some((c, _)) => {
                c.count = c.count.saturating_add(1);
                true
            }
            None => false,
        }
    }

    fn start(&mut self, pid: i32, file: Handle, copy: Copy, queue: &Queue) {
        if self.open.len() >= FOLDS_KEPT {
            self.flush(queue, true);
        }
        let until = std::time::Instant::now() + FOLD_WINDOW;
        self.open
            .entry((pid, file))
            .and_modify(|(c, _)| c.count = c.count.saturating_add(1))
            .or_insert((copy, until));
    }

    /// Record the folds whose window ended (all of them when `all`).
    fn flush(&mut self, queue: &Queue, all: bool) {
        let now = std::time::Instant::now();
        let done: Vec<_> = self
            .open
            .iter()
            .filter(|(_, (_, until))| all || *until <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for k in done {
            if let Some((c, _)) = self.open.remove(&k) {
                queue.copy(c);
            }
        }
    }

    /// Milliseconds until the next window ends (-1: none open).
    fn timeout_ms(&self) -> i32 {
        let now = std::time::Instant::now();
        self.open
            .values()
            .map(|(_, until)| until.saturating_duration_since(now).as_millis() as i32 + 1)
            .min()
            .unwrap_or(-1)
    }
}

fn read_identifiers(
    group: &Group,
    fsids: &std::sync::RwLock<HashMap<u64, Fsid>>,
    queue: &Queue,
    exits: Option<&Exits>,
    openers: &Openers,
) {
    let me = std::process::id() as i32;
    let mut buf = vec![0u8; READ_BUF];
    let mut created: Remembered<Option<(Handle, Vec<u8>)>> = Remembered::default();
    let mut changed: Remembered<Changed> = Remembered::default();
    // Closes of O_TMPFILE files ("#<inode>") whose link under a name may come next: the
    // kernel may queue the close (merged with an earlier change) before the link's event.
    let mut unnamed: Remembered<Changed> = Remembered::default();
    let mut recent = Recent::default();
    let mut folds = Folds::default();
    loop {
        let change_due = changed
            .map
            .values()
            .chain(unnamed.map.values())
            .map(|c| {
                c.due
                    .saturating_duration_since(std::time::Instant::now())
                    .as_millis() as i32
                    + 1
            })
            .min();
        let timeout = match (folds.timeout_ms(), change_due) {
            (-1, None) => -1,
            (-1, Some(c)) => c,
            (f, None) => f,
            (f, Some(c)) => f.min(c),
        };
        if !group.wait(timeout) {
            folds.flush(queue, false);
            flush_changes(&mut changed, queue);
            flush_changes(&mut unnamed, queue);
            continue;
        }
        let _reading = openers.reading();
        let n = next_batch(group, &mut buf);
        if n < READ_BUF / 2 {
            std::thread::sleep(BATCH_PAUSE);
        }
        for ev in fanotify::parse(&buf[..n]) {
            if ev.mask & libc::FAN_Q_OVERFLOW != 0 {
                // Waiting for room: the queue is full when the kernel overflows.
                queue.send(Job::Overflow);
                continue;
            }
            // The worker's own reads of what it hashes.
            if ev.pid == me {
                continue;
            }
            let Some(dir) = ev.infos.iter().find_map(|i| match i {
                fanotify::Info::DirName(h, _) | fanotify::Info::Dir(h) => Some(h),
                fanotify::Info::Fid(_) => None,
            }) else {
                continue;
            };
            let Some(dev) = fsids
                .read()
                .expect("fsid lock")
                .get(&dir.fsid)
                .map(|f| f.dev)
            else {
                continue;
            };
            let file = ev.fid().cloned();
            if let Some(f) = file.as_ref().filter(|_| ev.mask & libc::FAN_OPEN != 0) {
                openers.note(Key::Handle(dev, f.bytes.clone()), ev.pid as u32, None);
            }
            let mut name = ev.dir_name().map(|(h, n)| (h.clone(), n.to_vec()));
            if ev.mask & libc::FAN_CREATE != 0 {
                if let Some(mut c) = file.as_ref().and_then(|f| unnamed.take(f)).map(|u| u.copy) {
                    // The O_TMPFILE file closed earlier, linked in now: created, this name.
                    c.event = event::CREATED;
                    c.check = Check::None;
                    if let Target::Handles { dir, .. } = &mut c.target {
                        dir.clone_from(&name);
                    }
                    queue.copy(c);
                    continue;
                }
                if let Some(f) = &file {
                    // Its name here: an O_TMPFILE file linked in is named "#<inode>" in the
                    // events that follow, and by this name on the medium.
                    created.insert(f.clone(), name.clone());
                }
            }
            if ev.mask & libc::FAN_MODIFY != 0 {
                if let Some(f) = file.as_ref().filter(|f| !changed.contains(f)) {
                    let copy = Copy {
                        dev,
                        event: event::WRITTEN,
                        target: Target::Handles {
                            file: Some(f.clone()),
                            dir: name.clone(),
                        },
                        who: recent.get(ev.pid, exits),
                        at_us: now_us(),
                        count: 1,
                        check: Check::Truncated,
                    };
                    let due = std::time::Instant::now() + CHANGE_SETTLE;
                    changed.insert(f.clone(), Changed { copy, due });
                }
            }
            let mut check = Check::None;
            let mut kinds = Vec::new();
            if ev.mask & libc::FAN_CLOSE_WRITE != 0 {
                let was_created = file.as_ref().and_then(|f| created.take(f));
                let was_changed = file.as_ref().and_then(|f| changed.take(f)).is_some();
                if let Some(Some(at_creation)) = &was_created {
                    if name.as_ref().is_some_and(|(_, n)| n.starts_with(b"#")) {
                        name = Some(at_creation.clone());
                    }
                }
                kinds.push(if was_created.is_some() {
                    event::CREATED
                } else {
                    if !was_changed {
                        // Opened for writing, no change seen: maybe only read (O_RDWR).
                        check = Check::Unchanged;
                    }
                    event::WRITTEN
                });
            }
            if ev.mask & libc::FAN_MOVED_TO != 0 {
                kinds.push(event::MOVED);
            }
            if ev.mask & libc::FAN_CLOSE_NOWRITE != 0 {
                kinds.push(event::READ);
            }
            if kinds.is_empty() {
                continue;
            }
            let read_again =
                kinds == [event::READ] && file.as_ref().is_some_and(|f| folds.fold(ev.pid, f));
            if read_again {
                continue;
            }
            let who = recent.get(ev.pid, exits);
            let at_us = now_us();
            for kind in kinds {
                let copy = Copy {
                    dev,
                    event: kind,
                    target: Target::Handles {
                        file: file.clone(),
                        dir: name.clone(),
                    },
                    who: who.clone(),
                    at_us,
                    count: 1,
                    check: if kind == event::WRITTEN {
                        check
                    } else {
                        Check::None
                    },
                };
                let tmpfile = kind == event::WRITTEN
                    && name.as_ref().is_some_and(|(_, n)| n.starts_with(b"#"));
                match (&file, kind) {
                    (Some(f), event::READ) => folds.start(ev.pid, f.clone(), copy, queue),
                    (Some(f), _) if tmpfile => {
                        let due = std::time::Instant::now() + CHANGE_SETTLE;
                        unnamed.insert(f.clone(), Changed { copy, due });
                    }
                    _ => queue.copy(copy),
                }
            }
        }
        folds.flush(queue, false);
        flush_changes(&mut changed, queue);
        flush_changes(&mut unnamed, queue);
    }
}

/// Changes whose close did not come: hand them to the worker, which records those no
/// descriptor is still open for writing on.
fn flush_changes(changed: &mut Remembered<Changed>, queue: &Queue) {
    let now = std::time::Instant::now();
    let due: Vec<Handle> = changed
        .map
        .iter()
        .filter(|(_, c)| c.due <= now)
        .map(|(h, _)| h.clone())
        .collect();
    for h in due {
        if let Some(c) = changed.take(&h) {
            queue.copy(c.copy);
        }
    }
}

fn read_open_files(group: &Group, queue: &Queue, exits: Option<&Exits>, openers: &Openers) {
    let me = std::process::id() as i32;
    let mut buf = vec![0u8; READ_BUF];
    let mut recent = Recent::default();
    loop {
        if !group.wait(-1) {
            continue;
        }
        let _reading = openers.reading();
        let n = next_batch(group, &mut buf);
        for ev in fanotify::parse(&buf[..n]) {
            if ev.mask & libc::FAN_Q_OVERFLOW != 0 {
                // Waiting for room: the queue is full when the kernel overflows.
                queue.send(Job::Overflow);
                continue;
            }
            let Some(fd) = ev.fd else { continue };
            if ev.pid == me {
                continue;
            }
            let Ok(meta) = std::fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd())) else {
                continue;
            };
            let dev = (libc::major(meta.dev()), libc::minor(meta.dev()));
            if ev.mask & libc::FAN_OPEN != 0 {
                openers.note(Key::Inode(dev, meta.ino()), ev.pid as u32, None);
            }
            let kind = if ev.mask & libc::FAN_CLOSE_WRITE != 0 {
                event::WRITTEN
            } else if ev.mask & libc::FAN_CLOSE_NOWRITE != 0 {
                event::READ
            } else {
                continue;
            };
            queue.copy(Copy {
                dev,
                event: kind,
                target: Target::Open(fd),
                who: recent.get(ev.pid, exits),
                at_us: now_us(),
                count: 1,
                check: Check::None,
            });
        }
    }
}
