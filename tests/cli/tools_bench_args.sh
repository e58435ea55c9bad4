#!/usr/bin/env bash
# The argument handling and raw lines of the bench/ scripts, with stubs only (no benchmark runs,
# a second in all): bench/distributed.sh --help prints its usage and runs nothing, and it refuses
# ROUNDS or step counts that are not numbers or leave no timed step after the warm-up; an option
# without its value is named (not "$2: unbound variable"); micro.sh refuses --threads abc;
# bench/stamp.sh's gbench_lines leaves the cv aggregate (a percentage) as it is while it turns the
# other G.../s counters into G units, and outside a git checkout stamps "commit":"unknown" with
# one message. Called as `bash tools_bench_args.sh RNNKIT SOURCE_DIR` (the binary is unused).
source "$(dirname "$0")/lib.sh"
bench=$SOURCE_DIR/bench

# A stand-in for rnnkit and mpirun that notes every call.
cat >"$WORK/stub" <<STUB
#!/bin/sh
echo "\$@" >>"$WORK/calls"
exit 1
STUB
chmod +x "$WORK/stub"
RNNKIT=$WORK/stub MPIRUN=$WORK/stub bash "$bench/distributed.sh" --help >"$WORK/help" 2>&1 ||
  fail "distributed.sh --help: exit status $?"
grep -q "bench/distributed.sh \[ROUNDS\]" "$WORK/help" || fail "distributed.sh --help printed no usage: $(head -n 3 "$WORK/help")"
for args in "abc" "0" "1 x" "1 12 2" "1 2 40"; do
  # shellcheck disable=SC2086  # the words are the arguments
  RNNKIT=$WORK/stub MPIRUN=$WORK/stub expect_error "distributed.sh $args" "distributed.sh: " \
    bash "$bench/distributed.sh" $args
done
[ ! -e "$WORK/calls" ] || fail "distributed.sh ran rnnkit: $(head -n 1 "$WORK/calls")"

expect_error "compare.sh --rounds without a value" "--rounds needs a value" \
  bash "$bench/compare.sh" generate --rounds
expect_error "compare.sh --rounds abc" "--rounds must be a whole number" \
  bash "$bench/compare.sh" generate --rounds abc
expect_error "micro.sh --log without a value" "--log needs a value" bash "$bench/micro.sh" --log
expect_error "micro.sh --threads abc" "--threads must be a whole number" \
  env RNNKIT_BENCH="$WORK/stub" bash "$bench/micro.sh" --threads abc
expect_error "tang_epoch.sh --log without a value" "--log needs a value" \
  bash "$bench/tang_epoch.sh" "$WORK" --log

# Google Benchmark's JSON: GFLOP/s is per second there; the cv aggregate's is a ratio already.
cat >"$WORK/report.json" <<'JSON'
{"context": {"mhz_per_cpu": 3000},
 "benchmarks": [
  {"name": "BM_X", "run_type": "iteration", "GFLOP/s": 2.5e10},
  {"name": "BM_X_mean", "run_type": "aggregate", "aggregate_name": "mean", "aggregate_unit": "time", "GFLOP/s": 2.5e10},
  {"name": "BM_X_cv", "run_type": "aggregate", "aggregate_name": "cv", "aggregate_unit": "percentage", "GFLOP/s": 0.0123}]}
JSON
bash -c 'set -euo pipefail; source "$1/stamp.sh"; gbench_lines micro "$2"' _ "$bench" "$WORK/report.json" \
  >"$WORK/lines" 2>"$WORK/err" || fail "gbench_lines failed: $(cat "$WORK/err")"
/usr/bin/python3 - "$WORK/lines" <<'PY' || fail "gbench_lines' GFLOP/s: $(cat "$WORK/lines")"
import json, sys
rates = {d["name"]: d["GFLOP/s"] for d in map(json.loads, open(sys.argv[1]))}
sys.exit(rates != {"BM_X": 25.0, "BM_X_mean": 25.0, "BM_X_cv": 0.0123})
PY

# Outside a git checkout: a copy of the two sourced files, in a directory git does not know.
mkdir -p "$WORK/export/bench"
cp "$bench/stamp.sh" "$bench/args.sh" "$WORK/export/bench/"
if ! git -C "$WORK/export" rev-parse 2>/dev/null; then
  bash -c 'set -euo pipefail; source "$1/bench/stamp.sh"; printf "{\"a\":1}\n{\"b\":2}\n" | stamp_lines' _ \
    "$WORK/export" >"$WORK/stamped" 2>"$WORK/err" || fail "stamp_lines outside git failed: $(cat "$WORK/err")"
  [ "$(grep -c '^{"commit":"unknown",' "$WORK/stamped")" = 2 ] || fail "outside git: $(cat "$WORK/stamped")"
  [ "$(wc -l <"$WORK/err")" = 1 ] || fail "outside git, more than one message: $(head -n 5 "$WORK/err")"
fi
finish
