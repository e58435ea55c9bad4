#!/usr/bin/env bash
# Batched serving against unbatched: CLIENTS concurrent clients (default 8), each sending
# REQUESTS requests (default 4) of POST /v1/poem (the shipped model) one after another, to the
# same server with --max-batch CLIENTS and with --max-batch 1 (each request decodes alone on one
# of --workers W, default the cores, with --threads 1). Prints one JSON line per mode with the
# tokens/s of all clients together and the p50/p99 request latency, stamped with the commit, the
# date and the host (bench/stamp.sh), also appended to FILE with --log.
#
#   bench/serve_batching.sh RNNKIT_BINARY MODEL [--clients C] [--requests R] [--workers W] [--log FILE]
#
# bash and curl only; the machine should be otherwise idle (say so when it was not).
set -euo pipefail

source "$(dirname "$0")/serve_bench_lib.sh"
source "$(dirname "$0")/stamp.sh"
binary_and_model "$@"
shift 2
clients=8
requests=4
workers=$(nproc)
log=/dev/null
while [[ $# -gt 0 ]]; do
  case $1 in
    --clients) clients=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    *) usage 2 ;;
  esac
done
# A poem of 4 lines of 7: 32 tokens (characters and marks) per request.
tokens_per_request=32

# client K: REQUESTS poems in a row, seeds K*100 + r; each request's latency in seconds on a line.
client() {
  local k=$1 r
  for r in $(seq "$requests"); do
    curl -sf -o /dev/null -w '%{time_total}\n' -X POST -H 'Content-Type: application/json' \
      -d "{\"start\": \"床前明月光\", \"form\": 7, \"seed\": $((k * 100 + r))}" "$url/v1/poem"
  done >"$tmp/latency_$k"
}

measure() {
  local max_batch=$1 k started ended pids=()
  start_server "$rnnkit" --model "$model" --workers "$workers" --threads 1 --queue 64 \
    --max-batch "$max_batch"
  client 0 >/dev/null  # warm-up: first touch of the weights
  started=$(date +%s%N)
  for k in $(seq "$clients"); do
    client "$k" &
    pids+=($!)
  done
  wait "${pids[@]}"
  ended=$(date +%s%N)
  cat "$tmp"/latency_[1-9]* | sort -g >"$tmp/sorted"
  awk -v n="$(wc -l <"$tmp/sorted")" -v ns=$((ended - started)) -v t="$tokens_per_request" \
    -v mb="$max_batch" -v c="$clients" -v w="$workers" '
    { lat[NR] = $1 }
    END {
      p50 = lat[int(n * 0.5 + 0.5)]; p99 = lat[int(n * 0.99 + 0.999)]
      printf "{\"bench\":\"serve_batching\",\"max_batch\":%d,\"clients\":%d,\"workers\":%d,\"requests\":%d,\"tokens\":%d,\"seconds\":%.3f,\"tokens_per_s\":%.1f,\"p50_s\":%.3f,\"p99_s\":%.3f}\n",
        mb, c, w, n, n * t, ns / 1e9, n * t / (ns / 1e9), p50, p99
    }' "$tmp/sorted" | stamp_lines | tee -a "$log"
  stop_server_and_clean
  trap - EXIT
}

measure "$clients"
measure 1
