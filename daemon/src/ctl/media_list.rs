//! `airgapctl media list`: the approved media of a policy file (the installed one by default),
//! read with the daemon's own loader. `--names` prints one name per line for shell completion
//! (`airgapctl register --medium <TAB>`), and nothing when the file cannot be used.

use std::path::PathBuf;

use serde::Serialize;

use super::client::CtlError;
use super::output::{print_json, wrap};
use super::Ctx;
use crate::tr;

/// Arguments of `airgapctl media list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// The policy file [default: the installed one].
    #[arg(long, value_name = "FILE", default_value = crate::paths::POLICY_FILE)]
    pub policy: PathBuf,
    /// Only the names, one per line (for shell completion).
    #[arg(long)]
    pub names: bool,
}

/// One approved medium, for `--json`.
#[derive(Debug, Serialize)]
pub struct MediumEntry {
    /// Its name (what the copy register and the records call it).
    pub name: String,
    /// `read-only` or `read-write`.
    pub access: &'static str,
    /// USB vendor and product id (`0951:1666`), when given.
    pub usb_id: Option<String>,
    /// USB serial number, when given.
    pub serial: Option<String>,
    /// Filesystem label, when given.
    pub fs_label: Option<String>,
    /// Filesystem UUID, when given.
    pub fs_uuid: Option<String>,
}

/// List the media; exit 1 when the file cannot be used (its errors on stderr, but for
/// `--names`).
pub fn run(ctx: &Ctx, args: ListArgs) -> Result<i32, CtlError> {
    let policy = match airgapd_policy::load(&args.policy) {
        Ok(checked) => checked.policy,
        Err(_) if args.names => return Ok(1),
        Err(e) => {
            eprintln!("{e}");
            return Ok(1);
        }
    };
    let entries: Vec<MediumEntry> = policy
        .media
        .iter()
        .map(|m| MediumEntry {
            name: m.name.clone(),
            access: match m.access {
                airgapd_policy::Access::ReadOnly => "read-only",
                airgapd_policy::Access::ReadWrite => "read-write",
            },
            usb_id: m.vendor_id.map(|v| {
                format!(
                    "{v:04x}:{}",
                    m.product_id
                        .map(|p| format!("{p:04x}"))
                        .unwrap_or_else(|| "*".into())
                )
            }),
            serial: m.serial.clone(),
            fs_label: m.fs_label.clone(),
            fs_uuid: m.fs_uuid.clone(),
        })
        .collect();
    if args.names {
        for e in &entries {
            println!("{}", e.name);
        }
    } else if ctx.json {
        print_json(&entries);
    } else if entries.is_empty() {
        println!(
            "{}",
            wrap(
                &tr!("media-list-none", file = args.policy.display().to_string()),
                2
            )
        );
    } else {
        for e in &entries {
            let access = crate::i18n::text(
                if e.access == "read-only" {
                    "media-list-read-only"
                } else {
                    "media-list-read-write"
                },
                None,
            );
            println!(
                "{}",
                wrap(&tr!("media-list-entry", name = &e.name, access = access), 4)
            );
            let none = || tr!("media-list-any");
            println!(
                "{}",
                wrap(
                    &format!(
                        "    {}",
                        tr!(
                            "media-list-identity",
                            usb = e.usb_id.clone().unwrap_or_else(none),
                            serial = e.serial.clone().unwrap_or_else(none),
                            label = e.fs_label.clone().unwrap_or_else(none),
                            uuid = e.fs_uuid.clone().unwrap_or_else(none)
                        )
                    ),
                    6
                )
            );
        }
    }
    Ok(0)
}
