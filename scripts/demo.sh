#!/usr/bin/env bash
# The main job, safely: build airgapd, then let the kernel refuse a program's network access.
# Everything runs in a cgroup of its own and in an empty network namespace, so nothing on this
# machine is affected and no packet could leave even if enforcement failed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root: airgapd loads BPF programs" >&2; exit 1; }
scripts/deps.sh
cargo build --release --locked --bin airgapd
airgapd=target/release/airgapd

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "A program tries to reach the Internet over IPv4 and IPv6 (policy: loopback only)"
"$airgapd" run --new-netns -- bash -c '
  for target in /dev/tcp/93.184.216.34/443 /dev/tcp/2001:db8::1/443 /dev/udp/8.8.8.8/53; do
    (exec 3<>"$target") 2>&1 | sed "s/^/  program: /" || true
  done' || true

say "Loopback still works (connection refused by the empty port, not by airgapd)"
"$airgapd" run --new-netns -- bash -c '(exec 3<>/dev/tcp/127.0.0.1/9) 2>&1 | sed "s/^/  program: /"' || true

say "Policy with loopback = false: no Internet socket can even be created"
policy=$(mktemp)
trap 'rm -f "$policy"' EXIT
printf '[network]\nloopback = false\n' >"$policy"
chmod 0644 "$policy"
"$airgapd" run --new-netns --policy "$policy" -- bash -c '(exec 3<>/dev/tcp/127.0.0.1/9) 2>&1 | sed "s/^/  program: /"' || true

say "Done: every refusal above came from the kernel (EPERM), and each was reported by airgapd."
