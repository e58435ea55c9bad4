#!/usr/bin/env bash
# `make demo`: fetch the Tang poems, measure the shipped poem model on its held-out poems, and
# write a continuation of 床前明月光, an acrostic on 春夏秋冬 and a rhymed, tonally regular one.
#
#   tools/demo.sh [RNNKIT_BINARY]     (default build/release/rnnkit; RNNKIT_DATA_DIR: the data, default data/)
#
# Both paths are taken relative to the repository root.
set -euo pipefail
case ${1:-} in
  -h | --help) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d'; exit 0 ;;
  -*) echo "demo.sh: unknown option $1 (tools/demo.sh [RNNKIT_BINARY])" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
RNNKIT=${1:-build/release/rnnkit}
MODEL=models/tang_lstm.safetensors
DATA=${RNNKIT_DATA_DIR:-data}

echo "== fetching the Tang poems (npm chinese-poetry@2.0.1)"
bash tools/fetch_poems.sh "$DATA"
echo "== preparing them (clean, simplify, split)"
"$RNNKIT" poems prepare --dir "$DATA/tang" --out "$DATA/poems"
echo "== held-out perplexity of the shipped model $MODEL"
"$RNNKIT" eval -m "$MODEL" --poems "$DATA/poems/valid.txt"
# A cooler temperature and top-k keep the model to its likelier lines.
echo "== 床前明月光 ..."
"$RNNKIT" poem -m "$MODEL" --start 床前明月光 --seed 7 --count 2 --temp 0.6 --top-k 30
echo "== 藏头诗 春夏秋冬"
"$RNNKIT" poem -m "$MODEL" --acrostic 春夏秋冬 --seed 7 --count 2 --temp 0.6 --top-k 30
echo "== 藏头 七言 山高水长, rhymed, in the tonal pattern of regulated verse (--rhyme --tones)"
"$RNNKIT" poem -m "$MODEL" --acrostic 山高水长 --form 7 --rhyme --tones --seed 7 --temp 0.6 --top-k 30
