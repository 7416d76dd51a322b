//! Issue 4: removable block devices refused in the kernel for every way to reach their data,
//! with loop devices declared removable standing in for USB sticks. Each refused case is
//! checked inside the scope (EPERM) and as a control outside it (works).

use std::path::Path;

use airgapd::bpf::{Layer, LayerState};
use airgapd::maps::{DevAccess, DevMatch, DevType};
use airgapd::violation::Kind;
use airgapd_tests::loopdev::LoopDev;
use airgapd_tests::{run_at, Armed, Place};

fn probe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_airgap-probe"))
}

fn inside(armed: &Armed, args: &[&str]) -> String {
    run_at(
        probe(),
        Place {
            scope: Some(&armed.scope),
            fresh_netns: false,
        },
        args,
    )
    .result
}

fn outside(args: &[&str]) -> String {
    run_at(
        probe(),
        Place {
            scope: None,
            fresh_netns: false,
        },
        args,
    )
    .result
}

/// Every path to an unapproved disk's data, refused; each also works outside the scope.
fn all_paths(dev: &LoopDev) -> Vec<Vec<String>> {
    let (maj, min) = (dev.major.to_string(), dev.minor.to_string());
    [
        vec!["open", &dev.path, "ro"],
        vec!["open", &dev.path, "rw"],
        vec!["mount", &dev.path, "rw"],
        vec!["mount", &dev.path, "ro"],
        vec!["fsmount", &dev.path, "ro"],
        vec!["mknod-open", "b", &maj, &min, "ro"],
    ]
    .iter()
    .map(|v| v.iter().map(|s| s.to_string()).collect())
    .collect()
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[tokio::test]
async fn unapproved_disk_is_refused_for_open_mount_and_mknod() {
    let dev = LoopDev::new("unapproved");
    let mut armed = Armed::devices(&[]);
    for case in all_paths(&dev) {
        let a = args(&case);
        assert_eq!(outside(&a), "ok", "control {a:?} outside the scope");
        assert_eq!(inside(&armed, &a), "EPERM", "{a:?} in scope");
        let ev = armed
            .expect_event(&format!("{a:?}"), |v| v.kind == Kind::DevBlock)
            .await;
        assert_eq!(ev.device, Some((dev.major, dev.minor)), "{a:?}");
        assert_eq!(ev.comm, "airgap-probe");
        assert_ne!(ev.access, 0);
    }
}

#[tokio::test]
async fn read_only_media_mounts_ro_and_refuses_writes() {
    let dev = LoopDev::new("readonly");
    let rule = DevMatch::device(DevType::Block, dev.major, dev.minor);
    let mut armed = Armed::devices(&[(rule, DevAccess::READ)]);
    assert_eq!(inside(&armed, &["open", &dev.path, "ro"]), "ok");
    assert_eq!(inside(&armed, &["mount", &dev.path, "ro"]), "ok");
    assert_eq!(inside(&armed, &["fsmount", &dev.path, "ro"]), "ok");
    // A write to a read-only grant is refused as a write-protected disk refuses it (EACCES),
    // so that mount(8) falls back to read-only by itself (issue 17).
    assert_eq!(inside(&armed, &["open", &dev.path, "rw"]), "EACCES");
    assert_eq!(inside(&armed, &["mount", &dev.path, "rw"]), "EACCES");
    let ev = armed
        .expect_event("write refused", |v| v.kind == Kind::DevBlock)
        .await;
    assert_eq!(
        ev.access & 4,
        4,
        "the refused access includes write: {ev:?}"
    );
}

/// Issue 22: the reduced device program, which kernels refusing the full one get (Debian 11's
/// 5.10 has no bpf_get_current_pid_tgid, comm, task_btf or set_retval for cgroup/dev), refuses
/// every path the full one does; its records say the process is unknown (pid 0, no name, never
/// shown as a process) with the caller's uid and cgroup; the layer says it is limited; a write
/// to a read-only grant answers EPERM there (no bpf_set_retval: mount(8) needs -o ro).
#[tokio::test]
async fn reduced_device_program_refuses_the_same_and_says_the_process_is_unknown() {
    let dev = LoopDev::new("reduced");
    let ro = LoopDev::new("reducedro");
    let rule = DevMatch::device(DevType::Block, ro.major, ro.minor);
    let mut armed = Armed::devices_with(&[(rule, DevAccess::READ)], true);
    let layer = armed
        .enforcer
        .layers()
        .iter()
        .find(|(l, _)| *l == Layer::Devices);
    match layer {
        Some((_, LayerState::Limited(why))) => {
            assert!(why.contains("without the process id"), "{why}");
            assert!(why.contains(airgapd::variant::FORCED), "{why}");
        }
        other => panic!("the device layer must say it is limited: {other:?}"),
    }
    for case in all_paths(&dev) {
        let a = args(&case);
        assert_eq!(inside(&armed, &a), "EPERM", "{a:?} in scope");
        let ev = armed
            .expect_event(&format!("{a:?}"), |v| v.kind == Kind::DevBlock)
            .await;
        assert_eq!(ev.device, Some((dev.major, dev.minor)), "{a:?}");
        assert!(ev.process_unknown, "{a:?}: {ev:?}");
        assert_eq!((ev.pid, ev.comm.as_str()), (0, ""), "{a:?}");
        assert_eq!(ev.cgroup_id, armed.scope.id(), "{a:?}");
        assert!(ev.to_string().contains("by an unknown process"), "{ev}");
    }
    assert_eq!(inside(&armed, &["open", &ro.path, "ro"]), "ok");
    assert_eq!(inside(&armed, &["mount", &ro.path, "ro"]), "ok");
    assert_eq!(inside(&armed, &["open", &ro.path, "rw"]), "EPERM");
    // The test's own process (the "daemon" here) is outside the scope: unaffected.
    assert_eq!(outside(&["open", &dev.path, "ro"]), "ok");
}

#[tokio::test]
async fn read_write_media_works_and_loses_access_when_it_leaves() {
    let dev = LoopDev::new("readwrite");
    let rule = DevMatch::device(DevType::Block, dev.major, dev.minor);
    let mut armed = Armed::devices(&[(rule, DevAccess::READ_WRITE)]);
    assert_eq!(inside(&armed, &["open", &dev.path, "rw"]), "ok");
    assert_eq!(inside(&armed, &["mount", &dev.path, "rw"]), "ok");

    // The medium leaves its policy entry (removed, or the policy changed): access ends at once.
    armed.enforcer.dev_rules().remove(rule).unwrap();
    assert_eq!(inside(&armed, &["open", &dev.path, "ro"]), "EPERM");
    assert_eq!(outside(&["open", &dev.path, "ro"]), "ok");
}

/// A rule for a whole major (how loop devices are internal by default) covers every minor,
/// and a device rule beneath it is more specific.
#[tokio::test]
async fn most_specific_rule_wins() {
    let dev = LoopDev::new("specific");
    let major = DevMatch::major(DevType::Block, dev.major);
    let one = DevMatch::device(DevType::Block, dev.major, dev.minor);
    let armed = Armed::devices(&[(major, DevAccess::ALL), (one, DevAccess::READ)]);
    assert_eq!(inside(&armed, &["open", &dev.path, "ro"]), "ok");
    assert_eq!(inside(&armed, &["open", &dev.path, "rw"]), "EACCES");
}

/// Raw character paths: a char major under a deny rule is refused (the daemon writes such rules
/// for sg, bsg, usb_device, ...); character devices of other majors stay usable.
#[tokio::test]
async fn raw_char_major_rules_refuse_only_that_major() {
    // The "mem" major (1: null, zero, ...) stands in for a raw path here.
    let mem = DevMatch::major(DevType::Char, 1);
    let mut armed = Armed::devices(&[(mem, DevAccess::NONE)]);
    assert_eq!(outside(&["open", "/dev/zero", "ro"]), "ok");
    assert_eq!(inside(&armed, &["open", "/dev/zero", "ro"]), "EPERM");
    let ev = armed
        .expect_event("char refused", |v| v.kind == Kind::DevChar)
        .await;
    assert_eq!(ev.device, Some((1, 5)));
    // The pty multiplexer (5:2) has no rule: untouched.
    assert_eq!(inside(&armed, &["open", "/dev/ptmx", "rw"]), "ok");
}
