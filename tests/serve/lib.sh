# Helpers for the server tests, sourced by tests/serve/*.sh, which are run as
# `bash SCRIPT RNNKIT SOURCE_DIR`. Servers listen on loopback only, on a port the kernel picks.
set -uo pipefail
rnnkit=${1:?usage: SCRIPT RNNKIT_BINARY SOURCE_DIR}
source_dir=${2:?usage: SCRIPT RNNKIT_BINARY SOURCE_DIR}
tmp=$(mktemp -d)
export LC_ALL=C.UTF-8
source "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
server_pids=()

cleanup() {
  local pid
  for pid in "${server_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  rm -rf "$tmp"
}
trap cleanup EXIT


finish() {
  if [ "$failures" -gt 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}

# A char-level text model without an end token (it never stops early), trained for one step:
# 2 x 512 LSTM units (13 MB of weights read per token) make a generation slow enough to be caught
# in flight: 100000 tokens take about 25 s on one core of a 2026 server.
train_text_model() {
  for _ in $(seq 60); do
    echo "the quick brown fox jumps over the lazy dog. 床前明月光，疑是地上霜。😀"
  done >"$tmp/text.txt"
  "$rnnkit" train --text "$tmp/text.txt" --out "$tmp/text_run" --steps 1 --cell lstm --layers 2 \
    --hidden 512 --embedding 8 --batch 4 --bptt 16 --seed 1 --threads 1 >"$tmp/text_train.log" 2>&1 ||
    { cat "$tmp/text_train.log" >&2; exit 1; }
}

# A tiny poem model on the fixture corpus, as tests/cli/poem.sh trains it.
train_poem_model() {
  "$rnnkit" train --poems "$source_dir/tests/fixtures/poems/corpus" --out "$tmp/poem_run" --steps 5 \
    --cell lstm --layers 1 --hidden 16 --embedding 8 --batch 4 --seed 1 --threads 1 \
    >"$tmp/poem_train.log" 2>&1 || { cat "$tmp/poem_train.log" >&2; exit 1; }
}

# start_server LOG SERVE_ARGS...: starts `rnnkit serve --port 0` and waits (at most 10 s) for
# the port it prints; sets server_pid and url.
start_server() {
  local log=$1 port=""
  shift
  "$rnnkit" serve --port 0 "$@" >"$log" 2>&1 &
  server_pid=$!
  server_pids+=("$server_pid")
  for _ in $(seq 100); do
    port=$(sed -n 's|^rnnkit serve: listening on http://127\.0\.0\.1:\([0-9]*\) .*|\1|p' "$log")
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "the server did not start:" >&2
    cat "$log" >&2
    exit 1
  fi
  url=http://127.0.0.1:$port
}

# stop_server PID: SIGTERM, then true when the server exits with status 0 within 10 s.
stop_server() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 1
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && return 1
  wait "$pid"
}

# hold_stream NAME: starts a streamed generation that does not end by itself (curl's --max-time
# 60 ends it) from $url into $tmp/NAME, in the background with its pid in held_pid, and waits
# for its first event.
hold_stream() {
  curl -sN --max-time 60 "$url/v1/generate" -H 'Content-Type: application/json' \
    -d '{"prompt": "the ", "n": 100000, "stream": true}' >"$tmp/$1" &
  held_pid=$!
  for _ in $(seq 100); do
    grep -q '^data: ' "$tmp/$1" && break
    sleep 0.1
  done
}

# request NAME METHOD PATH [BODY]: the response body goes to $tmp/NAME, its status to
# $tmp/NAME.status (000 when no HTTP answer came).
request() {
  local name=$1 method=$2 path=$3
  local args=(-s -o "$tmp/$name" -D "$tmp/$name.headers" -w '%{http_code}' --max-time 30
    -X "$method" "$url$path")
  [ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
  curl "${args[@]}" >"$tmp/$name.status"
}

status_of() { cat "$tmp/$1.status"; }

# json NAME PYTHON_EXPRESSION: evaluates the expression on the JSON in $tmp/NAME, bound to `j`.
json() {
  python3 -c 'import json, sys; j = json.load(open(sys.argv[1], encoding="utf-8")); print(eval(sys.argv[2]))' \
    "$tmp/$1" "$2"
}

# health_until NAME PYTHON_EXPRESSION: asks GET /health into $tmp/NAME until the expression on its
# JSON (`j`) is true; false after 10 s of asking.
health_until() {
  for _ in $(seq 100); do
    request "$1" GET /health
    [ "$(json "$1" "bool($2)")" = True ] && return 0
    sleep 0.1
  done
  return 1
}

# events FILE PYTHON_EXPRESSION: the server-sent events of FILE as `events`, a list of
# (name, data) with data parsed as JSON (name "" for plain data events).
events() {
  python3 - "$1" "$2" <<'PYTHON'
import json, sys
events = []
for block in open(sys.argv[1], encoding="utf-8").read().split("\n\n"):
    if not block.strip():
        continue
    name, data = "", None
    for line in block.split("\n"):
        if line.startswith("event: "):
            name = line[len("event: "):]
        elif line.startswith("data: "):
            data = json.loads(line[len("data: "):])
        else:
            raise SystemExit("not an event line: %r" % line)
    events.append((name, data))
print(eval(sys.argv[2]))
PYTHON
}
