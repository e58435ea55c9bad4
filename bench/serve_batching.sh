#!/usr/bin/env bash
# Batched serving against unbatched: CLIENTS concurrent clients (default 8, at most 16, the
# largest --max-batch of `rnnkit serve`), each sending
# REQUESTS requests (default 4) one after another: POST /v1/poem (a 7-character poem of --lines
# L lines, default 4: 8 tokens a line), or with --generate N POST /v1/generate of up to N tokens
# after 床前明月光 (fewer where the model ends its text); to the
# same server, each mode in the configuration that serves it best: --max-batch 1 (each request
# decodes alone on one of --workers W, default the cores, with --threads 1: one-row products are
# bound by the weights' bytes, which a second thread per product barely helps) and --max-batch
# CLIENTS (the batch decodes in --batched-workers B loops, default 1, each with cores / B threads:
# a batched step reads the weights once for all its rows and shares the products among the
# threads; two single-thread loops each read them for half the rows). Prints one JSON line per
# mode with the tokens/s of all clients together, the p50/p99 request latency and the CPUs the
# server used meanwhile (server_cpus: under the cores' count, the clients and the HTTP exchanges
# held it back, not its decoding), stamped with the commit, the date and the host
# (bench/stamp.sh), also appended to FILE with --log. --bf16: the server runs `serve --bf16`
# (bfloat16 copies of the weights; "bf16": true in the lines). A client whose request fails
# (an error answer, no answer) fails the run, with no line for that mode.
#
#   bench/serve_batching.sh RNNKIT_BINARY MODEL [--clients C] [--requests R] [--workers W]
#                           [--batched-workers B] [--lines L | --generate N] [--bf16]
#                           [--log FILE]
#
# A quatrain is short: its prompt, the HTTP exchange and curl's start weigh on it as much as its
# decoding; --lines 16 measures more of the decoding that batching shares.
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
batched_workers=1
log=/dev/null
generate=0
lines=4
bf16=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --clients) need_value "$@"; clients=$2; shift 2 ;;
    --requests) need_value "$@"; requests=$2; shift 2 ;;
    --workers) need_value "$@"; workers=$2; shift 2 ;;
    --batched-workers) need_value "$@"; batched_workers=$2; shift 2 ;;
    --generate) need_value "$@"; generate=$2; shift 2 ;;
    --lines) need_value "$@"; lines=$2; shift 2 ;;
    --bf16) bf16=(--bf16); shift ;;
    --log) need_value "$@"; log=$2; shift 2 ;;
    *) unknown_argument "$1" ;;
  esac
done
# The batched mode serves all clients in one batch: `rnnkit serve --max-batch` takes 1 to 16
# (the rows of a batched step, kMaxStepRows).
need_int --clients "$clients" 1 16
need_int --requests "$requests" 1
need_int --workers "$workers" 1 256
need_int --batched-workers "$batched_workers" 1 "$(nproc)"
need_int --generate "$generate" 0
need_int --lines "$lines" 1
# A poem of 7-character lines: 8 tokens (characters and a mark) a line.
tokens_per_request=$((lines * 8))
endpoint=/v1/poem
if ((generate > 0)); then
  tokens_per_request=$generate
  endpoint=/v1/generate
fi

# The body of client K's request R.
body() {
  local seed=$(($1 * 100 + $2))
  if ((generate > 0)); then
    echo "{\"prompt\": \"床前明月光\", \"n\": $generate, \"seed\": $seed}"
  else
    echo "{\"start\": \"床前明月光\", \"form\": 7, \"lines\": $lines, \"seed\": $seed}"
  fi
}

# client K: REQUESTS requests in a row, seeds K*100 + r, from one curl process over one
# keep-alive connection (a curl started per request costs the 2-core machine as much CPU as the
# server spends on a short request, in both modes alike); each request's latency in seconds and
# tokens on a line (a generation may end early at the model's end token: its answer's count).
client() {
  local k=$1 r latency tokens transfers=()
  for r in $(seq "$requests"); do
    ((r > 1)) && transfers+=(--next)
    transfers+=(-sSf -o "$tmp/answer_${k}_$r" -w '%{time_total}\n' -X POST
      -H 'Content-Type: application/json' -d "$(body "$k" "$r")" "$url$endpoint")
  done
  curl "${transfers[@]}" >"$tmp/times_$k"
  r=0
  while read -r latency; do
    r=$((r + 1))
    tokens=$tokens_per_request
    if ((generate > 0)); then
      tokens=$(grep -o '"tokens":[0-9]*' "$tmp/answer_${k}_$r" | cut -d: -f2)
    fi
    echo "$latency $tokens"
  done <"$tmp/times_$k" >"$tmp/latency_$k"
}

# server_ticks: the CPU time the server has used so far (user + system), in clock ticks.
server_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }

measure() {
  local max_batch=$1 workers=$2 threads=$3 k started ended ticks pids=()
  start_server "$rnnkit" --model "$model" --workers "$workers" --threads "$threads" --queue 64 \
    --max-batch "$max_batch" "${bf16[@]}"
  client 0 >/dev/null  # warm-up: first touch of the weights
  ticks=$(server_ticks)
  started=$(date +%s%N)
  for k in $(seq "$clients"); do
    client "$k" &
    pids+=($!)
  done
  # Every client must have got all its answers: a failed one would leave the result to the
  # others (fewer requests over the same wall time), so it fails the run instead.
  failed=0
  for k in "${!pids[@]}"; do
    wait "${pids[k]}" || { echo "serve_batching.sh: client $((k + 1)) failed (curl's error above)" >&2; failed=$((failed + 1)); }
  done
  ended=$(date +%s%N)
  ticks=$(($(server_ticks) - ticks))
  cat "$tmp"/latency_[1-9]* 2>/dev/null | sort -g >"$tmp/sorted" || true
  if ((failed > 0)) || (($(wc -l <"$tmp/sorted") != clients * requests)); then
    echo "serve_batching.sh: --max-batch $max_batch: $failed of $clients clients failed, $(wc -l <"$tmp/sorted") of $((clients * requests)) requests answered; no result. The server's log ends:" >&2
    tail -n 5 "$tmp/server.log" >&2
    exit 1
  fi
  awk -v n="$(wc -l <"$tmp/sorted")" -v ns=$((ended - started)) -v ticks="$ticks" -v hz="$(getconf CLK_TCK)" \
    -v mb="$max_batch" -v c="$clients" -v w="$workers" -v t="$threads" -v ep="$endpoint" -v bf16=$((${#bf16[@]} > 0)) '
    { lat[NR] = $1; tokens += $2 }
    END {
      p50 = lat[int(n * 0.5 + 0.5)]; p99 = lat[int(n * 0.99 + 0.999)]
      printf "{\"bench\":\"serve_batching\",\"endpoint\":\"%s\",\"bf16\":%s,\"max_batch\":%d,\"clients\":%d,\"workers\":%d,\"threads\":%d,\"requests\":%d,\"tokens\":%d,\"seconds\":%.3f,\"tokens_per_s\":%.1f,\"p50_s\":%.3f,\"p99_s\":%.3f,\"server_cpus\":%.2f}\n",
        ep, bf16 ? "true" : "false", mb, c, w, t, n, tokens, ns / 1e9, tokens / (ns / 1e9), p50, p99, ticks / hz / (ns / 1e9)
    }' "$tmp/sorted" | stamp_lines | tee -a "$log"
  stop_server_and_clean
  trap - EXIT
}

measure "$clients" "$batched_workers" $(($(nproc) / batched_workers))
measure 1 "$workers" 1
