"""17. Journal sealing (issue 19) with the guest's real journald: `airgapctl seal-journal` keeps
the journal on disk, makes the key, restarts and rotates journald, and the active file is
sealed; `inspect --verify-key` with the key printed passes on the live journal, fails on a copy
of it with one sealed file edited and with a wrong key, and `--previous` with the machine
record's head printed before passes after the record grew. airgapd keeps enforcing across the
journald restart."""

import json
import re

TITLE = "seal"


def inspect(g, args):
    """`airgapctl --json inspect ARGS` as a dict (the guest has no Python: parsed here)."""
    code, out, err = g.sh(f"airgapctl --json inspect {args}", timeout=180)
    try:
        return json.loads(out)
    except ValueError:
        return {"error": f"exit {code}: {out[-300:]} {err[-300:]}"}


def seal_summary(report):
    s = report.get("journal_seal") or {}
    return s.get("passed"), sorted(f["outcome"] for f in s.get("files", [])), report.get("error")


def run(g):
    r = g.report
    mid = g.out("cat /etc/machine-id")
    code, out, err = g.sh("LC_ALL=C.UTF-8 TZ=UTC airgapctl seal-journal", timeout=120)
    r.check("seal-journal as root: exit 0 (journald seals now)", code == 0, out[-1500:] + err)
    m = re.search(r"^Verification key: (\S+)$", out, re.M)
    r.check("seal-journal printed the verification key", m is not None, out[-800:])
    if m is None:
        return
    key = m.group(1)
    r.check("seal-journal printed the QR code and the instructions",
            "█" in out and f"airgapctl inspect --verify-key {key}" in " ".join(out.split()),
            out[-600:])
    header = g.out(f"journalctl --header --file=/var/log/journal/{mid}/system.journal")
    r.check("the active system journal is sealed", "SEALED" in header, header[:600])
    dropin = g.out("cat /etc/systemd/journald.conf.d/90-airgapd-seal.conf")
    r.check("the drop-in keeps the journal on disk and seals it",
            "Storage=persistent" in dropin and "Seal=yes" in dropin, dropin)
    code, again, err = g.sh("LC_ALL=C.UTF-8 airgapctl seal-journal")
    r.check("a second seal-journal is refused without --force (exit 1, key kept)",
            code == 1 and "already set up" in " ".join(err.split()), again + err)

    # Some entries, then the sealed file closed (rotated) so it carries its final seal.
    g.sh("for i in 1 2 3; do logger -t airgapd-seal-test entry $i; done; journalctl --sync; "
         "journalctl --rotate")
    status = g.status()
    r.check("airgapd still answers after journald's restart", "error" not in status, status)

    passed, outcomes, error = seal_summary(inspect(g, f"--verify-key {key}"))
    r.check("inspect --verify-key on the live journal: passed", passed is True,
            (outcomes, error))
    r.check("every file written since is sealed and verifies (no unsealed file after the key)",
            "unsealed-after-key" not in outcomes and "failed" not in outcomes
            and "verified" in outcomes, outcomes)

    # A copy of the journal with one byte of a sealed, closed file changed.
    code, out, err = g.sh(
        f"rm -rf /root/sealroot && mkdir -p /root/sealroot/var/log/journal && "
        f"cp -a /var/log/journal/{mid} /root/sealroot/var/log/journal/ && "
        f"f=$(grep -l airgapd-seal-test /root/sealroot/var/log/journal/{mid}/system@*.journal "
        f"| while read f; do journalctl --header --file=$f | grep -q 'Compatible flags: SEALED' "
        f"&& echo $f; done | tail -1) && "
        "off=$(grep -abo 'entry 2' $f | head -1 | cut -d: -f1) && "
        "printf X | dd of=$f bs=1 seek=$((off + 6)) conv=notrunc status=none && echo $f")
    r.check("a sealed, closed journal file holding the test entries was copied and edited",
            code == 0 and out.strip().endswith(".journal"), out + err)
    passed, outcomes, error = seal_summary(inspect(g, f"--root /root/sealroot --verify-key {key}"))
    r.check("inspect --verify-key on the edited copy: FAILED, the edited file failed",
            passed is False and "failed" in outcomes, (outcomes, error))
    wrong = ("1" if key[0] == "0" else "0") + key[1:]
    passed, outcomes, error = seal_summary(inspect(g, f"--verify-key {wrong}"))
    r.check("inspect --verify-key with a wrong key: FAILED", passed is False, (outcomes, error))
    g.sh("rm -rf /root/sealroot")

    # The machine record's head, printed now, is still in it after the daemon restarts.
    head = inspect(g, "").get("since_airgapd", {}).get("head") or ""
    r.check("inspect prints the machine record's chain head", head.startswith("machine-record:"),
            head)
    g.sh("systemctl restart airgapd", timeout=120)
    previous = inspect(g, f"--previous {head}").get("previous") or [{}]
    r.check("inspect --previous with that head after a restart: still a prefix",
            previous[0].get("outcome") == "prefix", previous)

    report(g, key, mid)


def report(g, key, mid):
    """Issue 20: the officer's report made on this installed machine, with the sealing key: its
    four files, signed with the machine key the package made; its JSON names this machine, the
    machine record's head and the sealing result; `report verify` with the public key passes,
    and fails once one byte of the page is changed."""
    r = g.report
    out = "/root/report"
    code, text, err = g.sh(
        f"rm -rf {out} && airgapctl report --out {out} --officer 'Nguyễn Văn A' "
        f"--seal NP-0042 --verify-key {key}", timeout=300)
    files = g.out(f"ls {out}").split()
    want = ["report.html", "report.json", "report.pdf", "report.sig"]
    r.check("airgapctl report: exit 0, its four files written", code == 0 and files == want,
            (code, files, text[-400:], err[-800:]))
    if code != 0:
        return
    try:
        doc = json.loads(g.out(f"cat {out}/report.json"))
    except ValueError:
        doc = {}
    integrity = doc.get("integrity", {})
    # What the inspection finds right after, with the same key: the report must say the same.
    now = inspect(g, f"--verify-key {key}")
    head = now.get("since_airgapd", {}).get("head") or ""
    seal = now.get("journal_seal") or {}
    r.check("report.json names this machine (its machine-id)",
            doc.get("machine", {}).get("machine_id") == mid,
            (doc.get("machine", {}).get("machine_id"), mid))
    r.check("report.json: the machine record verified, its head the one inspect prints",
            integrity.get("machine_record_verified") is True and bool(head)
            and integrity.get("machine_record_head") == head,
            (integrity.get("machine_record_head"), head))
    r.check("report.json: the journal sealing result, as inspect --verify-key finds it",
            integrity.get("journal_sealed") is not None
            and integrity.get("journal_sealed") == seal.get("passed"),
            (integrity.get("journal_sealed"), seal.get("passed"),
             sorted(f.get("outcome", "") for f in seal.get("files", []))))
    r.note(f"report: journal sealed {integrity.get('journal_sealed')}; files "
           f"{sorted(f.get('outcome', '') for f in seal.get('files', []))}")
    pub = "/var/lib/airgapd/machine-key.pub"
    shown = g.out("airgapctl status --machine-key")
    fpr = g.out(f"ssh-keygen -lf {pub} | cut -d' ' -f2")
    r.check("status --machine-key shows the key the package made", bool(fpr) and fpr in shown,
            (fpr, shown))
    code, text, err = g.sh(f"airgapctl report verify {out} --key {pub}", timeout=120)
    r.check("report verify with the machine's public key: passes (exit 0)", code == 0,
            text[-600:] + err[-600:])
    code, text, err = g.sh(
        f"cp -a {out} {out}-x && printf 'X' | dd of={out}-x/report.html bs=1 seek=4000 "
        f"conv=notrunc status=none && airgapctl report verify {out}-x --key {pub}", timeout=120)
    r.check("report verify after one byte of report.html changed: fails, naming report.html",
            code != 0 and "report.html" in text + err, (code, text[-400:], err[-400:]))
    g.sh(f"rm -rf {out}-x")
