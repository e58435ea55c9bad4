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
# bench/results/forecast-vs-torch-SERIES-DATE.jsonl); the summary at the end gives each side's
# mean ± standard deviation of the test MASE over seeds and the ratio of median training times
# against torch's fastest variant.
set -euo pipefail

usage() { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d'; exit "${1:-0}"; }

[[ $# -ge 1 ]] || usage 2
[[ $1 == -h || $1 == --help ]] && usage 0
series=$1
shift
cells="gru lstm"
seeds="1 2 3 4 5"
torch_variants="t1 t2 t1c t2c"
log=""
extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --cells) cells=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --torch) torch_variants=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) usage 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/stamp.sh"
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
  *) usage 2 ;;
esac
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
mkdir -p "$root/bench/results"
log=${log:-$root/bench/results/forecast-vs-torch-$series-$(date +%Y%m%d-%H%M%S).jsonl}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
about() { printf '"bench": "forecast_vs_torch", "data": "%s"' "$series"; }

for cell in $cells; do
  for seed in $seeds; do
    run=$work/$cell-$seed
    started=$(date +%s.%N)
    "$rnnkit" forecast train "${args[@]}" --cell "$cell" --seed "$seed" --threads 1 --out "$run" \
      > /dev/null 2>&1
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

/usr/bin/python3 - "$log" <<'EOF'
import json, statistics, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
for cell in dict.fromkeys(l["cell"] for l in lines):
    mine = [l for l in lines if l["cell"] == cell]
    def summary(rows):
        mase = [r["series"][0]["mase"] for r in rows]
        spread = statistics.stdev(mase) if len(mase) > 1 else 0.0
        return statistics.mean(mase), spread, statistics.median(r["train_seconds"] for r in rows)
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
