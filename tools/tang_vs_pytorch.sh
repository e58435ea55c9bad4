#!/usr/bin/env bash
# rnnkit against the PyTorch tutorial's model, same wall-clock time (docs/RESULTS.md, "Against
# PyTorch, same wall-clock time"), like for like: the tutorial's configuration on both sides
# (embedding 128, 2-layer LSTM of 256, batches of 128 poems cut at 125 tokens, Adam lr 1e-3, no
# clipping, seed 1), one thread each, started together and pinned to separate cores, each with
# --time SECONDS. Both validate on the same held-out poems cut at 125 tokens (rnnkit's `train
# --poems` split is data/poems/valid.txt; the script checks that the token counts and the
# vocabularies agree): rnnkit every VALID_EVERY_STEPS steps (130 steps of ~6,950 tokens: about
# 150 s at 6,000 tokens/s), PyTorch every VALID_EVERY_SECONDS (150 s). The table is by training
# seconds, validations left out on both sides: PyTorch's budget leaves them out; rnnkit's --time
# counts them, so its training seconds end short of SECONDS by its validations' share (each
# estimated as the excess of the step after it over the median step). What stays different is
# each side's own way: rnnkit batches poems of similar length (no padding computed), the
# tutorial pads every batch to 125.
#
#   tools/tang_vs_pytorch.sh [SECONDS]        (SECONDS defaults to 1200)
#
# Appends one JSON line per validation (commit, UTC date, side, training seconds, rnnkit's wall
# clock "seconds", step, held-out perplexity, tokens, command) to RESULTS and prints them merged by time as a markdown table.
# Nothing is appended when a check fails (no rnnkit validation within SECONDS, other held-out
# token counts or vocabularies). Ctrl-C stops both sides.
# Environment: RNNKIT (default build/release/rnnkit), PYTHON (default /usr/bin/python3, with
# torch), TANG_DATA (the corpus of `train --poems`, default data/tang), POEMS_DATA (train.txt and
# valid.txt of `rnnkit poems prepare`, default data/poems), VOCAB_FROM (the model whose
# vocabulary PyTorch uses, default models/tang_lstm.safetensors), RESULTS (default
# bench/results/tang-vs-pytorch-YYYYMMDD.jsonl), RUN (rnnkit's run directory, default
# runs/tang-vs-pytorch-YYYYMMDD-HHMMSS), CORES (default "0 1": rnnkit's core, then PyTorch's),
# VALID_EVERY_STEPS, VALID_EVERY_SECONDS, RNNKIT_OPTIONS (more `rnnkit train` options).
set -euo pipefail
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d'
  exit 0
fi
root=$(cd "$(dirname "$0")/.." && pwd)
rnnkit=${RNNKIT:-$root/build/release/rnnkit}
python=${PYTHON:-/usr/bin/python3}
tang=${TANG_DATA:-$root/data/tang}
data=${POEMS_DATA:-$root/data/poems}
vocab=${VOCAB_FROM:-$root/models/tang_lstm.safetensors}
stamp=$(date -u +%Y%m%d-%H%M%S)
results=${RESULTS:-$root/bench/results/tang-vs-pytorch-${stamp%-*}.jsonl}
run=${RUN:-$root/runs/tang-vs-pytorch-$stamp}
read -r rnnkit_core torch_core <<<"${CORES:-0 1}"
valid_steps=${VALID_EVERY_STEPS:-130}
valid_seconds=${VALID_EVERY_SECONDS:-150}
seconds=${1:-1200}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "error: SECONDS must be a positive integer, got '$seconds'" >&2; exit 2; }
for path in "$tang" "$data/train.txt" "$data/valid.txt" "$vocab"; do
  [ -e "$path" ] || { echo "error: $path does not exist" >&2; exit 2; }
done
[ ! -e "$run" ] || { echo "error: the run directory $run exists already" >&2; exit 2; }
"$python" -c "import torch" 2>/dev/null || { echo "error: $python has no torch" >&2; exit 2; }
work=$(mktemp -d)
rnnkit_pid=""
torch_pid=""
# Both sides run in the background, where a non-interactive bash's children ignore Ctrl-C: the
# trap stops them (else they train on, pinned to both cores, after the script is gone).
stop_both() {
  local pid
  for pid in $rnnkit_pid $torch_pid; do kill "$pid" 2>/dev/null || true; done
  # rnnkit train ends at its next step (with a checkpoint), but misses a TERM that comes while it
  # still reads the corpus: whatever still runs after 5 s is killed.
  for pid in $rnnkit_pid $torch_pid; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap stop_both EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ours=(train --poems "$tang" --embedding 128 --hidden 256 --layers 2 --cell lstm --batch 128
  --max-length 125 --optimizer adam --lr 1e-3 --clip 0 --seed 1 --threads 1 --time "$seconds"
  --valid-every "$valid_steps" --log-every 1 --out "$run" ${RNNKIT_OPTIONS:-})
theirs=("$root/tools/pytorch_poems.py" --vocab-from "$vocab" --train "$data/train.txt"
  --valid "$data/valid.txt" --time "$seconds" --valid-every "$valid_seconds" --threads 1
  --batch 128 --max-length 125 --lr 1e-3 --seed 1)
# OpenBLAS 0.3.21 takes AVX-512 CPUs for SSE3 ones unless told (docs/BENCHMARKS.md).
grep -q avx512_bf16 /proc/cpuinfo && export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Cooperlake}
taskset -c "$rnnkit_core" "$rnnkit" "${ours[@]}" >"$work/rnnkit.log" 2>&1 &
rnnkit_pid=$!
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 taskset -c "$torch_core" "$python" "${theirs[@]}" \
  >"$work/pytorch.jsonl" 2>"$work/pytorch.log" &
torch_pid=$!
status=0
wait "$rnnkit_pid" || { status=1; echo "error: rnnkit train failed:" >&2; tail -n 5 "$work/rnnkit.log" >&2; }
rnnkit_pid=""
wait "$torch_pid" || { status=1; echo "error: pytorch_poems.py failed:" >&2; tail -n 5 "$work/pytorch.log" >&2; }
torch_pid=""
[ "$status" -eq 0 ] || exit 1

mkdir -p "$(dirname "$results")"
"$python" - "$root/tools" "$work" "$run" "$results" "$vocab" "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "$(date -u +%Y-%m-%dT%H:%MZ)" "rnnkit ${ours[*]}" "python3 tools/pytorch_poems.py ${theirs[*]:1}" \
  "$seconds" "$valid_steps" <<'EOF'
import json, re, statistics, sys
sys.path.insert(0, sys.argv[1])
import safetensors_io
work, run, results, vocab_from, commit, date, our_command, their_command, budget, valid_steps = sys.argv[2:]

# rnnkit: the validation records of metrics.jsonl; the held-out token count from its log ("step N
# validation perplexity P (T tokens)"). Its "seconds" (logged every step) are the wall clock,
# validations included; PyTorch's training_seconds leave them out, so the time each validation
# took is taken out here too: the step after it lasted that much longer than the median step.
tokens = {int(m[1]): int(m[2]) for m in re.finditer(r"step (\d+) validation perplexity \S+ \((\d+) tokens\)",
                                                     open(f"{work}/rnnkit.log", encoding="utf-8").read())}
seconds, valid = {}, {}
for record in map(json.loads, open(f"{run}/metrics.jsonl", encoding="utf-8")):
    if record.get("type") == "train":
        seconds[record["step"]] = record["seconds"]
    elif record.get("type") == "valid":
        valid[record["step"]] = record["valid_ppl"]  # the last step's may be logged twice
steps = [s for s in seconds if s - 1 in seconds]
typical = statistics.median(seconds[s] - seconds[s - 1] for s in steps) if steps else 0.0
lines, validating = [], 0.0
for step in sorted(valid):
    if step not in seconds:
        sys.exit(f"error: {run}/metrics.jsonl has no training record of step {step}")
    lines.append({"side": "rnnkit", "training_seconds": round(seconds[step] - validating, 1),
                  "seconds": round(seconds[step], 1), "step": step, "valid_perplexity": valid[step],
                  "valid_tokens": tokens.get(step), "command": our_command})
    if step + 1 in seconds:
        validating += max(0.0, seconds[step + 1] - seconds[step] - typical)
for record in map(json.loads, open(f"{work}/pytorch.jsonl", encoding="utf-8")):
    lines.append({"side": "pytorch", "training_seconds": record["training_seconds"], "step": record["step"],
                  "valid_perplexity": record["valid_perplexity"], "valid_tokens": record["valid_tokens"],
                  "command": their_command, "torch": record["torch"]})
print("| training seconds | rnnkit step | rnnkit held-out ppl | PyTorch step | PyTorch held-out ppl |")
print("|---:|---:|---:|---:|---:|")
for line in sorted(lines, key=lambda l: l["training_seconds"]):
    cells = [str(line["step"]), f"{line['valid_perplexity']:.1f}"]
    cells = cells + ["", ""] if line["side"] == "rnnkit" else ["", ""] + cells
    print(f"| {line['training_seconds']:.0f} | " + " | ".join(cells) + " |")

counts = {l["side"]: l["valid_tokens"] for l in lines}
print(f"\nheld-out tokens: rnnkit {counts.get('rnnkit')}, PyTorch {counts.get('pytorch')}")
# Checked before anything is appended: a failed comparison's lines would look like results.
problems = []
if not valid:
    # `train --time` stops without a last validation, unlike pytorch_poems.py.
    problems.append(f"rnnkit never validated: its --time {budget} s ended before step {valid_steps} "
                    f"(VALID_EVERY_STEPS); give more SECONDS or a smaller VALID_EVERY_STEPS")
elif len(set(counts.values())) != 1 or len(counts) != 2:
    problems.append("the two sides did not validate on the same number of held-out tokens")
def vocabulary(path):
    with open(path, "rb") as f:
        return json.loads(safetensors_io.read_header(f.read(), path)[1]["rnnkit.vocab"])["tokens"]
if vocabulary(f"{run}/last.safetensors") != vocabulary(vocab_from):
    problems.append(f"rnnkit's vocabulary differs from that of {vocab_from}, which PyTorch used")
for p in problems:
    print(f"error: {p}", file=sys.stderr)
if problems:
    sys.exit(f"nothing appended to {results}; rnnkit's run: {run}")
with open(results, "a", encoding="utf-8") as f:
    for line in lines:
        f.write(json.dumps({"commit": commit, "date": date, **line}) + "\n")
print(f"raw lines appended to {results}; rnnkit's run: {run}")
EOF
