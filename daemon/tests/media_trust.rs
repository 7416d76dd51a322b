//! Issue 15, items 8 and 9: device decisions never wait, and the probe trusts nothing.
//!
//! - A medium that never answers a read (a loop device over a FUSE file whose reads are never
//!   answered) must not stall the daemon: another medium's arrival is granted within the usual
//!   latency, a swap at the same major:minor is judged, the dead medium is recorded as refused,
//!   and SIGTERM is honoured, all while the stall lasts.
//! - What sits at `/dev/<name>` is not the device: a bind-mounted image carrying an approved
//!   label, or a FIFO, must not be probed; a "remove" uevent forged by a process must not
//!   withdraw a grant nor write a departure record.

mod common;

use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use airgapd::journal::MessageId;
use common::daemon::{entry, id, m, text, Daemon};
use common::journald::{skip_unless_root, PrivateJournald};
use common::loopdev::run;
use common::stallfs::StallFs;

const POLICY: &str = r#"
[devices]
loop = "removable"

[[media]]
name = "Test transfer stick"
fs_label = "AIRGAPTEST"
access = "read-write"
"#;

/// Well below the probe deadline (5 s): what a medium that answers takes to be judged.
const USUAL_LATENCY: Duration = Duration::from_secs(3);

/// An ext4 image file with a label, removed on drop.
struct Image(PathBuf);

impl Image {
    fn new(tag: &str, label: &str) -> Image {
        let path = std::env::temp_dir().join(format!("airgapd-{tag}-{}.img", std::process::id()));
        let f = std::fs::File::create(&path).unwrap();
        f.set_len(8 << 20).unwrap();
        run(
            "mkfs.ext4",
            &["-q", "-F", "-L", label, path.to_str().unwrap()],
        );
        Image(path)
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A loop device over an image (read-only ones can have their medium swapped in place).
struct Loop {
    path: String,
    major: u32,
    minor: u32,
}

impl Loop {
    fn attach(img: &Image, read_only: bool) -> Loop {
        let mut args = vec!["--find", "--show"];
        if read_only {
            args.push("--read-only");
        }
        args.push(img.0.to_str().unwrap());
        let path = run("losetup", &args);
        let rdev = std::fs::metadata(&path).unwrap().rdev();
        Loop {
            path,
            major: libc::major(rdev),
            minor: libc::minor(rdev),
        }
    }

    fn name(&self) -> &str {
        self.path.trim_start_matches("/dev/")
    }

    /// A card reader's card swap: another medium behind the same major:minor (LOOP_CHANGE_FD).
    fn swap_to(&self, img: &Image) {
        let dev = std::fs::File::open(&self.path).unwrap();
        let new = std::fs::File::open(&img.0).unwrap();
        // SAFETY: valid fds; LOOP_CHANGE_FD takes the new backing fd.
        let rc = unsafe { libc::ioctl(dev.as_raw_fd(), 0x4C06, new.as_raw_fd()) };
        assert_eq!(rc, 0, "LOOP_CHANGE_FD: {}", std::io::Error::last_os_error());
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = Command::new("losetup").args(["-d", &self.path]).status();
    }
}

/// A bind mount over a device node, undone on drop (before the loop devices are detached).
struct BindOver(String);

impl BindOver {
    fn new(source: &Path, node: &str) -> BindOver {
        run("mount", &["--bind", source.to_str().unwrap(), node]);
        BindOver(node.to_string())
    }
}

impl Drop for BindOver {
    fn drop(&mut self) {
        // Lazily: a reader stuck on what was bound must not keep it over the node.
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn read(d: &Daemon, dev: &str) -> String {
    d.victim(&format!("head -c 512 {dev} > /dev/null"), false).1
}

fn arrivals(node: &str, action: &str) -> [String; 3] {
    [
        id(MessageId::DeviceArrival),
        m("AIRGAP_DEV_NODE", node),
        m("AIRGAP_ACTION", action),
    ]
}

/// The message of the first arrival record for `node` and `action` whose text contains `says`
/// or whose filesystem label is `says` (loop devices are judged at start-up already, empty:
/// those records are not the ones).
fn arrival(j: &mut PrivateJournald, node: &str, action: &str, says: &str) -> String {
    let matches = arrivals(node, action);
    j.wait_until(&format!("{matches:?} saying {says:?}"), |j| {
        j.query(&matches)
            .into_iter()
            .find(|e| text(e, "MESSAGE").contains(says) || text(e, "AIRGAP_FS_LABEL") == says)
            .map(|e| text(&e, "MESSAGE"))
    })
}

fn count(j: &PrivateJournald, matches: &[String]) -> usize {
    j.query(matches).len()
}

#[test]
fn a_medium_that_never_answers_stalls_no_decision() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("stall");
    let mut d = Daemon::new("stall", j.socket(), Some(POLICY));
    d.start();

    // The dead medium arrives first; its probe never returns.
    let stall = StallFs::new("stall");
    std::thread::sleep(Duration::from_millis(300));
    // Read while it is being identified: refused at once; the refusal waits for the decision
    // (issue 17) and, the medium refused, is recorded as a violation (below).
    let (early_reader, err) = d.victim(
        &format!("exec head -c 512 {} > /dev/null", stall.loop_path),
        false,
    );
    assert!(err.contains("Operation not permitted"), "{err}");

    // Meanwhile an approved medium arrives and is granted within the usual latency.
    let approved = Image::new("stall-ok", "AIRGAPTEST");
    let other = Image::new("stall-other", "OTHERSTICK");
    let t = Instant::now();
    let stick = Loop::attach(&approved, true);
    arrival(&mut j, &stick.path, "authorize", "approved medium");
    let granted_after = t.elapsed();
    eprintln!("approved medium granted {granted_after:?} after it arrived, during the stall");
    assert!(granted_after < USUAL_LATENCY, "{granted_after:?}");
    assert_eq!(read(&d, &stick.path), "", "the approved medium is readable");

    // A swap at the same major:minor, still during the stall: the grant goes with the medium.
    let t = Instant::now();
    stick.swap_to(&other);
    let refusal = arrival(&mut j, &stick.path, "refuse", "OTHERSTICK");
    let judged_after = t.elapsed();
    eprintln!("swapped medium judged {judged_after:?} after the swap, during the stall");
    assert!(judged_after < USUAL_LATENCY, "{judged_after:?}");
    assert!(refusal.contains("not an approved medium"), "{refusal}");
    // The swapped-in medium gets no authorization record.
    let departure = entry(
        &mut j,
        &[
            id(MessageId::DeviceDeparture),
            m("AIRGAP_DEV_NODE", &stick.path),
        ],
    );
    assert!(
        text(&departure, "MESSAGE").contains("medium changed"),
        "{departure:?}"
    );
    assert!(
        read(&d, &stick.path).contains("Operation not permitted"),
        "the swapped-in medium inherits no grant"
    );

    // The dead medium itself: refused, and recorded as not answering.
    arrival(&mut j, &stall.loop_path, "refuse", "did not answer");
    let refusal = entry(
        &mut j,
        &[
            id(MessageId::DeviceViolation),
            m("AIRGAP_PID", early_reader),
        ],
    );
    assert_eq!(text(&refusal, "AIRGAP_DEV_NODE"), stall.loop_path);

    // SIGTERM is honoured while the stall lasts.
    let t = Instant::now();
    d.signal(nix::sys::signal::Signal::SIGTERM);
    let status = d.wait_for_exit(Duration::from_secs(5));
    eprintln!("SIGTERM during the stall: exited after {:?}", t.elapsed());
    assert!(
        status.is_some(),
        "the daemon did not exit on SIGTERM during the stall"
    );
    entry(&mut j, &[id(MessageId::DaemonStopped)]);
}

/// A daemon with one granted and one refused medium (both settled before the attack).
struct Setup {
    j: PrivateJournald,
    d: Daemon,
    granted: Loop,
    refused: Loop,
    _images: [Image; 2],
}

fn setup(tag: &str) -> Setup {
    let mut j = PrivateJournald::start(tag);
    let mut d = Daemon::new(tag, j.socket(), Some(POLICY));
    d.start();
    let approved = Image::new(&format!("{tag}-ok"), "AIRGAPTEST");
    let unknown = Image::new(&format!("{tag}-unknown"), "OTHERSTICK");
    let granted = Loop::attach(&approved, false);
    let refused = Loop::attach(&unknown, false);
    arrival(&mut j, &granted.path, "authorize", "approved medium");
    arrival(&mut j, &refused.path, "refuse", "not an approved medium");
    // Let the refused medium's own "change" be judged before any attack.
    std::thread::sleep(Duration::from_millis(500));
    assert!(read(&d, &refused.path).contains("Operation not permitted"));
    Setup {
        j,
        d,
        granted,
        refused,
        _images: [approved, unknown],
    }
}

/// A granted medium that goes busy (a stick writing back a large copy): probed again after a
/// "change" uevent, as udisks sends one after every unmount, it does not answer within the
/// probe deadline. The same medium instance was identified and approved: its grant stays until
/// it answers. Before, the deadline withdrew it ("not answering: access withdrawn"): the
/// official's copy broke, and udev's and udisks' reads of the stick were refused and recorded
/// as violations (what the guest's desktop scenario once saw under load in CI).
#[test]
fn a_granted_medium_that_stops_answering_a_new_probe_keeps_its_grant() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("busy");
    let mut d = Daemon::new("busy", j.socket(), Some(POLICY));
    d.start();
    let img = Image::new("busy", "AIRGAPTEST");
    let busy = StallFs::serving("busy", std::fs::read(&img.0).unwrap());
    let node = busy.loop_path.clone();
    arrival(&mut j, &node, "authorize", "approved medium");
    // It stops answering, and what the kernel cached of it is dropped: the probe must ask it.
    busy.stalled
        .store(true, std::sync::atomic::Ordering::Relaxed);
    run("blockdev", &["--flushbufs", &node]);
    let name = node.trim_start_matches("/dev/");
    std::fs::write(format!("/sys/class/block/{name}/uevent"), "change").unwrap();
    std::thread::sleep(airgapd::devices::prober::PROBE_DEADLINE + Duration::from_secs(2));
    // Opened (not read: a read would wait for the stalled file) as before.
    let (_, err) = d.victim(
        &format!("timeout 10 sh -c 'exec 3< {node}' || echo \"open failed: $?\" >&2"),
        false,
    );
    assert!(
        err.is_empty(),
        "the grant stays while the probe waits: {err}"
    );
    let withdrawn: Vec<String> = j
        .query(&[id(MessageId::DeviceDeparture), m("AIRGAP_DEV_NODE", &node)])
        .iter()
        .map(|e| text(e, "MESSAGE"))
        .collect();
    assert!(withdrawn.is_empty(), "{withdrawn:?}");
    let refused: Vec<String> = j
        .query(&arrivals(&node, "refuse"))
        .iter()
        .map(|e| text(e, "MESSAGE"))
        .filter(|t| t.contains("answer"))
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
}

/// Enough for the daemon to have handled a uevent (its probes take milliseconds).
const SETTLE: Duration = Duration::from_millis(1500);

#[test]
fn a_forged_remove_uevent_withdraws_nothing() {
    if skip_unless_root() {
        return;
    }
    let s = setup("forged");
    let departures = [
        id(MessageId::DeviceDeparture),
        m("AIRGAP_DEV_NODE", &s.granted.path),
    ];
    forge_uevent(&format!(
        "remove@/devices/virtual/block/{n}\0ACTION=remove\0DEVPATH=/devices/virtual/block/{n}\0\
         SUBSYSTEM=block\0MAJOR={}\0MINOR={}\0DEVNAME={n}\0DEVTYPE=disk\0SEQNUM=999999\0",
        s.granted.major,
        s.granted.minor,
        n = s.granted.name()
    ));
    std::thread::sleep(SETTLE);
    assert_eq!(
        count(&s.j, &departures),
        0,
        "a forged remove wrote a departure"
    );
    assert_eq!(
        read(&s.d, &s.granted.path),
        "",
        "a forged remove withdrew the grant"
    );
}

#[test]
fn an_image_bound_over_the_node_is_not_probed() {
    if skip_unless_root() {
        return;
    }
    let s = setup("bindimg");
    let fake = Image::new("bindimg-fake", "AIRGAPTEST");
    let authorized = arrivals(&s.refused.path, "authorize");
    {
        let _bind = BindOver::new(&fake.0, &s.refused.path);
        std::fs::write(format!("/sys/block/{}/uevent", s.refused.name()), "change").unwrap();
        std::thread::sleep(SETTLE);
    }
    assert_eq!(
        count(&s.j, &authorized),
        0,
        "the fake image got the device granted"
    );
    assert!(
        read(&s.d, &s.refused.path).contains("Operation not permitted"),
        "the refused device became readable"
    );
}

#[test]
fn a_fifo_over_the_node_hangs_nothing() {
    if skip_unless_root() {
        return;
    }
    let mut s = setup("fifo");
    let fifo = std::env::temp_dir().join(format!("airgapd-fifo-{}", std::process::id()));
    let _ = std::fs::remove_file(&fifo);
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let next = Image::new("fifo-next", "AIRGAPTEST");
    let bind = BindOver::new(&fifo, &s.refused.path);
    std::fs::write(format!("/sys/block/{}/uevent", s.refused.name()), "change").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let later = Loop::attach(&next, false);
    let judged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        arrival(&mut s.j, &later.path, "authorize", "approved medium")
    }));
    let elapsed = t.elapsed();
    // Open the FIFO for writing once so that a reader stuck on it (the old daemon) lets go,
    // and undo the bind mount before any loop device is detached (losetup opens the node).
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo);
    drop(bind);
    let _ = std::fs::remove_file(&fifo);
    assert!(
        judged.is_ok(),
        "no medium was judged after a FIFO was put at a device node"
    );
    assert!(elapsed < USUAL_LATENCY, "{elapsed:?}");
    drop(later);
}

/// Multicast a uevent on the kernel's group from this (root) process.
fn forge_uevent(msg: &str) {
    // SAFETY: plain socket calls with valid arguments; the fd is closed below.
    unsafe {
        let fd = libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            libc::NETLINK_KOBJECT_UEVENT,
        );
        assert!(fd >= 0);
        let mut sa: libc::sockaddr_nl = std::mem::zeroed();
        sa.nl_family = libc::AF_NETLINK as u16;
        sa.nl_groups = 1;
        let n = libc::sendto(
            fd,
            msg.as_ptr().cast(),
            msg.len(),
            0,
            (&sa as *const libc::sockaddr_nl).cast(),
            size_of::<libc::sockaddr_nl>() as u32,
        );
        let err = std::io::Error::last_os_error();
        libc::close(fd);
        assert!(n > 0, "sending a forged uevent: {err}");
    }
}
