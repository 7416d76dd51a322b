//! `airgapctl seal-journal [--interval MINUTES] [--force]` (root): journald Forward Secure
//! Sealing set up on this PC (crate::sealing), and the verification key printed once, as text
//! and as a QR code, with the officer's instructions. Exit 0 journald seals now; 1 the setup
//! failed, or the key was made but journald does not seal yet (said, with the key); 4 not root.

use super::client::CtlError;
use super::output::{local_time, print_json, say_error};
use super::Ctx;
use crate::i18n::catalog;
use crate::sealing::{self, qr, SealError, Setup};
use crate::{tr, tr_in};

/// Arguments of `airgapctl seal-journal`.
#[derive(Debug, clap::Args)]
pub struct SealJournalArgs {
    /// Minutes between two sealing keys: entries of the current epoch can still be changed by
    /// root until it ends; older ones cannot.
    #[arg(long, value_name = "MINUTES", default_value_t = 15,
          value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub interval: u32,
    /// Make a new key although one exists (the old verification key still checks the files
    /// sealed before; keep both).
    #[arg(long)]
    pub force: bool,
}

/// Run `airgapctl seal-journal`.
pub fn run(ctx: &Ctx, args: SealJournalArgs) -> Result<i32, CtlError> {
    if !nix::unistd::geteuid().is_root() {
        say_error(&tr!("seal-journal-not-root"));
        return Ok(4);
    }
    let setup = match sealing::setup(args.interval, args.force) {
        Ok(s) => s,
        Err(SealError::KeyExists { path }) => {
            say_error(&tr!(
                "seal-journal-key-exists",
                path = path.display().to_string()
            ));
            return Ok(1);
        }
        Err(e) => {
            say_error(&tr!("seal-journal-failed", error = e.to_string()));
            return Ok(1);
        }
    };
    if ctx.json {
        print_json(&setup);
    } else {
        print!("{}", render(&setup));
    }
    Ok(if setup.sealing { 0 } else { 1 })
}

/// The text: the steps, the key, its QR code, the officer's instructions.
pub fn render(s: &Setup) -> String {
    let c = catalog();
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&super::output::wrap(&text, 4));
        out.push('\n');
    };
    line(tr!(
        "seal-journal-title",
        host = s.hostname.clone(),
        machine = s.machine_id.clone()
    ));
    line(format!(
        "  {}",
        tr!(
            "seal-journal-config",
            config = s.config.display().to_string(),
            keyfile = s.sealing_key_file.display().to_string()
        )
    ));
    for step in &s.steps {
        let name = tr_in!(c, &format!("seal-journal-step-{}", step.step));
        line(format!(
            "  {}",
            if step.ok {
                tr!(
                    "seal-journal-step-ok",
                    step = name,
                    detail = step.detail.clone()
                )
            } else {
                tr!(
                    "seal-journal-step-failed",
                    step = name,
                    detail = step.detail.clone()
                )
            }
        ));
    }
    line(if s.sealing {
        tr!("seal-journal-sealing-on")
    } else {
        tr!("seal-journal-sealing-off")
    });
    line(String::new());
    line(tr!("seal-journal-key", key = s.key.clone()));
    line(tr!(
        "seal-journal-key-valid",
        start = local_time(s.key_start_us),
        minutes = s.interval_us / 60_000_000
    ));
    line(String::new());
    match qr::render(&s.qr_text) {
        Some(code) => {
            line(tr!("seal-journal-qr", text = s.qr_text.clone()));
            // The code as rendered: never wrapped.
            out.push_str(&code);
            out.push('\n');
        }
        None => line(tr!("seal-journal-qr-none")),
    }
    out.push('\n');
    for id in [
        "seal-journal-instructions-title",
        "seal-journal-instructions-1",
        "seal-journal-instructions-2",
        "seal-journal-instructions-3",
        "seal-journal-instructions-4",
    ] {
        out.push_str(&super::output::wrap(&tr_in!(c, id, key = s.key.clone()), 4));
        out.push('\n');
    }
    out
}

/// Message ids built at run time, for the catalog test.
pub fn runtime_ids() -> Vec<String> {
    ["restart-journald", "flush", "rotate", "check-sealed"]
        .iter()
        .map(|s| format!("seal-journal-step-{s}"))
        .collect()
}
