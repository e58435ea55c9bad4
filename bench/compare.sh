#!/usr/bin/env bash
# Runs rnnkit's end-to-end benchmark and the PyTorch reference alternately on one config and
# prints the ratios of their medians.
#
#   bench/compare.sh CONFIG [--rounds N] [--bf16 | --int8] [--rnnkit-threads "1 0"] [--torch "t1 t2 t1c t2c"]
#                           [--log FILE] [-- ARGS for both benchmarks, e.g. --steps 3]
#
# CONFIG: poetry | timemachine-rnn | timemachine-lstm | timemachine-gru | ptb-medium | generate | eval
# Each round runs every rnnkit variant (one per thread count; 0 is rnnkit's default, the cores
# other processes leave free) and every PyTorch variant once, in that order, so slow phases of a
# shared machine hit both sides alike. PyTorch must run on OpenBLAS (apt-get install
# libopenblas0-pthread; with Debian's reference libblas3 it is about 6x slower). Variants:
#   t1 / t2    torch.set_num_threads(1 / 2) with the environment as set
#   t1c / t2c  the same with OPENBLAS_CORETYPE=Cooperlake: OpenBLAS 0.3.21 takes this Zen 5 CPU
#              for a Prescott (SSE3 kernels) unless told, and Cooperlake runs its AVX-512 kernels
# The ratio uses PyTorch's best variant (highest median throughput). Every JSON line is appended
# to the log (default bench/results/compare-CONFIG[-bf16|-int8]-DATE.jsonl; the summary covers
# this run's lines only, whatever an existing --log held before), stamped with the
# commit, the date and the host (bench/stamp.sh); foreign_cpus in it is the load that other
# processes put on the machine during the run.
# Environment: RNNKIT_LM_BENCH (default build/release/bench/rnnkit_lm_bench), PYTORCH_REF
# (default ../shared/bench/pytorch_ref.py), both relative to the repository root.
set -euo pipefail

# usage STATUS: the header above; on stdout for --help, on stderr with a wrong argument.
usage() { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d' >&$((${1:-0} ? 2 : 1)); exit "${1:-0}"; }

[[ $# -ge 1 ]] || usage 2
[[ $1 == -h || $1 == --help ]] && usage 0
config=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/stamp.sh"
rounds=5
precision=()  # rnnkit's: --bf16 products, or --int8 weights for the batch-1 products
rnnkit_threads="1 0"
torch_variants="t1 t2 t1c t2c"
log=""
extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) need_value "$@"; rounds=$2; shift 2 ;;
    --bf16 | --int8) precision=("$1"); shift ;;
    --rnnkit-threads) need_value "$@"; rnnkit_threads=$2; shift 2 ;;
    --torch) need_value "$@"; torch_variants=$2; shift 2 ;;
    --log) need_value "$@"; log=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "compare.sh: unknown argument $1" >&2; usage 2 ;;
  esac
done
need_int --rounds "$rounds" 1
for t in $rnnkit_threads; do need_int "--rnnkit-threads" "$t" 0; done
for v in $torch_variants; do
  [[ $v =~ ^t[1-9]c?$ ]] || { echo "compare.sh: unknown PyTorch variant '$v' (t1 t2 t1c t2c)" >&2; exit 2; }
done
[[ -n ${rnnkit_threads// /}${torch_variants// /} ]] ||
  { echo "compare.sh: --rnnkit-threads and --torch are both empty: nothing to run" >&2; exit 2; }
[[ -z $log || -d $(dirname -- "$log") ]] ||
  { echo "compare.sh: the directory of --log $log does not exist" >&2; exit 2; }

bench=${RNNKIT_LM_BENCH:-$root/build/release/bench/rnnkit_lm_bench}
ref=${PYTORCH_REF:-$root/../shared/bench/pytorch_ref.py}
[[ -x $bench ]] || { echo "compare.sh: $bench not built (cmake --build build/release)" >&2; exit 1; }
[[ -f $ref ]] || { echo "compare.sh: $ref not found" >&2; exit 1; }
source "$root/bench/require_openblas.sh"
require_openblas compare.sh "$torch_variants"
[[ -n $log ]] || log=$(results_log "compare-$config${precision:+-${precision#--}}")
# The summary is over this run's lines only: a reused --log keeps other runs' lines (other
# settings, other commits) before them.
log_lines_before=0
[[ -f $log ]] && log_lines_before=$(wc -l <"$log")

# Runs one benchmark and appends its JSON line, tagged with the variant, to the log.
run_one() {
  local variant=$1
  shift
  local line
  if ! line=$("$@" | grep '^{' | tail -n 1); then
    echo "compare.sh: $variant failed: $*" >&2
    return 1
  fi
  printf '%s\n' "$line" | /usr/bin/python3 -c '
import json, sys
d = json.loads(sys.stdin.read()); d["variant"] = sys.argv[1]; print(json.dumps(d))' "$variant" |
    stamp_lines >>"$log"
  printf '%s\n' "$line" | /usr/bin/python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
print("  %-14s %10.4f ms/step %12.1f tok/s  foreign %.2f" % (sys.argv[1], d["ms_per_step"], d["tokens_per_s"], d["foreign_cpus"]))' "$variant" >&2
}

for ((round = 1; round <= rounds; ++round)); do
  echo "round $round/$rounds" >&2
  for t in $rnnkit_threads; do
    name=t$t
    [[ $t == 0 ]] && name=auto
    run_one "rnnkit-$name${precision:+-${precision#--}}" "$bench" --config "$config" --threads "$t" \
      "${precision[@]}" "${extra[@]}"
  done
  for v in $torch_variants; do
    threads=${v:1:1}
    if [[ $v == *c ]]; then
      run_one "torch-$v" env OPENBLAS_CORETYPE=Cooperlake /usr/bin/python3 "$ref" --config "$config" \
        --threads "$threads" "${extra[@]}"
    else
      run_one "torch-$v" /usr/bin/python3 "$ref" --config "$config" --threads "$threads" "${extra[@]}"
    fi
  done
done

/usr/bin/python3 - "$log" "$config" "$log_lines_before" <<'EOF'
import json, statistics, sys
log, config, skip = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = {}
for line in open(log).readlines()[skip:]:
    d = json.loads(line)
    runs.setdefault(d["variant"], []).append(d)
def med(rs, k):
    return statistics.median(r[k] for r in rs)
print(f"\n{config}: medians over this run's rounds (log: {log}{f', after its first {skip} lines' if skip else ''})")
print(f"{'variant':16} {'runs':>4} {'ms/step':>12} {'tokens/s':>12} {'GFLOP/s':>9} {'peak RSS MB':>12} {'foreign':>8}")
for v, rs in runs.items():
    print(f"{v:16} {len(rs):4d} {med(rs, 'ms_per_step'):12.4f} {med(rs, 'tokens_per_s'):12.1f} "
          f"{med(rs, 'gflops'):9.1f} {med(rs, 'peak_rss_mb'):12.1f} {med(rs, 'foreign_cpus'):8.2f}")
torch = {v: rs for v, rs in runs.items() if v.startswith("torch")}
ours = {v: rs for v, rs in runs.items() if v.startswith("rnnkit")}
if torch and ours:
    best = max(torch, key=lambda v: med(torch[v], "tokens_per_s"))
    t_tps, t_rss = med(torch[best], "tokens_per_s"), med(torch[best], "peak_rss_mb")
    print(f"PyTorch best: {best}")
    for v, rs in ours.items():
        speed = med(rs, "tokens_per_s") / t_tps
        rss = med(rs, 'peak_rss_mb') / t_rss
        if config == "generate":  # one token a step: the tokens/s ratio is the latency's, inverted
            faster = f"{speed:.2f}x faster" if speed >= 1 else f"{1 / speed:.2f}x slower"
            print(f"{v} is {faster} per token than {best}; peak RSS {v} / {best}: {rss:.3f}")
        else:
            print(f"ratio {v} / {best}: tokens/s {speed:.2f}x, peak RSS {rss:.3f}")
EOF
