#!/usr/bin/env bash
# `rnnkit quantize` end to end: a tiny char-level model trained here and the shipped poem model
# quantized, then read by eval, generate and poem on both CPU paths; what it refuses.
# Called as: bash quantize.sh RNNKIT_BINARY SOURCE_DIR
set -uo pipefail
rnnkit=${1:?usage: quantize.sh RNNKIT_BINARY SOURCE_DIR}
src=${2:?usage: quantize.sh RNNKIT_BINARY SOURCE_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C.UTF-8
source "$(dirname "${BASH_SOURCE[0]}")/../check.sh"

for i in $(seq 60); do echo "the quick brown fox jumps over the lazy dog."; done >"$tmp/text.txt"
"$rnnkit" train --text "$tmp/text.txt" --out "$tmp/run" --steps 30 --cell lstm --layers 2 \
  --hidden 32 --embedding 8 --batch 4 --bptt 16 --seed 1 >"$tmp/train.log" 2>&1
check "a tiny model trains" "[ -f '$tmp/run/last.safetensors' ]" || {
  cat "$tmp/train.log" >&2
  exit 1
}

"$rnnkit" quantize "$tmp/run" "$tmp/int8.safetensors" >"$tmp/quantize.out" 2>&1
check "quantize takes a run directory and reports the matrices" \
  "grep -q '5 weight matrices int8 with per-row scales' '$tmp/quantize.out'"
check "the int8 file is smaller" \
  "[ \$(stat -c %s '$tmp/int8.safetensors') -lt \$(stat -c %s '$tmp/run/last.safetensors') ]"

perplexity() { sed -n 's/.*"perplexity":\([0-9.e+-]*\).*/\1/p' "$1"; }
# Whether the perplexities of two eval --json outputs differ by less than 1% (and are not equal:
# the int8 products ran).
within_one_percent() {
  awk -v a="$(perplexity "$1")" -v b="$(perplexity "$2")" \
    'BEGIN { d = (b - a) / a; exit !(a > 0 && d != 0 && d < 0.01 && d > -0.01) }'
}
for cpu in native baseline; do
  RNNKIT_CPU=$cpu "$rnnkit" eval -m "$tmp/run" --text "$tmp/text.txt" --json >"$tmp/f32.json"
  RNNKIT_CPU=$cpu "$rnnkit" eval -m "$tmp/int8.safetensors" --text "$tmp/text.txt" --json \
    >"$tmp/int8.json"
  check "$cpu: eval of the int8 model is within 1% of float32's perplexity" \
    "within_one_percent '$tmp/f32.json' '$tmp/int8.json'"
done

"$rnnkit" generate -m "$tmp/int8.safetensors" -p "the " -n 40 --temp 0 >"$tmp/gen_int8" 2>/dev/null
"$rnnkit" generate -m "$tmp/run" -p "the " -n 40 --temp 0 >"$tmp/gen_f32" 2>/dev/null
check "greedy generation from the int8 model equals float32's" "cmp -s '$tmp/gen_int8' '$tmp/gen_f32'"

"$rnnkit" quantize "$src/models/tang_lstm.safetensors" "$tmp/tang.safetensors" >/dev/null
"$rnnkit" poem -m "$tmp/tang.safetensors" --start 床前明月光 --seed 1 >"$tmp/poem" 2>&1
check "poem reads the quantized poem model" "[ \$(grep -c '[，。]' '$tmp/poem') -ge 2 ]"

"$rnnkit" quantize "$tmp/int8.safetensors" "$tmp/again.safetensors" >/dev/null 2>"$tmp/again.err"
check "an already quantized file is refused" \
  "[ $? -eq 1 ] && grep -q 'already quantized' '$tmp/again.err' && [ ! -e '$tmp/again.safetensors' ]"
"$rnnkit" quantize "$tmp/missing" "$tmp/x.safetensors" >/dev/null 2>"$tmp/missing.err"
check "a missing input is an error" "[ $? -eq 1 ] && grep -q 'error:' '$tmp/missing.err'"
"$rnnkit" quantize "$tmp/run" >/dev/null 2>"$tmp/usage.err"
check "OUT is required" "[ $? -ne 0 ] && grep -q 'OUT' '$tmp/usage.err'"

[ "$failures" -eq 0 ] || exit 1
