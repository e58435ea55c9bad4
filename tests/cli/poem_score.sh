#!/usr/bin/env bash
# `rnnkit poem --rhyme --tones` with the shipped model, run from another directory (the rhyme
# table is compiled in), and `rnnkit poems score` on its output and on hand-made poems whose
# figures were counted by hand (see tests/test_poem_score.cpp): the table, --json, --train,
# --layout, and bad input.
# Called as: bash poem_score.sh RNNKIT_BINARY SOURCE_DIR
set -uo pipefail
rnnkit=${1:?usage: poem_score.sh RNNKIT_BINARY SOURCE_DIR}
source_dir=${2:?usage: poem_score.sh RNNKIT_BINARY SOURCE_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C.UTF-8
source "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
model=$source_dir/models/tang_lstm.safetensors

(cd "$tmp" && "$rnnkit" poem --model "$model" --acrostic 春夏秋冬 --rhyme --tones --count 5 \
  --seed 1 >"$tmp/ruled" 2>"$tmp/ruled.err")
check "poem --rhyme --tones runs from another directory" "[ -s '$tmp/ruled' ]" || cat "$tmp/ruled.err" >&2
"$rnnkit" poems score "$tmp/ruled" --json >"$tmp/ruled.json"
check "its 5 poems keep form, rhyme and tones" \
  "grep -q '\"poems\":5' '$tmp/ruled.json' && grep -q '\"form\":{\"hits\":5,\"rate\":1.0,\"total\":5}' '$tmp/ruled.json' && grep -q '\"rhyme\":{\"hits\":10,\"rate\":1.0,\"total\":10}' '$tmp/ruled.json' && grep -q '\"tones\":{\"hits\":60,\"rate\":1.0,\"total\":60}' '$tmp/ruled.json'"

# Hand-counted: 靜夜思 (rhyme 2/2, tones 10/12, repeated characters 3/20, distinct-2 15/16), and
# a poem with a repeated line.
cat >"$tmp/hand.txt" <<'POEMS'
床前明月光，疑是地上霜。举头望明月，低头思故乡。
春风吹落花，春风吹落花。
POEMS
"$rnnkit" poems score "$tmp/hand.txt" >"$tmp/hand.out"
check "the table has the hand-counted figures" \
  "grep -Eq '^poems +2$' '$tmp/hand.out' && grep -Eq '^form +100.0%  \(2 of 2 poems\)' '$tmp/hand.out' && grep -Eq '^rhyming even lines +100.0%  \(3 of 3 even lines\)' '$tmp/hand.out' && grep -Eq '^tonal template +88.9%  \(16 of 18 bound characters\)' '$tmp/hand.out' && grep -Eq '^repeated characters +26.7%  \(8 of 30 characters\)' '$tmp/hand.out' && grep -Eq '^repeated lines +16.7%  \(1 of 6 lines\)' '$tmp/hand.out' && grep -Eq '^distinct-2 +79.2%  \(19 of 24 bigrams\)' '$tmp/hand.out'"
check "without --train there are no copying figures" "! grep -q copied '$tmp/hand.out'"
# A single line has no even line to rhyme and no character the template binds: no rate, a dash.
printf '床前明月光。\n' >"$tmp/line.txt"
"$rnnkit" poems score "$tmp/line.txt" >"$tmp/line.out"
check "a share of nothing has a dash, not 0.0%" \
  "grep -Eq '^rhyming even lines +-  \(0 of 0 even lines\)' '$tmp/line.out' && grep -Eq '^form +0.0%  \(0 of 1 poems\)' '$tmp/line.out'"

cat >"$tmp/train.txt" <<'POEMS'
床前明月光，疑是地上霜。举头望明月，低头思故乡。
白日依山尽，黄河入海流。欲穷千里目，更上一层楼。
POEMS
printf '床前明月光，黄河入海流。\n春风吹落花，更上一层天。\n\n低头思故乡。白日依山尽。\n' >"$tmp/copied.txt"
"$rnnkit" poems score "$tmp/copied.txt" --train "$tmp/train.txt" >"$tmp/copied.out"
check "--train counts verbatim lines and the longest copied text" \
  "grep -Eq '^lines copied verbatim +66.7%  \(4 of 6 lines\)' '$tmp/copied.out' && grep -Eq '^longest copied text +6.5   \(mean; max 7 characters, poem 1\)' '$tmp/copied.out'"
"$rnnkit" poems score "$tmp/copied.txt" --layout lines >"$tmp/lines.out"
check "--layout lines reads one poem per line" "grep -Eq '^poems +3$' '$tmp/lines.out'"
printf '床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n' >"$tmp/one.txt"
check "a single poem printed by rnnkit poem is one poem" \
  "\"$rnnkit\" poems score '$tmp/one.txt' | grep -Eq '^poems +1$'"

"$rnnkit" poems score "$tmp/absent.txt" >/dev/null 2>"$tmp/absent.err"
check "a missing file is an error naming it" "[ \$? -ne 0 ] && grep -q absent.txt '$tmp/absent.err'"
printf '\n\n' >"$tmp/empty.txt"
"$rnnkit" poems score "$tmp/empty.txt" >/dev/null 2>"$tmp/empty.err"
check "a file without poems is an error" "[ \$? -ne 0 ] && grep -q 'holds no poems' '$tmp/empty.err'"
printf '\xff\xfe\n' >"$tmp/bad.txt"
"$rnnkit" poems score "$tmp/bad.txt" >/dev/null 2>"$tmp/bad.err"
check "invalid UTF-8 is an error naming the file" "[ \$? -ne 0 ] && grep -q bad.txt '$tmp/bad.err'"
printf '床前明月光，疑是地上霜。举头望明月，低头思故乡。\r春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。\r' >"$tmp/cr.txt"
"$rnnkit" poems score "$tmp/cr.txt" >/dev/null 2>"$tmp/cr.err"
check "lines ended by CR alone are refused, not read as one poem" \
  "[ \$? -ne 0 ] && grep -q 'lines end in CR alone' '$tmp/cr.err'"
"$rnnkit" poems score "$tmp/hand.txt" --layout rows >/dev/null 2>"$tmp/layout.err"
check "an unknown --layout is refused" "[ \$? -ne 0 ] && grep -q layout '$tmp/layout.err'"

echo "$failures check(s) failed"
[ "$failures" -eq 0 ]
