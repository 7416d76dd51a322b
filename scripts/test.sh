#!/usr/bin/env bash
# Build airgapd and pass every test: unit tests, and the privileged integration tests that load
# the real programs into this kernel (each in a cgroup and namespaces of its own).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root: the integration tests load BPF programs" >&2; exit 1; }
scripts/deps.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
