//! The subcommands of the `airgapd` binary, one per file. These are the edges: they use
//! `anyhow` and print for people; the logic they call lives in the library.

use clap::{Parser, Subcommand};

pub mod lift;
pub mod run;
pub mod run_limits;
pub mod service;

/// `airgapd`'s command line (also used to generate its man page and completions).
#[derive(Debug, Parser)]
#[command(
    name = "airgapd",
    version,
    about = "Air-gap enforcement in the kernel with eBPF: network and removable media refused"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one command with network and device enforcement in a cgroup of its own.
    #[command(after_long_help = run_limits::SCOPE_LIMITS)]
    Run(run::RunArgs),
    /// The enforcement daemon (systemd runs this).
    Service(service::ServiceArgs),
    /// Remove pinned enforcement: the machine stops being air-gapped. Root only, recorded.
    Lift(lift::LiftArgs),
}

/// Parse the command line, run it, and return the exit code.
pub fn main() -> i32 {
    crate::logging::init();
    let code = match Cli::parse().command {
        Command::Run(args) => run::run(args),
        Command::Service(args) => service::run(args),
        Command::Lift(args) => lift::run(args),
    };
    code.unwrap_or_else(|e| {
        let said = crate::tr!("airgapd-error", error = format!("{e:#}"));
        eprintln!("{}", crate::i18n::wrap(&format!("airgapd: {said}"), 80, 2));
        1
    })
}
