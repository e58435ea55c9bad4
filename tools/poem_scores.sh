#!/usr/bin/env bash
# The poem table of issue 15 (docs/RESULTS.md, "Rhyme and tones"): for each of the 5 prompts of
# tools/poem_quality.sh, COUNT poems of each row, all scored by `rnnkit poems score --train
# TRAIN --json` (copying counted against the training poems):
#   heldout      real Tang poems: the first COUNT of POEMS_DATA/valid.txt with the prompt's shape
#                (its number of lines, each of its number of characters; fewer if fewer exist)
#   rnnkit       rnnkit poem, default sampling (seeds 1..COUNT; the form is always kept)
#   rhyme        the same with --rhyme
#   rhyme_tones  the same with --rhyme --tones
#   pytorch      tools/pytorch_poem_generator.py on the same model file (the PyTorch tutorial's
#                greedy decoding: one poem, printed COUNT times, which distinct-2 shows;
#                continuations stop after the lines requested of rnnkit, acrostics place a head
#                after each 。 or ！)
# and each row over all 5 prompts. Appends one JSON line per row and prompt and one per row
# overall (commit, UTC date, model and its sha256, count, prompt, command, scores) to RESULTS,
# then prints markdown tables and the issue's targets.
#
#   tools/poem_scores.sh MODEL [COUNT]        (COUNT defaults to 100)
#
# Environment: RNNKIT (default build/release/rnnkit), POEMS_DATA (a directory with train.txt
# and valid.txt, one poem per line; default data/poems), RESULTS (default
# bench/results/poem-scores-YYYYMMDD.jsonl), THREADS (default 1), PYTHON (default
# /usr/bin/python3, with torch for the pytorch row).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rnnkit=${RNNKIT:-$root/build/release/rnnkit}
python=${PYTHON:-/usr/bin/python3}
data=${POEMS_DATA:-$root/data/poems}
results=${RESULTS:-$root/bench/results/poem-scores-$(date -u +%Y%m%d).jsonl}
threads=${THREADS:-1}
model=${1:?usage: tools/poem_scores.sh MODEL [COUNT]}
count=${2:-100}
[[ $count =~ ^[1-9][0-9]*$ ]] || { echo "error: COUNT must be a positive integer, got '$count'" >&2; exit 2; }
for file in "$model" "$data/train.txt" "$data/valid.txt"; do
  [ -f "$file" ] || { echo "error: $file does not exist" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$(date +%s)

# name | rnnkit poem options | generator options | characters per line | lines | given line
prompts=(
  "start5|--start 床前明月光|--start 床前明月光 --lines 4|5|4|床前明月光"
  "start5x8|--start 白日依山尽 --lines 8|--start 白日依山尽 --lines 8|5|8|白日依山尽"
  "start7|--start 两个黄鹂鸣翠柳|--start 两个黄鹂鸣翠柳 --lines 4|7|4|两个黄鹂鸣翠柳"
  "acrostic5|--acrostic 春夏秋冬|--acrostic 春夏秋冬|5|4|"
  "acrostic7|--acrostic 明月清风 --form 7|--acrostic 明月清风|7|4|"
)
rows=(heldout rnnkit rhyme rhyme_tones pytorch)

# The first COUNT poems of valid.txt with FORM characters in each of LINES lines (lines end at
# rnnkit's verse punctuation, as `poems score` splits them).
held_out() {
  "$python" - "$data/valid.txt" "$1" "$2" "$count" <<'EOF'
import re, sys
path, form, lines, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
kept = 0
for poem in open(path, encoding="utf-8"):
    parts = [p for p in re.split("[，。？！；：、]", poem.strip()) if p]
    if kept < count and len(parts) == lines and all(len(p) == form for p in parts):
        print(poem.strip())
        kept += 1
EOF
}

for prompt in "${prompts[@]}"; do
  IFS='|' read -r name ours theirs form lines given <<<"$prompt"
  held_out "$form" "$lines" >"$work/heldout.$name"
  echo "$given" >"$work/given.$name"
  poem=("$rnnkit" poem -m "$model" $ours --seed 1 --count "$count" --threads "$threads")
  "${poem[@]}" >"$work/rnnkit.$name"
  "${poem[@]}" --rhyme >"$work/rhyme.$name"
  "${poem[@]}" --rhyme --tones >"$work/rhyme_tones.$name"
  "$python" "$root/tools/pytorch_poem_generator.py" --model "$model" $theirs --count "$count" \
    --threads "$threads" >"$work/pytorch.$name"
  cat >"$work/commands.$name" <<EOF
heldout	first $count poems of $data/valid.txt with $lines lines of $form characters
rnnkit	rnnkit poem -m MODEL $ours --seed 1 --count $count
rhyme	rnnkit poem -m MODEL $ours --seed 1 --count $count --rhyme
rhyme_tones	rnnkit poem -m MODEL $ours --seed 1 --count $count --rhyme --tones
pytorch	tools/pytorch_poem_generator.py --model MODEL $theirs --count $count
EOF
done
for row in "${rows[@]}"; do
  for prompt in "${prompts[@]}"; do
    name=${prompt%%|*}
    cat "$work/$row.$name"
    [ "$row" = heldout ] || echo  # poems of `rnnkit poem` are blocks; keep one between files
  done >"$work/$row.all"
  layout=blocks
  [ "$row" = heldout ] && layout=lines
  for prompt in "${prompts[@]}" all; do
    name=${prompt%%|*}
    "$rnnkit" poems score "$work/$row.$name" --layout "$layout" --train "$data/train.txt" --json \
      >"$work/$row.$name.json"
  done
done

mkdir -p "$(dirname "$results")"
"$python" - "$work" "$data/train.txt" "$results" "$count" "$model" "$(sha256sum "$model" | cut -d' ' -f1)" \
  "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "$(date -u +%Y-%m-%dT%H:%MZ)" "${prompts[@]%%|*}" <<'EOF'
import json, re, sys
work, train, results, count, model, sha, commit, date, *prompts = sys.argv[1:]
rows = ["heldout", "rnnkit", "rhyme", "rhyme_tones", "pytorch"]
split = re.compile("[，。？！；：、]")
train_lines = {part for poem in open(train, encoding="utf-8") for part in split.split(poem.strip())}
commands = {}
for p in prompts:
    for line in open(f"{work}/commands.{p}", encoding="utf-8"):
        row, command = line.rstrip("\n").split("\t")
        commands[(row, p)] = command
scores = {(r, p): json.load(open(f"{work}/{r}.{p}.json")) for r in rows for p in prompts + ["all"]}
# Every generated continuation begins with the given line; when that line is a training line it
# counts as copied although the model did not write it. "copied_generated_lines" leaves it out.
for r in rows:
    hits = total = 0
    for p in prompts:
        s = scores[(r, p)]
        given = open(f"{work}/given.{p}", encoding="utf-8").read().strip()
        poems = s["poems"] if given and r != "heldout" else 0
        copied = poems if given in train_lines else 0
        share = {"hits": s["copied_lines"]["hits"] - copied, "total": s["copied_lines"]["total"] - poems}
        share["rate"] = share["hits"] / share["total"] if share["total"] else 0.0
        s["copied_generated_lines"] = share
        hits, total = hits + share["hits"], total + share["total"]
    scores[(r, "all")]["copied_generated_lines"] = {"hits": hits, "total": total,
                                                    "rate": hits / total if total else 0.0}
with open(results, "a", encoding="utf-8") as f:
    for (row, prompt), s in scores.items():
        f.write(json.dumps({"commit": commit, "date": date, "model": model, "model_sha256": sha,
                            "count": int(count), "prompt": prompt, "row": row,
                            "command": commands.get((row, prompt), "the 5 prompts together"),
                            "scores": s}, ensure_ascii=False) + "\n")

def pct(share):
    return f"{100 * share['rate']:.1f}%"

header = ("| poems | form | rhyming even lines | tonal adherence | repeated chars | repeated lines "
          "| distinct-2 | copied lines | copied generated lines | longest common substring (mean, max) |")
def line(label, s):
    return (f"| {label} | {s['poems']} | {pct(s['form'])} | {pct(s['rhyme'])} | {pct(s['tones'])} "
            f"| {pct(s['repeated_characters'])} | {pct(s['repeated_lines'])} | {pct(s['distinct_2'])} "
            f"| {pct(s['copied_lines'])} | {pct(s['copied_generated_lines'])} "
            f"| {s['longest_copy']['mean']:.1f}, {s['longest_copy']['max']} |")

print(f"All 5 prompts, {count} poems each (model {model}, sha256 {sha[:12]}, commit {commit}):\n")
print("| row " + header + "\n|---" + "|---:" * 10 + "|")
for r in rows:
    print(line(r, scores[(r, "all")]))
print("\nPer prompt:\n")
print("| prompt | row " + header + "\n|---|---" + "|---:" * 10 + "|")
for p in prompts:
    for r in rows:
        print(line(f"{p} | {r}", scores[(r, p)]))
rhyme = scores[("rhyme", "all")]["rhyme"]["rate"]
tones = scores[("rhyme_tones", "all")]["tones"]["rate"]
print(f"\nIssue 15 targets: --rhyme rhyming even lines {100 * rhyme:.1f}% (>= 98%: "
      f"{'met' if rhyme >= 0.98 else 'NOT met'}); --rhyme --tones tonal adherence {100 * tones:.1f}% "
      f"(>= 95%: {'met' if tones >= 0.95 else 'NOT met'}); copied generated lines (<= 2%): " +
      ", ".join(f"{r} {pct(scores[(r, 'all')]['copied_generated_lines'])}" for r in rows[1:]))
print(f"Raw lines appended to {results}")
EOF
echo "poem_scores.sh: $(($(date +%s) - started)) s for COUNT=$count" >&2
