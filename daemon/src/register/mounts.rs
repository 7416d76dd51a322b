//! Where media are mounted: `/proc/self/mountinfo`, read again whenever the kernel says the
//! mount table changed (poll(2) reports `POLLPRI` on an open mountinfo file after every mount,
//! unmount and remount in the namespace of whoever opened it).
//!
//! The daemon sees the mounts of its own mount namespace. Under systemd, whose sandboxing
//! options give the service a namespace of its own, mounts made on the host (a desktop's
//! `/media/<user>/<label>`) propagate into it; a mount made in another private namespace is not
//! seen, and is covered only by the filesystem-wide fanotify marks and BPF LSM programs.

use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::devices::internal::unescape;

/// One mount of `/proc/<pid>/mountinfo`, with what the media code needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    /// Field 1: the mount id, unique while mounted.
    pub id: u32,
    /// Field 3: the filesystem's device (`st_dev`).
    pub dev: (u32, u32),
    /// Field 4: the directory of the filesystem that is the root of this mount.
    pub root: String,
    /// Field 5: where it is mounted, unescaped.
    pub point: PathBuf,
    /// Field 6: per-mount options (`rw,nosuid,noexec,...`).
    pub options: String,
    /// The mount source after the filesystem type, unescaped (`/dev/sdb1`).
    pub source: String,
}

impl MountEntry {
    /// Whether the mount has the noexec attribute.
    pub fn noexec(&self) -> bool {
        self.options.split(',').any(|o| o == "noexec")
    }

    /// The path on the medium of `path`, a path under this mount point.
    pub fn medium_path(&self, path: &Path) -> Option<String> {
        let rest = path.strip_prefix(&self.point).ok()?;
        let root = Path::new(&self.root);
        let full = if rest.as_os_str().is_empty() {
            root.to_path_buf()
        } else {
            root.join(rest)
        };
        Some(full.to_string_lossy().into_owned())
    }

    /// Whether this mount is of the block device `dev`: by the filesystem's device number, or
    /// by its source node (filesystems like btrfs report an anonymous device number).
    pub fn is_of(&self, dev: (u32, u32)) -> bool {
        self.dev == dev
            || (self.source.starts_with("/dev/")
                && std::fs::metadata(&self.source).is_ok_and(|m| {
                    let rdev = m.rdev();
                    m.file_type().is_block_device() && (libc::major(rdev), libc::minor(rdev)) == dev
                }))
    }
}

/// Parse mountinfo text; lines that do not parse are skipped (they are never media).
pub fn parse(text: &str) -> Vec<MountEntry> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<MountEntry> {
    let fields: Vec<&str> = line.split(' ').collect();
    // id parent maj:min root mount-point options [optional...] - fstype source super-options
    let sep = fields.iter().skip(6).position(|f| *f == "-")? + 6;
    let (major, minor) = fields.get(2)?.split_once(':')?;
    Some(MountEntry {
        id: fields.first()?.parse().ok()?,
        dev: (major.parse().ok()?, minor.parse().ok()?),
        root: unescape(fields.get(3)?),
        point: PathBuf::from(unescape(fields.get(4)?)),
        options: (*fields.get(5)?).to_owned(),
        source: unescape(fields.get(sep + 2)?),
    })
}

/// Read and parse a mountinfo file.
pub fn read(path: &Path) -> io::Result<Vec<MountEntry>> {
    Ok(parse(&std::fs::read_to_string(path)?))
}

/// Watch `path` (a mountinfo file) from a thread of its own: one message on `tx` after each
/// change of the mount table (several changes may fold into one message; the receiver reads
/// the whole table again).
pub fn watch(path: &Path, tx: mpsc::Sender<()>) -> io::Result<()> {
    let file = std::fs::File::open(path)?;
    std::thread::Builder::new()
        .name("airgapd-mounts".into())
        .spawn(move || loop {
            let mut pfd = libc::pollfd {
                fd: file.as_raw_fd(),
                events: libc::POLLPRI,
                revents: 0,
            };
            // SAFETY: `pfd` is one valid pollfd for the duration of the call.
            let n = unsafe { libc::poll(&raw mut pfd, 1, -1) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    tracing::error!(error = %e, "watching the mount table");
                    std::thread::sleep(Duration::from_secs(1));
                }
                continue;
            }
            if pfd.revents & (libc::POLLPRI | libc::POLLERR) != 0 {
                match tx.try_send(()) {
                    Ok(()) | Err(mpsc::error::TrySendError::Full(())) => {}
                    Err(mpsc::error::TrySendError::Closed(())) => return,
                }
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
81 22 7:3 / /run/media/clerk/SECRET\\0403 rw,nosuid,nodev,relatime shared:44 - ext4 /dev/loop3 rw
82 22 7:3 /docs /srv/bound ro,noexec master:44 - ext4 /dev/loop3 rw
";

    #[test]
    fn reads_ids_roots_points_and_options() {
        let mounts = parse(TEXT);
        assert_eq!(mounts.len(), 3);
        let m = &mounts[1];
        assert_eq!((m.id, m.dev), (81, (7, 3)));
        assert_eq!(m.point, Path::new("/run/media/clerk/SECRET 3"));
        assert!(!m.noexec());
        assert!(mounts[2].noexec());
        assert_eq!(mounts[2].root, "/docs");
    }

    #[test]
    fn paths_on_the_medium_start_at_the_mount_root() {
        let mounts = parse(TEXT);
        let whole = &mounts[1];
        let p = whole.point.join("reports/a.odt");
        assert_eq!(whole.medium_path(&p).unwrap(), "/reports/a.odt");
        let bound = &mounts[2];
        assert_eq!(
            bound.medium_path(Path::new("/srv/bound/b.pdf")).unwrap(),
            "/docs/b.pdf"
        );
        assert_eq!(bound.medium_path(Path::new("/elsewhere/c")), None);
    }
}
