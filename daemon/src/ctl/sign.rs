//! `airgapctl policy sign --key KEY FILE`: for the security office. Checks that FILE is a
//! valid policy (a signed invalid policy would only be refused on every machine), then runs
//! exactly `ssh-keygen -Y sign -f KEY -n airgapd-policy FILE`, which writes FILE.sig: the
//! result is what the standard tool produces, and the office may run that command instead.
//! Exit 0 signed; 1 invalid policy or ssh-keygen failed.

use std::path::PathBuf;

use serde::Serialize;

use super::client::CtlError;
use super::output::print_json;
use super::output::wrap;
use super::Ctx;
use crate::paths;
use crate::tr;
use crate::update::{self, signature_path};

/// Arguments of `airgapctl policy sign`.
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// The security office's private key (made with `ssh-keygen -t ed25519`).
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,
    /// The policy to sign; the signature is written to FILE.sig.
    pub file: PathBuf,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
pub struct Signed {
    /// The policy signed.
    pub file: PathBuf,
    /// The signature written.
    pub signature: PathBuf,
    /// Its `[meta] serial`.
    pub serial: u64,
    /// Its SHA-256.
    pub sha256: String,
    /// The signing key's fingerprint, `SHA256:...`.
    pub fingerprint: String,
}

/// Run `airgapctl policy sign`.
pub fn run(ctx: &Ctx, args: SignArgs) -> Result<i32, CtlError> {
    let text = match std::fs::read_to_string(&args.file) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("airgapctl: {}: {e}", args.file.display());
            return Ok(1);
        }
    };
    let checked = match airgapd_policy::parse(&text, Some(&args.file)) {
        Ok(checked) => checked,
        Err(e) => {
            eprintln!("{e}");
            eprintln!("airgapctl: {}", tr!("sign-invalid"));
            return Ok(1);
        }
    };
    for w in &checked.warnings {
        eprintln!("{}", wrap(&tr!("ctl-warning", warning = w.to_string()), 2));
    }
    let mut cmd = update::sign_command(paths::SSH_KEYGEN.as_ref(), &args.key, &args.file);
    // ssh-keygen asks for the passphrase and before overwriting FILE.sig on the terminal.
    match cmd.status() {
        Ok(status) if status.success() => {}
        Ok(status) => {
            eprintln!(
                "airgapctl: {}",
                tr!(
                    "sign-failed",
                    program = paths::SSH_KEYGEN,
                    status = status.to_string()
                )
            );
            return Ok(1);
        }
        Err(e) => {
            eprintln!(
                "airgapctl: {}",
                tr!(
                    "sign-cannot-run",
                    program = paths::SSH_KEYGEN,
                    error = e.to_string()
                )
            );
            return Ok(1);
        }
    }
    // ssh-keygen exits 0 when told not to overwrite an old FILE.sig: check what is there.
    let signature = signature_path(&args.file);
    let Some(fingerprint) =
        update::signing_key(paths::SSH_KEYGEN.as_ref(), &signature, text.as_bytes())
    else {
        let text = tr!(
            "sign-not-a-signature",
            signature = signature.display().to_string(),
            file = args.file.display().to_string()
        );
        eprintln!("{}", wrap(&format!("airgapctl: {text}"), 2));
        return Ok(1);
    };
    let signed = Signed {
        signature,
        file: args.file,
        serial: checked.policy.meta.serial,
        sha256: checked.policy.sha256().to_string(),
        fingerprint,
    };
    if ctx.json {
        print_json(&signed);
    } else {
        let text = tr!(
            "sign-done",
            file = signed.file.display().to_string(),
            serial = signed.serial,
            sha256 = &signed.sha256,
            fingerprint = &signed.fingerprint,
            signature = signed.signature.display().to_string()
        );
        println!("{}", wrap(&text, 2));
    }
    Ok(0)
}
