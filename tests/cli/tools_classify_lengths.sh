#!/usr/bin/env bash
# tools/classify_lengths.sh on the smallest run (one length, one cell, 300 texts, 2 epochs; under
# a second): its table must come out, the best held-out accuracy read from the "valid" records of
# metrics.jsonl (the "train" and "epoch" records beside them have no accuracy: a KeyError before);
# --help prints the usage without a run, an argument is refused. Called as
# `bash tools_classify_lengths.sh RNNKIT SOURCE_DIR`.
source "$(dirname "$0")/lib.sh"
script=$SOURCE_DIR/tools/classify_lengths.sh

RNNKIT=$RNNKIT OUT=$WORK/out LENGTHS=5 CELLS=gru COUNT=300 TEST_COUNT=50 EPOCHS=2 HIDDEN=4 \
  EMBEDDING=4 bash "$script" >"$WORK/table" 2>"$WORK/err" || fail "the run failed: $(tail -n 5 "$WORK/err")"
best=$(/usr/bin/python3 - "$WORK/out/gru_T5/metrics.jsonl" <<'PY'
import json, sys
print(f"{100 * max(r['accuracy'] for r in map(json.loads, open(sys.argv[1])) if r.get('type') == 'valid'):.1f}")
PY
)
grep -Eq "^\| 5 \| [0-9.]+% \| $best% / (-|[0-9]+) \| [0-9]+ \|$" "$WORK/table" ||
  fail "no table row with the best held-out accuracy $best%: $(cat "$WORK/table")"

OUT=$WORK/help_out bash "$script" --help >"$WORK/help" 2>&1 || fail "--help failed"
grep -q "Memory across growing sequence lengths" "$WORK/help" || fail "--help printed no usage"
[ ! -e "$WORK/help_out" ] || fail "--help started a run"
OUT=$WORK/arg_out expect_error "an argument" "unknown argument LENGTHS=5" bash "$script" LENGTHS=5
[ ! -e "$WORK/arg_out" ] || fail "an argument started a run"
finish
