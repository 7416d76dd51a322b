"""Stick images (ext4, made on the host) and the policy approving some of them."""

import os
import struct
import subprocess
import tempfile

# QEMU's usb-storage is always 46f4:0001 (QEMU 7.2 cannot change it); the serial is ours.
RO_SERIAL = "AGRO00000001"
RO_LABEL = "SECRET-RO"
RW_SERIAL = "AGRW00000002"
UNAPPROVED_SERIAL = "UNAPPROVED0001"


def header(policy_id, serial):
    """The start of every policy the scenarios install: no network, loop devices internal."""
    return f"""\
[meta]
id = "{policy_id}"
serial = {serial}
note = "written by tests/vm"

[network]
profile = "standalone"
loopback = true

[devices]
loop = "internal"

"""


MEDIA = f"""\
[[media]]
name = "Approved read-only stick"
vendor_id = "46f4"
product_id = "0001"
serial = "{RO_SERIAL}"
fs_label = "{RO_LABEL}"
access = "read-only"

[[media]]
name = "Approved read-write stick"
vendor_id = "46f4"
product_id = "0001"
serial = "{RW_SERIAL}"
access = "read-write"
"""


def policy(serial):
    return header("vm-test-media", serial) + MEDIA


def mbr(start, sectors):
    """A DOS partition table with one Linux partition (type 0x83) at LBA `start`."""
    entry = bytes([0, 0xFE, 0xFF, 0xFF, 0x83, 0xFE, 0xFF, 0xFF])
    entry += struct.pack("<II", start, sectors)
    table = entry + bytes(48)
    return bytes(440) + struct.pack("<I", 0x41475650) + bytes(2) + table + b"\x55\xaa"


def make_stick(workdir, name, label, files, partitioned=False):
    """A 16 MiB ext4 filesystem labelled `label` holding `files` ({path: text}), on the whole
    image or (`partitioned`) in its one MBR partition like a real stick; returns the path."""
    img = os.path.join(workdir, f"{name}.img")
    with tempfile.TemporaryDirectory(dir=workdir) as d:
        for path, text in files.items():
            full = os.path.join(d, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            mode = "wb" if isinstance(text, bytes) else "w"
            with open(full, mode) as f:
                f.write(text)
        mkfs = ["mkfs.ext4", "-q", "-F", "-L", label, "-d", d]
        if partitioned:
            with open(img, "wb") as f:
                f.truncate(18 << 20)
                f.write(mbr(start=2048, sectors=(17 << 20) // 512))
            mkfs += ["-E", "offset=1048576"]
        subprocess.run(mkfs + [img, "16M"], check=True, stdout=subprocess.DEVNULL)
    return img


def next_serial(g):
    """A policy serial above the one in force: a reload refuses anything older than the highest
    serial ever applied (signed updates count too)."""
    serial = g.status().get("policy", {}).get("serial")
    return (serial if isinstance(serial, int) else 0) + 1


def install_policy(g, text):
    """Write /etc/airgapd/policy.toml (root:root 0644) and reload: (exit code, output)."""
    code, out, err = g.sh(
        "cat > /etc/airgapd/policy.toml.new && chmod 0644 /etc/airgapd/policy.toml.new && "
        "mv /etc/airgapd/policy.toml.new /etc/airgapd/policy.toml && airgapctl policy reload",
        stdin=text.encode(),
    )
    return code, out + err


def plug_and_find_disk(g, dev_id, image, serial, timeout=20):
    """Plug a stick; (USB sysfs folder or error, /dev/sdX or '')."""
    g.plug_stick(dev_id, image, serial)
    usb = g.out(f"wait_until {timeout} usb_by_serial {serial} && usb_by_serial {serial}")
    disk = g.out(f"wait_until {timeout} disk_by_serial {serial} && disk_by_serial {serial}")
    return usb, (disk if disk.startswith("/dev/") else "")


def why_no_disk(g, serial):
    """What the guest knows of a stick whose disk did not appear: its USB device and whether
    it is authorized, the kernel's last lines and the daemon's decisions (a race seen once in
    the guest test under load, 2026-12-06: to tell which part stalled)."""
    return g.out(
        f"u=$(usb_by_serial {serial}); echo \"usb: ${{u:-none}} authorized=$(cat $u/authorized "
        "2>/dev/null)\"; ls /sys/block; dmesg | tail -n 25; "
        "journalctl -u airgapd --no-pager -o short-monotonic -n 40"
    )
