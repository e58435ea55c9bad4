#!/usr/bin/env bash
# Where the time of a training step goes (`rnnkit_lm_bench --profile`), with its raw figures:
# prints the Markdown table of docs/BENCHMARKS.md and appends to the log the benchmark's line
# for the measured steps, then one line per part of the profiled step and one for their sum
# ("bench": "lm_profile": wall ms, CPU ms, GFLOP, GFLOP/s, GFLOP per CPU s, the GB it must move
# at least and GB/s, foreign CPUs), each stamped with the commit, the date and the host
# (bench/stamp.sh).
#
#   bench/profile.sh CONFIG [--bf16] [--threads N] [--log FILE] [-- MORE rnnkit_lm_bench ARGS,
#                    e.g. --steps 2 --warmup 1]
#
# CONFIG: a training config of rnnkit_lm_bench (poetry, ptb-medium, timemachine-rnn/lstm/gru).
# --threads defaults to 1. The log defaults to bench/results/profile-CONFIG[-bf16]-DATE.jsonl.
# Environment: RNNKIT_LM_BENCH (default build/release/bench/rnnkit_lm_bench).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/stamp.sh"
# usage STATUS: the header above; on stdout for --help, on stderr with a wrong argument.
usage() { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d' >&$((${1:-0} ? 2 : 1)); exit "${1:-0}"; }
[[ $# -ge 1 ]] || usage 2
[[ $1 == -h || $1 == --help ]] && usage 0
config=$1
shift
precision=()
threads=1
log=""
extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --bf16) precision=(--bf16); shift ;;
    --threads) need_value "$@"; threads=$2; shift 2 ;;
    --log) need_value "$@"; log=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "profile.sh: unknown argument $1" >&2; usage 2 ;;
  esac
done
need_int --threads "$threads" 0
bench=${RNNKIT_LM_BENCH:-$root/build/release/bench/rnnkit_lm_bench}
[[ -x $bench ]] || { echo "profile.sh: $bench not built (ninja -C build/release bench/rnnkit_lm_bench)" >&2; exit 1; }
[[ -n $log ]] || log=$(results_log "profile-$config${precision:+-bf16}")

output=$("$bench" --config "$config" --threads "$threads" --profile "${precision[@]}" "${extra[@]}")
grep -v '^{' <<<"$output" >&2
grep '^{' <<<"$output" | stamp_lines >>"$log"
echo "log: $log" >&2
