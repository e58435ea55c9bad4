#!/usr/bin/env bash
# Form accuracy of generated poems (docs/RESULTS.md, "Quality"): writes COUNT continuations of
# each start line and COUNT acrostics of each head string with `rnnkit poem`, then checks every
# poem independently of rnnkit's own check: the requested number of lines, each of the requested
# number of Han characters, ending alternately in ， and 。, the last in 。, and for acrostics
# every line starting with its head character.
#
#   tools/poem_quality.sh MODEL [COUNT]        (COUNT defaults to 100, seeds 1..COUNT)
#
# Environment: RNNKIT (default build/release/rnnkit).
set -euo pipefail
# usage STATUS: the header above; on stdout for --help, on stderr with a wrong argument.
usage() { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d' >&$((${1:-0} ? 2 : 1)); exit "${1:-0}"; }
case ${1:-} in
  -h | --help) usage 0 ;;
  "") echo "poem_quality.sh: needs a MODEL" >&2; usage 2 ;;
esac
[[ $# -le 2 ]] || { echo "poem_quality.sh: MODEL [COUNT], got $# arguments" >&2; usage 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
rnnkit=${RNNKIT:-$root/build/release/rnnkit}
model=$1
count=${2:-100}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$rnnkit" poem -m "$model" --start 床前明月光 --seed 1 --count "$count" >"$out/start5"
"$rnnkit" poem -m "$model" --start 白日依山尽 --seed 1 --count "$count" --lines 8 >"$out/start5x8"
"$rnnkit" poem -m "$model" --start 两个黄鹂鸣翠柳 --seed 1 --count "$count" >"$out/start7"
"$rnnkit" poem -m "$model" --acrostic 春夏秋冬 --seed 1 --count "$count" >"$out/acrostic5"
"$rnnkit" poem -m "$model" --acrostic 明月清风 --form 7 --seed 1 --count "$count" >"$out/acrostic7"

/usr/bin/python3 - "$out" "$count" <<'EOF'
import sys, unicodedata
out, count = sys.argv[1], int(sys.argv[2])

def han(ch):
    return unicodedata.name(ch, "").startswith("CJK UNIFIED IDEOGRAPH")

def poems(path):
    blocks = open(path, encoding="utf-8").read().strip("\n").split("\n\n")
    return [[line for line in b.split("\n") if line] for b in blocks]

def lines_of(couplets):
    lines = []
    for c in couplets:
        i = c.find("，")
        lines += [c[: i + 1], c[i + 1 :]] if i >= 0 and i + 1 < len(c) else [c]
    return lines

def fault(couplets, form, n, heads=None):
    lines = lines_of(couplets)
    if len(lines) != n:
        return f"{len(lines)} lines"
    for k, line in enumerate(lines):
        mark = "。" if k % 2 == 1 or k == n - 1 else "，"
        body = line[:-1]
        if line[-1:] != mark or len(body) != form or not all(map(han, body)):
            return f"line {k + 1}: {line}"
        if heads and body[0] != heads[k]:
            return f"line {k + 1} does not start with {heads[k]}"
    return ""

cases = [("start5", "continuation of 床前明月光 (5 x 4)", 5, 4, None),
         ("start5x8", "continuation of 白日依山尽, 8 lines", 5, 8, None),
         ("start7", "continuation of 两个黄鹂鸣翠柳 (7 x 4)", 7, 4, None),
         ("acrostic5", "acrostic 春夏秋冬 (5)", 5, 4, "春夏秋冬"),
         ("acrostic7", "acrostic 明月清风 (7)", 7, 4, "明月清风")]
print("| poems | written | form correct | heads correct |")
print("|---|---:|---:|---:|")
for name, what, form, n, heads in cases:
    ps = poems(f"{out}/{name}")
    faults = [fault(p, form, n, heads) for p in ps]
    ok = sum(1 for f in faults if not f)
    head_ok = "" if heads is None else str(sum(1 for f in faults if "does not start" not in f))
    print(f"| {what} | {len(ps)} | {ok} | {head_ok} |")
    for f in [f for f in faults if f][:3]:
        print(f"  fault: {f}", file=sys.stderr)
    if len(ps) != count:
        print(f"  expected {count} poems, got {len(ps)}", file=sys.stderr)
EOF
