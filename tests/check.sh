# check NAME COMMAND: evaluates COMMAND and prints "ok: NAME", or counts a failure in $failures
# and prints "FAIL: NAME" to stderr. Sourced by the end-to-end test scripts that report each
# check by name.
failures=0
check() {
  if eval "$2"; then
    echo "ok: $1"
  else
    echo "FAIL: $1" >&2
    failures=$((failures + 1))
  fi
}
