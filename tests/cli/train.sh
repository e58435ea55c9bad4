# rnnkit train: exact resume, interruption, non-finite losses, bad input.
source "$(dirname "$0")/lib.sh"
text="$SHARED_DATA/timemachine.txt"
common=(--text "$text" --max-tokens 4000 --letters-only --lowercase --embedding 0 --cell lstm --layers 2
        --hidden 24 --dropout 0.2 --batch 4 --bptt 10 --random-offset --optimizer sgd --lr 1 --clip 1
        --log-every 1 --threads 1 --seed 5)

# An interrupted and resumed run reproduces the uninterrupted run's losses bit for bit.
"$RNNKIT" train "${common[@]}" --steps 150 --checkpoint-every 50 --out "$WORK/full" >/dev/null 2>&1 || fail "full run"
"$RNNKIT" train "${common[@]}" --steps 70 --checkpoint-every 50 --out "$WORK/part" >/dev/null 2>&1 || fail "first half"
"$RNNKIT" train --resume "$WORK/part" --steps 150 >/dev/null 2>&1 || fail "resumed half"
losses() { grep '"type":"train"' "$1/metrics.jsonl" | sed -E 's/.*"step":([0-9]+).*"train_loss":([^,}]+).*/\1 \2/'; }
if [ "$(losses "$WORK/full" | wc -l)" -ne 150 ]; then fail "expected 150 logged steps"; fi
if ! diff <(losses "$WORK/full") <(losses "$WORK/part") >/dev/null; then
  fail "resumed run's losses differ from the uninterrupted run"
fi
printf 'the time machine travels\n' >"$WORK/probe.txt"
full_eval=$("$RNNKIT" eval -m "$WORK/full" --text "$WORK/probe.txt" --json)
part_eval=$("$RNNKIT" eval -m "$WORK/part" --text "$WORK/probe.txt" --json)
[ "$full_eval" = "$part_eval" ] || fail "resumed final weights differ: $full_eval vs $part_eval"
expect_error "--threads -5 with --resume" "--threads must be in [0, 1024], not -5" \
  "$RNNKIT" train --resume "$WORK/part" --steps 160 --threads -5
# A budget the run has reached already says so, and trains nothing.
"$RNNKIT" train --resume "$WORK/part" --steps 100 >"$WORK/spent.log" 2>&1 || fail "resume past the budget"
grep -q "nothing to train: the run is at step 150" "$WORK/spent.log" || fail "no word of a spent budget: $(cat "$WORK/spent.log")"
[ "$(losses "$WORK/part" | wc -l)" -eq 150 ] || fail "a spent budget trained more steps"
# A resumed run keeps its stored options: another one given with --resume is refused, not ignored,
# and the run is left as it was.
before=$(md5sum <"$WORK/part/state.bin")
expect_error "--hidden with --resume" "--hidden cannot be given with --resume" \
  "$RNNKIT" train --resume "$WORK/part" --steps 160 --hidden 64
expect_error "--lr with --resume" "--lr cannot be given with --resume" \
  "$RNNKIT" train --resume "$WORK/part" --lr 5
[ "$(md5sum <"$WORK/part/state.bin")" = "$before" ] || fail "a refused resume changed state.bin"

# --bf16 is part of the run: resumed, it goes on in BF16 and matches the uninterrupted BF16 run,
# whose losses are not float32's. Generation and evaluation take --bf16 too.
if grep -qw avx512_bf16 /proc/cpuinfo; then
  "$RNNKIT" train "${common[@]}" --bf16 --steps 60 --checkpoint-every 25 --out "$WORK/b16full" >/dev/null 2>&1 ||
    fail "bf16 full run"
  "$RNNKIT" train "${common[@]}" --bf16 --steps 35 --checkpoint-every 25 --out "$WORK/b16part" >/dev/null 2>&1 ||
    fail "bf16 first half"
  "$RNNKIT" train --resume "$WORK/b16part" --steps 60 >/dev/null 2>&1 || fail "bf16 resumed half"
  diff <(losses "$WORK/b16full") <(losses "$WORK/b16part") >/dev/null ||
    fail "resumed bf16 run's losses differ from the uninterrupted bf16 run"
  diff <(losses "$WORK/b16full") <(losses "$WORK/full" | head -60) >/dev/null &&
    fail "bf16 losses are float32's: the BF16 mode is not on"
  out=$("$RNNKIT" generate -m "$WORK/b16full" --bf16 -p "the time" -n 20 --seed 1 --threads 1 2>/dev/null)
  [ -n "$out" ] || fail "generate --bf16 wrote nothing"
  "$RNNKIT" eval -m "$WORK/b16full" --bf16 --text "$WORK/probe.txt" --json | grep -q perplexity ||
    fail "eval --bf16"
else
  expect_error "bf16 without AVX512_BF16" "AVX512_BF16" "$RNNKIT" train "${common[@]}" --bf16 --steps 1 \
    --out "$WORK/b16"
fi

# stopped_by SIGNAL CODE DIR: a long run into DIR, sent SIGNAL once it trains, exits with CODE and
# leaves its checkpoint and the resume hint.
stopped_by() {
  "$RNNKIT" train "${common[@]}" --steps 1000000 --checkpoint-every 100000 --out "$3" >"$3.out" 2>&1 &
  local pid=$! code
  await has_trained "$3" || fail "SIG$1: the run did not start training: $(cat "$3.out")"
  kill -"$1" $pid
  wait $pid
  code=$?
  [ $code -eq "$2" ] || fail "SIG$1 exit code $code, expected $2"
  [ -f "$3/state.bin" ] || fail "no state.bin after SIG$1"
  grep -q "interrupted; resume with: rnnkit train --resume $3" "$3.out" || fail "SIG$1: no resume hint"
}

# SIGINT writes a checkpoint and exits cleanly; the run resumes from it. (Started in the
# background by this script, without job control, the run inherits SIGINT ignored: it is taken.)
stopped_by INT 130 "$WORK/int"
# It resumes exactly: on to 20 more steps, the losses are those of an uninterrupted run.
stopped=$(losses "$WORK/int" | tail -1 | cut -d' ' -f1)
"$RNNKIT" train --resume "$WORK/int" --steps $((stopped + 20)) >/dev/null 2>&1 || fail "resume after SIGINT"
"$RNNKIT" train "${common[@]}" --steps $((stopped + 20)) --checkpoint-every 100000 --out "$WORK/int_full" \
  >/dev/null 2>&1 || fail "uninterrupted twin of the SIGINT run"
diff <(losses "$WORK/int") <(losses "$WORK/int_full") >/dev/null ||
  fail "the run interrupted by SIGINT did not resume exactly"

# A reader of stderr that stops reading (mpirun once sent SIGTERM, a paused pager) does not stop
# the run: with the pipe full, progress lines are dropped and SIGTERM still writes its checkpoint
# (the run once blocked in write(2) for ever, and its stop never came).
mkfifo "$WORK/stalled"
sleep 120 <"$WORK/stalled" &
reader=$!
"$RNNKIT" train "${common[@]}" --steps 1000000 --checkpoint-every 100000 --out "$WORK/stalled_run" \
  2>"$WORK/stalled" >/dev/null &
pid=$!
# 1,000 lines of about 100 bytes are more than the pipe's 64 KiB.
await eval '[ "$(grep -c "\"type\":\"train\"" "$WORK/stalled_run/metrics.jsonl" 2>/dev/null)" -gt 1000 ]' ||
  fail "the run with a stalled reader of stderr did not train on"
kill -TERM $pid
timeout 20 tail --pid=$pid -f /dev/null || fail "a run whose stderr reader stalled did not stop on SIGTERM"
kill $pid $reader 2>/dev/null
[ -f "$WORK/stalled_run/state.bin" ] || fail "no checkpoint after SIGTERM with a stalled stderr reader"

# SIGHUP (a closed terminal or ssh connection) stops the run as SIGTERM does, with a checkpoint;
# under nohup (SIGHUP ignored) the run goes on.
stopped_by HUP 129 "$WORK/hup"
(trap '' HUP; exec "$RNNKIT" train "${common[@]}" --steps 1000000 --checkpoint-every 100000 \
  --out "$WORK/nohup" >/dev/null 2>&1) &
pid=$!
await has_trained "$WORK/nohup" || fail "the nohup run did not start training"
kill -HUP $pid
sleep 1
kill -0 $pid 2>/dev/null || fail "a run whose SIGHUP is ignored (nohup) stopped on it"
kill -INT $pid
wait $pid

# A budget given with --resume is checked as a fresh run's is.
expect_error "a negative --steps on resume" "--steps must be >= 0, not -5" \
  "$RNNKIT" train --resume "$WORK/int" --steps -5

# kill -9 while checkpoints are written every step: the last checkpoint is always whole.
"$RNNKIT" train "${common[@]}" --steps 1000000 --checkpoint-every 1 --out "$WORK/kill" >/dev/null 2>&1 &
pid=$!
await test -f "$WORK/kill/state.bin" || fail "no checkpoint of a run writing one every step"
sleep 1  # some hundred checkpoints more: the kill comes in the middle of one
kill -9 $pid
wait $pid 2>/dev/null
"$RNNKIT" eval -m "$WORK/kill/last.safetensors" --text "$WORK/probe.txt" >/dev/null 2>&1 ||
  fail "checkpoint unreadable after kill -9"
# A kill -9 between a write's link to its temporary name and the rename leaves the temporary
# (.NAME.tmp-PID-N); the next run in the directory removes it.
touch "$WORK/kill/.state.bin.tmp-99999-1"
"$RNNKIT" train --resume "$WORK/kill" --steps 1 >/dev/null 2>&1 || fail "resume after kill -9"
ls -A "$WORK/kill" | grep -q '\.tmp' && fail "temporary files left behind"

# Within an epoch (17,057 steps here, some seconds) a kill -9 loses nothing older than
# --checkpoint-minutes (a checkpoint every 12 ms here); with 0 there is none before the epoch ends.
minutes() {
  "$RNNKIT" train --text "$text" --letters-only --lowercase --embedding 0 --hidden 64 --batch 2 --bptt 5 \
    --threads 1 --checkpoint-minutes "$1" --out "$2" >"$2.out" 2>&1 &
  pid=$!
  await holds_lock "$2" $pid || fail "the run into $2 did not start: $(cat "$2.out")"
  sleep 1
  kill -0 $pid 2>/dev/null || fail "the run into $2 ended within its first epoch: $(cat "$2.out")"
  kill -9 $pid
  wait $pid 2>/dev/null
}
minutes 0.0002 "$WORK/minutes"
minutes 0 "$WORK/no_minutes"
# A run still before its first checkpoint is named as running, not as no run at all.
"$RNNKIT" train --text "$text" --letters-only --lowercase --embedding 0 --hidden 64 --batch 2 --bptt 5 \
  --threads 1 --checkpoint-minutes 0 --out "$WORK/running" >/dev/null 2>&1 &
pid=$!
await holds_lock "$WORK/running" $pid || fail "the run into $WORK/running did not start"
expect_error "resume of a running first epoch" "is in use by another training run (process $pid)" \
  "$RNNKIT" train --resume "$WORK/running"
expect_error "a fresh run into a running first epoch" "is in use by another training run (process $pid)" \
  "$RNNKIT" train --text "$text" --hidden 8 --out "$WORK/running"
kill -9 $pid
wait $pid 2>/dev/null
[ -f "$WORK/minutes/state.bin" ] || fail "no checkpoint within the epoch with --checkpoint-minutes"
[ ! -e "$WORK/no_minutes/state.bin" ] || fail "a checkpoint within the epoch with --checkpoint-minutes 0"
"$RNNKIT" train --resume "$WORK/minutes" --steps 3000 >/dev/null 2>&1 || fail "resume of a checkpoint made by the clock"

# A NaN/Inf loss stops with a message (or is skipped on request).
expect_error "non-finite loss" "non-finite" "$RNNKIT" train "${common[@]}" --cell rnn_relu --init-range 1e20 --steps 50 \
  --checkpoint-every 1 --out "$WORK/nan"
out=$("$RNNKIT" train "${common[@]}" --cell rnn_relu --init-range 1e20 --steps 20 --skip-nonfinite --out "$WORK/skip" 2>&1) ||
  true
grep -q "skipped" <<<"$out" || fail "--skip-nonfinite did not report skipped batches: $out"
# A checkpoint after skipped batches resumes (a skipped batch resets the carried state, which the
# checkpoint then holds none of), and the batches skipped in a row count on across the resume:
# 60 + 40 are the 100 that stop the run, as 100 in one run do.
"$RNNKIT" train "${common[@]}" --cell rnn_relu --init-range 1e20 --steps 60 --skip-nonfinite \
  --checkpoint-every 7 --out "$WORK/skip_resume" >/dev/null 2>&1 || fail "60 skipped batches"
"$RNNKIT" train --resume "$WORK/skip_resume" --steps 90 >/dev/null 2>&1 ||
  fail "a resume after skipped batches: $("$RNNKIT" train --resume "$WORK/skip_resume" --steps 90 2>&1 | tail -1)"
expect_error "100 skipped in a row across a resume" "100 non-finite batches in a row" \
  "$RNNKIT" train --resume "$WORK/skip_resume" --steps 150

# Skipped batches use up steps of the budget and so of a cosine schedule: a trained step s of
# 200 runs at lr 0.001 * 0.5 (1 + cos(pi (s - 1) / 200)) whatever was skipped before it (the schedule
# once stood still on skipped batches and ended far above 0).
"$RNNKIT" train --text "$text" --max-tokens 20000 --hidden 16 --layers 1 --embedding 8 --batch 1 --bptt 35 \
  --sampling random --cell rnn_relu --init-range 8 --lr 1e-3 --clip 0.1 --optimizer sgd \
  --skip-nonfinite --log-every 1 --steps 200 --schedule cosine --threads 1 --lowercase \
  --out "$WORK/skip_cosine" >/dev/null 2>&1 || fail "a cosine run with skipped batches"
grep '"type":"train"' "$WORK/skip_cosine/metrics.jsonl" | sed -E 's/.*"lr":([^,}]+).*"step":([0-9]+).*/\2 \1/' |
  awk '{ want = 0.0005 * (1 + cos(3.141592653589793 * ($1 - 1) / 200)); d = $2 - want
         if (d > 1e-12 || d < -1e-12) { print "step " $1 ": lr " $2 ", cosine " want; bad = 1 }; n++ }
       END { if (n < 3) print "only " n " trained steps"; exit bad || n < 3 }' >"$WORK/skip_cosine.err" ||
  fail "cosine after skipped batches: $(head -n 3 "$WORK/skip_cosine.err")"

# A leg stopped by --time records its last step, as one stopped by --steps does (its metrics
# ended at the last multiple of --log-every).
"$RNNKIT" train --text "$text" --max-tokens 20000 --hidden 16 --threads 1 --time 0.3 \
  --log-every 100000 --out "$WORK/timed" >"$WORK/timed.out" 2>&1 || fail "a --time 0.3 run"
steps=$(sed -n 's/^steps \([0-9]*\),.*/\1/p' "$WORK/timed.out")
grep '"type":"train"' "$WORK/timed/metrics.jsonl" | tail -n 1 | grep -q "\"step\":${steps:-x}," ||
  fail "a --time run did not record its last step ($steps)"

# A run shorter than the automatic log interval (15 steps here) still records its last step.
"$RNNKIT" train --text "$text" --hidden 8 --steps 7 --threads 1 --out "$WORK/short_run" >/dev/null 2>&1 ||
  fail "a 7-step run"
grep -q '"step":7,.*"type":"train"' "$WORK/short_run/metrics.jsonl" ||
  fail "a run shorter than the log interval recorded no loss: $(cat "$WORK/short_run/metrics.jsonl")"

# Options that the run's data would not read are refused, not ignored.
tiny=(--text "$text" --max-tokens 4000 --hidden 8 --steps 1 --threads 1)
expect_error "--eos at char level" "--eos is word level's" "$RNNKIT" train "${tiny[@]}" --eos --out "$WORK/o1"
expect_error "--max-vocab at char level" "--max-vocab is word level's" \
  "$RNNKIT" train "${tiny[@]}" --max-vocab 20 --out "$WORK/o2"
expect_error "--form on text" "--form is for --poems runs" "$RNNKIT" train "${tiny[@]}" --form 5 --out "$WORK/o3"
expect_error "--padded on text" "--padded is for --poems runs" "$RNNKIT" train "${tiny[@]}" --padded --out "$WORK/o4"
expect_error "--random-offset with random sampling" "--random-offset is sequential sampling's" \
  "$RNNKIT" train "${tiny[@]}" --sampling random --random-offset --out "$WORK/o5"
expect_error "--valid on poems" "--valid is for --text runs" \
  "$RNNKIT" train --poems "$WORK/nowhere" --valid "$text" --out "$WORK/o6v"
expect_error "--bptt on poems" "--bptt is for --text runs" \
  "$RNNKIT" train --poems "$WORK/nowhere" --bptt 20 --out "$WORK/o6"
"$RNNKIT" train "${tiny[@]}" --level word --eos --max-vocab 50 --out "$WORK/o7" >/dev/null 2>&1 ||
  fail "word level options at word level"
# A schedule that does not parse is refused before the run directory is made.
expect_error "an unknown --schedule" "invalid learning-rate schedule 'bogus'" \
  "$RNNKIT" train "${tiny[@]}" --schedule bogus --out "$WORK/bad_schedule"
[ ! -e "$WORK/bad_schedule" ] || fail "a refused --schedule left its run directory"
# A warmup is checked against the run's own steps: cosine:2 over 4 steps rises 0, 0.5, 1 (it was
# checked against 1 step, refusing any warmup); cosine:4 over 4 steps is refused, naming them.
"$RNNKIT" train --text "$text" --max-tokens 4000 --hidden 8 --threads 1 --steps 4 --lr 1 \
  --log-every 1 --schedule cosine:2 --out "$WORK/warmup" >/dev/null 2>&1 || fail "cosine:2 over 4 steps"
lrs=$(grep '"type":"train"' "$WORK/warmup/metrics.jsonl" | sed -E 's/.*"lr":([^,}]+).*/\1/' | head -3 | tr '\n' ' ')
[ "$lrs" = "0.0 0.5 1.0 " ] || fail "cosine:2 warmup learning rates: $lrs"
expect_error "a warmup as long as the run" "WARMUP must be in [0, 4) (the total steps), got 4" \
  "$RNNKIT" train "${tiny[@]}" --steps 4 --schedule cosine:4 --out "$WORK/long_warmup"
[ ! -e "$WORK/long_warmup" ] || fail "a refused warmup left its run directory"
# --epochs and --steps together: the budget that ends the run first sizes the schedule, which
# then reaches 0 at the run's last step (it was sized by --steps: lr still 0.96 at the end).
"$RNNKIT" train --text "$text" --max-tokens 4000 --hidden 8 --threads 1 --epochs 1 --steps 1000 \
  --batch 4 --bptt 8 --lr 1 --log-every 1 --schedule cosine --out "$WORK/cosine_both" >/dev/null 2>&1 ||
  fail "cosine with --epochs 1 --steps 1000"
last_lr=$(grep '"type":"train"' "$WORK/cosine_both/metrics.jsonl" | tail -n 1 | sed -E 's/.*"lr":([^,}]+).*/\1/')
awk -v lr="$last_lr" 'BEGIN { exit !(lr < 0.01) }' || fail "cosine over --epochs 1 ends at lr $last_lr"
# Numbers the optimizer holds as floats are refused beyond a float's range (1e39 became inf at
# step 1, after the run directory was made); so are epochs whose steps a run cannot count.
expect_error "a --clip beyond a float" "--clip must be in [0, 3.40282e+38], not 1e+39" \
  "$RNNKIT" train "${tiny[@]}" --clip 1e39 --out "$WORK/huge_clip"
[ ! -e "$WORK/huge_clip" ] || fail "a refused --clip left its run directory"
# An integer beyond 64 bits is refused, where CLI11 clamped it (2^63 - 1 steps were trained).
expect_error "--steps beyond 64 bits" "--steps: must be in [-9223372036854775808, 9223372036854775807]" \
  "$RNNKIT" train --text "$text" --steps 99999999999999999999 --out "$WORK/huge_steps"
expect_error "epochs beyond 2^63 - 1 steps" "are more steps than a run can count" \
  "$RNNKIT" train --text "$text" --max-tokens 4000 --hidden 8 --threads 1 \
  --epochs 9223372036854775807 --out "$WORK/huge_epochs"
# Without a budget a run trains one epoch: the cosine schedule spans it (it was refused).
"$RNNKIT" train --text "$text" --max-tokens 4000 --hidden 8 --threads 1 --schedule cosine:1 \
  --out "$WORK/cosine_epoch" >/dev/null 2>&1 || fail "a cosine schedule over the default budget"
# --time alone gives a cosine schedule no steps to span: refused naming the options to give, on a
# fresh run and on a resumed one (whose --time replaces the stored budget whole).
expect_error "a cosine schedule over --time alone" "give --steps or --epochs beside --time" \
  "$RNNKIT" train --text "$text" --max-tokens 4000 --hidden 8 --threads 1 --time 60 \
  --schedule cosine --out "$WORK/cosine_time"
expect_error "a resumed cosine schedule over --time alone" "replaces the stored one whole" \
  "$RNNKIT" train --resume "$WORK/cosine_epoch" --time 60
# A --steps budget that ends with an epoch's last batch closes the epoch as --epochs 1 does: it
# counts, validates and writes best.safetensors.
per_epoch=$("$RNNKIT" train "${tiny[@]}" --valid-fraction 0.1 --out "$WORK/count" 2>&1 |
  sed -nE 's/.*, ([0-9]+) batches per epoch.*/\1/p')
[ -n "$per_epoch" ] || fail "no batches per epoch in the progress"
out=$("$RNNKIT" train "${tiny[@]}" --valid-fraction 0.1 --steps "$per_epoch" --out "$WORK/epoch_steps" 2>&1)
grep -q "^steps $per_epoch, epochs 1," <<<"$out" || fail "--steps $per_epoch (one epoch) did not count it: $out"
[ -e "$WORK/epoch_steps/best.safetensors" ] || fail "--steps ending an epoch did not validate it"
# With --init-from the checkpoint decides the model: a model flag is refused even at its default
# value (hidden 256), which it would otherwise override without a word.
expect_error "--hidden at its default with --init-from" "--hidden cannot be given with --init-from" \
  "$RNNKIT" train --text "$text" --max-tokens 4000 --threads 1 --steps 1 --init-from "$WORK/warmup" \
  --hidden 256 --out "$WORK/init_default"
"$RNNKIT" train --text "$text" --max-tokens 4000 --threads 1 --steps 1 --init-from "$WORK/warmup" \
  --out "$WORK/init_plain" >/dev/null 2>&1 || fail "--init-from without model flags"
# With --valid FILE the text is not split: a --valid-fraction beside it would do nothing.
expect_error "--valid-fraction beside --valid" "--valid-fraction splits the text, which --valid" \
  "$RNNKIT" train "${tiny[@]}" --valid "$text" --valid-fraction 0.2 --out "$WORK/two_valid"
# --padded turns the poems' length buckets off (the run's stored options say packed: false).
for padded in "" --padded; do
  "$RNNKIT" train --poems "$SOURCE_DIR/tests/fixtures/poems/corpus" --hidden 8 --embedding 4 \
    --layers 1 --batch 2 --steps 1 --threads 1 $padded --out "$WORK/poems$padded" >/dev/null 2>&1 ||
    fail "a poems run $padded"
done
strings "$WORK/poems/state.bin" | grep -q '"packed\\":true' || fail "a poems run is not packed"
strings "$WORK/poems--padded/state.bin" | grep -q '"packed\\":false' || fail "--padded left it packed"
"$RNNKIT" train --help | grep -q -- '--padded  ' || fail "train --help shows --padded oddly"
# A poem the resumed run's vocabulary lacks (a file added to the directory) is named, with why.
mkdir -p "$WORK/grown"
cp "$SOURCE_DIR/tests/fixtures/poems/corpus/poet.tang.0.json" "$WORK/grown/"
"$RNNKIT" train --poems "$WORK/grown" --hidden 8 --embedding 4 --layers 1 --batch 2 --steps 1 \
  --threads 1 --out "$WORK/grown_run" >/dev/null 2>&1 || fail "a poems run of one file"
cp "$SOURCE_DIR/tests/fixtures/poems/corpus/poet.tang.1000.json" "$WORK/grown/"
expect_error "a poem new to the resumed run" \
  "grown: the poem that begins \"红豆生南国，春来发几枝。\" holds \"红\", which is not in the vocabulary; the run's vocabulary comes from the data it started with, so the data changed since" \
  "$RNNKIT" train --resume "$WORK/grown_run" --steps 2

# Bad input.
: >"$WORK/empty.txt"
expect_error "empty file" "empty" "$RNNKIT" train --text "$WORK/empty.txt" --out "$WORK/e1"
printf 'abc\xff\xfedef' >"$WORK/bad.txt"
expect_error "invalid UTF-8" "byte offset 3" "$RNNKIT" train --text "$WORK/bad.txt" --out "$WORK/e2"
printf 'short text' >"$WORK/short.txt"
expect_error "corpus too short" "at least" "$RNNKIT" train --text "$WORK/short.txt" --batch 4 --bptt 10 --out "$WORK/e3"
expect_error "missing file" "cannot" "$RNNKIT" train --text "$WORK/none.txt" --out "$WORK/e4"
expect_error "impossible size" "hidden" "$RNNKIT" train --text "$text" --hidden 0 --out "$WORK/e5"
expect_error "bad cell" "--cell must be" "$RNNKIT" train --text "$text" --cell tcn --out "$WORK/e6"
printf '{"level":"char","tokens":["a","b"]}' >"$WORK/vocab.json"
expect_error "vocab mismatch" "tokens but the model" "$RNNKIT" eval -m "$WORK/full" --vocab "$WORK/vocab.json" \
  --text "$WORK/probe.txt"
finish
