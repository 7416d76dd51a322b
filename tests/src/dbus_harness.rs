//! A private system-like D-Bus for the D-Bus tests: a real `dbus-daemon` with the system bus's
//! deny-by-default rules and the SHIPPED `packaging/dbus/org.airgapd.Guard1.conf`, listening
//! on a socket in a temporary directory, killed (by pid) and removed on drop. Clients run as
//! root or as `nobody` (uid/gid 65534, no supplementary groups), so the bus policy and the
//! daemon's own uid check are both exercised for real.
//!
//! `airgapctl` is a binary of the `airgapd` package, which `cargo test` does not build for this
//! crate; [`airgapctl`] (and [`airgapd_notify`]) builds it once per test run with the cargo that runs the tests, into
//! the same target directory and profile, so the tests always run the current code.

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, OnceLock};
use std::time::Duration;

use airgapd::dbus::Bus;

/// The unprivileged user the tests become.
pub const NOBODY: u32 = 65534;

/// How long any single step may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// The bus policy file as shipped.
pub fn shipped_policy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../packaging/dbus/org.airgapd.Guard1.conf")
}

/// Which airgapd rules the private bus runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusPolicy {
    /// The shipped file, included in place.
    Shipped,
    /// The shipped file with its readers narrowed to this group, edited the way its own
    /// comment tells an administrator to.
    ReadersGroup(&'static str),
    /// The shipped file, then a later rule that lets everyone call everything on airgapd: what
    /// is left to refuse a non-root `ReloadPolicy` is the method's own check.
    ShippedThenAllowAll,
}

/// A running private bus. Dropping it kills the daemon and removes its directory.
pub struct TestBus {
    child: Child,
    dir: PathBuf,
    address: String,
    airgapctl: OnceLock<PathBuf>,
}

/// The system bus's own rules (`/usr/share/dbus-1/system.conf`), minus service activation.
const SYSTEM_RULES: &str = r#"
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"
          send_member="UpdateActivationEnvironment"/>
  </policy>
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
"#;

const ALLOW_ALL: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy context="default">
    <allow send_destination="org.airgapd.Guard1"/>
  </policy>
</busconfig>
"#;

impl TestBus {
    /// Start `dbus-daemon` with `policy`; panics (saying why) if it does not come up in time.
    pub fn start(policy: BusPolicy) -> TestBus {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "airgapd-dbus-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("creating the bus directory");
        // nobody must reach the socket and the airgapctl copy in here.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod bus dir");

        let shipped = shipped_policy();
        let shipped_text = fs::read_to_string(&shipped)
            .unwrap_or_else(|e| panic!("reading {}: {e}", shipped.display()));
        let includes = match policy {
            BusPolicy::Shipped => vec![shipped.clone()],
            BusPolicy::ReadersGroup(group) => {
                let line = r#"<policy context="default">"#;
                assert_eq!(
                    shipped_text.matches(line).count(),
                    1,
                    "the shipped bus policy must have exactly one {line}, the one its comment \
                     tells an administrator to change"
                );
                let edited = dir.join("org.airgapd.Guard1.conf");
                fs::write(
                    &edited,
                    shipped_text.replace(line, &format!(r#"<policy group="{group}">"#)),
                )
                .expect("writing the edited policy");
                vec![edited]
            }
            BusPolicy::ShippedThenAllowAll => {
                let allow = dir.join("allow-all.conf");
                fs::write(&allow, ALLOW_ALL).expect("writing allow-all.conf");
                vec![shipped.clone(), allow]
            }
        };
        let socket = dir.join("system_bus_socket");
        let mut config = format!(
            "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n \
             \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n<busconfig>\n  \
             <type>system</type>\n  <listen>unix:path={}</listen>\n  <auth>EXTERNAL</auth>\n{SYSTEM_RULES}",
            socket.display()
        );
        for file in includes {
            config.push_str(&format!("  <include>{}</include>\n", file.display()));
        }
        config.push_str("</busconfig>\n");
        let config_file = dir.join("bus.conf");
        fs::write(&config_file, config).expect("writing bus.conf");

        let log = fs::File::create(dir.join("dbus-daemon.log")).expect("creating log");
        let mut child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config_file.display()))
            .args(["--print-address", "--nofork", "--nopidfile"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("starting dbus-daemon (Debian package dbus-daemon)");
        let stdout = child.stdout.take().expect("dbus-daemon stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let mut bus = TestBus {
            child,
            dir,
            address: String::new(),
            airgapctl: OnceLock::new(),
        };
        match rx.recv_timeout(DEADLINE) {
            Ok(line) if line.starts_with("unix:") => bus.address = line.trim().to_string(),
            other => panic!(
                "dbus-daemon printed no address within {DEADLINE:?} ({other:?}); its log: {}",
                bus.log()
            ),
        }
        bus
    }

    /// The bus address (`unix:path=...,guid=...`).
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The bus, for [`airgapd::dbus::serve`] and clients.
    pub fn bus(&self) -> Bus {
        Bus::Address(self.address.clone())
    }

    /// What dbus-daemon wrote to stderr so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("dbus-daemon.log")).unwrap_or_default()
    }

    /// A copy of the current `airgapctl` in this bus's directory, where nobody can run it
    /// whatever the permissions of the target directory.
    pub fn airgapctl(&self) -> &Path {
        self.airgapctl.get_or_init(|| {
            let copy = self.dir.join("airgapctl");
            if fs::hard_link(airgapctl(), &copy).is_err() {
                fs::copy(airgapctl(), &copy).expect("copying airgapctl");
            }
            fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).expect("chmod");
            copy
        })
    }
}

impl Drop for TestBus {
    fn drop(&mut self) {
        // SAFETY: plain syscall on the pid of the child we started and have not reaped.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The `airgapctl` binary of this build, built once per test run (see the module comment).
pub fn airgapctl() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| build_binary("airgapctl"))
}

/// The `airgapd-notify` binary of this build, built once per test run.
pub fn airgapd_notify() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| build_binary("airgapd-notify"))
}

/// The `airgapd` binary of this build (its `lift` and `run`), built once per test run.
pub fn airgapd() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| build_binary("airgapd"))
}

/// Build binary `name` of the `airgapd` package into this test's target directory and profile.
fn build_binary(name: &str) -> PathBuf {
    // This test runs as <target>/<profile>/deps/<test>-<hash>.
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary in <target>/<profile>/deps");
    let target_dir = profile_dir.parent().expect("target directory");
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .expect("profile directory name");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet", "-p", "airgapd", "--bin", name])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(target_dir);
    match profile {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running cargo build for {name}: {e}"));
    assert!(
        out.status.success(),
        "building {name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = profile_dir.join(name);
    assert!(path.exists(), "{} missing after build", path.display());
    path
}

/// Who runs a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum User {
    /// The test's own uid (root).
    Root,
    /// uid and gid 65534, no supplementary groups.
    Nobody,
}

/// What a client process did.
#[derive(Debug, Clone)]
pub struct Ran {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Its stdout.
    pub stdout: String,
    /// Its stderr.
    pub stderr: String,
}

/// Run `program ARGS` as `user`, bounded by [`DEADLINE`].
pub async fn run_as(user: User, program: &Path, args: &[&str]) -> Ran {
    let mut cmd = tokio::process::Command::new(program);
    // The tests read English; the translation tests choose their language themselves.
    cmd.args(args)
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if user == User::Nobody {
        // SAFETY: only async-signal-safe syscalls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setresgid(NOBODY, NOBODY, NOBODY) != 0
                    || libc::setresuid(NOBODY, NOBODY, NOBODY) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let out = tokio::time::timeout(DEADLINE, cmd.output())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{} {args:?} did not finish in {DEADLINE:?}",
                program.display()
            )
        })
        .unwrap_or_else(|e| panic!("running {}: {e}", program.display()));
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
