//! Which machine a report is about, from its files inside the root (read-only, as inspect
//! reads). The DMI serial and the NICs belong to the running hardware, not to a disk taken
//! out of a PC: they are read only when the root is this machine's own.

use std::path::Path;

use super::model::{Machine, Nic};
use crate::inspect::root::Root;

/// What the first line of `inside` says, trimmed; None when absent or empty.
fn first_line(root: &Root, inside: &str) -> Option<String> {
    let bytes = root.read(inside).ok()??;
    let text = String::from_utf8_lossy(&bytes);
    let line = text.lines().next()?.trim();
    (!line.is_empty()).then(|| line.to_string())
}

/// `PRETTY_NAME` of os-release, unquoted.
fn os_name(root: &Root) -> Option<String> {
    let bytes = root
        .read("/etc/os-release")
        .ok()
        .flatten()
        .or_else(|| root.read("/usr/lib/os-release").ok().flatten())?;
    let text = String::from_utf8_lossy(&bytes);
    text.lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim().trim_matches('"').to_string())
}

/// The running machine's NICs but loopback, by name.
fn nics(sys_class_net: &Path) -> Vec<Nic> {
    let Ok(dir) = std::fs::read_dir(sys_class_net) else {
        return Vec::new();
    };
    let mut out: Vec<Nic> = dir
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let mac = std::fs::read_to_string(e.path().join("address")).ok()?;
            let mac = mac.trim().to_string();
            (name != "lo" && !mac.is_empty()).then_some(Nic { name, mac })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The identity of the machine whose root is `dir`; the key fields are left to the caller.
pub fn read(dir: &Path) -> Machine {
    let root = Root::new(dir);
    let live = root.is_live();
    Machine {
        machine_id: first_line(&root, "/etc/machine-id"),
        hostname: first_line(&root, "/etc/hostname"),
        os: os_name(&root),
        installed_us: root.mtime_us("/var/log/installer"),
        dmi_serial: live
            .then(|| {
                std::fs::read_to_string("/sys/class/dmi/id/product_serial")
                    .ok()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
            })
            .flatten(),
        nics: if live {
            nics(Path::new("/sys/class/net"))
        } else {
            Vec::new()
        },
        airgapd_version: env!("CARGO_PKG_VERSION").to_string(),
        public_key: String::new(),
        key_fingerprint: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_identity_inside_a_root() {
        let dir = std::env::temp_dir().join(format!("report-identity-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        std::fs::write(dir.join("etc/machine-id"), "0123abcd\n").unwrap();
        std::fs::write(dir.join("etc/hostname"), "pc-17\n").unwrap();
        std::fs::write(
            dir.join("etc/os-release"),
            "NAME=Debian\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
        )
        .unwrap();
        let m = read(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(m.machine_id.as_deref(), Some("0123abcd"));
        assert_eq!(m.hostname.as_deref(), Some("pc-17"));
        assert_eq!(m.os.as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
        // Not this machine's root: nothing of the running hardware.
        assert!(m.nics.is_empty() && m.dmi_serial.is_none());
    }
}
