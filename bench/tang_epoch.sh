#!/usr/bin/env bash
# Times one epoch of `rnnkit train` on the full Tang corpus with the seed configuration and
# records the load other processes put on the machine meanwhile (from /proc/stat).
#
#   bench/tang_epoch.sh [POEMS_DIR] [extra rnnkit train flags, e.g. --threads 1 or --bf16]
#
# POEMS_DIR defaults to data/tang (tools/fetch_poems.sh). Environment: RNNKIT (default
# build/release/rnnkit). Prints the wall time, the CPU time, this run's own CPUs and the foreign
# CPUs; the run directory is a fresh temporary one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
poems=${1:-$root/data/tang}
shift || true
rnnkit=${RNNKIT:-$root/build/release/rnnkit}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
hz=$(getconf CLK_TCK)
b0=$(busy)
t0=$(date +%s.%N)
/usr/bin/time -f '%e %U %S %M' -o "$out/time" "$rnnkit" train --poems "$poems" --epochs 1 --embedding 128 \
  --hidden 256 --layers 2 --batch 128 --optimizer adam --lr 1e-3 --out "$out/run" "$@"
t1=$(date +%s.%N)
b1=$(busy)
read -r wall user sys rss_kb <"$out/time"
awk -v wall="$wall" -v user="$user" -v sys="$sys" -v rss="$rss_kb" -v b0="$b0" -v b1="$b1" -v hz="$hz" \
  -v t0="$t0" -v t1="$t1" 'BEGIN {
    self = (user + sys) / wall
    foreign = ((b1 - b0) / hz - (user + sys)) / (t1 - t0)
    if (foreign < 0) foreign = 0
    printf "tang epoch: wall %.1f s (%.2f min), CPU %.1f s, self %.2f CPUs, foreign %.2f CPUs, peak RSS %.0f MB\n",
      wall, wall / 60, user + sys, self, foreign, rss / 1024
  }'
grep '"type": *"epoch"\|"type":"epoch"' "$out/run/metrics.jsonl" | tail -n 1 || true
