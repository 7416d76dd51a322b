"""5. Journal: the refusals of the scenarios before are records with a MESSAGE_ID and structured
fields, and `journalctl -x` explains them from the catalog, in Vietnamese under vi_VN.UTF-8."""

from . import ids
from .media import UNAPPROVED_SERIAL

TITLE = "journal"


def run(g):
    r = g.report
    net = g.journal(ids.NETWORK_VIOLATION, "AIRGAP_COMM=airgap-probe")
    by_nobody = [e for e in net if e.get("AIRGAP_UID") == "65534"]
    r.check(
        "NetworkViolation records of airgap-probe (uid 65534) with KIND, PID, UID, ADDRESS",
        any(e.get("AIRGAP_KIND") and e.get("AIRGAP_PID") and e.get("AIRGAP_ADDRESS") for e in by_nobody),
        net[-1] if net else "no record",
    )
    r.check(
        "NetworkViolation record for 192.0.2.1",
        any("192.0.2.1" in e.get("AIRGAP_ADDRESS", "") for e in net),
        [e.get("AIRGAP_ADDRESS") for e in net][-5:],
    )
    families = {e.get("AIRGAP_FAMILY") for e in net}
    if g.layer(g.facts.get("status_after_install", {}), "bpf-lsm")[0] == "active":
        for fam in ("AF_PACKET", "AF_VSOCK", "AF_BLUETOOTH"):
            r.check(f"NetworkViolation record for the {fam} socket (LSM layer)", fam in families, families)
    dev = g.journal(ids.DEVICE_ARRIVAL, "AIRGAP_ACTION=refuse", f"AIRGAP_SERIAL={UNAPPROVED_SERIAL}")
    e = dev[-1] if dev else {}
    r.check(
        "DeviceArrival refuse of the unapproved stick with VENDOR_ID, PRODUCT_ID, RULE, RESULT",
        e.get("AIRGAP_VENDOR_ID") == "46f4" and e.get("AIRGAP_PRODUCT_ID") == "0001"
        and e.get("AIRGAP_RULE") and e.get("AIRGAP_RESULT") == "success",
        e or "no record",
    )
    viol = g.journal(ids.DEVICE_VIOLATION, "AIRGAP_COMM=airgap-probe")
    r.check(
        "DeviceViolation records (refused opens and mounts) with DEVICE, KIND, PID",
        any(v.get("AIRGAP_DEVICE") and v.get("AIRGAP_KIND") and v.get("AIRGAP_PID") for v in viol),
        viol[-1] if viol else "no record",
    )
    text = g.out(
        f"LANG=vi_VN.UTF-8 journalctl --no-pager -x -n 1 MESSAGE_ID={ids.NETWORK_VIOLATION}"
    )
    r.check(
        "journalctl -x under LANG=vi_VN.UTF-8 shows the Vietnamese explanation",
        "Đã chặn truy cập mạng" in text and "29/2018/QH14" in text,
        text[-300:],
    )
    text = g.out(
        f"LANG=C.UTF-8 journalctl --no-pager -x -n 1 MESSAGE_ID={ids.DEVICE_ARRIVAL}"
    )
    r.check("journalctl -x in English: the DeviceArrival explanation", "Device connected" in text, text[-300:])
