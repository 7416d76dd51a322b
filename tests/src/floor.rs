//! The dispatch floor (issue 23): a cgroup with a `return 1` program on every hook another
//! cgroup has programs on, as many per hook, of the same program types. What an operation
//! costs there is what the hooks airgapd uses cost before any of its program bodies runs.
//!
//! The hooks are found by asking the kernel (BPF_PROG_QUERY on the other cgroup, every cgroup
//! attach type), not from a list kept here: the floor follows whatever the enforcer attached.

use std::os::fd::{AsFd, OwnedFd};

use airgapd::links::{self, AttachType, Target};
use airgapd::scope::Scope;
use anyhow::{Context, Result};

/// Every cgroup attach type BPF_PROG_QUERY is asked about.
const CGROUP_HOOKS: [AttachType; 28] = [
    AttachType::BPF_CGROUP_INET_INGRESS,
    AttachType::BPF_CGROUP_INET_EGRESS,
    AttachType::BPF_CGROUP_INET_SOCK_CREATE,
    AttachType::BPF_CGROUP_SOCK_OPS,
    AttachType::BPF_CGROUP_DEVICE,
    AttachType::BPF_CGROUP_INET4_BIND,
    AttachType::BPF_CGROUP_INET6_BIND,
    AttachType::BPF_CGROUP_INET4_CONNECT,
    AttachType::BPF_CGROUP_INET6_CONNECT,
    AttachType::BPF_CGROUP_INET4_POST_BIND,
    AttachType::BPF_CGROUP_INET6_POST_BIND,
    AttachType::BPF_CGROUP_UDP4_SENDMSG,
    AttachType::BPF_CGROUP_UDP6_SENDMSG,
    AttachType::BPF_CGROUP_SYSCTL,
    AttachType::BPF_CGROUP_UDP4_RECVMSG,
    AttachType::BPF_CGROUP_UDP6_RECVMSG,
    AttachType::BPF_CGROUP_GETSOCKOPT,
    AttachType::BPF_CGROUP_SETSOCKOPT,
    AttachType::BPF_CGROUP_INET4_GETPEERNAME,
    AttachType::BPF_CGROUP_INET6_GETPEERNAME,
    AttachType::BPF_CGROUP_INET4_GETSOCKNAME,
    AttachType::BPF_CGROUP_INET6_GETSOCKNAME,
    AttachType::BPF_CGROUP_INET_SOCK_RELEASE,
    AttachType::BPF_CGROUP_UNIX_CONNECT,
    AttachType::BPF_CGROUP_UNIX_SENDMSG,
    AttachType::BPF_CGROUP_UNIX_RECVMSG,
    AttachType::BPF_CGROUP_UNIX_GETPEERNAME,
    AttachType::BPF_CGROUP_UNIX_GETSOCKNAME,
];

/// A cgroup whose hooks mirror another's with `return 1` programs. The links go before the
/// scope is removed (field order).
pub struct Floor {
    links: Vec<OwnedFd>,
    /// `(hook, programs)` mirrored, for the report.
    pub hooks: Vec<(String, usize)>,
    /// The floor's cgroup.
    pub scope: Scope,
}

impl Floor {
    /// A new cgroup (`tag`) with a `return 1` program for each program attached to `of`.
    pub fn mirror(of: &Scope, tag: &str) -> Result<Floor> {
        let scope = Scope::create(tag).context("creating the floor cgroup")?;
        let (of_dir, dir) = (of.dir()?, scope.dir()?);
        let mut floor = Floor {
            links: Vec::new(),
            hooks: Vec::new(),
            scope,
        };
        for attach in CGROUP_HOOKS {
            // EINVAL: a hook this kernel does not have.
            let Ok(ids) = links::cgroup_programs(of_dir.as_fd(), attach) else {
                continue;
            };
            for &id in &ids {
                let info = links::prog_info(id).with_context(|| format!("program {id}"))?;
                let prog = links::load_return_one(info.prog_type, attach)
                    .with_context(|| format!("loading `return 1` for {attach:?}"))?;
                let link = links::create(prog.as_fd(), Target::Cgroup(dir.as_fd()), attach)
                    .with_context(|| format!("attaching `return 1` to {attach:?}"))?;
                floor.links.push(link);
            }
            if !ids.is_empty() {
                let hook = format!("{attach:?}");
                let hook = hook.trim_start_matches("BPF_").to_lowercase();
                floor.hooks.push((hook, ids.len()));
            }
        }
        Ok(floor)
    }
}
