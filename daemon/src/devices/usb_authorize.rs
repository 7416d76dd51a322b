//! The kernel's USB authorization, written: `authorized_default` on every root hub and
//! `authorized` per device, from the decisions of [`super::usb_decide`]. Only with a
//! whole-machine scope: USB authorization is machine-wide by nature.

use std::io;
use std::path::{Path, PathBuf};

use airgapd_policy::Policy;

use super::usb::UsbDevice;
use super::usb_decide::{decide, UsbAllow, UsbDecision, UsbRules, Verdict};

/// The USB rules of a policy.
pub fn rules(policy: &Policy) -> UsbRules {
    let allow = policy.usb.allow.iter().chain(&policy.capture.allow);
    UsbRules {
        hid_allowed: policy.usb.hid.is_allow(),
        printers_allowed: policy.usb.printers.is_allow(),
        explicit_allow: allow
            .map(|a| UsbAllow {
                name: a.name.clone(),
                vendor_id: a.vendor_id,
                product_id: a.product_id,
                serial: a.serial.clone(),
            })
            .collect(),
        ..UsbRules::default()
    }
}

/// Step 1 of media approval (see [`super::usb`]): the `[[media]]` entry whose USB fields (those
/// it gives) match the device. An entry with filesystem fields only matches any device here;
/// its block devices still stay refused until the filesystem matches too.
pub fn approved_at_usb_level(policy: &Policy, dev: &UsbDevice) -> Option<String> {
    policy
        .media
        .iter()
        .find(|m| {
            m.vendor_id.is_none_or(|v| v == dev.vendor_id)
                && m.product_id.is_none_or(|p| p == dev.product_id)
                && m.serial
                    .as_ref()
                    .is_none_or(|s| dev.serial.as_ref() == Some(s))
        })
        .map(|m| m.name.clone())
}

/// Decide on a device under a policy.
pub fn judge(policy: &Policy, dev: &UsbDevice) -> UsbDecision {
    decide(dev, &rules(policy), |d| approved_at_usb_level(policy, d))
}

fn write(path: &Path, value: &str) -> io::Result<()> {
    std::fs::write(path, value)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// Write the decision to the device's `authorized`.
pub fn apply(dev: &UsbDevice, decision: &UsbDecision) -> io::Result<()> {
    let value = if decision.verdict == Verdict::Authorize {
        "1"
    } else {
        "0"
    };
    write(&dev.sys_path.join("authorized"), value)
}

/// The USB devices under `<sysfs>/bus/usb/devices` (root hubs and devices, no interfaces).
pub fn devices(sysfs: &Path) -> Vec<UsbDevice> {
    let dir = sysfs.join("bus/usb/devices");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| !n.to_string_lossy().contains(':'))
        })
        .filter_map(|p| UsbDevice::from_sysfs(&std::fs::canonicalize(&p).unwrap_or(p)).ok())
        .collect()
}

/// Start-up, in the order that lets nothing through and locks no keyboard out: first every root
/// hub stops authorizing new devices, then each present device is judged. A present device that
/// is input-only stays authorized whatever the policy says (it may be the only keyboard).
pub fn startup(sysfs: &Path, policy: &Policy) -> io::Result<Vec<(UsbDevice, UsbDecision)>> {
    let all = devices(sysfs);
    for hub in all.iter().filter(|d| d.is_root_hub()) {
        write(&hub.sys_path.join("authorized_default"), "0")?;
    }
    let mut out = Vec::new();
    for dev in all.into_iter().filter(|d| !d.is_root_hub()) {
        let mut decision = judge(policy, &dev);
        if decision.verdict == Verdict::Refuse && decision.input_only() && dev.authorized {
            decision.verdict = Verdict::Authorize;
            decision.reason = format!(
                "kept: present before airgapd started and input-only (it may be the only \
                 keyboard); the policy would have {}",
                decision.reason
            );
        }
        apply(&dev, &decision)?;
        out.push((dev, decision));
    }
    Ok(out)
}

/// The kernel's own default for new USB devices (`usbcore.authorized_default`): -1 (the
/// built-in default: everything but wireless USB), 0 none, 1 all, 2 internal ports only.
pub fn kernel_default(sysfs: &Path) -> i32 {
    std::fs::read_to_string(sysfs.join("module/usbcore/parameters/authorized_default"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(-1)
}

/// A whole-machine lift: every root hub back to the kernel's default, and, where that default
/// authorizes every device, the devices airgapd refused authorized (as the kernel would have
/// done). Returns what was done, one line each.
pub fn restore_kernel_default(sysfs: &Path) -> io::Result<Vec<String>> {
    let mut default = kernel_default(sysfs);
    // 2 set by the package's own modprobe.d file (issue 22) is airgapd's, not the kernel's: a
    // machine leaving the air gap must not keep waiting for a daemon that no longer judges.
    if default == 2 && Path::new(crate::doctor::USB_BOOT_CONF).exists() {
        default = -1;
    }
    // A hub's authorized_default takes 0, 1 or 2; the module's -1 means 1 for wired USB.
    let hub_value = if default < 0 { 1 } else { default };
    let all = devices(sysfs);
    let mut done = Vec::new();
    for hub in all.iter().filter(|d| d.is_root_hub()) {
        write(
            &hub.sys_path.join("authorized_default"),
            &hub_value.to_string(),
        )?;
        done.push(format!(
            "{}: authorized_default {hub_value} (usbcore.authorized_default={default})",
            hub.sys_path.display()
        ));
    }
    if hub_value == 1 {
        for dev in all.iter().filter(|d| !d.is_root_hub() && !d.authorized) {
            write(&dev.sys_path.join("authorized"), "1")?;
            done.push(format!("{}: authorized", dev.sys_path.display()));
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::usb_class::UsbCategory;

    /// A writable copy of the recorded sysfs tree.
    fn sysfs_copy() -> tempfile_dir::Dir {
        tempfile_dir::Dir::copy_of(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sysfs"),
        )
    }

    mod tempfile_dir {
        use std::path::{Path, PathBuf};
        use std::process::Command;

        pub struct Dir(pub PathBuf);

        impl Dir {
            pub fn copy_of(src: &Path) -> Dir {
                let dst = std::env::temp_dir().join(format!(
                    "airgapd-sysfs-{}-{:?}",
                    std::process::id(),
                    std::thread::current().id()
                ));
                let _ = std::fs::remove_dir_all(&dst);
                let ok = Command::new("cp")
                    .arg("-a")
                    .arg(src)
                    .arg(&dst)
                    .status()
                    .unwrap();
                assert!(ok.success());
                Dir(dst)
            }
        }

        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    fn policy(text: &str) -> Policy {
        airgapd_policy::parse(text, None).unwrap().policy
    }

    fn read(p: &Path) -> String {
        std::fs::read_to_string(p).unwrap().trim().to_string()
    }

    #[test]
    fn startup_closes_the_hubs_then_judges_each_device() {
        let dir = sysfs_copy();
        let decisions = startup(&dir.0, &policy("")).unwrap();
        for hub in devices(&dir.0).iter().filter(|d| d.is_root_hub()) {
            assert_eq!(
                read(&hub.sys_path.join("authorized_default")),
                "0",
                "{}",
                hub.name
            );
        }
        assert!(!decisions.is_empty());
        for (dev, d) in &decisions {
            let want = if d.verdict == Verdict::Authorize {
                "1"
            } else {
                "0"
            };
            assert_eq!(
                read(&dev.sys_path.join("authorized")),
                want,
                "{}: {}",
                dev.name,
                d.reason
            );
        }
        // Nothing storage- or network-like is authorized by default.
        assert!(decisions.iter().any(|(_, d)| d.verdict == Verdict::Refuse));
    }

    /// Issue 14: a whole-machine lift gives the hubs back to the kernel's default, and what
    /// airgapd refused is authorized again, so a keyboard plugged in later works.
    #[test]
    fn lift_restores_the_kernel_default() {
        let dir = sysfs_copy();
        startup(&dir.0, &policy("")).unwrap();
        assert!(devices(&dir.0).iter().any(|d| !d.authorized));
        let done = restore_kernel_default(&dir.0).unwrap();
        for dev in devices(&dir.0) {
            if dev.is_root_hub() {
                assert_eq!(read(&dev.sys_path.join("authorized_default")), "1");
            } else {
                assert!(dev.authorized, "{}", dev.name);
            }
        }
        assert!(
            done.iter().any(|l| l.contains("authorized_default 1")),
            "{done:?}"
        );
        // A kernel booted with usbcore.authorized_default=2 gets 2 back, and no device is
        // authorized by airgapd on its way out.
        let dir = sysfs_copy();
        startup(&dir.0, &policy("")).unwrap();
        let param = dir.0.join("module/usbcore/parameters");
        std::fs::create_dir_all(&param).unwrap();
        std::fs::write(param.join("authorized_default"), "2\n").unwrap();
        restore_kernel_default(&dir.0).unwrap();
        let all = devices(&dir.0);
        for hub in all.iter().filter(|d| d.is_root_hub()) {
            assert_eq!(read(&hub.sys_path.join("authorized_default")), "2");
        }
        assert!(all.iter().any(|d| !d.authorized));
    }

    #[test]
    fn a_keyboard_present_at_start_is_kept_even_when_hid_is_denied() {
        let dir = sysfs_copy();
        let decisions = startup(&dir.0, &policy("[usb]\nhid = \"deny\"\n")).unwrap();
        let kept: Vec<_> = decisions
            .iter()
            .filter(|(_, d)| d.verdict == Verdict::Authorize)
            .filter(|(_, d)| {
                d.categories
                    .iter()
                    .any(|c| matches!(c, UsbCategory::Hid(_)))
            })
            .collect();
        assert!(!kept.is_empty(), "the keyboard must stay usable");
        assert!(kept.iter().all(|(_, d)| d.reason.starts_with("kept:")));
    }
}
