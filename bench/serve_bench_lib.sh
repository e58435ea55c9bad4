# Helpers of the server benchmarks (bench/serve_load.sh, bench/serve_soak.sh), sourced after
# `set -euo pipefail`.

# usage [STATUS]: prints the calling script's header comment (on stderr unless STATUS is 0) and
# exits.
usage() { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d' >&$((${1:-0} ? 2 : 1)); exit "${1:-0}"; }

source "$(dirname "${BASH_SOURCE[0]}")/args.sh"  # need_value, need_int

# unknown_argument ARG: names it, then the usage.
unknown_argument() { echo "${0##*/}: unknown argument $1" >&2; usage 2; }

# binary_and_model ARGS...: handles -h/--help, and sets rnnkit and model from the first two
# arguments (the caller shifts them off).
binary_and_model() {
  [[ $# -ge 1 && ($1 == -h || $1 == --help) ]] && usage 0
  [[ $# -ge 2 ]] || { echo "${0##*/}: needs RNNKIT_BINARY and MODEL" >&2; usage 2; }
  rnnkit=$1
  model=$2
}

# start_server RNNKIT SERVE_ARGS...: makes $tmp (removed on exit, with the server stopped),
# starts `RNNKIT serve --port 0 SERVE_ARGS...` on loopback, waits for its port; sets server_pid
# and url.
start_server() {
  local rnnkit=$1 port=""
  shift
  tmp=$(mktemp -d)
  server_pid=""
  trap 'stop_server_and_clean' EXIT
  : >"$tmp/server.log"  # exists before the server's shell opens it, for the sed below
  "$rnnkit" serve --port 0 "$@" >"$tmp/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    port=$(sed -n 's|^rnnkit serve: listening on http://127\.0\.0\.1:\([0-9]*\) .*|\1|p' "$tmp/server.log")
    [[ -n $port ]] && break
    # A server that refused its options or model has exited: no need to wait out the 10 s.
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n $port ]] || { cat "$tmp/server.log" >&2; echo "${0##*/}: rnnkit serve did not start" >&2; exit 1; }
  url=http://127.0.0.1:$port
}

stop_server_and_clean() {
  [[ -n $server_pid ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$tmp"
}
