"""What scenarios use: commands in the guest, airgapctl and journal queries, hot-plugging."""

import json
import os
import shlex
import shutil

from .machine import GuestError

# In the guest: the 9p share, and the shell functions of guest/helpers.sh.
SHARE = "/mnt/host"
PRELUDE = f". {SHARE}/helpers.sh; "


class Guest:
    """The booted guest, the report and the host-side share, handed to every scenario."""

    def __init__(self, machine, report, share, host):
        self.m = machine
        self.report = report
        self.share = share
        self.host = host  # host-side paths: deb, probe, airgapctl, workdir
        self.facts = {}  # what one scenario leaves for a later one (e.g. pids to find records)
        self.kernel_release = ""  # uname -r
        self.kernel = (0, 0)  # (major, minor), for the checks that depend on the kernel
        self.bpf_lsm = True  # bpf in /sys/kernel/security/lsm

    def learn_kernel(self):
        """What the booted kernel is and whether BPF LSM is in its LSM list (issue 22's matrix:
        scenarios check the documented fallback where a kernel lacks something)."""
        # Without the prelude: the share (and helpers.sh) may not be mounted yet.
        self.kernel_release = self.m.sh("uname -r")[1].strip()
        major, _, rest = self.kernel_release.partition(".")
        minor = rest.split(".")[0].split("-")[0]
        self.kernel = (int(major), int(minor)) if major.isdigit() and minor.isdigit() else (0, 0)
        self.bpf_lsm = "bpf" in self.m.sh("cat /sys/kernel/security/lsm")[1].strip().split(",")

    @property
    def old_helpers(self):
        """Debian 11's 5.10 (the matrix's only kernel before 6.1): its cgroup/dev and
        cgroup/setsockopt programs get no pid/comm helpers, so the daemon loads their reduced
        variants (layers active but limited, records with AIRGAP_PROCESS=unknown, a write to a
        read-only grant EPERM rather than EACCES), and its verifier refuses airgapd's BPF LSM
        and fmod_ret programs (EINVAL), so those layers are unavailable, said by name."""
        return self.kernel < (6, 0)

    @property
    def lsm_loads(self):
        """BPF LSM in the kernel's list and airgapd's LSM programs load (not on 5.10)."""
        return self.bpf_lsm and not self.old_helpers

    @property
    def tcx(self):
        """TCX (6.6+): interface programs are TCX links; before it, tc filters on clsact."""
        return self.kernel >= (6, 6)

    # --- commands -------------------------------------------------------------------------

    def sh(self, script, timeout=60, stdin=None):
        """(exit code, stdout, stderr) of `script` run by /bin/sh as root in the guest."""
        return self.m.sh(PRELUDE + script, timeout=timeout, stdin=stdin)

    def out(self, script, timeout=60):
        """stdout of `script`, stripped (stderr appended when it failed, for details)."""
        code, out, err = self.sh(script, timeout)
        return out.strip() if code == 0 else (out + err).strip()

    def ok(self, script, timeout=60):
        return self.sh(script, timeout)[0] == 0

    def probe(self, *args, user=None):
        """airgap-probe's answer (`ok`, `EPERM`, ...), as root or as `user` (a uid)."""
        cmd = "airgap-probe " + " ".join(shlex.quote(str(a)) for a in args)
        if user is not None:
            cmd = f"setpriv --reuid={user} --regid={user} --clear-groups {cmd}"
        code, out, err = self.sh(cmd, timeout=30)
        return (out.strip() or err.strip()).splitlines()[-1] if (out or err).strip() else ""

    def put(self, name, data):
        """Put a file on the share; returns its path in the guest."""
        path = os.path.join(self.share, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        mode = "wb" if isinstance(data, bytes) else "w"
        with open(path, mode) as f:
            f.write(data)
        return f"{SHARE}/{name}"

    def put_file(self, name, src):
        path = os.path.join(self.share, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copy(src, path)
        return f"{SHARE}/{name}"

    # --- airgapd --------------------------------------------------------------------------

    def status(self):
        """`airgapctl status --json` as a dict, or {"error": ...}."""
        code, out, err = self.sh("airgapctl status --json", timeout=30)
        try:
            return json.loads(out)
        except ValueError:
            return {"error": f"exit {code}: {out.strip()} {err.strip()}"}

    @staticmethod
    def layer(status, name):
        """(state, detail) of one layer in a status dict; ("absent", "") when not listed."""
        for entry in status.get("layers", []):
            if entry.get("name") == name:
                return entry.get("state"), entry.get("detail", "")
        return "absent", ""

    def journal(self, message_id, *matches, since=None):
        """Journal entries with this MESSAGE_ID (plus FIELD=VALUE matches), as dicts."""
        wanted = [f"MESSAGE_ID={message_id}", *matches]
        if since:
            # systemd 252 returns nothing for --after-cursor combined with matches when the
            # cursor's own entry does not match: match here instead.
            args = [f"--after-cursor={since}"]
        else:
            args = wanted
        cmd = "journalctl --no-pager -o json " + " ".join(shlex.quote(a) for a in args)
        code, out, err = self.sh(cmd, timeout=30)
        entries = []
        for line in out.splitlines():
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if all(e.get(k) == v for k, _, v in (m.partition("=") for m in wanted)):
                entries.append(e)
        return entries

    def wait_journal(self, message_id, *matches, since=None, want=1, tries=20):
        """journal(), asked every 0.5 s until `want` entries have come or `tries` asks were
        made: airgapd writes its records a little after the event that causes them."""
        entries = []
        for _ in range(tries):
            entries = self.journal(message_id, *matches, since=since)
            if len(entries) >= want:
                break
            self.sh("sleep 0.5")
        return entries

    def cursor(self):
        """The journal's current end, to find only records written after this point."""
        out = self.out("journalctl --no-pager -n 1 -o export | sed -n 's/^__CURSOR=//p'")
        return out or None

    # --- hot-plug (QMP) -------------------------------------------------------------------

    def plug_stick(self, dev_id, image, serial):
        """A QEMU usb-storage stick (46f4:0001) on the xHCI bus, backed by `image`."""
        node = f"{dev_id}-blk"
        self.m.qmp.execute(
            "blockdev-add",
            driver="raw",
            **{"node-name": node},
            file={"driver": "file", "filename": image},
        )
        self.m.qmp.execute(
            "device_add",
            driver="usb-storage",
            id=dev_id,
            bus="xhci.0",
            drive=node,
            serial=serial,
            removable=True,
        )

    def unplug(self, dev_id, block=False, timeout=30):
        """device_del, wait for DEVICE_DELETED, then free the block node (if any)."""
        try:
            self.m.qmp.execute("device_del", id=dev_id)
            self.m.qmp.wait_event("DEVICE_DELETED", timeout=timeout, device=dev_id)
        finally:
            if block:
                try:
                    self.m.qmp.execute("blockdev-del", **{"node-name": f"{dev_id}-blk"})
                except GuestError:
                    pass

    def keyboard_event_node(self, usb):
        """The /dev/input/eventN of the USB keyboard at sysfs folder `usb` ('' when none)."""
        event = self.out(
            f"wait_until 10 sh -c 'ls -d {usb}/*/0003:*/input/input*/event*' && "
            f"basename $(ls -d {usb}/*/0003:*/input/input*/event* | head -n 1)"
        )
        return event if event.startswith("event") else ""

    def key_reaches(self, event):
        """Press and release 'a' through QMP (it reaches QEMU's USB keyboards): the number of
        bytes /dev/input/`event` delivered ('' or '0': none)."""
        self.sh(
            f"rm -f /var/tmp/kbd.out; setsid timeout 10 dd if=/dev/input/{event} "
            f"of=/var/tmp/kbd.out bs=24 count=1 status=none </dev/null >/dev/null 2>&1 & sleep 1"
        )
        for down in (True, False):
            self.m.qmp.execute(
                "input-send-event",
                events=[{"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": "a"}}}],
            )
        return self.out("wait_until 10 test -s /var/tmp/kbd.out; stat -c %s /var/tmp/kbd.out")

    def plug(self, driver, dev_id, **props):
        self.m.qmp.execute("device_add", driver=driver, id=dev_id, **props)
