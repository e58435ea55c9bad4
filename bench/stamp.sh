# shellcheck shell=bash
# What every raw result line of bench/ carries, in one place: sourced by the benchmark scripts
# after `set -euo pipefail`. `stamp_lines` puts in front of each JSON line's fields
#   "commit": git short hash, "+dirty" when tracked files differ from it (bench/results/ apart,
#             since the scripts append to logs there while they run),
#   "date":   UTC ISO-8601, when the line was stamped,
#   "host":   {"cpu", "family", "model", "cores", "isa": [the flags that decide rnnkit's and
#             PyTorch's kernels, those the CPU has], and "rnnkit_cpu" / "onednn_max_cpu_isa"
#             where RNNKIT_CPU / ONEDNN_MAX_CPU_ISA force a narrower path},
# and `timed_run` measures a command's wall and CPU time, peak RSS and the foreign CPUs (the
# load other processes put on the machine meanwhile, from /proc/stat).

stamp_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Outside a git checkout (a `git archive` export, a copied tree) every line gets "commit":"unknown";
# said once here, not with git's errors for every line.
stamp_in_git=true
if ! git -C "$stamp_root" rev-parse --verify -q HEAD >/dev/null 2>&1; then
  stamp_in_git=false
  echo "${0##*/}: $stamp_root is not a git checkout: the lines get \"commit\":\"unknown\"" >&2
fi

source "$stamp_root/bench/args.sh"  # need_value, need_int

# results_log NAME: the default log of a script, bench/results/NAME-DATE.jsonl (UTC).
results_log() {
  mkdir -p "$stamp_root/bench/results"
  printf '%s' "$stamp_root/bench/results/$1-$(date -u +%Y%m%d-%H%M%S).jsonl"
}

stamp_commit() {
  local commit
  $stamp_in_git || { printf unknown; return; }
  commit=$(git -C "$stamp_root" rev-parse --short HEAD)
  git -C "$stamp_root" diff --quiet HEAD -- . ':(exclude)bench/results' || commit+=+dirty
  printf '%s' "$commit"
}

# The host object, made once per script.
stamp_host() {
  local model family number cores isa=() flag
  model=$(lscpu | sed -n 's/^Model name: *//p' | sed 's/[\\"]/\\&/g')
  family=$(lscpu | sed -n 's/^CPU family: *//p')
  number=$(lscpu | sed -n 's/^Model: *//p')
  cores=$(nproc --all)
  for flag in avx2 avx512f avx512_bf16 avx512_vnni avx_vnni amx_bf16 amx_int8; do
    grep -qw "$flag" /proc/cpuinfo && isa+=("\"$flag\"")
  done
  local forced=""
  [[ -n ${RNNKIT_CPU:-} ]] && forced+=",\"rnnkit_cpu\":\"$RNNKIT_CPU\""
  [[ -n ${ONEDNN_MAX_CPU_ISA:-} ]] && forced+=",\"onednn_max_cpu_isa\":\"$ONEDNN_MAX_CPU_ISA\""
  printf '{"cpu":"%s","family":%s,"model":%s,"cores":%s,"isa":[%s]%s}' "$model" "${family:-null}" \
    "${number:-null}" "$cores" "$(IFS=,; printf '%s' "${isa[*]}")" "$forced"
}
stamp_host_json=$(stamp_host)

# Filter: stamps every line that is a JSON object; other lines pass unchanged.
stamp_lines() {
  local line rest
  while IFS= read -r line; do
    if [[ $line == \{* ]]; then
      rest=${line:1}
      [[ $rest =~ ^[[:space:]]*\} ]] || rest=,$rest
      printf '{"commit":"%s","date":"%s","host":%s%s\n' "$(stamp_commit)" \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$stamp_host_json" "$rest"
    else
      printf '%s\n' "$line"
    fi
  done
}

# CPU-seconds the whole machine has been busy (user, nice, system, irq, softirq, steal).
cpu_busy_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '/^cpu /{ printf "%.2f\n", ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat
}

# timed_run COMMAND...: runs COMMAND (its output goes where the caller sends it) and sets
# run_wall_s, run_cpu_s, run_self_cpus, run_foreign_cpus and run_peak_rss_mb; returns its status.
timed_run() {
  local times b0 b1 t0 t1 status=0 wall user sys rss_kb
  times=$(mktemp)
  b0=$(cpu_busy_seconds)
  t0=$(date +%s.%N)
  /usr/bin/time -f '%e %U %S %M' -o "$times" "$@" || status=$?
  t1=$(date +%s.%N)
  b1=$(cpu_busy_seconds)
  # On failure time(1) writes "Command exited with non-zero status N" first.
  read -r wall user sys rss_kb < <(tail -n 1 "$times")
  rm -f "$times"
  # shellcheck disable=SC2034  # the results, read by the caller
  read -r run_wall_s run_cpu_s run_self_cpus run_foreign_cpus run_peak_rss_mb < <(awk \
    -v wall="$wall" -v cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" \
    -v b0="$b0" -v b1="$b1" -v t0="$t0" -v t1="$t1" -v rss="$rss_kb" 'BEGIN {
      foreign = ((b1 - b0) - cpu) / (t1 - t0)
      if (foreign < 0) foreign = 0
      self = wall > 0 ? cpu / wall : 0
      printf "%.2f %.2f %.2f %.2f %.1f\n", wall, cpu, self, foreign, rss / 1024
    }')
  return "$status"
}

# gbench_lines NAME FILE [FIELDS]: one JSON line per entry of FILE, Google Benchmark's
# --benchmark_format=json output, with "bench": NAME, the run's context (CPU MHz, load average,
# the benchmark library's build type) and FIELDS (more JSON fields, e.g. '"foreign_cpus":0.1').
# Counters named G.../s (GFLOP/s, GOP/s) are written in G units, as their names say (Google
# Benchmark's JSON holds them per second), and bytes_per_second gets its GB/s beside it.
gbench_lines() {
  /usr/bin/python3 - "$@" <<'PYTHON'
import json, sys
name, path = sys.argv[1], sys.argv[2]
fields = json.loads("{" + (sys.argv[3] if len(sys.argv) > 3 else "") + "}")
report = json.load(open(path))
context = {k: report["context"].get(k) for k in ("mhz_per_cpu", "load_avg", "library_build_type")}
for entry in report.get("benchmarks", []):
    line = {"bench": name, **entry}
    for key, value in entry.items():
        # A "percentage" aggregate (the _cv line) holds the counter's coefficient of variation,
        # already a ratio.
        if key.startswith("G") and key.endswith("/s") and entry.get("aggregate_unit") != "percentage":
            line[key] = value / 1e9
    if "bytes_per_second" in entry:
        line["GB/s"] = entry["bytes_per_second"] / 1e9
    print(json.dumps({**line, **context, **fields}))
PYTHON
}
