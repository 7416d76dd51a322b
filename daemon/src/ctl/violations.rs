//! `airgapctl violations [--since SEQ] [--kind KIND] [--limit N]`: the refusals airgapd keeps.

use std::collections::VecDeque;

use super::client::{Client, CtlError};
use super::output::{print_json, violation_line};
use super::Ctx;
use crate::dbus::ViolationEntry;
use crate::tr;
use crate::violation::Kind;

/// Violations asked for per call.
const PAGE: u32 = 500;

/// Arguments of `airgapctl violations`.
#[derive(Debug, clap::Args)]
pub struct ViolationsArgs {
    /// Only refusals after this sequence number, oldest first: pass the last `seq` seen to
    /// follow on from it. Without it, the newest refusals are shown.
    #[arg(long, value_name = "SEQ")]
    pub since: Option<u64>,
    /// Only refusals of this kind (net.create, net.connect, net.bind, net.send, net.egress,
    /// net.ingress, net.wire-egress, net.wire-ingress, net.sockopt, dev.block, dev.char, exec: programs on
    /// removable media) or group (net, dev).
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// Show at most N refusals.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
}

/// Which end of the kept refusals to take when there are more than the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The first ones after the starting point.
    Oldest,
    /// The last ones.
    Newest,
}

/// Up to `limit` refusals after `after` that `keep` accepts, oldest first, asking page by page.
pub async fn fetch(
    client: &Client,
    mut after: u64,
    limit: usize,
    end: End,
    keep: impl Fn(&ViolationEntry) -> bool,
) -> Result<Vec<ViolationEntry>, CtlError> {
    let mut out = VecDeque::new();
    if limit == 0 {
        return Ok(Vec::new());
    }
    loop {
        let page = client.read(
            "read the violations",
            client.proxy.violations(after, PAGE).await,
        )?;
        let Some(last) = page.last().map(|v| v.seq) else {
            break;
        };
        let full = page.len() == PAGE as usize;
        for v in page.into_iter().filter(|v| keep(v)) {
            out.push_back(v);
            if out.len() > limit {
                match end {
                    End::Oldest => break,
                    End::Newest => out.pop_front(),
                };
            }
        }
        if !full || last <= after || (end == End::Oldest && out.len() >= limit) {
            break;
        }
        after = last;
    }
    out.truncate(limit);
    Ok(out.into())
}

/// Check a `--kind` value: a kind name or a group (`net`, `dev`).
pub fn kind_filter(kind: Option<&str>) -> Result<impl Fn(&ViolationEntry) -> bool, CtlError> {
    let wanted = kind.map(str::to_string);
    if let Some(k) = &wanted {
        let known = Kind::REPORTED
            .iter()
            .any(|kind| kind.name() == k || kind.name().starts_with(&format!("{k}.")));
        if !known {
            let names: Vec<&str> = Kind::REPORTED.iter().map(|k| k.name()).collect();
            return Err(CtlError::Usage(tr!(
                "violations-unknown-kind",
                kind = k,
                kinds = names.join(", ")
            )));
        }
    }
    Ok(move |v: &ViolationEntry| match &wanted {
        None => true,
        Some(k) => v.kind == *k || v.kind.starts_with(&format!("{k}.")),
    })
}

/// Run `airgapctl violations`.
pub async fn run(ctx: &Ctx, args: ViolationsArgs) -> Result<i32, CtlError> {
    let keep = kind_filter(args.kind.as_deref())?;
    let client = ctx.connect().await?;
    let (after, end) = match args.since {
        Some(seq) => (seq, End::Oldest),
        None => (0, End::Newest),
    };
    let list = fetch(&client, after, args.limit, end, keep).await?;
    if ctx.json {
        print_json(&list);
    } else if list.is_empty() {
        match args.since {
            Some(seq) => println!("{}", tr!("violations-none-after", seq = seq)),
            None => println!("{}", tr!("violations-none")),
        }
    } else {
        for v in &list {
            println!("{}", violation_line(v));
        }
    }
    Ok(0)
}
