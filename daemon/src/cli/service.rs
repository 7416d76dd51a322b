//! `airgapd service`: the daemon, as systemd runs it.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::dbus::Bus;
use crate::paths;
use crate::service::{self, Options};

/// Arguments of `airgapd service`.
#[derive(Debug, clap::Args)]
pub struct ServiceArgs {
    /// The policy file.
    #[arg(long, value_name = "FILE", default_value = paths::POLICY_FILE)]
    pub policy: PathBuf,
    /// Enforce in this cgroup only (tests, demonstrations). Without it the whole machine is
    /// enforced: never do that on a machine you reach over the network.
    #[arg(long, value_name = "DIR")]
    pub scope_cgroup: Option<PathBuf>,
    /// Where programs, links and maps are pinned (inside bpffs).
    #[arg(long, value_name = "DIR", default_value = paths::PIN_DIR)]
    pub pin_dir: PathBuf,
    /// journald's native socket (tests use a private journald).
    #[arg(long, value_name = "PATH")]
    pub journal_socket: Option<PathBuf>,
    /// Where to serve org.airgapd.Guard1: `system`, `none`, or a D-Bus address.
    #[arg(long, value_name = "BUS", default_value = "system")]
    pub bus: String,
    /// The copy register file of removable media.
    #[arg(long, value_name = "FILE", default_value = paths::COPY_REGISTER)]
    pub register: PathBuf,
    /// Kept refusals and device decisions, so that they outlive a restart.
    #[arg(long, value_name = "FILE", default_value = paths::HISTORY)]
    pub history: PathBuf,
    /// The enforcement record, readable by everyone, that `airgapctl status` reads while the
    /// daemon is stopped [default: /run/airgapd/enforcement.json, or enforcement-NAME.json for
    /// another pin directory NAME].
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// With --scope-cgroup: put the interface programs on every non-loopback interface of the
    /// network namespace the daemon runs in (tests of the interface layer). Refused in the
    /// machine's own namespace: only interfaces a test created may get them.
    #[arg(long, requires = "scope_cgroup")]
    pub cover_interfaces: bool,
    /// With --cover-interfaces: put the interface programs as classic tc filters even where
    /// the kernel has TCX (tests of kernels without it, such as Debian 12's 6.1).
    #[arg(long, requires = "cover_interfaces", hide = true)]
    pub tc_filters: bool,
    /// With --scope-cgroup: keep approved read-only media read-only by the daemon's tick alone,
    /// loading none of the programs that refuse the routes to writing them (tests of kernels
    /// that load neither BPF LSM nor fmod_ret programs, such as Debian 11's 5.10).
    #[arg(long, requires = "scope_cgroup", hide = true)]
    pub media_ro_tick_only: bool,
    /// The machine record: starts, stops, policy changes, lifts, tampering (hash-chained)
    /// [default: /var/lib/airgapd/machine-record.jsonl with the production pin directory,
    /// none with another unless given].
    #[arg(long, value_name = "FILE")]
    pub machine_record: Option<PathBuf>,
    /// The TPM whose reset count and NV counter the machine record keeps: a TPM character
    /// device or a unix socket speaking raw TPM 2.0 commands [default: /dev/tpmrm0 with the
    /// production pin directory, none with another unless given].
    #[arg(long, value_name = "PATH")]
    pub tpm: Option<PathBuf>,
}

/// Run the daemon until SIGTERM.
pub fn run(args: ServiceArgs) -> Result<i32> {
    if !nix::unistd::geteuid().is_root() {
        bail!("airgapd service must run as root");
    }
    let record = paths::record_for(&args.pin_dir, args.record.as_deref());
    let machine_record =
        crate::machine_record::path_for(&args.pin_dir, args.machine_record.as_deref());
    let tpm = crate::machine_record::tpm_for(&args.pin_dir, args.tpm.as_deref());
    let opts = Options {
        policy: args.policy,
        scope_cgroup: args.scope_cgroup,
        pin_dir: args.pin_dir,
        journal_socket: args.journal_socket,
        bus: match args.bus.as_str() {
            "none" => None,
            "system" => Some(Bus::System),
            address => Some(Bus::Address(address.to_string())),
        },
        register: args.register,
        history: args.history,
        record,
        cover_interfaces: args.cover_interfaces,
        tc_filters: args.tc_filters,
        media_ro_tick_only: args.media_ro_tick_only,
        machine_record,
        tpm,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(service::run(opts))?;
    Ok(0)
}
