#!/usr/bin/env bash
# The guest test (issue 7): a Debian bookworm guest under QEMU (TCG) with systemd, udev,
# journald, dbus, USB and a kernel that loads BPF LSM programs; the package built from this
# checkout is installed offline and the scenarios run, one boot per kernel of the matrix. Prints one
# line per check and, per boot, `N passed, N failed`; exits non-zero if any check failed.
#
# usage: tests/vm/run.sh [PACKAGE.deb [AIRGAP-PROBE]]
#   without arguments the package is built with scripts/package.sh and the probe with cargo.
# environment:
#   AIRGAPD_VM_CACHE    image and QEMU cache (default tests/vm/cache)
#   AIRGAPD_VM_ONLY     comma-separated scenario titles to run on the default kernel only
#   AIRGAPD_VM_MATRIX   the boots to make, KERNEL:LSM:SCENARIOS each, space-separated (default:
#                       the kernel matrix below); LSM is `default` (the kernel's own list), `bpf`
#                       or `nobpf`; SCENARIOS is `all` or comma-separated titles
#   AIRGAPD_VM_KEEP=1   keep the work folder (console log, QEMU output)
#   AIRGAPD_VM_TIMEOUT  hard limit for each boot of the guest in seconds (default 1500)
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

# The kernel matrix (issue 22; tests/vm/README.md has the table of what each kernel gives):
# every scenario on bookworm's 6.1 (BPF LSM in its default list); on Debian 13's 6.12 with BPF
# LSM put in the list, on 6.1 without it and on Debian 11's 5.10, the scenarios whose checks differ by kernel
# (layers, interface programs, devices, media, exec). Each boot is a fresh guest from
# the same image; the package is installed in each by `boot`. The TPM scenario (opt-in: the
# harness adds swtpm only when it is named) runs on 6.12, whose boot reboots only for it.
lsm_bpf=lockdown,capability,landlock,yama,apparmor,bpf
lsm_nobpf=lockdown,capability,landlock,yama,apparmor
# Debian 11's 5.10 with BPF LSM listed: the kernel refuses airgapd's LSM and fmod_ret programs
# and the full cgroup/dev and cgroup/setsockopt programs, so the scenarios check the reduced
# cgroup programs and the fallbacks (tests/vm/README.md).
default_matrix="6.1:default:all 6.12:bpf:boot,network,storage,usb-devices,exec,tpm"
default_matrix+=" 6.1:nobpf:boot,network,storage 5.10:bpf:boot,network,storage"
if [ -n "${AIRGAPD_VM_MATRIX:-}" ]; then
  matrix=$AIRGAPD_VM_MATRIX
elif [ -n "${AIRGAPD_VM_ONLY:-}" ]; then
  matrix="6.1:default:$AIRGAPD_VM_ONLY"
else
  matrix=$default_matrix
fi
status=0
for entry in $matrix; do
  IFS=: read -r kernel lsm only <<<"$entry"
  case $lsm in
    default) lsm_list= ;;
    bpf) lsm_list=$lsm_bpf ;;
    nobpf) lsm_list=$lsm_nobpf ;;
    *) echo "AIRGAPD_VM_MATRIX: $entry: LSM must be default, bpf or nobpf" >&2; exit 2 ;;
  esac
  [ "$only" = all ] && only=
  [ -s "$image/vmlinuz-$kernel" ] || { echo "no kernel $kernel in $image (see $image/kernels)" >&2; exit 2; }
  echo "guest boot: kernel $kernel ($(awk -v k="$kernel" '$1 == k {print $2}' "$image/kernels")), lsm ${lsm}, scenarios ${only:-all}" >&2
  args=(--qemu "$qemu" --image "$image" --deb "$deb" --probe "$probe" --kernel "$kernel"
    --lsm "$lsm_list" --only "$only" --qemu-timeout "${AIRGAPD_VM_TIMEOUT:-1500}")
  [ "${AIRGAPD_VM_KEEP:-}" = 1 ] && args+=(--keep)
  # The harness kills QEMU at the same limit; `timeout` bounds the harness itself (SIGTERM lets
  # it clean up, SIGKILL 20 s later if it cannot; QEMU dies with it by PR_SET_PDEATHSIG).
  timeout -k 20 "$((${AIRGAPD_VM_TIMEOUT:-1500} + 30))" python3 "$here/harness.py" "${args[@]}" || status=1
done
exit "$status"
