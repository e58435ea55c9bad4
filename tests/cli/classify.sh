#!/usr/bin/env bash
# `rnnkit classify` end to end on tiny data: generate (deterministic recall task), train,
# predict (arguments, stdin, probabilities), eval (accuracy and confusion matrix), bad input.
# Called as: bash classify.sh RNNKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/lib.sh"
export LC_ALL=C.UTF-8

"$RNNKIT" classify generate --length 6 --count 400 --seed 5 --out "$WORK/recall.tsv" ||
  fail "generate"
[ "$(wc -l <"$WORK/recall.tsv")" = 400 ] || fail "generate --count 400"
awk -F'\t' '{ want = substr($2, 1, 1) == substr($2, 6, 1) ? "yes" : "no";
              if ($1 != want || length($2) != 6) bad++ } END { exit bad > 0 }' "$WORK/recall.tsv" ||
  fail "a generated label disagrees with its text"
"$RNNKIT" classify generate --length 6 --count 400 --seed 5 | cmp -s - "$WORK/recall.tsv" ||
  fail "generate is not deterministic"
"$RNNKIT" classify generate --length 6 --count 400 --seed 6 | cmp -s - "$WORK/recall.tsv" &&
  fail "generate ignores --seed"

if ! "$RNNKIT" classify train --data "$WORK/recall.tsv" --out "$WORK/run" --epochs 2 --threads 1 \
  --hidden 8 --embedding 4 --cell gru --bidirectional >"$WORK/train.log" 2>&1; then
  cat "$WORK/train.log" >&2
  fail "training on the recall task"
  finish
fi
for f in last.safetensors best.safetensors metrics.jsonl; do
  [ -s "$WORK/run/$f" ] || fail "the run directory lacks $f"
done
[ "$(grep -c '"type":"epoch"' "$WORK/run/metrics.jsonl")" = 2 ] || fail "metrics.jsonl: not 2 epochs"
grep -q '"confusion":\[\[' "$WORK/run/metrics.jsonl" || fail "metrics.jsonl has no confusion matrix"
grep '"type":"valid"' "$WORK/run/metrics.jsonl" | grep -q '"valid_loss":[0-9]' ||
  fail "validation records have no valid_loss (plot draws it beside the training loss)"
"$RNNKIT" plot "$WORK/run" --out "$WORK/curves" >/dev/null 2>&1 || fail "plot of a classify run"
grep -q "valid loss" "$WORK/curves.svg" || fail "the loss chart has no validation curve"
grep -q "360 training and 40 held-out" "$WORK/train.log" || fail "not a 90/10 split"
grep -q "confusion matrix" "$WORK/train.log" || fail "training prints no confusion matrix"
header=$(head -c 8192 "$WORK/run/last.safetensors" | tr -d '\0')
for name in embedding.weight rnn.weight_ih_l0_reverse fc.weight rnnkit.classifier_config \
  rnnkit.labels; do
  grep -qF "$name" <<<"$header" || fail "checkpoint header lacks $name"
done

out=$("$RNNKIT" classify predict --model "$WORK/run" AbcdeA AbcdeB)
[ "$(wc -l <<<"$out")" = 2 ] || fail "predict with 2 arguments: $out"
grep -qvxE 'yes|no' <<<"$out" && fail "predict prints something other than a label: $out"
out=$(printf 'AbcdeA\n\nHxyzwH\n' | "$RNNKIT" classify predict --model "$WORK/run" --probabilities)
[ "$(wc -l <<<"$out")" = 2 ] || fail "predict from stdin: $out"
grep -qvE '^(yes|no)	(0\.[5-9][0-9]*|1)$' <<<"$out" && fail "predict --probabilities: $out"
out=$("$RNNKIT" classify eval --model "$WORK/run" --data "$WORK/recall.tsv")
grep -q "on 400 texts" <<<"$out" || fail "eval: $out"
grep -q "confusion matrix" <<<"$out" || fail "eval prints no confusion matrix"

# A budget given on resume replaces the stored one whole: --steps alone drops the stored
# --epochs 1, and no epoch count (this family's default of 10 included) stops the run short.
"$RNNKIT" classify generate --length 6 --count 40 --seed 7 >"$WORK/small.tsv"
"$RNNKIT" classify train --data "$WORK/small.tsv" --out "$WORK/budget" --epochs 1 --batch 8 \
  --threads 1 --hidden 4 --embedding 2 >"$WORK/budget.log" 2>&1 || fail "the one-epoch run"
per_epoch=$(sed -n 's/^steps \([0-9]*\), epochs 1;.*/\1/p' "$WORK/budget.log")
want=$((per_epoch * 11 + 1))
"$RNNKIT" classify train --resume "$WORK/budget" --steps "$want" --threads 1 >"$WORK/budget2.log" 2>&1
grep -q "^steps $want, epochs 11;" "$WORK/budget2.log" ||
  fail "--steps $want alone on resume: $(tail -1 "$WORK/budget2.log") ($per_epoch steps an epoch)"

# Bad input: each a clear error naming the line.
printf 'yes\tAbcA\n\tAbcB\n' >"$WORK/missing.tsv"
expect_error "missing label" "missing.tsv:2: missing label" \
  "$RNNKIT" classify train --data "$WORK/missing.tsv" --out "$WORK/x"
printf 'yes\tAbcA\nno AbcB\n' >"$WORK/notab.tsv"
expect_error "line without a tab" "notab.tsv:2: no tab" \
  "$RNNKIT" classify train --data "$WORK/notab.tsv" --out "$WORK/x"
printf 'yes\tAbcA\nyes\tAbcB\n' >"$WORK/one.tsv"
expect_error "a single label" "a classifier needs two" \
  "$RNNKIT" classify train --data "$WORK/one.tsv" --out "$WORK/x"
expect_error "no data" "--data FILE is required" "$RNNKIT" classify train --out "$WORK/x"
# A label whose one text falls in the held-out part: refused, at some split seed of ten.
{ for i in $(seq 19); do printf 'yes\tAbc%s\n' "$i"; done; printf 'rare\tAbq\n'; } >"$WORK/rare.tsv"
refused=0
for seed in $(seq 10); do
  if ! "$RNNKIT" classify train --data "$WORK/rare.tsv" --valid-fraction 0.5 --split-seed "$seed" \
    --steps 1 --threads 1 --out "$WORK/rare_$seed" >/dev/null 2>"$WORK/rare_$seed.err"; then
    grep -q 'rare.tsv: the label "rare" has no training text: its one text fell in the held-out part' \
      "$WORK/rare_$seed.err" || fail "split seed $seed: $(cat "$WORK/rare_$seed.err")"
    refused=$((refused + 1))
  fi
done
[ "$refused" -gt 0 ] && [ "$refused" -lt 10 ] || fail "a held-out-only label refused at $refused of 10 seeds"
expect_error "--remember-bias on a cell without the gate" "--cell rnn_tanh has neither" \
  "$RNNKIT" classify train --data "$WORK/recall.tsv" --cell rnn_tanh --remember-bias 3 --out "$WORK/x"
expect_error "no examples to generate" "at least 1, got 0" \
  "$RNNKIT" classify generate --count 0 --out "$WORK/none.tsv"
[ -e "$WORK/none.tsv" ] && fail "classify generate --count 0 wrote a file"
# Sizes that would not fit in memory are named, not met by an allocation failure.
expect_error "too many examples" "9223372036854775807 examples of 2 characters are more than" \
  "$RNNKIT" classify generate --count 9223372036854775807 --length 2
expect_error "too long examples" "1 example of 9223372036854775807 characters are more than" \
  "$RNNKIT" classify generate --count 1 --length 9223372036854775807 --task first
expect_error "no run directory" "--out RUN_DIR is required" \
  "$RNNKIT" classify train --data "$WORK/one.tsv"
expect_error "unknown character in an argument" "text 1: 1 character is not in the vocabulary" \
  "$RNNKIT" classify predict --model "$WORK/run" "Ab1A"
out=$(printf '\xEF\xBB\xBFAbcdeA\n' | "$RNNKIT" classify predict --model "$WORK/run")
grep -qxE 'yes|no' <<<"$out" || fail "predict from stdin with a byte order mark: $out"
expect_error "unknown character on stdin" "stdin:2:" \
  sh -c "printf 'AbcA\nAb#A\n' | '$RNNKIT' classify predict --model '$WORK/run'"
printf 'maybe\tAbcA\n' >"$WORK/unknown_label.tsv"
expect_error "eval with an unknown label" 'unknown_label.tsv:1: unknown label "maybe"' \
  "$RNNKIT" classify eval --model "$WORK/run" --data "$WORK/unknown_label.tsv"
"$RNNKIT" classify generate --task first --length 4 --count 50 --seed 1 >"$WORK/first.tsv" ||
  fail "generate --task first"
awk -F'\t' '{ want = substr($2, 1, 1) <= "D" ? "A-D" : "E-H"; if ($1 != want) bad++ }
            END { exit bad > 0 || NR != 50 }' "$WORK/first.tsv" || fail "first-key labels"
expect_error "generate an unknown task" "--task must be recall or first" \
  "$RNNKIT" classify generate --task copy
expect_error "generate with a bad length" "at least 2" \
  "$RNNKIT" classify generate --length 1
finish
