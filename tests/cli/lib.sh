# Helpers for the command-line tests: each test script is run as `bash SCRIPT RNNKIT SOURCE_DIR`.
set -u
RNNKIT=$1
SOURCE_DIR=$2
SHARED_DATA="$SOURCE_DIR/../shared/data"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect_error "description" "fragment of the message" command...
expect_error() {
  local what=$1 fragment=$2
  shift 2
  local out
  if out=$("$@" 2>&1); then
    fail "$what: expected a failure, got success"
  elif ! grep -qF -- "$fragment" <<<"$out"; then
    fail "$what: message lacks '$fragment': $out"
  fi
}

# await COMMAND...: true once COMMAND succeeds, asked every 0.1 s for 10 s at most (a process
# started in the background has done what COMMAND looks for, however slowly it was scheduled).
await() {
  for _ in $(seq 100); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

# holds_lock DIR PID: the training run PID holds DIR's lock.
holds_lock() { [ "$(cat "$1/.lock" 2>/dev/null)" = "$2" ]; }

# has_trained DIR: DIR's run has logged a training step.
has_trained() { grep -qs '"type":"train"' "$1/metrics.jsonl"; }

finish() {
  if [ "$failures" -gt 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}
