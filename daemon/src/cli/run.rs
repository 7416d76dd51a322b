//! `airgapd run [--policy FILE] [--new-netns] -- CMD [ARGS...]`: run one command under
//! enforcement in a cgroup of its own, print each refusal as it happens, clean up, and exit
//! with the command's status. The safe demonstration of the main job, and the test harness.

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::ExitStatus;

use anyhow::{bail, Context, Result};
use tokio::signal::unix::{signal, SignalKind};

use crate::bpf::{Enforcer, LayerState};
use crate::dbus::ViolationEntry;
use crate::events::EventStream;
use crate::i18n::catalog;
use crate::journal::Record;
use crate::maps::NetMode;
use crate::network::lan::LanGuard;
use crate::plan::{Facts, Plan};
use crate::scope::Scope;
use crate::spawn::{self, SpawnOptions};
use crate::tr;
use crate::violation::{Kind, Violation};

use super::run_limits;

/// Arguments of `airgapd run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Policy file (default: loopback only, as with no policy at all).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Run CMD in a fresh network namespace with only `lo` (for demonstrations on shared
    /// machines: a broken block would then show as ENETUNREACH, never as traffic).
    #[arg(long)]
    pub new_netns: bool,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<OsString>,
}

/// The policy file, or the default policy.
fn policy(policy: Option<&PathBuf>) -> Result<airgapd_policy::Policy> {
    let policy = match policy {
        Some(path) => {
            let checked = airgapd_policy::load(path)?;
            for w in &checked.warnings {
                eprintln!("airgapd: {}", tr!("run-warning", warning = w.to_string()));
            }
            checked.policy
        }
        None => airgapd_policy::Policy::default_policy(),
    };
    Ok(policy)
}

/// Run the command; returns the exit code airgapd should exit with.
pub fn run(args: RunArgs) -> Result<i32> {
    if !nix::unistd::geteuid().is_root() {
        bail!("{}", tr!("run-not-root"));
    }
    let policy = policy(args.policy.as_ref())?;
    let facts = Facts::read().context("reading /proc/self/mountinfo and /proc/devices")?;
    let plan = Plan::new(&policy, &facts).context("working out the internal disks")?;
    // One thread: the child's parent-death signal follows the thread that forked it.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut unapplied = run_limits::unapplied(&policy);
    unapplied.extend(run_limits::ptrace_warning());
    rt.block_on(run_async(args, plan, unapplied))
}

async fn run_async(args: RunArgs, plan: Plan, unapplied: Vec<&'static str>) -> Result<i32> {
    let scope = Scope::create("run").context("creating the enforcement scope")?;
    let mut enforcer = Enforcer::load()?;
    // The isolated-lan profile: the LAN's interface as airgapd's own network namespace has it,
    // kept resolved while the command runs (a --new-netns command has no such interface in its
    // namespace: it can use only loopback).
    let mut lan = LanGuard::default();
    let lan_records = lan.apply(&mut enforcer, &plan, &scope)?;
    enforcer.configure(&scope, plan.net_mode)?;
    for rule in plan.rules.values() {
        tracing::debug!(rule = %rule.matches, access = rule.access.0, why = %rule.why, "device rule");
        enforcer.dev_rules().set(rule.matches, rule.access)?;
    }
    enforcer.enforce_network(&scope)?;
    enforcer.enforce_devices(&scope)?;
    let mut events = EventStream::new(enforcer.take_events().context("event ring buffer")?)
        .context("watching the event ring buffer")?;

    let mode = match plan.net_mode {
        NetMode::None => "none",
        NetMode::Loopback => "loopback",
        NetMode::Lan { loopback: true } => "lan-loopback",
        NetMode::Lan { loopback: false } => "lan",
    };
    eprintln!(
        "airgapd: {}",
        tr!(
            "run-enforcing",
            mode = mode,
            cgroup = scope.path().display().to_string()
        )
    );
    for l in &plan.lans {
        let peers: Vec<String> = l.peers.iter().map(|p| p.to_string()).collect();
        let text = tr!(
            "run-lan",
            name = &l.name,
            mac = l.interface_mac.to_string(),
            peers = peers.join(", ")
        );
        eprintln!("airgapd: {text}");
    }
    for line in unapplied {
        eprintln!("airgapd: {line}");
    }
    lan_records.iter().for_each(print_record);
    for (layer, state) in enforcer.layers() {
        if let LayerState::Unavailable(why) = state {
            let text = tr!("run-layer-unavailable", layer = layer.name(), why = why);
            eprintln!("airgapd: {text}");
        }
    }

    // Ctrl-C reaches the command through the terminal; airgapd stays to clean up after it.
    // The handlers exist before the command does, so no signal can find airgapd without them.
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut cmd = std::process::Command::new(&args.command[0]);
    cmd.args(&args.command[1..]);
    let opts = SpawnOptions {
        new_netns: args.new_netns,
        die_with_parent: true,
    };
    spawn::prepare(&mut cmd, &scope, opts).context("preparing the command")?;
    let mut child = tokio::process::Command::from(cmd)
        .spawn()
        .with_context(|| format!("starting {:?}", args.command[0]))?;
    let pid = child.id().context("child pid")?;

    let status: ExitStatus = loop {
        tokio::select! {
            status = child.wait() => break status.context("waiting for the command")?,
            batch = events.next_batch() => {
                for v in batch.context("reading events")? {
                    print_refusal(&v);
                }
            }
            found = lan.next() => lan.handle(&mut enforcer, found).iter().for_each(print_record),
            _ = sigint.recv() => {}
            _ = sigterm.recv() => forward(pid, libc::SIGTERM),
            _ = sighup.recv() => forward(pid, libc::SIGHUP),
        }
    };
    for v in events.drain_now() {
        print_refusal(&v);
    }
    report_losses(&enforcer, events.undecodable);

    drop(enforcer); // detach every program before the cgroup goes
    scope.remove().context("removing the enforcement scope")?;
    Ok(status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
}

/// One refusal as it happens, in the reader's language.
fn print_refusal(v: &Violation) {
    say(ViolationEntry::new(v, 0, 0).sentence(catalog()));
}

/// A record of the isolated-LAN part (a loss of isolation, a LAN interface absent), as a line.
fn print_record(r: &Record) {
    say(&r.message);
}

/// One line on stderr in a single write: the command writes there too, and `eprintln!` writes
/// a formatted line piece by piece, so its words could land inside ours.
fn say(text: impl std::fmt::Display) {
    use std::io::Write;
    let line = format!("airgapd: {text}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

fn forward(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) on the pid of our own child, which we have not reaped yet.
    unsafe { libc::kill(pid as libc::pid_t, sig) };
}

/// Refusals whose detail the ring buffer could not hold are still counted: say how many.
fn report_losses(enforcer: &Enforcer, undecodable: u64) {
    let lost: u64 = Kind::ALL
        .iter()
        .filter_map(|&k| enforcer.counters().get(k).ok())
        .map(|c| c.lost)
        .sum();
    if lost > 0 {
        eprintln!("airgapd: {}", tr!("run-lost", count = lost));
    }
    if undecodable > 0 {
        eprintln!("airgapd: {}", tr!("run-undecodable", count = undecodable));
    }
}
