# rnnkit -> PyTorch -> rnnkit: a checkpoint rnnkit writes (F32, F16, BF16, int8; char and word
# level) loads in PyTorch with strict=True and gives rnnkit's perplexity; the state_dict PyTorch
# writes back loads in rnnkit with the same perplexity. Needs Debian's python3-torch, which
# `make test` does not require (the unit tests never need Python) but .ci/run installs; without
# it the test is skipped (exit 77).
source "$(dirname "$0")/lib.sh"
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "SKIP: python3-torch is not installed (apt-get install python3-torch)" >&2
  exit 77
fi
printf 'the quick brown fox jumps over the lazy dog\nthe end\n' >"$WORK/text.txt"
# The same text with a byte order mark and CRLF line ends, which rnnkit reads as the LF text.
printf '\xef\xbb\xbfthe quick brown fox jumps over the lazy dog\r\nthe end\r\n' >"$WORK/crlf.txt"
perplexity() {
  "$RNNKIT" eval -m "$1" --text "$2" --json | sed -E 's/.*"perplexity":([^,}]+).*/\1/'
}
# torch_perplexity IN OUT TEXT: the tool's perplexity (it writes OUT); fails as the tool fails.
torch_perplexity() {
  local out
  out=$(/usr/bin/python3 "$SOURCE_DIR/tools/torch_roundtrip.py" "$@") || return 1
  sed -E 's/.*"perplexity": ([^,}]+).*/\1/' <<<"$out"
}
# close A B C T: B within 1e-4 of A (relative), C within T of A (0: equal).
close() {
  python3 -c "import sys; a,b,c,t=map(float,sys.argv[1:])
sys.exit(abs(a-b)>1e-4*a or abs(a-c)>t*a)" "$@"
}

# round_trip NAME MODEL TEXT: rnnkit's perplexity, PyTorch's (within 1e-4) and rnnkit's of the
# file PyTorch wrote back (equal: F16 and BF16 widen exactly to the F32 written back).
round_trip() {
  local ours torch back
  ours=$(perplexity "$2" "$3")
  torch=$(torch_perplexity "$2" "$2.back" "$3") || { fail "PyTorch could not load $1"; return; }
  back=$(perplexity "$2.back" "$3")
  close "$ours" "$torch" "$back" 0 ||
    fail "$1: rnnkit $ours, PyTorch $torch, rnnkit after round trip $back"
}

for cfg in "lstm 2 --bidirectional" "gru 1 --embedding=0" "rnn_relu 3 --embedding=6" \
  "lstm 2 --bidirectional --proj-size=4" "gru 1 --dtype=bf16" \
  "lstm 1 --dtype=f16 --tie-weights --embedding=7" "lstm 1 --level=word --eos --lowercase" \
  "gru 2 --level=word --letters-only --min-count=2 --dtype=bf16"; do
  set -- $cfg
  dir="$WORK/$(echo "$cfg" | tr -c 'a-z0-9' _)"
  "$RNNKIT" train --text "$WORK/text.txt" --cell "$1" --layers "$2" "${@:3}" --hidden 7 \
    --batch 2 --bptt 3 --steps 3 --out "$dir" >/dev/null 2>&1 || fail "train $cfg"
  round_trip "$cfg" "$dir/last.safetensors" "$WORK/text.txt"
  case $cfg in  # char and word levels (a BOM would be a token, CR a character or a line end)
    *embedding=0* | *word*)
      round_trip "$cfg (BOM, CRLF)" "$dir/last.safetensors" "$WORK/crlf.txt" ;;
  esac
done

# rnnkit quantize's int8 weights, dequantized as docs/FORMAT.md says: PyTorch agrees with the
# F32 file it writes back to float rounding, and with rnnkit on the int8 file where rnnkit's
# products read the int8 matrices exactly (RNNKIT_CPU=baseline; VNNI quantizes activations too).
for cfg in "lstm 2 --bidirectional" "lstm 1 --dtype=f16 --tie-weights --embedding=7"; do
  dir="$WORK/$(echo "$cfg" | tr -c 'a-z0-9' _)"
  "$RNNKIT" quantize "$dir/last.safetensors" "$dir/int8.safetensors" >/dev/null ||
    fail "quantize $cfg"
  ours=$(RNNKIT_CPU=baseline perplexity "$dir/int8.safetensors" "$WORK/text.txt")
  torch=$(torch_perplexity "$dir/int8.safetensors" "$dir/int8.back" "$WORK/text.txt") ||
    { fail "PyTorch could not load the int8 $cfg"; continue; }
  back=$(perplexity "$dir/int8.back" "$WORK/text.txt")
  close "$ours" "$torch" "$back" 1e-4 ||
    fail "int8 $cfg: rnnkit $ours, PyTorch $torch, rnnkit after round trip $back"
done

# What it cannot take, it says in one line (no traceback).
tool="$SOURCE_DIR/tools/torch_roundtrip.py"
"$RNNKIT" forecast train --data "$SOURCE_DIR/tests/fixtures/forecast/synthetic.csv" \
  --target sales --hidden 2 --epochs 1 --threads 1 --out "$WORK/forecast" >/dev/null 2>&1 ||
  fail "forecast train"
expect_error "a forecaster" "torch_roundtrip: $WORK/forecast/last.safetensors: a forecast model" \
  /usr/bin/python3 "$tool" "$WORK/forecast/last.safetensors" "$WORK/x" "$WORK/text.txt"
printf 'the end!\n' >"$WORK/bang.txt"
expect_error "a character it has no id for" 'in the vocabulary (which has no unk token): "!"' \
  /usr/bin/python3 "$tool" "$WORK/gru_1___embedding_0_/last.safetensors" "$WORK/x" "$WORK/bang.txt"
finish
