//! `[exec] unprivileged_user_namespaces`: the kernel's switch for user namespaces made by users
//! without privileges, set from the policy (default: off) with a whole-machine scope.
//!
//! On kernels without BPF LSM a user namespace is how an unprivileged user gets a mount of
//! their own whose `noexec` they may take off again (the kernel locks the attribute only on
//! copies made from a noexec mount): between opening a file on a stick and mapping it, that
//! is enough to run it (`namespaces.rs`). Without user namespaces a user can make no mount at
//! all. Only distribution kernels have a switch for unprivileged users alone: Debian's
//! `kernel.unprivileged_userns_clone` and Ubuntu's
//! `kernel.apparmor_restrict_unprivileged_userns`. `user.max_user_namespaces = 0` would also
//! stop root's (systemd's `PrivateUsers=`), so it is left to the administrator and the layer
//! is reported unavailable on kernels without either switch.

use std::path::Path;

use crate::bpf::LayerState;

/// Where the kernel's switches are.
const SYSCTL_DIR: &str = "/proc/sys/kernel";

/// Set the switch so that unprivileged user namespaces are `allowed` or not; `machine`: the
/// daemon's scope is the whole machine (a scoped daemon leaves machine-wide settings alone).
pub fn apply(allowed: bool, machine: bool) -> LayerState {
    if !machine {
        return LayerState::Unavailable(
            "a daemon with a scope cgroup leaves the machine's user namespace switch alone".into(),
        );
    }
    apply_at(Path::new(SYSCTL_DIR), allowed)
}

fn apply_at(dir: &Path, allowed: bool) -> LayerState {
    // (file, the value that turns unprivileged user namespaces off, on)
    let switches = [
        ("unprivileged_userns_clone", "0", "1"),
        ("apparmor_restrict_unprivileged_userns", "1", "0"),
    ];
    let Some((name, off, on)) = switches
        .into_iter()
        .find(|(name, _, _)| dir.join(name).exists())
    else {
        return LayerState::Unavailable(
            "this kernel has neither kernel.unprivileged_userns_clone (Debian) nor \
             kernel.apparmor_restrict_unprivileged_userns (Ubuntu): users without privileges \
             can make user namespaces (user.max_user_namespaces = 0 would stop root's too and \
             is left to the administrator)"
                .into(),
        );
    };
    let path = dir.join(name);
    let want = if allowed { on } else { off };
    let sysctl = format!("kernel.{name}");
    if let Err(e) = std::fs::write(&path, want) {
        return LayerState::Unavailable(format!("{sysctl} could not be set to {want}: {e}"));
    }
    match std::fs::read_to_string(&path) {
        Ok(now) if now.trim() == want && !allowed => LayerState::Active,
        Ok(now) if now.trim() == want => LayerState::Unavailable(format!(
            "the policy allows unprivileged user namespaces ({sysctl} = {want})"
        )),
        Ok(now) => {
            LayerState::Unavailable(format!("{sysctl} is {} after writing {want}", now.trim()))
        }
        Err(e) => LayerState::Unavailable(format!("{sysctl} could not be read back: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory standing in for /proc/sys/kernel, removed on drop.
    struct Dir(std::path::PathBuf);

    impl Dir {
        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn dir(files: &[(&str, &str)]) -> Dir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let d = std::env::temp_dir().join(format!(
            "airgapd-userns-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&d).unwrap();
        for (name, value) in files {
            std::fs::write(d.join(name), value).unwrap();
        }
        Dir(d)
    }

    #[test]
    fn debian_and_ubuntu_switches_are_set_the_right_way_round() {
        let debian = dir(&[("unprivileged_userns_clone", "1\n")]);
        assert_eq!(apply_at(debian.path(), false), LayerState::Active);
        let read = |d: &Dir, n| std::fs::read_to_string(d.path().join(n)).unwrap();
        assert_eq!(read(&debian, "unprivileged_userns_clone"), "0");
        let ubuntu = dir(&[("apparmor_restrict_unprivileged_userns", "0\n")]);
        assert_eq!(apply_at(ubuntu.path(), false), LayerState::Active);
        assert_eq!(read(&ubuntu, "apparmor_restrict_unprivileged_userns"), "1");
        assert!(matches!(
            apply_at(debian.path(), true),
            LayerState::Unavailable(why) if why.contains("policy allows")
        ));
        assert_eq!(read(&debian, "unprivileged_userns_clone"), "1");
    }

    #[test]
    fn a_kernel_without_a_switch_is_said_so_and_nothing_is_written() {
        let none = dir(&[]);
        assert!(matches!(
            apply_at(none.path(), false),
            LayerState::Unavailable(why) if why.contains("neither")
        ));
        assert_eq!(std::fs::read_dir(none.path()).unwrap().count(), 0);
        assert!(matches!(apply(false, false), LayerState::Unavailable(_)));
    }
}
