//! `airgapd`: the air-gap enforcement daemon and its `run` command.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "airgapd",
    version,
    about = "Air-gap enforcement in the kernel with eBPF"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one command with network enforcement in a cgroup of its own.
    Run(airgapd::cli::run::RunArgs),
    /// The enforcement daemon (systemd runs this).
    Service(airgapd::cli::service::ServiceArgs),
    /// Remove pinned enforcement: the machine stops being air-gapped. Root only, recorded.
    Lift(airgapd::cli::lift::LiftArgs),
}

fn main() {
    airgapd::logging::init();
    let code = match Cli::parse().command {
        Command::Run(args) => airgapd::cli::run::run(args),
        Command::Service(args) => airgapd::cli::service::run(args),
        Command::Lift(args) => airgapd::cli::lift::run(args),
    };
    match code {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("airgapd: error: {e:#}");
            std::process::exit(1);
        }
    }
}
