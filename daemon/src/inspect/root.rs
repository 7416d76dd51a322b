//! The filesystem being inspected: the running machine (`/`) or a root mounted from a disk
//! taken out of a PC. Paths are resolved INSIDE the root: a symbolic link in an image that
//! points to `/etc/...` means the image's `/etc`, never the inspecting machine's. Files are
//! only ever opened for reading, with a size bound, so nothing read is changed and a huge or
//! hostile file cannot exhaust memory.

use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};

/// The largest file a source reads whole; larger files are read up to this and reported.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Symbolic links followed while resolving one path (the kernel's own limit).
const MAX_LINKS: usize = 40;

/// The inspected root.
#[derive(Debug, Clone)]
pub struct Root {
    dir: PathBuf,
}

impl Root {
    /// `dir` as the root (`/` for the running machine).
    pub fn new(dir: &Path) -> Root {
        Root {
            dir: dir.to_path_buf(),
        }
    }

    /// The root directory as given.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether this is the running machine's own root.
    pub fn is_live(&self) -> bool {
        self.dir == Path::new("/")
    }

    /// The path of `inside` (absolute, as the inspected machine names it) on this machine,
    /// following symbolic links within the root; None if it does not exist or leaves it by
    /// too many links.
    pub fn resolve(&self, inside: &str) -> Option<PathBuf> {
        let mut pending: Vec<String> = components(inside);
        pending.reverse();
        let mut done: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(part) = pending.pop() {
            match part.as_str() {
                "." => continue,
                ".." => {
                    done.pop();
                    continue;
                }
                _ => {}
            }
            let candidate = self.join(&done).join(&part);
            let meta = fs::symlink_metadata(&candidate).ok()?;
            if meta.file_type().is_symlink() {
                links += 1;
                if links > MAX_LINKS {
                    return None;
                }
                let target = fs::read_link(&candidate).ok()?;
                let target = target.to_string_lossy().into_owned();
                if target.starts_with('/') {
                    done.clear();
                }
                let mut more = components(&target);
                more.reverse();
                pending.extend(more);
            } else {
                done.push(part);
            }
        }
        Some(self.join(&done))
    }

    fn join(&self, parts: &[String]) -> PathBuf {
        let mut p = self.dir.clone();
        for part in parts {
            p.push(part);
        }
        p
    }

    /// A file's bytes, at most [`MAX_FILE_BYTES`]; `Ok(None)` if it does not exist. Opened
    /// read-only, never following a final link out of the root (it was resolved inside).
    pub fn read(&self, inside: &str) -> io::Result<Option<Vec<u8>>> {
        let Some(path) = self.resolve(inside) else {
            return Ok(None);
        };
        read_bounded(&path).map(Some)
    }

    /// The entries of a directory, sorted by name; `Ok(None)` if it does not exist.
    pub fn list(&self, inside: &str) -> io::Result<Option<Vec<String>>> {
        let Some(path) = self.resolve(inside) else {
            return Ok(None);
        };
        if !path.is_dir() {
            return Ok(None);
        }
        let mut names: Vec<String> = fs::read_dir(&path)?
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(Some(names))
    }

    /// A file's modification time in microseconds, if it exists.
    pub fn mtime_us(&self, inside: &str) -> Option<u64> {
        let meta = fs::metadata(self.resolve(inside)?).ok()?;
        let secs = u64::try_from(meta.mtime()).ok()?;
        super::dates::secs_us(secs)?
            .checked_add(u64::try_from(meta.mtime_nsec()).unwrap_or(0) / 1000)
    }
}

fn components(path: &str) -> Vec<String> {
    Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect()
}

/// Read at most [`MAX_FILE_BYTES`] of a regular file; never blocks on a FIFO or a device.
fn read_bounded(path: &Path) -> io::Result<Vec<u8>> {
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_inside_the_root() {
        let dir = std::env::temp_dir().join(format!("inspect-root-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("real/etc")).unwrap();
        fs::write(dir.join("real/etc/hostname"), "image\n").unwrap();
        std::os::unix::fs::symlink("/real/etc", dir.join("etc")).unwrap();
        std::os::unix::fs::symlink("../../../../../../etc/hostname", dir.join("escape")).unwrap();
        let root = Root::new(&dir);
        assert_eq!(root.read("/etc/hostname").unwrap().unwrap(), b"image\n");
        // `..` above the root stays at the root: the image's /etc, not ours.
        assert_eq!(root.read("/escape").unwrap().unwrap(), b"image\n");
        fs::remove_dir_all(&dir).unwrap();
    }
}
