"""9. No execution from removable media (issue 8), in a kernel that runs BPF LSM programs: from an
approved stick mounted read-write, programs, scripts, an interpreter, `ld.so PROG`, dlopen and
executable mappings are refused with EPERM and recorded (path, SHA-256, process, layer); the same
files run from the internal disk; a stick whose entry says `allow_exec = true` runs them; a mount
the daemon never saw and a killed daemon change nothing."""

import json

from . import ids
from .media import header, install_policy, make_stick, next_serial, plug_and_find_disk

TITLE = "exec"

NOEXEC_SERIAL = "AGEX00000005"
EXEC_SERIAL = "AGEX00000006"

MEDIA = f"""\
[[media]]
name = "Transfer stick (no programs)"
vendor_id = "46f4"
product_id = "0001"
serial = "{NOEXEC_SERIAL}"
access = "read-write"

[[media]]
name = "Tool stick (programs allowed)"
vendor_id = "46f4"
product_id = "0001"
serial = "{EXEC_SERIAL}"
access = "read-write"
allow_exec = true
"""

# The files put on a medium (and on the internal disk, for the controls): a program, a script,
# an interpreter, a library nothing has loaded yet. DIR is where they end up.
FILL = r"""
set -e
lib=$(ls /usr/lib/x86_64-linux-gnu/libcap.so.2* | head -n 1)
cp /usr/bin/true DIR/prog
cp /bin/dash DIR/sh
cp "$lib" DIR/lib.so
printf '#!/bin/sh\nexit 0\n' > DIR/script.sh
chmod 0755 DIR/prog DIR/sh DIR/script.sh
# A script on the internal disk whose interpreter is on DIR.
printf '#!DIR/sh\nexit 0\n' > /var/tmp/interp-DIR_TAG.sh
chmod 0755 /var/tmp/interp-DIR_TAG.sh
sync
"""

LD_SO = "/lib64/ld-linux-x86-64.so.2"

# What is tried: (label, probe args with DIR, what the refusal answers, the record's AIRGAP_EXE
# (starts with), its layer). execve is answered by fanotify first (it runs at open, before the
# LSM hook) on a mount the daemon follows; mappings only the LSM layer sees. The loader keeps no
# errno for a refused mapping (dlopen, `ld.so PROG`): its message and the record show it.
MAPPED = "failed to map segment"
ATTEMPTS = [
    ("a program (execve)", ["exec", "DIR/prog"], "EPERM", "DIR/prog", "exec-fanotify"),
    ("a script (execve)", ["exec", "DIR/script.sh"], "EPERM", "DIR/script.sh", "exec-fanotify"),
    ("an internal script whose interpreter is on it", ["exec", "/var/tmp/interp-DIR_TAG.sh"],
     "EPERM", "DIR/sh", "exec-fanotify"),
    ("an executable mapping (mmap PROT_EXEC)", ["mmap-exec", "DIR/lib.so"], "EPERM",
     "DIR/lib.so (executable mapping)", "exec-bpf-lsm"),
    ("mprotect to PROT_EXEC", ["mprotect-exec", "DIR/lib.so"], "EPERM",
     "lib.so (mprotect to executable)", "exec-bpf-lsm"),
    ("a library (dlopen)", ["dlopen", "DIR/lib.so"], MAPPED, "DIR/lib.so (executable mapping)",
     "exec-bpf-lsm"),
    ("a program loaded by ld.so", ["exec", LD_SO, "DIR/prog"], MAPPED,
     "DIR/prog (executable mapping)", "exec-bpf-lsm"),
]


def fill(g, d, tag):
    code, out, err = g.sh(FILL.replace("DIR_TAG", tag).replace("DIR", d), timeout=60)
    return code == 0, out + err


def attempt(g, args, d, tag, user=None):
    return g.probe(*[a.replace("DIR_TAG", tag).replace("DIR", d) for a in args], user=user)


def mount(g, disk, point):
    return g.sh(f"mkdir -p {point} && mount {disk} {point}")


def run(g):
    r = g.report
    work = g.host["work"]

    st = g.status()
    lsm = g.layer(st, "exec-bpf-lsm")
    r.check("status: layer exec-bpf-lsm active", lsm[0] == "active", lsm)
    fan = g.layer(st, "exec-fanotify")
    r.check("status: layer exec-fanotify active", fan[0] == "active", fan)
    nox = g.layer(st, "exec-noexec")
    r.check("status: no exec-noexec layer (media keep their mount options)", nox[0] == "absent", nox)
    if lsm[0] != "active":
        return

    code, out = install_policy(g, header("vm-test-exec", next_serial(g)) + MEDIA)
    r.check("policy with a no-exec and an allow_exec medium loaded", code == 0, out)

    # --- controls: the same files run from the internal disk -------------------------------
    g.sh("rm -rf /var/tmp/exec-internal && mkdir -p /var/tmp/exec-internal")
    ok, detail = fill(g, "/var/tmp/exec-internal", "internal")
    r.check("files put on the internal disk", ok, detail)
    for label, args, _, _, _ in ATTEMPTS:
        got = attempt(g, args, "/var/tmp/exec-internal", "internal", user=65534)
        r.check(f"internal disk, uid 65534: {label} works", got == "ok", got)

    # --- the approved stick whose programs may not run -------------------------------------
    img = make_stick(work, "exec-no", "TRANSFER", {"readme.txt": "documents only\n"})
    usb, disk = plug_and_find_disk(g, "stickx", img, NOEXEC_SERIAL)
    r.check("approved no-exec stick: block device", disk != "", usb)
    if not disk:
        return
    m = "/mnt/noexec"
    code, out, err = mount(g, disk, m)
    r.check(f"approved stick mounted read-write at {m}", code == 0, out + err)
    ok, detail = fill(g, m, "stick")
    r.check("a program, a script, an interpreter and a library copied onto it", ok, detail)
    opts = g.out(f"findmnt -no OPTIONS {m}")
    r.check("its mount keeps its options (no noexec added)", "noexec" not in opts.split(","), opts)
    sums = dict(
        reversed(line.split()) for line in g.out(f"sha256sum {m}/prog {m}/sh {m}/lib.so").splitlines()
    )
    g.sh("sleep 0.5")  # the daemon marks the filesystem a few ms after it sees the mount

    for user in (65534, None):
        who = "uid 65534" if user else "root"
        cursor = g.cursor()
        for label, args, answer, _, _ in ATTEMPTS:
            got = attempt(g, args, m, "stick", user=user)
            r.check(f"stick, {who}: {label} refused: {answer}", answer in got, got)
        recs = g.wait_journal(ids.EXEC_VIOLATION, since=cursor, want=len(ATTEMPTS))
        for label, _, _, target, layer in ATTEMPTS:
            target = target.replace("DIR", m)
            mine = [
                e for e in recs
                if e.get("AIRGAP_EXE", "").startswith(target)
                and e.get("AIRGAP_LAYER") == layer
                and e.get("AIRGAP_UID") == str(user or 0)
            ]
            r.check(
                f"stick, {who}: {label}: ExecViolation record ({layer}, path, uid, medium)",
                mine and mine[0].get("AIRGAP_RULE") == "Transfer stick (no programs)",
                mine[0] if mine else [
                    (e.get("AIRGAP_EXE"), e.get("AIRGAP_LAYER"), e.get("AIRGAP_UID")) for e in recs
                ],
            )
            full = target.split(" (")[0]
            if mine and full in sums:
                r.check(
                    f"stick, {who}: {label}: the record's SHA-256 is the file's",
                    mine[0].get("AIRGAP_SHA256") == sums[full],
                    f"{mine[0].get('AIRGAP_SHA256')} != {sums[full]}",
                )

    # The officer's list: `airgapctl violations` over D-Bus, read by an unprivileged user.
    code, out, err = g.sh(
        "setpriv --reuid=65534 --regid=65534 --clear-groups airgapctl --json violations --kind exec"
    )
    try:
        listed = json.loads(out)
    except ValueError:
        listed = []
    targets = {e.get("target", "").split(" (")[0] for e in listed if e.get("kind") == "exec"}
    want = {f"{m}/prog", f"{m}/script.sh", f"{m}/sh", f"{m}/lib.so"}
    r.check("airgapctl violations --kind exec (uid 65534) lists the refusals with their files",
            code == 0 and want <= targets, f"exit {code}: {sorted(targets)} {err}")

    # The officer's copy of the register: the file's group given to an unprivileged user.
    reg = "/var/lib/airgapd/register.jsonl"
    code, out, err = g.sh(
        f"chgrp 65534 {reg} && setpriv --reuid=65534 --regid=65534 --clear-groups "
        f"sh -c 'airgapctl register verify && airgapctl register --csv'"
    )
    r.check("the register's group (gid 65534) verifies and prints it as CSV, unprivileged",
            code == 0 and "/script.sh" in out and "Transfer stick (no programs)" in out,
            f"exit {code}: {out[-300:]} {err}")
    g.sh(f"chgrp 0 {reg}")

    # --- a mount the daemon never saw: in a private namespace, made after it unmounted -----
    g.sh(f"umount {m}")
    cursor = g.cursor()
    got = g.out(
        f"unshare -m --propagation private sh -c 'mkdir -p /run/priv && mount {disk} /run/priv && "
        f"airgap-probe exec /run/priv/prog; airgap-probe mmap-exec /run/priv/lib.so'"
    )
    r.check("a mount only a private namespace has: execve and mmap refused: EPERM",
            got.split() == ["EPERM", "EPERM"], got)
    recs = g.wait_journal(ids.EXEC_VIOLATION, since=cursor, want=2)
    layers = sorted(e.get("AIRGAP_LAYER", "") for e in recs)
    r.check("  ... both recorded by the exec-bpf-lsm layer", layers == ["exec-bpf-lsm"] * 2, recs)

    # --- the daemon killed: the pinned LSM links keep refusing ------------------------------
    code, out, err = mount(g, disk, m)
    killed = g.out(
        r"""
pid=$(systemctl show -p MainPID --value airgapd)
systemctl kill -s KILL airgapd
while kill -0 "$pid" 2>/dev/null; do sleep 0.02; done
echo "main=$(systemctl show -p MainPID --value airgapd)"
echo "exec=$(airgap-probe exec MNT/prog)"
echo "mmap=$(airgap-probe mmap-exec MNT/lib.so)"
""".replace("MNT", m)
    )
    v = dict(line.split("=", 1) for line in killed.split() if "=" in line)
    r.check("with the daemon killed (MainPID 0): execve from the stick still EPERM",
            v.get("main") == "0" and v.get("exec") == "EPERM", killed)
    r.check("with the daemon killed: executable mapping still EPERM", v.get("mmap") == "EPERM", killed)
    back = g.ok("wait_until 30 systemctl is-active -q airgapd")
    r.check("the service restarted", back)
    g.sh(f"umount {m}")
    g.unplug("stickx", block=True)

    # --- the stick whose entry allows programs ---------------------------------------------
    img = make_stick(work, "exec-ok", "TOOLS", {"readme.txt": "tools\n"})
    usb, disk = plug_and_find_disk(g, "sticky", img, EXEC_SERIAL)
    r.check("allow_exec stick: block device", disk != "", usb)
    if disk:
        m = "/mnt/tools"
        code, out, err = mount(g, disk, m)
        ok, detail = fill(g, m, "tools")
        r.check("allow_exec stick mounted and filled", code == 0 and ok, out + err + detail)
        g.sh("sleep 0.5")
        for label, args, _, _, _ in ATTEMPTS:
            got = attempt(g, args, m, "tools", user=65534)
            r.check(f"allow_exec stick, uid 65534: {label} works", got == "ok", got)
        g.sh(f"umount {m}")
        g.unplug("sticky", block=True)
    g.sh("rm -rf /var/tmp/exec-internal /var/tmp/interp-*.sh")
