#!/usr/bin/env bash
# `rnnkit plot RUN_DIR` draws the loss and perplexity curves of metrics.jsonl to SVG and PNG, and
# refuses a missing run, a missing or empty metrics file and a malformed line (naming the line).
# Called as: bash plot.sh RNNKIT_BINARY SOURCE_DIR
set -uo pipefail
rnnkit=${1:?usage: plot.sh RNNKIT_BINARY SOURCE_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# fontconfig keeps process-lifetime state that LeakSanitizer would report in a sanitizer build.
printf 'leak:libfontconfig.so\n' >"$tmp/lsan.supp"
export LSAN_OPTIONS=suppressions=$tmp/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}
source "$(dirname "${BASH_SOURCE[0]}")/../check.sh"

# At least a few kilobytes: an image with axes, labels and curves, not an empty canvas.
non_trivial() { [ -f "$1" ] && [ "$(stat -c %s "$1")" -gt 2000 ]; }
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }
png_width() { od -An -tu1 -j16 -N4 "$1" | awk '{print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4}'; }

# Mixed kinds of lines as the trainer writes them, a blank line, a null (NaN) value, a step
# repeated by a resumed run and keys this command does not plot.
run=$tmp/run
mkdir -p "$run"
cat >"$run/metrics.jsonl" <<'EOF'
{"type": "train", "step": 10, "epoch": 0, "train_loss": 4.1, "lr": 0.002, "tokens_per_s": 51000}
{"type": "train", "step": 20, "epoch": 0, "train_loss": 3.6, "train_ppl": 36.6, "lr": 0.002}
{"type": "valid", "step": 20, "epoch": 0, "valid_loss": 3.8, "valid_ppl": 44.7}

{"type": "train", "step": 30, "epoch": 1, "train_loss": null}
{"type": "train", "step": 40, "epoch": 1, "train_loss": 2.9}
{"type": "valid", "step": 40, "epoch": 1, "valid_loss": 3.2, "accuracy": 0.41}
{"type": "epoch", "step": 40, "epoch": 1, "train_loss": 3.3, "valid_loss": 3.2}
{"type": "train", "step": 40, "epoch": 1, "train_loss": 2.8}
EOF
"$rnnkit" plot "$run" >"$tmp/ok.out" 2>"$tmp/ok.err"
check "plot: exit 0" "[ $? -eq 0 ]"
for f in curves.svg curves.png curves_ppl.svg curves_ppl.png; do
  check "plot: $f written and non-trivial" "non_trivial '$run/$f'"
done
check "plot: the PNG is a PNG" "is_png '$run/curves.png'"
check "plot: the PNG is 800 pixels wide" "[ \"\$(png_width '$run/curves.png')\" = 800 ]"
check "plot: the SVG is an SVG with the run's name" \
  "grep -q '<svg' '$run/curves.svg' && grep -q '<title>run: loss</title>' '$run/curves.svg'"
check "plot: the legend names both curves" \
  "grep -q 'train loss' '$run/curves.svg' && grep -q 'valid loss' '$run/curves.svg'"
check "plot: the SVG is well-formed XML" \
  "python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' '$run/curves_ppl.svg'"
check "plot: says what it wrote" "grep -q 'curves_ppl.png' '$tmp/ok.out'"

check "plot: a validation metric of its own (accuracy) gets a chart of its own" \
  "non_trivial '$run/curves_accuracy.svg' && non_trivial '$run/curves_accuracy.png' && grep -q 'valid accuracy' '$run/curves_accuracy.svg'"
check "plot: a language model's loss is a cross-entropy" "grep -q 'cross-entropy loss' '$run/curves.svg'"

# A forecaster's log (no perplexities; its validation metrics mae, rmse, mase): no perplexity chart,
# its loss not called a cross-entropy, a chart per metric.
forecast=$tmp/forecast
mkdir -p "$forecast"
cat >"$forecast/metrics.jsonl" <<'EOF'
{"type": "train", "step": 1, "epoch": 0, "train_loss": 1.25, "lr": 0.003}
{"type": "train", "step": 2, "epoch": 0, "train_loss": 0.98, "lr": 0.003}
{"type": "epoch", "step": 2, "epoch": 1, "train_loss": 1.1, "seconds": 0.03}
{"type": "valid", "step": 2, "epoch": 1, "mae": 2.33, "mase": 2.66, "rmse": 2.77, "../x": 1}
{"type": "train", "step": 3, "epoch": 1, "train_loss": 0.9, "lr": 0.003}
{"type": "valid", "step": 4, "epoch": 2, "mae": 2.30, "mase": 2.63, "rmse": 2.75}
EOF
"$rnnkit" plot "$forecast" >"$tmp/forecast.out" 2>&1
check "plot forecaster: exit 0" "[ $? -eq 0 ]"
check "plot forecaster: no perplexity chart" "[ ! -e '$forecast/curves_ppl.svg' ] && ! grep -q _ppl '$tmp/forecast.out'"
check "plot forecaster: the loss is not called a cross-entropy" \
  "non_trivial '$forecast/curves.svg' && ! grep -q 'cross-entropy' '$forecast/curves.svg'"
for metric in mae rmse mase; do
  check "plot forecaster: a chart of $metric" \
    "non_trivial '$forecast/curves_$metric.svg' && non_trivial '$forecast/curves_$metric.png' && grep -q 'wrote .*curves_$metric.png' '$tmp/forecast.out'"
done
check "plot forecaster: a key that is no plain file name is left out" "[ ! -e '$tmp/x.svg' ] && [ \$(ls '$forecast' | wc -l) = 9 ]"

"$rnnkit" plot "$run" --out "$tmp/chart" >/dev/null 2>&1
check "--out PREFIX: PREFIX.svg/.png and PREFIX_ppl.svg/.png" \
  "non_trivial '$tmp/chart.svg' && non_trivial '$tmp/chart.png' && non_trivial '$tmp/chart_ppl.svg' && non_trivial '$tmp/chart_ppl.png'"

expect_error() {
  local name=$1 pattern=$2 rc
  shift 2
  "$rnnkit" plot "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  rc=$?
  check "$name: exit code 1" "[ $rc -eq 1 ]"
  check "$name: message says '$pattern'" "grep -q -- '$pattern' '$tmp/$name.err'"
}

expect_error missing_dir "does not exist" "$tmp/no_such_run"
mkdir -p "$tmp/empty_run"
expect_error missing_metrics "metrics.jsonl does not exist" "$tmp/empty_run"
: >"$tmp/empty_run/metrics.jsonl"
expect_error empty_metrics "empty" "$tmp/empty_run"

mkdir -p "$tmp/bad_run"
printf '%s\n' '{"type": "train", "step": 1, "train_loss": 4.0}' '' '{"type": "train", "step": 2, "train_lo' \
  >"$tmp/bad_run/metrics.jsonl"
expect_error malformed_line "metrics.jsonl line 3" "$tmp/bad_run"
check "malformed_line: no chart written" "[ ! -e '$tmp/bad_run/curves.png' ]"

# The same last line without its newline is a record a killed run was writing: left out.
printf '%s\n%s\n%s' '{"type": "train", "step": 1, "train_loss": 4.0}' \
  '{"type": "train", "step": 2, "train_loss": 3.0}' '{"type": "train", "step": 3, "train_lo' \
  >"$tmp/bad_run/metrics.jsonl"
"$rnnkit" plot "$tmp/bad_run" >/dev/null 2>"$tmp/cut.err"
check "a last line cut short (a killed run) is left out: the chart is drawn" \
  "[ $? -eq 0 ] && [ -s '$tmp/bad_run/curves.png' ]"
rm -f "$tmp/bad_run"/curves*

printf '%s\n' '{"type": "train", "train_loss": 4.0}' >"$tmp/bad_run/metrics.jsonl"
expect_error no_step 'line 1 has no "step"' "$tmp/bad_run"
printf '%s\n' '{"step": 1, "valid_loss": "low"}' >"$tmp/bad_run/metrics.jsonl"
expect_error text_value '"valid_loss" is not a number' "$tmp/bad_run"
# A NUL in a line is shown escaped: the message goes on past it.
printf '{"step": 1,\0 "x"}\n' >"$tmp/bad_run/metrics.jsonl"
expect_error nul_in_line 'is not a JSON object: .*x00 ..x..}"$' "$tmp/bad_run"
printf '%s\n' '{"step": 1, "train_loss": 1e400}' >"$tmp/bad_run/metrics.jsonl"
expect_error number_overflow "line 1: number overflow parsing" "$tmp/bad_run"
printf '%s\n' '{"step": 18446744073709551615, "train_loss": 1}' >"$tmp/bad_run/metrics.jsonl"
expect_error step_out_of_range 'line 1: "step" is out of range: 18446744073709551615' "$tmp/bad_run"
printf '%s\n' '{"step": 1, "accuracy": 0.5}' >"$tmp/bad_run/metrics.jsonl"
expect_error nothing_to_plot "no train_loss" "$tmp/bad_run"

# --out is a prefix: an image's name or a directory would give curves.png.svg or a hidden .svg.
expect_error out_with_extension "--out: a prefix, without extension: it writes $tmp/c.svg" "$run" --out "$tmp/c.png"
expect_error out_a_directory "names a directory: give a prefix in it ($tmp/curves)" "$run" --out "$tmp/"
expect_error out_a_dot_directory "names a directory: give a prefix in it ($tmp/./curves)" "$run" --out "$tmp/."
expect_error out_with_a_capital_extension "--out: a prefix, without extension" "$run" --out "$tmp/c.SVG"
check "nothing written for a refused --out" \
  "[ ! -e '$tmp/c.png.svg' ] && [ ! -e '$tmp/.svg' ] && [ ! -e '$tmp/..svg' ] && [ ! -e '$tmp/c.SVG.svg' ]"

[ "$failures" -eq 0 ] || {
  echo "$failures check(s) failed" >&2
  exit 1
}
