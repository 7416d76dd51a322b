#!/usr/bin/env bash
# Build airgapd and pass every test: unit tests, and the privileged tests that load the real
# programs into this kernel (each in a cgroup and namespaces of its own), a private journald and
# a private dbus-daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root: the integration tests load BPF programs" >&2; exit 1; }
scripts/deps.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
log=$(mktemp)
# The tests pin on bpf filesystems of their own (tests/src/bpffs.rs) and leave /sys/fs/bpf as
# they found it. Should anything still mount it there, leave the machine as found: unmount it
# again at the end when nothing of ours is pinned there (the kernel's own maps.debug and
# progs.debug appear with every bpffs mount).
bpffs_was_mounted=0
mountpoint -q /sys/fs/bpf && bpffs_was_mounted=1
cleanup() {
  rm -f "$log"
  if [ "$bpffs_was_mounted" = 0 ] && mountpoint -q /sys/fs/bpf \
    && [ -z "$(find /sys/fs/bpf -mindepth 1 ! -name '*.debug' -print -quit)" ]; then
    umount /sys/fs/bpf || true
  fi
}
trap cleanup EXIT
status=0
cargo test --workspace --locked --no-fail-fast 2>&1 | tee "$log" || status=$?
# The Debian package: built from this checkout, its contents checked.
tests/package/check.sh 2>&1 | tee -a "$log" || status=$?
# The guest test: that package installed offline in a Debian guest under QEMU (USB hot-plug,
# systemd as PID 1, BPF LSM), every scenario in one boot. After the cargo tests, never beside
# them: TCG uses both cores.
tests/vm/run.sh 2>&1 | tee -a "$log" || status=$?
# One closing line for the whole run: every test binary's counts added up.
awk '/^test result:|^package: [0-9]+ passed|^[0-9]+ passed, [0-9]+ failed$/ {
       for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed[;,]?$/) p += $i; if ($(i+1) ~ /^failed[;,]?$/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
