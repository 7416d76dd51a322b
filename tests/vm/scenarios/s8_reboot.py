"""8. Reboot: the guest reboots (same QEMU process, the disk keeps the installed package) and
comes back enforced before any network unit ran; the USB buses are closed from the start."""

from . import ids

TITLE = "reboot"


def mono(g, unit):
    out = g.out(f"systemctl show -p ActiveEnterTimestampMonotonic --value {unit}")
    return int(out) if out.isdigit() else None


def run(g):
    r = g.report
    before = g.out("cat /proc/sys/kernel/random/boot_id")
    g.sh("setsid sh -c 'sleep 1; systemctl reboot' </dev/null >/dev/null 2>&1 &")
    secs = g.m.reboot_wait(before, timeout=300)
    r.note(f"rebooted in {secs:.1f} s")
    airgapd, netpre = mono(g, "airgapd"), mono(g, "network-pre.target")
    r.check("airgapd active after the reboot", g.ok("systemctl is-active -q airgapd"))
    r.check(
        "airgapd READY before network-pre.target was reached",
        airgapd is not None and netpre is not None and 0 < airgapd <= netpre,
        f"airgapd {airgapd} us, network-pre.target {netpre} us",
    )
    st = g.status()
    r.check("after the reboot: airgapctl status answers, air_gapped true", st.get("air_gapped") is True,
            f"{st} {g.out('journalctl --no-pager -b -u airgapd -o cat | grep -i d-bus')}")
    # The layers as this boot's EnforcementState records say (they need no D-Bus).
    boot = g.out("cat /proc/sys/kernel/random/boot_id").replace("-", "")
    states = {e.get("AIRGAP_LAYER"): e.get("AIRGAP_STATE") for e in
              g.journal(ids.ENFORCEMENT_STATE, f"_BOOT_ID={boot}")}
    for name in ("cgroup-network", "bpf-lsm", "cgroup-device", "usb-authorization"):
        r.check(f"after the reboot: layer {name} active (journal)", states.get(name) == "active", states)
    nic = g.facts.get("nic", "")
    if nic:
        tc = g.out(f"tc filter show dev {nic} ingress; tc filter show dev {nic} egress; "
                   f"bpftool net show dev {nic}")
        r.check(f"after the reboot: the NIC present at boot ({nic}) carries the interface programs",
                "airgap_wire_ingress" in tc and "airgap_wire_egress" in tc, tc)
    hubs = g.out("grep -H . /sys/bus/usb/devices/usb*/authorized_default")
    r.check(
        "after the reboot: every USB root hub closed (authorized_default 0)",
        hubs and all(line.endswith(":0") for line in hubs.splitlines()),
        hubs,
    )
    got = g.probe("connect", "tcp", "192.0.2.1", 80)
    r.check("after the reboot: TCP connect EPERM", got == "EPERM", got)
    started = g.journal(ids.DAEMON_STARTED, f"_BOOT_ID={boot}")
    r.check("journal of this boot has DaemonStarted", len(started) >= 1, len(started))
