#!/usr/bin/env bash
# Usage: fuzz/run.sh BUILD_DIR [SECONDS]
# Builds fuzz_safetensors in BUILD_DIR (configured by `cmake --preset fuzz`), seeds a corpus with
# a few valid files and fuzzes for SECONDS (default 60). Exits non-zero on a finding, whose input
# is kept in BUILD_DIR/fuzz-findings/.
set -euo pipefail
build_dir=${1:?usage: fuzz/run.sh BUILD_DIR [SECONDS]}
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
export LC_ALL=C

cmake --build "$build_dir" --target fuzz_safetensors

corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT

# seed NAME HEADER DATA: the 8-byte little-endian header length, HEADER, then DATA (printf escapes).
seed() {
  local n=${#2}
  printf "$(printf '\\x%02x' $((n & 255)) $((n >> 8 & 255)) $((n >> 16 & 255)) 0 0 0 0 0)" \
    >"$corpus/$1"
  printf '%s' "$2" >>"$corpus/$1"
  printf "$3" >>"$corpus/$1"
}
seed empty '{}' ''
seed f32 '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}' \
  '\x00\x00\x80\x3f\x00\x00\x00\xc0'
seed halves '{"__metadata__":{"format":"pt"},"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1,1],"data_offsets":[4,6]}}  ' \
  '\x00\x3c\x55\x35\x80\x3f'
seed f64_scalar '{"c":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}' \
  '\x00\x00\x00\x00\x00\x00\xf8\x3f'
seed empty_tensors '{"e":{"dtype":"F32","shape":[3,0],"data_offsets":[4,4]},"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}' \
  '\x00\x00\xe0\x40'
seed python_style '{"__metadata__": {"rnnkit.format_version": "1"}, "fc.bias": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "fc.weight": {"dtype": "F32", "shape": [2, 1], "data_offsets": [8, 16]}}     ' \
  '\x00\x00\x80\x3e\x00\x00\x40\xbf\x00\x00\x00\x40\x00\x00\x40\x40'

findings="$build_dir/fuzz-findings"
mkdir -p "$findings"
"$build_dir/fuzz/fuzz_safetensors" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -dict="$here/safetensors.dict" -artifact_prefix="$findings/" -print_final_stats=1 "$corpus"
