#!/usr/bin/env python3
"""Boot the guest once, install the package, run every scenario, print `N passed, N failed`.

Called by run.sh, which builds the image, fetches QEMU and builds the package first.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from scenarios import ALL, OPTIONAL  # noqa: E402

# Scenarios that boot the guest again, with the initramfs the package built.
REBOOTING = {"reboot", "lifecycle", "tpm"}
from vmtest.guest import Guest  # noqa: E402
from vmtest.machine import GuestError, Machine  # noqa: E402
from vmtest.report import Report  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# How long a guest agent that stopped answering gets to answer again before the run stops; the
# kernel reports a task blocked for longer than HUNG_TASK_SECS on the console within it.
AGENT_GRACE = 60
HUNG_TASK_SECS = 20


def on_term(signum, _frame):
    # `timeout` (run.sh) sends SIGTERM: unwind so that QEMU and the temp folder go away.
    raise SystemExit(128 + signum)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--qemu", required=True, help="prefix of the unpacked QEMU")
    ap.add_argument("--image", required=True, help="folder with vmlinuz, initrd.img, rootfs.img")
    ap.add_argument("--deb", required=True, help="the airgapd package to install")
    ap.add_argument("--probe", required=True, help="the airgap-probe binary")
    ap.add_argument("--only", default="", help="comma-separated scenario titles (default: all)")
    ap.add_argument("--kernel", default="6.1", help="kernel of the image to boot (5.10, 6.1, 6.12)")
    ap.add_argument("--lsm", default="", help="the kernel's lsm= list (default: the kernel's own)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (console log)")
    ap.add_argument("--qemu-timeout", type=int, default=900, help="hard limit for QEMU, seconds")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)

    work = tempfile.mkdtemp(prefix="airgapd-vm-")
    share = os.path.join(work, "share")
    os.makedirs(share)
    report = Report()
    machine = None
    try:
        shutil.copy(args.deb, os.path.join(share, "airgapd.deb"))
        shutil.copy(os.path.join(HERE, "guest", "helpers.sh"), share)
        shutil.copy(args.probe, os.path.join(share, "airgap-probe"))
        # The airgapctl of this very package, for signing on the host side.
        subprocess.run(["dpkg-deb", "-x", args.deb, os.path.join(work, "deb")], check=True)
        host = {"work": work, "airgapctl": os.path.join(work, "deb/usr/bin/airgapctl")}

        # One boot of the kernel matrix: its checks are prefixed with the kernel (and "no BPF LSM"
        # when the lsm= list leaves it out), so that the closing line counts every kernel's.
        label = args.kernel
        if args.lsm and "bpf" not in args.lsm.split(","):
            label += " no-bpf-lsm"
        report.prefix = f"{label} " if label else ""
        report.begin("vm")
        only = {s for s in args.only.split(",") if s}
        # Issue 19: a software TPM for the guest only when the tpm scenario is named (an office
        # PC has one; the other scenarios were written and measured without).
        tpm = "tpm" in only
        machine = Machine(
            args.qemu, args.image, work, share, args.qemu_timeout, args.kernel, args.lsm, tpm
        )
        try:
            secs, state = machine.boot()
            report.check(f"guest booted to multi-user ({state}) in {secs:.1f} s", True)
        except Exception as e:
            report.check("guest booted", False, f"{type(e).__name__}: {e}")
            console_tail(work)
            return False
        if state != "running":
            _, failed, _ = machine.sh("systemctl --failed --no-legend --plain | cut -d' ' -f1")
            report.note(f"failed units: {' '.join(failed.split()) or 'none'}")
        # A task blocked in the kernel is reported with its stack on the console (which a
        # silent guest agent leaves as the only evidence) after 20 s rather than Debian's 120;
        # a soft lockup with every CPU's; and the console shows those stacks (`quiet` keeps
        # messages of the default level off it: console level 5 shows them).
        machine.sh(
            f"sysctl -q kernel.hung_task_timeout_secs={HUNG_TASK_SECS} kernel.hung_task_warnings=-1 "
            "kernel.softlockup_all_cpu_backtrace=1 kernel.printk='5 4 1 7'"
        )
        # The share is `nofail` in fstab: if its mount lost a race at boot, mount it now.
        machine.sh("for i in 1 2 3 4 5; do mountpoint -q /mnt/host && break; mount /mnt/host; sleep 2; done")
        # The image carries three kernels and the package rebuilds every installed kernel's
        # initramfs (`update-initramfs -u -k all`); under TCG each takes minutes. The disk is a
        # snapshot: forget, for this boot only, the kernels it did not boot.
        machine.sh('for v in /var/lib/initramfs-tools/*; do [ "${v##*/}" = "$(uname -r)" ] || rm -f "$v"; done')
        # A boot that never boots again never uses the initramfs the package rebuilds: there
        # it is built with the modules the root device needs only (MODULES=dep), which under
        # TCG takes a fraction of Debian's MODULES=most (the package's hook runs the same
        # either way). Boots that reboot keep Debian's default: they boot what was built.
        if only and not only & REBOOTING:
            machine.sh("echo MODULES=dep > /etc/initramfs-tools/conf.d/zz-airgapd-vm-test")
        guest = Guest(machine, report, share, host)
        guest.learn_kernel()
        report.note(f"kernel {guest.kernel_release}, BPF LSM {'on' if guest.bpf_lsm else 'off'}")
        code, out, err = guest.sh(
            "mountpoint -q /mnt/host && install -m 0755 /mnt/host/airgap-probe /usr/local/bin/"
        )
        report.check("9p share mounted, airgap-probe installed", code == 0, out + err)
        report.end()
        for scenario in ALL + [s for s in OPTIONAL if s.TITLE in only]:
            if only and scenario.TITLE not in only:
                continue
            report.begin(scenario.TITLE)
            try:
                scenario.run(guest)
            except Exception as e:  # one scenario's trouble must not hide the others
                report.check("scenario ran to its end", False, f"{type(e).__name__}: {e}")
                # A silent guest agent fails every later call after 10 s each and hides why:
                # give the kernel time to print blocked tasks (hung_task_timeout_secs, above),
                # show the console and stop here.
                if isinstance(e, GuestError) and not machine.agent_answers(AGENT_GRACE):
                    report.check(
                        "the guest agent answers again", False,
                        f"silent for {AGENT_GRACE} s more: the scenarios after this one were not run",
                    )
                    console_tail(work, 120)
                    stale = stale_code_lockup(work)
                    if stale:
                        report.note(stale)
                    report.end()
                    break
            report.end()
            if not machine.alive():
                report.check("QEMU still running", False, "QEMU exited")
                console_tail(work)
                break
    finally:
        if machine is not None:
            if args.keep and machine.alive() and machine.agent is not None:
                try:  # for the post-mortem: the guest's journal, in the kept work folder
                    machine.sh("journalctl --no-pager -o short-monotonic > /mnt/host/journal.txt")
                except Exception:
                    pass
            machine.shutdown()
        if args.keep:
            print(f"work folder kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
        report.summary()
    return report.failed == 0


def stale_code_lockup(work):
    """What a silent guest's console says, when it is the emulator's known fault: vCPUs in a
    soft lockup taking an int3 at a kernel address whose memory no longer holds one (the
    kernel backs up and retries, for ever). On hardware the patching CPU's sync IPI makes
    that impossible; QEMU 7.2's multi-threaded TCG sometimes keeps running the old code."""
    try:
        with open(os.path.join(work, "console.log"), errors="replace") as f:
            text = f.read()
    except OSError:
        return ""
    if "soft lockup" in text and "asm_exc_int3" in text:
        return (
            "diagnosis: soft lockup with the vCPUs looping on an int3 already patched away "
            "(kernel text patched by a BPF attach or detach): the emulator ran stale code "
            "(multi-threaded TCG; AIRGAPD_VM_TCG_THREAD=single avoids it); see tests/vm/README, "
            "scenario 19"
        )
    return ""


def console_tail(work, lines=40):
    try:
        with open(os.path.join(work, "console.log"), errors="replace") as f:
            tail = f.readlines()[-lines:]
        print("guest console (last lines):", file=sys.stderr)
        sys.stderr.writelines(tail)
    except OSError:
        pass


if __name__ == "__main__":
    t0 = time.monotonic()
    ok = False
    try:
        ok = main()
    finally:
        print(f"time: guest test {time.monotonic() - t0:.1f} s", file=sys.stderr)
    sys.exit(0 if ok else 1)
