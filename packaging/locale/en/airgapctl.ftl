# airgapctl's words. English (the fallback language). How to add one: docs/translations.md.
# Every screen fits 80 columns: airgapctl wraps lines at spaces, so keep hashes and paths whole.

## Errors. "airgapctl: " comes before each.
# $bus: "system" for the system bus, else a bus address.
ctl-error-bus = cannot reach { $bus ->
    [system] the system bus
   *[other] the bus at { $bus }
}: { $error }
ctl-error-not-running = airgapd is not running (nobody answers as org.airgapd.Guard1 on { $bus ->
    [system] the system bus
   *[other] the bus at { $bus }
}). See: systemctl status airgapd
# $what: one of the action-* phrases below.
# $by: "bus" when the D-Bus policy refused the call, "daemon" when airgapd itself did.
ctl-error-access-read = access denied: this user may not { $what }. { $by ->
    [daemon] airgapd refused the call.
   *[bus] The bus policy (/usr/share/dbus-1/system.d/org.airgapd.Guard1.conf) lets only some users read: ask the administrator.
}
ctl-error-access-root = access denied: only root may { $what }. Run the command with sudo. ({ $by ->
    [daemon] airgapd refused the call
   *[bus] the bus policy refused the call
})
ctl-error-reload = the policy was not reloaded; the previous policy stays in force: { $detail }
ctl-error-call = cannot { $what }: { $error }
ctl-error-runtime = cannot start: { $error }
ctl-warning = warning: { $warning }

## What airgapctl asked the daemon for, completing the errors above.
action-read-devices = read the device list
action-read-violations = read the refusals
action-reload-policy = reload the policy
action-read-policy = read the policy in force
action-read-status = read the status

## airgapctl devices
devices-none = No devices judged yet.
devices-heading = { $decision }  { $node } ({ $kind })
devices-heading-devnum = { $decision }  { $node } ({ $kind }, device { $devnum })
devices-model = Model: { $model }
devices-usb-id = USB vendor:product: { $vendor }:{ $product }
devices-serial = Serial number: { $serial }
devices-rule = Decided by: { $rule }
devices-reason = Why: { $reason }
devices-present = Present since { $since }
devices-left = Present from { $since } to { $left }
devices-left-unknown = Removed at { $left }
# $decision: one of the decision-* words.
devices-was = Decision while present: { $decision }
device-kind-usb = USB device
device-kind-block = storage
device-kind-char = device
device-kind-camera = camera
device-kind-microphone = microphone
device-kind-radio = radio

## airgapctl violations
violations-none = No refusals recorded.
violations-none-after = No refusals recorded after #{ $seq }.
violations-unknown-kind = unknown kind "{ $kind }": use one of { $kinds }, or a group: net, dev

## airgapctl status: the officer's first question. The headline's lines are wrapped with a
## hanging indent under the answer.
status-yes = AIR-GAPPED: YES. The kernel blocks all network access beyond this computer and every storage device the policy does not allow.
status-partial = AIR-GAPPED: PARTIAL. Some protection is missing or was changed: do not draft or store secret documents on it until this says YES.
status-no = AIR-GAPPED: NO. This machine is NOT protected: do not draft or store secret documents on it until this says YES.
status-unknown = AIR-GAPPED: CANNOT TELL. airgapd is not running and left no record here; run airgapctl status as root to read the kernel's state.
status-daemon-stopped = airgapd is stopped: nothing is recorded until it starts again.
status-from-record = (As airgapd last recorded it; only root can check the kernel itself.)
status-problems = Missing or changed:
status-lifted = Lifted:        { $time } by uid { $uid }: { $removed }
status-tampering = Tampering found by airgapd (latest last):
status-tamper-restored = { $time }  { $what }: { $to } (was { $from }); restored
status-tamper-restored-down = { $time }  { $what }: { $to } (was { $from }, while airgapd was stopped); restored
status-tamper-failed = { $time }  { $what }: { $to } (was { $from }); NOT restored: { $error }
status-tamper-failed-down = { $time }  { $what }: { $to } (was { $from }, while airgapd was stopped); NOT restored: { $error }
status-unrepaired = { $what } was changed and could not be restored: { $error }
status-record-unusable = the enforcement record cannot be used: { $error }
# What is wrong with the pins, as status reads them from the kernel without the daemon.
# $program: airgapd's program (or a pin's name); $have and $want: found and set by airgapd.
status-problem-not-pinned = { $program }: not pinned (not enforcing)
status-problem-unreadable = { $program }: cannot be read ({ $error })
status-problem-detached = { $program }: detached (not enforcing)
status-problem-other-cgroup = { $program }: attached to cgroup { $have }, not the scope (cgroup { $want })
status-problem-program-unreadable = { $program }: its program { $id } cannot be read
status-problem-other-program = { $program }: runs another program, "{ $name }" (id { $id })
status-problem-not-our-config = { $program }: runs a program (id { $id }) that does not read airgapd's config
status-problem-replaced = { $program }: runs program id { $have }, airgapd left id { $want } (replaced)
status-problem-config-missing = the config map is not pinned
status-problem-config-abi = the config map holds ABI version { $have }, not { $want }
status-problem-config-unknown-mode = the config map holds an unknown network mode { $mode }
status-problem-config-scope = the config map's scope is cgroup { $have } level { $have_level }, airgapd set cgroup { $want } level { $want_level }
status-problem-config-mode = the network mode is { $have ->
        [none] no network
        [loopback] loopback only
        [lan] the isolated LAN only
        [lan-loopback] the isolated LAN and loopback only
       *[other] unknown ({ $have })
    }, airgapd set { $want ->
        [none] no network
        [loopback] loopback only
        [lan] the isolated LAN only
        [lan-loopback] the isolated LAN and loopback only
       *[other] unknown ({ $want })
    }
status-problem-lan-added = LAN entry { $line } was added
status-problem-lan-removed = LAN entry { $line } was removed
status-problem-rule-added = device rule { $line } was added
status-problem-rule-removed = device rule { $line } was removed
status-problem-overtaken = { $pin }: program id { $ids } runs before it on { $interface } (it can pass what airgapd refuses)
status-problem-tc-missing = { $interface } { $direction ->
        [ingress] ingress
       *[egress] egress
    }: no airgapd filter (not enforcing)
status-problem-tc-other = { $interface } { $direction ->
        [ingress] ingress
       *[egress] egress
    }: airgapd's filter runs another program ({ $filter })
status-problem-tc-overtaken = { $interface } { $direction ->
        [ingress] ingress
       *[egress] egress
    }: { $filters } runs before it
status-problem-tc-qdisc = { $interface }: the clsact qdisc was replaced by a "{ $kind }" qdisc, where airgapd's filters cannot go (remove it: tc qdisc del dev { $interface } { $kind })
status-layers = Protection layers:
status-layers-none = none: airgapd enforces nothing yet
status-layer-active = active
status-layer-limited = active, weaker on this kernel: { $detail }
# $state: the layer's state, one of the layer-state-* words.
status-layer-problem = { $state } ({ $detail })
layer-state-unavailable = UNAVAILABLE
layer-state-damaged = DAMAGED
layer-state-missing = MISSING
layer-state-absent = ABSENT
status-policy-unknown = Policy:        unknown (airgapd is not running and left no record)
status-policy-builtin = Policy:        BUILT-IN STRICT FALLBACK ({ $name }): the policy file could not be used
status-policy-builtin-why = because { $reason }
status-policy-file = Policy:        { $name } from { $path }
status-policy-sha256 = sha256:      { $sha256 }
# $name of a policy: its id in quotes, or status-policy-no-id.
status-policy-name = { $id } serial { $serial }
status-policy-no-id = (no id)
status-mode-machine = Mode:          enforcing on the whole machine
status-mode-scoped = Mode:          only for the programs in { $scope }
status-running-since = Running since: { $time }
status-daemon-had-started = Daemon:        STOPPED (it had started { $time })
status-daemon-not-running = Daemon:        not running
status-refusals = Refusals since start: { $total }
status-refusals-lost = { $count } without details: event buffer was full
status-last = Last { $count }:
# Where the policy in force comes from (status, policy show).
provenance-signed = Signed by { $signer } ({ $fingerprint }); the signature was verified when it was installed on { $time }.
provenance-signed-unnamed = The signed policy with serial { $serial }, installed by airgapctl policy apply (its signer was not recorded then).
provenance-local-edit = LOCAL EDIT: not the signed policy installed on { $time } (serial { $serial }); no signature covers the policy in force.
provenance-unsigned = Not signed: never installed by airgapctl policy apply; written on this machine.
provenance-unknown = Where it comes from cannot be told: { $problem }
provenance-time-unknown = an unknown date

## airgapctl doctor. $mark is one of doctor-ok, doctor-warn, doctor-fail.
doctor-ok = ok
doctor-warn = WARNING
doctor-fail = FAILED
doctor-check = { $mark }: { $name }
doctor-fix = To fix: { $fix }

## airgapctl policy show, reload, check
policy-show-in-force = Policy in force: "{ $id }", serial { $serial }
policy-show-in-force-no-id = Policy in force: (no id), serial { $serial }
policy-show-sha256 = sha256 { $sha256 }
policy-show-builtin = BUILT-IN STRICT FALLBACK: the policy file could not be used.
policy-show-builtin-why = Why: { $reason }
policy-show-from = from { $path }
policy-file-in-force = The file { $path } is the policy in force:
policy-file-differs = The file { $path } DIFFERS from the policy in force (airgapctl policy reload puts it in force):
policy-file-unreadable = The file { $path } cannot be read: { $error }
policy-reloaded = Policy reloaded: serial { $serial } is in force (sha256 { $sha256 }).
check-valid = { $file }: valid (serial { $serial }, sha256 { $sha256 })

## airgapctl policy apply
apply-failed = policy update failed: { $error }
apply-refused = policy update refused, nothing was changed: { $error }
apply-installed = { $file } installed as { $target }: serial { $serial } (sha256 { $sha256 }), signed by { $signer } ({ $fingerprint }).
apply-not-running = airgapd is not running: the new policy will be enforced when it starts.
apply-not-asked = The daemon was not asked to reload: { $error }
apply-in-force = airgapd enforces it now (serial { $serial }).
apply-other-file = airgapd reloaded but enforces serial { $serial } (sha256 { $sha256 }): it reads another policy file than { $target }.
apply-reload-failed = But airgapd did not put it in force: { $error } (journalctl -x -u airgapd)

## airgapctl policy sign
sign-invalid = not signed: the policy is invalid
sign-failed = not signed: { $program } { $status }
sign-cannot-run = cannot run { $program }: { $error }
sign-not-a-signature = not signed: { $signature } is not a signature of { $file }
sign-done = Signed { $file } (serial { $serial }, sha256 { $sha256 }) with key { $fingerprint }: copy it and { $signature } to the approved medium.

## airgapctl register
register-no-file-hint = there is no register file: nothing has been recorded on this machine yet, or the register was removed (the journal's copy records tell which: journalctl MESSAGE_ID={ $message_id })
register-permission = the register is readable by root and by the file's group only
register-not-intact = the register is NOT intact; keep the file as it is and report it to the security officer
register-intact = { $file }: intact, { $records ->
    [one] 1 record
   *[other] { $records } records
}; last #{ $seq }, chain { $chain }
register-since-usage = --since "{ $text }": use a local date or time, e.g. "2026-11-24", "24/11/2026" or "2026-11-24 14:30"
register-no-file = No copies recorded: there is no register file at { $file } yet.
register-none = No copies recorded.
register-none-match = No copies recorded that match.
register-event-created = created
register-event-written = written
register-event-moved = moved
register-event-read = read
register-event-lost = LOST
register-event-note = NOTE
register-line-note = { $event }: { $note }
register-line-to = { $event } onto "{ $medium }": { $document }
register-line-from = { $event } from "{ $medium }": { $document }
register-line-hash = { $size } bytes, sha256 { $sha256 }
register-line-not-hashed = { $size } bytes, NOT HASHED: { $note }
register-line-who = by { $who }
register-who-user = { $user } (uid { $uid })
register-who-uid = uid { $uid }
register-who-unknown = unknown user

## The printable copy register (CSV): the paper register's columns (form 12), then the
## machine's own.
csv-no = No.
csv-date = Date
csv-document = Document
csv-secrecy = Secrecy level
csv-copies = Copies
csv-approved-by = Approved by
csv-copied-by = Copied by
csv-recipient = Medium
csv-direction = Direction
csv-size = Size (bytes)
csv-sha256 = SHA-256
csv-result = Result
csv-notes = Notes
csv-medium-serial = { $medium } (serial { $serial })
csv-to-medium = to medium
csv-from-medium = from medium
csv-success = success
csv-failure = failure
csv-lost = { $count } events not recorded.
csv-moved = renamed onto the medium.

## airgapctl doctor: the checks and what they found.
doctor-name-cgroup2 = cgroup v2
doctor-name-bpffs = bpffs
doctor-name-btf = kernel BTF
doctor-name-lsm = BPF LSM
doctor-name-usb = USB authorization
doctor-name-usb-early = USB before airgapd starts
doctor-mounted = mounted
doctor-cgroup2-missing = not mounted: the network and device programs need it
doctor-cgroup2-fix = boot with systemd.unified_cgroup_hierarchy=1 (or mount -t cgroup2 none /sys/fs/cgroup)
doctor-bpffs-missing = not mounted: airgapd mounts it at /sys/fs/bpf on start
doctor-btf-present = /sys/kernel/btf/vmlinux present
doctor-btf-missing = no kernel BTF: the BPF LSM layer cannot load
doctor-btf-fix = use a distribution kernel built with CONFIG_DEBUG_INFO_BTF=y
doctor-usb-hubs = { $count ->
    [one] 1 root hub with authorized_default
   *[other] { $count } root hubs with authorized_default
}
doctor-usb-none = no USB root hubs: nothing to authorize (or USB is absent on this machine)
doctor-usb-early = the kernel holds new USB devices back from boot on
doctor-usb-late = devices plugged in during boot, before airgapd starts, are authorized by the kernel
doctor-usb-early-fix = add usbcore.authorized_default=2 to GRUB_CMDLINE_LINUX in /etc/default/grub (internal devices only until airgapd decides), then run update-grub and reboot
doctor-name-compat = 32-bit system calls
doctor-name-families = socket families
doctor-families-fmod-ret = every family but unix, netlink and inet (packet, XDP, vsock, Bluetooth, modems) is refused at socket() by the fmod_ret program on security_socket_create (layer socket-create-fmod-ret), BPF LSM or not
doctor-families-lsm = every family but unix, netlink and inet (packet, XDP, vsock, Bluetooth, modems) is refused at socket() by the BPF LSM program (layer 5)
doctor-families-refused = this kernel refuses the fmod_ret program on security_socket_create ({ $why }) and BPF LSM does not run: sockets of other families than unix, netlink and inet are created unjudged; the interface programs still drop frames on network interfaces, but vsock (to the hypervisor), Bluetooth and modem sockets reach no interface and are not refused
doctor-families-unknown = not known (run as root to test-load the programs) and BPF LSM does not run: sockets of other families than unix, netlink and inet (vsock, Bluetooth, modems) may be created unjudged
doctor-families-fix = use a kernel that loads BPF trampolines (ftrace), or make BPF LSM available (see the BPF LSM check)
doctor-name-cgroup-programs = cgroup programs
doctor-cgroup-full = every cgroup program loads in full
doctor-cgroup-reduced = enforcing, with reduced programs where this kernel's verifier refuses the full ones: { $each }
doctor-cgroup-reduced-one = { $program } refused ({ $why }), so { $gives_up }
doctor-cgroup-reduced-fix = nothing refused passes; for records that name the process, use a newer kernel (Debian 12's 6.1 or later)
doctor-usb-held = usbcore.authorized_default={ $value }: from the first moment of boot the kernel authorizes only internal (hard-wired) USB devices, or none, until airgapd judges each device
doctor-usb-no-usbcore = no USB support loaded (usbcore absent): nothing to hold back
doctor-usb-not-held = usbcore.authorized_default={ $value }: devices plugged in during boot, before airgapd starts, are authorized by the kernel
doctor-usb-held-fix-module = usbcore was loaded without the option of { $file } (installed by the package; update-initramfs -u copies it into the initramfs): run update-initramfs -u and reboot
doctor-compat-off = off (ia32_emulation=0)
doctor-compat-lsm = on; BPF LSM refuses AF_PACKET and AF_XDP at creation, so 32-bit calls gain nothing
doctor-compat-fmod-ret = on; the fmod_ret program on security_socket_setsockopt (layer compat-setsockopt) refuses PACKET_QDISC_BYPASS and the AF_XDP options from 32-bit calls, and records them
doctor-compat-on-refused = on, and this kernel refuses the fmod_ret program that would judge 32-bit setsockopt ({ $why }): a root process making 32-bit system calls can set PACKET_QDISC_BYPASS and send raw frames around the interface programs
doctor-compat-on = on, or not known to be off: a root process making 32-bit system calls can set PACKET_QDISC_BYPASS and send raw frames around the interface programs
doctor-compat-fix = add ia32_emulation=0 to GRUB_CMDLINE_LINUX in /etc/default/grub (Linux 6.7 and later; 32-bit programs stop running), then run update-grub and reboot; or use a kernel that loads BPF trampolines (ftrace), or make BPF LSM available
doctor-lsm-fix = add lsm={ $list } to GRUB_CMDLINE_LINUX in /etc/default/grub, then run update-grub and reboot
doctor-lsm-refused-unknown = this kernel refuses BPF LSM programs ({ $why }); its LSM list is unknown (securityfs is not mounted): non-inet sockets are not refused at creation
doctor-lsm-securityfs-fix = mount -t securityfs securityfs /sys/kernel/security and run doctor again; if bpf is missing from /sys/kernel/security/lsm: { $fix }
doctor-lsm-active = active: AF_PACKET, AF_VSOCK, Bluetooth and every other family are refused at socket creation
doctor-lsm-refused = bpf is in the LSM list but this kernel refuses the program: { $why }
doctor-lsm-kernel-fix = this kernel (lockdown, or no BPF trampolines) cannot run BPF LSM; use a distribution kernel
doctor-lsm-inactive = not active (LSMs: { $lsms }): non-inet sockets are not refused at creation; the interface layer still drops their traffic
doctor-lsm-inactive-unknown = not active (LSMs: unknown): non-inet sockets are not refused at creation; the interface layer still drops their traffic
doctor-lsm-listed = bpf is in the active LSM list (not test-loaded: run as root to try)
doctor-name-ro-media = read-only media
doctor-ro-media-lsm = BPF LSM refuses, for root too, every route around an approved read-only medium's read-only flag: clearing it (blockdev --setrw), SCSI write commands through SG_IO, making its partitions anew, remounting it read-write; each attempt is recorded
doctor-ro-media-fmod-ret = the fmod_ret programs on security_file_ioctl, security_file_ioctl_compat and security_sb_mount (layer media-ro-fmod-ret) refuse, for root too and for 32-bit programs, every route around an approved read-only medium's read-only flag: clearing it (blockdev --setrw), SCSI write commands through SG_IO, making its partitions anew, remounting it read-write; each attempt is recorded, BPF LSM or not
doctor-ro-media-listed = bpf is in the active LSM list: clearing a read-only medium's flag, SG_IO write commands and read-write remounts are refused where the programs load (not test-loaded: run as root to try)
doctor-ro-media-no-lsm = approved read-only media are read-only in the kernel, but without BPF LSM this kernel cannot refuse root clearing that flag (blockdev --setrw: airgapd sets it again within 250 ms and records it), SCSI write commands through SG_IO on a read-only descriptor (CAP_SYS_RAWIO: neither refused nor recorded), or re-reading its partition table (BLKRRPART, BLKPG)
doctor-ro-media-fix = make BPF LSM available (see the BPF LSM check)
doctor-name-bpf-guard = airgapd's BPF objects
doctor-bpf-guard-lsm = while airgapd runs, BPF LSM refuses every other process, root included, its links (bpftool link detach), writing its maps (bpftool map update), changes to its pin directory (rm of a pin) and ptrace of the daemon; each attempt is recorded
doctor-bpf-guard-listed = bpf is in the active LSM list: other processes' bpf() on airgapd's links, maps and pins is refused where the programs load (not test-loaded: run as root to try)
doctor-bpf-guard-no-lsm = without BPF LSM this kernel cannot refuse root detaching airgapd's links, rewriting its maps or removing its pins: airgapd finds each change, repairs it within 250 ms and records it
doctor-ro-media-compat = BPF LSM refuses every route around an approved read-only medium's read-only flag, but on this kernel (6.8 or later) a 32-bit process's ioctl goes to file_ioctl_compat, which airgapd hooks only by an fmod_ret program this kernel does not load: a 32-bit program run by root could still clear the flag (set again within 250 ms and recorded) or send SCSI write commands through SG_IO

## airgapctl release sign, apply. The journal's records stay in English.
release-cannot-read = cannot read { $file }: { $error }
release-not-signed = not signed: { $error }
release-sign-failed = not signed: { $program } { $status }
release-sign-cannot-run = cannot run { $program }: { $error }
release-signed = Signed release order { $file }: { $signature }
release-record-failed = the release order's record could not be written: { $error }
release-apply-not-root = only root may apply a release order: run it with sudo
# $kind: a code word (wrong-machine, applied-before, ...); $error: the details.
release-refused = release order refused ({ $kind }): { $error }
release-not-lifted = release order { $order } is valid but enforcement was not lifted: { $error }
release-not-remembered = warning: the order could not be recorded as applied: { $error }
release-applied = Release order { $order } applied: enforcement lifted.

## airgapctl media enroll. The comment lines go into the policy file above the entry.
enroll-comment-by = Enrolled by `airgapctl media enroll { $asked }`.
enroll-comment-bad-serial = The USB serial { $serial } is not printable ASCII of 1 to { $max } characters: not used.
enroll-comment-no-serial = The device reports no USB serial number: other sticks of this model match too.
enroll-comment-not-usb = Not a USB device: no vendor, product or serial; only the filesystem names it.
enroll-comment-fs-read = { $kind } filesystem read from { $node }.
enroll-comment-fs-unread = The filesystem could not be read ({ $why }); fs_uuid and fs_label are left out.
enroll-comment-no-fs = No ext2/3/4, FAT or exFAT filesystem found.
enroll-comment-fill-in = Fill in: name (a meaningful one) and access ("read-only" or "read-write").
enroll-not-authorized = the stick is not authorized at the USB level, so it has no block device to read
enroll-default-name = Medium { $node }
enroll-appended = { $file }: entry appended; put it in force with `airgapctl policy reload`
enroll-error-open = cannot open { $path }: { $error }
enroll-error-symlink = { $path } is a symbolic link; give the device node it points to ({ $target })
enroll-error-not-a-device = { $what } is neither a block device nor a USB device
enroll-error-mismatch = { $what } is not the block device sysfs names { $dev }
enroll-error-sysfs = cannot read the device in sysfs: { $error }
enroll-error-storage-composite = { $what } is storage together with other interfaces (a keyboard, a network adapter...); airgapd refuses such a device whatever the policy says, so it cannot be enrolled
enroll-error-not-storage = { $what } is not a storage device (no mass-storage interface)
enroll-error-ambiguous = { $what } has several filesystems ({ $nodes }); enroll one of them by its node
enroll-error-policy-invalid = { $file } does not pass the policy check as it is; nothing appended:
    { $detail }
enroll-error-appended-invalid = with the entry appended, { $file } would not pass the policy check; nothing appended:
    { $detail }
enroll-error-already = { $file } already approves this medium as [[media]] { $name }; nothing appended
enroll-error-write = cannot write { $file }: { $error }

## airgapctl policy import-usbguard. $why and $error come from the rules checker (English).
import-cannot-read = cannot read { $file }: { $error }
import-internal = internal error: the imported policy does not pass the policy check:
    { $error }
import-cannot-write = cannot write { $file }: { $error }
import-not-honoured = { $place }: not honoured: { $why }
import-summary = { $file }: { $rules ->
    [one] 1 rule read
   *[other] { $rules } rules read
}, { $entries ->
    [one] 1 entry imported
   *[other] { $entries } entries imported
}, { $notes ->
    [one] 1 construct not honoured (listed above)
   *[other] { $notes } constructs not honoured (listed above)
}
import-malformed = { $file }: { $count ->
    [one] 1 malformed rule
   *[other] { $count } malformed rules
}; USBGuard would refuse this file; nothing written

## airgapctl media list
media-list-none = { $file } approves no removable media ([[media]]): every stick is refused.
media-list-entry = { $name }: { $access }
media-list-read-only = read only
media-list-read-write = read and write
media-list-any = any
media-list-identity = USB { $usb }, serial { $serial }, filesystem label { $label }, UUID { $uuid }

# airgapctl seal-journal (issue 19): journald Forward Secure Sealing, set up by root.
seal-journal-not-root = Only root can set up journal sealing: run it as root (sudo airgapctl seal-journal).
seal-journal-key-exists = Journal sealing is already set up on this PC ({ $path } exists): the verification key printed then checks this journal. To make a new key, run again with --force; the old key still checks the files sealed before it, so keep both.
seal-journal-failed = Journal sealing could not be set up: { $error }
seal-journal-title = Journal sealing (Forward Secure Sealing) on { $host } (machine id { $machine })
seal-journal-config = journald configured by { $config } (journal kept on disk, sealing on); the sealing key stays on this PC in { $keyfile }.
seal-journal-step-ok = { $step }: done
seal-journal-step-failed = { $step }: FAILED: { $detail }
seal-journal-step-restart-journald = restart journald
seal-journal-step-flush = move the journal to disk
seal-journal-step-rotate = start new, sealed journal files
seal-journal-step-check-sealed = check that journald seals
seal-journal-sealing-on = journald seals the journal from now on.
seal-journal-sealing-off = journald does NOT seal yet. Restart it (systemctl restart systemd-journald, then journalctl --rotate) or restart the PC, then check with airgapctl inspect --verify-key. The key below stays valid: keep it.
seal-journal-key = Verification key: { $key }
seal-journal-key-valid = Valid from { $start }; journald makes a new sealing key every { $minutes } minutes and destroys the one before.
seal-journal-qr = The same key as a QR code ({ $text }):
seal-journal-qr-none = (no QR code: the text does not fit in one)
seal-journal-instructions-title = For the security officer:
seal-journal-instructions-1 = 1. Copy the verification key by hand or print it, sign it, and keep it with this PC's inspection records, away from the PC. It is shown only now and is not kept on the PC.
seal-journal-instructions-2 = 2. The key only checks the journal: whoever holds it cannot change what was sealed, and nobody on the PC can forge a sealed record of an earlier epoch.
seal-journal-instructions-3 = 3. At each inspection run: airgapctl inspect --verify-key { $key }
seal-journal-instructions-4 = 4. A journal file that was altered, or that has no seals yet holds entries written after this setup, is reported as a failure. Files deleted whole are not: compare the list of journal files with the previous report.

## airgapctl fleet host-setup|pc-setup: the office's remote journal.
fleet-written = Files written:
fleet-file-ca-cert = { $path }: the office CA's certificate (copy it to every PC with its own files)
fleet-file-ca-key = { $path }: the office CA's key (keep it on the log host; it signs every PC's certificate)
fleet-file-trusted = { $path }: the office CA, as the journal services trust it
fleet-file-server-cert = { $path }: the log host's certificate
fleet-file-server-key = { $path }: the log host's key
fleet-file-remote-conf = { $path }: systemd-journal-remote's settings (one journal per PC)
fleet-file-pc-cert = { $path }: a PC's certificate
fleet-file-pc-key = { $path }: a PC's key (carry it to that PC only, then delete it here)
fleet-file-upload-cert = { $path }: this PC's certificate
fleet-file-upload-key = { $path }: this PC's key
fleet-file-upload-conf = { $path }: systemd-journal-upload's settings (where to send, with which certificate)
fleet-enabled = Enabled and started { $unit }.
fleet-enable-later = Nothing was enabled (--root): on that system run systemctl enable --now { $unit }
fleet-failed = The remote journal could not be set up: { $error }
fleet-no-log-host = The policy { $file } names no log host: add a [network.log_host] table (see man airgapd.policy), then run pc-setup again.
