#!/usr/bin/env bash
# Memory across growing sequence lengths: RNN vs LSTM vs GRU on the recall task.
#
# For each length T, `rnnkit classify generate --task recall` writes a training file (seed 1) and
# an independent test file (seed 2): a key A-H, T-2 random letters a-z, a query key; the label is
# "yes" when the query equals the first key. Chance is 50%; anything above needs the first
# character remembered across T-1 steps. Every cell gets the same data, hidden size, epochs and
# seed; `classify train` holds out 10% of the training file to pick best.safetensors, and
# `classify eval` measures that model on the test file. Prints a markdown table (and the confusion
# matrices of the longest length) on stdout; logs and models go to $OUT.
#
#   tools/classify_lengths.sh                      # defaults below, ~3 min of one core
#
# Longer texts (LENGTHS="... 200") work but run 20-50x slower per epoch while the gradients that
# reach the first steps are denormal floats (rnnkit does not set flush-to-zero).
#   LENGTHS="10 50" EPOCHS=5 tools/classify_lengths.sh
#   CELLS="lstm gru" TRAIN_ARGS="--remember-bias 3" OUT=runs/classify_rb3 tools/classify_lengths.sh
#
# Environment: RNNKIT (binary), OUT (run folder), LENGTHS, CELLS, COUNT (training texts per
# length), TEST_COUNT, HIDDEN, EMBEDDING, EPOCHS, BATCH, SEED, THREADS, TRAIN_ARGS (more
# `classify train` options, e.g. --remember-bias B).
set -euo pipefail
# usage STATUS: the header above; on stdout for --help, on stderr with a wrong argument.
usage() { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d' >&$((${1:-0} ? 2 : 1)); exit "${1:-0}"; }
case ${1:-} in  # the settings are environment variables, never arguments
  "") ;;
  -h | --help) usage 0 ;;
  *) echo "classify_lengths.sh: unknown argument $1 (the settings are environment variables)" >&2; usage 2 ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RNNKIT="${RNNKIT:-$ROOT/build/release/rnnkit}"
OUT="${OUT:-$ROOT/runs/classify_lengths}"
LENGTHS="${LENGTHS:-10 25 50 100}"
CELLS="${CELLS:-rnn_tanh lstm gru}"
COUNT="${COUNT:-20000}"
TEST_COUNT="${TEST_COUNT:-1000}"
HIDDEN="${HIDDEN:-64}"
EMBEDDING="${EMBEDDING:-16}"
EPOCHS="${EPOCHS:-15}"
BATCH="${BATCH:-32}"
SEED="${SEED:-1}"
THREADS="${THREADS:-1}"
TRAIN_ARGS="${TRAIN_ARGS:-}"

[[ -x "$RNNKIT" ]] || { echo "no rnnkit binary at $RNNKIT (set RNNKIT)" >&2; exit 1; }
mkdir -p "$OUT"
export OMP_NUM_THREADS="$THREADS"   # classify eval has no --threads

# Accuracy in percent from "accuracy 97.30% on 1000 texts".
eval_accuracy() { sed -n 's/^accuracy \([0-9.]*\)% .*/\1/p' "$1"; }
# Best held-out (10% split) accuracy over the epochs, and the first epoch that reached 90%: from
# the "valid" records of metrics.jsonl (the "train" and "epoch" records have no accuracy).
best_epoch_stats() {
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
rows = [r for r in (json.loads(l) for l in open(sys.argv[1]) if l.strip()) if r.get("type") == "valid"]
if not rows:
    sys.exit(f"classify_lengths.sh: {sys.argv[1]} has no validation record")
best = max(r["accuracy"] for r in rows)
first = next((r["epoch"] for r in rows if r["accuracy"] >= 0.9), None)
print(f"{100 * best:.1f} {first if first is not None else '-'}")
PY
}

declare -A ACC BEST FIRST SECS
for T in $LENGTHS; do
  "$RNNKIT" classify generate --task recall --length "$T" --count "$COUNT" --seed 1 \
    --out "$OUT/recall${T}_train.tsv"
  "$RNNKIT" classify generate --task recall --length "$T" --count "$TEST_COUNT" --seed 2 \
    --out "$OUT/recall${T}_test.tsv"
  for cell in $CELLS; do
    run="$OUT/${cell}_T${T}"
    echo "training $cell at length $T" >&2
    /usr/bin/time -f "%U %S" -o "$run.time" \
      "$RNNKIT" classify train --data "$OUT/recall${T}_train.tsv" --out "$run" --cell "$cell" \
      --hidden "$HIDDEN" --embedding "$EMBEDDING" --epochs "$EPOCHS" --batch "$BATCH" \
      --seed "$SEED" --threads "$THREADS" $TRAIN_ARGS > "$run.train.log"
    "$RNNKIT" classify eval --model "$run" --data "$OUT/recall${T}_test.tsv" > "$run.eval.txt"
    ACC[$cell,$T]="$(eval_accuracy "$run.eval.txt")"
    read -r BEST[$cell,$T] FIRST[$cell,$T] < <(best_epoch_stats "$run/metrics.jsonl")
    SECS[$cell,$T]="$(awk '{printf "%.0f", $1 + $2}' "$run.time")"
  done
done

echo "Recall task, $COUNT training texts per length (10% held out for model selection), test on"
echo "$TEST_COUNT independent texts; hidden $HIDDEN, embedding $EMBEDDING, Adam 1e-3, clip 5,"
echo "batch $BATCH, $EPOCHS epochs, seed $SEED, $THREADS thread(s)${TRAIN_ARGS:+, $TRAIN_ARGS}. Chance = 50%."
echo
header="| length T |"; rule="|---:|"
for cell in $CELLS; do header+=" $cell test acc. |"; rule+="---:|"; done
for cell in $CELLS; do header+=" $cell best held-out / first epoch ≥ 90% |"; rule+="---:|"; done
for cell in $CELLS; do header+=" $cell CPU s |"; rule+="---:|"; done
echo "$header"; echo "$rule"
for T in $LENGTHS; do
  row="| $T |"
  for cell in $CELLS; do row+=" ${ACC[$cell,$T]}% |"; done
  for cell in $CELLS; do row+=" ${BEST[$cell,$T]}% / ${FIRST[$cell,$T]} |"; done
  for cell in $CELLS; do row+=" ${SECS[$cell,$T]} |"; done
  echo "$row"
done
last="${LENGTHS##* }"
for cell in $CELLS; do
  echo
  echo "\`rnnkit classify eval --model $cell at T=$last --data recall${last}_test.tsv\`:"
  echo '```'
  cat "$OUT/${cell}_T${last}.eval.txt"
  echo '```'
done
