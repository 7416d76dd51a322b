"""14. Lifecycle (issue 14), last because it removes the package: on the whole machine, a link
detached by root is put back within a second and recorded; an exec LSM link cannot be detached
and, unpinned, is pinned again and recorded; `airgapctl status` answers with the
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

    # Tampering on the whole machine: detach, then the daemon re-attaches within a second.
    out = g.out(
        f"bpftool link detach pinned {PIN}/link_airgap_connect4 && sleep 1 && "
        f"bpftool -j link show pinned {PIN}/link_airgap_connect4"
    )
    try:
        link = json.loads(out)
    except ValueError:
        link = {}
    r.check("a detached link is attached again within 1 s (cgroup 1)", link.get("cgroup_id") == 1, out)
    got = g.probe("connect", "tcp", "192.0.2.1", 80)
    r.check("after the repair: TCP connect EPERM", got == "EPERM", got)
    found = g.wait_journal(ids.ENFORCEMENT_TAMPERED, "AIRGAP_OBJECT=link_airgap_connect4", since=cursor)
    r.check("journal: the detach is recorded at alert priority, repaired",
            bool(found) and found[-1].get("PRIORITY") == "1" and found[-1].get("AIRGAP_RESULT") == "success",
            found[-1] if found else "no record")

    # The exec LSM links (BPF LSM loads in this guest): the 6.1 kernel cannot detach an LSM
    # (tracing) link, so bpftool's detach is refused and the link keeps enforcing; unpinned, the
    # link would go with the daemon's next stop, so the daemon pins it again and records it.
    lsm_pin = f"{PIN}/link_airgap_lsm_bprm_check"

    def lsm_link():
        try:
            return json.loads(g.out(f"bpftool -j link show pinned {lsm_pin}"))
        except ValueError:
            return {}

    before = lsm_link()
    cursor = g.cursor()
    code, out, err = g.sh(f"bpftool link detach pinned {lsm_pin}")
    after = lsm_link()
    r.check("bpftool link detach on an exec LSM link: refused by the kernel, link unchanged",
            code != 0 and before.get("id") is not None and after.get("id") == before.get("id"),
            f"{code} {err} {before} {after}")
    g.sh(f"rm {lsm_pin}")
    g.sh("sleep 1")
    after = lsm_link()
    r.check("an unpinned exec LSM link is pinned again within 1 s (the same link)",
            before.get("id") is not None and after.get("id") == before.get("id"), f"{before} {after}")
    found = g.wait_journal(ids.ENFORCEMENT_TAMPERED, "AIRGAP_OBJECT=link_airgap_lsm_bprm_check", since=cursor)
    r.check("journal: the unpin is recorded at alert priority, repaired",
            bool(found) and found[-1].get("PRIORITY") == "1" and found[-1].get("AIRGAP_AFTER") == "unpinned"
            and found[-1].get("AIRGAP_RESULT") == "success",
            found[-1] if found else "no record")

    # Lift refuses while the service runs.
    code, out, err = g.sh("airgapd lift --yes")
    r.check("airgapd lift under the running service: refused, names systemctl stop airgapd",
            code != 0 and "systemctl stop airgapd" in flat(err), f"{code} {err}")

    # dpkg -r refused while enforced.
    code, out, err = g.sh("dpkg -r airgapd", timeout=120)
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
    r.check("daemon stopped: the re-pinned exec LSM link is still there",
            lsm_link().get("id") == before.get("id"), lsm_link())

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
    code, out, err = g.sh("dpkg -r airgapd", timeout=120)
    r.check("dpkg -r after the lift succeeds", code == 0, f"{code} {err}")
    code, out, err = g.sh("dpkg --purge airgapd", timeout=120)
    kept = g.ok("test -d /var/lib/airgapd")
    r.check("dpkg --purge keeps /var/lib/airgapd and says so",
            code == 0 and kept and "audit records are kept in /var/lib/airgapd" in err, f"{code} {err}")
