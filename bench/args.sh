# shellcheck shell=bash
# Argument checks of the bench/ scripts, sourced through bench/stamp.sh and
# bench/serve_bench_lib.sh: a wrong or missing value is named in one line on stderr, exit 2
# (instead of "$2: unbound variable" under `set -u`, or a failure deep inside the run).

# need_value "$@", in a script's option loop: fails when the option $1 is the last argument.
need_value() {
  [[ $# -ge 2 ]] || { echo "${0##*/}: $1 needs a value" >&2; exit 2; }
}

# need_int OPTION VALUE MIN [MAX]: fails unless VALUE is a whole number in [MIN, MAX].
need_int() {
  local range=">= $3"
  [[ -n ${4:-} ]] && range="in [$3, $4]"
  if [[ $2 =~ ^[0-9]{1,9}$ ]] && ((10#$2 >= $3)) && { [[ -z ${4:-} ]] || ((10#$2 <= $4)); }; then
    return 0
  fi
  echo "${0##*/}: $1 must be a whole number $range, not '$2'" >&2
  exit 2
}
