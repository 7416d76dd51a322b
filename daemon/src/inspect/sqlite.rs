//! SQLite databases (browser history, wtmpdb) read with the `sqlite3` program, never a
//! library linked in: opened read-only and `immutable` (no lock, no journal, nothing
//! written, which also works on a read-only mount). Pages a running program still holds in
//! a `-wal` file are not seen.

use std::path::Path;
use std::process::{Command, Stdio};

/// The SQLite shell this reads with.
pub const SQLITE3: &str = "sqlite3";

/// Field and row separators: ASCII unit and record separators, absent from the values read.
const FIELD: &str = "\u{1f}";
const ROW: &str = "\u{1e}";

/// `file:` URI of a path, for SQLite's URI filenames.
fn uri(path: &Path) -> String {
    let mut s = String::from("file:");
    for b in path.to_string_lossy().bytes() {
        match b {
            b'%' | b'?' | b'#' | b' ' => s.push_str(&format!("%{b:02X}")),
            _ => s.push(char::from(b)),
        }
    }
    s.push_str("?mode=ro&immutable=1");
    s
}

/// The rows `sql` gives on the database at `path`, each a list of fields, or why not.
pub fn rows(path: &Path, sql: &str) -> Result<Vec<Vec<String>>, String> {
    let out = Command::new(SQLITE3)
        .args([
            "-readonly",
            "-batch",
            "-noheader",
            "-separator",
            FIELD,
            "-newline",
            ROW,
        ])
        .arg(uri(path))
        .arg(sql)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {SQLITE3}: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .split(ROW)
        .filter(|r| !r.is_empty())
        .map(|r| r.split(FIELD).map(str::to_string).collect())
        .collect())
}
