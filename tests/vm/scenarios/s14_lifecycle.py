"""14. Lifecycle (issue 14), last because it removes the package: on the whole machine, while
the daemon runs, root's bpftool link detach (pinned, by id, an exec LSM link), map update of
the config map, rm of a pin and pidfd_getfd of the daemon are refused with EPERM and recorded;
stopped, the same detach works and the next start repairs and records it; after SIGKILL the
restarted daemon guards again; a daemon of a new ABI version starts over the old pins,
replaces them and records it (a package upgrade); `airgapctl status` answers with the
daemon stopped (root and uid 65534); `airgapd lift` refuses under the running service; `dpkg -r`
is refused while enforcement is pinned; a plain lift asks for a release order; after stop and
an emergency lift: status NO, the ALERT says what was
removed, USB root hubs back to the kernel's default; a release order for another machine and a
replayed one are refused, one for this machine lifts; an emergency lift works; the package
removes cleanly and a purge keeps the audit records."""

import json

from . import ids

TITLE = "lifecycle"


def flat(text):
    """The words of `text`: airgapd and airgapctl wrap their messages to 80 columns."""
    return " ".join(text.split())

PIN = "/sys/fs/bpf/airgapd"
NOBODY = "setpriv --reuid=65534 --regid=65534 --clear-groups "

# The id of the link running program {prog}, from the daemon's own descriptors (reading
# /proc/PID/fdinfo is not a ptrace attach; `bpftool link show` cannot open airgapd's links).
LINK_ID_OF = r"""
P=$(bpftool prog show name {prog} | awk -F: 'NR==1{{print $1}}')
D=$(systemctl show -p MainPID --value airgapd)
for f in /proc/$D/fdinfo/*; do
    if grep -q '^link_id:' $f && grep -qx "prog_id:[[:space:]]*$P" $f; then
        sed -n 's/^link_id:[[:space:]]*//p' $f
        break
    fi
done
"""


RELEASE_SETUP = r"""
ssh-keygen -q -t ed25519 -N '' -C office -f /root/office
install -m0644 /root/office.pub /etc/airgapd/trusted-keys/office.pub
order() {
    printf '[release]\nmachine_id = "%s"\norder = "%s"\ndate = "2026-12-06"\n' "$1" "$2"
    printf 'wiped_by = "Officer A"\nstatement = "Secret documents removed on 2026-12-05."\n'
}
order "$(cat /etc/machine-id)" 17/QD-BM > /root/order.toml
order 00000000000000000000000000000001 18/QD-BM > /root/other.toml
airgapctl release sign --key /root/office /root/order.toml
airgapctl release sign --key /root/office /root/other.toml
"""


def status(g, as_nobody=False):
    """(exit code, status dict)."""
    code, out, err = g.sh((NOBODY if as_nobody else "") + "airgapctl status --json", timeout=30)
    try:
        return code, json.loads(out)
    except ValueError:
        return code, {"error": f"exit {code}: {out.strip()} {err.strip()}"}


def run(g):
    r = g.report
    cursor = g.cursor()

    # While the daemon runs, BPF LSM (this guest's 6.1 kernel) refuses other processes' bpf()
    # on airgapd's objects (layer bpf-guard): each attempt EPERM, recorded, nothing changed.
    code, st = status(g)
    state, detail = g.layer(st, "bpf-guard")
    r.check("layer bpf-guard active (BPF LSM loads in this guest)", state == "active", f"{state}: {detail}")
    main_pid = g.out("systemctl show -p MainPID --value airgapd")
    link_id = g.out(LINK_ID_OF.format(prog="airgap_connect4"))
    r.note(f"link of airgap_connect4: id {link_id!r} (from the daemon's fdinfo)")
    attacks = [
        ("bpftool link detach pinned (cgroup link)",
         f"bpftool link detach pinned {PIN}/link_airgap_connect4", f"{PIN}/link_airgap_connect4"),
        ("bpftool link detach id N", f"bpftool link detach id {link_id}",
         f"link_airgap_connect4 (link {link_id})"),
        ("bpftool link detach pinned (exec LSM link)",
         f"bpftool link detach pinned {PIN}/link_airgap_lsm_bprm_check", f"{PIN}/link_airgap_lsm_bprm_check"),
        ("bpftool map update pinned (config map: empty scope, nothing enforced)",
         f"bpftool map update pinned {PIN}/map_airgap_config key 0 0 0 0 "
         "value 0 0 0 0 0 0 0 0 0 0 0 0 1 0 0 0 4 0 0 0 0 0 0 0", f"{PIN}/map_airgap_config"),
        ("rm of a pin", f"rm -f {PIN}/link_airgap_connect4", f"{PIN} (pin directory)"),
        ("pidfd_getfd of the daemon's descriptor 3", f"airgap-probe pidfd-getfd {main_pid} 3",
         f"airgapd (process {main_pid})"),
    ]
    first = g.cursor()
    for what, cmd, obj in attacks:
        cursor = g.cursor()
        code, out, err = g.sh(cmd)
        refused = ("Operation not permitted" in err) or out.strip() == "EPERM"
        r.check(f"{what}: refused with EPERM", refused, f"{code} {out} {err}")
        found = g.wait_journal(ids.BPF_OBJECT_REFUSED, f"AIRGAP_OBJECT={obj}", since=cursor)
        r.check(f"journal: {what} recorded at alert priority, naming who and what",
                bool(found) and found[-1].get("PRIORITY") == "1" and found[-1].get("AIRGAP_KIND") == "bpf.guard"
                and found[-1].get("AIRGAP_COMM") in ("bpftool", "rm", "airgap-probe")
                and bool(found[-1].get("AIRGAP_CHANGE")),
                found[-1] if found else "no record")
    r.check("the pin is still there", g.ok(f"test -e {PIN}/link_airgap_connect4"))
    got = g.probe("connect", "tcp", "192.0.2.1", 80)
    r.check("after the refused attempts: TCP connect EPERM", got == "EPERM", got)
    got = g.probe("bpf-get", f"{PIN}/map_airgap_config", "ro")
    r.check("a read-only descriptor of the config map is still given (inspection)", got == "ok", got)
    code, out, err = g.sh(f"bpftool map dump pinned {PIN}/map_airgap_config")
    r.note(f"bpftool map dump pinned map_airgap_config while the daemon runs: exit {code} {err.strip()[:120]}")
    tampered = g.journal(ids.ENFORCEMENT_TAMPERED, since=first)
    r.check("nothing was changed, so nothing needed repair (no EnforcementTampered)", not tampered, tampered)

    # Without the daemon nothing refuses (the guard's links end with it): the same detach works,
    # and the next start finds it, records it and puts a new link in place.
    g.sh("systemctl stop airgapd")
    cursor = g.cursor()
    code, out, err = g.sh(f"bpftool link detach pinned {PIN}/link_airgap_connect4")
    r.check("daemon stopped: bpftool link detach is not refused (the attack works without the guard)",
            code == 0, f"{code} {err}")
    g.sh("systemctl start airgapd && wait_until 60 systemctl is-active -q airgapd", timeout=90)
    found = [e for e in g.wait_journal(ids.ENFORCEMENT_TAMPERED, "AIRGAP_OBJECT=cgroup-network", since=cursor)
             if "airgap_connect4: detached" in e.get("AIRGAP_AFTER", "")]
    r.check("at start: the detach made while stopped is recorded (alert, 'while airgapd was not running')",
            bool(found) and "while airgapd was not running" in found[-1].get("MESSAGE", "")
            and found[-1].get("PRIORITY") == "1", found[-1] if found else "no record")
    got = g.probe("connect", "tcp", "192.0.2.1", 80)
    r.check("after the restart: TCP connect EPERM", got == "EPERM", got)

    # SIGKILL: systemd starts it again (Restart=always); the new daemon guards again.
    main_pid = g.out("systemctl show -p MainPID --value airgapd")
    g.sh("systemctl kill -s KILL airgapd")
    g.sh(f"wait_until 60 sh -c 'p=$(systemctl show -p MainPID --value airgapd); "
         f"[ -n \"$p\" ] && [ \"$p\" != 0 ] && [ \"$p\" != {main_pid} ] && systemctl is-active -q airgapd'", timeout=90)
    code, st = status(g)
    r.check("after SIGKILL and the restart: status yes, bpf-guard active",
            code == 0 and st.get("verdict") == "yes" and g.layer(st, "bpf-guard")[0] == "active", st)
    code, out, err = g.sh(f"bpftool link detach pinned {PIN}/link_airgap_connect4")
    r.check("... and the new daemon refuses bpftool link detach again",
            code != 0 and "Operation not permitted" in err, f"{code} {err}")

    # A package upgrade that changes the kernel ABI: the new daemon starts over the old one's
    # pins (made here from this version: the pinned config says the version before ours). It
    # must start, replace every link's program and record it; never refuse as 'lift it first'.
    g.sh("systemctl stop airgapd")
    code, out, err = g.sh(f"bpftool -j map lookup pinned {PIN}/map_airgap_config key 0 0 0 0")
    try:
        value = [int(b, 16) for b in json.loads(out)["value"]]
    except (ValueError, KeyError, TypeError):
        value = []
    # Its size changes with the ABI (40 bytes from ABI 9); abi_version never moves (bytes 16-19).
    r.check("daemon stopped: the pinned config is read (bpftool map lookup)", len(value) >= 20, f"{code} {out} {err}")
    abi = int.from_bytes(bytes(value[16:20]), "little") if value else 0
    if value:
        value[16:20] = list((abi - 1).to_bytes(4, "little"))
        g.sh(f"bpftool map update pinned {PIN}/map_airgap_config key 0 0 0 0 value "
             + " ".join(str(b) for b in value))
    cursor = g.cursor()
    g.sh("systemctl start airgapd && wait_until 60 systemctl is-active -q airgapd", timeout=90)
    up = g.wait_journal(ids.ENFORCEMENT_UPGRADED, since=cursor)
    r.check(f"ABI {abi - 1} pins: the new daemon starts, replaces them and records it (EnforcementUpgraded)",
            bool(up) and up[-1].get("AIRGAP_BEFORE") == str(abi - 1) and up[-1].get("AIRGAP_AFTER") == str(abi)
            and up[-1].get("AIRGAP_RESULT") == "success", up[-1] if up else g.out("systemctl status airgapd | tail -5"))
    code, st = status(g)
    r.check("after the upgrade: status yes, bpf-guard active", code == 0 and st.get("verdict") == "yes"
            and g.layer(st, "bpf-guard")[0] == "active", st)
    got = g.probe("connect", "tcp", "192.0.2.1", 80)
    r.check("after the upgrade: TCP connect EPERM", got == "EPERM", got)
    record = g.out("tail -n 3 /var/lib/airgapd/machine-record.jsonl")
    r.check("the machine record has the upgrade line", '"event":"upgrade"' in record, record)

    # Lift refuses while the service runs.
    code, out, err = g.sh("airgapd lift --yes")
    r.check("airgapd lift under the running service: refused, names systemctl stop airgapd",
            code != 0 and "systemctl stop airgapd" in flat(err), f"{code} {err}")

    # dpkg -r refused while enforced.
    code, out, err = g.sh("dpkg -r airgapd", timeout=300)
    installed = g.ok("dpkg-query -W -f='${Status}' airgapd | grep -q 'install ok installed'")
    r.check("dpkg -r while enforcing: refused with how to lift, package kept",
            code != 0 and "airgapd lift --yes --emergency" in flat(err) and installed, f"{code} {err}")

    # Stopped: YES with the daemon stopped, for root and for uid 65534.
    g.sh("systemctl stop airgapd")
    for nobody in (False, True):
        who = "uid 65534" if nobody else "root"
        code, st = status(g, nobody)
        r.check(f"daemon stopped, {who}: exit 0, verdict yes, daemon stopped",
                code == 0 and st.get("verdict") == "yes" and st.get("daemon") == "stopped", st)
    got = g.probe("connect", "tcp", "192.0.2.1", 80)
    r.check("daemon stopped: TCP connect still EPERM", got == "EPERM", got)

    # The whole machine leaves the air gap only by a release order, or an emergency lift.
    code, out, err = g.sh("airgapd lift --yes")
    r.check("airgapd lift without an order or --emergency: refused, points to release apply",
            code != 0 and "airgapctl release apply" in flat(err), f"{code} {err}")

    # A release order for this machine, signed in the guest with a key made trusted here.
    g.sh(RELEASE_SETUP)
    code, out, err = g.sh("airgapctl release apply /root/other.toml")
    r.check("release order for another machine: refused", code == 1 and "is for machine" in flat(err), f"{code} {err}")
    cursor = g.cursor()
    code, out, err = g.sh("airgapctl release apply /root/order.toml")
    r.check("release order for this machine: applied", code == 0, f"{code} {out} {err}")
    lifted = g.wait_journal(ids.ENFORCEMENT_LIFTED, since=cursor)
    msg = lifted[-1].get("MESSAGE", "") if lifted else ""
    r.check("journal: the lift ALERT names the order and who wiped",
            "release order 17/QD-BM of 2026-12-06" in msg and "Officer A" in msg, msg)
    r.check("journal: the lift ALERT states what was removed", "links (" in msg and "maps (" in msg, msg)
    r.check("journal: ... and that USB authorization was restored", "USB authorization restored" in msg, msg)
    hubs = g.out("cat /sys/bus/usb/devices/usb*/authorized_default | sort -u")
    r.check("every USB root hub back to authorized_default 1 (kernel default)", hubs == "1", hubs)
    for nobody in (False, True):
        who = "uid 65534" if nobody else "root"
        code, st = status(g, nobody)
        r.check(f"after the lift, {who}: exit 3, verdict no", code == 3 and st.get("verdict") == "no", st)
    got = g.probe("connect", "tcp", "192.0.2.1", 80)
    r.check("after the lift: TCP connect no longer EPERM", got != "EPERM", got)

    # Enforce again; the same order is refused (replayed); an emergency lift still works.
    g.sh("systemctl start airgapd")
    code, st = status(g)
    r.check("enforcing again after systemctl start", code == 0 and st.get("verdict") == "yes", st)
    g.sh("systemctl stop airgapd")
    code, out, err = g.sh("airgapctl release apply /root/order.toml")
    r.check("the same release order again: refused (applied before)",
            code == 1 and "applied before" in flat(err), f"{code} {err}")
    cursor = g.cursor()
    code, out, err = g.sh("airgapd lift --yes --emergency")
    r.check("airgapd lift --emergency with the service stopped succeeds", code == 0, f"{code} {err}")
    lifted = g.wait_journal(ids.ENFORCEMENT_LIFTED, since=cursor)
    msg = lifted[-1].get("MESSAGE", "") if lifted else ""
    r.check("journal: recorded as an EMERGENCY LIFT at alert priority",
            "EMERGENCY LIFT" in msg and lifted[-1].get("PRIORITY") == "1", msg)
    got = g.probe("connect", "tcp", "192.0.2.1", 80)
    r.check("after the emergency lift: TCP connect no longer EPERM", got != "EPERM", got)

    # The package now removes cleanly; a purge keeps the audit records and says where.
    code, out, err = g.sh("dpkg -r airgapd", timeout=300)
    r.check("dpkg -r after the lift succeeds", code == 0, f"{code} {err}")
    code, out, err = g.sh("dpkg --purge airgapd", timeout=300)
    kept = g.ok("test -d /var/lib/airgapd")
    r.check("dpkg --purge keeps /var/lib/airgapd and says so",
            code == 0 and kept and "audit records are kept in /var/lib/airgapd" in err, f"{code} {err}")
