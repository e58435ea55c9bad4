#!/usr/bin/env bash
# `rnnkit generate` end to end on a tiny char-level model trained here for a few steps: echo,
# seeds, greedy and beam decoding, prompt files, token counts, UTF-8 output and bad input.
# Called as: bash generate.sh RNNKIT_BINARY SOURCE_DIR
set -uo pipefail
rnnkit=${1:?usage: generate.sh RNNKIT_BINARY SOURCE_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C.UTF-8
source "$(dirname "${BASH_SOURCE[0]}")/../check.sh"

for i in $(seq 60); do
  echo "the quick brown fox jumps over the lazy dog. 床前明月光，疑是地上霜。😀"
done >"$tmp/text.txt"
"$rnnkit" train --text "$tmp/text.txt" --out "$tmp/run" --steps 5 --cell lstm --layers 1 \
  --hidden 16 --embedding 8 --batch 4 --bptt 16 --seed 1 >"$tmp/train.log" 2>&1
check "a tiny model trains" "[ -f '$tmp/run/last.safetensors' ]" || {
  cat "$tmp/train.log" >&2
  exit 1
}
model=$tmp/run
gen() { "$rnnkit" generate --model "$model" "$@"; }

gen -p "the " -n 40 --temp 0 >"$tmp/greedy1" 2>/dev/null
gen -p "the " -n 40 --temp 0 >"$tmp/greedy2" 2>/dev/null
check "greedy decoding is deterministic" "cmp -s '$tmp/greedy1' '$tmp/greedy2'"
check "the prompt is echoed first" "[ \"\$(head -c 4 '$tmp/greedy1')\" = 'the ' ]"

gen -p "the " -n 60 --temp 1 --seed 5 >"$tmp/seed5a" 2>"$tmp/seed5a.err"
gen -p "the " -n 60 --temp 1 --seed 5 >"$tmp/seed5b" 2>/dev/null
gen -p "the " -n 60 --temp 1 --seed 6 >"$tmp/seed6" 2>/dev/null
check "the same seed gives the same text" "cmp -s '$tmp/seed5a' '$tmp/seed5b'"
check "another seed gives another text" "! cmp -s '$tmp/seed5a' '$tmp/seed6'"
check "stderr reports the number of tokens" "grep -q 'generated 60 tokens' '$tmp/seed5a.err'"
gen -p "the " -n 1 --temp 0 >/dev/null 2>"$tmp/one.err"
check "one token is reported in the singular" "grep -q 'generated 1 token in' '$tmp/one.err'"
check "a given seed is not reported as random" "! grep -q '^seed:' '$tmp/seed5a.err'"

gen -p "the " -n 60 --temp 1 >"$tmp/random" 2>"$tmp/random.err"
seed=$(sed -n 's/^seed: \([0-9]*\)$/\1/p' "$tmp/random.err")
check "without --seed a random seed is printed to stderr" "[ -n '$seed' ]"
gen -p "the " -n 60 --temp 1 --seed "${seed:-0}" >"$tmp/replay" 2>/dev/null
check "the printed seed replays the run" "cmp -s '$tmp/random' '$tmp/replay'"

gen -p "the " -n 60 --temp 1 --seed 5 --no-echo >"$tmp/noecho" 2>/dev/null
check "--no-echo prints exactly the continuation" \
  "[ \"the \$(cat '$tmp/noecho')\" = \"\$(cat '$tmp/seed5a')\" ]"

printf 'the ' >"$tmp/prompt.txt"
gen --prompt-file "$tmp/prompt.txt" -n 60 --temp 1 --seed 5 >"$tmp/fromfile" 2>/dev/null
check "--prompt-file is the same as -p" "cmp -s '$tmp/fromfile' '$tmp/seed5a'"
# A character the vocabulary lacks is named with its line, in a prompt file and in an eval text.
printf 'the fox\nthe \xe2\x82\xac\n' >"$tmp/unknown.txt"
gen --prompt-file "$tmp/unknown.txt" -n 3 >/dev/null 2>"$tmp/unknown_gen.err"
check "generate names the line of an unknown character in a prompt file" \
  "grep -q 'unknown.txt, line 2: 1 character is not in the vocabulary' '$tmp/unknown_gen.err'"
"$rnnkit" eval --model "$model" --text "$tmp/unknown.txt" >/dev/null 2>"$tmp/unknown_eval.err"
check "eval names the line of an unknown character" \
  "grep -q 'unknown.txt, line 2: 1 character is not in the vocabulary' '$tmp/unknown_eval.err'"

gen -p "the " -n 40 --beam 1 >"$tmp/beam1" 2>/dev/null
check "--beam 1 equals greedy decoding" "cmp -s '$tmp/beam1' '$tmp/greedy1'"
gen -p "the " -n 30 --beam 4 --no-echo >"$tmp/beam4" 2>"$tmp/beam4.err"
check "--beam 4 produces 30 tokens" "grep -q 'generated 30 tokens' '$tmp/beam4.err'"
check "--beam prints no seed: it draws nothing" "! grep -q '^seed:' '$tmp/beam4.err'"
# ... so a sampling flag beside it is refused, even at its default value.
for sampling in "--seed 0" "--top-k 5" "--temp 0.8" "--top-p 0.9"; do
  check "--beam with $sampling is refused: it would do nothing" \
    "! gen -p 'the ' -n 5 --beam 2 $sampling 2>'$tmp/beam_sampling.err' >/dev/null && grep -q -- '${sampling%% *} excludes --beam' '$tmp/beam_sampling.err'"
done

gen -p "床前" -n 200 --temp 1.5 --seed 3 >"$tmp/utf8" 2>/dev/null
check "multi-byte output is valid UTF-8" "iconv -f UTF-8 -t UTF-8 '$tmp/utf8' >/dev/null"
check "the run streams 200 tokens" "[ \$(wc -m <'$tmp/utf8') -ge 202 ]"

gen -p "" -n 5 --temp 0 >/dev/null 2>"$tmp/empty.err"
check "an empty prompt without a start token is an error" "grep -q 'empty prompt' '$tmp/empty.err'"
gen -p "Жthe" -n 5 >/dev/null 2>"$tmp/oov.err"
check "an unknown character exits 1" "[ $? -eq 1 ]"
check "an unknown character is named" "grep -q '\"Ж\"' '$tmp/oov.err'"
gen -p "the" -n -2 >/dev/null 2>"$tmp/n.err"
check "-n -2 is rejected" "[ $? -eq 1 ] && grep -q -- '-1' '$tmp/n.err'"
gen -p "the" -n 99999999999999999999 >/dev/null 2>"$tmp/n64.err"
check "-n beyond 64 bits is rejected as such, not clamped" \
  "grep -q -- '--n-predict: must be in \[-9223372036854775808' '$tmp/n64.err'"
gen -p "the" --top-p 0 >/dev/null 2>"$tmp/topp.err"
check "--top-p 0 is rejected" "[ $? -eq 1 ] && grep -q 'top_p' '$tmp/topp.err'"
# A seed out of the unsigned 64-bit range is refused, not read as 2^64 - 1.
for bad in -1 18446744073709551616 0x10; do
  gen -p "the " -n 3 --seed "$bad" >/dev/null 2>"$tmp/seed.err"
  check "--seed $bad is rejected" "[ $? -ne 0 ] && grep -q -- '--seed: must be' '$tmp/seed.err'"
done
gen -p "the " -n 3 --seed 18446744073709551615 >/dev/null 2>&1
check "--seed 18446744073709551615 is taken" "[ $? -eq 0 ]"
gen -p "the" --beam 0 -n 0 >"$tmp/zero" 2>/dev/null
check "-n 0 prints the prompt only" "[ \"\$(cat '$tmp/zero')\" = 'the' ]"
"$rnnkit" generate --model "$tmp/missing" -p "the" >/dev/null 2>"$tmp/missing.err"
check "a missing model exits 1 with a message" "[ $? -eq 1 ] && grep -q 'error:' '$tmp/missing.err'"
gen -p "the" -n 5 --threads 100000 >/dev/null 2>"$tmp/threads.err"
check "--threads 100000 is an error naming the cap" "[ $? -eq 1 ] && grep -q '1024' '$tmp/threads.err'"
printf 'the lazy dog\n' >"$tmp/probe.txt"
"$rnnkit" eval --model "$model" --text "$tmp/probe.txt" --threads -1 >/dev/null 2>"$tmp/eval_threads.err"
check "eval --threads -1 is an error" "[ $? -eq 1 ] && grep -q 'not -1' '$tmp/eval_threads.err'"
RNNKIT_CPU=avx9000 gen -p "the" -n 5 >/dev/null 2>"$tmp/cpu.err"
check "a bad RNNKIT_CPU is an error" "[ $? -eq 1 ] && grep -q 'RNNKIT_CPU=avx9000' '$tmp/cpu.err'"
RNNKIT_CPU=baseline gen -p "the " -n 40 --temp 0 >"$tmp/greedy_baseline" 2>/dev/null
check "RNNKIT_CPU=baseline generates the same greedy text" "cmp -s '$tmp/greedy1' '$tmp/greedy_baseline'"
# Output that cannot be written (a full disk) is an error, not success with the text cut.
if [ -w /dev/full ]; then
  gen -p "the " -n 40 --temp 0 >/dev/full 2>"$tmp/full.err"
  check "output to a full device is an error" "[ $? -eq 1 ] && grep -q 'cannot write the output' '$tmp/full.err'"
fi
for empty in "--n-predict" "--temp" "--top-k"; do
  gen -p "the" "$empty" "" >/dev/null 2>"$tmp/empty.err"
  check "an empty $empty is refused, not read as 0" "[ $? -ne 0 ] && grep -q -- '$empty: no number given' '$tmp/empty.err'"
done
"$rnnkit" genrate -p "the" >/dev/null 2>"$tmp/unknown.err"
check "an unknown command is named" "[ $? -eq 1 ] && grep -q \"unknown command 'genrate'\" '$tmp/unknown.err'"

# The model has no end token: none to ignore (the flag would do nothing).
gen -p "the " -n 5 --ignore-eos >/dev/null 2>"$tmp/ignore.err"
check "--ignore-eos without an end token is refused" \
  "[ \$? -eq 1 ] && grep -q 'no end token to ignore' '$tmp/ignore.err'"

[ "$failures" -eq 0 ] || {
  echo "$failures check(s) failed" >&2
  exit 1
}
