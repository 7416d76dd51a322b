//! `[network.log_host]`: the office's log host, reached by `systemd-journal-upload` only.
//!
//! Naming a log host must not loosen anything: it opens one address and port, to one cgroup.
//! So the host must lie in a LAN (it is reached over that LAN's interface) and must not also
//! be one of its listed peers (every process could reach it then, on every port).

use std::net::IpAddr;
use std::ops::Range;

use super::{is_broadcast, join_cidrs};
use crate::check::Checker;
use crate::model::{Lan, LogHost, Profile};
use crate::raw::RawLogHost;

/// Checks the table; `lans` is `None` when a LAN entry had errors (containment is then not
/// judged, or a typo in a subnet would also flag the log host).
pub(super) fn check(
    c: &mut Checker<'_>,
    raw: &RawLogHost,
    profile: Option<Profile>,
    lans: Option<&[Lan]>,
) -> Option<LogHost> {
    let errors_before = c.errors.len();
    // The table itself carries no position (see raw.rs): place table-wide errors at its first
    // key, or at the start of the file for an empty table.
    let table_span: Range<usize> = [
        raw.address.as_ref().map(|v| v.span()),
        raw.port.as_ref().map(|v| v.span()),
        raw.cgroup.as_ref().map(|v| v.span()),
        raw.silent_after_hours.as_ref().map(|v| v.span()),
    ]
    .into_iter()
    .flatten()
    .min_by_key(|span| span.start)
    .unwrap_or(0..0);

    if let Some(profile @ Profile::Standalone) = profile {
        c.error(
            table_span.clone(),
            "network.log_host",
            format!("a log host is named but the profile is \"{profile}\""),
            "profile = \"isolated-lan\" in [network] with the LAN the log host is on, or no \
             [network.log_host] table",
        );
    }

    let address = c
        .required(
            table_span,
            "network.log_host.address",
            &raw.address,
            "the log host's IP address on the LAN, e.g. \"192.168.50.2\"",
        )
        .and_then(|value| {
            let parsed = value.get_ref().parse::<IpAddr>();
            if parsed.is_err() {
                c.error(
                    value.span(),
                    "network.log_host.address",
                    format!("{:?} is not an IP address", value.get_ref()),
                    "an IPv4 or IPv6 address without prefix, e.g. \"192.168.50.2\"",
                );
            }
            Some((value.span(), parsed.ok()?))
        });
    if let (Some((span, ip)), Some(lans)) = (&address, lans) {
        on_a_lan(c, span.clone(), *ip, lans);
    }

    let port = raw
        .port
        .as_ref()
        .map_or(Some(LogHost::DEFAULT_PORT), |port| {
            c.int("network.log_host.port", port, 1..=65535)
        });

    let cgroup = match &raw.cgroup {
        None => Some(LogHost::DEFAULT_CGROUP.to_string()),
        Some(value) => match cgroup_path(value.get_ref()) {
            Ok(path) => Some(path),
            Err(problem) => {
                c.error(
                    value.span(),
                    "network.log_host.cgroup",
                    problem,
                    format!(
                        "a cgroup path relative to the enforcement scope's cgroup, e.g. \
                         \"{}\"",
                        LogHost::DEFAULT_CGROUP
                    ),
                );
                None
            }
        },
    };

    let silent_after_hours = raw.silent_after_hours.as_ref().map_or(
        Some(LogHost::DEFAULT_SILENT_AFTER_HOURS),
        |hours| {
            c.int(
                "network.log_host.silent_after_hours",
                hours,
                1..=i64::from(LogHost::MAX_SILENT_AFTER_HOURS),
            )
        },
    );

    if c.errors.len() != errors_before {
        return None;
    }
    Some(LogHost {
        address: address?.1,
        port: port?,
        cgroup: cgroup?,
        silent_after_hours: silent_after_hours?,
    })
}

/// The log host lies in exactly one LAN's subnets and is none of its listed peers.
fn on_a_lan(c: &mut Checker<'_>, span: Range<usize>, ip: IpAddr, lans: &[Lan]) {
    let field = "network.log_host.address";
    let Some(lan) = lans
        .iter()
        .find(|lan| lan.subnets.iter().any(|net| net.contains(ip)))
    else {
        let subnets: Vec<_> = lans.iter().flat_map(|lan| lan.subnets.clone()).collect();
        c.error(
            span,
            field,
            format!("{ip} is outside every LAN's subnets"),
            format!(
                "an address in {}: the log host must be on the independent LAN",
                join_cidrs(&subnets)
            ),
        );
        return;
    };
    if let Some(net) = lan.subnets.iter().find(|net| is_broadcast(net, ip)) {
        c.error(
            span,
            field,
            format!("{ip} is a broadcast address of {net}"),
            "the address of the one log host",
        );
    } else if lan.peers.contains(&ip) {
        c.error(
            span,
            field,
            format!("{ip} is also a peer of LAN \"{}\"", lan.name),
            "the log host left out of peers: as a peer every process could reach it on every \
             port, while as the log host only the upload service reaches it, on its port",
        );
    }
}

/// A normalised relative cgroup path, or why the text is not one.
fn cgroup_path(text: &str) -> Result<String, String> {
    if text.starts_with('/') {
        return Err(format!(
            "{text:?} is absolute; it would not follow the scope"
        ));
    }
    let parts: Vec<&str> = text.split('/').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        return Err(
            "the path is empty: the scope's own cgroup would let every process of it through"
                .to_string(),
        );
    }
    if let Some(bad) = parts
        .iter()
        .find(|p| **p == "." || **p == ".." || p.chars().any(char::is_control))
    {
        return Err(format!("{text:?} has the component {bad:?}"));
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::cgroup_path;

    #[test]
    fn cgroup_paths_are_relative_and_normalised() {
        assert_eq!(
            cgroup_path("system.slice//x.service/").unwrap(),
            "system.slice/x.service"
        );
        for bad in ["/system.slice/x", "", "/", "a/../b", "./a", "a/\nb"] {
            assert!(cgroup_path(bad).is_err(), "{bad:?}");
        }
    }
}
