"""17. The TPM in the machine record (issue 19), with swtpm as the guest's TPM (tpm-tis; the
harness starts it for this scenario): every airgapd start line carries the TPM's reset count
and airgapd's NV counter; a boot made with airgapd disabled shows up in `airgapctl inspect` as
a TPM reset the record does not hold; the record rolled back to an older copy is caught (the
TPM's counter is ahead of it, then, once the next start continued the copy, its values skip
while its chain verifies); an edited line breaks the chain."""

import json

from . import ids

TITLE = "tpm"

RECORD = "/var/lib/airgapd/machine-record.jsonl"


def lines(g):
    out = g.out(f"cat {RECORD}")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def starts(g):
    return [e for e in lines(g) if e.get("event") == "start"]


def inspect(g):
    code, out, err = g.sh("airgapctl --json inspect", timeout=300)
    try:
        return json.loads(out)
    except ValueError:
        return {"error": f"{code} {err[-500:]}"}


def uncovered(report):
    for f in report.get("findings", []):
        if f.get("id") == "uncovered-boots":
            return f
    return {}


def kinds(report):
    return {e.get("kind"): e for e in uncovered(report).get("evidence", [])}


def reboot(g, r, why):
    before = g.out("cat /proc/sys/kernel/random/boot_id")
    g.sh("setsid sh -c 'sleep 1; systemctl reboot' </dev/null >/dev/null 2>&1 &")
    # Twice s8's limit: under TCG on a loaded host a reboot has taken longer than 300 s.
    secs = g.m.reboot_wait(before, timeout=600)
    r.note(f"rebooted ({why}) in {secs:.1f} s")


def run(g):
    r = g.report
    r.check("the guest has a TPM (/dev/tpmrm0)", g.ok("test -c /dev/tpmrm0"),
            g.out("ls -l /dev/tpm* 2>&1; dmesg | grep -i tpm | tail -5"))
    # The daemon of this boot has written its start with the TPM's facts.
    first = starts(g)
    last = first[-1] if first else {}
    tpm = last.get("tpm", {})
    r.check("the start line carries the TPM: present, a reset count, airgapd's counter",
            tpm.get("state") == "present" and isinstance(tpm.get("reset_count"), int)
            and isinstance(tpm.get("nv_counter"), int) and tpm.get("nv_index") == "0x0100a19d",
            last)
    counters = [s.get("tpm", {}).get("nv_counter") for s in first]
    r.check("the counter runs on by one, start after start",
            all(b == a + 1 for a, b in zip(counters, counters[1:])), counters)
    clean = inspect(g)
    r.check("inspect: no TPM evidence while every boot is in the record",
            not [k for k in kinds(clean) if k.startswith("tpm-")]
            and clean.get("since_airgapd", {}).get("tpm", {}).get("now", {}).get("nv_counter")
            == tpm.get("nv_counter"),
            uncovered(clean))
    g.sh(f"cp {RECORD} /root/record-old.jsonl")

    # A boot made with airgapd disabled (masked: not even D-Bus activation starts it).
    g.sh("systemctl mask -q airgapd.service")
    reboot(g, r, "airgapd masked")
    r.check("airgapd did not run in that boot", not g.ok("systemctl is-active -q airgapd"))
    g.sh("systemctl unmask -q airgapd.service")
    reboot(g, r, "airgapd back")
    r.check("airgapd runs again", g.ok("systemctl is-active -q airgapd"))
    now = starts(g)
    new = now[-1].get("tpm", {}) if now else {}
    r.check("the new start's reset count is two above the last (one boot without airgapd)",
            new.get("reset_count") == (tpm.get("reset_count") or 0) + 2, (tpm, new))
    rep = inspect(g)
    jump = kinds(rep).get("tpm-resets-not-in-record", {})
    r.check("inspect: uncovered-boots found, one TPM reset the record does not hold",
            uncovered(rep).get("answer") == "found" and jump.get("count") == 1, uncovered(rep))

    # Root puts the older copy back: its chain verifies, the TPM's counter is ahead of it.
    g.sh(f"cp /root/record-old.jsonl {RECORD}")
    rep = inspect(g)
    ahead = kinds(rep).get("tpm-counter-ahead", {})
    r.check("inspect: the older copy verifies as a chain",
            rep.get("since_airgapd", {}).get("verified") is True, rep.get("since_airgapd", {}).get("problem"))
    r.check("inspect: the older copy is caught (tpm-counter-ahead)", ahead.get("count") == 1,
            uncovered(rep))
    # The next start continues the copy: the counter's values in it now skip.
    g.sh("systemctl restart airgapd", timeout=120)
    g.out("for i in $(seq 50); do [ \"$(grep -c '\"event\":\"start\"' " + RECORD
          + ")\" -gt " + str(len(first)) + " ] && break; sleep 0.2; done")
    cont = starts(g)[-1].get("tpm", {})
    r.check("the continuing start says the TPM was ahead (nv_counter_before)",
            cont.get("nv_counter_before") is not None, cont)
    rep = inspect(g)
    r.check("inspect: the continued copy still verifies, its counter gap is caught",
            rep.get("since_airgapd", {}).get("verified") is True
            and "tpm-counter-gap" in kinds(rep), uncovered(rep))
    rolled = g.journal(ids.MACHINE_RECORD, "PRIORITY=1")
    r.check("journal: the continuing start's copy at alert priority, with the counter before",
            any(e.get("AIRGAP_TPM_COUNTER_BEFORE") for e in rolled), rolled[-1:] if rolled else rolled)

    # An edited line (one space added) breaks the chain.
    g.sh(f"cp {RECORD} /root/record-whole.jsonl; sed -i '1s/\"pid\":/\"pid\": /' {RECORD}")
    rep = inspect(g)
    r.check("inspect: an edited line is caught (machine-record-altered)",
            "machine-record-altered" in kinds(rep), uncovered(rep))
    # The record as the daemon left it, for the scenarios after this one.
    g.sh(f"cp /root/record-whole.jsonl {RECORD}")
