#!/usr/bin/env bash
# The host's measured peaks, the denominators of "fraction of peak" in docs/BENCHMARKS.md, as
# JSON lines (bench/bench_peak.cpp, bench/bench_bandwidth.cpp):
#   BM_PeakFmaF32   FP32 FMA (AVX-512, else AVX2: its label says which), 1 thread (a core) and
#                   2 threads (the machine), GFLOP/s
#   BM_PeakDotBf16  AVX512_BF16 dot products (vdpbf16ps), 1 and 2 threads, GFLOP/s
#   BM_PeakAmxBf16  AMX BF16 tile products (tdpbf16ps), 1 thread, GFLOP/s
#   BM_PeakAmxInt8  AMX int8 tile products (tdpbssd), 1 thread, GOP/s
#   BM_StreamRead   streaming read of 1 GiB, 1 and 2 threads, GB/s
#   BM_CacheRead    read of a buffer the size of the poetry model's weights (FP32, BF16, int8: its
#                   argument in KiB) over and over, from the caches, 1 and 2 threads, GB/s; and of
#                   64 and 256 MiB, where the last-level cache the guest gets ends
# A benchmark the CPU or kernel cannot run gives a line with error_message saying why.
#
#   bench/host_peaks.sh [--log FILE] [--repetitions N] [--min-time S]
#
# Each benchmark runs as its own process, N repetitions (default 3) of at least S seconds
# (default 0.5); every repetition and Google Benchmark's mean/median/stddev are a line, stamped
# with the commit, the date and the host (bench/stamp.sh), with the foreign CPUs of that process's
# run, in the log (default bench/results/host-peaks-DATE.jsonl). Environment: RNNKIT_BENCH
# (default build/release/bench/rnnkit_bench).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/stamp.sh"
# usage STATUS: the header above; on stdout for --help, on stderr with a wrong argument.
usage() { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d' >&$((${1:-0} ? 2 : 1)); exit "${1:-0}"; }
log=""
repetitions=3
min_time=0.5
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage 0 ;;
    --log) need_value "$@"; log=$2; shift 2 ;;
    --repetitions) need_value "$@"; repetitions=$2; shift 2 ;;
    --min-time) need_value "$@"; min_time=$2; shift 2 ;;
    *) echo "host_peaks.sh: unknown argument $1" >&2; usage 2 ;;
  esac
done
need_int --repetitions "$repetitions" 1
bench=${RNNKIT_BENCH:-$root/build/release/bench/rnnkit_bench}
[[ -x $bench ]] || { echo "host_peaks.sh: $bench not built (ninja -C build/release bench/rnnkit_bench)" >&2; exit 1; }
[[ -n $log ]] || log=$(results_log "host-peaks")
report=$(mktemp)
trap 'rm -f "$report"' EXIT

for name in BM_PeakFmaF32 BM_PeakDotBf16 BM_PeakAmxBf16 BM_PeakAmxInt8 BM_StreamRead BM_CacheRead; do
  timed_run "$bench" --benchmark_filter="^$name/" --benchmark_format=json \
    --benchmark_repetitions="$repetitions" --benchmark_min_time="$min_time" >"$report" 2>/dev/null ||
    { echo "host_peaks.sh: $name failed" >&2; exit 1; }
  gbench_lines host_peaks "$report" "\"foreign_cpus\":$run_foreign_cpus" | stamp_lines | tee -a "$log" |
    /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    d = json.loads(line)
    rate = next((f"{d[k]:.1f} {k}" for k in ("GFLOP/s", "GOP/s", "GB/s") if k in d), d.get("error_message", ""))
    print("  %-48s %24s  foreign %.2f" % (d["name"], rate, d["foreign_cpus"]))' >&2
done
echo "log: $log" >&2
