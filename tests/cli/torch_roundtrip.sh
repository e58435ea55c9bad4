# rnnkit -> PyTorch -> rnnkit: a checkpoint rnnkit writes loads in PyTorch with strict=True and
# gives rnnkit's perplexity; the state_dict PyTorch writes back loads in rnnkit with the same
# perplexity. Needs Debian's python3-torch, which `make test` does not require (the unit tests
# never need Python) but .ci/run installs; without it the test is skipped (exit 77).
source "$(dirname "$0")/lib.sh"
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "SKIP: python3-torch is not installed (apt-get install python3-torch)" >&2
  exit 77
fi
printf 'the quick brown fox jumps over the lazy dog\nthe end\n' >"$WORK/text.txt"
for cfg in "lstm 2 --bidirectional" "gru 1 --embedding=0" "rnn_relu 3 --embedding=6" \
  "lstm 2 --bidirectional --proj-size=4"; do
  set -- $cfg
  dir="$WORK/$(echo "$cfg" | tr -c 'a-z0-9' _)"
  "$RNNKIT" train --text "$WORK/text.txt" --cell "$1" --layers "$2" "${@:3}" --hidden 7 \
    --batch 2 --bptt 5 --steps 3 --out "$dir" >/dev/null 2>&1 || fail "train $cfg"
  ours=$("$RNNKIT" eval -m "$dir/last.safetensors" --text "$WORK/text.txt" --json | sed -E 's/.*"perplexity":([^,}]+).*/\1/')
  torch=$(/usr/bin/python3 "$SOURCE_DIR/tools/torch_roundtrip.py" "$dir/last.safetensors" "$dir/back.safetensors" \
    "$WORK/text.txt" | sed -E 's/.*"perplexity": ([^,}]+).*/\1/') || fail "PyTorch could not load $cfg"
  back=$("$RNNKIT" eval -m "$dir/back.safetensors" --text "$WORK/text.txt" --json | sed -E 's/.*"perplexity":([^,}]+).*/\1/')
  python3 -c "import sys; a,b,c=map(float,sys.argv[1:]); sys.exit(0 if abs(a-b)<=1e-4*a and a==c else 1)" \
    "$ours" "$torch" "$back" || fail "$cfg: rnnkit $ours, PyTorch $torch, rnnkit after round trip $back"
done
finish
