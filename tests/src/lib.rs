//! Shared harness for airgapd's privileged integration tests: real programs in this kernel,
//! bound to a cgroup the test creates, victims that issue real syscalls, events awaited with a
//! deadline. Everything a test creates is removed by a Drop guard, also when it fails.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use airgapd::bpf::Enforcer;
use airgapd::events::EventStream;
use airgapd::maps::{DevAccess, DevMatch, NetMode};
use airgapd::scope::Scope;
use airgapd::spawn::{self, SpawnOptions};
use airgapd::violation::Violation;

pub mod bench_service;
pub mod bpffs;
#[cfg(target_arch = "x86_64")]
pub mod compat32;
pub mod dbus_harness;
pub mod errno;
pub mod floor;
pub mod loopdev;
pub mod netns;
pub mod stallfs;

/// These tests load BPF programs and create cgroups: they need root, and say so.
pub fn require_root() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "the privileged integration tests load BPF programs and create cgroups: run them as root"
    );
}

/// Enforcement armed on a fresh test cgroup. Field order matters: the enforcer (and its links)
/// goes before the scope is killed and removed.
pub struct Armed {
    /// The loaded, attached programs.
    pub enforcer: Enforcer,
    /// Events from the ring buffer.
    pub events: EventStream,
    /// The test cgroup.
    pub scope: Scope,
}

impl Armed {
    /// Load the programs, bind them to a new test cgroup and attach the network area.
    /// Must be called inside a tokio runtime (the event stream registers with it).
    pub fn network(mode: NetMode) -> Armed {
        require_root();
        let scope = Scope::create("test").expect("creating test cgroup");
        let enforcer = Enforcer::load().expect("loading BPF object");
        Armed::network_on(scope, enforcer, mode)
    }

    /// The network area attached to `scope` by an enforcer the caller prepared (maps filled).
    pub fn network_on(scope: Scope, mut enforcer: Enforcer, mode: NetMode) -> Armed {
        enforcer.configure(&scope, mode).expect("writing config");
        enforcer
            .enforce_network(&scope)
            .expect("attaching network programs");
        let events = EventStream::new(enforcer.take_events().unwrap()).expect("event stream");
        Armed {
            enforcer,
            events,
            scope,
        }
    }

    /// Watch the events of an enforcer the caller configured and attached to `scope` itself.
    pub fn network_on_attached(scope: Scope, mut enforcer: Enforcer) -> Armed {
        let events = EventStream::new(enforcer.take_events().unwrap()).expect("event stream");
        Armed {
            enforcer,
            events,
            scope,
        }
    }

    /// Load the programs, bind them to a new test cgroup, write the device rules and attach the
    /// devices area (and nothing else).
    pub fn devices(rules: &[(DevMatch, DevAccess)]) -> Armed {
        Armed::devices_with(rules, false)
    }

    /// [`Armed::devices`], with the reduced device program when `reduced` (as kernels whose
    /// verifier refuses the full one get it: `airgapd::variant`).
    pub fn devices_with(rules: &[(DevMatch, DevAccess)], reduced: bool) -> Armed {
        require_root();
        let scope = Scope::create("test").expect("creating test cgroup");
        let mut enforcer = Enforcer::load().expect("loading BPF object");
        if reduced {
            enforcer.use_reduced_programs();
        }
        enforcer
            .configure(&scope, NetMode::Loopback)
            .expect("writing config");
        for (m, access) in rules {
            enforcer
                .dev_rules()
                .set(*m, *access)
                .expect("writing device rule");
        }
        enforcer
            .enforce_devices(&scope)
            .expect("attaching device program");
        let events = EventStream::new(enforcer.take_events().unwrap()).expect("event stream");
        Armed {
            enforcer,
            events,
            scope,
        }
    }

    /// Wait (bounded) for an event matching `pred`; panics with what was seen otherwise.
    pub async fn expect_event(
        &mut self,
        what: &str,
        pred: impl Fn(&Violation) -> bool,
    ) -> Violation {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.events.next_batch()).await {
                Ok(batch) => {
                    for v in batch.expect("reading events") {
                        if pred(&v) {
                            return v;
                        }
                        seen.push(v.to_string());
                    }
                }
                Err(_) => panic!("no event for {what} within 5 s; saw: {seen:#?}"),
            }
        }
    }

    /// Every event already in the ring buffer.
    pub fn drain(&mut self) -> Vec<Violation> {
        self.events.drain_now()
    }
}

/// Where a victim process runs.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// Inside this scope (None: outside any scope, the control).
    pub scope: Option<&'a Scope>,
    /// In a fresh network namespace with only lo, so nothing can leave the machine.
    pub fresh_netns: bool,
}

/// The outcome of a probe run: its pid and the single word it printed.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Process id of the victim.
    pub pid: u32,
    /// `ok` or an errno name.
    pub result: String,
}

/// Run `exe ARGS` at `place` and collect what it printed. With no scope but a fresh netns
/// the namespace is made with `unshare` so control and victim differ only in enforcement.
pub fn run_at(exe: &Path, place: Place<'_>, args: &[&str]) -> Outcome {
    let mut cmd = Command::new(exe);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    match place.scope {
        Some(scope) => {
            let opts = SpawnOptions {
                new_netns: place.fresh_netns,
                die_with_parent: false,
            };
            spawn::prepare(&mut cmd, scope, opts).expect("preparing victim");
        }
        None if place.fresh_netns => {
            // SAFETY: only raw syscalls between fork and exec.
            unsafe {
                std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                    if libc::unshare(libc::CLONE_NEWNET) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    spawn::loopback_up()
                });
            }
        }
        None => {}
    }
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", exe.display()));
    let pid = child.id();
    let out = child.wait_with_output().expect("waiting for victim");
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success() && !stdout.is_empty(),
        "{} {args:?} failed: {:?} stdout={stdout:?} stderr={}",
        exe.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Outcome {
        pid,
        result: stdout,
    }
}

/// Shorthand for a network mode in test tables.
pub fn mode(loopback: bool) -> NetMode {
    if loopback {
        NetMode::Loopback
    } else {
        NetMode::None
    }
}
