#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# A real systemd-journald, and a journalctl reading our catalog, that touch nothing on the host.
# Used by daemon/tests/journal.rs; as root it also works by hand:
#
#   sh tests/journal/private-journald.sh journald DIR      # runs until SIGTERM
#   sh tests/journal/private-journald.sh journalctl DIR -x --directory=DIR/log/<id>.airgaptest
#
# DIR must exist, be outside /run, and hold empty directories run/ and log/. Afterwards:
#   DIR/run/socket                  journald's native socket (send records here)
#   DIR/log/<machine-id>.airgaptest the journal files (journalctl --directory=...)
#   DIR/catalog/var/lib/systemd/catalog/database, built beforehand with
#                                   journalctl --root=DIR/catalog --update-catalog
#
# What was tried on systemd 252 (Debian 12) and why it looks like this:
# - Everything runs in a private mount namespace (unshare --mount --propagation private): the
#   mounts below never propagate to the host and vanish with the process. The PID stays the same
#   through every exec (sh, unshare, sh, systemd-socket-activate, systemd-journald), so the test
#   stops journald by the PID it spawned.
# - A journal namespace ("systemd-journald airgaptest", as systemd-journald@airgaptest.service
#   runs it) rather than the main instance: it does not read /dev/kmsg, does not parse the
#   host's /proc/cmdline journald options, and reads only journald@airgaptest.conf, which the
#   host does not have, plus our drop-in.
# - The native socket is handed over by systemd-socket-activate. journald opens the kernel
#   audit socket only when it got no socket at all, and with it 252 sends an audit enable/disable
#   request, which would change the host's audit state. Socket activation also means journald
#   execs on the first datagram, so the test sends one before it waits for the journal file.
# - MaxRetentionSec= beyond 30 s: a namespace instance otherwise exits after 30 s idle.
# - A tmpfs over /run hides the host's /run from journald; our DIR/run and DIR/log are then
#   bind-mounted where journald expects them (that is why DIR cannot be under /run).
# - SYSTEMD_LOG_TARGET=console: journald's own messages go to our stderr, not the host's kmsg.
# - journalctl -x reads the catalog only from /var/lib/systemd/catalog/database (--root and
#   --directory do not move it), so the journalctl mode bind-mounts ours there.
set -eu

NS=airgaptest
mode=${1:?usage: private-journald.sh journald|journalctl DIR [journalctl args...]}
dir=${2:?missing DIR}
shift 2

case $mode in
journald | journalctl)
    exec unshare --mount --propagation private -- sh "$0" "in-ns-$mode" "$dir" "$@"
    ;;
in-ns-journald)
    case $dir in /run | /run/*)
        echo "private-journald: $dir is under /run, which gets hidden" >&2
        exit 2
        ;;
    esac
    journald=
    for candidate in /usr/lib/systemd/systemd-journald /lib/systemd/systemd-journald; do
        if [ -x "$candidate" ]; then journald=$candidate && break; fi
    done
    [ -n "$journald" ] || { echo "private-journald: systemd-journald not found" >&2; exit 2; }
    [ -s /etc/machine-id ] || { echo "private-journald: /etc/machine-id is empty" >&2; exit 2; }

    mount -t tmpfs -o mode=0755,size=8m airgapd-test-run /run
    mkdir -p "/run/systemd/journal.$NS" /run/log/journal "/run/systemd/journald@$NS.conf.d"
    mount --bind "$dir/run" "/run/systemd/journal.$NS"
    mount --bind "$dir/log" /run/log/journal
    # RateLimitBurst=0 turns rate limiting off: tests send bursts on purpose.
    cat >"/run/systemd/journald@$NS.conf.d/zz-airgapd-test.conf" <<EOF
[Journal]
Storage=volatile
RuntimeMaxUse=64M
RateLimitBurst=0
MaxRetentionSec=1d
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
EOF
    export SYSTEMD_LOG_TARGET=console
    exec systemd-socket-activate --datagram "--listen=/run/systemd/journal.$NS/socket" \
        "$journald" "$NS"
    ;;
in-ns-journalctl)
    catalog=$dir/catalog/var/lib/systemd/catalog
    [ -f "$catalog/database" ] || { echo "private-journald: no $catalog/database" >&2; exit 2; }
    if [ ! -d /var/lib/systemd/catalog ]; then
        mount -t tmpfs -o mode=0755,size=1m airgapd-test-var-lib /var/lib
        mkdir -p /var/lib/systemd/catalog
    fi
    mount --bind "$catalog" /var/lib/systemd/catalog
    exec journalctl --no-pager "$@"
    ;;
*)
    echo "private-journald: unknown mode $mode" >&2
    exit 2
    ;;
esac
