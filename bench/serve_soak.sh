#!/usr/bin/env bash
# A soak test of `rnnkit serve` on loopback: CONNECTIONS clients (16 by default) send, for SECONDS
# seconds (600 by default), a mix of valid requests (/health, /v1/generate, /v1/poem,
# /v1/perplexity), malformed ones (broken JSON, duplicate keys, smuggling framing), oversized ones
# (a 5 MB chunked body, a 100 MB Content-Length) and slow ones (a request line, then silence, until
# the server's 408). It reports p50/p99 latency of the valid requests and of /health alone, the
# answers that were not the expected ones, and the server's RSS at start and end.
#
#   bench/serve_soak.sh RNNKIT_BINARY MODEL [--seconds S] [--connections C]
#
# MODEL is any language model `rnnkit serve --model` takes (a poem model exercises /v1/poem too).
# Not part of ctest: it runs for minutes. Needs curl; installs nothing.
set -euo pipefail

source "$(dirname "$0")/serve_bench_lib.sh"
binary_and_model "$@"
shift 2
seconds=600
connections=16
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) need_value "$@"; seconds=$2; shift 2 ;;
    --connections) need_value "$@"; connections=$2; shift 2 ;;
    *) unknown_argument "$1" ;;
  esac
done
need_int --seconds "$seconds" 1
need_int --connections "$connections" 1
trap '' PIPE
start_server "$rnnkit" --model "$model" --workers 2 --queue 16 --request-timeout 5
port=${url##*:}
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$server_pid/status"; }
rss_start=$(rss_kb)
head -c 5000000 /dev/zero | tr '\0' a >"$tmp/5mb"

# post KIND EXPECTED PATH CURL_ARGS...: one request; logs "KIND EXPECTED STATUS SECONDS".
post() {
  local kind=$1 expected=$2 path=$3
  shift 3
  local answer
  # A transfer that fails (no connection, --max-time) is logged with status 000, an unexpected
  # answer; under `set -e` its status would end this client silently.
  answer=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 60 "$@" "$url$path" || true)
  echo "$kind $expected $answer"
}

# slow: a request line, then nothing; the server answers 408 after --request-timeout.
slow() {
  local fd status started=$EPOCHREALTIME
  exec {fd}<>"/dev/tcp/127.0.0.1/$port"
  printf 'POST /v1/poem HTTP/1.1\r\nContent-Type: application/json\r\n' >&"$fd"
  status=$(timeout 30 head -n 1 <&"$fd" | sed -n 's|^HTTP/1\.1 \([0-9]*\) .*|\1|p')
  exec {fd}>&-
  echo "slow 408 ${status:-000} $(echo "$EPOCHREALTIME - $started" | bc)"
}

client() {
  local end=$(($(date +%s) + seconds)) json=(-H 'Content-Type: application/json')
  RANDOM=$1
  while [ "$(date +%s)" -lt "$end" ]; do
    case $((RANDOM % 20)) in
      0 | 1 | 2 | 3) post health 200 /health ;;
      4 | 5 | 6) post generate 200 /v1/generate "${json[@]}" -d '{"n": 50, "seed": 1}' ;;
      7 | 8 | 9) post poem 200 /v1/poem "${json[@]}" -d '{"start": "床前看月光", "seed": 1}' ;;
      10 | 11) post perplexity 200 /v1/perplexity "${json[@]}" -d '{"text": "床前看月光"}' ;;
      12) post bad_json 400 /v1/poem "${json[@]}" -d '{"seed": ' ;;
      13) post duplicate_key 400 /v1/poem "${json[@]}" -d '{"seed": 1, "seed": 2}' ;;
      14) post smuggling 400 /v1/perplexity -H 'Transfer-Encoding: chunked' -H 'Content-Length: 4' \
        -d '{"text": "a"}' ;;
      15) post chunked_5mb 413 /v1/perplexity -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/5mb" ;;
      16) post length_100mb 413 /v1/perplexity -H 'Content-Length: 100000000' -d '{}' ;;
      17) post many_ranges 200 / -H "Range: bytes=$(printf '0-,%.0s' {1..2000})0-" ;;
      *) slow ;;
    esac
  done >"$tmp/client_$1.log"
}

echo "soak: $connections clients for $seconds s against $url (RSS $rss_start kB at start)"
clients=()
for c in $(seq "$connections"); do
  client "$c" &
  clients+=($!)
done
# A client that ended early would leave its share of the requests out unnoticed.
ended_early=0
for pid in "${clients[@]}"; do wait "$pid" || ended_early=$((ended_early + 1)); done
rss_end=$(rss_kb)
cat "$tmp"/client_*.log >"$tmp/all.log"

# percentile P FILE: the P-th percentile of the numbers in FILE (nearest rank).
percentile() {
  sort -n "$2" | awk -v p="$1" '{v[NR] = $1} END {i = int((p * NR + 99) / 100); if (i < 1) i = 1; printf "%.1f", v[i] * 1000}'
}
awk '$1 != "slow" && $1 != "bad_json" && $1 != "duplicate_key" && $1 != "smuggling" && $1 !~ /mb$/ && $1 != "many_ranges" && $3 == 200 {print $4}' "$tmp/all.log" >"$tmp/valid"
awk '$1 == "health" && $3 == 200 {print $4}' "$tmp/all.log" >"$tmp/health"
echo
printf '%-14s %8s %10s\n' kind requests unexpected
awk '{n[$1]++; if ($2 != $3) bad[$1]++} END {for (k in n) printf "%-14s %8d %10d\n", k, n[k], bad[k]}' \
  "$tmp/all.log" | sort
echo
echo "valid requests answered 200: $(wc -l <"$tmp/valid"), p50 $(percentile 50 "$tmp/valid") ms, p99 $(percentile 99 "$tmp/valid") ms"
echo "/health: p50 $(percentile 50 "$tmp/health") ms, p99 $(percentile 99 "$tmp/health") ms, max $(percentile 100 "$tmp/health") ms"
echo "unexpected answers: $(awk '$2 != $3' "$tmp/all.log" | wc -l) of $(wc -l <"$tmp/all.log")"
awk '$2 != $3 {print "  " $0}' "$tmp/all.log" | sort | uniq -c | sort -rn | sed -n 1,5p
echo "server RSS: $rss_start kB at start, $rss_end kB at end"
if ((ended_early > 0)); then
  echo "serve_soak.sh: $ended_early of $connections clients ended before the $seconds s (errors above)" >&2
  exit 1
fi
