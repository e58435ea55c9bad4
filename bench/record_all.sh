#!/usr/bin/env bash
# Re-measures the rows of docs/BENCHMARKS.md into bench/results/, every log with one date tag
# (bench/results/PART-TAG.jsonl), every line stamped with the commit, the date and the host
# (bench/stamp.sh). Run it on an otherwise idle machine; it prints its estimated duration first.
#
#   bench/record_all.sh [--only PART[,PART...]] [--rounds N] [--torch "t1 t2 t1c t2c"] [--out DIR]
#                       [--dry-run] [--smoke]
#
# PARTs, in the order they run:
#   peaks    bench/host_peaks.sh: FP32 FMA, BF16 dot product, AMX, memory bandwidth
#   compare  bench/compare.sh with --rounds N (default 3) and --torch (default all four variants:
#            OpenBLAS's own choice of kernels is the best on some hosts, e.g. 8% faster than
#            the AVX-512 ones on a Zen 4 for the d2l RNN) for
#            the rows timemachine-rnn, -lstm, -gru, poetry, poetry --bf16, ptb-medium, eval,
#            eval --bf16, generate, generate --bf16 and generate --int8 (logs compare-ROW-TAG.jsonl)
#   profile  bench/profile.sh poetry, 1 thread, FP32 and --bf16 (--steps 2 --warmup 1)
#   micro    bench/micro.sh, the cited kernels, at 1 and at 2 threads
#   tang     bench/tang_epoch.sh: one epoch of data/tang on both cores (skipped without data/tang)
#   serve    bench/serve_batching.sh with models/tang_lstm.safetensors, --lines 16 --requests 6, N rounds
#   busy     bench/busy_core.sh: generation and the d2l LSTM at --threads 0, 2 and 1, idle and
#            beside a loop that keeps one core busy, N rounds
# --out: the directory of the logs (default bench/results). --dry-run: print the estimate and the
# commands only. --smoke: every part at its smallest settings (1 round, PyTorch t1c only, 1 timed
# step, 0.01 s per microbenchmark, 1 training step, 1 client), to check the whole run in a few
# minutes; its figures mean nothing, so give it an --out outside bench/results.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/stamp.sh"
# usage STATUS: the header above; on stdout for --help, on stderr with a wrong argument.
usage() { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d' >&$((${1:-0} ? 2 : 1)); exit "${1:-0}"; }

all_parts=(peaks compare profile micro tang serve busy)
parts=("${all_parts[@]}")
rounds=3
torch="t1 t2 t1c t2c"
out=$root/bench/results
dry_run=false
smoke=false
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage 0 ;;
    --only) need_value "$@"; IFS=, read -ra parts <<<"$2"; shift 2 ;;
    --rounds) need_value "$@"; rounds=$2; shift 2 ;;
    --torch) need_value "$@"; torch=$2; shift 2 ;;
    --out) need_value "$@"; out=$2; shift 2 ;;
    --dry-run) dry_run=true; shift ;;
    --smoke) smoke=true; shift ;;
    *) echo "record_all.sh: unknown argument $1" >&2; usage 2 ;;
  esac
done
for part in "${parts[@]}"; do
  [[ " ${all_parts[*]} " == *" $part "* ]] ||
    { echo "record_all.sh: unknown part '$part' (${all_parts[*]})" >&2; exit 2; }
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "record_all.sh: --rounds must be a positive integer, not '$rounds'" >&2; exit 2; }

# The rows of compare: log name and compare.sh arguments.
compare_rows=(timemachine-rnn timemachine-lstm timemachine-gru poetry poetry-bf16 ptb-medium eval
  eval-bf16 generate generate-bf16 generate-int8)
compare_args() {
  case $1 in
    *-bf16) echo "${1%-bf16} --bf16" ;;
    *-int8) echo "${1%-int8} --int8" ;;
    *) echo "$1" ;;
  esac
}

# Seconds per compare round of each row (rnnkit t1 + auto, PyTorch t1c + t2c), from the step
# times of docs/BENCHMARKS.md on this 2-core host times the configs' warm-up + timed steps, plus
# about 2 s to start each PyTorch process, scaled to the PyTorch variants asked for as if each of
# the round's processes took as long; the other parts' seconds likewise (tang: the 5 min of an
# epoch; micro: about 0.7 s per benchmark and thread count at the default 0.5 s).
declare -A estimate_s=([timemachine-rnn]=12 [timemachine-lstm]=35 [timemachine-gru]=29
  [poetry]=115 [poetry-bf16]=135 [ptb-medium]=50 [eval]=40 [eval-bf16]=30 [generate]=8 [generate-bf16]=8
  [generate-int8]=8 [peaks]=25 [profile]=45 [micro]=60 [tang]=310 [serve_round]=12
  [busy_round]=75)
total=0
for part in "${parts[@]}"; do
  case $part in
    compare)
      read -ra variants <<<"$torch"
      for row in "${compare_rows[@]}"; do
        total=$((total + rounds * estimate_s[$row] * (2 + ${#variants[@]}) / 4))
      done
      ;;
    serve) total=$((total + rounds * estimate_s[serve_round])) ;;
    busy) total=$((total + rounds * estimate_s[busy_round])) ;;
    *) total=$((total + estimate_s[$part])) ;;
  esac
done

# Each part's settings beyond the defaults of its script; --smoke makes them the smallest.
compare_extra=()
profile_extra=(--steps 2 --warmup 1)
micro_extra=()
peaks_extra=()
tang_extra=()
serve_extra=(--lines 16 --requests 6)
busy_extra=()
if $smoke; then
  rounds=1
  torch=t1c
  compare_extra=(-- --steps 1 --warmup 1)
  profile_extra=(--steps 1 --warmup 1 --batch 8 --seq 10)
  micro_extra=(--min-time 0.01)
  peaks_extra=(--repetitions 1 --min-time 0.01)
  tang_extra=(--steps 1)
  serve_extra=(--requests 1 --clients 1 --workers 1)
  busy_extra=(--steps 1)
fi

tag=$(date -u +%Y%m%d-%H%M%S)
$dry_run || mkdir -p "$out"
echo "record_all: parts ${parts[*]}, $rounds rounds, logs $out/*-$tag.jsonl" >&2
if $smoke; then
  echo "record_all: --smoke: smallest settings, figures meaningless" >&2
else
  echo "record_all: estimated duration $((total / 60)) min $((total % 60)) s on an idle 2-core machine" >&2
fi
commit=$(stamp_commit)
[[ $commit == *+dirty ]] && echo "record_all: warning: tracked files differ from $commit" >&2
echo "record_all: load average now $(cut -d' ' -f1-3 /proc/loadavg)" >&2

failed=()
# step NAME COMMAND...: prints the command, runs it unless --dry-run, and notes a failure
# without stopping the parts after it.
step() {
  local name=$1
  shift
  echo "+$(printf ' %q' "$@")" >&2
  $dry_run && return 0
  "$@" || { echo "record_all: $name failed" >&2; failed+=("$name"); }
}

bench=$root/bench
for part in "${parts[@]}"; do
  case $part in
    peaks) step peaks bash "$bench/host_peaks.sh" --log "$out/host-peaks-$tag.jsonl" "${peaks_extra[@]}" ;;
    compare)
      for row in "${compare_rows[@]}"; do
        read -ra args <<<"$(compare_args "$row")"
        step "compare $row" bash "$bench/compare.sh" "${args[@]}" --rounds "$rounds" --torch "$torch" \
          --log "$out/compare-$row-$tag.jsonl" "${compare_extra[@]}"
      done ;;
    profile)
      step "profile" bash "$bench/profile.sh" poetry --log "$out/profile-poetry-$tag.jsonl" -- "${profile_extra[@]}"
      step "profile --bf16" bash "$bench/profile.sh" poetry --bf16 --log "$out/profile-poetry-bf16-$tag.jsonl" \
        -- "${profile_extra[@]}" ;;
    micro)  # both thread counts in one log, told apart by "omp_num_threads" (micro_percentiles.py)
      for threads in 1 2; do
        step "micro $threads" bash "$bench/micro.sh" --threads "$threads" --log "$out/micro-$tag.jsonl" \
          "${micro_extra[@]}"
      done ;;
    tang)
      if [[ -d $root/data/tang ]]; then
        step tang bash "$bench/tang_epoch.sh" "$root/data/tang" --log "$out/tang-epoch-$tag.jsonl" "${tang_extra[@]}"
      else
        echo "record_all: tang skipped: no data/tang (tools/fetch_poems.sh)" >&2
      fi ;;
    serve)
      for ((round = 1; round <= rounds; ++round)); do
        step "serve round $round" bash "$bench/serve_batching.sh" "$root/build/release/rnnkit" \
          "$root/models/tang_lstm.safetensors" --log "$out/serve-batching-$tag.jsonl" "${serve_extra[@]}"
      done ;;
    busy)
      step busy bash "$bench/busy_core.sh" --rounds "$rounds" --log "$out/busy-core-$tag.jsonl" "${busy_extra[@]}" ;;
  esac
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "record_all: failed: ${failed[*]}" >&2
  exit 1
fi
$dry_run || echo "record_all: done; logs $out/*-$tag.jsonl" >&2
