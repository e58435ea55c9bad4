# rnnkit forecast train | eval | predict | plot on the committed synthetic monthly series
# (tools/make_forecast_fixture.py): the baselines' known answers, the training's validation
# against the rolling-origin evaluation, exact resume, the options' effects and bad input.
source "$(dirname "$0")/lib.sh"
csv="$SOURCE_DIR/tests/fixtures/forecast/synthetic.csv"

losses() { grep '"type":"train"' "$1/metrics.jsonl" | sed -E 's/.*"step":([0-9]+).*"train_loss":([^,}]+).*/\1 \2/'; }
tensor_bytes() { tail -c +$(($(od -An -t u8 -N8 "$1") + 9)) "$1"; }
# The pooled MAE of one forecaster in `forecast eval --json` output.
json_mae() { tr -d ' \n' | sed -E "s/.*\"forecaster\":\"$1\",\"series\":\[\{[^}]*\"mae\":([^,]+),.*/\1/"; }
close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; exit !(d < 1e-5 && d > -1e-5) }'; }

tiny=(--data "$csv" --target sales --covariates promo --hidden 8 --threads 1 --seed 3 --log-every 1)
"$RNNKIT" forecast train "${tiny[@]}" --loss quantile --epochs 3 --out "$WORK/q" >"$WORK/q.log" 2>&1 ||
  fail "quantile run: $(tail -3 "$WORK/q.log")"
grep -q '"mae":.*"type":"valid"' "$WORK/q/metrics.jsonl" || fail "no validation MAE in metrics.jsonl"
grep '"type":"valid"' "$WORK/q/metrics.jsonl" | grep -q '"valid_loss":[0-9]' ||
  fail "validation records have no valid_loss (plot draws it beside the training loss)"

# eval: the four forecasters; the baselines equal the fixture's independent answers
# (synthetic_expected.json: origins 216, 222, 228, 234).
"$RNNKIT" forecast eval -m "$WORK/q" --data "$csv" --origin-step 6 >"$WORK/eval.txt" 2>&1 || fail "eval: $(cat "$WORK/eval.txt")"
grep -q '^4 origins from step 216, 24 forecast values' "$WORK/eval.txt" || fail "eval origins: $(head -1 "$WORK/eval.txt")"
for f in model naive seasonal_naive drift; do
  grep -qE "^sales +$f " "$WORK/eval.txt" || fail "eval table lacks $f"
done
grep -qE '^sales +naive +3.4226 +3.6105 +23.699 +3.9053 +- *$' "$WORK/eval.txt" || fail "naive row: $(grep ' naive' "$WORK/eval.txt")"
grep -qE '^sales +seasonal_naive +0.5820 +0.7694 +4.287 +0.6641 ' "$WORK/eval.txt" || fail "seasonal naive row"
grep -qE '^sales +drift +3.4499 +3.6371 +23.862 +3.9364 ' "$WORK/eval.txt" || fail "drift row"
model_row=$(grep -E '^sales +model ' "$WORK/eval.txt")
awk '{ exit !($6 + 0 == $6 && $6 > 0 && $6 < 1e6 && $7 >= 0 && $7 <= 1) }' <<<"$model_row" ||
  fail "the model's MASE is not finite or its coverage not in [0, 1]: $model_row"
# --season 1 makes seasonal naive the naive forecast; --origin-step 1 scores 19 origins.
"$RNNKIT" forecast eval -m "$WORK/q" --data "$csv" --season 1 | grep -qE '^sales +seasonal_naive +2.6650 ' ||
  fail "--season 1 does not make seasonal naive naive"
"$RNNKIT" forecast eval -m "$WORK/q" --data "$csv" | grep -q '^19 origins from step 216' || fail "--origin-step 1"
"$RNNKIT" forecast eval -m "$WORK/q" --data "$csv" --test-fraction 0.2 --origin-step 6 | grep -q '^8 origins from step 192' ||
  fail "--test-fraction 0.2"
n=$("$RNNKIT" forecast eval -m "$WORK/q" --data "$csv" --json | grep -c '"forecaster":')
[ "$n" = 4 ] || fail "eval --json lists $n forecasters"

# The training's validation MAE (batched predict() on the validation windows) equals the rolling
# evaluation of last.safetensors on the same 19 origins (steps 192..215 as a test part).
head -217 "$csv" >"$WORK/first216.csv"
valid_mae=$(grep '"type":"valid"' "$WORK/q/metrics.jsonl" | tail -1 | sed -E 's/.*"mae":([^,}]+).*/\1/')
eval_mae=$("$RNNKIT" forecast eval -m "$WORK/q/last.safetensors" --data "$WORK/first216.csv" \
  --valid-fraction 0 --test-fraction 0.1111 --json | json_mae model)
close "$valid_mae" "$eval_mae" || fail "validation MAE $valid_mae differs from the evaluation's $eval_mae"

# predict: H rows after the last step, p10/p50/p90, covariates from --future.
printf 'promo\n0\n1\n0\n0\n1\n0\n' >"$WORK/future.csv"
"$RNNKIT" forecast predict -m "$WORK/q" --data "$csv" --future "$WORK/future.csv" >"$WORK/next.csv" 2>&1 || fail "predict: $(cat "$WORK/next.csv")"
[ "$(head -1 "$WORK/next.csv")" = "step,sales_p10,sales_p50,sales_p90" ] || fail "predict header: $(head -1 "$WORK/next.csv")"
[ "$(tail -n +2 "$WORK/next.csv" | cut -d, -f1 | tr '\n' ' ')" = "240 241 242 243 244 245 " ] || fail "predict steps: $(cat "$WORK/next.csv")"
tail -n +2 "$WORK/next.csv" | awk -F, '{ for (i = 2; i <= 4; ++i) if ($i + 0 != $i) exit 1 } END { exit NR != 6 }' ||
  fail "predict values are not numbers"
# Quantiles that are no whole percents keep their exact names (0.025 is p2.5, not p3).
"$RNNKIT" forecast train --data "$csv" --target sales --hidden 4 --epochs 1 --threads 1 --loss quantile \
  --quantiles 0.025,0.5,0.975 --out "$WORK/q95" >/dev/null 2>&1 || fail "the 95% interval run"
[ "$("$RNNKIT" forecast predict -m "$WORK/q95" --data "$csv" | head -1)" = "step,sales_p2.5,sales_p50,sales_p97.5" ] ||
  fail "quantile names: $("$RNNKIT" forecast predict -m "$WORK/q95" --data "$csv" | head -1)"
# A series far from 0 prints to the model's resolution: sales + 1e9 at 7 digits were all 1e+09.
awk -F, 'NR == 1 { print "month,level"; next } { printf "%s,%.4f\n", $1, $2 + 1e9 }' "$csv" >"$WORK/level.csv"
"$RNNKIT" forecast train --data "$WORK/level.csv" --target level --hidden 4 --epochs 1 --threads 1 \
  --out "$WORK/level" >/dev/null 2>&1 || fail "a series far from 0 trains"
"$RNNKIT" forecast predict -m "$WORK/level" --data "$WORK/level.csv" >"$WORK/level_next.csv" ||
  fail "predict of a series far from 0"
tail -n +2 "$WORK/level_next.csv" | cut -d, -f2 | awk '
  { if (!($1 > 1e9 - 1000 && $1 < 1e9 + 1000)) bad = 1; seen[$1] = 1 }
  END { n = 0; for (v in seen) n++; exit !(NR == 6 && !bad && n > 1) }' ||
  fail "the forecasts of a series far from 0 print as one number: $(cat "$WORK/level_next.csv")"
# eval's table keeps its columns under a series name longer than the column's 10 characters.
sed '1s/level/revenue_of_the_north/' "$WORK/level.csv" >"$WORK/long_name.csv"
"$RNNKIT" forecast train --data "$WORK/long_name.csv" --target revenue_of_the_north --hidden 4 \
  --epochs 1 --threads 1 --out "$WORK/long_name" >/dev/null 2>&1 || fail "a long series name trains"
"$RNNKIT" forecast eval -m "$WORK/long_name" --data "$WORK/long_name.csv" | tail -n +2 |
  awk '{ n[length($0)]++ } END { k = 0; for (w in n) k++; exit !(k == 1 && NR == 5) }' ||
  fail "eval's columns moved under a long series name: $("$RNNKIT" forecast eval -m "$WORK/long_name" --data "$WORK/long_name.csv")"
expect_error "predict without --future" "--future FILE must give them for the 6 forecast steps" \
  "$RNNKIT" forecast predict -m "$WORK/q" --data "$csv"
head -4 "$WORK/future.csv" >"$WORK/short_future.csv"
expect_error "a short --future" "--future has 3 rows of \"promo\", the horizon is 6" \
  "$RNNKIT" forecast predict -m "$WORK/q" --data "$csv" --future "$WORK/short_future.csv"

# --horizon, --head, --loss mse, no covariates: a point forecast of 3 steps.
"$RNNKIT" forecast train --data "$csv" --target sales --hidden 8 --horizon 3 --context 12 --head autoregressive \
  --epochs 1 --valid-fraction 0 --threads 1 --out "$WORK/ar" >/dev/null 2>&1 || fail "autoregressive run"
grep -q '"type":"valid"' "$WORK/ar/metrics.jsonl" && fail "--valid-fraction 0 still validates"
grep -aq 'head\\":\\"autoregressive' "$WORK/ar/last.safetensors" || fail "--head autoregressive not in the model file"
"$RNNKIT" forecast predict -m "$WORK/ar" --data "$csv" >"$WORK/ar.csv" 2>&1 || fail "predict ar: $(cat "$WORK/ar.csv")"
[ "$(head -1 "$WORK/ar.csv")" = "step,sales" ] && [ "$(wc -l <"$WORK/ar.csv")" = 4 ] || fail "ar predict: $(cat "$WORK/ar.csv")"

# plot: PNG and SVG with the interval band.
"$RNNKIT" forecast plot -m "$WORK/q" --data "$csv" --origin 216 -o "$WORK/f.png" -o "$WORK/f.svg" || fail "plot"
[ "$(head -c 8 "$WORK/f.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] || fail "no PNG written"
grep -q 'sales p10-p90 (band)' "$WORK/f.svg" || fail "the SVG lacks the band"
expect_error "plot origin too late" "--origin 238 must be in [24, 234]" \
  "$RNNKIT" forecast plot -m "$WORK/q" --data "$csv" --origin 238 -o "$WORK/late.png"
expect_error "plot origin negative" "--origin -5 must be in [24, 234]" \
  "$RNNKIT" forecast plot -m "$WORK/q" --data "$csv" --origin -5 -o "$WORK/early.png"

# A run stopped mid-epoch (--steps) and resumed ends with the weights and losses of the
# uninterrupted run (dropout between two layers draws from the run's Rng).
run=("${tiny[@]}" --layers 2 --dropout 0.2 --epochs 3)
"$RNNKIT" forecast train "${run[@]}" --out "$WORK/full" >/dev/null 2>&1 || fail "full run"
"$RNNKIT" forecast train "${run[@]}" --steps 16 --out "$WORK/part" >/dev/null 2>&1 || fail "first part"
"$RNNKIT" forecast train --resume "$WORK/part" --epochs 3 >/dev/null 2>&1 || fail "resumed part"
cmp -s <(tensor_bytes "$WORK/full/last.safetensors") <(tensor_bytes "$WORK/part/last.safetensors") ||
  fail "resumed weights differ from the uninterrupted run"
diff <(losses "$WORK/full") <(losses "$WORK/part") >/dev/null || fail "resumed losses differ"
[ "$(losses "$WORK/full" | wc -l)" = 33 ] || fail "the full run has $(losses "$WORK/full" | wc -l) steps, not 3 x 11"
expect_error "resume a forecast run as seq2seq" "holds a forecast run" \
  "$RNNKIT" seq2seq train --resume "$WORK/part"

# Bad input.
bad() { expect_error "$1" "$2" "$RNNKIT" forecast train --out "$WORK/bad" --epochs 1 "${@:3}"; }
bad "no target" "--target COLUMN is required" --data "$csv"
bad "unknown column" 'no column "sale" in the header (month, sales, promo)' --data "$csv" --target sale
bad "bad quantile" '--quantiles: "abc" is not a number between 0 and 1' --data "$csv" --target sales --loss quantile --quantiles 0.1,abc
bad "quantiles without the quantile loss" "--loss mse forecasts one value a step" --data "$csv" --target sales --quantiles 0.2,0.8
bad "trailing comma" 'an empty entry in the list "sales,"' --data "$csv" --target sales,
bad "bad head" '--head must be direct or autoregressive, not "sideways"' --data "$csv" --target sales --head sideways
bad "context too long" "shorter than context + horizon" --data "$csv" --target sales --context 200
bad "target as covariate" '--covariates: "sales" is a target already' --data "$csv" --target sales --covariates sales
bad "a target twice" 'the column "sales" is named twice' --data "$csv" --target sales,sales
bad "a covariate twice" '--covariates: "promo" is named twice' --data "$csv" --target sales --covariates promo,promo
bad "quantiles without the median" "--quantiles must include 0.5" --data "$csv" --target sales --loss quantile --quantiles 0.1,0.9
bad "unordered quantiles" "quantiles must be strictly increasing" --data "$csv" --target sales --loss quantile --quantiles 0.9,0.1
# The model keeps float32 quantiles: one that rounds to 1 or onto its neighbour is refused, saying so.
bad "a quantile that rounds to 1" "--quantiles: 0.99999999999 rounds to 1 in float32" --data "$csv" --target sales --loss quantile --quantiles 0.5,0.99999999999
bad "quantiles one float apart" "0.50000001 is the same float32 number as the quantile before it" --data "$csv" --target sales --loss quantile --quantiles 0.1,0.5,0.50000001
"$RNNKIT" forecast train --data "$csv" --target sales --loss quantile --quantiles " 0.1, 0.5 ,0.9 " \
  --hidden 4 --epochs 1 --threads 1 --out "$WORK/spaced" >/dev/null 2>&1 || fail "quantiles with spaces around them"
bad "no data" "--data FILE is required" --target sales
expect_error "no run directory" "--out RUN_DIR is required" \
  "$RNNKIT" forecast train --data "$csv" --target sales
sed '5s/,1[0-9.]*,/,,/' "$csv" >"$WORK/gap.csv"
grep -q ',,' "$WORK/gap.csv" || fail "the gap was not made"
bad "a missing cell" 'line 5, column "sales": missing value' --data "$WORK/gap.csv" --target sales
"$RNNKIT" forecast train --data "$WORK/gap.csv" --fill linear --target sales --hidden 4 --epochs 1 --threads 1 \
  --out "$WORK/filled" >/dev/null 2>&1 || fail "--fill linear does not fill the gap"
expect_error "eval a language model" "$SOURCE_DIR/tests/fixtures/lm_gru_l1_uni_emb.safetensors" \
  "$RNNKIT" forecast eval -m "$SOURCE_DIR/tests/fixtures/lm_gru_l1_uni_emb.safetensors" --data "$csv"
# A training part that repeats itself exactly has no MASE (its seasonal naive error is 0): the run
# trains on and logs the other scores; eval leaves MASE out. A --season longer than the training
# part is refused before the first epoch.
(echo a; for _ in $(seq 10); do seq 12; done) >"$WORK/periodic.csv"
"$RNNKIT" forecast train --data "$WORK/periodic.csv" --target a --context 4 --horizon 2 --hidden 4 --epochs 2 \
  --threads 1 --out "$WORK/periodic" >"$WORK/periodic.log" 2>&1 || fail "periodic series: $(tail -2 "$WORK/periodic.log")"
[ -f "$WORK/periodic/best.safetensors" ] || fail "periodic series: no model written"
grep -q 'MASE undefined' "$WORK/periodic.log" || fail "periodic series: the log does not say MASE is undefined"
grep '"type":"valid"' "$WORK/periodic/metrics.jsonl" | grep -q '"mae"' || fail "periodic series: no validation MAE"
! grep -q '"mase"' "$WORK/periodic/metrics.jsonl" || fail "periodic series: a MASE was logged"
"$RNNKIT" forecast eval -m "$WORK/periodic" --data "$WORK/periodic.csv" --json >"$WORK/periodic.json" 2>&1 ||
  fail "periodic eval: $(tail -2 "$WORK/periodic.json")"
grep -q '"mase": null' "$WORK/periodic.json" || fail "periodic eval: MASE not left out"
printf 'date,a\n2020-01,1\n2020-02,2\n' >"$WORK/dated_future.csv"
expect_error "--future for a model without covariates" "the model reads no covariates; --future is not needed" \
  "$RNNKIT" forecast predict -m "$WORK/periodic" --data "$WORK/periodic.csv" --future "$WORK/dated_future.csv"
# eval scores the test part the run held out, with its season, unless told otherwise.
"$RNNKIT" forecast train --data "$csv" --target sales --hidden 4 --epochs 1 --threads 1 --test-fraction 0.2 \
  --season 6 --origin-step 3 --out "$WORK/split" >/dev/null 2>&1 || fail "the run with its own split"
"$RNNKIT" forecast eval -m "$WORK/split" --data "$csv" >"$WORK/split_eval.txt" 2>&1 || fail "eval of the run with its own split"
grep -q '^15 origins from step 192' "$WORK/split_eval.txt" || fail "eval ignored the run's split: $(head -1 "$WORK/split_eval.txt")"
"$RNNKIT" forecast eval -m "$WORK/split" --data "$csv" --test-fraction 0.2 --season 6 --origin-step 3 >"$WORK/split_given.txt" 2>&1
cmp -s "$WORK/split_eval.txt" "$WORK/split_given.txt" || fail "the run's season differs from --season 6"
"$RNNKIT" forecast eval -m "$WORK/split" --data "$csv" --test-fraction 0.1 | grep -q '^7 origins from step 216' ||
  fail "eval's own --test-fraction did not replace the run's"
expect_error "season longer than the training part" "--season 400 must be shorter than the training part" \
  "$RNNKIT" forecast train "${tiny[@]}" --season 400 --out "$WORK/season"
[ ! -e "$WORK/season/metrics.jsonl" ] || ! grep -q '"type":"epoch"' "$WORK/season/metrics.jsonl" ||
  fail "the season was refused after training"

# An epoch whose every batch was skipped (--skip-nonfinite) has no training loss, not one of 0.
"$RNNKIT" forecast train "${tiny[@]}" --epochs 2 --optimizer sgd --lr 1e30 --skip-nonfinite \
  --out "$WORK/skipped" >"$WORK/skipped.log" 2>&1 || fail "skipped run: $(tail -2 "$WORK/skipped.log")"
grep '"type":"epoch"' "$WORK/skipped/metrics.jsonl" | grep -q '"train_loss":null' ||
  fail "an epoch of skipped batches logged a loss: $(grep '"type":"epoch"' "$WORK/skipped/metrics.jsonl")"
grep -q 'no batch trained (all skipped)' "$WORK/skipped.log" || fail "the log does not say no batch trained"
# The closing line names best.safetensors only where a validation wrote one.
"$RNNKIT" forecast train "${tiny[@]}" --epochs 1 --valid-fraction 0 --out "$WORK/novalid" >"$WORK/novalid.log" 2>&1 ||
  fail "run without validation: $(tail -2 "$WORK/novalid.log")"
[ ! -e "$WORK/novalid/best.safetensors" ] && ! grep -q 'best:' "$WORK/novalid.log" ||
  fail "a run without validation names a best model: $(tail -1 "$WORK/novalid.log")"
grep -q "(best: $WORK/q/best.safetensors)" "$WORK/q.log" || fail "the closing line lacks the best model: $(tail -1 "$WORK/q.log")"
# A resumed run reads its files again: changed data are refused, not trained on as the same.
cp "$csv" "$WORK/changing.csv"
"$RNNKIT" forecast train --data "$WORK/changing.csv" --target sales --hidden 4 --steps 3 --threads 1 \
  --out "$WORK/changing" >/dev/null 2>&1 || fail "the run on a copy of the data"
sed -i '5s/,1[0-9.]*,/,99,/' "$WORK/changing.csv"
expect_error "resume on changed data" "differ from those the run started with" \
  "$RNNKIT" forecast train --resume "$WORK/changing" --steps 6
# A forecaster given to a language-model command, and a CSV given as a model, say what they are.
expect_error "generate with a forecaster" "is a forecasting model, not a language model" \
  "$RNNKIT" generate -m "$WORK/q" --prompt x
expect_error "a CSV as a model" "not a safetensors file" "$RNNKIT" forecast predict -m "$csv" --data "$csv"
# Resumed from another directory, a run whose options hold relative paths says where it started.
mkdir -p "$WORK/elsewhere"
cp "$csv" "$WORK/elsewhere/series.csv"
(cd "$WORK/elsewhere" && "$RNNKIT" forecast train --data series.csv --target sales --hidden 4 --steps 3 \
  --threads 1 --out run >/dev/null 2>&1) || fail "the run with a relative --data"
expect_error "resume from another directory" "it was started in $WORK/elsewhere" \
  sh -c "cd '$WORK' && exec '$RNNKIT' forecast train --resume elsewhere/run --steps 6"
(cd "$WORK/elsewhere" && "$RNNKIT" forecast train --resume run --steps 6 >/dev/null 2>&1) ||
  fail "the resume from the run's own directory"
finish
