"""13. Premount (issue 15 item 7): a refused medium mounted before airgapd starts (here: the
service stopped, enforcement lifted in an emergency, a stick copying the approved serial but
not its label mounted by root, as an fstab line would before the unit) is made unusable when
the service starts, on the whole machine and in PID 1's namespace:

- FAT: the mount is detached, opens and reads are refused (also through the working
  directory of a process that sat there since before); FAT has no shutdown, so the stick's
  SCSI disk is deleted: what the descriptor that process opened for writing before the start
  writes afterwards (marked) never reaches the stick, as the image read on the host after the
  stick was unplugged shows; "success";
- ext4: the same, and its filesystem is shut down: that descriptor fails too; "success".

Each run restarts the service with nothing left mounted, and status is air-gapped again."""

import os
import subprocess

from . import ids
from .media import RO_SERIAL, install_policy, make_stick, next_serial, plug_and_find_disk, policy

TITLE = "premount"
PREMOUNTED_MEDIUM = "49cd919df79045e19bd12b2e9d743b09"
MNT = "/mnt/premount"
LOG = "/var/tmp/premount-holder.log"
PHASE = "/var/tmp/premount-phase"


def fat_stick(workdir, name):
    img = os.path.join(workdir, f"{name}.img")
    subprocess.run(["mkfs.vfat", "-C", "-n", "FORGEDFAT", img, "16384"], check=True,
                   stdout=subprocess.DEVNULL)
    return img


def last_round(g):
    return g.out(f"tail -n 2 {LOG} | tr '\\n' ' '")


def case(g, dev_id, img, fstype, options, shut):
    r = g.report
    cursor = g.cursor()
    usb, disk = plug_and_find_disk(g, dev_id, img, RO_SERIAL)
    r.check(f"premount {fstype}: forged stick authorized at USB level, block device appears",
            disk != "", usb)
    if not disk:
        return
    rec = g.wait_journal(ids.DEVICE_ARRIVAL, "AIRGAP_ACTION=refuse", f"AIRGAP_SERIAL={RO_SERIAL}",
                         since=cursor)
    r.check(f"premount {fstype}: refused at the block level", bool(rec), "no record")

    # Before the unit: the service stopped, enforcement lifted, the stick mounted by root, and
    # an unprivileged process working in it (its cwd there, a file held open for writing).
    g.sh("systemctl stop airgapd")
    code, out, err = g.sh("airgapd lift --yes --emergency")
    r.check(f"premount {fstype}: emergency lift with the service stopped", code == 0, err)
    code, out, err = g.sh(
        f"mkdir -p {MNT} && mount -t {fstype} {options} {disk} {MNT} && "
        f"echo classified > {MNT}/secret && chmod 0666 {MNT}/secret 2>/dev/null; "
        f"chmod 1777 {MNT} 2>/dev/null; rm -f {LOG}; echo before > {PHASE}; chmod 644 {PHASE}; "
        f"setsid setpriv --reuid 65534 --regid 65534 --clear-groups bash -c "
        f"'cd {MNT} && exec 3>>held && while :; do "
        f"if echo \"tick $(cat {PHASE})\" >&3; then echo W-OK; else echo W-FAIL; fi; "
        f"if cat secret >/dev/null; then echo R-OK; else echo R-FAIL; fi; sleep 0.2; done' "
        f"</dev/null >{LOG} 2>/dev/null & echo $! > /var/tmp/premount-holder.pid; "
        f"wait_until 10 grep -q R-OK {LOG}"
    )
    r.check(f"premount {fstype}: mounted before the start, nobody reads and writes it",
            code == 0, f"{code} {out} {err}")
    before = g.cursor()
    code, out, err = g.sh("systemctl start airgapd", timeout=90)
    r.check(f"premount {fstype}: airgapd starts", code == 0, err)

    rec = g.wait_journal(PREMOUNTED_MEDIUM, since=before)
    e = rec[-1] if rec else {}
    r.check(f"premount {fstype}: critical PremountedMedium record naming the stick and its mount",
            e.get("PRIORITY") == "2" and e.get("AIRGAP_DEV_NODE") == disk
            and MNT in e.get("AIRGAP_MOUNT_POINTS", ""), e or "no record")
    msg = e.get("MESSAGE", "")
    r.check(f"premount {fstype}: result success", e.get("AIRGAP_RESULT") == "success", msg)
    r.check(f"premount {fstype}: the record says detached" + (" and shut down" if shut else
            ", no shutdown, and its disk removed"),
            "detached" in msg and (("shut down" in msg) if shut else
                                   ("no shutdown" in msg and "removed from the machine" in msg)),
            msg)
    # From now on what the holder writes carries a mark of its own.
    mark = f"written-after-the-start-{fstype}-{os.getpid()}"
    g.sh(f"echo {mark} > {PHASE}")
    gone = not g.ok(f"grep -q ' {MNT} ' /proc/1/mountinfo")
    r.check(f"premount {fstype}: no mount left at {MNT} in PID 1's namespace", gone,
            g.out("grep premount /proc/1/mountinfo"))
    got = g.sh(f"setpriv --reuid 65534 --regid 65534 --clear-groups cat {MNT}/secret")[0]
    r.check(f"premount {fstype}: nobody can no longer read it by path", got != 0, got)
    # FAT: its writes may still land in the page cache (write(2) says OK), but go nowhere.
    expect = "W-FAIL R-FAIL" if shut else "W-(OK|FAIL) R-FAIL"
    ok = g.ok(f"wait_until 10 sh -c 'tail -n 2 {LOG} | tr \"\\n\" \" \" | grep -Eqx \"{expect} \"'")
    r.check(f"premount {fstype}: the process that sat there: {expect}", ok, last_round(g))
    g.sh("sleep 1; sync")
    st = g.status()
    state, detail = g.layer(st, "premounted-media")
    r.check(f"premount {fstype}: status yes, layer premounted-media active",
            st.get("verdict") == "yes" and state == "active",
            {"verdict": st.get("verdict"), "layer": [state, detail], "problems": st.get("problems")})

    # Clean up: the holder ends, the stick leaves, a restart finds nothing: air-gapped again.
    g.sh("kill $(cat /var/tmp/premount-holder.pid) 2>/dev/null; sleep 0.5; sync")
    g.unplug(dev_id, block=True)
    with open(img, "rb") as f:
        data = f.read()
    r.check(f"premount {fstype}: nothing the holder wrote after the start reached the stick "
            "(its image, read on the host)", mark.encode() not in data,
            f"{data.count(mark.encode())} marked lines in the image; before the start: "
            f"{data.count(b'tick before')}")
    g.sh("systemctl restart airgapd", timeout=90)
    st = g.status()
    r.check(f"premount {fstype}: after the stick left and a restart, status yes",
            st.get("verdict") == "yes" and g.layer(st, "premounted-media")[0] == "active",
            {"verdict": st.get("verdict"), "problems": st.get("problems")})


def run(g):
    work = g.host["work"]
    code, out = install_policy(g, policy(next_serial(g)))
    g.report.check("premount: the approved-media policy reloaded", code == 0, out)
    case(g, "stickp1", fat_stick(work, "premount-fat"), "vfat", "-o umask=000", shut=False)
    case(g, "stickp2", make_stick(work, "premount-ext4", "FORGEDEXT", {"x": "x\n"}), "ext4", "",
         shut=True)
