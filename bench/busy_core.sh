#!/usr/bin/env bash
# How rnnkit's thread counts fare when another process keeps one core busy: for each config
# (default: generate and timemachine-lstm), rnnkit_lm_bench with --threads 0 (the default: it
# adapts to the load), 2 (pinned) and 1, first on the idle machine, then beside a shell loop that
# never sleeps (`while :; do :; done`).
#
#   bench/busy_core.sh [--configs "generate timemachine-lstm"] [--rounds N] [--steps N] [--log FILE]
#
# --steps: each run's timed steps (default: generate 40 runs of 200 tokens, long enough for the
# adaptive default to sample the load, a second apart; a training config its own default).
# Each run is a JSON line (rnnkit_lm_bench's: tokens/s, ms per step, "threads_at_end", the
# thread count the adaptive default ended on), stamped with the commit, the date and the host
# (bench/stamp.sh), with "busy_core" (whether the loop ran), "threads_arg" and this run's
# foreign CPUs (about 1 with the loop), appended to the log (default
# bench/results/busy-core-DATE.jsonl). Rounds (default 1) alternate idle and busy. Environment:
# RNNKIT_LM_BENCH (default build/release/bench/rnnkit_lm_bench).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/stamp.sh"
# usage STATUS: the header above; on stdout for --help, on stderr with a wrong argument.
usage() { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d' >&$((${1:-0} ? 2 : 1)); exit "${1:-0}"; }
configs="generate timemachine-lstm"
rounds=1
log=""
steps=""
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage 0 ;;
    --configs) need_value "$@"; configs=$2; shift 2 ;;
    --rounds) need_value "$@"; rounds=$2; shift 2 ;;
    --steps) need_value "$@"; steps=$2; shift 2 ;;
    --log) need_value "$@"; log=$2; shift 2 ;;
    *) echo "busy_core.sh: unknown argument $1" >&2; usage 2 ;;
  esac
done
need_int --rounds "$rounds" 1
[[ -z $steps ]] || need_int --steps "$steps" 1
bench=${RNNKIT_LM_BENCH:-$root/build/release/bench/rnnkit_lm_bench}
[[ -x $bench ]] || { echo "busy_core.sh: $bench not built (make build)" >&2; exit 1; }
[[ -n $log ]] || log=$(results_log "busy-core")
out=$(mktemp)
spinner=""
stop_spinner() {
  if [[ -n $spinner ]]; then
    kill "$spinner" 2>/dev/null || true
    wait "$spinner" 2>/dev/null || true
  fi
  spinner=""
}
trap 'stop_spinner; rm -f "$out"' EXIT

for ((round = 1; round <= rounds; ++round)); do
  for busy in false true; do
    if [[ $busy == true ]]; then
      sh -c 'while :; do :; done' &
      spinner=$!
      # The adaptive default reads the load from /proc/stat every half second.
      sleep 1
    fi
    for config in $configs; do
      for threads in 0 2 1; do
        run_steps=()
        if [[ -n $steps ]]; then
          run_steps=(--steps "$steps")
        elif [[ $config == generate ]]; then
          run_steps=(--steps 40)
        fi
        timed_run "$bench" --config "$config" --threads "$threads" "${run_steps[@]}" \
          >"$out" || { echo "busy_core.sh: $bench --config $config failed" >&2; exit 1; }
        grep '^{' "$out" | sed "s/}\$/,\"busy_core\":$busy,\"threads_arg\":$threads,\"run_foreign_cpus\":$run_foreign_cpus,\"round\":$round}/" |
          stamp_lines >>"$log"
        printf 'busy_core.sh: round %d, busy %s, %s --threads %d: %s\n' "$round" "$busy" \
          "$config" "$threads" "$(grep -o '"tokens_per_s":[0-9.]*\|"threads_at_end":[0-9]*' "$out" | tr '\n' ' ')" >&2
      done
    done
    stop_spinner
  done
done
echo "busy_core.sh: lines in $log" >&2
