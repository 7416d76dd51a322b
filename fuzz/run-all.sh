#!/bin/sh
# Run fuzz targets at the lowest CPU priority, each on a working copy of its committed corpus,
# then fold what was found back into fuzz/corpus-min/<target> (minimised with -merge=1; it
# replaces fuzz/corpus/<target>). Build first: RUSTC_BOOTSTRAP=1 cargo fuzz build
# (docs/fuzzing.md).
#
#   ./run-all.sh [SECONDS]   every target (or FUZZ_TARGETS) at once for SECONDS of wall time
#                            (default 1800)
#   FUZZ_CPU=SECONDS ./run-all.sh
#                            each target until it has had SECONDS of CPU time (its own and its
#                            children's: signed_update's ssh-keygen), FUZZ_JOBS (default: the
#                            number of CPUs) at once; "target:SECONDS" in FUZZ_TARGETS gives one
#                            target its own budget. On a busy machine wall time says little of
#                            the effort; CPU time does. Each target is merged as it ends, and
#                            logs/cpu.txt records what each had.
set -eu
cd "$(dirname "$0")"
secs=${1:-1800}
bin=target/x86_64-unknown-linux-gnu/release
targets=${FUZZ_TARGETS:-"superblock uevent usb_descriptors usb_device policy_file signed_update
  copy_register rtnetlink machine_record tpm_response usbguard_rules inspect inspect_journal
  release_order enrol_entry"}
# ssh-keygen may exit before reading its input: see signed_update.rs.
trap "" PIPE
export TMPDIR=${TMPDIR:-/dev/shm}
mkdir -p corpus-run logs
ticks=$(getconf CLK_TCK)

start() { # target max_total_time
  mkdir -p "corpus-run/$1" "artifacts/$1"
  cp -n corpus/"$1"/* "corpus-run/$1/" 2>/dev/null || true
  nice -n 19 "$bin/$1" -max_total_time="$2" -timeout=10 -rss_limit_mb=1024 -max_len=16384 \
    -print_final_stats=1 -artifact_prefix="artifacts/$1/" "corpus-run/$1" > "logs/$1.log" 2>&1 &
  echo "$1 $!" >> logs/pids
}

merge() {
  mkdir -p "corpus-min/$1"
  nice -n 19 "$bin/$1" -merge=1 "corpus-min/$1" "corpus/$1" "corpus-run/$1" > "logs/$1.merge.log" 2>&1
}

# CPU seconds of a process and of the children it has waited for (stat fields 14-17), and
# whether it still runs (a process that ended is a zombie until waited for).
cpu() { awk -v t="$ticks" '{ sub(/^.*\) /, ""); print int(($12 + $13 + $14 + $15) / t) }' "/proc/$1/stat" 2>/dev/null; }
alive() { awk '{ sub(/^.*\) /, ""); exit ($1 == "Z") }' "/proc/$1/stat" 2>/dev/null; }

if [ -z "${FUZZ_CPU:-}" ]; then
  for t in $targets; do start "$t" "$secs"; done
  wait
  for t in $targets; do merge "$t"; done
  exit 0
fi

jobs=${FUZZ_JOBS:-$(nproc)}
running="" # "target:budget:pid:wallstart:cpu" words (cpu: the last sample)
queue=$targets
while [ -n "$queue" ] || [ -n "$running" ]; do
  while [ -n "$queue" ] && [ "$(echo $running | wc -w)" -lt "$jobs" ]; do
    set -- $queue
    spec=$1; shift; queue="$*"
    t=${spec%%:*}; budget=$FUZZ_CPU
    [ "$t" = "$spec" ] || budget=${spec#*:}
    # The wall-time limit only backs up the CPU limit: ten times the budget.
    start "$t" $((budget * 10))
    running="$running $t:$budget:$!:$(date +%s):0"
  done
  sleep 5
  still=""
  for r in $running; do
    IFS=:; set -- $r; unset IFS
    t=$1 budget=$2 pid=$3 began=$4 last=$5
    # A process that ended by itself (a crash) may be reaped by the shell already: then its
    # last sample is what it had.
    used=$(cpu "$pid" || true)
    if [ -n "$used" ] && [ "$used" -lt "$budget" ] && alive "$pid"; then
      still="$still $t:$budget:$pid:$began:$used"
      continue
    fi
    ended="budget"
    if alive "$pid"; then
      # libFuzzer ends on SIGINT with its final statistics (exit code 72).
      kill -INT "$pid" 2>/dev/null || true
    else
      ended="by itself"
    fi
    rc=0
    wait "$pid" || rc=$?
    [ "$ended" = "budget" ] || ended="by itself, exit $rc (a crash leaves artifacts/$t/)"
    echo "$t cpu=${used:-$last}s wall=$(($(date +%s) - began))s ended $ended" >> logs/cpu.txt
    merge "$t"
  done
  running=$still
done
