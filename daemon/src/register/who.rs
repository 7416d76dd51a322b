//! Who did it: the process behind a fanotify event, by its pid.
//!
//! For a permission event the process waits for the answer, so `/proc/<pid>` is there. A
//! notification comes after the fact: a `cp` has often exited and been reaped by the time the
//! daemon reads its close, so its user and command name are taken from `airgap_exits`, where
//! a BPF program (`register.bpf.c`) keeps them when a process of the scope ends.

use aya::maps::{HashMap, MapData};

use airgapd_ebpf::abi;

/// A process as the register names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Who {
    /// Process id (tgid).
    pub pid: u32,
    /// Real user id; None when the process could not be identified.
    pub uid: Option<u32>,
    /// Command name.
    pub comm: String,
    /// Executable, while it still ran.
    pub exe: String,
}

impl Who {
    /// The user's name, when the account exists.
    pub fn user(&self) -> String {
        self.uid
            .and_then(|uid| nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)).ok())
            .flatten()
            .map(|u| u.name)
            .unwrap_or_default()
    }

    /// `cp[4242] uid=1000`
    pub fn describe(&self) -> String {
        let uid = self
            .uid
            .map_or_else(|| "unknown".to_string(), |u| u.to_string());
        let comm = if self.comm.is_empty() {
            "?"
        } else {
            &self.comm
        };
        format!("{comm}[{}] uid={uid}", self.pid)
    }
}

/// The identities of processes that ended (the `airgap_exits` map).
pub struct Exits(HashMap<MapData, u32, abi::airgap_task_exit>);

impl Exits {
    /// Wrap the map taken from the object.
    pub fn new(map: HashMap<MapData, u32, abi::airgap_task_exit>) -> Exits {
        Exits(map)
    }

    fn get(&self, pid: u32) -> Option<(u32, String)> {
        let v = self.0.get(&pid, 0).ok()?;
        Some((v.uid, comm_of(&v.comm)))
    }
}

/// A NUL-padded kernel `comm`.
pub fn comm_of(raw: &[std::ffi::c_char]) -> String {
    let bytes: Vec<u8> = raw
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The real uid in `/proc/<pid>/status` text.
fn status_uid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Identify `pid`: from /proc while it runs, else from what the kernel kept when it ended.
pub fn identify(pid: u32, exits: Option<&Exits>) -> Who {
    let proc_dir = format!("/proc/{pid}");
    let status = std::fs::read_to_string(format!("{proc_dir}/status")).ok();
    let uid = status.as_deref().and_then(status_uid);
    let comm = std::fs::read_to_string(format!("{proc_dir}/comm"))
        .map(|c| c.trim_end_matches('\n').to_string())
        .unwrap_or_default();
    let exe = std::fs::read_link(format!("{proc_dir}/exe"))
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut who = Who {
        pid,
        uid,
        comm,
        exe,
    };
    if who.uid.is_none() || who.comm.is_empty() {
        if let Some((uid, comm)) = exits.and_then(|e| e.get(pid)) {
            who.uid = who.uid.or(Some(uid));
            if who.comm.is_empty() {
                who.comm = comm;
            }
        }
    }
    who
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_running_daemon_knows_itself() {
        let me = identify(std::process::id(), None);
        assert_eq!(me.uid, Some(nix::unistd::getuid().as_raw()));
        assert!(!me.comm.is_empty());
        assert!(!me.exe.is_empty());
    }

    #[test]
    fn a_vanished_process_is_unknown_without_the_exit_map() {
        // pid_max is at most 2^22: this pid never exists.
        let who = identify(u32::MAX - 1, None);
        assert_eq!(who.uid, None);
        assert!(who.describe().contains("uid=unknown"));
    }

    #[test]
    fn uid_is_the_real_one() {
        let status = "Name:\tcp\nUid:\t1000\t0\t0\t0\nGid:\t100\t100\t100\t100\n";
        assert_eq!(status_uid(status), Some(1000));
    }
}
