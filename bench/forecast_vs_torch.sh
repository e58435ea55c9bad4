#!/usr/bin/env bash
# rnnkit's forecaster against its PyTorch twin (tools/forecast_torch_twin.py): the same model
# trained the same way on the same windows, per seed; test scores and training time.
#
#   bench/forecast_vs_torch.sh SERIES [--cells "gru lstm"] [--seeds "1 2 3 4 5"]
#                              [--torch "t1 t2 t1c t2c"] [--log FILE] [-- MORE TRAIN OPTIONS]
#
# SERIES: sunspots | co2 | seattle, with the settings of docs/RESULTS.md "Forecasting" (data from
# tools/fetch_series.sh; seattle needs data/series/seattle-weekly.csv made as shown there).
# For each cell and seed: `rnnkit forecast train` with --threads 1 (timed as a whole process:
# reading the CSV, training, a validation and a checkpoint per epoch), `rnnkit forecast eval
# --json`, then each torch variant (t1 / t2: torch.set_num_threads(1 / 2); t1c / t2c: the same
# with OPENBLAS_CORETYPE=Cooperlake), timed over its epochs and validations only. Every result is
# a JSON line stamped with the commit, the date and the host (bench/stamp.sh) in the log (default
# bench/results/forecast-vs-torch-SERIES-DATE.jsonl); the summary at the end, over this run's
# lines only, gives per series and cell each side's mean ± standard deviation of the test MASE
# over seeds and the ratio of median training times against torch's fastest variant. A --data
# among the MORE TRAIN OPTIONS replaces the series' file; --threads is the script's (1).
set -euo pipefail

# usage STATUS: the header above; on stdout for --help, on stderr with a wrong argument.
usage() { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d' >&$((${1:-0} ? 2 : 1)); exit "${1:-0}"; }

[[ $# -ge 1 ]] || usage 2
[[ $1 == -h || $1 == --help ]] && usage 0
series=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/stamp.sh"
cells="gru lstm"
seeds="1 2 3 4 5"
torch_variants="t1 t2 t1c t2c"
log=""
extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --cells) need_value "$@"; cells=$2; shift 2 ;;
    --seeds) need_value "$@"; seeds=$2; shift 2 ;;
    --torch) need_value "$@"; torch_variants=$2; shift 2 ;;
    --log) need_value "$@"; log=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "forecast_vs_torch: unknown argument $1" >&2; usage 2 ;;
  esac
done
[[ -n ${cells// /} ]] || { echo "forecast_vs_torch: --cells is empty" >&2; exit 2; }
[[ -n ${seeds// /} ]] || { echo "forecast_vs_torch: --seeds is empty" >&2; exit 2; }
for seed in $seeds; do need_int "--seeds" "$seed" 0; done
for v in $torch_variants; do
  [[ $v =~ ^t[1-9]c?$ ]] || { echo "forecast_vs_torch: unknown PyTorch variant '$v' (t1 t2 t1c t2c)" >&2; exit 2; }
done

source "$root/bench/require_openblas.sh"
require_openblas forecast_vs_torch.sh "$torch_variants"
rnnkit=${RNNKIT:-$root/build/release/rnnkit}
twin=$root/tools/forecast_torch_twin.py
case $series in
  sunspots) args=(--data "$root/data/series/sunspots.csv" --target SUNACTIVITY --season 11
                  --context 22 --horizon 6 --origin-step 1 --head autoregressive) ;;
  co2) args=(--data "$root/data/series/co2-concentration.csv" --target CO2 --season 12
             --context 36 --horizon 12 --origin-step 3 --head direct) ;;
  seattle) args=(--data "$root/data/series/seattle-weekly.csv" --target temp_max --season 52
                 --context 52 --horizon 8 --origin-step 2 --head autoregressive) ;;
  *) echo "forecast_vs_torch: unknown SERIES '$series' (sunspots, co2 or seattle)" >&2; usage 2 ;;
esac
# A --data among the MORE TRAIN OPTIONS replaces the series' file (rnnkit refuses an option
# given twice).
for ((i = 0; i + 1 < ${#extra[@]}; ++i)); do
  if [[ ${extra[i]} == --data ]]; then
    args[1]=${extra[i + 1]}
    extra=("${extra[@]:0:i}" "${extra[@]:i+2}")
    break
  fi
done
args+=(--loss quantile "${extra[@]}")
# The options `forecast eval` takes as well (the rest are stored in the model file).
eval_args=()
for ((i = 0; i < ${#args[@]}; i += 2)); do
  case ${args[i]} in
    --data | --season | --origin-step | --fill | --valid-fraction | --test-fraction)
      eval_args+=("${args[i]}" "${args[i + 1]}") ;;
  esac
done
[[ -x $rnnkit ]] || { echo "forecast_vs_torch: build $rnnkit first" >&2; exit 1; }
[[ -f ${args[1]} ]] || { echo "forecast_vs_torch: ${args[1]} is missing (tools/fetch_series.sh)" >&2; exit 1; }
[[ -n $log ]] || log=$(results_log "forecast-vs-torch-$series")
[[ -d $(dirname -- "$log") ]] || { echo "forecast_vs_torch: the directory of --log $log does not exist" >&2; exit 2; }
# The summary is over this run's lines only (a reused --log keeps other runs' lines before them).
log_lines_before=0
[[ -f $log ]] && log_lines_before=$(wc -l <"$log")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
about() { printf '"bench": "forecast_vs_torch", "data": "%s"' "$series"; }

for cell in $cells; do
  for seed in $seeds; do
    run=$work/$cell-$seed
    started=$(date +%s.%N)
    "$rnnkit" forecast train "${args[@]}" --cell "$cell" --seed "$seed" --threads 1 --out "$run" \
      >"$run.log" 2>&1 ||
      { cat "$run.log" >&2; echo "forecast_vs_torch: rnnkit forecast train failed ($cell, seed $seed)" >&2; exit 1; }
    wall=$(awk "BEGIN { printf \"%.4f\", $(date +%s.%N) - $started }")
    engine=$(tail -n 2 "$run/metrics.jsonl" | grep '"type":"epoch"' | sed 's/.*"seconds":\([0-9.e-]*\).*/\1/')
    scores=$("$rnnkit" forecast eval --model "$run" "${eval_args[@]}" --json |
      /usr/bin/python3 -c 'import json,sys; f=json.load(sys.stdin); print(json.dumps(f["forecasters"][0]["series"]))')
    echo "{$(about), \"tool\": \"rnnkit\", \"threads\": 1, \"cell\": \"$cell\", \"seed\": $seed, \"train_seconds\": $wall, \"engine_seconds\": $engine, \"series\": $scores}" |
      stamp_lines | tee -a "$log"
    for variant in $torch_variants; do
      coretype=()
      [[ $variant == *c ]] && coretype=(OPENBLAS_CORETYPE=Cooperlake)
      line=$(env "${coretype[@]}" /usr/bin/python3 "$twin" "${args[@]}" --cell "$cell" --seed "$seed" \
        --threads "${variant:1:1}")
      echo "{$(about), \"variant\": \"$variant\", ${line:1}" | stamp_lines | tee -a "$log"
    done
  done
done

/usr/bin/python3 - "$log" "$log_lines_before" <<'EOF'
import json, statistics, sys
lines = [json.loads(l) for l in open(sys.argv[1]).readlines()[int(sys.argv[2]):]]
def summary(rows):
    mase = [r["series"][0]["mase"] for r in rows]
    spread = statistics.stdev(mase) if len(mase) > 1 else 0.0
    return statistics.mean(mase), spread, statistics.median(r["train_seconds"] for r in rows)
for series in dict.fromkeys(l["data"] for l in lines):
    print(f"{series}:")
    for cell in dict.fromkeys(l["cell"] for l in lines if l["data"] == series):
        mine = [l for l in lines if l["data"] == series and l["cell"] == cell]
        ours = summary([l for l in mine if l["tool"] == "rnnkit"])
        print(f"{cell}: rnnkit  MASE {ours[0]:.4f} ± {ours[1]:.4f}, median training {ours[2]:.2f} s")
        variants = {}
        for l in mine:
            if l["tool"] == "torch":
                variants.setdefault(l["variant"], []).append(l)
        best = None
        for name, rows in variants.items():
            s = summary(rows)
            print(f"{cell}: torch {name} MASE {s[0]:.4f} ± {s[1]:.4f}, median training {s[2]:.2f} s")
            best = min(best or (s[2], name), (s[2], name))
        if best:
            print(f"{cell}: torch's fastest ({best[1]}) / rnnkit = {best[0] / ours[2]:.2f}x")
EOF
echo "log: $log"
