//! `airgapctl media ...`: approved media. Needs no daemon.

use super::client::CtlError;
use super::Ctx;

/// `airgapctl media ...`.
#[derive(Debug, clap::Subcommand)]
pub enum MediaCommand {
    /// Print a ready [[media]] entry for a plugged-in medium (vendor, product, serial,
    /// filesystem UUID and label); --append FILE adds it to a policy file after a policy check.
    Enroll(super::enroll::EnrollArgs),
}

/// Run `airgapctl media ...`.
pub fn run(ctx: &Ctx, command: MediaCommand) -> Result<i32, CtlError> {
    match command {
        MediaCommand::Enroll(args) => super::enroll::run(ctx, args),
    }
}
