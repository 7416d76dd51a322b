//! A stick that stops answering: a FUSE filesystem (spoken to directly over /dev/fuse, no
//! library) with one 8 MiB file, `img`, whose reads are never answered; a loop device over it
//! stalls every reader. [`StallFs::serving`] answers reads from an image until told to stall
//! (a stick that was read and then went busy). Dropping it aborts the connection (the readers
//! get EIO), detaches the loop device and unmounts.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::loopdev::run;

const SIZE: u64 = 8 << 20;

pub struct StallFs {
    pub dir: PathBuf,
    /// Set: reads are no longer answered ([`StallFs::serving`]).
    pub stalled: Arc<AtomicBool>,
    /// `/dev/loopN` over the stalling file.
    pub loop_path: String,
    pub major: u32,
    pub minor: u32,
    stop: Arc<AtomicBool>,
    server: Option<JoinHandle<()>>,
}

fn attr(out: &mut Vec<u8>, ino: u64, dir: bool) {
    let (size, mode, nlink) = if dir {
        (0, 0o040755u32, 2u32)
    } else {
        (SIZE, 0o100644, 1)
    };
    for v in [ino, size, size / 512, 0, 0, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for v in [0u32, 0, 0, mode, nlink, 0, 0, 0, 4096, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

fn reply(fuse: &mut File, unique: u64, error: i32, body: &[u8]) {
    let mut out = Vec::with_capacity(16 + body.len());
    out.extend_from_slice(&((16 + body.len()) as u32).to_le_bytes());
    out.extend_from_slice(&error.to_le_bytes());
    out.extend_from_slice(&unique.to_le_bytes());
    out.extend_from_slice(body);
    let _ = fuse.write_all(&out);
}

/// What the file holds while it answers, and whether it stopped answering.
struct Content {
    image: Vec<u8>,
    stalled: Arc<AtomicBool>,
}

fn serve(mut fuse: File, stop: Arc<AtomicBool>, content: Option<Content>) {
    let mut buf = vec![0u8; (1 << 20) + 4096];
    let mut unanswered = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let mut pfd = libc::pollfd {
            fd: fuse.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut pfd, 1, 100) } <= 0 {
            continue;
        }
        let n = match fuse.read(&mut buf) {
            Ok(n) => n,
            Err(_) => return,
        };
        if n < 40 {
            continue;
        }
        let opcode = u32::from_le_bytes(buf[4..8].try_into().unwrap());
        let unique = u64::from_le_bytes(buf[8..16].try_into().unwrap());
        let nodeid = u64::from_le_bytes(buf[16..24].try_into().unwrap());
        let mut body = Vec::new();
        match opcode {
            26 => {
                // INIT: protocol 7.31, nothing optional.
                for v in [7u32, 31, 0, 0] {
                    body.extend_from_slice(&v.to_le_bytes());
                }
                body.extend_from_slice(&[0u8; 4]); // max_background, congestion_threshold
                body.extend_from_slice(&(128u32 << 10).to_le_bytes()); // max_write
                body.extend_from_slice(&1u32.to_le_bytes()); // time_gran
                body.resize(64, 0);
                reply(&mut fuse, unique, 0, &body);
            }
            1 => {
                // LOOKUP
                let name = &buf[40..n];
                if name.split(|&b| b == 0).next() == Some(b"img") {
                    for v in [2u64, 0, 3600, 3600] {
                        body.extend_from_slice(&v.to_le_bytes());
                    }
                    body.extend_from_slice(&[0u8; 8]);
                    attr(&mut body, 2, false);
                    reply(&mut fuse, unique, 0, &body);
                } else {
                    reply(&mut fuse, unique, -libc::ENOENT, &[]);
                }
            }
            3 => {
                // GETATTR
                body.extend_from_slice(&3600u64.to_le_bytes());
                body.extend_from_slice(&[0u8; 8]);
                attr(&mut body, nodeid, nodeid == 1);
                reply(&mut fuse, unique, 0, &body);
            }
            14 if content.is_some() => {
                // OPEN with FOPEN_DIRECT_IO: every read comes here, none from the page cache.
                let mut out = [0u8; 16];
                out[8] = 1;
                reply(&mut fuse, unique, 0, &out)
            }
            14 | 27 => reply(&mut fuse, unique, 0, &[0u8; 16]), // OPEN, OPENDIR
            15 => match &content {
                // READ: fuse_read_in's offset and size.
                Some(c) if !c.stalled.load(Ordering::Relaxed) => {
                    let off = u64::from_le_bytes(buf[48..56].try_into().unwrap()) as usize;
                    let size = u32::from_le_bytes(buf[56..60].try_into().unwrap()) as usize;
                    let end = (off + size).min(c.image.len());
                    let data = c.image.get(off.min(end)..end).unwrap_or(&[]);
                    reply(&mut fuse, unique, 0, data)
                }
                _ => unanswered.push(unique), // never answered
            },
            18 | 25 | 29 => reply(&mut fuse, unique, 0, &[]), // RELEASE, FLUSH, RELEASEDIR
            2 | 36 | 42 => {}                                 // FORGET, INTERRUPT, BATCH_FORGET
            _ => reply(&mut fuse, unique, -libc::ENOSYS, &[]),
        }
    }
    // Dropping the last /dev/fuse descriptor aborts the connection: every waiting read fails.
}

impl StallFs {
    /// Never answers a read.
    pub fn new(tag: &str) -> StallFs {
        Self::make(tag, None)
    }

    /// Answers reads with `image` (8 MiB at most) until `stalled` is set.
    pub fn serving(tag: &str, image: Vec<u8>) -> StallFs {
        assert!(image.len() as u64 <= SIZE);
        Self::make(tag, Some(image))
    }

    fn make(tag: &str, image: Option<Vec<u8>>) -> StallFs {
        let dir = std::env::temp_dir().join(format!("airgapd-stall-{tag}-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let fuse = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/fuse")
            .expect("/dev/fuse");
        let opts = format!(
            "fd={},rootmode=40000,user_id=0,group_id=0,allow_other",
            fuse.as_raw_fd()
        );
        nix::mount::mount(
            Some("airgapd-stall"),
            &dir,
            Some("fuse.airgapd-stall"),
            nix::mount::MsFlags::MS_NOSUID | nix::mount::MsFlags::MS_NODEV,
            Some(opts.as_str()),
        )
        .expect("mounting the stalling FUSE filesystem");
        let stop = Arc::new(AtomicBool::new(false));
        let stalled = Arc::new(AtomicBool::new(image.is_none()));
        let content = image.map(|image| Content {
            image,
            stalled: stalled.clone(),
        });
        let server = {
            let stop = stop.clone();
            std::thread::spawn(move || serve(fuse, stop, content))
        };
        let img = dir.join("img");
        let mut fs = StallFs {
            dir,
            stalled,
            loop_path: String::new(),
            major: 0,
            minor: 0,
            stop,
            server: Some(server),
        };
        // Read-only: nothing else on this machine is ever written through it.
        fs.loop_path = run(
            "losetup",
            &["--find", "--show", "--read-only", img.to_str().unwrap()],
        );
        let rdev = std::fs::metadata(&fs.loop_path).unwrap().rdev();
        fs.major = libc::major(rdev);
        fs.minor = libc::minor(rdev);
        fs
    }
}

impl Drop for StallFs {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.server.take() {
            let _ = t.join();
        }
        if !self.loop_path.is_empty() {
            let _ = Command::new("losetup")
                .args(["-d", &self.loop_path])
                .status();
        }
        let _ = nix::mount::umount2(&self.dir, nix::mount::MntFlags::MNT_DETACH);
        let _ = std::fs::remove_dir(&self.dir);
    }
}
