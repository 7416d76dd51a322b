"""8. Reboot: the guest reboots (same QEMU process, the disk keeps the installed package) and
comes back enforced before any network unit ran; the USB buses are closed from the start.
Issue 22: a stick and a keyboard plugged in at power-on: the kernel holds both back until
airgapd judges them (the package's /lib/modprobe.d/airgapd.conf), so the stick never gets a
block device, not even for the seconds before airgapd starts, and the keyboard works. And the
NIC present at boot, configured for DHCP by systemd-networkd, sends not one frame."""

import json

from . import ids
from .media import make_stick

BOOT_SERIAL = "BOOTSTICK0001"

TITLE = "reboot"


def mono(g, unit):
    out = g.out(f"systemctl show -p ActiveEnterTimestampMonotonic --value {unit}")
    return int(out) if out.isdigit() else None


def run(g):
    r = g.report
    # Present at power-on: the reset re-enumerates them as the firmware would at boot.
    img = make_stick(g.host["work"], "bootstick", "PLAIN", {"hello.txt": "boot\n"})
    g.plug_stick("bootstick", img, BOOT_SERIAL)
    g.plug("usb-kbd", "bootkbd", bus="xhci.0")
    g.out(f"wait_until 20 usb_by_serial {BOOT_SERIAL}")
    # Issue 22, the network before airgapd: the NIC present at boot is configured as an office
    # PC's would be (systemd-networkd, DHCP and IPv6 router solicitation) so that something
    # really tries to send during the boot.
    nic = g.facts.get("nic", "")
    if nic:
        mac = g.out(f"cat /sys/class/net/{nic}/address")
        g.sh("mkdir -p /etc/systemd/network && printf '[Match]\\nMACAddress=%s\\n[Network]\\n"
             f"DHCP=yes\\nIPv6AcceptRA=yes\\n' {mac} >/etc/systemd/network/50-office.network"
             " && systemctl enable -q systemd-networkd.service")
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
        networkd = mono(g, "systemd-networkd")
        r.check("systemd-networkd started after airgapd was READY",
                airgapd is not None and networkd is not None and airgapd < networkd,
                f"airgapd {airgapd} us, systemd-networkd {networkd} us")
        up = g.out(f"wait_until 30 ip -o link show dev {nic} up | grep -q UP; "
                   f"sleep 5; ip -o link show dev {nic}")
        r.check(f"networkd brought {nic} up (DHCP, router solicitation)", "UP" in up, up)
        tx = g.out(f"cat /sys/class/net/{nic}/statistics/tx_packets")
        r.check(f"no frame left {nic} during the whole boot (tx_packets {tx})", tx == "0", tx)
        g.sh("systemctl disable -q --now systemd-networkd.service systemd-networkd.socket; "
             f"rm -f /etc/systemd/network/50-office.network; ip link set {nic} down")
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

    # --- issue 22: USB devices present at power-on ------------------------------------------
    param = g.out("cat /sys/module/usbcore/parameters/authorized_default")
    r.check("after the reboot: usbcore.authorized_default is 2 (the package's modprobe.d file)",
            param == "2", param)
    kernel = g.out("journalctl --no-pager -k -b -o cat | grep -E 'USB Mass Storage device detected"
                   "|Attached SCSI removable disk|usb-storage [0-9]' || true")
    r.check("stick present at power-on: no block device existed at any moment (kernel log)",
            kernel == "", kernel)
    usb = g.out(f"wait_until 20 usb_by_serial {BOOT_SERIAL} && usb_by_serial {BOOT_SERIAL}")
    auth = g.out(f"cat {usb}/authorized")
    r.check("stick present at power-on: unauthorized (authorized 0)", auth == "0", f"{usb} {auth}")
    rec = g.journal(ids.DEVICE_ARRIVAL, f"AIRGAP_SERIAL={BOOT_SERIAL}", f"_BOOT_ID={boot}")
    r.check("stick present at power-on: DeviceArrival refuse in this boot",
            bool(rec) and rec[-1].get("AIRGAP_ACTION") == "refuse", rec[-1] if rec else "no record")
    kbd = g.out("wait_until 20 usb_by_id 0627 0001 && usb_by_id 0627 0001")
    auth = g.out(f"cat {kbd}/authorized")
    r.check("keyboard present at power-on: authorized (authorized 1)", auth == "1",
            f"{kbd} {auth}")
    event = g.keyboard_event_node(kbd)
    size = g.key_reaches(event) if event else ""
    r.check("keyboard present at power-on works: key presses reach it", size not in ("", "0"),
            f"{event} {size}")
    code, out, err = g.sh("airgapctl doctor --json", timeout=30)
    try:
        checks = json.loads(out)
        checks = checks.get("checks", checks) if isinstance(checks, dict) else checks
        usb_check = next((c for c in checks if c.get("name") == "USB before airgapd starts"), {})
    except ValueError:
        usb_check = {}
    r.check("airgapctl doctor: USB before airgapd starts is ok",
            usb_check.get("status") == "ok", usb_check or out + err)
    initrd = g.out("lsinitramfs /boot/initrd.img-$(uname -r) | grep -E "
                   "'modprobe.d/airgapd.conf|70-airgapd-usb-early.rules|airgapd/usb-early' | sort")
    r.check("the initramfs holds the modprobe.d file, the udev rule and usb-early",
            len(initrd.splitlines()) == 3, initrd)
    g.unplug("bootkbd")
    g.unplug("bootstick", block=True)
