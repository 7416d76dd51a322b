//! `airgapctl media ...`: approved media. Needs no daemon.

use super::client::CtlError;
use super::Ctx;

/// `airgapctl media ...`.
#[derive(Debug, clap::Subcommand)]
pub enum MediaCommand {
    /// Print a ready [[media]] entry for a plugged-in medium (vendor, product, serial,
    /// filesystem UUID and label); --append FILE adds it to a policy file after a policy check.
    Enroll(super::enroll::EnrollArgs),
    /// List the approved media of the installed policy (or --policy FILE): name, access and
    /// what identifies each; --names prints only the names (shell completion uses it).
    List(super::media_list::ListArgs),
}

/// Run `airgapctl media ...`.
pub fn run(ctx: &Ctx, command: MediaCommand) -> Result<i32, CtlError> {
    match command {
        MediaCommand::Enroll(args) => super::enroll::run(ctx, args),
        MediaCommand::List(args) => super::media_list::run(ctx, args),
    }
}
