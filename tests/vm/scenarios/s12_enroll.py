"""12. Enrolment (issue 17): `airgapctl media enroll` on a real USB stick. Unapproved, the
stick is unauthorized and has no disk: it is enrolled by its descriptors (QEMU's 46f4:0001 and
the serial), by USB sysfs path and by /dev/bus/usb node, and the entry says why the filesystem
is missing. Appended with --append to a copy of the policy, the copy passes `policy check`.
Approved (the entry put in force, the stick replugged), its block device is readable, and
enrolling it by /dev node adds the ext4 UUID and label; a second --append is refused."""

from .media import install_policy, make_stick

TITLE = "enroll"
SERIAL = "ENROL00000009"
LABEL = "ENROLME"


def enroll(g, spec, *extra):
    code, out, err = g.sh(" ".join(["airgapctl", "media", "enroll", spec, *extra]))
    return code, out, err


def run(g):
    r = g.report
    img = make_stick(g.host["work"], "enrol", LABEL, {"a.txt": "x\n"})
    code, original, err = g.sh("cat /etc/airgapd/policy.toml")
    r.check("the policy in force is readable (to restore it afterwards)", code == 0, err)

    g.plug_stick("stick-enrol", img, SERIAL)
    usb = g.out(f"wait_until 20 usb_by_serial {SERIAL} && usb_by_serial {SERIAL}")
    r.check("stick to enrol enumerates", usb.startswith("/sys/"), usb)
    node = g.out(f"printf '/dev/bus/usb/%03d/%03d' $(cat {usb}/busnum) $(cat {usb}/devnum)")
    for spec in (usb, node):
        code, out, err = enroll(g, spec)
        want = ['vendor_id = "46f4"', 'product_id = "0001"', f'serial = "{SERIAL}"',
                "not authorized at the USB level"]
        r.check(f"enroll {spec}: ids and serial of the unauthorized stick, filesystem said missing",
                code == 0 and all(w in out for w in want), out + err)

    copy = "/root/enrol-policy.toml"
    g.sh(f"cp /etc/airgapd/policy.toml {copy} && chmod 0644 {copy}")
    code, out, err = enroll(g, usb, "--append", copy)
    r.check("enroll --append to a copy of the policy: exit 0", code == 0, out + err)
    code, out, err = g.sh(f"airgapctl policy check {copy}")
    r.check("the copy with the entry passes airgapctl policy check", code == 0, out + err)

    # Put the entry in force, then replug: the stick is approved and its disk readable.
    code, text, err = g.sh(f"cat {copy}")
    code, out = install_policy(g, text)
    r.check("policy with the enrolled entry reloaded", code == 0, out)
    g.unplug("stick-enrol", block=True)
    g.plug_stick("stick-enrol", img, SERIAL)
    disk = g.out(f"wait_until 20 disk_by_serial {SERIAL} && disk_by_serial {SERIAL}")
    r.check("the enrolled stick, replugged, gets its disk", disk.startswith("/dev/"), disk)
    if disk.startswith("/dev/"):
        # The node appears before the daemon's grant (a read-only grant first sets the kernel's
        # read-only flag on the disk): wait until the disk reads.
        code, _, err = g.sh(f"wait_until 20 dd if={disk} of=/dev/null bs=4096 count=1")
        r.check(f"the enrolled stick's {disk} is granted (readable)", code == 0, err)
        uuid = g.out(f"blkid -o value -s UUID {disk} 2>/dev/null || true")
        code, out, err = enroll(g, disk)
        r.check(f"enroll {disk}: the approved stick's ext4 UUID and label are read",
                code == 0 and f'fs_label = "{LABEL}"' in out and "fs_uuid = " in out
                and (not uuid or uuid in out),
                out + err)
        code, out, err = enroll(g, disk, "--append", copy)
        r.check("a second --append of the same stick is refused (exit 1)",
                code == 1 and "already approves" in err, out + err)
    g.unplug("stick-enrol", block=True)
    if original:
        code, out = install_policy(g, original)
        r.check("the previous policy is back in force", code == 0, out)
