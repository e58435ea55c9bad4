#!/usr/bin/env bash
# `rnnkit poem` end to end on a poem model trained here for a few steps on the fixture corpus:
# form of the output, acrostics, seeds, --count/--lines/--form/--style, traditional input, bad
# input, and interactive mode through a pipe and with Ctrl-C.
# Called as: bash poem.sh RNNKIT_BINARY SOURCE_DIR
set -uo pipefail
rnnkit=${1:?usage: poem.sh RNNKIT_BINARY SOURCE_DIR}
source_dir=${2:?usage: poem.sh RNNKIT_BINARY SOURCE_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C.UTF-8
source "$(dirname "${BASH_SOURCE[0]}")/../check.sh"

"$rnnkit" train --poems "$source_dir/tests/fixtures/poems/corpus" --out "$tmp/run" --steps 5 \
  --cell lstm --layers 1 --hidden 16 --embedding 8 --batch 4 --seed 1 >"$tmp/train.log" 2>&1
check "a tiny poem model trains" "[ -f '$tmp/run/last.safetensors' ]" || {
  cat "$tmp/train.log" >&2
  exit 1
}
poem() { "$rnnkit" poem --model "$tmp/run" "$@"; }

# `poems prepare` on the fixture corpus: 10 poems, 2 unusable (□, {…}) and 1 empty, 1 duplicate of
# 靜夜思 (tests/test_poem_corpus.cpp), so 6 poems, one per line, all in train.txt at fraction 0.
"$rnnkit" poems prepare --dir "$source_dir/tests/fixtures/poems/corpus" --out "$tmp/prepared" \
  --valid-fraction 0 >"$tmp/prepare.out" 2>&1
check "poems prepare counts what it drops" \
  "grep -qx 'read 10 poems: 3 unusable, 1 duplicate, 0 of another form, 0 too long' '$tmp/prepare.out'"
check "poems prepare writes 6 poems to train.txt, none to valid.txt, in simplified script" \
  "[ \"\$(wc -l <'$tmp/prepared/train.txt')\" = 6 ] && [ ! -s '$tmp/prepared/valid.txt' ] && head -n 1 '$tmp/prepared/train.txt' | grep -qx '床前看月光，疑是地上霜。举头望山月，低头思故乡。'"
touch "$tmp/a_file"
"$rnnkit" poems prepare --dir "$source_dir/tests/fixtures/poems/corpus" --out "$tmp/a_file" \
  >"$tmp/prepare_file.out" 2>&1
check "poems prepare --out FILE is refused by name" \
  "[ $? -eq 1 ] && grep -q 'error: --out $tmp/a_file is a file; give a directory' '$tmp/prepare_file.out'"
# Every line of FILE is a couplet of two N-character lines ("X，Y。"), or blank.
couplets_of() {
  grep -v '^$' "$1" | grep -Evxq "[^，。]{$2}，[^，。]{$2}。" && return 1
  [ -s "$1" ]
}

poem --start 床前看月光 --seed 1 >"$tmp/start" 2>/dev/null
check "a start line gives 2 couplets" "[ \$(wc -l <'$tmp/start') -eq 2 ] && couplets_of '$tmp/start' 5"
check "the poem begins with the start line" "head -n 1 '$tmp/start' | grep -q '^床前看月光，'"
poem --start 床前看月光 --seed 1 >"$tmp/start_again" 2>/dev/null
poem --start 床前看月光 --seed 2 >"$tmp/start_other" 2>/dev/null
check "the same seed gives the same poem" "cmp -s '$tmp/start' '$tmp/start_again'"
check "another seed gives another poem" "! cmp -s '$tmp/start' '$tmp/start_other'"

poem --start 床前看月光 >"$tmp/random" 2>"$tmp/random.err"
seed=$(sed -n 's/^seed: \([0-9]*\)$/\1/p' "$tmp/random.err")
poem --start 床前看月光 --seed "${seed:-0}" >"$tmp/replay" 2>/dev/null
check "the random seed is printed and replays the poem" "[ -n '$seed' ] && cmp -s '$tmp/random' '$tmp/replay'"

poem --acrostic 春花白日 --seed 3 >"$tmp/acrostic" 2>/dev/null
check "an acrostic gives 2 couplets of 5" "[ \$(wc -l <'$tmp/acrostic') -eq 2 ] && couplets_of '$tmp/acrostic' 5"
check "each line starts with its head character" \
  "grep -q '^春.....花' '$tmp/acrostic' && grep -q '^白.....日' '$tmp/acrostic'"
poem --acrostic 春花白 --form 7 --seed 3 >"$tmp/odd" 2>/dev/null
check "an odd acrostic ends with a single line" \
  "grep -Eqx '春[^，。]{6}，花[^，。]{6}。' '$tmp/odd' && grep -Eqx '白[^，。]{6}。' '$tmp/odd'"

poem --start 春眠 --form 7 --lines 8 --seed 4 >"$tmp/seven" 2>/dev/null
check "--form 7 --lines 8 continues a short start" \
  "[ \$(wc -l <'$tmp/seven') -eq 4 ] && couplets_of '$tmp/seven' 7 && grep -q '^春眠' '$tmp/seven'"
poem --start 床前看月光 --count 3 --seed 5 >"$tmp/count" 2>/dev/null
check "--count 3 writes 3 poems separated by blank lines" \
  "[ \$(wc -l <'$tmp/count') -eq 8 ] && [ \$(grep -c '^$' '$tmp/count') -eq 2 ] && couplets_of '$tmp/count' 5"
poem --start 床前看月光 --seed 6 >"$tmp/seed6" 2>/dev/null
check "poem k of --count uses seed + k" "[ \"\$(sed -n 4,5p '$tmp/count')\" = \"\$(cat '$tmp/seed6')\" ]"
poem --start 床前看月光 --style 春眠不觉晓，处处闻啼鸟。 --seed 1 >"$tmp/style" 2>/dev/null
check "--style is read but not printed" \
  "[ \$(wc -l <'$tmp/style') -eq 2 ] && couplets_of '$tmp/style' 5 && ! grep -q 处处 '$tmp/style'"
poem --start 牀前看月光 --seed 1 >"$tmp/traditional" 2>/dev/null
check "a traditional start line is converted to the model's script" \
  "head -n 1 '$tmp/traditional' | grep -q '^床前看月光，'"
# eval --poems reads a traditional poem in the model's script too, as its simplified twin.
echo '床前看月光，疑是地上霜。举头望山月，低头思故乡。' >"$tmp/simplified_poem.txt"
echo '床前看月光，疑是地上霜。舉頭望山月，低頭思故鄉。' >"$tmp/traditional_poem.txt"
"$rnnkit" eval --model "$tmp/run" --poems "$tmp/simplified_poem.txt" --json >"$tmp/eval_s" 2>&1
"$rnnkit" eval --model "$tmp/run" --poems "$tmp/traditional_poem.txt" --json >"$tmp/eval_t" 2>&1
check "eval --poems reads a traditional poem as its simplified twin" \
  "grep -q perplexity '$tmp/eval_s' && cmp -s '$tmp/eval_s' '$tmp/eval_t'"
poem --start 床前看月光 --temp 0 >"$tmp/greedy" 2>"$tmp/greedy.err"
check "greedy poems keep the form" "couplets_of '$tmp/greedy' 5"

poem --start 床前看 >/dev/null 2>"$tmp/short.err"
check "a 3-character start line without --form is refused" \
  "[ $? -eq 1 ] && grep -q '5 or 7' '$tmp/short.err'"
poem --start 床前看月光 --form 7 --lines 4 >/dev/null 2>&1
check "a 5-character start is accepted as the beginning of a 7-character line" "[ $? -eq 0 ]"
poem --start 床前看月光明月 --form 5 >/dev/null 2>"$tmp/long.err"
check "a start line longer than the form is refused" "[ $? -eq 1 ] && grep -q 'more than' '$tmp/long.err'"
poem --acrostic 春夏 >/dev/null 2>"$tmp/oov.err"
check "a character outside the vocabulary is named" "[ $? -eq 1 ] && grep -q '\"夏\"' '$tmp/oov.err'"
poem --acrostic 春花白日春花白日春花白日春花白日春 >/dev/null 2>"$tmp/heads.err"
check "an acrostic over 16 characters is refused" "[ $? -eq 1 ] && grep -q '16' '$tmp/heads.err'"
poem --acrostic 春a >/dev/null 2>"$tmp/nonhan.err"
check "a non-Han acrostic is refused" "[ $? -eq 1 ] && grep -q 'Han' '$tmp/nonhan.err'"
poem --start '' >/dev/null 2>"$tmp/empty.err"
check "an empty start line is refused" "[ $? -eq 1 ] && grep -q 'error:' '$tmp/empty.err'"
poem --start 床前看月光 --form 6 >/dev/null 2>"$tmp/form.err"
check "--form 6 is refused" "[ $? -eq 1 ] && grep -q '5 or 7' '$tmp/form.err'"

printf '床前看月光\n藏头:春花白日\n\n床前\n藏头：白日\n' | poem -i --seed 7 >"$tmp/interactive" 2>"$tmp/interactive.err"
check "interactive mode exits 0 at end of input" "[ $? -eq 0 ]"
check "interactive mode asks again and again" "[ \$(grep -o '请输入您的开头：' '$tmp/interactive' | wc -l) -eq 6 ]"
sed 's/请输入您的开头：//g' "$tmp/interactive" >"$tmp/interactive.poems"
check "interactive mode writes the poems" \
  "grep -q '^床前看月光，' '$tmp/interactive.poems' && grep -q '^春.....花' '$tmp/interactive.poems' && grep -q '^白....，日....。$' '$tmp/interactive.poems' && couplets_of '$tmp/interactive.poems' 5"
check "a bad line is reported and the session goes on" "grep -q '5 or 7' '$tmp/interactive.err'"
printf '\xff\xfe\n床前看月光\n' | poem -i --seed 7 >"$tmp/interactive_bytes" 2>"$tmp/interactive_bytes.err"
check "a line of invalid UTF-8 is reported too, and the next line gets its poem" \
  "[ $? -eq 0 ] && grep -q 'invalid UTF-8' '$tmp/interactive_bytes.err' && grep -q '床前看月光，' '$tmp/interactive_bytes'"
check "interactive output ends with a newline" "[ \"\$(tail -c 1 '$tmp/interactive' | od -An -c | tr -d ' ')\" = '\\n' ]"

# Ctrl-C while waiting for input: SIGINT to a session reading a pipe that never ends.
mkfifo "$tmp/fifo"
"$rnnkit" poem --model "$tmp/run" -i --seed 1 <"$tmp/fifo" >"$tmp/sigint" 2>&1 &
pid=$!
(sleep 60 && kill -KILL "$pid") >/dev/null 2>&1 &
watchdog=$!
exec 3>"$tmp/fifo"
for _ in $(seq 100); do
  grep -q '请输入您的开头' "$tmp/sigint" 2>/dev/null && break
  sleep 0.1
done
kill -INT "$pid"
wait "$pid"
rc=$?
exec 3>&-
kill "$watchdog" 2>/dev/null
check "Ctrl-C leaves interactive mode cleanly (exit 0)" "[ $rc -eq 0 ]"
check "Ctrl-C ends the output with a newline" "[ \"\$(tail -c 1 '$tmp/sigint' | od -An -c | tr -d ' ')\" = '\\n' ]"

[ "$failures" -eq 0 ] || {
  echo "$failures check(s) failed" >&2
  exit 1
}
