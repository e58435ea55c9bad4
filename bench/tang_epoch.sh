#!/usr/bin/env bash
# Times one epoch of `rnnkit train` on the full Tang corpus with the seed configuration and
# records the load other processes put on the machine meanwhile (from /proc/stat).
#
#   bench/tang_epoch.sh [POEMS_DIR] [--log FILE] [extra rnnkit train flags, e.g. --threads 1, --bf16
#                       or --steps 104 for a part of the epoch]
#
# POEMS_DIR defaults to data/tang (tools/fetch_poems.sh). Environment: RNNKIT (default
# build/release/rnnkit). Prints the wall time, the CPU time, this run's own CPUs and the foreign
# CPUs, and appends one JSON line, stamped with the commit, the date and the host
# (bench/stamp.sh), to the log (default bench/results/tang-epoch-DATE.jsonl): those figures, the
# peak RSS, the batches, the tokens (summed from the per-step records: rate x interval) and
# tokens/s of the training, and the last epoch record of metrics.jsonl (null when --steps ends the
# run inside the epoch). The run directory is a fresh temporary one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/stamp.sh"
# Its own help (else --help went to `rnnkit train` with the other flags).
usage() { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d'; exit 0; }
poems=$root/data/tang
if [[ $# -gt 0 && $1 != -* ]]; then
  poems=$1
  shift
fi
log=""
train_flags=()
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage ;;
    --log) need_value "$@"; log=$2; shift 2 ;;
    *) train_flags+=("$1"); shift ;;
  esac
done
[[ -n $log ]] || log=$(results_log "tang-epoch")
rnnkit=${RNNKIT:-$root/build/release/rnnkit}
[[ -d $poems ]] || { echo "tang_epoch.sh: $poems is not a directory (tools/fetch_poems.sh)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# One train record per step, so that the tokens of every step can be summed.
timed_run "$rnnkit" train --poems "$poems" --epochs 1 --embedding 128 --hidden 256 --layers 2 \
  --batch 128 --optimizer adam --lr 1e-3 --log-every 1 --out "$out/run" "${train_flags[@]}"
printf 'tang epoch: wall %s s, CPU %s s, self %s CPUs, foreign %s CPUs, peak RSS %.0f MB\n' \
  "$run_wall_s" "$run_cpu_s" "$run_self_cpus" "$run_foreign_cpus" "$run_peak_rss_mb" >&2

[[ -s $out/run/metrics.jsonl ]] ||
  { echo "tang_epoch.sh: rnnkit train wrote no metrics.jsonl: nothing to record" >&2; exit 1; }
epoch=$(grep '"type":"epoch"' "$out/run/metrics.jsonl" | tail -n 1 || true)
awk -v wall="$run_wall_s" -v cpu="$run_cpu_s" -v self="$run_self_cpus" -v foreign="$run_foreign_cpus" \
  -v rss="$run_peak_rss_mb" -v poems="$poems" -v flags="${train_flags[*]}" -v epoch="${epoch:-null}" '
  function field(name,   m) {
    return match($0, "\"" name "\":[^,}]+") ? substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3) : ""
  }
  /"type":"train"/ {
    seconds = field("seconds")
    tokens += field("tokens_per_s") * (seconds - last)
    last = seconds
    batches++
  }
  END {
    rate = last > 0 ? tokens / last : 0
    gsub(/[\\"]/, "\\\\&", flags)
    gsub(/[\\"]/, "\\\\&", poems)
    printf "{\"bench\":\"tang_epoch\",\"poems\":\"%s\",\"train_flags\":\"%s\",", poems, flags
    printf "\"wall_s\":%s,\"cpu_s\":%s,\"self_cpus\":%s,\"foreign_cpus\":%s,\"peak_rss_mb\":%s,", wall, cpu, self, foreign, rss
    printf "\"batches\":%d,\"tokens\":%.0f,\"train_seconds\":%s,\"tokens_per_s\":%.1f,\"epoch_record\":%s}\n",
      batches, tokens, last + 0, rate, epoch
  }' "$out/run/metrics.jsonl" | stamp_lines | tee -a "$log"
echo "log: $log" >&2
