# The training engine, for every model family: losses pinned from the code before the engine
# (commit 326dc4f, --threads 1), exact resume of seq2seq and classify runs interrupted mid-epoch,
# --sample-every, a run directory that already holds a run, leftover temporary files, and
# corrupt state.bin files.
source "$(dirname "$0")/lib.sh"
text="$SHARED_DATA/timemachine.txt"

losses() { grep '"type":"train"' "$1/metrics.jsonl" | sed -E 's/.*"step":([0-9]+).*"train_loss":([^,}]+).*/\1 \2/'; }
# The tensor bytes of a safetensors file (its header holds the run's wall time).
tensor_bytes() { tail -c +$(($(od -An -t u8 -N8 "$1") + 9)) "$1"; }
pinned() { losses "$1" | awk -v steps="$2" 'BEGIN { n = split(steps, s, " "); for (i = 1; i <= n; ++i) want[s[i]] = 1 } ($1 in want)'; }

# d2l (char RNN on the Time Machine) and poetry (2-layer LSTM on the committed poem sample):
# the losses of commit 326dc4f on an AVX-512 host (d2l's since its one-hot dW_ih became a
# scatter-add, which sums the same products in row order instead of the GEMM's), within 1e-6
# relative: on that host they agree bit for bit, but oneDNN's AVX2 kernels sum in another order
# (a Zen 3 host: step 1 moves by 2e-9, step 30 by 1.2e-7), while a change to the data order, the
# random streams or the maths moves them by 1e-3 or more.
# same_losses EXPECTED ACTUAL: the same steps, each loss within 1e-6 relative.
same_losses() {
  awk 'NR == FNR { want[$1] = $2; next }
       { n++; if (!($1 in want)) bad = 1; else { d = $2 - want[$1]; if (d < 0) d = -d; if (d > 1e-6 * want[$1]) bad = 1 } }
       END { exit (bad || n != length(want)) }' <(echo "$1") <(echo "$2")
}
"$RNNKIT" train --text "$text" --letters-only --lowercase --embedding 0 --cell rnn_tanh --layers 1 \
  --hidden 64 --batch 16 --bptt 35 --optimizer sgd --lr 1 --clip 1 --random-offset --steps 30 \
  --threads 1 --seed 3 --log-every 1 --max-tokens 20000 --out "$WORK/d2l" >/dev/null 2>&1 || fail "d2l run"
expected_d2l='1 3.2843217007674546
5 2.879056604228819
10 2.9122980326396224
15 2.838025699836207
20 2.8169708963908398
25 2.7428901893282585
30 2.7247786979546254'
same_losses "$expected_d2l" "$(pinned "$WORK/d2l" "1 5 10 15 20 25 30")" ||
  fail "d2l losses differ from commit 326dc4f: $(pinned "$WORK/d2l" "1 5 10 15 20 25 30" | tr '\n' ' ')"
"$RNNKIT" train --poems "$SOURCE_DIR/tests/fixtures/poems/corpus" --cell lstm --layers 2 --hidden 64 \
  --embedding 32 --dropout 0.1 --batch 8 --steps 12 --threads 1 --seed 2 --log-every 1 \
  --out "$WORK/poetry" >/dev/null 2>&1 || fail "poetry run"
expected_poetry='1 4.745202416388155
5 4.723919916958814
10 4.691698835706618'
same_losses "$expected_poetry" "$(pinned "$WORK/poetry" "1 5 10")" ||
  fail "poetry losses differ from commit 326dc4f: $(pinned "$WORK/poetry" "1 5 10" | tr '\n' ' ')"

# seq2seq and classify: a run stopped mid-epoch (--steps) and resumed ends with the same weights
# and the same losses as the uninterrupted run.
awk 'NR <= 200' "$SHARED_DATA/addition.txt" >"$WORK/add.txt"
s2s=(--data "$WORK/add.txt" --hidden 16 --embedding 8 --batch 16 --dropout 0.2 --layers 2 --threads 1 --seed 4 --log-every 1)
"$RNNKIT" seq2seq train "${s2s[@]}" --epochs 3 --out "$WORK/s2s_full" >/dev/null 2>&1 || fail "seq2seq full run"
"$RNNKIT" seq2seq train "${s2s[@]}" --epochs 3 --steps 17 --out "$WORK/s2s_part" >/dev/null 2>&1 || fail "seq2seq first part"
"$RNNKIT" seq2seq train --resume "$WORK/s2s_part" --epochs 3 >/dev/null 2>&1 || fail "seq2seq resumed part"
cmp -s <(tensor_bytes "$WORK/s2s_full/last.safetensors") <(tensor_bytes "$WORK/s2s_part/last.safetensors") ||
  fail "seq2seq: resumed weights differ from the uninterrupted run"
diff <(losses "$WORK/s2s_full") <(losses "$WORK/s2s_part") >/dev/null ||
  fail "seq2seq: resumed losses differ from the uninterrupted run"

"$RNNKIT" classify generate --task recall --length 8 --count 300 --seed 2 --out "$WORK/recall.tsv"
cls=(--data "$WORK/recall.tsv" --hidden 8 --embedding 4 --batch 16 --threads 1 --seed 6 --log-every 1)
"$RNNKIT" classify train "${cls[@]}" --epochs 3 --out "$WORK/cls_full" >/dev/null 2>&1 || fail "classify full run"
"$RNNKIT" classify train "${cls[@]}" --epochs 3 --steps 25 --out "$WORK/cls_part" >/dev/null 2>&1 || fail "classify first part"
"$RNNKIT" classify train --resume "$WORK/cls_part" --epochs 3 >/dev/null 2>&1 || fail "classify resumed part"
cmp -s <(tensor_bytes "$WORK/cls_full/last.safetensors") <(tensor_bytes "$WORK/cls_part/last.safetensors") ||
  fail "classify: resumed weights differ from the uninterrupted run"
diff <(losses "$WORK/cls_full") <(losses "$WORK/cls_part") >/dev/null ||
  fail "classify: resumed losses differ from the uninterrupted run"
# A crash between the two renames of a checkpoint (last.safetensors renamed, state.bin not):
# state.bin commits, so the resume continues from the previous checkpoint and ends exactly where
# the uninterrupted run does, instead of training an epoch again on newer weights.
"$RNNKIT" seq2seq train "${s2s[@]}" --epochs 1 --out "$WORK/s2s_crash" >/dev/null 2>&1 || fail "seq2seq epoch 1"
cp "$WORK/s2s_crash/state.bin" "$WORK/state_after_epoch1.bin"
"$RNNKIT" seq2seq train --resume "$WORK/s2s_crash" --epochs 2 >/dev/null 2>&1 || fail "seq2seq epoch 2"
cp "$WORK/state_after_epoch1.bin" "$WORK/s2s_crash/state.bin"  # last.safetensors is epoch 2's
"$RNNKIT" seq2seq train --resume "$WORK/s2s_crash" --epochs 3 >/dev/null 2>&1 || fail "seq2seq resume after the crash"
cmp -s <(tensor_bytes "$WORK/s2s_full/last.safetensors") <(tensor_bytes "$WORK/s2s_crash/last.safetensors") ||
  fail "seq2seq: a crash between the checkpoint's renames changed the result"

expect_error "resume with the wrong family" "holds a classify run" \
  "$RNNKIT" seq2seq train --resume "$WORK/cls_part"

# --sample-every prints and records samples without touching the training's random stream.
common=(--text "$text" --max-tokens 3000 --embedding 0 --hidden 16 --layers 2 --batch 4 --bptt 10 --dropout 0.3
        --steps 12 --threads 1 --seed 9 --log-every 1)
"$RNNKIT" train "${common[@]}" --out "$WORK/nosample" >/dev/null 2>&1 || fail "run without samples"
"$RNNKIT" train "${common[@]}" --sample-every 5 --sample-length 30 --out "$WORK/sample" \
  >"$WORK/sample.log" 2>&1 || fail "run with samples"
[ "$(grep -c '"type":"sample"' "$WORK/sample/metrics.jsonl")" = 2 ] || fail "expected 2 samples in metrics.jsonl"
grep -q "step 5 sample:" "$WORK/sample.log" || fail "no sample printed at step 5"
diff <(losses "$WORK/nosample") <(losses "$WORK/sample") >/dev/null ||
  fail "--sample-every changed the training losses"

# A fresh run refuses a directory that already holds one (its metrics would be lost).
expect_error "existing run directory" "already holds a training run" \
  "$RNNKIT" train "${common[@]}" --out "$WORK/sample"
[ "$(grep -c '"type":"sample"' "$WORK/sample/metrics.jsonl")" = 2 ] || fail "refused run touched metrics.jsonl"

# Validation asked for but with nothing to predict is an error, not a run that skips it.
printf 'a' >"$WORK/one_token.txt"
expect_error "a one-token --valid file" "gives 1 validation tokens" \
  "$RNNKIT" train "${common[@]}" --valid "$WORK/one_token.txt" --out "$WORK/one_valid"

# One run at a time in a directory: a second process resuming it while the first runs is refused,
# naming the first, and leaves its files alone.
cp -r "$WORK/nosample" "$WORK/locked"
"$RNNKIT" train --resume "$WORK/locked" --steps 1000000 --time 60 >/dev/null 2>&1 &
holder=$!
await holds_lock "$WORK/locked" "$holder"
expect_error "a second run in a held directory" "is in use by another training run (process $holder)" \
  "$RNNKIT" train --resume "$WORK/locked" --steps 20
kill -INT "$holder"
wait "$holder"
"$RNNKIT" train --resume "$WORK/locked" --steps 2000 --time 0.5 >/dev/null 2>&1 ||
  fail "resume after the holder stopped"

# Temporaries of a write killed half-way are removed when the run starts again.
touch "$WORK/sample/.state.bin.tmp-99999-0" "$WORK/sample/.last.safetensors.tmp-99999-1"
"$RNNKIT" train --resume "$WORK/sample" --steps 14 >/dev/null 2>&1 || fail "resume with leftovers"
ls -a "$WORK/sample" | grep -q '\.tmp-' && fail "leftover temporary files were not removed"

# Options are checked by their declarations: NaN and negative values are refused by name.
for bad in "--clip nan" "--time nan" "--init-range nan" "--lr -1" "--checkpoint-every -1" \
  "--log-every -2" "--valid-every -1" "--sample-length -5" "--threads -1" "--dropout 1.5"; do
  expect_error "$bad" "${bad%% *} must be" "$RNNKIT" train "${common[@]}" $bad --out "$WORK/bad_option"
done
expect_error "seq2seq --eps nan" "--eps must be" "$RNNKIT" seq2seq train --data "$WORK/add.txt" \
  --eps nan --out "$WORK/bad_option"
expect_error "classify --optimizer" "--optimizer must be sgd, adam or adamw" "$RNNKIT" classify train \
  --data "$WORK/recall.tsv" --optimizer rmsprop --out "$WORK/bad_option"

# An option given must do something: values that would change nothing are refused on a fresh
# start, in every family.
expect_error "dropout with one layer" "--dropout acts between stacked layers" \
  "$RNNKIT" train "${common[@]}" --layers 1 --out "$WORK/no_effect"
expect_error "momentum with adam" "--momentum is SGD's" \
  "$RNNKIT" train "${common[@]}" --momentum 0.9 --out "$WORK/no_effect"
expect_error "beta1 with sgd" "--beta1, --beta2 and --eps are Adam's" \
  "$RNNKIT" train "${common[@]}" --optimizer sgd --beta1 0.8 --out "$WORK/no_effect"
expect_error "a sample length without samples" "--sample-length without --sample-every" \
  "$RNNKIT" train "${common[@]}" --sample-length 40 --out "$WORK/no_effect"
# Only a language model has text to sample while it trains: the other families do not offer it.
for family in seq2seq classify forecast; do
  "$RNNKIT" "$family" train --help >"$WORK/help_$family.txt"
  grep -q -- "--checkpoint-every" "$WORK/help_$family.txt" || fail "$family train --help lists no engine option"
  ! grep -q -- "--sample-" "$WORK/help_$family.txt" || fail "$family train --help offers --sample-every"
done
"$RNNKIT" train --help | grep -q -- "--sample-every" || fail "train --help lacks --sample-every"
expect_error "samples of a classifier" "unexpected arguments: --sample-every 5" \
  "$RNNKIT" classify train --data "$WORK/recall.tsv" --sample-every 5 --out "$WORK/no_effect"
expect_error "seq2seq eps with sgd" "--beta1, --beta2 and --eps are Adam's" \
  "$RNNKIT" seq2seq train --data "$WORK/add.txt" --optimizer sgd --eps 1e-6 --out "$WORK/no_effect"
[ ! -e "$WORK/no_effect" ] || fail "a refused run made its directory"

# A metrics.jsonl that cannot be written (a full disk; here a file-size limit) stops the run
# with an error instead of a cut line and exit 0.
if (trap '' XFSZ; ulimit -f 8; "$RNNKIT" train "${common[@]}" --steps 400 --checkpoint-every 100000 \
  --out "$WORK/full_disk" >"$WORK/full_disk.log" 2>&1); then
  fail "a run whose metrics.jsonl cannot be written exited 0"
fi
grep -q "cannot write .*metrics.jsonl: File too large" "$WORK/full_disk.log" ||
  fail "no metrics write error with its reason: $(tail -1 "$WORK/full_disk.log")"

# A resumed run says what it could not keep of metrics.jsonl: damaged lines, or the whole file.
steps=$(tail -n 1 <(losses "$WORK/nosample") | cut -d' ' -f1)
cp -r "$WORK/nosample" "$WORK/damaged"
sed -i '2s/.*/{"type":"tra/' "$WORK/damaged/metrics.jsonl"
"$RNNKIT" train --resume "$WORK/damaged" --steps $((steps + 2)) >/dev/null 2>"$WORK/damaged.err" ||
  fail "resume with a damaged metrics line"
grep -q "metrics.jsonl: dropped 1 line that is no record" "$WORK/damaged.err" ||
  fail "a damaged metrics line was dropped silently: $(cat "$WORK/damaged.err")"
cp -r "$WORK/nosample" "$WORK/no_metrics"
rm "$WORK/no_metrics/metrics.jsonl"
"$RNNKIT" train --resume "$WORK/no_metrics" --steps $((steps + 2)) >/dev/null 2>"$WORK/no_metrics.err" ||
  fail "resume without metrics.jsonl"
grep -q "metrics.jsonl is missing: the records before step $steps are lost" "$WORK/no_metrics.err" ||
  fail "a missing metrics.jsonl went unsaid: $(cat "$WORK/no_metrics.err")"

# Bad state.bin files give errors that name the file.
cp -r "$WORK/nosample" "$WORK/trunc"
head -c 100 "$WORK/nosample/state.bin" >"$WORK/trunc/state.bin"
expect_error "truncated state.bin" "$WORK/trunc/state.bin" "$RNNKIT" train --resume "$WORK/trunc"
expect_error "no state.bin" "no run to resume" "$RNNKIT" train --resume "$WORK/none"

# A run that fails before its first checkpoint says it kept none (not "the last good checkpoint");
# its directory, metrics but no state.bin, is refused with the reason and what to do instead.
expect_error "non-finite before the first checkpoint" "no checkpoint was written before" \
  "$RNNKIT" train "${common[@]}" --embedding 8 --lr 1e30 --out "$WORK/blown"
[ -e "$WORK/blown/state.bin" ] && fail "a run with no checkpoint left a state.bin"
expect_error "fresh run into a run with no checkpoint" "with no checkpoint" \
  "$RNNKIT" train "${common[@]}" --out "$WORK/blown"
# With a checkpoint every step the error names the one kept, whose outputs are finite but so
# large that the perplexity overflows: eval says so instead of printing inf (or null in JSON).
expect_error "non-finite after a checkpoint" "(step 1) is kept" \
  "$RNNKIT" train "${common[@]}" --embedding 8 --lr 1e30 --checkpoint-every 1 --out "$WORK/blown1"
head -c 300 "$text" >"$WORK/probe.txt"
for format in "" --json; do
  expect_error "eval $format of a model whose perplexity overflows" "the perplexity overflows" \
    "$RNNKIT" eval -m "$WORK/blown1" --text "$WORK/probe.txt" $format
done
# A reader that goes away (`| head`, or `| tee log` ended by the same Ctrl-C) does not kill the run
# at its next progress line (SIGPIPE): it trains on to its budget and checkpoint (and then
# reports that its output could not be written).
"$RNNKIT" train --text "$text" --max-tokens 4000 --hidden 8 --layers 1 --batch 2 --bptt 4 \
  --steps 2000 --log-every 1 --threads 1 --out "$WORK/piped" 2>&1 | head -1 >/dev/null
grep -q '"step":2000,' "$WORK/piped/metrics.jsonl" || fail "a run whose reader went away stopped early"
"$RNNKIT" train --resume "$WORK/piped" 2>&1 | grep -q "nothing to train: the run is at step 2000" ||
  fail "a run whose reader went away has no checkpoint of its last step"
# A finished run whose last.safetensors was deleted writes it again on --resume, though nothing
# is left to train.
rm "$WORK/piped/last.safetensors"
"$RNNKIT" train --resume "$WORK/piped" >/dev/null 2>&1 || fail "a resume without last.safetensors"
[ -f "$WORK/piped/last.safetensors" ] || fail "a resume did not write the missing last.safetensors"
# So does one cut short (a disk that filled): it was reported as the model, unreadable.
whole=$(stat -c %s "$WORK/piped/last.safetensors")
truncate -s 100 "$WORK/piped/last.safetensors"
"$RNNKIT" train --resume "$WORK/piped" >/dev/null 2>&1 || fail "a resume with a cut last.safetensors"
[ "$(stat -c %s "$WORK/piped/last.safetensors")" = "$whole" ] ||
  fail "a resume left last.safetensors cut short"
# --pretrained-embeddings: the run's first line counts the tokens that found a vector (once).
printf 'a 0.1 0.2 0.3 0.4\nz 1 2 3 4\nqq 1 1 1 1\n' >"$WORK/vectors.txt"
printf 'banana bandana\n' >"$WORK/banana.txt"
"$RNNKIT" train --text "$WORK/banana.txt" --embedding 4 --hidden 8 --steps 1 --batch 1 --bptt 4 \
  --pretrained-embeddings "$WORK/vectors.txt" --threads 1 --out "$WORK/pretrained" >"$WORK/pretrained.log" 2>&1 ||
  fail "pretrained run: $(tail -2 "$WORK/pretrained.log")"
[ "$(grep -c 'pretrained vectors for 1 of 6 tokens' "$WORK/pretrained.log")" = 1 ] ||
  fail "pretrained vectors: $(head -2 "$WORK/pretrained.log")"
# A vector the run would read with a NaN or an infinity is refused by line, before any step (it
# failed steps later, blamed on the learning rate); one of a word not in the vocabulary is not read.
for value in nan inf -inf; do
  printf 'qq nan 1 1 1\na 0.1 %s 0.3 0.4\n' "$value" >"$WORK/bad_vectors.txt"
  expect_error "a pretrained vector with $value" "bad_vectors.txt line 2: '$value' is not a finite number" \
    "$RNNKIT" train --text "$WORK/banana.txt" --embedding 4 --hidden 8 --steps 1 --batch 1 --bptt 4 \
    --pretrained-embeddings "$WORK/bad_vectors.txt" --threads 1 --out "$WORK/pretrained_$value"
done
finish
