# Messages every airgapd program uses. English (the fallback language).
# How to add or change a message: docs/translations.md.

## Dates and times, in the reader's order. Every part but $year has two digits; $zone is +0700.
datetime = { $year }-{ $month }-{ $day } { $hour }:{ $minute }:{ $second } { $zone }
date = { $year }-{ $month }-{ $day }

## One refusal as a whole sentence, one message per kind (refusal-<kind, dots as dashes>).
## $target: address:port, major:minor, socket family or file; $comm, $pid, $user: who tried
## ($pid 0: a packet no process could be named for; $user: refusal-user or refusal-user-named).
refusal-net-create = { $pid ->
    [0] Refused a socket of family { $target }.
   *[other] Refused a socket of family { $target } for { $comm } (process { $pid }, { $user }).
}
refusal-net-connect = { $pid ->
    [0] Refused a connection to { $target }.
   *[other] Refused a connection to { $target } by { $comm } (process { $pid }, { $user }).
}
refusal-net-bind = { $pid ->
    [0] Refused listening on { $target }.
   *[other] Refused listening on { $target } by { $comm } (process { $pid }, { $user }).
}
refusal-net-send = { $pid ->
    [0] Refused sending to { $target }.
   *[other] Refused sending to { $target } by { $comm } (process { $pid }, { $user }).
}
refusal-net-egress = { $pid ->
    [0] Refused a packet to { $target }.
   *[other] Refused a packet to { $target } from { $comm } (process { $pid }, { $user }).
}
refusal-net-ingress = { $pid ->
    [0] Refused a packet from { $target }.
   *[other] Refused a packet from { $target } for { $comm } (process { $pid }, { $user }).
}
refusal-net-wire-egress = { $pid ->
    [0] Refused a network frame leaving the machine for { $target }.
   *[other] Refused a network frame leaving the machine for { $target } from { $comm } (process { $pid }, { $user }).
}
refusal-net-wire-ingress = { $pid ->
    [0] Refused a network frame arriving from { $target }.
   *[other] Refused a network frame arriving from { $target } for { $comm } (process { $pid }, { $user }).
}
refusal-dev-block = { $pid ->
    [0] Refused access to the storage device { $target }.
   *[other] Refused access to the storage device { $target } by { $comm } (process { $pid }, { $user }).
}
refusal-dev-premounted = { $pid ->
    [0] Refused a file on the storage device { $target }, which was mounted before airgapd started.
   *[other] Refused { $comm } (process { $pid }, { $user }) a file on the storage device { $target }, which was mounted before airgapd started.
}
refusal-dev-char = { $pid ->
    [0] Refused access to the device { $target }.
   *[other] Refused access to the device { $target } by { $comm } (process { $pid }, { $user }).
}
refusal-dev-readonly = { $pid ->
    [0] Refused writing the read-only medium { $target }.
   *[other] Refused writing the read-only medium { $target } by { $comm } (process { $pid }, { $user }).
}
refusal-bpf-guard = { $pid ->
    [0] Refused a change to airgapd's BPF object { $target }.
   *[other] Refused { $comm } (process { $pid }, { $user }) a change to airgapd's BPF object { $target }.
}
refusal-exec = { $pid ->
    [0] Refused running { $target } from a removable medium.
   *[other] Refused running { $target } from a removable medium by { $comm } (process { $pid }, { $user }).
}
# Who tried: the account's name where this machine knows it, always its uid.
refusal-user = uid { $uid }
refusal-user-named = user { $name }, uid { $uid }
# A refusal that stands for several identical ones folded together.
refusal-folded = { $text } (and { $repeats } more like it)

## What airgapd decided about a device (airgapctl devices, airgapd-notify).
decision-internal = internal
decision-read-only = read-only
decision-read-write = read-write
decision-refused = REFUSED
decision-authorized = authorized
decision-blocked = BLOCKED
decision-removed = removed
decision-departed = REMOVED
# A refusal whose address or device the kernel did not give.
target-unknown = (unknown)
