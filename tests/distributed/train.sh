#!/usr/bin/env bash
# Data-parallel training on MPI (docs/DISTRIBUTED.md), two processes on this machine: every
# family at N=2 follows the N=1 run with the same global batch (per-step losses and final
# weights within 1e-5 relative, dropout included); resume at N=2 is exact and at N=1 continues
# the run; bad batch sizes, ranks reading different data and a killed rank are clear failures.
# Called as: bash train.sh RNNKIT_BINARY SOURCE_DIR MPIEXEC
source "$(dirname "$0")/../cli/lib.sh"
MPIEXEC=$3
export LC_ALL=C.UTF-8 OMP_NUM_THREADS=1
# Containers often forbid the cross-memory attach of Open MPI's shared-memory transport; copies
# through shared memory work everywhere and cost nothing at these sizes.
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mpi2() { "$MPIEXEC" --allow-run-as-root --oversubscribe -np 2 "$@"; }

losses() { grep '"type":"train"' "$1/metrics.jsonl" | sed -E 's/.*"step":([0-9]+).*"train_loss":([^,}]+).*/\1 \2/'; }
tensor_bytes() { tail -c +$(($(od -An -t u8 -N8 "$1") + 9)) "$1"; }
# Largest relative difference of two runs' per-step losses (same steps required).
loss_gap() {
  paste <(losses "$1") <(losses "$2") | awk '
    $1 != $3 { print "steps differ"; exit } { d = $2 - $4; d = d < 0 ? -d : d; r = d / ($2 < 0 ? -$2 : $2); if (r > m) m = r; n++ }
    END { if (n < 2) print "no losses"; else printf "%.3g\n", m }'
}
# Largest difference of two float32 model files' tensors, relative to the largest weight.
weight_gap() {
  paste <(tensor_bytes "$1" | od -An -v -t f4 -w4) <(tensor_bytes "$2" | od -An -v -t f4 -w4) | awk '
    { d = $1 - $2; d = d < 0 ? -d : d; if (d > m) m = d; a = $1 < 0 ? -$1 : $1; if (a > w) w = a; n++ }
    END { if (n < 10) print "no weights"; else printf "%.3g\n", m / w }'
}
small() { awk -v g="$1" 'BEGIN { exit !(g + 0 == g && g <= 1e-5) }'; }
# compare NAME DIR1 DIR2: losses and final weights of the N=1 and N=2 runs.
compare() {
  local l w
  l=$(loss_gap "$2" "$3")
  w=$(weight_gap "$2/last.safetensors" "$3/last.safetensors")
  small "$l" || fail "$1: N=2 losses differ from N=1 by $l (relative)"
  small "$w" || fail "$1: N=2 weights differ from N=1 by $w (relative)"
  echo "$1: losses within $l, weights within $w"
}
# run NAME ARGS...: the same training alone and on two processes.
run() {
  local name=$1
  shift
  "$RNNKIT" "$@" --out "$WORK/$name.1" >"$WORK/$name.1.log" 2>&1 || { cat "$WORK/$name.1.log" >&2; fail "$name alone"; return; }
  mpi2 "$RNNKIT" "$@" --out "$WORK/$name.2" >"$WORK/$name.2.log" 2>&1 || { cat "$WORK/$name.2.log" >&2; fail "$name on two processes"; return; }
  compare "$name" "$WORK/$name.1" "$WORK/$name.2"
}

text="$SOURCE_DIR/../shared/data/timemachine.txt"
lm=(train --text "$text" --max-tokens 20000 --embedding 16 --hidden 32 --layers 2 --dropout 0.2
  --batch 8 --bptt 12 --steps 50 --threads 1 --seed 3 --log-every 1 --lr 3e-3)
run lm "${lm[@]}"
run poems train --poems "$SOURCE_DIR/tests/fixtures/poems/corpus" --cell gru --layers 2 --hidden 24 --valid-fraction 0.3 --valid-every 10 \
  --embedding 16 --dropout 0.1 --batch 6 --steps 50 --threads 1 --seed 2 --log-every 1
awk 'NR <= 300' "$SOURCE_DIR/../shared/data/addition.txt" >"$WORK/add.txt"
run seq2seq seq2seq train --data "$WORK/add.txt" --hidden 16 --embedding 8 --batch 16 --layers 2 \
  --dropout 0.2 --steps 50 --threads 1 --seed 4 --log-every 1
"$RNNKIT" classify generate --length 6 --count 400 --seed 5 --out "$WORK/recall.tsv"
run classify classify train --data "$WORK/recall.tsv" --hidden 8 --embedding 4 --cell lstm \
  --layers 2 --dropout 0.1 --batch 16 --steps 50 --threads 1 --seed 5 --log-every 1
run forecast forecast train --data "$SOURCE_DIR/tests/fixtures/forecast/synthetic.csv" \
  --target sales --covariates promo --hidden 8 --layers 2 --dropout 0.2 --batch 8 --steps 50 \
  --threads 1 --seed 3 --log-every 1
grep -q '"comm_s"' "$WORK/lm.2/metrics.jsonl" || fail "metrics.jsonl lacks the communication time"
grep -q '"comm_s"' "$WORK/lm.1/metrics.jsonl" && fail "a single process reports communication"

# Validation is shared out and summed: the figure of one process.
v1=$(grep '"type":"valid"' "$WORK/poems.1/metrics.jsonl" | tail -1 | sed -E 's/.*"valid_ppl":([^,}]+).*/\1/')
v2=$(grep '"type":"valid"' "$WORK/poems.2/metrics.jsonl" | tail -1 | sed -E 's/.*"valid_ppl":([^,}]+).*/\1/')
awk -v a="$v1" -v b="$v2" 'BEGIN { d = (a - b) / a; exit !(a > 0 && d < 1e-5 && d > -1e-5) }' ||
  fail "validation perplexity at N=2 ($v2) differs from N=1 ($v1)"

# Resume at N=2 is exact: stopped at step 20, continued to 50, it is the uninterrupted run.
mpi2 "$RNNKIT" "${lm[@]}" --steps 20 --out "$WORK/lm.r" >/dev/null 2>&1 || fail "N=2 first leg"
mpi2 "$RNNKIT" train --resume "$WORK/lm.r" --steps 50 >"$WORK/lm.r.log" 2>&1 || fail "N=2 resume"
# The resumed run's first record averages its communication over the one step since it resumed
# (--log-every 1), which its progress line shows: not over the 21 steps since the run began.
line_ms=$(grep -o 'step 21/50 .* comm [0-9.]* ms' "$WORK/lm.r.log" | sed -E 's/.*comm ([0-9.]+) ms/\1/')
record_ms=$(grep '"step":21,' "$WORK/lm.r/metrics.jsonl" | sed -E 's/.*"comm_s":([^,}]+).*/\1/' |
  awk '{ printf "%.1f", 1e3 * $1 }')
[ -n "$line_ms" ] && [ "$line_ms" = "$record_ms" ] ||
  fail "N=2 resume: step 21's comm_s ($record_ms ms) is not its step's ($line_ms ms)"
[ "$(losses "$WORK/lm.r")" = "$(losses "$WORK/lm.2")" ] || fail "N=2 resume: losses differ"
cmp -s <(tensor_bytes "$WORK/lm.r/last.safetensors") <(tensor_bytes "$WORK/lm.2/last.safetensors") ||
  fail "N=2 resume: weights differ"
# With nothing left to train, a deleted last.safetensors is written again (rank 0 decides for all).
rm "$WORK/lm.r/last.safetensors"
mpi2 "$RNNKIT" train --resume "$WORK/lm.r" --steps 50 >/dev/null 2>&1 || fail "N=2 resume, no steps left"
cmp -s <(tensor_bytes "$WORK/lm.r/last.safetensors") <(tensor_bytes "$WORK/lm.2/last.safetensors") ||
  fail "N=2 resume with no steps left did not write the deleted last.safetensors again"
# ... and one process continues a two-process run (the global batch is the same).
mpi2 "$RNNKIT" "${lm[@]}" --steps 20 --out "$WORK/lm.n" >/dev/null 2>&1 || fail "N=2 leg"
"$RNNKIT" train --resume "$WORK/lm.n" --steps 50 >/dev/null 2>&1 || fail "N=1 resume of N=2"
compare "N=2 then N=1" "$WORK/lm.1" "$WORK/lm.n"

# Bad input, before training.
expect_error "a batch smaller than N" "2 processes need a global batch of at least 2" \
  mpi2 "$RNNKIT" "${lm[@]}" --batch 1 --out "$WORK/b1"
expect_error "a batch N does not divide" "--batch 7 does not divide among 2 processes" \
  mpi2 "$RNNKIT" "${lm[@]}" --batch 7 --out "$WORK/b7"
head -c 15000 "$text" >"$WORK/other.txt"
cat >"$WORK/by_rank.sh" <<EOS
data="$text"; [ "\$OMPI_COMM_WORLD_RANK" = 1 ] && data="$WORK/other.txt"
exec "$RNNKIT" train --text "\$data" --max-tokens 20000 --steps 5 --batch 8 --threads 1 --out "$WORK/differ"
EOS
expect_error "ranks reading other data" "rank 1 read other training data or another vocabulary" \
  mpi2 bash "$WORK/by_rank.sh"
# Ranks given other options: refused before training, naming the option (another --steps would
# leave the ranks waiting in different collectives; another --lr trains neither run).
for differ in "--lr 0.5:lr = 0.5, rank 0 1.0" "--steps 9:steps = 9, rank 0 5" "--seed 7:seed = 7, rank 0 1"; do
  cat >"$WORK/by_rank_options.sh" <<EOS
extra=""; [ "\$OMPI_COMM_WORLD_RANK" = 1 ] && extra="${differ%%:*}"
exec "$RNNKIT" train --text "$text" --max-tokens 20000 --steps 5 --batch 8 --threads 1 --optimizer sgd \
  --lr 1 --out "$WORK/differ_options" \$extra
EOS
  expect_error "ranks given ${differ%%:*}" "rank 1 was given ${differ#*:}" \
    timeout 60 "$MPIEXEC" --allow-run-as-root --oversubscribe -np 2 bash "$WORK/by_rank_options.sh"
done
# --init-from of one path whose file differs between the ranks' machines (here each rank's own
# directory): the models they built differ, which the job names instead of training silently on
# (another dropout) or failing in the weights' broadcast (another shape). Rank 1 reads the lm
# run's model (hidden 32, dropout 0.2), rank 0 a model made here.
mkdir -p "$WORK/rank1/init"
cp "$WORK/lm.1/last.safetensors" "$WORK/rank1/init/"
cat >"$WORK/init_by_rank.sh" <<EOS
cd "$WORK/rank\$OMPI_COMM_WORLD_RANK"
exec "$RNNKIT" train --text "$text" --max-tokens 20000 --init-from init/last.safetensors --steps 5 \
  --batch 8 --threads 1 --out "$WORK/init_differs"
EOS
for differ in "--hidden 32 --dropout 0:dropout = 0.2, rank 0 0.0" \
  "--hidden 16 --dropout 0.2:hidden_size = 32, rank 0 16"; do
  rm -rf "$WORK/rank0"
  "$RNNKIT" train --text "$text" --max-tokens 20000 --embedding 16 --layers 2 ${differ%%:*} \
    --steps 1 --threads 1 --out "$WORK/rank0/init" >/dev/null 2>&1 || fail "rank 0's model"
  expect_error "ranks whose --init-from files differ" "rank 1 built a model with rnnkit.config.${differ#*:}" \
    timeout 60 "$MPIEXEC" --allow-run-as-root --oversubscribe -np 2 bash "$WORK/init_by_rank.sh"
done
# --resume given to some ranks only: each starts otherwise (one reads state.bin, the other its data),
# which left them waiting in different collectives for ever; refused at once, naming the rank.
cat >"$WORK/resume_on_one.sh" <<EOS
if [ "\$OMPI_COMM_WORLD_RANK" = 1 ]; then exec "$RNNKIT" train --resume "$WORK/lm.r" --steps 60
else exec "$RNNKIT" train --text "$text" --max-tokens 20000 --steps 5 --batch 8 --threads 1 \
  --out "$WORK/resume_on_one"; fi
EOS
expect_error "--resume on one rank only" "rank 1 resumes a run (--resume) where rank 0 starts a fresh run" \
  timeout 60 "$MPIEXEC" --allow-run-as-root --oversubscribe -np 2 bash "$WORK/resume_on_one.sh"
# A command that never trains, failing on one rank under mpirun, says why and ends (it started MPI
# only to report the error, and waited there for ranks that had gone).
cat >"$WORK/by_rank_eval.sh" <<EOS
file="$text"; [ "\$OMPI_COMM_WORLD_RANK" = 0 ] && file="$WORK/no_such.txt"
exec "$RNNKIT" eval -m "$WORK/lm.1/last.safetensors" --text "\$file" --threads 1
EOS
for _ in 1 2 3; do
  expect_error "an eval failing on rank 0 under mpirun" "no_such.txt" \
    timeout 60 "$MPIEXEC" --allow-run-as-root --oversubscribe -np 2 bash "$WORK/by_rank_eval.sh"
done
expect_error "srun tasks without MPI" "but no MPI process manager" \
  env SLURM_STEP_NUM_TASKS=2 "$RNNKIT" "${lm[@]}" --out "$WORK/srun"

# A rank killed mid-run: the job fails, and the last checkpoint resumes.
cat >"$WORK/kill.sh" <<EOS
"$RNNKIT" train --text "$text" --embedding 16 --hidden 64 --layers 2 --batch 8 --bptt 30 \
  --steps 100000 --checkpoint-every 5 --threads 1 --out "$WORK/killed" 2>/dev/null &
pid=\$!
if [ "\$OMPI_COMM_WORLD_RANK" = 1 ]; then
  for i in \$(seq 600); do [ -f "$WORK/killed/state.bin" ] && break; sleep 0.1; done
  sleep 1; kill -9 \$pid
fi
wait \$pid
EOS
if timeout 120 "$MPIEXEC" --allow-run-as-root --oversubscribe -np 2 bash "$WORK/kill.sh" >"$WORK/kill.log" 2>&1; then
  fail "a job with a killed rank exited 0"
fi
[ -f "$WORK/killed/state.bin" ] || fail "no checkpoint before the kill"
"$RNNKIT" train --resume "$WORK/killed" --steps 1 >"$WORK/resume_killed.log" 2>&1 ||
  fail "the checkpoint left by the killed job does not resume: $(cat "$WORK/resume_killed.log")"
"$RNNKIT" eval -m "$WORK/killed/last.safetensors" --text "$WORK/other.txt" >/dev/null 2>&1 ||
  fail "the model left by the killed job does not load"
finish
