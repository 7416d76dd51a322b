"""11. Unprivileged user namespaces (issue 16): on a kernel without BPF LSM a user namespace is
how a user takes noexec off a mount of their own, so the daemon turns them off machine-wide from
the policy (`[exec] unprivileged_user_namespaces`, default false) on the Debian kernel's switch,
reports it as layer `exec-userns`, keeps root's, and follows a policy reload both ways."""

from . import ids
from .media import header, install_policy, next_serial

TITLE = "userns"

SWITCH = "/proc/sys/kernel/unprivileged_userns_clone"
AS_NOBODY = "setpriv --reuid 65534 --regid 65534 --clear-groups unshare -Ur true"


def policy(g, allowed):
    text = header("vm-userns", next_serial(g))
    return text + f"[exec]\nunprivileged_user_namespaces = {str(allowed).lower()}\n"


def run(g):
    r = g.report
    r.check("the guest kernel has Debian's switch", g.out(f"test -e {SWITCH} && echo yes") == "yes")
    r.check(
        f"{SWITCH} is 0 under the policy in force (no [exec]: the default)",
        g.out(f"cat {SWITCH}") == "0",
        g.out(f"cat {SWITCH}"),
    )
    state, detail = g.layer(g.status(), "exec-userns")
    r.check("layer exec-userns active", state == "active", f"{state}: {detail}")
    code, out, err = g.sh(AS_NOBODY)
    r.check(
        "uid 65534 cannot make a user namespace (EPERM)",
        code != 0 and "Operation not permitted" in err,
        f"exit {code}: {err.strip()}",
    )
    code, out, err = g.sh("unshare -Ur true")
    r.check("root still can", code == 0, f"exit {code}: {err.strip()}")

    code, out = install_policy(g, policy(g, True))
    r.check("a policy allowing them is reloaded", code == 0, out[-300:])
    g.sh(f"wait_until 10 grep -qx 1 {SWITCH}")
    r.check(f"{SWITCH} is 1", g.out(f"cat {SWITCH}") == "1")
    code, out, err = g.sh(AS_NOBODY)
    r.check("uid 65534 can make a user namespace", code == 0, f"exit {code}: {err.strip()}")
    state, detail = g.layer(g.status(), "exec-userns")
    r.check(
        "status says exec-userns unavailable: the policy allows them",
        state == "unavailable" and "policy allows" in detail,
        f"{state}: {detail}",
    )
    recs = g.journal(ids.ENFORCEMENT_STATE, "AIRGAP_LAYER=exec-userns")
    r.check(
        "an EnforcementState record says so",
        any("policy allows" in e.get("MESSAGE", "") for e in recs),
        [e.get("MESSAGE") for e in recs][-3:],
    )

    code, out = install_policy(g, policy(g, False))
    r.check("the default policy again", code == 0, out[-300:])
    g.sh(f"wait_until 10 grep -qx 0 {SWITCH}")
    r.check(f"{SWITCH} is 0 again", g.out(f"cat {SWITCH}") == "0")
    code, out, err = g.sh(AS_NOBODY)
    r.check("uid 65534 is refused again", code != 0, f"exit {code}: {err.strip()}")
    state, detail = g.layer(g.status(), "exec-userns")
    r.check("layer exec-userns active again", state == "active", f"{state}: {detail}")
