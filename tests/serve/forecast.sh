#!/usr/bin/env bash
# POST /v1/forecast of `rnnkit serve --forecast-model` with tiny forecasters trained here on the
# synthetic fixture series: its forecast and quantiles equal `rnnkit forecast predict` on the same
# history and future covariates; a history given as a plain array (one series, no covariates);
# the 400s naming the field (too short a history, non-numbers, NaN, missing or unexpected
# covariates); 404 without a forecaster; a --forecast-model that is none refused at startup;
# GET /v1/model's "forecaster" (what is loaded, or null).
# Called as: bash forecast.sh RNNKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/lib.sh"

csv=$source_dir/tests/fixtures/forecast/synthetic.csv
train_forecaster() {  # train_forecaster RUN_DIR ARGS...
  local run=$1
  shift
  "$rnnkit" forecast train --data "$csv" --target sales --hidden 8 --context 12 --horizon 4 \
    --steps 30 --seed 3 --threads 1 --out "$run" "$@" >"$run.log" 2>&1 ||
    { cat "$run.log" >&2; exit 1; }
}
train_forecaster "$tmp/quantile_run" --covariates promo --loss quantile
train_forecaster "$tmp/plain_run" --cell gru --loss mse --level last
printf 'the quick brown fox. ' >"$tmp/text.txt"
"$rnnkit" train --text "$tmp/text.txt" --out "$tmp/text_run" --steps 1 --hidden 8 --embedding 4 \
  --batch 1 --bptt 8 --seed 1 --threads 1 >"$tmp/text_train.log" 2>&1 ||
  { cat "$tmp/text_train.log" >&2; exit 1; }

# The fixture's columns as JSON arrays, and the promo calendar of the 4 steps after its end.
columns() {
  python3 -c 'import csv, json, sys; rows = list(csv.DictReader(open(sys.argv[1]))); print(json.dumps({c: [float(r[c]) for r in rows] for c in sys.argv[2:]}))' "$csv" "$@"
}
printf 'promo\n1\n0\n0\n1\n' >"$tmp/future.csv"
history_both=$(columns sales promo)
history_sales=$(columns sales | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["sales"]))')

# close NAME CLI_CSV PYTHON_PAIRS: true when every (server value, CLI value) pair agrees to the
# 6 significant digits the command line prints.
close() {
  python3 - "$tmp/$1" "$2" "$3" <<'PYTHON'
import csv, json, sys
j = json.load(open(sys.argv[1]))
cli = list(csv.DictReader(open(sys.argv[2])))
pairs = eval(sys.argv[3])
ok = len(pairs) > 0 and all(abs(a - b) <= 1e-5 * max(1.0, abs(b)) for a, b in pairs)
sys.exit(0 if ok else 1)
PYTHON
}

# --- a quantile model with a covariate -------------------------------------------------------
start_server "$tmp/quantile_server.log" --model "$tmp/text_run" --forecast-model "$tmp/quantile_run"
"$rnnkit" forecast predict --model "$tmp/quantile_run" --data "$csv" --future "$tmp/future.csv" \
  >"$tmp/cli_quantile.csv" 2>/dev/null
request model GET /v1/model
check "GET /v1/model describes the forecaster: file, context, horizon, quantiles, columns" \
  "[ \$(status_of model) = 200 ] && [ \"\$(json model '(lambda f: (f[\"path\"], f[\"config\"][\"context\"], f[\"config\"][\"horizon\"], f[\"config\"][\"quantiles\"], f[\"config\"][\"level\"], f[\"targets\"], f[\"covariates\"], f[\"quantile_keys\"], f[\"parameters\"] > 0))(j[\"forecaster\"])')\" = \"('best.safetensors', 12, 4, [0.1, 0.5, 0.9], 'none', ['sales'], ['promo'], ['p10', 'p50', 'p90'], True)\" ]"
request quantile POST /v1/forecast "{\"history\": $history_both, \"covariates\": {\"promo\": [1, 0, 0, 1]}}"
check "a quantile forecast answers 200 with p10, p50, p90 and the point forecast per target" \
  "[ \$(status_of quantile) = 200 ] && [ \"\$(json quantile 'sorted(j), len(j[\"forecast\"][\"sales\"]), len(j[\"p90\"][\"sales\"])')\" = \"(['forecast', 'p10', 'p50', 'p90'], 4, 4)\" ]"
check "the quantiles equal rnnkit forecast predict's" \
  "close quantile '$tmp/cli_quantile.csv' '[(j[\"p\" + q][\"sales\"][i], float(cli[i][\"sales_p\" + q])) for q in (\"10\", \"50\", \"90\") for i in range(4)]'"
check "the point forecast is the median" \
  "[ \"\$(json quantile 'j[\"forecast\"] == j[\"p50\"]')\" = True ]"
check "the forecast is in the series' units (sales are about 10 to 20)" \
  "[ \"\$(json quantile 'all(5 < v < 30 for v in j[\"forecast\"][\"sales\"])')\" = True ]"
request other_promo POST /v1/forecast "{\"history\": $history_both, \"covariates\": {\"promo\": [0, 1, 1, 0]}}"
check "the future covariates change the forecast" \
  "[ \"\$(json quantile 'j[\"forecast\"]')\" != \"\$(json other_promo 'j[\"forecast\"]')\" ]"

expect_error() {  # expect_error NAME STATUS FIELD FRAGMENT BODY
  request "$1" POST /v1/forecast "$5"
  check "$1: $2 naming field $3" \
    "[ \$(status_of $1) = $2 ] && [ \"\$(json $1 'j[\"field\"]')\" = '$3' ] && grep -q '$4' '$tmp/$1'"
}
# with_promo HISTORY: a request body with the history and a valid promo calendar.
with_promo() { printf '{"history": %s, "covariates": {"promo": [1, 0, 0, 1]}}' "$1"; }
# with_cell SERIES INDEX JSON_VALUE: the fixture's history with one cell replaced.
with_cell() {
  python3 -c 'import json, sys; h = json.loads(sys.argv[1]); h[sys.argv[2]][int(sys.argv[3])] = json.loads(sys.argv[4]); print(json.dumps(h))' \
    "$history_both" "$@"
}
expect_error no_history 400 history "is required" '{"covariates": {"promo": [1, 0, 0, 1]}}'
expect_error short_history 400 history.sales "its context" \
  "$(with_promo '{"sales": [1, 2, 3], "promo": [0, 0, 0]}')"
expect_error missing_series 400 history.promo "is missing" "$(with_promo "{\"sales\": $history_sales}")"
expect_error array_for_two 400 history "sales, promo" "$(with_promo "$history_sales")"
expect_error no_covariates 400 covariates "is required" "{\"history\": $history_both}"
expect_error short_covariates 400 covariates.promo "forecasts 4 steps" \
  "{\"history\": $history_both, \"covariates\": {\"promo\": [1, 0]}}"
expect_error nan 400 history.sales 'element 30 is \\"NaN\\", not a number' \
  "$(with_promo "$(with_cell sales 30 '"NaN"')")"
expect_error null 400 history.promo "element 5 is null" "$(with_promo "$(with_cell promo 5 null)")"
expect_error nested 400 history.promo "element 5 is a JSON array, not a number" \
  "$(with_promo "$(with_cell promo 5 '[[1]]')")"
expect_error huge 400 covariates.promo "beyond the range" \
  "{\"history\": $history_both, \"covariates\": {\"promo\": [1, 0, 1e300, 1]}}"
expect_error unknown 400 horizon "unknown field" \
  "{\"history\": $history_both, \"covariates\": {\"promo\": [1, 0, 0, 1]}, \"horizon\": 4}"
request bare_nan POST /v1/forecast '{"history": [1, NaN]}'
check "a bare NaN is not JSON: 400" "[ \$(status_of bare_nan) = 400 ] && grep -q 'not valid JSON' '$tmp/bare_nan'"
stop_server "$server_pid"

# --- a point model without covariates: the history may be a plain array ----------------------
start_server "$tmp/plain_server.log" --model "$tmp/text_run" --forecast-model "$tmp/plain_run"
request plain_model GET /v1/model
check "GET /v1/model: a point model with --level last, no covariates, no quantile keys" \
  "[ \"\$(json plain_model '(lambda f: (f[\"config\"][\"cell\"], f[\"config\"][\"level\"], f[\"covariates\"], f[\"quantile_keys\"]))(j[\"forecaster\"])')\" = \"('gru', 'last', [], [])\" ]"
python3 -c 'import csv, sys; w = csv.writer(open(sys.argv[2], "w")); w.writerow(["sales"]); [w.writerow([r["sales"]]) for r in csv.DictReader(open(sys.argv[1]))]' "$csv" "$tmp/sales.csv"
"$rnnkit" forecast predict --model "$tmp/plain_run" --data "$tmp/sales.csv" >"$tmp/cli_plain.csv" 2>/dev/null
request plain POST /v1/forecast "{\"history\": $history_sales}"
check "a point model answers the forecast alone, as an array for an array history" \
  "[ \$(status_of plain) = 200 ] && [ \"\$(json plain 'sorted(j), len(j[\"forecast\"])')\" = \"(['forecast'], 4)\" ]"
check "the forecast equals rnnkit forecast predict's" \
  "close plain '$tmp/cli_plain.csv' '[(j[\"forecast\"][i], float(cli[i][\"sales\"])) for i in range(4)]'"
request plain_named POST /v1/forecast "{\"history\": {\"sales\": $history_sales}}"
check "an object history gives the same forecast by name" \
  "[ \"\$(json plain 'j[\"forecast\"]')\" = \"\$(json plain_named 'j[\"forecast\"][\"sales\"]')\" ]"
expect_error unneeded_covariates 400 covariates "reads no covariates" \
  "{\"history\": $history_sales, \"covariates\": [1, 0, 0, 1]}"
expect_error string_history 400 history "array of numbers" '{"history": "1, 2, 3"}'
stop_server "$server_pid"

# --- no forecaster --------------------------------------------------------------------------
start_server "$tmp/text_server.log" --model "$tmp/text_run"
request none_model GET /v1/model
check "without --forecast-model GET /v1/model says forecaster null" \
  "[ \"\$(json none_model 'j[\"forecaster\"]')\" = None ]"
request none POST /v1/forecast "{\"history\": $history_sales}"
check "without --forecast-model: 404 saying how to serve one" \
  "[ \$(status_of none) = 404 ] && grep -q -- '--forecast-model' '$tmp/none'"
stop_server "$server_pid"

"$rnnkit" serve --model "$tmp/text_run" --forecast-model "$tmp/text_run" --port 0 >"$tmp/not_forecaster.log" 2>&1
not_forecaster_status=$?
check "a language model as --forecast-model: exit 1 naming the option" \
  "[ $not_forecaster_status = 1 ] && grep -q '^error: --forecast-model: ' '$tmp/not_forecaster.log'"

finish
