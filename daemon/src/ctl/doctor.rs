//! `airgapctl doctor`: what this kernel and boot configuration support, and what to change.
//! Needs no daemon; as root it also test-loads the BPF LSM program and the fmod_ret programs
//! (never attaching them).

use super::client::CtlError;
use super::output::print_json;
use super::output::wrap;
use super::Ctx;
use crate::doctor::{diagnose, display_name, Facts, Status};
use crate::i18n::catalog;
use crate::tr;

/// Arguments of `airgapctl doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {}

/// Print every check; exit 0 when nothing fails, 1 when airgapd cannot enforce here.
pub fn run(ctx: &Ctx, _args: DoctorArgs) -> Result<i32, CtlError> {
    let mut facts = Facts::read();
    if nix::unistd::geteuid().is_root() {
        facts.lsm_loads = Some(crate::bpf::Enforcer::probe_lsm());
        facts.compat_loads = Some(crate::bpf::Enforcer::probe_compat_sockopt());
        facts.create_loads = Some(crate::bpf::Enforcer::probe_fmod_ret_create());
        facts.media_ro_fmod_loads = Some(crate::bpf::Enforcer::probe_media_ro_fmod_ret());
        facts.cgroup_reduced = crate::bpf::Enforcer::probe_cgroup().ok();
    }
    let checks = diagnose(&facts, catalog());
    if ctx.json {
        print_json(&checks);
    } else {
        for c in &checks {
            let mark = match c.status {
                Status::Ok => tr!("doctor-ok"),
                Status::Warn => tr!("doctor-warn"),
                Status::Fail => tr!("doctor-fail"),
            };
            println!(
                "{}",
                wrap(
                    &tr!(
                        "doctor-check",
                        mark = mark,
                        name = display_name(c.name, catalog())
                    ),
                    5
                )
            );
            println!("{}", wrap(&format!("     {}", c.detail), 5));
            if let Some(fix) = &c.fix {
                println!(
                    "{}",
                    wrap(&format!("     {}", tr!("doctor-fix", fix = fix)), 7)
                );
            }
        }
    }
    Ok(if checks.iter().any(|c| c.status == Status::Fail) {
        1
    } else {
        0
    })
}
