//! Hashing a file's content (SHA-256, from its start whatever the descriptor's offset), and
//! the cache that spares hashing a file read back unchanged.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

/// Hashes remembered for files read again unchanged.
const CACHE_ENTRIES: usize = 4096;

/// What a file's content was when the worker read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// Bytes hashed.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// The file changed while it was read (then the hash is of a mix, and says so).
    pub changed: bool,
}

/// Identity of a file's content for the cache: device, inode, size, modification time.
type CacheKey = (u64, u64, i64, i64, i64);

fn stat_key(st: &libc::stat) -> CacheKey {
    (
        st.st_dev,
        st.st_ino,
        st.st_size,
        st.st_mtime * 1_000_000_000 + st.st_mtime_nsec,
        st.st_ctime * 1_000_000_000 + st.st_ctime_nsec,
    )
}

fn fstat(fd: &impl AsRawFd) -> io::Result<libc::stat> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `st` is valid for writes of a struct stat.
    if unsafe { libc::fstat(fd.as_raw_fd(), st.as_mut_ptr()) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fstat succeeded, so it filled `st`.
    Ok(unsafe { st.assume_init() })
}

/// Why a hash was given up: the medium was unmounted while the file was read. The daemon's
/// descriptor keeps the filesystem alive (through a private copy of its mount, so the user's
/// `umount` succeeded): it is let go at once, so the kernel flushes and releases the medium
/// as the user expects after an unmount.
pub const UNMOUNTED: &str = "not hashed: the medium was unmounted while its content was being read";

/// Hash an open file from its start (`pread`, so the descriptor's offset does not matter).
pub fn hash_file(file: &File) -> io::Result<(Content, CacheKey)> {
    hash_file_while(file, &|| true)
}

/// The same, asking `go_on` before each MiB: when it says no, the hash is given up
/// ([`UNMOUNTED`], with how much was read).
pub fn hash_file_while(file: &File, go_on: &dyn Fn() -> bool) -> io::Result<(Content, CacheKey)> {
    use sha2::{Digest, Sha256};
    use std::os::unix::fs::FileExt;
    let before = fstat(file)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut offset = 0u64;
    loop {
        if !go_on() {
            return Err(io::Error::other(format!(
                "{UNMOUNTED} ({offset} of {} bytes read)",
                before.st_size
            )));
        }
        let n = match file.read_at(&mut buf, offset) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.update(&buf[..n]);
        offset += n as u64;
    }
    let after = fstat(file)?;
    let key = stat_key(&after);
    Ok((
        Content {
            size: offset,
            sha256: h.finalize().iter().map(|b| format!("{b:02x}")).collect(),
            changed: stat_key(&before) != key,
        },
        key,
    ))
}

/// Hashes by content identity.
#[derive(Debug, Default)]
pub struct Cache(HashMap<CacheKey, String>);

impl Cache {
    /// Whether `f`, as it is now, was hashed (and so recorded) already.
    pub fn known(&self, f: &File) -> bool {
        fstat(f).is_ok_and(|st| self.0.contains_key(&stat_key(&st)))
    }

    /// The hash of `f`: remembered when `remembered` and the file is unchanged since, else
    /// read. A hash of a file that did not change while it was read is remembered.
    pub fn hash(&mut self, f: &File, remembered: bool) -> Result<Content, String> {
        self.hash_while(f, remembered, &|| true)
    }

    /// The same, given up when `go_on` says no ([`hash_file_while`]).
    pub fn hash_while(
        &mut self,
        f: &File,
        remembered: bool,
        go_on: &dyn Fn() -> bool,
    ) -> Result<Content, String> {
        if remembered {
            if let Ok(st) = fstat(f) {
                if let Some(sha) = self.0.get(&stat_key(&st)) {
                    return Ok(Content {
                        size: st.st_size as u64,
                        sha256: sha.clone(),
                        changed: false,
                    });
                }
            }
        }
        let (content, key) = hash_file_while(f, go_on).map_err(|e| e.to_string())?;
        if !content.changed {
            if self.0.len() >= CACHE_ENTRIES {
                self.0.clear();
            }
            self.0.insert(key, content.sha256.clone());
        }
        Ok(content)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn hashes_from_the_start_whatever_the_offset() {
        let path = std::env::temp_dir().join(format!("airgapd-hash-{}", std::process::id()));
        let mut f = File::create(&path).unwrap();
        f.write_all(b"abc").unwrap();
        let mut f = File::open(&path).unwrap();
        let mut first = [0u8; 1];
        f.read_exact(&mut first).unwrap();
        let (c, _) = hash_file(&f).unwrap();
        assert_eq!(
            c.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!((c.size, c.changed), (3, false));
        let mut cache = Cache::default();
        assert_eq!(cache.hash(&f, true).unwrap(), c);
        assert_eq!(cache.hash(&f, true).unwrap(), c, "from the cache");
        let _ = std::fs::remove_file(&path);
    }
}
