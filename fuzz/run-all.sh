#!/bin/sh
# Run every fuzz target at once for SECONDS (default 1800) at the lowest CPU priority, each on a
# working copy of its committed corpus, then fold what was found back into fuzz/corpus/<target>
# (minimised with -merge=1). Build first: RUSTC_BOOTSTRAP=1 cargo fuzz build (docs/fuzzing.md).
# FUZZ_TARGETS="a b" runs only those (to give targets that had less time more of the CPU).
set -eu
cd "$(dirname "$0")"
secs=${1:-1800}
bin=target/x86_64-unknown-linux-gnu/release
targets=${FUZZ_TARGETS:-"superblock uevent usb_descriptors usb_device policy_file signed_update
  copy_register rtnetlink machine_record usbguard_rules inspect inspect_journal release_order
  enrol_entry"}
# ssh-keygen may exit before reading its input: see signed_update.rs.
trap "" PIPE
export TMPDIR=${TMPDIR:-/dev/shm}
mkdir -p corpus-run logs
for t in $targets; do
  mkdir -p "corpus-run/$t" "artifacts/$t"
  cp -n corpus/"$t"/* "corpus-run/$t/" 2>/dev/null || true
  nice -n 19 "$bin/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -max_len=16384 \
    -print_final_stats=1 -artifact_prefix="artifacts/$t/" "corpus-run/$t" > "logs/$t.log" 2>&1 &
  echo "$t $!" >> logs/pids
done
wait
for t in $targets; do
  mkdir -p "corpus-min/$t"
  nice -n 19 "$bin/$t" -merge=1 "corpus-min/$t" "corpus/$t" "corpus-run/$t" > "logs/$t.merge.log" 2>&1
done
