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
    #[arg(long, value_name = "KIND", value_parser = KindParser, hide_possible_values = true)]
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

/// `--kind`: any text (a wrong one gets airgapctl's own error, in the reader's language),
/// offering the kinds and the groups to shell completion.
#[derive(Debug, Clone, Copy)]
pub struct KindParser;

impl clap::builder::TypedValueParser for KindParser {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let groups = ["net", "dev"].into_iter();
        let kinds = Kind::REPORTED.iter().map(|k| k.name());
        Some(Box::new(
            groups.chain(kinds).map(clap::builder::PossibleValue::new),
        ))
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::builder::TypedValueParser;

    #[test]
    fn completion_offers_every_kind_and_group_but_parsing_leaves_the_check_to_airgapctl() {
        let offered: Vec<String> = KindParser
            .possible_values()
            .unwrap()
            .map(|v| v.get_name().to_string())
            .collect();
        for want in ["net", "dev", "net.connect", "dev.block", "exec"] {
            assert!(
                offered.iter().any(|o| o == want),
                "{want} not in {offered:?}"
            );
        }
        let cmd = clap::Command::new("t");
        let got = KindParser.parse_ref(&cmd, None, std::ffi::OsStr::new("bogus"));
        assert_eq!(got.unwrap(), "bogus");
    }
}
