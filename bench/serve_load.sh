#!/usr/bin/env bash
# A bounded load test of `rnnkit serve` with wrk, on loopback only: POST /v1/generate with 1, 4
# and 16 concurrent connections, SECONDS seconds each (about 30 s in all with the default), and a
# table of requests/s and p50/p99 latency.
#
#   bench/serve_load.sh RNNKIT_BINARY MODEL [--seconds S] [--workers W] [--tokens N]
#
# The server runs with --workers W (default: the cores) --threads 1 and a queue long enough for
# 16 connections, so no request is turned away; any non-2xx answer wrk counts is reported.
# Needs wrk (Debian package wrk); installs nothing.
set -euo pipefail

source "$(dirname "$0")/serve_bench_lib.sh"
binary_and_model "$@"
shift 2
seconds=8
workers=$(nproc)
tokens=100
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) need_value "$@"; seconds=$2; shift 2 ;;
    --workers) need_value "$@"; workers=$2; shift 2 ;;
    --tokens) need_value "$@"; tokens=$2; shift 2 ;;
    *) unknown_argument "$1" ;;
  esac
done
need_int --seconds "$seconds" 1
need_int --workers "$workers" 1 256
need_int --tokens "$tokens" 1
command -v wrk >/dev/null || { echo "serve_load.sh needs wrk (apt-get install wrk)" >&2; exit 1; }

start_server "$rnnkit" --model "$model" --workers "$workers" --queue 32 --threads 1

body="{\"prompt\": \"the time traveller\", \"n\": $tokens, \"seed\": 1}"
cat >"$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$body'
LUA
curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d "$body" "$url/v1/generate" ||
  { echo "the model cannot serve the benchmark request: $body" >&2; exit 1; }

echo "rnnkit serve --workers $workers --threads 1, POST /v1/generate $body, ${seconds} s per row"
echo "$(nproc) cores: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
echo
echo "| connections | requests/s | tokens/s | p50 latency | p99 latency | non-2xx |"
echo "|---:|---:|---:|---:|---:|---:|"
for connections in 1 4 16; do
  wrk --latency -t "$((connections < 4 ? connections : 4))" -c "$connections" -d "${seconds}s" \
    -s "$tmp/post.lua" "$url/v1/generate" >"$tmp/wrk.txt"
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$tmp/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk.txt")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$tmp/wrk.txt")
  tokens_per_second=$(awk -v r="$rps" -v n="$tokens" 'BEGIN {printf "%.0f", r * n}')
  echo "| $connections | $rps | $tokens_per_second | $p50 | $p99 | ${non2xx:-0} |"
done
