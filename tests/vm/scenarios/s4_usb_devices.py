"""4. USB devices judged by class: a phone (a dummy_hcd + libcomposite gadget with RNDIS, the
ids of a tethering Pixel) and a keyboard-plus-storage composite gadget are refused; a plain
USB keyboard (QEMU usb-kbd) is authorized and its key presses reach the guest."""

from . import ids

TITLE = "usb-devices"

# A boot keyboard's HID report descriptor (USB HID 1.11, appendix B.1), as printf escapes.
KBD_REPORT = (
    r"\x05\x01\x09\x06\xa1\x01\x05\x07\x19\xe0\x29\xe7\x15\x00\x25\x01\x75\x01\x95\x08"
    r"\x81\x02\x95\x01\x75\x08\x81\x03\x95\x05\x75\x01\x05\x08\x19\x01\x29\x05\x91\x02"
    r"\x95\x01\x75\x03\x91\x03\x95\x06\x75\x08\x15\x00\x25\x65\x05\x07\x19\x00\x29\x65"
    r"\x81\x00\xc0"
)

GADGET = r"""
set -e
modprobe dummy_hcd
modprobe libcomposite
mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
G=/sys/kernel/config/usb_gadget/{name}
mkdir -p $G/strings/0x409 $G/configs/c.1/strings/0x409
echo {vid} > $G/idVendor
echo {pid} > $G/idProduct
echo {serial} > $G/strings/0x409/serialnumber
echo "{product}" > $G/strings/0x409/product
echo "{product}" > $G/configs/c.1/strings/0x409/configuration
{functions}
# Only one gadget at a time on the one dummy UDC.
for u in /sys/kernel/config/usb_gadget/*/UDC; do [ -s "$u" ] && echo > "$u" || true; done
ls /sys/class/udc | head -n 1 > $G/UDC
"""

PHONE = GADGET.format(
    name="phone", vid="0x18d1", pid="0x4ee3", serial="PHONE0001", product="Pixel tethering",
    functions="mkdir -p $G/functions/rndis.usb0\nln -sf $G/functions/rndis.usb0 $G/configs/c.1/",
)

COMPOSITE = GADGET.format(
    name="kbdstick", vid="0x1d6b", pid="0x0104", serial="KBDSTICK0001", product="Keyboard stick",
    functions=f"""
dd if=/dev/zero of=/var/tmp/gadget-ms.img bs=1M count=8 status=none
mkdir -p $G/functions/hid.usb0 $G/functions/mass_storage.usb0
echo 1 > $G/functions/hid.usb0/protocol
echo 1 > $G/functions/hid.usb0/subclass
echo 8 > $G/functions/hid.usb0/report_length
printf '{KBD_REPORT}' > $G/functions/hid.usb0/report_desc
echo /var/tmp/gadget-ms.img > $G/functions/mass_storage.usb0/lun.0/file
ln -sf $G/functions/hid.usb0 $G/configs/c.1/
ln -sf $G/functions/mass_storage.usb0 $G/configs/c.1/
""",
)


def run(g):
    r = g.report

    # --- a plain keyboard -----------------------------------------------------------------
    cursor = g.cursor()
    g.plug("usb-kbd", "kbd1", bus="xhci.0")
    dev = g.out("wait_until 20 usb_by_id 0627 0001 && usb_by_id 0627 0001")
    rec = g.wait_journal(ids.DEVICE_ARRIVAL, "AIRGAP_VENDOR_ID=0627", since=cursor)
    r.check(
        "USB keyboard: DeviceArrival record, action authorize",
        rec and rec[-1].get("AIRGAP_ACTION") == "authorize",
        rec[-1] if rec else "no record",
    )
    auth = g.out(f"cat {dev}/authorized")
    r.check("USB keyboard authorized (authorized 1)", auth == "1", auth)
    event = g.keyboard_event_node(dev)
    if event:
        # Read the key events the host sends (through QMP, to this keyboard only).
        size = g.key_reaches(event)
        r.check(f"USB keyboard works: key presses reach /dev/input/{event}", size not in ("", "0"), size)
    else:
        r.check("USB keyboard works: an input event device appears", False, event)

    # --- a phone offering USB tethering ---------------------------------------------------
    cursor = g.cursor()
    code, out, err = g.sh(PHONE, timeout=60)
    r.check("phone gadget (18d1:4ee3, RNDIS) created on dummy_hcd", code == 0, out + err)
    dev = g.out("wait_until 20 usb_by_id 18d1 4ee3 && usb_by_id 18d1 4ee3")
    hub = g.out(f"cat $(dirname {dev})/authorized_default")
    r.check(
        "a USB bus that appears after airgapd started is closed too (authorized_default 0)",
        hub == "0",
        f"dummy_hcd's root hub: authorized_default {hub}: devices on it are authorized by the "
        "kernel before airgapd judges them",
    )
    rec = g.wait_journal(ids.DEVICE_ARRIVAL, "AIRGAP_VENDOR_ID=18d1", since=cursor)
    r.check(
        "phone: DeviceArrival record, action refuse",
        rec and rec[-1].get("AIRGAP_ACTION") == "refuse",
        rec[-1] if rec else "no record",
    )
    auth = g.out(f"cat {dev}/authorized")
    r.check("phone stays unauthorized (authorized 0)", auth == "0", auth)
    ifs = g.out(f"udevadm settle -t 5; netifs_below {dev}")
    r.check("phone: no host-side network interface", ifs == "", ifs)
    seen = g.out(
        f"journalctl --no-pager -k --after-cursor='{cursor}' -o cat | grep -E '^rndis_host [0-9]+-' || true"
    )
    r.check("phone: rndis_host never bound (kernel log)", seen == "", seen)

    # --- a keyboard that is also a stick --------------------------------------------------
    cursor = g.cursor()
    code, out, err = g.sh(COMPOSITE, timeout=60)
    r.check("keyboard+storage composite gadget created", code == 0, out + err)
    dev = g.out("wait_until 20 usb_by_id 1d6b 0104 && usb_by_id 1d6b 0104")
    rec = g.wait_journal(ids.DEVICE_ARRIVAL, "AIRGAP_VENDOR_ID=1d6b", since=cursor)
    r.check(
        "keyboard+storage: DeviceArrival record, action refuse (judged whole)",
        rec and rec[-1].get("AIRGAP_ACTION") == "refuse",
        rec[-1] if rec else "no record",
    )
    auth = g.out(f"cat {dev}/authorized")
    r.check("keyboard+storage stays unauthorized (authorized 0)", auth == "0", auth)
    disk = g.out(f"udevadm settle -t 5; disk_below {dev} || true")
    r.check("keyboard+storage: no block device", disk == "", disk)
    g.sh("for u in /sys/kernel/config/usb_gadget/*/UDC; do echo > $u; done")
    g.unplug("kbd1")
