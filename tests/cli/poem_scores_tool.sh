# tools/poem_scores.sh with COUNT=2 on the shipped model and a small data directory (the 200
# held-out sample poems as valid.txt; as train.txt the same plus 登鹳雀楼, whose first line is a
# given start line): every row and prompt gets its JSON line, the held-out rows keep the
# prompt's shape, the PyTorch row repeats its greedy poem, the given line is left out of
# "copied generated lines", and a bad COUNT is refused. Needs Debian's python3-torch for the
# PyTorch row; without it the test is skipped (exit 77).
source "$(dirname "$0")/lib.sh"
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "SKIP: python3-torch is not installed (apt-get install python3-torch)" >&2
  exit 77
fi
export LC_ALL=C.UTF-8
mkdir "$WORK/data"
cp "$SOURCE_DIR/tests/fixtures/tang_valid_sample.txt" "$WORK/data/valid.txt"
{ cat "$WORK/data/valid.txt"; echo 白日依山尽，黄河入海流。欲穷千里目，更上一层楼。; } >"$WORK/data/train.txt"
model=$SOURCE_DIR/models/tang_lstm.safetensors
RNNKIT=$RNNKIT POEMS_DATA=$WORK/data RESULTS=$WORK/scores.jsonl \
  bash "$SOURCE_DIR/tools/poem_scores.sh" "$model" 2 >"$WORK/table" 2>"$WORK/err" ||
  fail "poem_scores.sh failed: $(cat "$WORK/err")"
grep -q '^| rhyme_tones | 10 | 100.0% | 100.0% | 100.0% |' "$WORK/table" ||
  fail "the overall table lacks the --rhyme --tones row: $(cat "$WORK/table")"
/usr/bin/python3 - "$WORK/scores.jsonl" "$WORK/data/valid.txt" "$(sha256sum "$model" | cut -d' ' -f1)" <<'EOF' || fail "the JSON lines"
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
prompts = ["start5", "start5x8", "start7", "acrostic5", "acrostic7", "all"]
rows = ["heldout", "rnnkit", "rhyme", "rhyme_tones", "pytorch"]
by = {(l["row"], l["prompt"]): l for l in lines}
problems = []
def expect(ok, what):
    if not ok:
        problems.append(what)
expect(len(lines) == 30 and set(by) == {(r, p) for r in rows for p in prompts}, "30 lines, one per row and prompt")
expect(all(l["count"] == 2 and l["model_sha256"] == sys.argv[3] for l in lines), "count and sha256")
# The held-out 8-line poems of 5 characters, counted here from valid.txt.
eight = [p for p in open(sys.argv[2], encoding="utf-8")
         if [len(x) for x in re.split("[，。？！；：、]", p.strip()) if x] == [5] * 8]
expect(by[("heldout", "start5x8")]["scores"]["poems"] == min(2, len(eight)) and
       by[("heldout", "start5x8")]["scores"]["form"]["hits"] == min(2, len(eight)), "held-out 5x8 poems")
expect(all(by[(r, p)]["scores"]["poems"] == 2 for r in rows[1:] for p in prompts[:-1]), "2 poems each")
expect(by[("pytorch", "acrostic5")]["scores"]["repeated_lines"]["total"] == 16, "greedy acrostic: 8 lines twice")
for r in rows[1:]:
    s = by[(r, "start5x8")]["scores"]
    expect(s["copied_generated_lines"]["hits"] == s["copied_lines"]["hits"] - 2 and
           s["copied_generated_lines"]["total"] == s["copied_lines"]["total"] - 2, f"{r}: the given line")
    s = by[(r, "start5")]["scores"]  # 床前明月光 is not a training line here
    expect(s["copied_generated_lines"]["hits"] == s["copied_lines"]["hits"], f"{r}: 床前明月光")
print("\n".join(problems)) if problems else None
sys.exit(1 if problems else 0)
EOF
expect_error "COUNT 0" "COUNT must be a positive integer" bash "$SOURCE_DIR/tools/poem_scores.sh" "$model" 0
expect_error "a missing model" "absent.safetensors does not exist" bash "$SOURCE_DIR/tools/poem_scores.sh" "$WORK/absent.safetensors" 2
finish
