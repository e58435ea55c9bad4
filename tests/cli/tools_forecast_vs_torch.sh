#!/usr/bin/env bash
# bench/forecast_vs_torch.sh with rnnkit only (--torch ""), one tiny training a run (1 epoch,
# hidden 4: a second in all) on a synthetic sunspots-like CSV given after `--` as --data: the
# series' default file is not required then; the summary, headed by the series, covers only the
# lines of this run although the --log holds an earlier run's; a failing `forecast train` shows
# its error; a wrong argument is named. Called as `bash tools_forecast_vs_torch.sh RNNKIT SOURCE_DIR`.
source "$(dirname "$0")/lib.sh"
script=$SOURCE_DIR/bench/forecast_vs_torch.sh
awk 'BEGIN { print "YEAR,SUNACTIVITY"; for (i = 0; i < 310; i++) printf "%d,%.1f\n", 1700 + i, 80 + 60 * sin(i * 0.571) + (i * 37 % 11) }' \
  >"$WORK/spots.csv"
run() {
  RNNKIT=$RNNKIT bash "$script" sunspots --cells gru --seeds "$1" --torch "" --log "$WORK/log.jsonl" \
    -- --data "$WORK/spots.csv" --epochs 1 --hidden 4 "${@:2}"
}
run "1 2" >"$WORK/out1" 2>"$WORK/err" || fail "the first run failed: $(cat "$WORK/err")"
run 3 >"$WORK/out2" 2>"$WORK/err" || fail "the second run failed: $(cat "$WORK/err")"
[ "$(wc -l <"$WORK/log.jsonl")" = 3 ] || fail "the log does not hold the 3 runs' lines"
grep -q '^sunspots:$' "$WORK/out2" || fail "no series heading: $(cat "$WORK/out2")"
# One seed in this run: its MASE is the mean, with a spread of 0 (all three seeds: more than 0).
mase=$(/usr/bin/python3 -c 'import json, sys; print("%.4f" % json.loads(open(sys.argv[1]).readlines()[2])["series"][0]["mase"])' \
  "$WORK/log.jsonl")
grep -q "^gru: rnnkit  MASE $mase ± 0.0000," "$WORK/out2" ||
  fail "the summary is not over this run's seed ($mase): $(cat "$WORK/out2")"

expect_error "a bad training option" "bogus" run 1 --bogus
expect_error "an unknown option" "unknown argument --seed" bash "$script" sunspots --seed 1
expect_error "an unknown series" "unknown SERIES 'sunspot'" bash "$script" sunspot
finish
