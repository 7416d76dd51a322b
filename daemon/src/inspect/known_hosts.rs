//! OpenSSH's `known_hosts` of root and of every user under `/home`: each line is a host this
//! PC connected to over SSH (hashed names on Debian, so only counted). Dated by the file's
//! modification time.

use super::model::{FindingId, SourceReport};
use super::root::Root;
use super::Folder;

/// The source `known-hosts`.
pub fn read(root: &Root, fold: &mut Folder) -> SourceReport {
    let mut src = SourceReport::new("known-hosts");
    src.paths = vec![
        "/root/.ssh/known_hosts".into(),
        "/home/*/.ssh/known_hosts".into(),
    ];
    let mut files = vec![("root".to_string(), "/root/.ssh/known_hosts".to_string())];
    if let Ok(Some(users)) = root.list("/home") {
        files.extend(
            users
                .into_iter()
                .map(|u| (u.clone(), format!("/home/{u}/.ssh/known_hosts"))),
        );
    }
    for (user, path) in files {
        let bytes = match root.read(&path) {
            Ok(Some(b)) => b,
            Ok(None) => continue,
            Err(e) => {
                src.problems.push(format!("{path}: {e}"));
                continue;
            }
        };
        src.exists = true;
        let hosts = String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .count() as u64;
        let t = root.mtime_us(&path);
        for _ in 0..hosts {
            src.record(t);
        }
        if hosts > 0 {
            fold.add_many(
                FindingId::Network,
                "known-hosts",
                "ssh-known-hosts",
                user,
                hosts,
                t,
                &path,
            );
        }
    }
    src
}
