# airgapctl inspect: what this PC has been connected to (docs/inspection.md). English.

inspect-title-live = Inspection of this machine, { $time }
inspect-title-root = Inspection of the root filesystem { $root }, { $time }
inspect-caveat = Traces the operating system left. "None found" covers only the dates shown: traces rotate, a live USB boot leaves none, and root can delete them.
inspect-details = Details

## The questions (Law 29/2018 art. 5, the directives).
inspect-question-internet = Connected to the Internet?
inspect-question-network = Connected to a computer network?
inspect-question-phone-or-network-device = Phone or network-capable device attached?
inspect-question-unapproved-storage = Unapproved storage device attached?
inspect-question-bluetooth-pairing = Bluetooth device paired?
inspect-question-uncovered-boots = Started without airgapd?

## The answers.
inspect-answer-found = YES: { $count ->
    [one] 1 trace
   *[other] { $count } traces
} (sources: { $sources })
inspect-answer-none-found = None found between { $from } and { $to } (sources: { $sources })
inspect-answer-none-found-undated = None found (sources: { $sources }; they hold no dated record)
inspect-answer-unknown = Unknown: no source to answer from (looked for: { $missing })
inspect-answer-incomplete = not read whole: { $sources } (see their problems below)
inspect-answer-missing = not present: { $missing }

## Evidence items: { $subject } is a device, profile, host or boot.
inspect-evidence-nm-connected-global = NetworkManager reported an Internet connection (CONNECTED_GLOBAL)
inspect-evidence-nm-connected = NetworkManager reported a network connection: { $subject }
inspect-evidence-nm-activated = NetworkManager connected the interface { $subject }
inspect-evidence-dhcp-lease = A DHCP server gave an address: { $subject }
inspect-evidence-link-carrier = A network cable was connected: { $subject }
inspect-evidence-ntp-server = A time server answered: { $subject }
inspect-evidence-nm-profile = Network profile: { $subject }
inspect-evidence-nm-shared = The PC shared its connection with profile { $subject }
inspect-evidence-nm-deleted-profile = A deleted network profile was once activated: { $subject }
inspect-evidence-dhcp-lease-file = DHCP lease kept: { $subject }
inspect-evidence-apt-source = Packages downloaded from { $subject }
inspect-evidence-bluetooth-bond = Paired Bluetooth device: { $subject }
inspect-evidence-bluetooth-known = Known Bluetooth device (not paired): { $subject }
inspect-evidence-ssh-known-hosts = SSH connections to other computers recorded for user { $subject }
inspect-evidence-usb-phone = Phone: { $subject }
inspect-evidence-usb-network-capable = Network-capable USB device: { $subject }
inspect-evidence-usb-radio = Wi-Fi or Bluetooth adapter: { $subject }
inspect-evidence-usb-storage = Storage device not approved by the policy: { $subject }
inspect-evidence-removable-disk = Removable disk of unknown device: { $subject }
inspect-evidence-boot-without-airgapd = Boot without airgapd: { $subject }
inspect-evidence-boot-not-in-journal = Boot recorded in wtmp that the journal does not hold
inspect-evidence-remote-login = Login from another computer: { $subject }
inspect-evidence-browser-history = Web pages visited (http, https) in the browser of { $subject }
inspect-evidence-interface-configured = Network interface configured: { $subject }
inspect-evidence-when = { $count ->
    [one] once
   *[other] { $count } times
}{ $first ->
    [none] {""}
   *[other] , { $first }{ $last ->
        [none] {""}
       *[other] {" "}– { $last }
    }
} [{ $source }]
inspect-evidence-example = record: { $example }

## USB devices.
inspect-devices-title = USB devices in the journal ({ $count })
inspect-devices-none = No USB device in the journal.
inspect-device-line = { $label }: { $category }, attached { $count ->
    [one] once
   *[other] { $count } times
}, { $first } – { $last }
inspect-device-approved = approved by the policy: "{ $name }" (vendor, product and serial; the filesystem is not in the traces)
inspect-device-network = network interface { $interface } ({ $driver }), MAC { $mac }
inspect-device-disks = removable disks: { $disks }
inspect-category-phone = phone
inspect-category-network-capable = network-capable
inspect-category-radio = Wi-Fi or Bluetooth
inspect-category-camera-or-microphone = camera or microphone
inspect-category-storage = storage
inspect-category-input = keyboard, mouse or other input
inspect-category-other = other

## Boots, policy, sources.
inspect-boots = Boots in the journal: { $count }, of which { $uncovered } without airgapd
inspect-policy-loaded = Policy judging storage devices: { $path } ({ $id }, serial { $serial }), { $media } approved media
inspect-policy-missing = No policy at { $path }: no storage device counts as approved.
inspect-policy-invalid = The policy at { $path } cannot be read, so no storage device counts as approved: { $error }
inspect-sources-title = Evidence sources
inspect-source-present = { $name }: { $records ->
    [one] 1 record
   *[other] { $records } records
}{ $from ->
    [none] {""}
   *[other] , { $from } – { $to }
}
inspect-source-absent = { $name }: not present ({ $paths })
inspect-source-problem = problem: { $problem }
inspect-not-a-directory = --root: { $root } is not a directory

## Source names.
inspect-source-name-journal = system journal
inspect-source-name-nm-profiles = NetworkManager profiles
inspect-source-name-nm-state = NetworkManager state
inspect-source-name-nm-leases = NetworkManager leases
inspect-source-name-dhclient-leases = dhclient leases
inspect-source-name-apt = apt
inspect-source-name-bluez = Bluetooth bonds
inspect-source-name-known-hosts = SSH known hosts
inspect-source-name-browsers = browser history
inspect-source-name-wtmp = login records (wtmp)
inspect-source-name-network-config = network configuration files

# The machine record (issue 19): what airgapd recorded since it was installed.
inspect-evidence-machine-record-altered = The machine record was altered: its chain breaks at line { $subject } (a line removed or edited)
inspect-evidence-boot-not-in-machine-record = Boot the machine record holds no airgapd start for: { $subject }
inspect-source-name-machine-record = airgapd machine record
inspect-since-title = Since airgapd (the machine record, { $path })
inspect-since-absent = No machine record: airgapd never ran on this machine, or the file was deleted.
inspect-since-verified = { $records } records; the chain verifies. Chain head: { $head }
inspect-since-broken = The chain does NOT verify: { $problem }
inspect-since-event-start = airgapd started
inspect-since-event-stop = airgapd stopped
inspect-since-event-policy = policy changed
inspect-since-event-lift = enforcement lifted
inspect-since-event-tamper = tampering found
inspect-since-event-upgrade = enforcement upgraded (new ABI version)
inspect-since-ready = enforcing { $seconds } s after boot
inspect-since-policy = policy { $id } serial { $serial }
inspect-since-signer = signed by { $signer }
inspect-evidence-machine-record-cut = The journal shows machine record line #{ $subject } written, and the file lacks it: lines cut from its end, or the file deleted or replaced by an older copy
inspect-evidence-machine-record-replaced = The machine record's last line #{ $subject } is not the one the journal shows written: the file was replaced
inspect-since-event-summary = summary of the day (refusals by kind, device decisions)
# The TPM in the machine record (issue 19): its reset count at every boot, airgapd's NV counter.
inspect-source-name-tpm = TPM counters
inspect-evidence-tpm-resets-not-in-record = Boots the TPM counted that the machine record does not hold ({ $subject }): the machine was started without airgapd (another system, a live USB, airgapd disabled)
inspect-evidence-tpm-reset-count-went-back = The TPM's reset count went back ({ $subject }): the TPM was cleared, or it is another machine's TPM
inspect-evidence-tpm-counter-gap = airgapd's TPM counter skips values in the machine record ({ $subject }): lines are missing; an older copy of the record was put back and continued, or a write was lost
inspect-evidence-tpm-counter-ahead = The TPM's counter is ahead of the machine record's last value ({ $subject }): the record is an older copy, or lines were cut from its end
inspect-evidence-tpm-counter-went-back = airgapd's TPM counter goes back ({ $subject }): the record was edited or assembled from another machine's, or the TPM was replaced
inspect-evidence-tpm-counter-missing = The TPM holds no airgapd counter ({ $subject }) although the record holds its values: the TPM was cleared or replaced
inspect-evidence-tpm-disappeared = The TPM answered before and is absent from this start on (boot { $subject }): disabled in the firmware or removed; boots from then on cannot be counted
inspect-tpm-recorded = TPM: { $readings } readings in the record; the last: reset count { $reset }, airgapd's counter { $counter }
inspect-tpm-absent = TPM: none. The record's lines say this machine had no TPM airgapd could use: boots airgapd did not see cannot be counted, and an older copy of the record put back cannot be told from the TPM.
inspect-tpm-unrecorded = TPM: the record holds no TPM readings (written by an airgapd without TPM support): boots airgapd did not see cannot be counted from it.
inspect-tpm-errors = { $count } lines say the TPM did not answer.
inspect-tpm-now = The TPM now ({ $device }): reset count { $reset }, airgapd's counter { $counter }
inspect-tpm-now-problem = The TPM { $device } could not be read now: { $problem }
inspect-since-no-tpm = no TPM


# Tamper evidence (issue 19): chain heads across inspections, the journal's seals.
inspect-register-verified = Copy register ({ $path }): { $records } records; the chain verifies. Chain head: { $head }
inspect-register-empty = Copy register ({ $path }): empty.
inspect-register-absent = Copy register ({ $path }): none on this machine.
inspect-register-broken = Copy register ({ $path }): the chain does NOT verify: { $problem }
inspect-heads-note = Write the chain heads above into the inspection record: the next inspection checks them with --previous HEAD.
inspect-source-name-copy-register = airgapd copy register
inspect-previous-title = Chain heads of the previous inspection (--previous):
inspect-previous-prefix = { $head }: still in the record; nothing recorded up to it was changed since.
inspect-previous-missing = { $head }: NOT FOUND: { $path } does not exist (deleted or replaced).
inspect-previous-truncated = { $head }: NOT FOUND: { $path } has { $lines } lines now, fewer than { $seq }: lines were cut from its end, or it was replaced by an older or another file.
inspect-previous-rewritten = { $head }: NOT FOUND: line { $seq } of { $path } now ends the chain with { $now }: that line or one before it was changed and the chain computed again.
inspect-previous-not-a-record = { $head }: NOT FOUND: line { $detail } of { $path } is not a record of that file.
inspect-previous-unreadable = { $head }: could not be checked: { $detail }
inspect-previous-malformed = --previous: { $head } is not a chain head. Give it as the previous report printed it: machine-record:SEQ:HASH or copy-register:SEQ:HASH (HASH: 64 hexadecimal digits).
inspect-evidence-previous-head-missing = The previous inspection's chain head { $subject } is not in the record: the file is gone
inspect-evidence-previous-head-truncated = The previous inspection's chain head { $subject } is not in the record: the file is shorter than it was
inspect-evidence-previous-head-rewritten = The previous inspection's chain head { $subject } is not in the record: what was recorded up to it was rewritten
inspect-evidence-previous-head-not-a-record = The previous inspection's chain head { $subject } is not in the record: a line up to it is not a record
inspect-evidence-previous-head-unreadable = The previous inspection's chain head { $subject } could not be checked: the record cannot be read
inspect-verify-key-malformed = --verify-key: { $key } is not a journal verification key. Give it as airgapctl seal-journal printed it: SEED/START-INTERVAL (for example 045ee3-9b276b-86091c-c2e96c/1e7591-35a4e900).
inspect-seal-passed = Journal sealing (--verify-key; key from { $start }, a new sealing key every { $minutes } min): PASSED. Entries from { $from } on are in sealed files whose seals verify.
inspect-seal-failed = Journal sealing (--verify-key; key from { $start }, a new sealing key every { $minutes } min): FAILED. Entries from { $from } on must be in sealed files whose seals verify; see the files marked [!].
inspect-seal-file-verified = { $path }: sealed, the seals verify ({ $entries } entries, #{ $first } to #{ $last }, { $from } to { $to })
inspect-seal-file-failed = { $path }: verification FAILED ({ $entries } entries, #{ $first } to #{ $last }): altered, damaged, or the key is not this machine's. journalctl: { $detail }
inspect-seal-file-unsealed-after-key = { $path }: NO SEALS, yet it holds entries from after sealing began ({ $entries } entries, #{ $first } to #{ $last }, { $from } to { $to }): FAILED (journalctl's own verification passes such a file)
inspect-seal-file-unsealed-before-key = { $path }: no seals; its entries are from before sealing began ({ $entries } entries, #{ $first } to #{ $last }, { $from } to { $to }): the key cannot vouch for them
inspect-evidence-journal-seal-failed = The journal file { $subject } fails verification with the sealing key: it was altered or damaged, or the key is not this machine's
inspect-evidence-journal-unsealed-after-key = The journal file { $subject } has no seals although it holds entries from after sealing began: it may have replaced a sealed file

## airgapctl inspect --journal-dir: the journals the office's log host collected (issue 21).
inspect-fleet-title = Journals collected in { $dir }, { $time }
inspect-fleet-no-machines = No collected journal here (files remote-NAME.journal): { $dir }
inspect-fleet-machine = { $name }: { $entries ->
    [one] { $entries } record
   *[other] { $entries } records
} from { $first } to { $last }; { $refusals } refused by airgapd; { $lost } losses of isolation
inspect-fleet-machine-empty = { $name }: no record at all.
inspect-fleet-silent = Finding: { $name } has sent nothing since { $last }, more than { $hours } hours: it is off, cut off from the LAN, or its upload stopped. Its records of that time are only on the machine.
inspect-fleet-missing = Finding: { $name } is expected but has no journal here: it was never set up, or never reached the log host.
inspect-fleet-none = No finding: every machine sent records within the last { $hours } hours.
inspect-fleet-unreadable = cannot read the journal directory { $dir }: { $error }
inspect-fleet-limit = A machine is silent after { $hours } hours without a record ({ $from ->
    [policy] silent_after_hours of [network.log_host] in { $file }
    [command-line] --silent-after on the command line{ $file }
   *[default] the default: no policy names a log host{ $file }
}).
inspect-fleet-policy-no-log-host = { $file } has no [network.log_host] table to take silent_after_hours from: name the office's policy for the PCs of the LAN, or give --silent-after.
inspect-fleet-policy-invalid = the policy giving the silence limit cannot be used: { $error }
