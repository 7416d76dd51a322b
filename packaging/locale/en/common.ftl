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

## Why a device was decided so (the daemon's reasons, issue 18). $X is a list of device kinds.
usb-category-storage = a memory stick or disk
usb-category-keyboard = a keyboard
usb-category-mouse = a mouse
usb-category-input = an input device
usb-category-hub = a USB hub
usb-category-printer = a printer
usb-category-network = a network adapter (phone tethering or USB Ethernet)
usb-category-serial = a serial port or modem
usb-category-wireless = a wireless controller
usb-category-bluetooth = a Bluetooth adapter
usb-category-phone-mtp = a phone offering file transfer (MTP)
usb-category-phone-ptp = a phone or camera offering picture transfer (PTP)
usb-category-audio = a microphone or other sound recording device
usb-category-video = a camera or other video recording device
usb-category-smartcard = a smart card reader
usb-category-vendor = a manufacturer-specific device
usb-category-unknown = an unknown kind of device
reason-usb-root-hub = authorized: the USB controller's own root hub, part of this PC
reason-usb-no-interface = refused: the device does not say what kind of device it is (it declares no interface)
reason-usb-storage-and-more = refused: this device presents itself as a memory stick or disk and also as { $others }; a storage device with other functions is refused as a whole (a stick that types keystrokes is a known attack)
reason-usb-approved-medium = authorized: approved medium "{ $name }"; its contents stay locked until its full identity is checked
reason-usb-storage-not-approved = refused: this is a memory stick or disk (vendor { $vendor }, product { $product }, serial { $serial }) that is not on the list of approved media
reason-usb-storage-not-approved-no-serial = refused: this is a memory stick or disk (vendor { $vendor }, product { $product }, no serial) that is not on the list of approved media
reason-usb-named = authorized: named in the policy as "{ $name }" ({ $what })
reason-usb-allowed-kind = authorized: this device is { $what }; keyboards, mice, hubs, printers and smart card readers are allowed and recorded
reason-usb-refused = refused: this device is { $first }; { $first_key ->
    [network] network devices are not allowed on this drafting PC
    [serial] serial links to other equipment are not allowed on this drafting PC
    [wireless] radio devices are not allowed on this drafting PC
    [bluetooth] radio devices are not allowed on this drafting PC
    [phone-mtp] phones and cameras may not exchange files with this drafting PC
    [phone-ptp] phones and cameras may not exchange files with this drafting PC
    [audio] recording devices are not allowed on this drafting PC
    [video] recording devices are not allowed on this drafting PC
    [vendor] what it does cannot be checked (USB Ethernet, Wi-Fi and serial adapters look like this), so it is allowed only when the policy names it
    [unknown] only known kinds of device are allowed (USB classes { $classes })
    [smartcard] the policy does not allow smart card readers
    [printer] the policy does not allow printers
    [keyboard] the policy does not allow new keyboards, mice or other input devices
    [mouse] the policy does not allow new keyboards, mice or other input devices
    [input] the policy does not allow new keyboards, mice or other input devices
   *[other] it is not allowed
}
reason-also = { " " }(it also declares { $also })
reason-block-storage-and-more = refused: this storage device also presents itself as { $others }; such devices are not allowed on this drafting PC
reason-block-not-approved = refused: this storage device is not an approved medium issued by the cipher authority; only registered media may be used on this drafting PC. Hand it to the security officer.
reason-block-approved = approved medium "{ $name }"
reason-block-whole-disk = whole disk of approved medium "{ $name }" ({ $partitions }): read only (partition table)
reason-block-not-answering = refused: this storage device did not answer within { $seconds } seconds; it stays refused. Unplug it and hand it to the security officer.
reason-block-unreadable = refused: { $error }
reason-list-and = { $rest } and { $last }
journal-reason = Why: { $reason }
