#!/usr/bin/env bash
# bench/compare.sh appends to --log and summarises the lines of this run only: a log that already
# holds another run's lines (other variants, other figures) must not enter the medians, the run
# counts or the choice of PyTorch's best. Stubs stand in for rnnkit_lm_bench (RNNKIT_LM_BENCH) and
# PyTorch's reference (PYTORCH_REF), so nothing is measured (a second in all). Where PyTorch's
# BLAS is OpenBLAS (compare.sh refuses to run PyTorch otherwise), the generate summary must say
# which side is faster. Called as `bash tools_compare_log.sh RNNKIT SOURCE_DIR` (the binary is
# unused).
source "$(dirname "$0")/lib.sh"
compare=$SOURCE_DIR/bench/compare.sh

cat >"$WORK/lm_bench" <<'STUB'
#!/bin/sh
echo "a line that is not JSON"
echo '{"ms_per_step": 2.0, "tokens_per_s": 500.0, "gflops": 1.0, "peak_rss_mb": 10.0, "foreign_cpus": 0.0}'
STUB
cat >"$WORK/ref.py" <<'STUB'
print('{"ms_per_step": 10.0, "tokens_per_s": 100.0, "gflops": 0.2, "peak_rss_mb": 40.0, "foreign_cpus": 0.0}')
STUB
chmod +x "$WORK/lm_bench"
old='"ms_per_step": 1.0, "tokens_per_s": 99999.0, "gflops": 9.0, "peak_rss_mb": 1.0, "foreign_cpus": 0.0'
printf '{"variant": "rnnkit-t1", %s}\n{"variant": "torch-t2c", %s}\n' "$old" "$old" >"$WORK/log.jsonl"

RNNKIT_LM_BENCH=$WORK/lm_bench PYTORCH_REF=$WORK/ref.py bash "$compare" generate --rounds 2 \
  --rnnkit-threads 1 --torch "" --log "$WORK/log.jsonl" >"$WORK/out" 2>"$WORK/err" ||
  fail "compare.sh failed: $(cat "$WORK/err")"
grep -Eq '^rnnkit-t1 +2 +2\.0000 +500\.0 ' "$WORK/out" || fail "not 2 runs at 500 tokens/s: $(cat "$WORK/out")"
! grep -q 'torch-t2c' "$WORK/out" || fail "the old torch-t2c line entered the summary: $(cat "$WORK/out")"
[ "$(wc -l <"$WORK/log.jsonl")" = 4 ] || fail "the log does not hold the 2 old and 2 new lines"

if RNNKIT_LM_BENCH=$WORK/lm_bench PYTORCH_REF=$WORK/ref.py bash "$compare" generate --rounds 1 \
  --rnnkit-threads 1 --torch t1 --log "$WORK/log2.jsonl" >"$WORK/out" 2>"$WORK/err"; then
  grep -q '^rnnkit-t1 is 5.00x faster per token than torch-t1' "$WORK/out" ||
    fail "the generate summary does not say which is faster: $(cat "$WORK/out")"
elif grep -q "not OpenBLAS" "$WORK/err"; then
  echo "(the generate wording is not checked: PyTorch's BLAS is not OpenBLAS here)"
else
  fail "compare.sh with --torch t1 failed: $(cat "$WORK/err")"
fi
finish
