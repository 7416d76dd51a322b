"""The guest: one QEMU process, its QMP monitor and its guest agent.

Safety: the guest has no network backend at all. QEMU starts with `-nodefaults -nic none`, and
the only NICs ever added (hot-plugged through QMP by scenarios) have no `netdev`, so a frame a
guest sends goes nowhere. Only the QEMU process started here is ever killed, by its pid; it also
dies with this process (PR_SET_PDEATHSIG) and after a hard deadline.
"""

import base64
import ctypes
import json
import os
import signal
import socket
import subprocess
import threading
import time


# QEMU 7.2's multi-threaded TCG now and then let a vCPU run stale code after another vCPU
# patched kernel text (tests/vm/README, "restarts"); qemu.sh now fetches QEMU 10, where it was
# not seen. AIRGAPD_VM_TCG_THREAD=single runs every vCPU on one host thread, which cannot.
TCG_THREAD = os.environ.get("AIRGAPD_VM_TCG_THREAD", "multi")


class GuestError(Exception):
    """The guest or QEMU did not answer as expected, or not in time."""


def _die_with_parent():
    # Runs in the child between fork and exec: SIGKILL QEMU if the harness dies.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class _JsonSocket:
    """A unix socket carrying one JSON object per line (QMP and the guest agent)."""

    def __init__(self, path, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise GuestError(f"no socket at {path} after {timeout} s")
                time.sleep(0.05)
        self.buf = b""

    def send(self, obj, prefix=b""):
        self.sock.sendall(prefix + json.dumps(obj).encode() + b"\n")

    def recv(self, deadline):
        """The next JSON object, or None at the deadline."""
        while True:
            # The agent may send a 0xff sentinel before a guest-sync-delimited answer.
            self.buf = self.buf.lstrip(b"\xff")
            line, sep, rest = self.buf.partition(b"\n")
            if sep:
                self.buf = rest
                if line.strip():
                    try:
                        return json.loads(line)
                    except ValueError:
                        continue
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(min(left, 1.0))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise GuestError("connection closed by QEMU")
            self.buf += chunk

    def close(self):
        self.sock.close()


class Qmp:
    """QEMU's machine protocol: hot-plug devices, read events."""

    def __init__(self, path, timeout=30):
        self.io = _JsonSocket(path, timeout)
        self.events = []
        self.next_id = 0
        greeting = self.io.recv(time.monotonic() + timeout)
        if not greeting or "QMP" not in greeting:
            raise GuestError(f"no QMP greeting: {greeting}")
        self.execute("qmp_capabilities")

    def execute(self, command, timeout=30, **arguments):
        self.next_id += 1
        cid = f"c{self.next_id}"
        msg = {"execute": command, "id": cid}
        if arguments:
            msg["arguments"] = arguments
        self.io.send(msg)
        deadline = time.monotonic() + timeout
        while True:
            reply = self.io.recv(deadline)
            if reply is None:
                raise GuestError(f"QMP {command}: no answer in {timeout} s")
            if "event" in reply:
                self.events.append(reply)
            elif reply.get("id") == cid:
                if "error" in reply:
                    raise GuestError(f"QMP {command}: {reply['error'].get('desc')}")
                return reply.get("return")

    def wait_event(self, name, timeout=30, **data):
        """Wait for event `name` whose data has the given items; consumes it."""
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                d = ev.get("data", {})
                if ev["event"] == name and all(d.get(k) == v for k, v in data.items()):
                    return self.events.pop(i)
            reply = self.io.recv(deadline)
            if reply is None:
                raise GuestError(f"no QMP event {name} {data} in {timeout} s")
            if "event" in reply:
                self.events.append(reply)


class Agent:
    """qemu-guest-agent over virtio-serial: run commands in the guest."""

    def __init__(self, path):
        self.io = _JsonSocket(path, 10)
        self.sync_id = int(time.time()) % 100000 * 1000

    def sync(self, timeout):
        """Wait until the agent answers (it starts late in the guest's boot)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sync_id += 1
            # 0xff makes the agent drop any partial input first.
            self.io.send(
                {"execute": "guest-sync-delimited", "arguments": {"id": self.sync_id}},
                prefix=b"\xff",
            )
            step = min(deadline, time.monotonic() + 2)
            while True:
                reply = self.io.recv(step)
                if reply is None:
                    break
                if reply.get("return") == self.sync_id:
                    return
        raise GuestError(f"the guest agent did not answer in {timeout} s")

    def _call(self, command, timeout, **arguments):
        self.io.send({"execute": command, "arguments": arguments})
        reply = self.io.recv(time.monotonic() + timeout)
        if reply is None:
            raise GuestError(f"guest agent {command}: no answer in {timeout} s")
        if "error" in reply:
            raise GuestError(f"guest agent {command}: {reply['error'].get('desc')}")
        return reply.get("return")

    def run(self, script, timeout=60, stdin=None):
        """Run `script` with /bin/sh in the guest; (exit code, stdout, stderr).

        The guest side is bounded too (`timeout -s KILL`), so a hung command cannot outlive
        its deadline there either.
        """
        args = {
            "path": "/usr/bin/timeout",
            "arg": ["-s", "KILL", str(int(timeout)), "/bin/sh", "-c", script],
            "capture-output": True,
        }
        if stdin is not None:
            args["input-data"] = base64.b64encode(stdin).decode()
        pid = self._call("guest-exec", 10, **args)["pid"]
        deadline = time.monotonic() + timeout + 10
        pause = 0.02
        while True:
            st = self._call("guest-exec-status", 10, pid=pid)
            if st.get("exited"):
                break
            if time.monotonic() > deadline:
                raise GuestError(f"guest command did not finish in {timeout} s: {script}")
            time.sleep(pause)
            pause = min(pause * 2, 0.3)
        out = base64.b64decode(st.get("out-data", "")).decode(errors="replace")
        err = base64.b64decode(st.get("err-data", "")).decode(errors="replace")
        code = st.get("exitcode", 128 + st.get("signal", 0))
        return code, out, err


class Machine:
    """One QEMU guest, started once for every scenario."""

    def __init__(self, qemu_prefix, image, rundir, share, hard_timeout, kernel="", lsm="", tpm=False):
        self.rundir = rundir
        # Issue 19: with `tpm`, a software TPM 2.0 (swtpm, on the host, its state in the work
        # folder) as the guest's tpm-tis device; it lives as long as this QEMU process, so the
        # guest's reboots are resets it counts.
        self.swtpm = self._start_swtpm(rundir) if tpm else None
        # The kernel matrix (issue 22): `kernel` names vmlinuz-NAME/initrd.img-NAME of the image
        # (empty: the image's default, bookworm's 6.1); `lsm` replaces the kernel's LSM list.
        suffix = f"-{kernel}" if kernel else ""
        append = "root=/dev/vda rw console=ttyS0 quiet panic=-1"
        if lsm:
            append += f" lsm={lsm}"
        self.qmp_path = os.path.join(rundir, "qmp.sock")
        self.qga_path = os.path.join(rundir, "qga.sock")
        self.console = os.path.join(rundir, "console.log")
        lib = ":".join(
            os.path.join(qemu_prefix, d) for d in ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu")
        )
        env = dict(os.environ, LD_LIBRARY_PATH=lib)
        # fmt: off
        cmd = [
            os.path.join(qemu_prefix, "usr/bin/qemu-system-x86_64"),
            "-L", os.path.join(qemu_prefix, "usr/share/qemu"),
            "-L", os.path.join(qemu_prefix, "usr/share/seabios"),
            "-nodefaults", "-no-user-config", "-display", "none",
            # No network backend, ever: see the module comment.
            "-nic", "none",
            # No PS/2 controller: the USB keyboard a scenario plugs is then the keyboard QMP
            # input-send-event reaches (as on a PC with only USB input).
            "-accel", f"tcg,thread={TCG_THREAD},tb-size=512", "-cpu", "max", "-machine", "q35,i8042=off",
            "-smp", "2", "-m", "2G",
            "-kernel", os.path.join(image, "vmlinuz" + suffix),
            "-initrd", os.path.join(image, "initrd.img" + suffix),
            "-append", append,
            "-drive", f"file={os.path.join(image, 'rootfs.img')},if=none,id=root,format=raw,snapshot=on",
            "-device", "virtio-blk-pci,drive=root",
            "-virtfs", f"local,path={share},mount_tag=host0,security_model=none,id=host0",
            "-chardev", f"socket,id=qga0,path={self.qga_path},server=on,wait=off",
            "-device", "virtio-serial-pci,id=vser",
            "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
            "-serial", f"file:{self.console}",
            "-device", "qemu-xhci,id=xhci",
            # An empty PCIe slot for a NIC hot-plugged later (with no netdev).
            "-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1",
        ]
        if self.swtpm is not None:
            cmd += [
                "-chardev", f"socket,id=chrtpm,path={self.swtpm_ctrl}",
                "-tpmdev", "emulator,id=tpm0,chardev=chrtpm",
                "-device", "tpm-tis,tpmdev=tpm0",
            ]
        # fmt: on
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(rundir, "qemu.out"), "wb"),
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        self.pid = self.proc.pid
        self._killer = threading.Timer(hard_timeout, self.kill)
        self._killer.daemon = True
        self._killer.start()
        self.qmp = None
        self.agent = None

    def _start_swtpm(self, rundir):
        """swtpm's control socket for QEMU (QEMU initialises the TPM through it); the process
        ends when QEMU's connection does (`--terminate`), with this one (PDEATHSIG), or by its
        pid in kill()."""
        state = os.path.join(rundir, "tpm")
        os.makedirs(state, exist_ok=True)
        self.swtpm_ctrl = os.path.join(state, "swtpm.sock")
        proc = subprocess.Popen(
            ["swtpm", "socket", "--tpm2", "--tpmstate", f"dir={state}",
             "--ctrl", f"type=unixio,path={self.swtpm_ctrl}", "--terminate"],
            stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(rundir, "swtpm.out"), "wb"),
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + 10
        while not os.path.exists(self.swtpm_ctrl):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise GuestError("swtpm did not start (see swtpm.out)")
            time.sleep(0.05)
        return proc

    def boot(self, timeout=180):
        """Connect QMP, wait for the guest agent; returns seconds since QEMU started."""
        self.qmp = Qmp(self.qmp_path)
        self.agent = Agent(self.qga_path)
        self.agent.sync(timeout)
        code, out, err = self.agent.run("systemctl is-system-running --wait", timeout=timeout)
        state = out.strip()
        if state not in ("running", "degraded"):
            raise GuestError(f"guest is {state!r} after boot: {err.strip()}")
        return time.monotonic() - self.started, state

    def reboot_wait(self, old_boot_id, timeout=180):
        """After a guest reboot was started: wait until a new boot is up; returns seconds."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            try:
                self.agent.sync(min(10, max(1, deadline - time.monotonic())))
                code, out, _ = self.agent.run("cat /proc/sys/kernel/random/boot_id", timeout=10)
                if code == 0 and out.strip() and out.strip() != old_boot_id:
                    left = max(10, deadline - time.monotonic())
                    self.agent.run("systemctl is-system-running --wait", timeout=left)
                    return time.monotonic() - t0
            # The agent's socket times out (TimeoutError, an OSError) while the guest is down or
            # slow to come back under load: keep trying until the deadline.
            except (GuestError, OSError):
                pass
            time.sleep(1)
        raise GuestError(f"the guest did not come back from a reboot in {timeout} s")

    def sh(self, script, timeout=60, stdin=None):
        if self.proc.poll() is not None:
            raise GuestError(f"QEMU exited with {self.proc.returncode}")
        return self.agent.run(script, timeout=timeout, stdin=stdin)

    def alive(self):
        return self.proc.poll() is None

    def agent_answers(self, timeout):
        """Whether the guest agent answers within `timeout` s. A `guest-sync-delimited` round
        also drops what a call that timed out may still have left in the channel, so the next
        call reads its own reply."""
        if not self.alive() or self.agent is None:
            return False
        try:
            self.agent.sync(timeout)
            return True
        except (GuestError, OSError):
            return False

    def kill(self):
        """SIGKILL our QEMU process (and only it), by pid; and our swtpm, by its pid."""
        if self.proc.poll() is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._stop_swtpm()

    def _stop_swtpm(self):
        if self.swtpm is not None and self.swtpm.poll() is None:
            try:
                os.kill(self.swtpm.pid, signal.SIGTERM)
                self.swtpm.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.kill(self.swtpm.pid, signal.SIGKILL)

    def shutdown(self, timeout=20):
        """Stop QEMU (QMP `quit`: the disk is a snapshot, nothing to save), or kill it."""
        self._killer.cancel()
        if self.proc.poll() is None and self.qmp is not None:
            try:
                self.qmp.execute("quit", timeout=5)
            except (GuestError, OSError):
                pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.proc.wait(10)
        for s in (self.qmp, self.agent):
            if s is not None:
                s.io.close()
        self._stop_swtpm()
