"""16. The notice at the keyboard (issue 18): a desktop user's session as a desktop login makes
it (lingering user manager, session bus from dbus-user-session, the user's locale in
~/.config/environment.d), an X display (Xvfb) and the notification server dunst on it;
`airgapd-notify` started the way the package has it, by XDG autostart (systemd's
xdg-autostart generator, `xdg-desktop-autostart.target`). Every notice is read back from dunst
(`dunstctl history`), never from the notifier. In Vietnamese (vi_VN.UTF-8): the user's own
refused network connection says so with the program and the address; an unapproved stick is
named by its model and serial, and its notice closes when it is pulled out; a refusal by another
account shows nothing; a flood of 1000 refusals from one process and 30 from separate processes
makes at most a few notices. With the user's locale English, the notice is in English. Runs
before premount and lifecycle (which remove things)."""

import json
import os
import shlex
import subprocess

from .media import RO_SERIAL, install_policy, make_stick, next_serial, plug_and_find_disk, policy

TITLE = "notice"
USER = "chuyenvien"
SERIAL = "NOTICE0000001"
DISPLAY = ":7"
UNIT = r"app-airgapd\x2dnotify@autostart.service"
OWN_TARGET = ("192.0.2.1", 80)
OTHER_TARGET = ("192.0.2.99", 99)
NOBODY = 65534

DUNSTRC = """\
[global]
width = 640
origin = top-right
offset = 10x10
markup = full
history_length = 200
[urgency_low]
timeout = 0
[urgency_normal]
timeout = 0
[urgency_critical]
timeout = 0
"""

VI_STICK_BODY = (
    "Máy tính này chỉ dùng thiết bị lưu trữ đã được duyệt; điện thoại, thiết bị mạng và "
    "thiết bị USB khác đều bị chặn. Hãy giao thiết bị cho cán bộ bảo mật."
)


class Session:
    """The desktop user's session in the guest: commands as the user, on their session bus."""

    def __init__(self, g, user):
        self.g = g
        self.user = user
        self.uid = g.out(f"id -u {user}")
        self.env = (f"XDG_RUNTIME_DIR=/run/user/{self.uid} "
                    f"DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/{self.uid}/bus")

    def sh(self, script, timeout=60):
        """(code, out, err) of `script` run by sh as the user, in their session's environment."""
        return self.g.sh(
            f"cd / && runuser -u {self.user} -- env {self.env} sh -c {shlex.quote(script)}",
            timeout=timeout,
        )

    def out(self, script, timeout=60):
        code, out, err = self.sh(script, timeout)
        return out.strip() if code == 0 else (out + err).strip()

    def dunst_count(self, which="displayed"):
        got = self.out(f"dunstctl count {which}")
        return int(got) if got.isdigit() else -1

    def history(self):
        """[(id, summary, body)] of every notice dunst has closed, newest first."""
        code, out, err = self.sh("dunstctl history")
        if code != 0:
            return None
        try:
            data = json.loads(out)["data"][0]
        except (ValueError, KeyError, IndexError):
            return None
        return [(n["id"]["data"], n["summary"]["data"], n["body"]["data"]) for n in data]

    def close_all_and_read(self):
        """Close every notice on screen (dunst keeps them in its history) and return the
        history, once nothing is displayed or waiting."""
        self.sh("dunstctl close-all")
        self.g.sh(
            f"wait_until 10 sh -c '[ \"$(runuser -u {self.user} -- env {self.env} "
            f"dunstctl count displayed)\" = 0 ]'"
        )
        return self.history()

    def displayed_within(self, seconds):
        """True once dunst displays a notice, within `seconds`."""
        return self.g.ok(
            f"wait_until {seconds} sh -c '[ \"$(runuser -u {self.user} -- env {self.env} "
            f"dunstctl count displayed)\" -ge 1 ]'"
        )

    def wait_displayed(self, tries, poke):
        """Run `poke` (a shell command making a refusal) until dunst displays a notice, at
        most `tries` times, 3 s apart: the notifier may still be connecting."""
        for _ in range(tries):
            self.g.sh(poke)
            if self.displayed_within(3):
                return True
        return False

    def settle(self):
        """The history once every notice is closed and the notifier has nothing pending: a
        refusal folded into a notice is shown after its quiet interval (5 s)."""
        self.close_all_and_read()
        self.g.sh("sleep 6")
        return self.close_all_and_read() or []

def connect(target, uid):
    """A refused TCP connect by `uid` (a new process each time)."""
    addr, port = target
    return (f"setpriv --reuid={uid} --regid={uid} --clear-groups "
            f"airgap-probe connect tcp {addr} {port} >/dev/null 2>&1")


def start_session(g, r):
    """The user, their locale and dunst's settings, the lingering user manager, Xvfb, dunst and
    the autostarted notifier. Returns the Session, or None when it could not start."""
    home = f"/home/{USER}"
    code, out, err = g.sh(
        f"id {USER} >/dev/null 2>&1 || useradd -m -s /bin/bash {USER}; "
        f"install -d -o {USER} -g {USER} {home}/.config {home}/.config/environment.d "
        f"{home}/.config/dunst {home}/xfb && "
        f"printf 'LANG=vi_VN.UTF-8\\n' > {home}/.config/environment.d/50-locale.conf && "
        f"chown {USER}: {home}/.config/environment.d/50-locale.conf"
    )
    r.check(f"desktop user {USER} made, locale vi_VN.UTF-8 in environment.d", code == 0, out + err)
    g.sh(f"cat > {home}/.config/dunst/dunstrc && chown {USER}: {home}/.config/dunst/dunstrc",
         stdin=DUNSTRC.encode())
    code, out, err = g.sh(
        f"install -d -m 1777 /tmp/.X11-unix && loginctl enable-linger {USER} && uid=$(id -u {USER}) && "
        f"wait_until 30 test -S /run/user/$uid/bus && "
        f"wait_until 30 systemctl is-active user@$uid.service"
    )
    r.check("the user's manager runs with a session bus (dbus-user-session)", code == 0, out + err)
    if code != 0:
        return None
    s = Session(g, USER)
    # A desktop login's session manager hands DISPLAY to the user manager the same way.
    code, out, err = s.sh(
        f"systemd-run --user --quiet --unit=xvfb Xvfb {DISPLAY} -nolisten tcp "
        f"-screen 0 1024x400x24 -fbdir $HOME/xfb && "
        f"systemctl --user set-environment DISPLAY={DISPLAY}"
    )
    ok = code == 0 and g.ok(f"wait_until 20 test -S /tmp/.X11-unix/X{DISPLAY[1:]}")
    r.check(f"Xvfb runs on {DISPLAY} in the user's session", ok, out + err)
    # Debian's dunst has a user unit (and D-Bus activation by it); started here to be ready.
    code, out, err = s.sh("systemctl --user start dunst.service && "
                          "for i in $(seq 50); do dunstctl is-paused && break; sleep 0.2; done")
    r.check("dunst serves org.freedesktop.Notifications on the user's session bus",
            code == 0 and out.strip() == "false", out + err)
    env = s.out("systemctl --user show-environment")
    r.check("the user manager's LANG is vi_VN.UTF-8 (from environment.d)",
            "LANG=vi_VN.UTF-8" in env.splitlines(), env)
    # A desktop session's target, as GNOME's and KDE's under systemd are: bound to
    # graphical-session.target, it pulls in xdg-desktop-autostart.target, whose units systemd's
    # generator made from /etc/xdg/autostart (neither target may be started by hand).
    code, out, err = s.sh(
        f"test -f /etc/xdg/autostart/airgapd-notify.desktop && "
        f"mkdir -p $HOME/.config/systemd/user && "
        f"printf '%s\\n' '[Unit]' 'Description=Desktop session (test)' "
        f"'BindsTo=graphical-session.target' 'Wants=xdg-desktop-autostart.target' "
        f"> $HOME/.config/systemd/user/desktop-test.target && "
        f"systemctl --user daemon-reload && systemctl --user start desktop-test.target && "
        f"for i in $(seq 50); do systemctl --user is-active -q '{UNIT}' && break; sleep 0.2; done; "
        f"systemctl --user is-active '{UNIT}'"
    )
    r.check("airgapd-notify started by XDG autostart (the package's /etc/xdg/autostart entry)",
            code == 0 and out.strip() == "active", out + err)
    return s


def screenshot(g, name):
    """Keep Xvfb's frame buffer (an XWD file) as target/tmp/<name>.png on the host, when
    ImageMagick is there (else the .xwd)."""
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    out_dir = os.path.join(repo, "target", "tmp")
    g.sh(f"cp /home/{USER}/xfb/Xvfb_screen0 /mnt/host/{name}.xwd")
    src = os.path.join(g.share, f"{name}.xwd")
    if not os.path.exists(src):
        return ""
    os.makedirs(out_dir, exist_ok=True)
    png = os.path.join(out_dir, f"{name}.png")
    try:
        subprocess.run(["convert", f"xwd:{src}", png], check=True, capture_output=True, timeout=60)
        return png
    except (OSError, subprocess.SubprocessError):
        dst = os.path.join(out_dir, f"{name}.xwd")
        subprocess.run(["cp", src, dst], check=False)
        return dst


def run(g):
    r = g.report
    s = start_session(g, r)
    if s is None:
        return
    try:
        vietnamese(g, r, s)
        english(g, r, s)
    finally:
        journal = g.out(f"journalctl --no-pager -o cat _SYSTEMD_USER_UNIT='{UNIT}' | tail -n 5")
        if journal:
            r.note(f"airgapd-notify said: {journal}")
        g.sh(f"loginctl disable-linger {USER}; systemctl stop user@{s.uid}.service", timeout=60)


def new_notices(s, before):
    """The notices dunst closed since the history was `before`, newest first."""
    history = s.close_all_and_read() or []
    old = {n[0] for n in before}
    return [n for n in history if n[0] not in old]


def vietnamese(g, r, s):
    # 1. The user's own refused connection: one notice, in Vietnamese, saying what and why.
    before = s.settle()
    shown = s.wait_displayed(10, connect(OWN_TARGET, s.uid))
    r.check("the user's refused TCP connect makes a notice", shown)
    path = screenshot(g, "vm-notice-vi")
    if path:
        r.note(f"screenshot: {path}")
    new = new_notices(s, before)
    r.check("exactly one notice for it", len(new) == 1, new)
    if new:
        _, summary, body = new[0]
        r.check("summary in Vietnamese: Đã chặn truy cập mạng", summary == "Đã chặn truy cập mạng",
                summary)
        want = ["Máy tính này không được kết nối với bất kỳ mạng nào; airgap-probe vừa thử kết "
                f"nối tới {OWN_TARGET[0]}:{OWN_TARGET[1]}", "hãy báo cán bộ bảo mật"]
        r.check("body in Vietnamese names the program and the address, says what to do",
                all(w in body for w in want), body)

    # 2. An unapproved stick: named by model and serial; pulled out, its notice closes.
    img = make_stick(g.host["work"], "notice", "NOTICE", {"a.txt": "x\n"})
    before = s.settle()
    g.plug_stick("stick-notice", img, SERIAL)
    shown = s.displayed_within(30)
    r.check("an unapproved stick plugged in makes a notice", shown)
    g.unplug("stick-notice", block=True)
    gone = g.ok(
        f"wait_until 20 sh -c '[ \"$(runuser -u {USER} -- env {s.env} dunstctl count displayed)\""
        f" = 0 ]'"
    )
    r.check("the stick pulled out: its notice closes by itself", gone, s.dunst_count())
    new = new_notices(s, before)
    r.check("exactly one notice for the stick", len(new) == 1, new)
    if new:
        _, summary, body = new[0]
        r.check(f"summary names the stick: Đã chặn thiết bị: ... (số sê-ri {SERIAL})",
                summary.startswith("Đã chặn thiết bị: ") and f"(số sê-ri {SERIAL})" in summary,
                summary)
        r.check("body in Vietnamese: why, and hand it to the security officer",
                body == VI_STICK_BODY, body)

    # 2b. A stick copying an approved serial, with another label: authorized at the USB level,
    # refused at the block level. Its notice names it; a refusal of its disk names it too.
    block_refusal(g, r, s)

    # 3. Another account's refusal is not this user's notice. (The notifier is listening: it
    # answered above; the bus delivers its signals in order, so the user's own refusal after
    # it is handled after it.)
    before = s.settle()
    g.sh(connect(OTHER_TARGET, NOBODY) + "; sleep 3")
    count = s.dunst_count()
    r.check("uid 65534's refused connect: no notice for this user", count == 0, count)
    shown = s.wait_displayed(5, connect(OWN_TARGET, s.uid))
    new = new_notices(s, before)
    r.check("then the user's own: one notice, naming the user's own target only",
            shown and len(new) == 1 and f"{OWN_TARGET[0]}:" in new[0][2]
            and OTHER_TARGET[0] not in new[0][2], new)

    # 4. A flood: 1000 refused connects from one process, then 30 processes.
    before = s.settle()
    code, out, err = g.sh(
        f"setpriv --reuid={s.uid} --regid={s.uid} --clear-groups "
        f"airgap-probe connect-loop 1000 {OWN_TARGET[0]} {OWN_TARGET[1]}; "
        f"i=0; while [ $i -lt 30 ]; do {connect(OWN_TARGET, s.uid)}; i=$((i+1)); done",
        timeout=120,
    )
    r.check("the flood ran (1000 connects by one process, then 30 processes): refused",
            "EPERM" in out + err, out + err)
    g.sh("sleep 11")  # the notifier's quiet interval (5 s) twice over: every update is out
    on_screen = s.dunst_count()
    new = new_notices(s, before)
    r.note(f"flood: {len(new)} notices, {on_screen} on screen at the end")
    r.check("the flood made at most 3 notices (and at least one)",
            1 <= len(new) <= 3 and on_screen <= 3, [n[1:] for n in new])


VI_BLOCK_BODY = (
    "Máy tính này chỉ dùng thiết bị lưu trữ đã được duyệt, thiết bị này chưa được duyệt. "
    "Hãy giao thiết bị cho cán bộ bảo mật."
)


def block_refusal(g, r, s):
    # The approved-media policy (as the storage scenario leaves it), unless it is in force.
    if g.status().get("policy", {}).get("id") != "vm-test-media":
        code, out = install_policy(g, policy(next_serial(g)))
        r.check("the approved-media policy reloaded", code == 0, out)
    img = make_stick(g.host["work"], "notice-copy", "NOTICECOPY", {"a.txt": "x\n"})
    before = s.settle()
    usb, disk = plug_and_find_disk(g, "stick-copy", img, RO_SERIAL)
    r.check("a stick copying the approved serial (label NOTICECOPY): its disk appears",
            disk != "", usb)
    shown = s.displayed_within(30)
    majmin = g.out(f"cat /sys/block/{disk[5:]}/dev") if disk else ""
    if disk:
        # By device number, as the storage scenario does (the answer must not depend on /dev).
        got = g.probe("mknod-open", "b", *majmin.split(":"), "ro")
        r.check(f"root: open {majmin} ro refused: EPERM", got == "EPERM", got)
        code, out, err = g.sh("airgapctl violations --kind dev --json", timeout=30)
        try:
            entries = json.loads(out)
        except ValueError:
            entries = []
        named = [e.get("target", "") for e in entries
                 if isinstance(e, dict) and e.get("kind") == "dev.block"
                 and e.get("target", "").endswith(f"({majmin})")]
        r.check(f"the refusal names the stick: {disk} QEMU ... {RO_SERIAL} ({majmin}), not {majmin}",
                any(t.startswith(f"{disk} ") and RO_SERIAL in t for t in named),
                named or out + err)
        code, out, err = g.sh("LANG=vi_VN.UTF-8 airgapctl violations --kind dev", timeout=30)
        flat = " ".join(out.split())
        r.check("airgapctl violations in Vietnamese names it: truy cập thiết bị lưu trữ /dev/...",
                f"truy cập thiết bị lưu trữ {disk} " in flat, out[-600:] + err)
    g.unplug("stick-copy", block=True)
    gone = g.ok(
        f"wait_until 20 sh -c '[ \"$(runuser -u {USER} -- env {s.env} dunstctl count displayed)\""
        f" = 0 ]'"
    )
    new = new_notices(s, before)
    r.check("the copy stick: one notice, closed when it is pulled out", shown and gone and
            len(new) == 1, new)
    if new:
        _, summary, body = new[0]
        r.check(f"its summary names it: Đã chặn thiết bị: ... {RO_SERIAL}",
                summary.startswith("Đã chặn thiết bị: ") and RO_SERIAL in summary
                and majmin not in summary, summary)
        r.check("its body: not approved, hand it to the security officer",
                body == VI_BLOCK_BODY, body)


def english(g, r, s):
    before = s.settle()
    code, out, err = s.sh(
        f"systemctl --user set-environment LANG=en_US.UTF-8 && "
        f"systemctl --user restart '{UNIT}' && systemctl --user is-active '{UNIT}'"
    )
    r.check("the user's locale set to en_US.UTF-8, notifier restarted", code == 0, out + err)
    shown = s.wait_displayed(10, connect(OWN_TARGET, s.uid))
    new = new_notices(s, before)
    r.check("English locale: one notice, in English",
            shown and len(new) == 1 and new[0][1] == "Network access refused"
            and "This computer must not connect to any network; airgap-probe tried to reach "
            f"{OWN_TARGET[0]}:{OWN_TARGET[1]}" in new[0][2], new)
