//! Kernel uevents the daemon could not read in time (issue 15, lossless records): the kernel
//! drops them once the socket's buffer is full and says so with ENOBUFS at the next read. The
//! daemon must notice, record the loss (EventsLost, how many), say so in its diagnostics, and
//! judge every device again. Here a scoped
//! daemon is stopped (SIGSTOP) while `change` uevents of /dev/null overrun its socket; the
//! uevents go to every listener on this machine and change nothing.

mod common;

use std::time::Duration;

use airgapd::journal::MessageId;
use common::daemon::{id, Daemon};
use common::journald::{skip_unless_root, PrivateJournald};

const POLICY: &str = "[meta]\nid = \"uevents-lost\"\nserial = 1\n[network]\nloopback = true\n";

/// More than the 2 MiB buffer holds (a few hundred bytes each, about 2800 fit).
const FLOOD: usize = 6000;

#[test]
fn an_overrun_of_the_uevent_socket_is_noticed_and_said() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("ue-lost");
    let mut d = Daemon::new("ue-lost", j.socket(), Some(POLICY));
    let log = std::env::temp_dir().join(format!("airgapd-ue-lost-{}.log", std::process::id()));
    d.stderr = Some(log.clone());
    d.start();
    d.signal(nix::sys::signal::Signal::SIGSTOP);
    for _ in 0..FLOOD {
        std::fs::write("/sys/devices/virtual/mem/null/uevent", "change").unwrap();
    }
    d.signal(nix::sys::signal::Signal::SIGCONT);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let said = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("kernel uevents lost") || std::time::Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // The loss is a record of its own, with how many the kernel dropped.
    let lost = j.wait_until("the EventsLost record of the uevents", |j| {
        j.query(&[id(MessageId::EventsLost)])
            .into_iter()
            .find(|e| e.get("AIRGAP_KIND").and_then(|v| v.as_str()) == Some("uevent"))
    });
    d.signal(nix::sys::signal::Signal::SIGTERM);
    d.wait();
    let n: u64 = lost
        .get("AIRGAP_LOST")
        .and_then(|v| v.as_str())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(
        n > 0 && n < FLOOD as u64,
        "dropped uevents counted: {lost:?}"
    );
    let _ = std::fs::remove_file(&log);
    assert!(
        said.contains("kernel uevents lost"),
        "no word of the overrun in the daemon's diagnostics:\n{said}"
    );
    assert!(
        !said.contains('\u{1b}'),
        "colour escapes in diagnostics that go to the journal:\n{said}"
    );
}
