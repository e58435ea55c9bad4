# tools/pytorch_poem_generator.py (the PyTorch tutorial's greedy decoding) on poem models rnnkit
# trains here: an LSTM with projections and tied output weights stored as BF16, a GRU as F16, a
# tanh RNN as F32. Parity: PyTorch's perplexity of held-out poems equals `rnnkit eval --poems`
# within 1e-4 (relative), and its greedy continuation equals `rnnkit generate --temp 0`. Then the
# decoding rules of its docstring (acrostic heads after 。 or ！, --lines, --count) and what it
# refuses (an int8 file, a character outside the vocabulary). Needs Debian's python3-torch;
# without it the test is skipped (exit 77).
source "$(dirname "$0")/lib.sh"
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "SKIP: python3-torch is not installed (apt-get install python3-torch)" >&2
  exit 77
fi
export LC_ALL=C.UTF-8
generator=$SOURCE_DIR/tools/pytorch_poem_generator.py
gen() { /usr/bin/python3 "$generator" "$@"; }
# Held-out poems: the fixture corpus's lines (Chinese-poetry JSON, traditional) rearranged.
printf '%s\n' 夜来风雨声，处处闻啼鸟。春眠不觉晓，花落知多少。 白日依山尽，更上一层楼。 欲穷千里目，黄河入海流。 \
  >"$WORK/valid.txt"

for cfg in "lstm 2 40 --proj-size=8 --embedding=8 --tie-weights --dtype=bf16" \
  "gru 1 40 --embedding=8 --dtype=f16" "rnn_tanh 2 300 --embedding=8"; do
  set -- $cfg
  model=$WORK/$1/last.safetensors
  "$RNNKIT" train --poems "$SOURCE_DIR/tests/fixtures/poems/corpus" --cell "$1" --layers "$2" \
    --steps "$3" "${@:4}" --hidden 16 --batch 4 --lr 1e-2 --seed 1 --threads 1 --out "$WORK/$1" \
    >"$WORK/$1.log" 2>&1 || fail "train $cfg: $(tail -n 3 "$WORK/$1.log")"

  ours=$("$RNNKIT" eval -m "$model" --poems "$WORK/valid.txt" --json)
  /usr/bin/python3 - "$SOURCE_DIR/tools" "$model" "$WORK/valid.txt" "$ours" <<'EOF' || fail "$cfg: perplexity"
import json, math, sys
sys.path.insert(0, sys.argv[1])
from pytorch_poem_generator import PoemModel
model, ours = PoemModel(sys.argv[2]), json.loads(sys.argv[4])
terms = [model.poem_log_likelihood(line.strip()) for line in open(sys.argv[3], encoding="utf-8")]
tokens = sum(n for _, n in terms)
ppl = math.exp(-sum(ll for ll, _ in terms) / tokens)
print(f"PyTorch {ppl:.6f} over {tokens} tokens, rnnkit {ours['perplexity']:.6f} over {ours['tokens']}")
sys.exit(0 if tokens == ours["tokens"] and abs(ppl - ours["perplexity"]) <= 1e-4 * ppl else 1)
EOF
  for start in 春 白日 夜来风雨声; do
    want=$("$RNNKIT" generate -m "$model" -p "$start" --temp 0 -n $((200 - ${#start})) 2>/dev/null | tr -d '\n')
    got=$(gen --model "$model" --start "$start" | tr -d '\n')
    [ -n "$want" ] && [ "$got" = "$want" ] || fail "$cfg: greedy from $start: PyTorch '$got', rnnkit '$want'"
  done
done

# The rules, on the model that learned the corpus: a head after <START> and after every 。 or ！,
# until the heads run out; --lines stops at the Nth line mark; --count repeats the poem.
model=$WORK/rnn_tanh/last.safetensors
gen --model "$model" --acrostic 春白欲 >"$WORK/acrostic" || fail "acrostic"
/usr/bin/python3 - "$WORK/acrostic" <<'EOF' || fail "acrostic heads: $(cat "$WORK/acrostic")"
import re, sys
poem = open(sys.argv[1], encoding="utf-8").read().replace("\n", "")
sentences = [s for s in re.split("(?<=[。！])", poem) if s]
print(sentences)
sys.exit(0 if [s[0] for s in sentences] == list("春白欲")[: len(sentences)] and len(sentences) >= 2 else 1)
EOF
check_lines() {
  local n=$1
  gen --model "$model" --start 春眠 --lines "$n" | tr -d '\n' >"$WORK/lines$n"
  [ "$(grep -o '[，。]' "$WORK/lines$n" | wc -l)" -eq "$n" ] && grep -q '[，。]$' "$WORK/lines$n" ||
    fail "--lines $n: $(cat "$WORK/lines$n")"
}
check_lines 1
check_lines 3
gen --model "$model" --start 春眠 --lines 2 --count 3 >"$WORK/count"
[ "$(grep -c . "$WORK/count")" -eq 3 ] && [ "$(sort -u "$WORK/count" | grep -c .)" -eq 1 ] &&
  [ "$(grep -c '^$' "$WORK/count")" -eq 2 ] || fail "--count 3: $(cat "$WORK/count")"
"$RNNKIT" poems score "$WORK/count" --json | grep -q '"poems":3' || fail "poems score reads 3 poems"

"$RNNKIT" quantize "$model" "$WORK/int8.safetensors" >/dev/null 2>&1 || fail "quantize"
expect_error "an int8 file" "int8" gen --model "$WORK/int8.safetensors" --start 春
expect_error "a character outside the vocabulary" "'龘' not in the vocabulary" gen --model "$model" --start 春龘
expect_error "a missing file" "absent.safetensors" gen --model "$WORK/absent.safetensors" --start 春
finish
