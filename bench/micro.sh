#!/usr/bin/env bash
# rnnkit_bench's microbenchmarks (Google Benchmark) as stamped JSON lines: by default the kernels
# docs/BENCHMARKS.md cites, on the workloads' shapes: the GEMM wrapper in FP32 and BF16
# (BM_GemmF32, BM_GemmBF16, BM_GemmRoundingBF16), a recurrent step's product over its packed
# weights (BM_PackedMatrix) and rnnkit's panel kernel alone (BM_PanelProduct), the batch-1
# products over F32 and BF16 weights (BM_SingleRowProduct), the draw of a token
# (BM_SampleToken) and a whole generation step (BM_GenerationStep).
#
#   bench/micro.sh [--filter REGEX] [--threads N] [--repetitions N] [--min-time S] [--log FILE]
#
# --filter: Google Benchmark's --benchmark_filter (bench/host_peaks.sh runs the peaks).
# --threads: OMP_NUM_THREADS for the run (default: unset, rnnkit's default); recorded in every
# line as "omp_num_threads". Every repetition (default 1) of at least S seconds (default 0.5) and
# the aggregates of several are a line, stamped with the commit, the date and the host
# (bench/stamp.sh), with the foreign CPUs of the run, appended to the log (default
# bench/results/micro-DATE.jsonl). Environment: RNNKIT_BENCH (default
# build/release/bench/rnnkit_bench).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/stamp.sh"
# usage STATUS: the header above; on stdout for --help, on stderr with a wrong argument.
usage() { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d' >&$((${1:-0} ? 2 : 1)); exit "${1:-0}"; }
filter='^BM_(GemmF32|GemmBF16|GemmRoundingBF16|PackedMatrix|PanelProduct|SingleRowProduct|SampleToken|GenerationStep)/'
threads=""
repetitions=1
min_time=0.5
log=""
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage 0 ;;
    --filter) need_value "$@"; filter=$2; shift 2 ;;
    --threads) need_value "$@"; threads=$2; shift 2 ;;
    --repetitions) need_value "$@"; repetitions=$2; shift 2 ;;
    --min-time) need_value "$@"; min_time=$2; shift 2 ;;
    --log) need_value "$@"; log=$2; shift 2 ;;
    *) echo "micro.sh: unknown argument $1" >&2; usage 2 ;;
  esac
done
[[ -z $threads ]] || need_int --threads "$threads" 1
need_int --repetitions "$repetitions" 1
bench=${RNNKIT_BENCH:-$root/build/release/bench/rnnkit_bench}
[[ -x $bench ]] || { echo "micro.sh: $bench not built (ninja -C build/release bench/rnnkit_bench)" >&2; exit 1; }
[[ -n $log ]] || log=$(results_log "micro")
report=$(mktemp)
trap 'rm -f "$report"' EXIT

omp=()
[[ -n $threads ]] && omp=(OMP_NUM_THREADS="$threads")
timed_run env "${omp[@]}" "$bench" --benchmark_filter="$filter" --benchmark_format=json \
  --benchmark_repetitions="$repetitions" --benchmark_min_time="$min_time" >"$report" ||
  { echo "micro.sh: $bench failed" >&2; exit 1; }
[[ -s $report ]] || { echo "micro.sh: no benchmark matches --filter '$filter'" >&2; exit 1; }
lines=$(gbench_lines micro "$report" "\"omp_num_threads\":${threads:-null},\"foreign_cpus\":$run_foreign_cpus" |
  stamp_lines)
printf '%s\n' "$lines" >>"$log"
echo "micro.sh: $(printf '%s\n' "$lines" | wc -l) lines in $log (foreign CPUs during the run: $run_foreign_cpus)" >&2
