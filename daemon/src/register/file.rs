//! The register file: one JSON object per line, appended (O_APPEND) and flushed to disk
//! (fdatasync) by the daemon alone, each line chained to the one before by SHA-256, so a line
//! removed or altered anywhere breaks the chain from that line on. The chain is
//! [`crate::chain`], shared with the machine record; see there for the line format.
//!
//! What the chain cannot show alone is lines cut from the end: every record also goes to the
//! journal with its sequence number and chain (`AIRGAP_REGISTER_SEQ`, `AIRGAP_REGISTER_CHAIN`),
//! which an officer compares with the file's last line.

use std::path::Path;

use crate::chain::{self as chained, ChainFile, Chained};
pub use crate::chain::{chain, ChainError as RegisterError, Verified, GENESIS};

use super::entry::Entry;

impl Chained for Entry {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn set_seq(&mut self, seq: u64) {
        self.seq = seq;
    }
}

/// The register, open for appending.
pub type RegisterFile = ChainFile<Entry>;

/// Check every line of the register at `path` ([`crate::chain::verify`]).
pub fn verify(path: &Path) -> Result<Verified, RegisterError> {
    chained::verify::<Entry>(path)
}

/// Every record of the register at `path`, in order ([`crate::chain::read`]).
pub fn read(path: &Path) -> Result<Vec<Entry>, RegisterError> {
    chained::read::<Entry>(path)
}

#[cfg(test)]
mod tests {
    use std::fs::OpenOptions;
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;

    use super::*;

    /// A register path in a directory of its own, removed on drop.
    struct Temp(PathBuf);

    impl Temp {
        fn new(name: &str) -> Temp {
            let dir =
                std::env::temp_dir().join(format!("airgapd-regfile-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Temp(dir.join("register.jsonl"))
        }
    }

    impl Drop for Temp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(self.0.parent().unwrap());
        }
    }

    fn entry(doc: &str) -> Entry {
        Entry {
            event: "created".into(),
            document: doc.into(),
            copies: 1,
            result: "success".into(),
            ..Entry::default()
        }
    }

    fn write(path: &Path, docs: &[&str]) {
        let (mut f, note) = RegisterFile::open(path).unwrap();
        assert!(note.is_none());
        for d in docs {
            f.append(&mut entry(d)).unwrap();
        }
        f.sync().unwrap();
    }

    fn lines(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn rewrite(path: &Path, lines: &[String]) {
        std::fs::write(path, lines.join("\n") + "\n").unwrap();
    }

    #[test]
    fn a_reopened_register_continues_its_chain() {
        let t = Temp::new("continue");
        let p = t.0.clone();
        write(&p, &["/a", "/b"]);
        write(&p, &["/c"]);
        let v = verify(&p).unwrap();
        assert_eq!((v.records, v.last_seq), (3, 3));
        let docs: Vec<_> = read(&p).unwrap().into_iter().map(|e| e.document).collect();
        assert_eq!(docs, ["/a", "/b", "/c"]);
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }

    #[test]
    fn a_removed_line_is_named() {
        let t = Temp::new("removed");
        let p = t.0.clone();
        write(&p, &["/a", "/b", "/c", "/d"]);
        let mut l = lines(&p);
        l.remove(1);
        rewrite(&p, &l);
        let e = verify(&p).unwrap_err().to_string();
        assert!(e.contains("line 2 (record #3)"), "{e}");
        assert!(e.contains("record #2 is missing"), "{e}");
    }

    #[test]
    fn an_altered_line_is_named() {
        let t = Temp::new("altered");
        let p = t.0.clone();
        write(&p, &["/a", "/b", "/c"]);
        let mut l = lines(&p);
        l[1] = l[1].replace("/b", "/x");
        rewrite(&p, &l);
        let e = verify(&p).unwrap_err().to_string();
        assert!(e.contains("line 2 (record #2)"), "{e}");
        assert!(e.contains("altered"), "{e}");
    }

    /// Found by reasoning while writing the copy_register fuzz target (docs/fuzzing.md): a last
    /// record numbered u64::MAX made `open` overflow computing the next number (a panic in
    /// debug builds, numbering from 0 again in release ones).
    #[test]
    fn fuzz_last_record_numbered_u64_max_is_broken_not_an_overflow() {
        let t = Temp::new("seqmax");
        let p = t.0.clone();
        let body = serde_json::to_string(&Entry {
            seq: u64::MAX,
            ..entry("/a")
        })
        .unwrap();
        let body = body.strip_suffix('}').unwrap();
        std::fs::write(
            &p,
            format!("{body},\"chain\":\"{}\"}}\n", chain(GENESIS, body)),
        )
        .unwrap();
        let e = RegisterFile::open(&p).unwrap_err().to_string();
        assert!(e.contains("largest"), "{e}");
    }

    #[test]
    fn a_torn_tail_is_reported_and_the_chain_goes_on_from_the_last_record() {
        let t = Temp::new("torn");
        let p = t.0.clone();
        write(&p, &["/a"]);
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"seq\":2,\"ti").unwrap();
        let (mut r, note) = RegisterFile::open(&p).unwrap();
        assert!(note.unwrap().contains("12 bytes"));
        r.append(&mut entry("/b")).unwrap();
        let e = verify(&p).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
        let docs: Vec<_> = read(&p).unwrap().into_iter().map(|e| e.document).collect();
        assert_eq!(docs, ["/a", "/b"]);
    }
}
