"""7. Policy update: the security office signs a policy (ssh-keygen ed25519 key, `airgapctl
policy sign` on the host); it reaches the guest on the approved read-only stick and is applied
with `airgapctl policy apply`; a tampered copy next to it is refused."""

import os
import subprocess

from . import ids
from .media import RO_LABEL, RO_SERIAL, make_stick, plug_and_find_disk, policy

TITLE = "policy-update"
SERIAL = 7


def sign(g, work):
    """Key pair and signed update on the host: (public key text, {path: bytes} for the stick)."""
    keydir = os.path.join(work, "office-key")
    os.makedirs(keydir, exist_ok=True)
    key = os.path.join(keydir, "office")
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "security-office", "-f", key],
        check=True,
    )
    upd = os.path.join(work, "update")
    os.makedirs(upd, exist_ok=True)
    text = policy(SERIAL)
    path = os.path.join(upd, "policy.toml")
    with open(path, "w") as f:
        f.write(text)
    subprocess.run(
        [g.host["airgapctl"], "policy", "sign", "--key", key, path],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    sig = open(path + ".sig", "rb").read()
    # The tampered copy: one more approved stick slipped in, the original signature kept.
    tampered = text.replace('serial = 7', 'serial = 8') + (
        '\n[[media]]\nname = "Slipped in"\nvendor_id = "46f4"\nproduct_id = "0001"\n'
        'serial = "EVIL0001"\naccess = "read-write"\n'
    )
    files = {
        "update/policy.toml": text,
        "update/policy.toml.sig": sig,
        "tampered/policy.toml": tampered,
        "tampered/policy.toml.sig": sig,
    }
    return open(key + ".pub").read(), files


def run(g):
    r = g.report
    work = g.host["work"]
    pub, files = sign(g, work)
    code, out, err = g.sh(
        "install -d -o root -g root -m 0755 /etc/airgapd/trusted-keys && "
        "cat > /etc/airgapd/trusted-keys/office.pub && chown root:root "
        "/etc/airgapd/trusted-keys/office.pub && chmod 0644 /etc/airgapd/trusted-keys/office.pub",
        stdin=pub.encode(),
    )
    r.check("office public key installed in /etc/airgapd/trusted-keys (root, 0644)", code == 0, err)
    img = make_stick(work, "update-stick", RO_LABEL, files)
    usb, disk = plug_and_find_disk(g, "stick4", img, RO_SERIAL)
    r.check("update stick (approved read-only) appears", disk != "", usb)
    if not disk:
        return
    got = g.out(
        f"probe_until 15 ok open {disk} ro >/dev/null; mkdir -p /media/update && "
        f"mount -o ro {disk} /media/update && ls /media/update/update"
    )
    r.check("update stick mounted read-only", "policy.toml.sig" in got, got)
    cursor = g.cursor()
    code, out, err = g.sh("airgapctl policy apply /media/update/update/policy.toml", timeout=60)
    r.check("signed update applied (airgapctl policy apply exit 0)", code == 0, out + err)
    st = g.status()
    serial = st.get("policy", {}).get("serial")
    r.check(f"status shows the new serial {SERIAL}", serial == SERIAL, st.get("policy"))
    code, out, err = g.sh("airgapctl policy apply /media/update/tampered/policy.toml", timeout=60)
    r.check("tampered update refused (exit 1)", code == 1, f"exit {code}: {out}{err}")
    st = g.status()
    serial = st.get("policy", {}).get("serial")
    r.check(f"after the tampered update the serial stays {SERIAL}", serial == SERIAL, st.get("policy"))
    rec = g.journal(ids.POLICY_UPDATE, since=cursor)
    results = [e.get("AIRGAP_RESULT") for e in rec]
    r.check(
        "journal: PolicyUpdate records, one success and one failure",
        "success" in results and "failure" in results,
        results,
    )
    g.sh("umount /media/update")
    g.unplug("stick4", block=True)
