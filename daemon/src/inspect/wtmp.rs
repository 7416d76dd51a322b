//! `/var/log/wtmp` (and its rotation `wtmp.1`): the login records glibc's `updwtmp` writes,
//! `struct utmp` of 384 bytes on 64-bit Linux. Boot records (`BOOT_TIME`) date the boots; user
//! logins with a remote host are network logins (SSH, remote desktop). Kept about a month by
//! logrotate. Debian 13 moved to wtmpdb (`/var/lib/wtmpdb/wtmp.db`, SQLite, read through
//! [`super::sqlite`]): its boots are the rows of user `reboot`, its remote logins the rows
//! with a `RemoteHost`.

use super::model::{FindingId, SourceReport};
use super::root::Root;
use super::sqlite;
use super::Folder;

const FILES: [&str; 2] = ["/var/log/wtmp.1", "/var/log/wtmp"];
const WTMPDB: &str = "/var/lib/wtmpdb/wtmp.db";
const WTMPDB_QUERY: &str =
    "SELECT User, coalesce(TTY,''), coalesce(RemoteHost,''), coalesce(Login,0) FROM wtmp;";
/// `sizeof(struct utmp)` on x86_64, aarch64 and the other 64-bit ABIs glibc keeps 32-bit
/// times in it for.
const RECORD: usize = 384;
const BOOT_TIME: i16 = 2;
const USER_PROCESS: i16 = 7;

/// One record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// `ut_type`.
    pub kind: i16,
    /// `ut_user`.
    pub user: String,
    /// `ut_line`.
    pub line: String,
    /// `ut_host`.
    pub host: String,
    /// `ut_tv`, microseconds.
    pub time_us: u64,
}

fn text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// The records of a wtmp file; a trailing partial record is ignored.
pub fn parse(bytes: &[u8]) -> Vec<Record> {
    bytes
        .chunks_exact(RECORD)
        .map(|r| {
            let i32_at = |o: usize| i32::from_ne_bytes([r[o], r[o + 1], r[o + 2], r[o + 3]]);
            let secs = u64::try_from(i32_at(340)).unwrap_or(0);
            let usecs = u64::try_from(i32_at(344)).unwrap_or(0);
            Record {
                kind: i16::from_ne_bytes([r[0], r[1]]),
                line: text(&r[8..40]),
                user: text(&r[44..76]),
                host: text(&r[76..332]),
                time_us: secs * 1_000_000 + usecs,
            }
        })
        .collect()
}

/// A login from another machine (not a local display like `:0`).
fn is_remote(host: &str) -> bool {
    !host.is_empty() && !host.starts_with(':') && host != "localhost"
}

/// The source `wtmp`, and the times of the boots it records.
pub fn read(root: &Root, fold: &mut Folder) -> (SourceReport, Vec<u64>) {
    let mut src = SourceReport::new("wtmp");
    let mut boots = Vec::new();
    for path in FILES {
        src.paths.push(path.into());
        let bytes = match root.read(path) {
            Ok(Some(b)) => b,
            Ok(None) => continue,
            Err(e) => {
                src.problems.push(format!("{path}: {e}"));
                continue;
            }
        };
        src.exists = true;
        for r in parse(&bytes) {
            src.record(Some(r.time_us).filter(|&t| t > 0));
            if r.kind == BOOT_TIME {
                boots.push(r.time_us);
            } else if r.kind == USER_PROCESS && is_remote(&r.host) {
                fold.add(
                    FindingId::Network,
                    "wtmp",
                    "remote-login",
                    format!("{}@{}", r.user, r.host),
                    Some(r.time_us),
                    &format!("{path}: {} {} {}", r.user, r.line, r.host),
                );
            }
        }
    }
    src.paths.push(WTMPDB.into());
    if let Some(path) = root.resolve(WTMPDB).filter(|p| p.is_file()) {
        src.exists = true;
        match sqlite::rows(&path, WTMPDB_QUERY) {
            Ok(rows) => {
                for row in rows {
                    let [user, tty, host, login] = &row[..] else {
                        continue;
                    };
                    let t = login.parse::<u64>().ok().filter(|&t| t > 0);
                    src.record(t);
                    if user == "reboot" {
                        boots.extend(t);
                    } else if is_remote(host) {
                        fold.add(
                            FindingId::Network,
                            "wtmp",
                            "remote-login",
                            format!("{user}@{host}"),
                            t,
                            &format!("{WTMPDB}: {user} {tty} {host}"),
                        );
                    }
                }
            }
            Err(e) => src.problems.push(format!("{WTMPDB}: {e}")),
        }
    }
    (src, boots)
}
