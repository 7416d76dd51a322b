//! `airgapctl fleet host-setup|pc-setup` (issue 21): the office's remote journal set up with
//! systemd's own services, `systemd-journal-remote` on the log host and
//! `systemd-journal-upload` on each PC (`crate::fleet`). Every file written is listed.
//! Exit 0 done; 1 failed (said why; files written before the failure are listed).

use std::net::IpAddr;
use std::path::PathBuf;

use super::client::CtlError;
use super::output::{print_json, say_error, wrap};
use super::Ctx;
use crate::fleet::setup::{self, Done, HostSetup, PcSetup};
use crate::i18n::catalog;
use crate::{paths, tr, tr_in};

/// `airgapctl fleet ...`.
#[derive(Debug, clap::Subcommand)]
pub enum FleetCommand {
    /// On the log host: make (or take) the office CA, the log host's key and certificate,
    /// journal-remote.conf, a key and certificate for each --pc to carry to it; enable
    /// systemd-journal-remote.socket.
    HostSetup(HostArgs),
    /// On a PC: install its certificate, key and the office CA, write journal-upload.conf
    /// for the policy's [network.log_host]; enable systemd-journal-upload.service.
    PcSetup(PcArgs),
}

/// Arguments of `airgapctl fleet host-setup`.
#[derive(Debug, clap::Args)]
pub struct HostArgs {
    /// The log host's address on the LAN (the PCs' policies name it in [network.log_host]).
    #[arg(long, value_name = "IP")]
    pub address: IpAddr,
    /// The log host's name in its certificate (default: this machine's host name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Take this office CA certificate instead of making one (with --ca-key).
    #[arg(long, value_name = "FILE", requires = "ca_key")]
    pub ca_cert: Option<PathBuf>,
    /// The key of --ca-cert.
    #[arg(long, value_name = "FILE", requires = "ca_cert")]
    pub ca_key: Option<PathBuf>,
    /// Make a key and certificate for the PC of this name (its journal file on the log host
    /// is named after it); repeat for each PC.
    #[arg(long = "pc", value_name = "NAME")]
    pub pcs: Vec<String>,
    /// Write under DIR instead of / (nothing is enabled then).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
}

/// Arguments of `airgapctl fleet pc-setup`.
#[derive(Debug, clap::Args)]
pub struct PcArgs {
    /// This PC's certificate, as host-setup made it (pcs/NAME/NAME.pem).
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,
    /// This PC's key (pcs/NAME/NAME.key).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The office CA's certificate (ca.pem).
    #[arg(long, value_name = "FILE")]
    pub ca: PathBuf,
    /// The policy naming the log host (default: the installed one, under --root).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Write under DIR instead of / (nothing is enabled then).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
}

/// Run `airgapctl fleet ...`.
pub fn run(ctx: &Ctx, command: FleetCommand) -> Result<i32, CtlError> {
    let done = match command {
        FleetCommand::HostSetup(args) => {
            let name = args.name.unwrap_or_else(|| {
                nix::sys::utsname::uname()
                    .map(|u| u.nodename().to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
            setup::host_setup(&HostSetup {
                root: args.root,
                name,
                address: args.address,
                ca: args.ca_cert.zip(args.ca_key),
                pcs: args.pcs,
            })
        }
        FleetCommand::PcSetup(args) => {
            let policy = args
                .policy
                .unwrap_or_else(|| crate::fleet::under(&args.root, paths::POLICY_FILE));
            let checked = match airgapd_policy::load(&policy) {
                Ok(c) => c,
                Err(e) => {
                    say_error(&tr!("fleet-failed", error = e.to_string()));
                    return Ok(1);
                }
            };
            let Some(host) = checked.policy.network.log_host else {
                say_error(&tr!(
                    "fleet-no-log-host",
                    file = policy.display().to_string()
                ));
                return Ok(1);
            };
            setup::pc_setup(&PcSetup {
                root: args.root,
                cert: args.cert,
                key: args.key,
                ca: args.ca,
                address: host.address,
                port: host.port,
            })
        }
    };
    match done {
        Ok(done) => {
            if ctx.json {
                print_json(&done);
            } else {
                print!("{}", render(&done));
            }
            Ok(0)
        }
        Err(e) => {
            say_error(&tr!("fleet-failed", error = e.to_string()));
            Ok(1)
        }
    }
}

/// Every file with what it is, then what became of the unit.
pub fn render(done: &Done) -> String {
    let c = catalog();
    let mut out = String::new();
    out.push_str(&wrap(&tr!("fleet-written"), 2));
    out.push('\n');
    for w in &done.files {
        let what = tr_in!(
            c,
            &format!("fleet-file-{}", w.kind.id()),
            path = w.path.display().to_string()
        );
        out.push_str(&wrap(&format!("  {what}"), 4));
        out.push('\n');
    }
    let unit = done.unit.to_string();
    let last = if done.enabled {
        tr!("fleet-enabled", unit = unit)
    } else {
        tr!("fleet-enable-later", unit = unit)
    };
    out.push_str(&wrap(&last, 2));
    out.push('\n');
    out
}
