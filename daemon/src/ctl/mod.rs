//! `airgapctl`: ask the running airgapd what it enforces, over D-Bus. One subcommand per file;
//! each takes the [`Ctx`] (connecting only if it needs the daemon) and returns the exit status.
//!
//! Exit status: 0 success; 1 failure (daemon not running, bus error); 2 bad usage; 3 `status`
//! found the machine NOT air-gapped, or only partly, or `inspect` found a trace; 4 access
//! denied; 5 `status` cannot tell (airgapd not running, no record of it, and not root), or
//! `inspect` found nothing but could not answer every question.

use clap::{Parser, Subcommand};

use crate::dbus::Bus;

pub mod apply;
pub mod check;
pub mod client;
pub mod devices;
pub mod doctor;
pub mod enroll;
pub mod fleet;
pub mod import_usbguard;
pub mod inspect;
pub mod inspect_fleet;
pub mod inspect_integrity;
pub mod media;
pub mod media_list;
pub mod output;
pub mod policy;
pub mod provenance;
pub mod register;
pub mod release;
pub mod report;
pub mod seal_journal;
pub mod sign;
pub mod status;
pub mod status_offline;
pub mod violations;
pub mod watch;

use client::{Client, CtlError};

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "airgapctl",
    version,
    about = "Ask airgapd whether this machine is air-gapped, what it refused and which policy is in force"
)]
pub struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Talk to the D-Bus bus at ADDRESS (e.g. unix:path=/run/x/bus) instead of the system bus;
    /// for tests and debugging.
    #[arg(long, global = true, value_name = "ADDRESS")]
    pub bus_address: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Whether this machine is air-gapped: layers, policy, refusals. Exit 0 YES, 3 NO or
    /// PARTIAL, 5 cannot tell; answered from the kernel when airgapd is not running.
    Status(status::StatusArgs),
    /// Devices airgapd has judged, with its decision and the reason.
    Devices(devices::DevicesArgs),
    /// Refusals airgapd has recorded.
    Violations(violations::ViolationsArgs),
    /// The policy in force.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Approved media: enrol one.
    #[command(subcommand)]
    Media(media::MediaCommand),
    /// What this kernel and boot configuration support, and what to change for full coverage.
    Doctor(doctor::DoctorArgs),
    /// The copy register of removable media (read from its file), and `verify` of its chain.
    Register(register::RegisterArgs),
    /// Release orders: a whole-machine installation leaves the air gap only by a signed order.
    #[command(subcommand)]
    Release(release::ReleaseCommand),
    /// Print airgapd's decisions as they happen: refusals, devices judged and removed.
    Watch(watch::WatchArgs),
    /// What this PC has been connected to, from the traces the OS left (journal,
    /// NetworkManager, DHCP leases, apt, Bluetooth): one answer per inspection question.
    /// Works without airgapd; changes nothing. Exit 0 none found, 3 found, 5 unknown.
    Inspect(InspectCli),
    /// Set up journald Forward Secure Sealing on this PC (root): the journal kept on disk and
    /// sealed, and the verification key printed once, as text and QR code, for the security
    /// officer to keep; `inspect --verify-key` checks the journal with it.
    SealJournal(seal_journal::SealJournalArgs),
    /// The officer's inspection report: report.json (inspect's data, the header typed here,
    /// the machine's identity and chain heads), report.html (A4, Vietnamese by default) and
    /// report.sig (signed with the machine key); `report verify DIR` checks one.
    Report(Box<report::ReportArgs>),
    /// The office's remote journal (systemd-journal-remote on the log host,
    /// systemd-journal-upload on each PC): set-up commands for the sysadmin.
    #[command(subcommand)]
    Fleet(fleet::FleetCommand),
}

/// `airgapctl inspect`: a machine (`airgapctl report` shares these), or with `--journal-dir`
/// the journals the office's log host collected.
#[derive(Debug, clap::Args)]
pub struct InspectCli {
    /// A machine's inspection.
    #[command(flatten)]
    pub inspect: inspect::InspectArgs,
    /// The log host's.
    #[command(flatten)]
    pub fleet: inspect_fleet::FleetArgs,
}

/// What every subcommand gets.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Print JSON.
    pub json: bool,
    /// Where airgapd is.
    pub bus: Bus,
}

impl Ctx {
    /// Connect to airgapd, or say clearly why not.
    pub async fn connect(&self) -> Result<Client, CtlError> {
        Client::connect(self.bus.clone()).await
    }
}

/// Run one subcommand; returns the exit status.
pub async fn dispatch(cli: Cli) -> Result<i32, CtlError> {
    let ctx = Ctx {
        json: cli.json,
        bus: Bus::from_address(cli.bus_address),
    };
    match cli.command {
        Command::Status(args) => status::run(&ctx, args).await,
        Command::Devices(args) => devices::run(&ctx, args).await,
        Command::Violations(args) => violations::run(&ctx, args).await,
        Command::Policy(command) => policy::run(&ctx, command).await,
        Command::Media(command) => media::run(&ctx, command),
        Command::Doctor(args) => doctor::run(&ctx, args),
        Command::Register(args) => register::run(&ctx, args),
        Command::Release(command) => release::run(&ctx, command),
        Command::Watch(args) => watch::run(&ctx, args).await,
        Command::Inspect(args) => match &args.fleet.journal_dir {
            Some(dir) => inspect_fleet::run(&ctx, &args.fleet, dir),
            None => inspect::run(&ctx, args.inspect),
        },
        Command::SealJournal(args) => seal_journal::run(&ctx, args),
        Command::Report(args) => report::run(&ctx, *args),
        Command::Fleet(command) => fleet::run(&ctx, command),
    }
}

/// `airgapctl`'s main: parse, run, print any error on stderr; returns the exit status.
pub fn main() -> i32 {
    // `airgapctl ... | head` ends quietly when the reader goes, as Unix tools do, instead of a
    // panic in every println! (Rust ignores SIGPIPE by default).
    // SAFETY: setting a signal's disposition to its default before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!(
                "airgapctl: {}",
                crate::tr!("ctl-error-runtime", error = e.to_string())
            );
            return 1;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", output::wrap(&format!("airgapctl: {e}"), 2));
            e.exit_code()
        }
    }
}
