//! airgapd-notify against a real notification server (issue 18): dunst on an Xvfb display and
//! a private session bus (`dbus-daemon --session`), airgapd's interface served on a private
//! system-like bus. A refused device makes exactly one notice whose Vietnamese summary and body
//! are read back from dunst (`dunstctl history`), not from the notifier; the device leaving
//! closes it; a storm of 1000 refusals makes at most a few. A screenshot of the notice is kept
//! at `target/tmp/notify-vi.png` (and `.xwd`).
//!
//! Needs root, `dbus-daemon`, `dunst`/`dunstctl` (Debian dunst), `Xvfb` (xvfb), `xwd`
//! (x11-apps) and `convert` (imagemagick): scripts/deps.sh installs them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use airgapd::dbus::{serve, ReloadError};
use airgapd::state::{DeviceRecord, PolicyInfo, State, ViolationRecord};
use airgapd::violation::{Kind, Violation};
use airgapd_tests::dbus_harness::{airgapd_notify, BusPolicy, TestBus, DEADLINE};
use airgapd_tests::require_root;

/// A child killed (by pid) and reaped on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the pid of a child we started and have not reaped.
        unsafe { libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM) };
        let _ = self.0.wait();
    }
}

/// The first line `child` prints on stdout, within the deadline.
fn first_line(child: &mut Child, what: &str) -> String {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    rx.recv_timeout(DEADLINE)
        .unwrap_or_else(|_| panic!("{what} printed nothing within {DEADLINE:?}"))
        .trim()
        .to_string()
}

/// An X display, a session bus and dunst showing notices on it.
struct Desktop {
    display: String,
    session: String,
    dir: PathBuf,
    _dunst: Proc,
    _bus: Proc,
    _x: Proc,
}

impl Desktop {
    fn start(dir: &Path) -> Desktop {
        let mut x = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1024x400x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting Xvfb (Debian package xvfb)");
        let display = format!(":{}", first_line(&mut x, "Xvfb"));
        let x = Proc(x);
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--print-address", "--nofork", "--nopidfile"])
            .arg(format!("--address=unix:path={}/session_bus", dir.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting dbus-daemon --session");
        let session = first_line(&mut bus, "dbus-daemon --session");
        let bus = Proc(bus);
        let config = dir.join("dunstrc");
        std::fs::write(
            &config,
            "[global]\nfont = DejaVu Sans 11\nwidth = 640\norigin = top-right\noffset = 10x10\n\
             markup = full\nhistory_length = 100\n[urgency_normal]\ntimeout = 0\n\
             [urgency_critical]\ntimeout = 0\n",
        )
        .unwrap();
        let dunst = Command::new("dunst")
            .arg("-config")
            .arg(&config)
            .env("DISPLAY", &display)
            .env("DBUS_SESSION_BUS_ADDRESS", &session)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("dunst.log")).unwrap())
            .spawn()
            .expect("starting dunst (Debian package dunst)");
        let desktop = Desktop {
            display,
            session,
            dir: dir.to_path_buf(),
            _dunst: Proc(dunst),
            _bus: bus,
            _x: x,
        };
        desktop.wait_for("dunst to answer", || {
            desktop.dunstctl(&["is-paused"]).is_some()
        });
        desktop
    }

    /// `dunstctl ARGS` on this session; None when it failed.
    fn dunstctl(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("dunstctl")
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.session)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    fn displayed(&self) -> usize {
        self.dunstctl(&["count", "displayed"])
            .and_then(|n| n.parse().ok())
            .unwrap_or(usize::MAX)
    }

    /// (summary, body) of every notice in dunst's history, newest first.
    fn history(&self) -> Vec<(String, String)> {
        let text = self.dunstctl(&["history"]).expect("dunstctl history");
        let json: serde_json::Value = serde_json::from_str(&text).expect("history is JSON");
        json["data"][0]
            .as_array()
            .expect("history data")
            .iter()
            .map(|n| {
                (
                    n["summary"]["data"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    n["body"]["data"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    fn wait_for(&self, what: &str, mut ok: impl FnMut() -> bool) {
        let end = Instant::now() + DEADLINE;
        while !ok() {
            assert!(
                Instant::now() < end,
                "waited {DEADLINE:?} for {what}; dunst log: {}",
                std::fs::read_to_string(self.dir.join("dunst.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Keep a picture of the screen: `<name>.xwd`, and `<name>.png` when ImageMagick is there.
    fn screenshot(&self, name: &str) -> PathBuf {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let xwd = dir.join(format!("{name}.xwd"));
        let ok = Command::new("xwd")
            .args(["-root", "-silent", "-display", &self.display, "-out"])
            .arg(&xwd)
            .status()
            .expect("running xwd (Debian package x11-apps)");
        assert!(ok.success(), "xwd failed");
        let png = dir.join(format!("{name}.png"));
        let converted = Command::new("convert")
            .arg(format!("xwd:{}", xwd.display()))
            .arg(&png)
            .status()
            .is_ok_and(|s| s.success());
        if converted {
            png
        } else {
            xwd
        }
    }
}

fn stick() -> DeviceRecord {
    DeviceRecord {
        node: "/dev/bus/usb/001/004".into(),
        devnum: String::new(),
        kind: "usb".into(),
        vendor_id: "0781".into(),
        product_id: "5581".into(),
        serial: "4C530001".into(),
        model: "Ultra".into(),
        decision: "refused".into(),
        rule: "default".into(),
        reason: "not a medium issued by the Government Cipher Committee".into(),
        ..DeviceRecord::default()
    }
}

fn exec_refusal(seq: u64, uid: u32) -> ViolationRecord {
    ViolationRecord {
        device_name: String::new(),
        seq,
        violation: Violation {
            tid: 4242,
            pid: 4242,
            uid,
            gid: uid,
            comm: "bash".into(),
            file: Some("/media/usb/setup.sh".into()),
            ..Violation::of(Kind::Exec, UNIX_EPOCH + Duration::from_secs(1_795_521_600))
        },
        repeats: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_device_makes_one_vietnamese_notice_and_a_storm_only_a_few() {
    require_root();
    let dir = std::env::temp_dir().join(format!("airgapd-notify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let desktop = Desktop::start(&dir);

    let bus = TestBus::start(BusPolicy::Shipped);
    let reloader = || std::future::ready(Err::<PolicyInfo, ReloadError>("unused".into()));
    let state = State::new("enforcing".into(), 100).shared();
    let server = tokio::time::timeout(DEADLINE, serve(&bus.bus(), state, reloader))
        .await
        .expect("serve within the deadline")
        .expect("serving");

    let mut notifier = Command::new(airgapd_notify())
        .args(["--system-bus-address", bus.address()])
        .args(["--session-bus-address", &desktop.session, "--quiet", "2"])
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "vi_VN.UTF-8")
        .env("AIRGAPD_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting airgapd-notify");
    // It says it listens once its signal matches are registered.
    let stderr = notifier.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let _notifier = Proc(notifier);
    let end = Instant::now() + DEADLINE;
    loop {
        let line = rx
            .recv_timeout(end.saturating_duration_since(Instant::now()))
            .expect("airgapd-notify says it listens");
        if line.contains("airgapd-notify listening") {
            break;
        }
    }

    // One refused stick: exactly one notice, in Vietnamese, naming the stick.
    let before = desktop.history().len();
    server.device_decision(&stick()).await.unwrap();
    desktop.wait_for("one notice on screen", || desktop.displayed() == 1);
    std::thread::sleep(Duration::from_millis(500)); // drawn
    let shot = desktop.screenshot("notify-vi");
    // The stick leaves: its notice closes (into the history).
    server.device_removed(&stick()).await.unwrap();
    desktop.wait_for("the notice to close", || desktop.displayed() == 0);
    let history = desktop.history();
    assert_eq!(history.len(), before + 1, "exactly one notice: {history:?}");
    let (summary, body) = &history[0];
    assert_eq!(summary, "Đã chặn thiết bị: Ultra (số sê-ri 4C530001)");
    assert_eq!(
        body,
        "Máy tính này chỉ dùng thiết bị lưu trữ đã được duyệt; điện thoại, thiết bị mạng và \
         thiết bị USB khác đều bị chặn. Hãy giao thiết bị cho cán bộ bảo mật."
    );
    eprintln!("screenshot: {}", shot.display());

    // A storm: 1000 refusals of programs on a stick by this user.
    let me = nix::unistd::getuid().as_raw();
    let before = desktop.history().len();
    for seq in 1..=1000 {
        server.violation(&exec_refusal(seq, me)).await.unwrap();
    }
    desktop.wait_for("the storm's notice", || desktop.displayed() >= 1);
    // Past the quiet interval (2 s) the notice is updated once with the count.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let shown = desktop.displayed();
    desktop
        .dunstctl(&["close-all"])
        .expect("dunstctl close-all");
    desktop.wait_for("the storm's notices to close", || desktop.displayed() == 0);
    let history = desktop.history();
    let storm = history.len() - before;
    assert!(
        (1..=3).contains(&storm) && shown <= 3,
        "1000 refusals made {storm} notices ({shown} on screen at once): {history:?}"
    );
    let (summary, body) = &history[0];
    assert_eq!(
        summary,
        "Đã chặn chạy chương trình từ thiết bị lưu trữ di động"
    );
    assert!(body.contains("(setup.sh)"), "{body}");
    assert!(body.ends_with("(Đã chặn 1000 lần.)"), "{body}");
    let _ = std::fs::remove_dir_all(&dir);
}
