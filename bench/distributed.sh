#!/usr/bin/env bash
# Data-parallel training on this machine (docs/BENCHMARKS.md, "Data-parallel training"): the same
# training as one process with 2 threads, as `mpirun -np 2` with 1 thread per rank, and as
# `mpirun -np 1` with 1 thread (the reference), run alternately for ROUNDS rounds so that a
# change of machine load hits every variant alike.
#
#   bench/distributed.sh [ROUNDS] [POETRY_STEPS] [PTB_STEPS]
#
# Configurations: poetry (data/tang, E=128, 2 x LSTM 256, batch 128, Adam) and PTB-medium
# (V=10000 words, E=650, 2 x LSTM 650, batch 20, bptt 35, dropout 0.5, SGD lr 1, clip 5) on a
# synthetic corpus: awk with a fixed seed draws 200k words of a 9999-word vocabulary (+ <eos>
# = 10000); throughput depends on the shapes, not on which words they are.
# Each run logs every step to metrics.jsonl; the first WARMUP records are skipped, the rest give
# the median tokens/s and seconds per step and the mean comm_s / comm_wait_s. Every result is one JSON line in
# bench/results/distributed-<date>.jsonl, stamped with the commit, the date and the host
# (bench/stamp.sh), with the foreign CPU use (CPUs busy with other processes during the run,
# from /proc/stat). Environment: RNNKIT (default
# build/release/rnnkit), MPIRUN (default mpirun), POEMS (default data/tang), WARMUP (default 2).
set -euo pipefail
# usage STATUS: the header above; on stdout for --help, on stderr with a wrong argument.
usage() { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d' >&$((${1:-0} ? 2 : 1)); exit "${1:-0}"; }
[[ ${1:-} == -h || ${1:-} == --help ]] && usage 0
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/stamp.sh"
[[ $# -le 3 ]] || { echo "distributed.sh: at most 3 arguments, got $#" >&2; usage 2; }
rounds=${1:-3}
poetry_steps=${2:-12}
ptb_steps=${3:-40}
warmup=${WARMUP:-2}
need_int WARMUP "$warmup" 0
need_int ROUNDS "$rounds" 1
need_int POETRY_STEPS "$poetry_steps" 1
need_int PTB_STEPS "$ptb_steps" 1
# Every run must time at least one step after its warm-up (else it records 0 tokens/s).
((10#$poetry_steps > 10#$warmup && 10#$ptb_steps > 10#$warmup)) || {
  echo "distributed.sh: POETRY_STEPS ($poetry_steps) and PTB_STEPS ($ptb_steps) must exceed WARMUP ($warmup), the steps left out of the timing" >&2
  exit 2
}
rnnkit=${RNNKIT:-$root/build/release/rnnkit}
mpirun=${MPIRUN:-mpirun}
poems=${POEMS:-$root/data/tang}
results=$root/bench/results/distributed-$(date -u +%Y%m%d-%H%M%S).jsonl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1

awk -v words=9998 -v total=200000 'BEGIN {
  srand(12)
  for (n = 0; n < total; n++)
    printf "w%d%s", n < words ? n : int(rand() * words), n % 20 == 19 ? "\n" : " "
}' >"$work/ptb.txt"
poetry=(train --poems "$poems" --embedding 128 --hidden 256 --layers 2 --cell lstm --batch 128
  --optimizer adam --steps "$poetry_steps")
ptb=(train --text "$work/ptb.txt" --level word --eos --embedding 650 --hidden 650 --layers 2
  --cell lstm --batch 20 --bptt 35 --dropout 0.5 --optimizer sgd --lr 1 --clip 5
  --steps "$ptb_steps")

# measure CONFIG VARIANT ROUND COMMAND...: one run, one result line.
measure() {
  local config=$1 variant=$2 round=$3 run=$work/run
  shift 3
  rm -rf "$run"
  timed_run "$@" --log-every 1 --seed 1 --out "$run" >"$work/log" 2>&1 ||
    { cat "$work/log" >&2; exit 1; }
  # Per timed step: tokens/s and seconds since the previous record (one record per step).
  grep '"type":"train"' "$run/metrics.jsonl" | sed -E 's/.*"seconds":([^,}]+).*"tokens_per_s":([^,}]+).*/\1 \2/' |
    awk -v warmup="$warmup" 'NR > warmup { print $2, $1 - last } { last = $1 }' >"$work/steps"
  sort -g "$work/steps" >"$work/tps"
  local s_per_step
  s_per_step=$(awk '{ print $2 }' "$work/steps" | sort -g | awk '{ v[n++] = $1 }
    END { print n % 2 ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2 }')
  local comm wait
  comm=$(grep '"type":"train"' "$run/metrics.jsonl" | tail -n +$((warmup + 1)) |
    sed -nE 's/.*"comm_s":([^,}]+).*/\1/p' | awk '{ s += $1; n++ } END { print n ? s / n : "null" }')
  wait=$(grep '"type":"train"' "$run/metrics.jsonl" | tail -n +$((warmup + 1)) |
    sed -nE 's/.*"comm_wait_s":([^,}]+).*/\1/p' | awk '{ s += $1; n++ } END { print n ? s / n : "null" }')
  awk -v config="$config" -v variant="$variant" -v round="$round" -v wall="$run_wall_s" \
    -v cpu="$run_cpu_s" -v foreign="$run_foreign_cpus" -v comm="$comm" -v wait="$wait" \
    -v params="$(sed -nE 's/^training ([0-9]+) parameters.*/\1/p' "$work/log" | tail -n 1)" -v warmup="$warmup" -v s_per_step="$s_per_step" '
    { v[n++] = $1 }
    END {
      median = n % 2 ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
      printf "{\"bench\":\"distributed\",\"config\":\"%s\",\"variant\":\"%s\",\"round\":%d,", config, variant, round
      printf "\"parameters\":%s,\"warmup_steps\":%d,\"timed_steps\":%d,", params == "" ? "null" : params, warmup, n
      printf "\"tokens_per_s\":%.1f,\"tokens_per_s_min\":%.1f,\"tokens_per_s_max\":%.1f,", median, v[0], v[n - 1]
      printf "\"s_per_step\":%.4f,\"comm_s\":%s,\"comm_wait_s\":%s,\"wall_s\":%.1f,\"cpu_s\":%.1f,", s_per_step, comm, wait, wall, cpu
      printf "\"self_cpus\":%.2f,\"foreign_cpus\":%.2f}\n", cpu / wall, foreign
    }' "$work/tps" | stamp_lines | tee -a "$results"
}

# Unbound ranks, like the threads of the single process: the kernel places both alike.
mpi=("$mpirun" --allow-run-as-root --oversubscribe --bind-to none -np)
for round in $(seq "$rounds"); do
  for config in poetry ptb; do
    declare -n args=$config
    measure "$config" "1x2threads" "$round" "$rnnkit" "${args[@]}" --threads 2
    measure "$config" "2ranksx1thread" "$round" "${mpi[@]}" 2 "$rnnkit" "${args[@]}" --threads 1
    measure "$config" "1rankx1thread" "$round" "${mpi[@]}" 1 "$rnnkit" "${args[@]}" --threads 1
  done
done
echo "results: $results"
