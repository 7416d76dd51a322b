//! `airgapd lift --yes`: remove pinned enforcement. The only way enforcement ends; root only,
//! and recorded at alert priority before anything is removed.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::journal::{field, MessageId, Record, Sink};
use crate::paths;

/// Arguments of `airgapd lift`.
#[derive(Debug, clap::Args)]
pub struct LiftArgs {
    /// The pin directory whose enforcement to lift.
    #[arg(long, value_name = "DIR", default_value = paths::PIN_DIR)]
    pub pin_dir: PathBuf,
    /// journald's native socket.
    #[arg(long, value_name = "PATH")]
    pub journal_socket: Option<PathBuf>,
    /// Confirm: the machine stops being air-gapped.
    #[arg(long)]
    pub yes: bool,
}

/// Unpin every link and map in the pin directory; the kernel detaches what nothing holds.
pub fn run(args: LiftArgs) -> Result<i32> {
    if !nix::unistd::geteuid().is_root() {
        bail!("only root may lift enforcement");
    }
    if !args.yes {
        bail!("lifting enforcement makes this machine able to connect; repeat with --yes");
    }
    let sink = match &args.journal_socket {
        Some(p) => Sink::detect_at(p),
        None => Sink::detect(),
    };
    let record = Record::new(
        MessageId::EnforcementLifted,
        format!("enforcement in {} lifted by root", args.pin_dir.display()),
    )
    .field(field::UID, nix::unistd::getuid())
    .field(field::PID, std::process::id());
    sink.send(&record)
        .context("recording the lift (nothing was removed)")?;

    let entries = std::fs::read_dir(&args.pin_dir)
        .with_context(|| format!("reading {}", args.pin_dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        std::fs::remove_file(&path).with_context(|| format!("unpinning {}", path.display()))?;
    }
    std::fs::remove_dir(&args.pin_dir)
        .with_context(|| format!("removing {}", args.pin_dir.display()))?;
    eprintln!("airgapd: enforcement lifted ({})", args.pin_dir.display());
    Ok(0)
}
