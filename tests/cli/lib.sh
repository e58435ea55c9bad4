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

finish() {
  if [ "$failures" -gt 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}
