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
