//! Issue 10: cameras, microphones and radios refused by the device program. This machine has
//! none, so nodes are made with mknod for the V4L2 and ALSA majors: the cgroup check comes
//! before any driver, so in scope the answer is EPERM, while outside the scope (the control)
//! the kernel gets as far as finding no driver (ENXIO/ENODEV), never EPERM.

use std::path::Path;

use airgapd::plan::{Facts, Plan};
use airgapd::violation::Kind;
use airgapd_tests::{run_at, Armed, Place};

fn probe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_airgap-probe"))
}

/// The plan for a laptop with a built-in microphone, a USB webcam (camera + microphone) and a
/// Wi-Fi card, recorded in the daemon's fixtures.
fn laptop_plan(policy: &str) -> Plan {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../daemon/tests/fixtures");
    let facts = Facts {
        sysfs: root.join("sysfs"),
        mountinfo: std::fs::read_to_string(root.join("proc/mountinfo-vda")).unwrap(),
        proc_devices: std::fs::read_to_string(root.join("proc/devices")).unwrap(),
    };
    Plan::new(&airgapd_policy::parse(policy, None).unwrap().policy, &facts).unwrap()
}

fn armed(plan: &Plan) -> Armed {
    let rules: Vec<_> = plan.rules.values().map(|r| (r.matches, r.access)).collect();
    Armed::devices(&rules)
}

fn open(scope: Option<&airgapd::scope::Scope>, major: u32, minor: u32, mode: &str) -> String {
    let (maj, min) = (major.to_string(), minor.to_string());
    run_at(
        probe(),
        Place {
            scope,
            fresh_netns: false,
        },
        &["mknod-open", "c", &maj, &min, mode],
    )
    .result
}

#[tokio::test]
async fn cameras_and_microphones_are_refused_playback_is_not() {
    let mut armed = armed(&laptop_plan(""));
    let cases = [
        ((81, 0), "camera"),
        ((116, 24), "built-in microphone"),
        ((116, 56), "webcam microphone"),
    ];
    for ((major, minor), what) in cases {
        assert_ne!(
            open(None, major, minor, "ro"),
            "EPERM",
            "control: {what} outside the scope"
        );
        assert_eq!(
            open(Some(&armed.scope), major, minor, "ro"),
            "EPERM",
            "{what} in scope"
        );
        let ev = armed
            .expect_event(what, |v| {
                v.kind == Kind::DevChar && v.device == Some((major, minor))
            })
            .await;
        assert_eq!(ev.comm, "airgap-probe");
    }
    // Speakers keep working: the playback PCM is not refused (no driver here: not EPERM).
    assert_ne!(
        open(Some(&armed.scope), 116, 16, "rw"),
        "EPERM",
        "playback in scope"
    );
    // Radios: /dev/rfkill may be read, not written (unblocking a radio is a write).
    assert_ne!(open(Some(&armed.scope), 10, 242, "ro"), "EPERM");
    assert_eq!(open(Some(&armed.scope), 10, 242, "rw"), "EPERM");
}

#[tokio::test]
async fn an_allowed_dictation_device_is_usable_others_stay_refused() {
    let policy = "[[capture.allow]]\nname = \"Approved dictation webcam\"\nvendor_id = \"046d\"\nproduct_id = \"0825\"\n";
    let armed = armed(&laptop_plan(policy));
    assert_ne!(
        open(Some(&armed.scope), 116, 56, "ro"),
        "EPERM",
        "the allowed webcam's microphone"
    );
    assert_ne!(
        open(Some(&armed.scope), 81, 0, "ro"),
        "EPERM",
        "the allowed webcam's camera"
    );
    assert_eq!(
        open(Some(&armed.scope), 116, 24, "ro"),
        "EPERM",
        "the built-in microphone"
    );
    assert_eq!(
        open(Some(&armed.scope), 81, 1, "ro"),
        "EPERM",
        "any other camera"
    );
}
