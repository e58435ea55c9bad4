# rnnkit train: every checkpoint makes metrics.jsonl durable (fsync) before state.bin commits it,
# so that after a power loss the resumed run's history lacks none of the lines before its step.
# Watched with strace; skipped (exit 77) where strace is missing.
source "$(dirname "$0")/lib.sh"
if ! command -v strace >/dev/null; then
  echo "skipped: no strace"
  exit 77
fi
printf 'the quick brown fox jumps over the lazy dog. %.0s' $(seq 100) >"$WORK/text.txt"
strace -f -qq -e trace=openat,fsync,rename -o "$WORK/trace" \
  "$RNNKIT" train --text "$WORK/text.txt" --out "$WORK/run" --steps 6 --checkpoint-every 2 \
  --hidden 16 --bptt 8 --batch 4 --threads 1 >/dev/null 2>&1 || fail "training under strace"
# For each rename onto state.bin: was a descriptor of metrics.jsonl fsync'd since the last one?
verdict=$(awk '
  /openat\(/ && / = [0-9]+$/ { split($0, q, "\""); fd = $NF; path[fd] = q[2] }
  /fsync\(/ && / = 0$/ { match($0, /fsync\([0-9]+/); fd = substr($0, RSTART + 6, RLENGTH - 6)
                         if (path[fd] ~ /\/metrics\.jsonl$/) synced = 1 }
  /rename\(/ && /\/state\.bin"\)/ { commits++; if (!synced) unsynced++; synced = 0 }
  END { print commits + 0, unsynced + 0 }' "$WORK/trace")
read -r commits unsynced <<<"$verdict"
[ "$commits" -ge 3 ] || fail "expected at least 3 checkpoints in the trace, saw $commits"
[ "$unsynced" -eq 0 ] || fail "$unsynced of $commits checkpoints committed state.bin before syncing metrics.jsonl"
finish
