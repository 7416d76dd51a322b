//! `airgapctl doctor`: what this kernel and boot configuration support, and what to change for
//! full coverage. Pure over the facts it is given, so each verdict is unit-tested.

use serde::Serialize;

use crate::i18n::Catalog;
use crate::tr_in;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Present and working.
    Ok,
    /// Missing, with a layer still covering the gap.
    Warn,
    /// Missing: airgapd cannot enforce without it.
    Fail,
}

/// One check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// The verdict.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// The exact change that fixes it, when there is one.
    pub fix: Option<String>,
}

/// What doctor reads from the machine.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// `/sys/kernel/security/lsm` (None when securityfs is not mounted).
    pub lsm_list: Option<String>,
    /// `/proc/cmdline`.
    pub cmdline: String,
    /// `/proc/self/mountinfo`.
    pub mountinfo: String,
    /// `/sys/kernel/btf/vmlinux` exists.
    pub btf: bool,
    /// Number of USB root hubs with `authorized_default`.
    pub usb_hubs: usize,
    /// Whether a BPF LSM program could actually be loaded (None: not tried).
    pub lsm_loads: Option<Result<(), String>>,
    /// Whether layer 6c's fmod_ret program (32-bit setsockopt) could be loaded (None: not
    /// tried).
    pub compat_loads: Option<Result<(), String>>,
    /// Whether layer 5f's fmod_ret program (socket creation, every family) could be loaded
    /// (None: not tried).
    pub create_loads: Option<Result<(), String>>,
    /// Whether the read-only media's fmod_ret programs (32-bit ioctl included, where the
    /// kernel has that hook) could be loaded (None: not tried).
    pub media_ro_fmod_loads: Option<Result<(), String>>,
    /// The cgroup programs this kernel's verifier refuses in full, each with its reason: their
    /// reduced variants stand in ([`crate::variant`]). None: not tried.
    pub cgroup_reduced: Option<Vec<(crate::variant::Variant, String)>>,
    /// usbcore's `authorized_default` parameter: what the kernel does with a USB device before
    /// any program judged it (-1 or 1: authorize, 0: none, 2: internal only). None: no usbcore.
    pub usb_boot_default: Option<i32>,
    /// usbcore is a module (it has an `initstate`), so modprobe.d options reach it.
    pub usbcore_module: bool,
    /// The kernel release (`/proc/sys/kernel/osrelease`), "6.12.48-amd64".
    pub kernel_release: String,
}

/// The package's modprobe.d file: usbcore holds USB devices back from the first moment of boot
/// (copied into the initramfs by initramfs-tools).
pub const USB_BOOT_CONF: &str = "/lib/modprobe.d/airgapd.conf";

impl Facts {
    /// Read the running machine (`lsm_loads` is left to the caller, which needs root).
    pub fn read() -> Facts {
        let read = |p: &str| std::fs::read_to_string(p).ok();
        let usb_hubs = std::fs::read_dir("/sys/bus/usb/devices")
            .map(|d| {
                d.flatten()
                    .filter(|e| e.path().join("authorized_default").exists())
                    .count()
            })
            .unwrap_or(0);
        Facts {
            lsm_list: read("/sys/kernel/security/lsm"),
            cmdline: read("/proc/cmdline").unwrap_or_default(),
            mountinfo: read("/proc/self/mountinfo").unwrap_or_default(),
            btf: std::path::Path::new("/sys/kernel/btf/vmlinux").exists(),
            usb_hubs,
            lsm_loads: None,
            compat_loads: None,
            create_loads: None,
            media_ro_fmod_loads: None,
            cgroup_reduced: None,
            usb_boot_default: read("/sys/module/usbcore/parameters/authorized_default")
                .and_then(|v| v.trim().parse().ok()),
            usbcore_module: std::path::Path::new("/sys/module/usbcore/initstate").exists(),
            kernel_release: read("/proc/sys/kernel/osrelease").unwrap_or_default(),
        }
    }
}

fn fstype_mounted(mountinfo: &str, fstype: &str) -> bool {
    mountinfo.lines().any(|l| {
        l.split(" - ")
            .nth(1)
            .and_then(|p| p.split_whitespace().next())
            == Some(fstype)
    })
}

/// The kernel's active LSM list: securityfs when mounted, else the `lsm=` boot parameter.
/// BPF LSM programs load here and the kernel calls them: a kernel whose active LSM list is
/// known and leaves `bpf` out accepts the programs and never runs them (issue 22's guest boot
/// of 6.1 without `bpf` in `lsm=`: doctor said "ok" there).
fn lsm_runs(f: &Facts) -> bool {
    matches!(f.lsm_loads, Some(Ok(())))
        && active_lsms(f).is_none_or(|l| l.iter().any(|s| s == "bpf"))
}

fn active_lsms(f: &Facts) -> Option<Vec<String>> {
    let list = f.lsm_list.clone().or_else(|| {
        f.cmdline
            .split_whitespace()
            .find_map(|a| a.strip_prefix("lsm=").map(str::to_string))
    })?;
    Some(
        list.trim()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

/// Every check, in the order an administrator fixes them, in `catalog`'s language (`name`
/// stays English: it is the stable key of `--json`; [`display_name`] translates it).
pub fn diagnose(f: &Facts, catalog: &Catalog) -> Vec<Check> {
    let t = |id: &str| catalog.text(id, None);
    let mut out = Vec::new();
    let cg2 = fstype_mounted(&f.mountinfo, "cgroup2");
    out.push(Check {
        name: "cgroup v2",
        status: if cg2 { Status::Ok } else { Status::Fail },
        detail: t(if cg2 {
            "doctor-mounted"
        } else {
            "doctor-cgroup2-missing"
        }),
        fix: (!cg2).then(|| t("doctor-cgroup2-fix")),
    });
    let bpffs = fstype_mounted(&f.mountinfo, "bpf");
    out.push(Check {
        name: "bpffs",
        status: if bpffs { Status::Ok } else { Status::Warn },
        detail: t(if bpffs {
            "doctor-mounted"
        } else {
            "doctor-bpffs-missing"
        }),
        fix: None,
    });
    out.push(Check {
        name: "BTF",
        status: if f.btf { Status::Ok } else { Status::Warn },
        detail: t(if f.btf {
            "doctor-btf-present"
        } else {
            "doctor-btf-missing"
        }),
        fix: (!f.btf).then(|| t("doctor-btf-fix")),
    });
    if let Some(check) = cgroup_check(f, catalog) {
        out.push(check);
    }
    out.push(lsm_check(f, catalog));
    out.push(families_check(f, catalog));
    out.push(compat_check(f, catalog));
    out.push(read_only_media_check(f, catalog));
    out.push(bpf_guard_check(f, catalog));
    out.push(Check {
        name: "USB authorization",
        status: if f.usb_hubs > 0 {
            Status::Ok
        } else {
            Status::Warn
        },
        detail: if f.usb_hubs > 0 {
            tr_in!(catalog, "doctor-usb-hubs", count = f.usb_hubs)
        } else {
            t("doctor-usb-none")
        },
        fix: None,
    });
    out.push(usb_boot_check(f, catalog));
    out
}

/// A check's name in `catalog`'s language.
pub fn display_name(name: &str, catalog: &Catalog) -> String {
    let id = match name {
        "cgroup v2" => "doctor-name-cgroup2",
        "bpffs" => "doctor-name-bpffs",
        "BTF" => "doctor-name-btf",
        "BPF LSM" => "doctor-name-lsm",
        "USB authorization" => "doctor-name-usb",
        "USB before airgapd starts" => "doctor-name-usb-early",
        "32-bit system calls" => "doctor-name-compat",
        "socket families" => "doctor-name-families",
        "cgroup programs" => "doctor-name-cgroup-programs",
        "read-only media" => "doctor-name-ro-media",
        "airgapd's BPF objects" => "doctor-name-bpf-guard",
        other => return other.to_string(),
    };
    catalog.text(id, None)
}

/// Whether a USB device present at power-on could be used before airgapd judged it (issue 22).
fn usb_boot_check(f: &Facts, catalog: &Catalog) -> Check {
    let name = "USB before airgapd starts";
    match f.usb_boot_default {
        Some(v @ (0 | 2)) => Check {
            name,
            status: Status::Ok,
            detail: tr_in!(catalog, "doctor-usb-held", value = v),
            fix: None,
        },
        None => Check {
            name,
            status: Status::Ok,
            detail: catalog.text("doctor-usb-no-usbcore", None),
            fix: None,
        },
        Some(v) => Check {
            name,
            status: Status::Warn,
            detail: tr_in!(catalog, "doctor-usb-not-held", value = v),
            fix: Some(if f.usbcore_module {
                tr_in!(catalog, "doctor-usb-held-fix-module", file = USB_BOOT_CONF)
            } else {
                catalog.text("doctor-usb-early-fix", None)
            }),
        },
    }
}

/// Socket families other than unix, netlink and inet (packet, XDP, vsock, Bluetooth, modems)
/// are refused at socket() only by layer 5 (BPF LSM) or layer 5f (fmod_ret on
/// `security_socket_create`): `cgroup/sock_create` sees only inet sockets. Without either, the
/// interface programs still drop frames on network interfaces, but families that reach no
/// interface (vsock to the hypervisor, Bluetooth HCI, modems) are not refused.
fn families_check(f: &Facts, catalog: &Catalog) -> Check {
    let (status, detail) = match (&f.create_loads, lsm_runs(f)) {
        (Some(Ok(())), _) => (Status::Ok, catalog.text("doctor-families-fmod-ret", None)),
        (_, true) => (Status::Ok, catalog.text("doctor-families-lsm", None)),
        (Some(Err(why)), false) => (
            Status::Warn,
            tr_in!(catalog, "doctor-families-refused", why = why),
        ),
        (None, false) => (Status::Warn, catalog.text("doctor-families-unknown", None)),
    };
    Check {
        name: "socket families",
        status,
        detail,
        fix: (status == Status::Warn).then(|| catalog.text("doctor-families-fix", None)),
    }
}

/// Whether every cgroup program loads in full, or which run as their reduced variant and what
/// that gives up (older kernels: Debian 11's 5.10). None when not tried (not root).
fn cgroup_check(f: &Facts, catalog: &Catalog) -> Option<Check> {
    let reduced = f.cgroup_reduced.as_ref()?;
    if reduced.is_empty() {
        return Some(Check {
            name: "cgroup programs",
            status: Status::Ok,
            detail: catalog.text("doctor-cgroup-full", None),
            fix: None,
        });
    }
    let each: Vec<String> = reduced
        .iter()
        .map(|(v, why)| {
            tr_in!(
                catalog,
                "doctor-cgroup-reduced-one",
                program = v.full,
                why = why,
                gives_up = v.gives_up
            )
        })
        .collect();
    Some(Check {
        name: "cgroup programs",
        status: Status::Warn,
        detail: tr_in!(catalog, "doctor-cgroup-reduced", each = each.join("; ")),
        fix: Some(catalog.text("doctor-cgroup-reduced-fix", None)),
    })
}

/// 32-bit system calls skip every `cgroup/setsockopt` program (the kernel runs them only for
/// native calls). Closed where layer 6c's fmod_ret program loads (it judges them), where BPF LSM
/// refuses AF_PACKET and AF_XDP at creation, or without the entry (`ia32_emulation=0`, Linux
/// 6.7+). Otherwise a 32-bit call can still set PACKET_QDISC_BYPASS.
fn compat_check(f: &Facts, catalog: &Catalog) -> Check {
    let off = ia32_off(f);
    let lsm = lsm_runs(f);
    let (status, detail) = match (off, &f.compat_loads, lsm) {
        (true, _, _) => (Status::Ok, catalog.text("doctor-compat-off", None)),
        (false, Some(Ok(())), _) => (Status::Ok, catalog.text("doctor-compat-fmod-ret", None)),
        (false, _, true) => (Status::Ok, catalog.text("doctor-compat-lsm", None)),
        (false, Some(Err(why)), false) => (
            Status::Warn,
            tr_in!(catalog, "doctor-compat-on-refused", why = why),
        ),
        (false, None, false) => (Status::Warn, catalog.text("doctor-compat-on", None)),
    };
    Check {
        name: "32-bit system calls",
        status,
        detail,
        fix: (status == Status::Warn).then(|| catalog.text("doctor-compat-fix", None)),
    }
}

/// `ia32_emulation=0` (or its other spellings) on the kernel command line.
fn ia32_off(f: &Facts) -> bool {
    f.cmdline.split_whitespace().any(|a| {
        matches!(
            a,
            "ia32_emulation=0" | "ia32_emulation=false" | "ia32_emulation=off" | "ia32_emulation=n"
        )
    })
}

/// Linux 6.8 and later send a 32-bit process's ioctl to `file_ioctl_compat`, not `file_ioctl`.
fn has_ioctl_compat_hook(release: &str) -> bool {
    let mut n = release.split(|c: char| !c.is_ascii_digit());
    let major: u32 = n.next().and_then(|x| x.parse().ok()).unwrap_or(0);
    let minor: u32 = n.next().and_then(|x| x.parse().ok()).unwrap_or(0);
    (major, minor) >= (6, 8)
}

/// Which routes to writing an approved read-only medium this kernel refuses (issue 17). The
/// block device's read-only flag and the device rule hold everywhere; clearing the flag, SCSI
/// commands through SG_IO and partitions made anew are refused only by programs: fmod_ret ones
/// on the `security_*` functions (32-bit ioctls included) wherever BPF trampolines load, else
/// the BPF LSM ones, which hook `file_ioctl` only: a 32-bit process's ioctl skips it on Linux
/// 6.8 and later.
fn read_only_media_check(f: &Facts, catalog: &Catalog) -> Check {
    let listed = active_lsms(f).is_some_and(|l| l.iter().any(|s| s == "bpf"));
    let compat_gap = has_ioctl_compat_hook(&f.kernel_release) && !ia32_off(f);
    let fmod = matches!(f.media_ro_fmod_loads, Some(Ok(())));
    let (status, id) = match (&f.lsm_loads, listed) {
        _ if fmod => (Status::Ok, "doctor-ro-media-fmod-ret"),
        (Some(Ok(())), _) if lsm_runs(f) && compat_gap => (Status::Warn, "doctor-ro-media-compat"),
        (Some(Ok(())), _) if lsm_runs(f) => (Status::Ok, "doctor-ro-media-lsm"),
        (None, true) => (Status::Ok, "doctor-ro-media-listed"),
        _ => (Status::Warn, "doctor-ro-media-no-lsm"),
    };
    let fix = match id {
        "doctor-ro-media-compat" => "doctor-compat-fix",
        _ => "doctor-ro-media-fix",
    };
    Check {
        name: "read-only media",
        status,
        detail: catalog.text(id, None),
        fix: (status == Status::Warn).then(|| catalog.text(fix, None)),
    }
}

/// Whether other processes' bpf(2) on airgapd's own links, maps and pins is refused while the
/// daemon runs (issue 14, `crate::bpf_guard`), or only found and repaired.
fn bpf_guard_check(f: &Facts, catalog: &Catalog) -> Check {
    let listed = active_lsms(f).is_some_and(|l| l.iter().any(|s| s == "bpf"));
    let (status, id) = match (&f.lsm_loads, listed) {
        (Some(Ok(())), _) if lsm_runs(f) => (Status::Ok, "doctor-bpf-guard-lsm"),
        (None, true) => (Status::Ok, "doctor-bpf-guard-listed"),
        _ => (Status::Warn, "doctor-bpf-guard-no-lsm"),
    };
    Check {
        name: "airgapd's BPF objects",
        status,
        detail: catalog.text(id, None),
        fix: (status == Status::Warn).then(|| catalog.text("doctor-ro-media-fix", None)),
    }
}

fn lsm_check(f: &Facts, catalog: &Catalog) -> Check {
    let active = active_lsms(f);
    let has_bpf = active
        .as_ref()
        .is_some_and(|l| l.iter().any(|s| s == "bpf"));
    let fix = |list: &Option<Vec<String>>| {
        let mut l = list.clone().unwrap_or_else(|| {
            ["landlock", "lockdown", "yama", "integrity", "apparmor"]
                .map(String::from)
                .to_vec()
        });
        l.retain(|s| s != "bpf");
        l.push("bpf".into());
        tr_in!(catalog, "doctor-lsm-fix", list = l.join(","))
    };
    // Loaded with the list unknown counts as running; loaded with a known list that leaves bpf
    // out does not (the kernel accepts the programs and never calls them).
    let listed = has_bpf || (active.is_none() && matches!(f.lsm_loads, Some(Ok(()))));
    match (&f.lsm_loads, listed) {
        (Some(Err(why)), false) if active.is_none() => Check {
            name: "BPF LSM",
            status: Status::Warn,
            detail: tr_in!(catalog, "doctor-lsm-refused-unknown", why = why),
            fix: Some(tr_in!(
                catalog,
                "doctor-lsm-securityfs-fix",
                fix = fix(&active)
            )),
        },
        (Some(Ok(())), true) => Check {
            name: "BPF LSM",
            status: Status::Ok,
            detail: tr_in!(catalog, "doctor-lsm-active"),
            fix: None,
        },
        (Some(Err(why)), true) => Check {
            name: "BPF LSM",
            status: Status::Warn,
            detail: tr_in!(catalog, "doctor-lsm-refused", why = why),
            fix: Some(tr_in!(catalog, "doctor-lsm-kernel-fix")),
        },
        (_, false) => Check {
            name: "BPF LSM",
            status: Status::Warn,
            detail: match &active {
                Some(l) => tr_in!(catalog, "doctor-lsm-inactive", lsms = l.join(",")),
                None => tr_in!(catalog, "doctor-lsm-inactive-unknown"),
            },
            fix: Some(fix(&active)),
        },
        (None, true) => Check {
            name: "BPF LSM",
            status: Status::Ok,
            detail: tr_in!(catalog, "doctor-lsm-listed"),
            fix: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn diagnose(f: &Facts) -> Vec<Check> {
        super::diagnose(f, &Catalog::new(Lang::En, None))
    }

    fn facts() -> Facts {
        Facts {
            lsm_list: Some("lockdown,capability,landlock,yama,apparmor".into()),
            cmdline: "root=/dev/sda1 quiet".into(),
            mountinfo: "36 35 0:31 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n".into(),
            btf: true,
            usb_hubs: 2,
            lsm_loads: None,
            compat_loads: None,
            create_loads: None,
            media_ro_fmod_loads: None,
            cgroup_reduced: None,
            usb_boot_default: Some(-1),
            usbcore_module: false,
            kernel_release: "6.1.0-40-amd64".into(),
        }
    }

    fn check<'a>(c: &'a [Check], name: &str) -> &'a Check {
        c.iter().find(|c| c.name == name).unwrap()
    }

    #[test]
    fn reduced_cgroup_programs_are_named_with_what_they_give_up() {
        let mut f = facts();
        assert!(diagnose(&f).iter().all(|c| c.name != "cgroup programs"));
        f.cgroup_reduced = Some(Vec::new());
        let c = diagnose(&f)
            .into_iter()
            .find(|c| c.name == "cgroup programs");
        assert_eq!(c.unwrap().status, Status::Ok);
        let why = "unknown func bpf_get_current_pid_tgid#14".to_string();
        f.cgroup_reduced = Some(vec![(crate::variant::SETSOCKOPT, why)]);
        let c = diagnose(&f)
            .into_iter()
            .find(|c| c.name == "cgroup programs");
        let c = c.unwrap();
        assert_eq!(c.status, Status::Warn);
        assert!(
            c.detail.contains("airgap_setsockopt refused (unknown func"),
            "{}",
            c.detail
        );
        assert!(c.detail.contains("without the process id"), "{}", c.detail);
    }

    #[test]
    fn bpf_guard_says_whether_root_is_refused_or_only_repaired() {
        let mut f = facts();
        f.lsm_loads = Some(Err("Operation not permitted".into()));
        let g = check(&diagnose(&f), "airgapd's BPF objects").clone();
        assert_eq!(g.status, Status::Warn);
        assert!(
            g.detail.contains("repairs it within 250 ms"),
            "{}",
            g.detail
        );
        assert!(g.fix.is_some());
        f.lsm_loads = Some(Ok(()));
        f.lsm_list = Some("lockdown,capability,landlock,yama,apparmor,bpf".into());
        let g = check(&diagnose(&f), "airgapd's BPF objects").clone();
        assert_eq!(g.status, Status::Ok);
        assert!(g.detail.contains("bpftool link detach"), "{}", g.detail);
    }

    #[test]
    fn read_only_media_name_what_this_kernel_cannot_refuse() {
        let mut f = facts();
        f.lsm_loads = Some(Err("Operation not permitted".into()));
        let c = diagnose(&f);
        let ro = check(&c, "read-only media");
        assert_eq!(ro.status, Status::Warn);
        for route in ["blockdev --setrw", "SG_IO", "BLKRRPART"] {
            assert!(ro.detail.contains(route), "{route}: {}", ro.detail);
        }
        assert!(ro.fix.is_some());
        f.lsm_loads = Some(Ok(()));
        f.lsm_list = Some("lockdown,capability,landlock,yama,apparmor,bpf".into());
        let c = diagnose(&f);
        assert_eq!(check(&c, "read-only media").status, Status::Ok);
        // Linux 6.8+: a 32-bit process's ioctl skips file_ioctl unless ia32 emulation is off.
        f.kernel_release = "6.12.48-amd64".into();
        let ro = check(&diagnose(&f), "read-only media").clone();
        assert_eq!(ro.status, Status::Warn);
        assert!(ro.detail.contains("32-bit"), "{}", ro.detail);
        f.cmdline.push_str(" ia32_emulation=0");
        assert_eq!(check(&diagnose(&f), "read-only media").status, Status::Ok);
    }

    #[test]
    fn read_only_media_are_closed_where_the_fmod_ret_programs_load() {
        // No BPF LSM, 32-bit entry on: the fmod_ret programs refuse every route regardless.
        let mut f = facts();
        f.kernel_release = "6.12.48-amd64".into();
        f.lsm_loads = Some(Err("Operation not permitted".into()));
        f.media_ro_fmod_loads = Some(Ok(()));
        let ro = check(&diagnose(&f), "read-only media").clone();
        assert_eq!(ro.status, Status::Ok, "{}", ro.detail);
        assert!(
            ro.detail.contains("security_file_ioctl_compat"),
            "{}",
            ro.detail
        );
        assert!(ro.fix.is_none());
        f.media_ro_fmod_loads = Some(Err("EINVAL".into()));
        assert_eq!(check(&diagnose(&f), "read-only media").status, Status::Warn);
    }

    #[test]
    fn missing_bpf_lsm_gets_the_exact_boot_parameter() {
        let c = diagnose(&facts());
        let lsm = check(&c, "BPF LSM");
        assert_eq!(lsm.status, Status::Warn);
        assert_eq!(
            lsm.fix.as_deref(),
            Some(
                "add lsm=lockdown,capability,landlock,yama,apparmor,bpf to GRUB_CMDLINE_LINUX in \
                  /etc/default/grub, then run update-grub and reboot"
            )
        );
        assert_eq!(check(&c, "cgroup v2").status, Status::Ok);
        assert_eq!(check(&c, "bpffs").status, Status::Warn);
    }

    #[test]
    fn a_kernel_that_refuses_the_program_is_not_told_to_add_bpf_again() {
        let mut f = facts();
        f.lsm_list = Some("lockdown,capability,bpf".into());
        f.lsm_loads = Some(Err("EPERM".into()));
        let lsm = diagnose(&f)
            .into_iter()
            .find(|c| c.name == "BPF LSM")
            .unwrap();
        assert_eq!(lsm.status, Status::Warn);
        assert!(lsm.detail.contains("refuses"));
        assert!(!lsm.fix.unwrap().contains("lsm="));
    }

    #[test]
    fn a_refused_probe_with_an_unknown_list_says_both() {
        let mut f = facts();
        f.lsm_list = None;
        f.lsm_loads = Some(Err("Operation not permitted".into()));
        let lsm = diagnose(&f)
            .into_iter()
            .find(|c| c.name == "BPF LSM")
            .unwrap();
        assert!(lsm
            .detail
            .contains("refuses BPF LSM programs (Operation not permitted)"));
        assert!(lsm.fix.unwrap().starts_with("mount -t securityfs"));
    }

    #[test]
    fn no_cgroup2_fails_and_boot_usb_gap_is_explained() {
        let mut f = facts();
        f.mountinfo.clear();
        let c = diagnose(&f);
        assert_eq!(check(&c, "cgroup v2").status, Status::Fail);
        assert!(check(&c, "USB before airgapd starts")
            .fix
            .as_ref()
            .unwrap()
            .contains("usbcore.authorized_default=2"));
    }

    #[test]
    fn thirty_two_bit_calls_are_a_gap_only_without_bpf_lsm() {
        let mut f = facts();
        assert_eq!(
            check(&diagnose(&f), "32-bit system calls").status,
            Status::Warn
        );
        f.cmdline.push_str(" ia32_emulation=0");
        assert_eq!(
            check(&diagnose(&f), "32-bit system calls").status,
            Status::Ok
        );
        let mut f = facts();
        f.lsm_loads = Some(Ok(()));
        f.lsm_list = Some("lockdown,capability,landlock,yama,apparmor,bpf".into());
        assert_eq!(
            check(&diagnose(&f), "32-bit system calls").status,
            Status::Ok
        );
    }

    #[test]
    fn thirty_two_bit_calls_are_closed_where_the_fmod_ret_program_loads() {
        let mut f = facts();
        f.compat_loads = Some(Ok(()));
        let c = diagnose(&f);
        let compat = check(&c, "32-bit system calls");
        assert_eq!(compat.status, Status::Ok);
        assert!(compat.detail.contains("fmod_ret"), "{}", compat.detail);
        // Refused (this development kernel): the kernel's answer is shown, with the remedy.
        f.compat_loads = Some(Err("Operation not permitted (os error 1)".into()));
        let c = diagnose(&f);
        let compat = check(&c, "32-bit system calls");
        assert_eq!(compat.status, Status::Warn);
        assert!(
            compat.detail.contains("Operation not permitted"),
            "{}",
            compat.detail
        );
        assert!(compat.fix.as_ref().unwrap().contains("ia32_emulation=0"));
    }

    #[test]
    fn usb_boot_default_is_read_from_usbcore_not_the_command_line() {
        let mut f = facts();
        // Issue 22: the package's modprobe.d file, applied: no warning.
        f.usb_boot_default = Some(2);
        let c = diagnose(&f);
        assert_eq!(check(&c, "USB before airgapd starts").status, Status::Ok);
        // The file exists but usbcore was loaded before it: update the initramfs and reboot.
        f.usb_boot_default = Some(-1);
        f.usbcore_module = true;
        let c = diagnose(&f);
        let usb = check(&c, "USB before airgapd starts");
        assert_eq!(usb.status, Status::Warn);
        assert!(usb.fix.as_ref().unwrap().contains("update-initramfs -u"));
        // A kernel command line parameter the kernel did not take is no proof.
        f.cmdline = "quiet usbcore.authorized_default=2".into();
        assert_eq!(
            check(&diagnose(&f), "USB before airgapd starts").status,
            Status::Warn
        );
    }

    /// The guest's boot of 6.1 with `lsm=` leaving `bpf` out (issue 22): the programs load and
    /// attach there, but never run; doctor said "ok" for BPF LSM, read-only media and the guard.
    #[test]
    fn programs_that_load_but_never_run_are_not_ok() {
        let mut f = facts();
        f.lsm_loads = Some(Ok(()));
        let c = diagnose(&f);
        for name in ["BPF LSM", "read-only media", "airgapd's BPF objects"] {
            assert_eq!(check(&c, name).status, Status::Warn, "{name}");
        }
        f.lsm_list = Some("lockdown,capability,landlock,yama,apparmor,bpf".into());
        let c = diagnose(&f);
        for name in ["BPF LSM", "airgapd's BPF objects"] {
            assert_eq!(check(&c, name).status, Status::Ok, "{name}");
        }
    }

    #[test]
    fn other_socket_families_are_covered_by_either_program_or_named_as_a_gap() {
        let mut f = facts();
        // Not root: nothing tried, no BPF LSM listed.
        let c = diagnose(&f);
        let c = check(&c, "socket families");
        assert_eq!(c.status, Status::Warn);
        assert!(c.fix.is_some());
        // The kernel refuses the trampoline and BPF LSM is absent: the reason is given.
        f.create_loads = Some(Err("EPERM".into()));
        let c = diagnose(&f);
        let c = check(&c, "socket families");
        assert_eq!(c.status, Status::Warn);
        assert!(c.detail.contains("EPERM"), "{}", c.detail);
        assert!(c.detail.contains("vsock"), "{}", c.detail);
        // Layer 5f loads: covered, with or without BPF LSM.
        f.create_loads = Some(Ok(()));
        let c = diagnose(&f);
        let c = check(&c, "socket families");
        assert_eq!(c.status, Status::Ok);
        assert!(c.detail.contains("fmod_ret"), "{}", c.detail);
        // BPF LSM runs (listed and loads): covered by layer 5 even without the trampoline.
        f.create_loads = Some(Err("EPERM".into()));
        f.lsm_list = Some("lockdown,capability,bpf".into());
        f.lsm_loads = Some(Ok(()));
        let c = diagnose(&f);
        let c = check(&c, "socket families");
        assert_eq!(c.status, Status::Ok);
        // Loads but not listed: BPF LSM programs never run, so layer 5 does not count.
        f.lsm_list = Some("lockdown,capability".into());
        let c = diagnose(&f);
        assert_eq!(check(&c, "socket families").status, Status::Warn);
    }
}
