//! `airgapctl release sign|apply`: a whole-machine installation leaves the air gap only by a
//! signed release order (`crate::release`). `sign` is for the security office (checks the order,
//! then runs `ssh-keygen -Y sign -n airgapd-release`); `apply` (root) verifies it, lifts
//! enforcement (as `airgapd lift`, recorded with the order) and remembers the order so it is
//! never applied again. Exit 0 done; 1 refused or failed; 4 not root.

use std::path::PathBuf;

use super::client::CtlError;
use super::output::{say, say_error};
use super::Ctx;
use crate::cli::lift::{self, Authority, LiftArgs};
use crate::journal::{field, MessageId, Priority, Record, Sink};
use crate::paths;
use crate::release::{self, ReleaseError, Setup};
use crate::tr;
use crate::update::signature_path;

/// `airgapctl release ...`.
#[derive(Debug, clap::Subcommand)]
pub enum ReleaseCommand {
    /// Sign a release order (security office): checks it, then runs `ssh-keygen -Y sign`.
    Sign(SignArgs),
    /// Apply a signed release order for this machine (root): verified, then enforcement is
    /// lifted and the order recorded. Stop the service first.
    Apply(ApplyArgs),
}

/// Arguments of `airgapctl release sign`.
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// The security office's private key (the one that signs policy updates).
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,
    /// The order; the signature is written to ORDER.sig.
    pub file: PathBuf,
}

/// Arguments of `airgapctl release apply`.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// The signed order; its signature is ORDER.sig next to it.
    pub file: PathBuf,
    /// The pin directory whose enforcement to lift.
    #[arg(long, value_name = "DIR", default_value = paths::PIN_DIR)]
    pub pin_dir: PathBuf,
    /// The enforcement record (what `airgapctl status` reads) [default: from the pin
    /// directory, as `airgapd service`].
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// journald's native socket.
    #[arg(long, value_name = "PATH")]
    pub journal_socket: Option<PathBuf>,
    /// The trusted public keys (those of policy updates).
    #[arg(long, value_name = "DIR", default_value = paths::TRUSTED_KEYS_DIR)]
    pub trusted_keys: PathBuf,
    /// This machine's id.
    #[arg(long, value_name = "FILE", default_value = paths::MACHINE_ID)]
    pub machine_id: PathBuf,
    /// The orders applied on this machine (an order is applied once).
    #[arg(long, value_name = "FILE", default_value = paths::RELEASE_ORDERS)]
    pub orders: PathBuf,
}

/// Run `airgapctl release`.
pub fn run(_ctx: &Ctx, command: ReleaseCommand) -> Result<i32, CtlError> {
    match command {
        ReleaseCommand::Sign(args) => sign(args),
        ReleaseCommand::Apply(args) => apply(args),
    }
}

fn sign(args: SignArgs) -> Result<i32, CtlError> {
    let text = match std::fs::read_to_string(&args.file) {
        Ok(t) => t,
        Err(e) => {
            let file = args.file.display().to_string();
            say_error(&tr!(
                "release-cannot-read",
                file = file,
                error = e.to_string()
            ));
            return Ok(1);
        }
    };
    if let Err(e) = release::parse(&text, &args.file) {
        say_error(&tr!("release-not-signed", error = e.to_string()));
        return Ok(1);
    }
    let ssh_keygen = std::path::Path::new(paths::SSH_KEYGEN);
    match release::sign_command(ssh_keygen, &args.key, &args.file).status() {
        Ok(s) if s.success() => {}
        Ok(s) => {
            let status = s.to_string();
            let program = paths::SSH_KEYGEN;
            say_error(&tr!(
                "release-sign-failed",
                program = program,
                status = status
            ));
            return Ok(1);
        }
        Err(e) => {
            let program = paths::SSH_KEYGEN;
            let error = e.to_string();
            say_error(&tr!(
                "release-sign-cannot-run",
                program = program,
                error = error
            ));
            return Ok(1);
        }
    }
    say(&tr!(
        "release-signed",
        file = args.file.display().to_string(),
        signature = signature_path(&args.file).display().to_string()
    ));
    Ok(0)
}

fn outcome(sink: &Sink, ok: bool, message: String) {
    let r = Record::new(MessageId::ReleaseOrder, message)
        .priority(if ok {
            Priority::Notice
        } else {
            Priority::Warning
        })
        .field(field::UID, nix::unistd::getuid())
        .field(
            field::RESULT,
            if ok {
                field::result::SUCCESS
            } else {
                field::result::FAILURE
            },
        );
    if let Err(e) = sink.send(&r) {
        say_error(&tr!("release-record-failed", error = e.to_string()));
    }
}

fn apply(args: ApplyArgs) -> Result<i32, CtlError> {
    if !nix::unistd::geteuid().is_root() {
        say_error(&tr!("release-apply-not-root"));
        return Ok(4);
    }
    let sink = match &args.journal_socket {
        Some(p) => Sink::detect_at(p),
        None => Sink::detect(),
    };
    let setup = Setup {
        trusted_keys: args.trusted_keys.clone(),
        ssh_keygen: paths::SSH_KEYGEN.into(),
        machine_id: args.machine_id.clone(),
        orders: args.orders.clone(),
    };
    let accepted = match release::check(&setup, &args.file) {
        Ok(a) => a,
        Err(e) => {
            outcome(&sink, false, refusal(&e));
            let said = tr!("release-refused", kind = e.kind(), error = e.to_string());
            say_error(&said);
            return Ok(1);
        }
    };
    let lift_args = LiftArgs {
        pin_dir: args.pin_dir.clone(),
        journal_socket: args.journal_socket.clone(),
        record: args.record.clone(),
        machine_record: None,
        tpm: None,
        yes: true,
        emergency: false,
    };
    if let Err(e) = lift::lift(&lift_args, Authority::Order(accepted.describe())) {
        let order = &accepted.order.order;
        let why = format!("release order {order} is valid but enforcement was not lifted: {e:#}");
        outcome(&sink, false, why);
        let said = tr!(
            "release-not-lifted",
            order = order,
            error = format!("{e:#}")
        );
        say_error(&said);
        return Ok(1);
    }
    if let Err(e) = release::remember(&args.orders, &accepted) {
        say_error(&tr!("release-not-remembered", error = e.to_string()));
    }
    outcome(
        &sink,
        true,
        format!(
            "release order {} applied: {}",
            accepted.order.order,
            accepted.describe()
        ),
    );
    say(&tr!("release-applied", order = &accepted.order.order));
    Ok(0)
}

fn refusal(e: &ReleaseError) -> String {
    format!("release order refused ({}): {e}", e.kind())
}
