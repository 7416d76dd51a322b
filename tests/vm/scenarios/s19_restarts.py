"""19. Restarts (optional: `AIRGAPD_VM_MATRIX="6.1:default:boot,restarts"`): the daemon is
SIGKILLed and restarts by itself AIRGAPD_VM_RESTARTS times in a row (default 20), each time
adopting the pinned links and swapping its programs in (on 6.1 with BPF LSM that re-attaches
the LSM and fmod_ret programs: kernel text is patched each time). After each restart the guest
must still answer and refuse.

Written for a CI failure: in [6.1 resilience] the guest agent stopped answering right after the
restart of a SIGKILLed daemon, and it did not happen again in 8 runs of that sequence here.
Within 20 to 70 restarts this scenario shows it: the emulator's stale-code loop
(tests/vm/README, scenario 19; harness.stale_code_lockup)."""

import os

from . import ids

TITLE = "restarts"
ROUNDS = int(os.environ.get("AIRGAPD_VM_RESTARTS", "20"))

ROUND = r"""
old=$(systemctl show -p MainPID --value airgapd)
systemctl kill -s KILL airgapd
while kill -0 "$old" 2>/dev/null; do sleep 0.02; done
wait_until 30 sh -c '[ "$(systemctl show -p MainPID --value airgapd)" != 0 ] && \
    [ "$(systemctl show -p MainPID --value airgapd)" != '"$old"' ] && systemctl is-active -q airgapd'
echo "active=$(systemctl is-active airgapd) connect=$(airgap-probe connect tcp 192.0.2.1 80)"
"""


def run(g):
    r = g.report
    cursor = g.cursor()
    bad = []
    for i in range(ROUNDS):
        out = g.out(ROUND, timeout=60)
        if "active=active" not in out or "connect=EPERM" not in out:
            bad.append(f"round {i + 1}: {out.strip()}")
    r.check(f"{ROUNDS} SIGKILLs: each time the service came back and TCP connect stayed EPERM",
            not bad, "; ".join(bad))
    started = g.journal(ids.DAEMON_STARTED, since=cursor)
    r.check(f"{ROUNDS} DaemonStarted records after them", len(started) >= ROUNDS, f"{len(started)}")
    code, out, _ = g.sh("journalctl -k -p warning --no-pager -o cat | tail -n 20")
    r.check("no kernel warning after the restarts (hung task, soft lockup, BPF)",
            not any(w in out for w in ("hung_task", "blocked for more than", "soft lockup", "BUG", "WARNING")),
            out)
