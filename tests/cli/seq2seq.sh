#!/usr/bin/env bash
# `rnnkit seq2seq` end to end on tiny data: train (underscore and TSV files, peeky, attention,
# resume), predict (arguments, stdin, beam), eval, attend (SVG and PNG), and the bad-input errors.
# Called as: bash seq2seq.sh RNNKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/lib.sh"
export LC_ALL=C.UTF-8

head -n 300 "$SHARED_DATA/addition.txt" >"$WORK/add.txt"
train() { "$RNNKIT" seq2seq train --threads 1 --hidden 16 --embedding 8 --batch 32 "$@"; }

if ! train --data "$WORK/add.txt" --out "$WORK/run" --epochs 2 --reverse --peeky --attention \
  >"$WORK/train.log" 2>&1; then
  cat "$WORK/train.log" >&2
  fail "training on 300 addition lines"
  finish
fi
for f in last.safetensors best.safetensors metrics.jsonl; do
  [ -s "$WORK/run/$f" ] || fail "the run directory lacks $f"
done
[ "$(grep -c '"type":"epoch"' "$WORK/run/metrics.jsonl")" = 2 ] || fail "metrics.jsonl: not 2 epochs"
grep -q '"accuracy":' "$WORK/run/metrics.jsonl" || fail "metrics.jsonl has no accuracy"
grep -q '"epoch":2' "$WORK/run/metrics.jsonl" || fail "metrics.jsonl lacks epoch 2"
grep -q '270 training and 30 held-out' "$WORK/train.log" || fail "not the book's 90/10 split"
header=$(head -c 8192 "$WORK/run/last.safetensors" | tr -d '\0')
for name in encoder.embedding.weight encoder.rnn.weight_ih_l0 decoder.rnn.weight_hh_l0 \
  decoder.fc.weight rnnkit.seq2seq_config rnnkit.vocab; do
  grep -qF "$name" <<<"$header" || fail "checkpoint header lacks $name"
done

# predict: arguments, stdin, beam search; answers are fixed-width in this data, padding trimmed.
# (An undertrained model may answer with padding only, so lines are counted in files.)
"$RNNKIT" seq2seq predict --model "$WORK/run" "16+75" "1+1" >"$WORK/p1" || fail "predict"
[ "$(wc -l <"$WORK/p1")" = 2 ] || fail "predict with 2 arguments: $(cat "$WORK/p1")"
grep -q ' $' "$WORK/p1" && fail "predict keeps the answers' padding spaces"
printf '16+75\n\n2+3\n7+8\n' | "$RNNKIT" seq2seq predict --model "$WORK/run/best.safetensors" \
  >"$WORK/p2" || fail "predict from stdin"
[ "$(wc -l <"$WORK/p2")" = 3 ] || fail "predict from stdin (3 questions, one blank line)"
"$RNNKIT" seq2seq predict --model "$WORK/run" --beam 3 "16+75" >"$WORK/p3" || fail "predict --beam"
[ "$(wc -l <"$WORK/p3")" = 1 ] || fail "predict --beam 3"
"$RNNKIT" seq2seq eval --model "$WORK/run" --data "$WORK/add.txt" >"$WORK/eval_padded" &&
  grep -q "of 300 answers exact" "$WORK/eval_padded" || fail "eval does not report 300 answers"
# Pairs written as predict takes and gives them (without the padding) score as predict answers
# them: its own answers are all exact. A space-padded task (reverse up to three letters) the
# model learns enough of to answer every question with something.
awk 'BEGIN { srand(3); for (i = 0; i < 600; i++) { n = int(rand() * 3) + 1; w = r = ""
  for (j = 0; j < n; j++) w = w substr("abcd", int(rand() * 4) + 1, 1)
  for (j = n; j > 0; j--) r = r substr(w, j, 1)
  printf "%-3s_%-3s\n", w, r } }' >"$WORK/reverse.txt"
# Its held-out pairs come unpadded: training scores them as eval does (the padding added to the
# questions and answers), where it once scored only the answers of the full width as exact.
awk 'BEGIN { srand(4); for (i = 0; i < 60; i++) { n = int(rand() * 3) + 1; w = r = ""
  for (j = 0; j < n; j++) w = w substr("abcd", int(rand() * 4) + 1, 1)
  for (j = n; j > 0; j--) r = r substr(w, j, 1)
  printf "%s_%s\n", w, r } }' >"$WORK/reverse_valid.txt"
"$RNNKIT" seq2seq train --data "$WORK/reverse.txt" --valid "$WORK/reverse_valid.txt" --hidden 32 \
  --epochs 40 --batch 32 --threads 1 --out "$WORK/reverse" >/dev/null 2>&1 || fail "reverse run"
trained=$(grep '"type":"valid"' "$WORK/reverse/metrics.jsonl" | tail -n 1 |
  sed 's/.*"accuracy":\([0-9.e-]*\).*/\1/' | awk '{ printf "%d", $1 * 60 + 0.5 }')
evaluated=$("$RNNKIT" seq2seq eval --model "$WORK/reverse" --data "$WORK/reverse_valid.txt" | cut -d' ' -f1)
[ "$trained" = "$evaluated" ] && [ "$evaluated" -ge 40 ] ||
  fail "unpadded held-out pairs: training's accuracy $trained of 60, eval's $evaluated"
head -n 40 "$WORK/reverse.txt" | cut -d_ -f1 | tr -d ' ' >"$WORK/questions"
"$RNNKIT" seq2seq predict --model "$WORK/reverse" <"$WORK/questions" >"$WORK/answers" || fail "predict 40"
paste -d_ "$WORK/questions" "$WORK/answers" | grep -v '_$' >"$WORK/own_answers.txt"
own=$(wc -l <"$WORK/own_answers.txt")
[ "$own" -ge 20 ] || fail "only $own of 40 questions answered"
"$RNNKIT" seq2seq eval --model "$WORK/reverse" --data "$WORK/own_answers.txt" | grep -q "^$own of $own answers exact" ||
  fail "predict's own unpadded answers: $("$RNNKIT" seq2seq eval --model "$WORK/reverse" --data "$WORK/own_answers.txt")"

# attend: a heat map per format; a model without attention is refused.
"$RNNKIT" seq2seq attend --model "$WORK/run" --input "16+75" --out "$WORK/a.svg" >/dev/null ||
  fail "attend to SVG"
grep -q "<svg" "$WORK/a.svg" 2>/dev/null || fail "attend wrote no SVG"
"$RNNKIT" seq2seq attend --model "$WORK/run" --input "16+75" --out "$WORK/a.png" >/dev/null ||
  fail "attend to PNG"
[ "$(head -c 4 "$WORK/a.png" 2>/dev/null | tail -c 3)" = PNG ] || fail "attend wrote no PNG"
# --threads, as on every command: the same heat map on one thread; a count out of range refused.
"$RNNKIT" seq2seq attend --model "$WORK/run" --input "16+75" --out "$WORK/a1.svg" --threads 1 \
  >/dev/null && cmp -s "$WORK/a.svg" "$WORK/a1.svg" || fail "attend --threads 1"
expect_error "attend --threads out of range" "100000" \
  "$RNNKIT" seq2seq attend --model "$WORK/run" --input "16+75" --out "$WORK/a2.svg" --threads 100000
train --data "$WORK/add.txt" --out "$WORK/plain" --epochs 1 2>/dev/null || fail "training without attention"
expect_error "attend without attention" "has no attention" \
  "$RNNKIT" seq2seq attend --model "$WORK/plain" --input "1+1" --out "$WORK/b.svg"

# resume: one more epoch after the saved one.
"$RNNKIT" seq2seq train --resume "$WORK/plain" --epochs 2 2>/dev/null || fail "resume"
[ "$(grep -c '"type":"epoch"' "$WORK/plain/metrics.jsonl")" = 2 ] ||
  fail "resume did not append epoch 2"

# TSV pairs with answers of different lengths (an end token).
printf 'abc\tcba\nab\tba\nhello\tolleh\nxyz\tzyx\nabcd\tdcba\nba\tab\nzz\tzz\nhey\tyeh\nyo\toy\nab\tba\n' \
  >"$WORK/pairs.tsv"
train --data "$WORK/pairs.tsv" --out "$WORK/tsv" --epochs 2 --attention --bidirectional \
  --cell gru --layers 2 2>/dev/null || fail "training on TSV pairs"
"$RNNKIT" seq2seq predict --model "$WORK/tsv" "abc" >/dev/null || fail "predict with a TSV model"

# Bad input: each a clear error naming the line.
cp "$WORK/add.txt" "$WORK/bad.txt"
sed -i '7s/_/ /' "$WORK/bad.txt"
expect_error "line without the separator" "bad.txt:7: no '_'" \
  train --data "$WORK/bad.txt" --out "$WORK/x" --epochs 1
expect_error "answer longer than the decoder allows" "more than the decoder allows (2)" \
  train --data "$WORK/add.txt" --out "$WORK/x" --epochs 1 --max-answer-length 2
expect_error "a decoder longer than padded answers" "are padded to 4 characters" \
  train --data "$WORK/add.txt" --out "$WORK/x" --epochs 1 --max-answer-length 5
# So are answers all of one length unpadded: no end token either (the decoder wrote 5 characters
# where 3 were trained).
printf 'abc\tABC\ncab\tCAB\nbca\tBCA\n' >"$WORK/fixed.tsv"
expect_error "a decoder longer than answers of one length" "are all 3 characters, which the decoder writes in full" \
  train --data "$WORK/fixed.tsv" --out "$WORK/x" --epochs 1 --max-answer-length 5
expect_error "one-hot input" "--embedding 0: a seq2seq model embeds its characters" \
  "$RNNKIT" seq2seq train --threads 1 --data "$WORK/add.txt" --out "$WORK/x" --epochs 1 --embedding 0
expect_error "negative Adam epsilon" "eps" \
  train --data "$WORK/add.txt" --out "$WORK/x" --epochs 1 --eps -1
expect_error "no data" "--data FILE is required" train --out "$WORK/x" --epochs 1
# A held-out file replaces the book's split: its seed and share, given, would do nothing (their
# defaults, not given, are fine: the runs above).
expect_error "a split seed beside --valid" "--split-seed splits --data, which --valid" \
  train --data "$WORK/add.txt" --valid "$WORK/add.txt" --split-seed 1984 --out "$WORK/x" --epochs 1
expect_error "a held-out share beside --valid" "--valid-fraction splits --data, which --valid" \
  train --data "$WORK/add.txt" --valid "$WORK/add.txt" --valid-fraction 0.2 --out "$WORK/x" --epochs 1
expect_error "no run directory" "--out RUN_DIR is required" train --data "$WORK/add.txt"
expect_error "unknown character in an argument" 'question 2: 1 character is not in the vocabulary' \
  "$RNNKIT" seq2seq predict --model "$WORK/run" "1+1" "1x1"
expect_error "unknown character on stdin" "stdin:2:" \
  sh -c "printf '1+1\n1*1\n' | '$RNNKIT' seq2seq predict --model '$WORK/run'"
expect_error "question longer than the training width" "trained on questions of 7" \
  "$RNNKIT" seq2seq predict --model "$WORK/run" "123+4567"
expect_error "a question of padding only" "question 1: the question holds only spaces" \
  "$RNNKIT" seq2seq predict --model "$WORK/run" "   "
# A wrong option is an error like any other: the same prefix and exit status 1.
"$RNNKIT" seq2seq predict --model "$WORK/run" --beam x "1+1" >/dev/null 2>"$WORK/parse.err"
status=$?
[ "$status" = 1 ] || fail "an option that is no number: exit status $status, not 1"
grep -q '^error: Could not convert: --beam = x' "$WORK/parse.err" ||
  fail "an option that is no number: $(cat "$WORK/parse.err")"
expect_error "unexpected arguments in the order given" "unexpected arguments: --bogus 1" \
  "$RNNKIT" seq2seq eval --model "$WORK/run" --data "$WORK/add.txt" --bogus 1
"$RNNKIT" seq2seq predict --help >/dev/null 2>&1 || fail "seq2seq predict --help failed"
printf 'abc\tcba\nabcdabcd\tdcbadcba\n' >"$WORK/long.tsv"
expect_error "eval answers longer than the model allows" "long.tsv:2: the answer has 8 characters" \
  "$RNNKIT" seq2seq eval --model "$WORK/tsv" --data "$WORK/long.tsv"
expect_error "missing model" "cannot read" \
  "$RNNKIT" seq2seq predict --model "$WORK/nothing.safetensors" "1+1"
finish
