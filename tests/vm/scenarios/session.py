"""A desktop user's active local session in the headless guest, as polkit sees one at a desk.

polkit grants a desktop user's actions (udisks' `filesystem-mount`: `allow_active yes`) only to
a process of a *local* and *active* logind session: a session on a seat (seat0), the seat's
foreground one. A session made by `su` or `systemd-run --uid` from the guest agent has no seat
(PAM_TTY is not a virtual terminal), so polkit counts it as neither and asks for the
administrator's password. What makes a real one without a display: a PAM login (`PAMName=login`,
as getty's login does) whose PAM_TTY is a virtual terminal (`TTYPath=/dev/ttyN`): pam_systemd
registers the session on seat0 with that VT, and logind makes it active once that VT is in the
foreground (`VT_ACTIVATE`, what chvt does). The kernel's VTs exist without a display (dummy
console), so seat0 can have VTs.

Commands then run as a process of that session: put into the session's scope cgroup (how
logind and polkit tell which session a process belongs to, `sd_pid_get_session`), then the
user's identity taken, as a terminal opened in the session would be. No polkit rule is added."""

import shlex

UNIT = "airgapd-test-desk-session"


class Session:
    def __init__(self, g, user, vt):
        self.g = g
        self.user = user
        self.vt = vt
        self.id = ""
        self.uid = ""
        self.procs = ""

    def start(self):
        """Create the user if needed, log it in on VT `vt`, bring that VT to the foreground;
        '' when the session is active and local, else what is wrong."""
        g, user = self.g, self.user
        code, out, err = g.sh(
            f"id -u {user} >/dev/null 2>&1 || useradd -m -s /bin/sh {user}; "
            f"systemctl stop {UNIT} 2>/dev/null; "
            f"systemd-run --unit={UNIT} -p PAMName=login -p User={user} "
            f"-p TTYPath=/dev/tty{self.vt} -p StandardInput=null sleep infinity && "
            f"wait_until 15 sh -c 'loginctl list-sessions --no-legend | grep -q \" {user} \"'"
        )
        if code != 0:
            return f"session not created: {out}{err}{g.out(f'systemctl status {UNIT} --no-pager')}"
        self.uid = g.out(f"id -u {user}")
        self.id = g.out(
            f"loginctl list-sessions --no-legend | awk '$3 == \"{user}\" {{print $1; exit}}'"
        )
        # VT_ACTIVATE (0x5606), VT_WAITACTIVE (0x5607) on the console.
        g.sh(
            "perl -e 'open(my $t, \"+<\", \"/dev/tty0\") or die \"tty0: $!\\n\"; "
            f"ioctl($t, 0x5606, {self.vt}) or die \"VT_ACTIVATE: $!\\n\"; "
            f"ioctl($t, 0x5607, {self.vt}) or die \"VT_WAITACTIVE: $!\\n\";'"
        )
        props = "-p Active -p Remote -p Seat -p State -p Class -p Type -p TTY -p Scope"
        ok = g.ok(
            f"wait_until 10 sh -c 'loginctl show-session {self.id} -p Active | grep -qx Active=yes'"
        )
        shown = g.out(f"loginctl show-session {self.id} {props}")
        scope = dict(l.split("=", 1) for l in shown.splitlines() if "=" in l).get("Scope", "")
        self.procs = g.out(
            f"d=$(find /sys/fs/cgroup -type d -name {shlex.quote(scope)} | head -n 1); "
            "test -n \"$d\" && echo $d/cgroup.procs"
        )
        want = ("Active=yes", "Remote=no", "Seat=seat0")
        if not ok or not all(w in shown.splitlines() for w in want) or not self.procs:
            return f"session {self.id} not active and local: {shown} (cgroup: {self.procs})"
        return ""

    def sh(self, command, timeout=60):
        """(exit code, stdout, stderr) of `command` run by /bin/sh as the user, as a process
        of the session."""
        env = (f"env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/home/{self.user} "
               f"USER={self.user} LOGNAME={self.user} XDG_RUNTIME_DIR=/run/user/{self.uid} "
               f"XDG_SESSION_ID={self.id}")
        inner = (f"echo $$ > {self.procs} && exec setpriv --reuid={self.user} "
                 f"--regid={self.user} --init-groups {env} sh -c {shlex.quote(command)}")
        return self.g.sh(f"sh -c {shlex.quote(inner)}", timeout=timeout)

    def stop(self):
        self.g.sh(f"systemctl stop {UNIT}; loginctl terminate-user {self.user} 2>/dev/null; true")
