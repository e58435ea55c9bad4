# `train --proj-size` (LSTM with projections, torch.nn.LSTM's proj_size) end to end without
# Python: the checkpoint holds weight_hr_l{k} [P,H] and weight_hh [4H,P] under PyTorch's names
# and proj_size in its config; eval, generate, resume and poem run on it; bad values are refused.
source "$(dirname "$0")/lib.sh"
export LC_ALL=C.UTF-8
for i in $(seq 20); do echo "the quick brown fox jumps over the lazy dog"; done >"$WORK/text.txt"
"$RNNKIT" train --text "$WORK/text.txt" --cell lstm --layers 2 --hidden 8 --proj-size 3 \
  --embedding 5 --batch 2 --bptt 5 --steps 4 --seed 1 --out "$WORK/run" >/dev/null 2>&1 ||
  fail "train --proj-size 3"
# The safetensors header (JSON, after an 8-byte length) names every tensor with its shape.
header=$(head -c 4096 "$WORK/run/last.safetensors" | tr -c '[:print:]' ' ')
shape_of() { grep -o "\"$1\":{[^}]*}" <<<"$header" | sed -E 's/.*"shape":(\[[0-9,]*\]).*/\1/'; }
for expected in rnn.weight_hr_l0=[3,8] rnn.weight_hr_l1=[3,8] rnn.weight_hh_l1=[32,3] \
  rnn.weight_ih_l1=[32,3] rnn.weight_hh_l0=[32,3] fc.weight=[28,3]; do  # V: a-z, space, newline
  [ "$(shape_of "${expected%%=*}")" = "${expected#*=}" ] ||
    fail "${expected%%=*} has shape '$(shape_of "${expected%%=*}")', expected ${expected#*=}"
done
grep -qF '\"proj_size\":3' <<<"$header" || fail "the config lacks proj_size 3"
ppl=$("$RNNKIT" eval -m "$WORK/run" --text "$WORK/text.txt" --json |
  sed -E 's/.*"perplexity":([^,}]+).*/\1/')
[[ "$ppl" =~ ^[0-9]+\.[0-9]+(e[-+]?[0-9]+)?$ ]] || fail "eval of the proj model printed '$ppl'"
out=$("$RNNKIT" generate -m "$WORK/run" -p "the " -n 12 --seed 3 2>/dev/null)
[ "${#out}" -eq 16 ] || fail "generate gave '$out' (expected the prompt and 12 characters)"
"$RNNKIT" train --resume "$WORK/run" --steps 6 >/dev/null 2>&1 || fail "resume of a proj run"

"$RNNKIT" train --poems "$SOURCE_DIR/tests/fixtures/poems/corpus" --out "$WORK/poems" --steps 3 \
  --cell lstm --layers 1 --hidden 16 --proj-size 6 --embedding 8 --batch 4 --seed 1 \
  >/dev/null 2>&1 || fail "train a proj poem model"
lines=$("$RNNKIT" poem -m "$WORK/poems" --start 床前看月光 --seed 1 2>/dev/null | wc -l)
[ "$lines" -eq 2 ] || fail "poem on the proj model gave $lines lines"

expect_error "proj for gru" "proj_size 3 needs the lstm cell, not gru" \
  "$RNNKIT" train --text "$WORK/text.txt" --cell gru --hidden 8 --proj-size 3 --out "$WORK/e1"
expect_error "proj not below hidden" "--proj-size must be in [0, --hidden)" \
  "$RNNKIT" train --text "$WORK/text.txt" --hidden 8 --proj-size 8 --out "$WORK/e2"
finish
