//! Which `airgapd service` process serves a pin directory, found from `/proc` (for `airgapd
//! lift`, which must not remove pins a running daemon would keep enforcing with, or pin again).

use std::path::Path;

use crate::paths;

/// The pid of a running `airgapd service` whose pin directory is `pin_dir`, if any (not this
/// process).
pub fn find_daemon(pin_dir: &Path) -> Option<u32> {
    let me = std::process::id();
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .find(|&pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| serves(&argv(&c), pin_dir))
        })
}

fn argv(cmdline: &[u8]) -> Vec<String> {
    cmdline
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// Whether a command line is `airgapd service ...` with this pin directory.
fn serves(argv: &[String], pin_dir: &Path) -> bool {
    let is_airgapd = argv
        .first()
        .is_some_and(|a| Path::new(a).file_name().is_some_and(|n| n == "airgapd"));
    if !is_airgapd || argv.get(1).map(String::as_str) != Some("service") {
        return false;
    }
    let mut dir = paths::PIN_DIR.to_string();
    let mut args = argv[2..].iter();
    while let Some(a) = args.next() {
        if a == "--pin-dir" {
            if let Some(v) = args.next() {
                dir = v.clone();
            }
        } else if let Some(v) = a.strip_prefix("--pin-dir=") {
            dir = v.to_string();
        }
    }
    Path::new(&dir) == pin_dir
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn recognises_the_service_of_a_pin_dir() {
        let prod = Path::new(paths::PIN_DIR);
        assert!(serves(&v(&["/usr/sbin/airgapd", "service"]), prod));
        assert!(!serves(&v(&["/usr/sbin/airgapd", "lift", "--yes"]), prod));
        assert!(!serves(&v(&["/usr/bin/vim", "service"]), prod));
        let t = Path::new("/sys/fs/bpf/t");
        assert!(serves(
            &v(&["airgapd", "service", "--pin-dir", "/sys/fs/bpf/t"]),
            t
        ));
        assert!(serves(
            &v(&["airgapd", "service", "--pin-dir=/sys/fs/bpf/t"]),
            t
        ));
        assert!(!serves(
            &v(&["airgapd", "service", "--pin-dir", "/sys/fs/bpf/t"]),
            prod
        ));
    }
}
