//! What the daemon gives back once its start is done (issue 23: RSS in steady state).
//!
//! Most of the daemon's resident memory after start was its own file (about 9.7 of 12.6 MB):
//! the start runs the policy parser, the object loader, the BTF relocation and every area's
//! set-up once, and reads the embedded BPF object; every page it touched stays mapped.
//! [`release_start_pages`] drops the executable's clean pages from the process's page tables:
//! they are pages of the file, still in the page cache, and the ones the daemon uses in steady
//! state come back at their first use. A mapping is dropped only when it cannot be written
//! (no `w`) and holds no page of its own (`Anonymous: 0 kB` in smaps): a read-only mapping
//! whose pages were relocated at load (RELRO) holds content that exists nowhere else, and is
//! left alone.

use std::io;

/// Drop the executable's clean, read-only pages from this process's page tables; returns the
/// bytes of the mappings advised.
pub fn release_start_pages() -> io::Result<usize> {
    let exe = std::fs::read_link("/proc/self/exe")?;
    let exe = exe.to_string_lossy();
    let smaps = std::fs::read_to_string("/proc/self/smaps")?;
    let mut released = 0;
    for (start, end) in clean_mappings(&smaps, exe.trim_end_matches(" (deleted)")) {
        // SAFETY: the range is a whole private mapping of our own file that cannot be written
        // and has no anonymous page: MADV_DONTNEED only makes its next access read the page
        // from the file again.
        if unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) }
            != 0
        {
            return Err(io::Error::last_os_error());
        }
        released += end - start;
    }
    Ok(released)
}

/// The read-only mappings of `exe` without anonymous pages, from a `/proc/PID/smaps` text.
fn clean_mappings(smaps: &str, exe: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    // The mapping being read, while it qualifies so far.
    let mut current: Option<(usize, usize)> = None;
    for line in smaps.lines() {
        let mut f = line.split_whitespace();
        let Some(first) = f.next() else { continue };
        if let Some((a, b)) = first.split_once('-').filter(|_| !first.ends_with(':')) {
            let perms = f.next().unwrap_or_default();
            let path = line
                .splitn(6, char::is_whitespace)
                .nth(5)
                .unwrap_or_default();
            let ours = path.trim().trim_end_matches(" (deleted)") == exe;
            current = match (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16)) {
                (Ok(a), Ok(b)) if ours && perms.starts_with('r') && !perms.contains('w') => {
                    Some((a, b))
                }
                _ => None,
            };
        } else if first == "Anonymous:" {
            if let Some(range) = current.take() {
                if f.next() == Some("0") {
                    out.push(range);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_executables_clean_read_only_mappings_are_chosen() {
        let block = |range: &str, perms: &str, path: &str, anon: u32| {
            format!(
                "{range} {perms} 00000000 fe:01 42                         {path}\n\
                 Size:               1024 kB\nRss:                 512 kB\n\
                 Anonymous:          {anon} kB\nVmFlags: rd mr mw me\n"
            )
        };
        let smaps = [
            block("55d0c0000000-55d0c0100000", "r--p", "/usr/sbin/airgapd", 0),
            block("55d0c0100000-55d0c0800000", "r-xp", "/usr/sbin/airgapd", 0),
            // RELRO: read-only now, relocated at load.
            block("55d0c0800000-55d0c0900000", "r--p", "/usr/sbin/airgapd", 8),
            block("55d0c0900000-55d0c0910000", "rw-p", "/usr/sbin/airgapd", 0),
            block("7f0000000000-7f0000100000", "r-xp", "/usr/lib/libc.so.6", 0),
            block("7f0000200000-7f0000300000", "r-xp", "", 0),
            block(
                "7f0000400000-7f0000500000",
                "r-xp",
                "/usr/sbin/airgapd (deleted)",
                0,
            ),
        ]
        .concat();
        assert_eq!(
            clean_mappings(&smaps, "/usr/sbin/airgapd"),
            vec![
                (0x55d0c0000000, 0x55d0c0100000),
                (0x55d0c0100000, 0x55d0c0800000),
                (0x7f0000400000, 0x7f0000500000)
            ]
        );
    }

    #[test]
    fn this_process_keeps_running_after_its_pages_are_released() {
        let released = release_start_pages().unwrap();
        assert!(released > 0, "no clean mapping of the test binary found");
        // Code and constants are read again from the file, and the process goes on.
        let s: String = ["still", "running"].join(" ");
        assert_eq!(s, "still running");
    }
}
