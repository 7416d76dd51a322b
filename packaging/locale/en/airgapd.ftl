# airgapd's words (airgapd run). English. How to add one: docs/translations.md.
# "airgapd: " comes before each line.
run-not-root = airgapd run must run as root: it loads BPF programs and creates a cgroup
run-warning = warning: { $warning }
run-enforcing = enforcing { $mode ->
    [none] no network
    [loopback] loopback only
    [lan-loopback] the isolated LAN and loopback only
   *[lan] the isolated LAN only
} and no removable storage in cgroup { $cgroup }
run-lan = LAN "{ $name }" on the interface with MAC { $mac }: peers { $peers }
run-layer-unavailable = layer { $layer } unavailable: { $why }
run-lost = { $count ->
    [one] 1 more refusal was counted but not shown (event buffer full)
   *[other] { $count } more refusals were counted but not shown (event buffer full)
}
run-undecodable = { $count } events could not be decoded (version mismatch)
airgapd-error = error: { $error }

## airgapd lift. The records in the journal stay in English (journalctl -x explains them).
lift-not-root = only root may lift enforcement
lift-confirm = lifting enforcement makes this machine able to connect; repeat with --yes
# $stop: the command that stops the daemon.
lift-running = airgapd service (process { $pid }) is running and would keep enforcing; stop it first with `{ $stop }`, then run airgapd lift again. Nothing was removed.
lift-needs-order = this machine is enforced as a whole: it may leave the air gap only by a signed release order, after its secrets were removed (Law 29/2018/QH14, article 5, clause 7): airgapctl release apply ORDER. If it is locked out, `airgapd lift --yes --emergency` lifts it, recorded at alert priority as an emergency lift. Nothing was removed.
lift-reading = cannot read { $dir }
lift-not-recorded = the lift could not be recorded, so nothing was removed
lift-unpinning = cannot remove { $path }
lift-still-held = the pins were removed but links { $ids } are still held by a process and keep enforcing; find it with `bpftool link show` and end it, or start airgapd again
lift-alert-unrecorded = error: enforcement is lifted but the alert could not be recorded: { $error }
lift-done = enforcement lifted ({ $dir }); removed: { $removed }
# What a lift removed, joined with "; " into $removed above.
lift-removed-links = { $count ->
    [one] 1 link ({ $names })
   *[other] { $count } links ({ $names })
}
lift-removed-maps = { $count ->
    [one] 1 map ({ $names })
   *[other] { $count } maps ({ $names })
}
lift-removed-nothing = nothing was pinned
lift-removed-tc = tc filters (kernel without TCX) on { $interfaces }
lift-removed-usb = USB authorization restored to the kernel default ({ $buses })
lift-removed-usb-failed = USB authorization NOT restored: { $error }
