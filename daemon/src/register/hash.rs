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
pub type CacheKey = (u64, u64, i64, i64, i64);

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
    use std::os::unix::fs::FileExt;
    hash_with(file, go_on, |f, buf, offset| f.read_at(buf, offset))
}

/// [`hash_file`] reading only what the page cache holds already (`preadv2` with
/// `RWF_NOWAIT`): `None` as soon as a read would wait for the medium, or the filesystem cannot
/// read so. What was just copied is read so, without a thread of its own (`reader`).
pub fn hash_cached(file: &File) -> Option<io::Result<(Content, CacheKey)>> {
    let nowait = |f: &File, buf: &mut [u8], offset: u64| {
        let iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: one iovec over `buf`, valid for the call.
        let n = unsafe { libc::preadv2(f.as_raw_fd(), &iov, 1, offset as i64, libc::RWF_NOWAIT) };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    };
    match hash_with(file, &|| true, nowait) {
        Err(e) if matches!(e.raw_os_error(), Some(libc::EAGAIN | libc::EOPNOTSUPP)) => None,
        done => Some(done),
    }
}

fn hash_with(
    file: &File,
    go_on: &dyn Fn() -> bool,
    mut read_at: impl FnMut(&File, &mut [u8], u64) -> io::Result<usize>,
) -> io::Result<(Content, CacheKey)> {
    use sha2::{Digest, Sha256};
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
        let n = match read_at(file, &mut buf, offset) {
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

    /// The hash of `f` when `remembered` and the file is unchanged since it was hashed.
    pub fn recall(&self, f: &File, remembered: bool) -> Option<Content> {
        if !remembered {
            return None;
        }
        let st = fstat(f).ok()?;
        self.0.get(&stat_key(&st)).map(|sha| Content {
            size: st.st_size as u64,
            sha256: sha.clone(),
            changed: false,
        })
    }

    /// Remember a hash read (unless the file changed while it was read).
    pub fn remember(&mut self, key: CacheKey, content: &Content) {
        if !content.changed {
            if self.0.len() >= CACHE_ENTRIES {
                self.0.clear();
            }
            self.0.insert(key, content.sha256.clone());
        }
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
        assert_eq!(cache.recall(&f, true), None);
        let (read, key) = hash_file(&f).unwrap();
        cache.remember(key, &read);
        assert_eq!(cache.recall(&f, true), Some(c.clone()), "from the cache");
        assert_eq!(cache.recall(&f, false), None, "not asked to");
        let _ = std::fs::remove_file(&path);
    }
}
