//! Issue 4: removable media as they come and go under `airgapd service`, with loop devices
//! declared removable standing in for USB sticks: an approved medium is granted exactly the
//! access its entry says, an unknown one stays refused, and access ends when it leaves. Every
//! decision is in the journal.

mod common;

use airgapd::journal::MessageId;
use common::daemon::{entry, id, m, text, Daemon};
use common::journald::{skip_unless_root, PrivateJournald};
use common::loopdev::LoopDev;

const POLICY: &str = r#"
[devices]
loop = "removable"

[[media]]
name = "Test transfer stick (read-only)"
fs_label = "AIRGAPTEST"
access = "read-only"
"#;

fn read(d: &Daemon, dev: &str) -> String {
    d.victim(&format!("head -c 512 {dev} > /dev/null"), false).1
}

fn write(d: &Daemon, dev: &str) -> String {
    d.victim(&format!("exec 3<>{dev}"), false).1
}

#[test]
fn approved_media_are_granted_on_arrival_and_lose_access_when_they_leave() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("media");
    let mut d = Daemon::new("media", j.socket(), Some(POLICY));
    d.start();

    let stick = LoopDev::new("approved");
    let arrival = entry(
        &mut j,
        &[
            id(MessageId::DeviceArrival),
            m("AIRGAP_DEV_NODE", &stick.path),
            m("AIRGAP_ACTION", "authorize"),
        ],
    );
    assert_eq!(text(&arrival, "AIRGAP_RESULT"), "success");
    assert_eq!(
        text(&arrival, "AIRGAP_RULE"),
        "Test transfer stick (read-only)"
    );
    assert_eq!(
        text(&arrival, "AIRGAP_DEVICE"),
        format!("{}:{}", stick.major, stick.minor)
    );
    assert_eq!(
        read(&d, &stick.path),
        "",
        "an approved read-only medium can be read"
    );
    // Refused as a write-protected disk refuses it (EACCES), so that mount(8) falls back to
    // read-only (issue 17).
    assert!(
        write(&d, &stick.path).contains("Permission denied"),
        "but not written"
    );

    let other = LoopDev::with_label("unknown", "OTHERSTICK");
    let refused = entry(
        &mut j,
        &[
            id(MessageId::DeviceArrival),
            m("AIRGAP_DEV_NODE", &other.path),
            m("AIRGAP_ACTION", "refuse"),
        ],
    );
    assert!(
        text(&refused, "MESSAGE").contains("not an approved medium"),
        "{refused:?}"
    );
    let (pid, err) = d.victim(
        &format!("exec head -c 512 {} > /dev/null", other.path),
        false,
    );
    assert!(err.contains("Operation not permitted"), "{err}");
    // The refusal names the process and the medium, down to its filesystem label.
    let refusal = entry(
        &mut j,
        &[id(MessageId::DeviceViolation), m("AIRGAP_PID", pid)],
    );
    assert_eq!(
        text(&refusal, "AIRGAP_DEVICE"),
        format!("{}:{}", other.major, other.minor)
    );
    assert_eq!(text(&refusal, "AIRGAP_DEV_NODE"), other.path);
    assert_eq!(text(&refusal, "AIRGAP_FS_LABEL"), "OTHERSTICK");
    assert_eq!(text(&refusal, "AIRGAP_ACCESS"), "read");
    assert_eq!(text(&refusal, "AIRGAP_COMM"), "head");

    // The medium leaves (the loop device loses its backing file): access ends.
    stick.detach();
    entry(
        &mut j,
        &[
            id(MessageId::DeviceDeparture),
            m("AIRGAP_DEV_NODE", &stick.path),
        ],
    );
    assert!(
        read(&d, &stick.path).contains("Operation not permitted"),
        "after it left"
    );
}
