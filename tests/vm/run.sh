#!/usr/bin/env bash
# The guest test (issue 7): a Debian bookworm guest under QEMU (TCG) with systemd, udev,
# journald, dbus, USB and a kernel that loads BPF LSM programs; the package built from this
# checkout is installed offline and every scenario runs in one boot. Prints one line per check
# and finally `N passed, N failed`; exits non-zero if any check failed.
#
# usage: tests/vm/run.sh [PACKAGE.deb [AIRGAP-PROBE]]
#   without arguments the package is built with scripts/package.sh and the probe with cargo.
# environment:
#   AIRGAPD_VM_CACHE    image and QEMU cache (default tests/vm/cache)
#   AIRGAPD_VM_ONLY     comma-separated scenario titles to run (default: all)
#   AIRGAPD_VM_KEEP=1   keep the work folder (console log, QEMU output)
#   AIRGAPD_VM_TIMEOUT  hard limit for the whole guest run in seconds (default 900)
#
# No packet can leave the guest: QEMU runs with -nodefaults -nic none and every NIC a scenario
# hot-plugs has no netdev. Nothing here touches the host's network, cgroups or BPF.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${AIRGAPD_VM_CACHE:-$here/cache}
target=${CARGO_TARGET_DIR:-$repo/target}
[ "$(id -u)" = 0 ] || { echo "run as root: debootstrap and mkfs need it" >&2; exit 1; }
mkdir -p "$cache"

t=$(date +%s)
image=$("$here/image.sh" "$cache" | tail -n 1)
echo "time: image $(($(date +%s) - t)) s ($image)" >&2
t=$(date +%s)
qemu=$("$here/qemu.sh" "$cache" | tail -n 1)
echo "time: qemu $(($(date +%s) - t)) s" >&2

t=$(date +%s)
if [ $# -ge 1 ]; then
  deb=$(realpath "$1")
else
  deb=$(cd "$repo" && scripts/package.sh | tail -n 1)
  deb=$(cd "$repo" && realpath "$deb")
fi
if [ $# -ge 2 ]; then
  probe=$(realpath "$2")
else
  (cd "$repo" && cargo build --release --locked -q -p airgapd-tests --bin airgap-probe)
  probe=$(cd "$repo" && realpath "$target/release/airgap-probe")
fi
echo "time: package and probe $(($(date +%s) - t)) s ($deb)" >&2

args=(--qemu "$qemu" --image "$image" --deb "$deb" --probe "$probe"
  --only "${AIRGAPD_VM_ONLY:-}" --qemu-timeout "${AIRGAPD_VM_TIMEOUT:-900}")
[ "${AIRGAPD_VM_KEEP:-}" = 1 ] && args+=(--keep)
# The harness kills QEMU at the same limit; `timeout` bounds the harness itself (SIGTERM lets
# it clean up, SIGKILL 20 s later if it cannot; QEMU dies with it by PR_SET_PDEATHSIG).
exec timeout -k 20 "$((${AIRGAPD_VM_TIMEOUT:-900} + 30))" python3 "$here/harness.py" "${args[@]}"
