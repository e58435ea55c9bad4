#!/usr/bin/env bash
# `rnnkit serve` under hostile bodies: a bounded run of random bytes, truncated and deeply nested
# JSON, huge numbers and wrong types against every POST endpoint. Every request must get an
# HTTP answer that is a refusal (400, 413, 422) or a success, never a server error or a dropped
# connection, and the server must stay up and answer /health throughout. Every body derives from
# one seed, printed first: FUZZ_SEED=N replays a run body for body. Bodies that got a bad answer
# are kept in FUZZ_FAILURES (by default a directory named after the seed under $TMPDIR), which the
# output names.
# Called as: [FUZZ_SEED=N] [FUZZ_FAILURES=DIR] bash fuzz.sh RNNKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/lib.sh"
seed=${FUZZ_SEED:-$((($(date +%s%N) / 1000) % 32768))}
failures_dir=${FUZZ_FAILURES:-${TMPDIR:-/tmp}/rnnkit-fuzz-seed-$seed}
echo "fuzz seed $seed (replay: FUZZ_SEED=$seed bash $0 $*)"
RANDOM=$seed

# random_bytes COUNT: COUNT bytes drawn from $RANDOM, so that the seed replays them. $RANDOM is
# only read in this shell: bash seeds each subshell (a pipeline's stages) afresh.
random_bytes() {
  local i codes=()
  for ((i = 0; i < $1; i++)); do codes+=($((RANDOM % 256))); done
  printf '%b' "$(printf '\\x%02x' "${codes[@]}")"
}

train_poem_model
start_server "$tmp/server.log" --model "$tmp/poem_run" --workers 2 --queue 4 --max-body 16384 \
  --max-tokens 200
endpoints=(/v1/generate /v1/poem /v1/perplexity)
valid=(
  '{"prompt": "床前", "n": 20, "seed": 1}'
  '{"start": "床前看月光", "seed": 1}'
  '{"text": "床前看月光，疑是地上霜。"}'
)
fields=(prompt n temperature top_k top_p seed stream start acrostic form lines count style text)
odd_values=('null' 'true' '-1' '0' '1e400' '-1e400' '18446744073709551616' '-9223372036854775809'
  '1.5' '"床前看月光"' '"\u0000"' '"\ud800"' '[]' '{}' '[[[[1]]]]' '""' '"😀😀😀"' '9007199254740993')
bad_answers=0

# send NAME PATH BODY_FILE: one request; counts any answer other than 200, 400, 413 or 422.
send() {
  local status
  cat "$3" >>"$tmp/all_bodies"
  status=$(curl -s -o "$tmp/answer" -w '%{http_code}' --max-time 20 -X POST \
    -H 'Content-Type: application/json' --data-binary "@$3" "$url$2")
  case $status in
    200 | 400 | 413 | 422) ;;
    *)
      bad_answers=$((bad_answers + 1))
      echo "unexpected answer $status to $1 on $2: $(head -c 300 "$tmp/answer")" >&2
      mkdir -p "$failures_dir"
      cp "$3" "$failures_dir/body_$bad_answers"
      echo "  its body is kept as $failures_dir/body_$bad_answers" >&2
      ;;
  esac
}

health_ok() {
  request health GET /health && [ "$(status_of health)" = 200 ] && kill -0 "$server_pid"
}

for round in $(seq 40); do
  for e in 0 1 2; do
    path=${endpoints[$e]}
    random_bytes $((RANDOM % 2000 + 1)) >"$tmp/random"
    send "random bytes" "$path" "$tmp/random"
    body=${valid[$e]}
    printf '%s' "${body:0:$((RANDOM % ${#body}))}" >"$tmp/truncated"
    send "truncated JSON" "$path" "$tmp/truncated"
    depth=$((RANDOM % 8000 + 1))
    { printf '{"prompt": '; head -c "$depth" /dev/zero | tr '\0' '['; head -c "$depth" /dev/zero | tr '\0' ']'; printf '}'; } >"$tmp/nested"
    send "deep nesting" "$path" "$tmp/nested"
    field=${fields[$((RANDOM % ${#fields[@]}))]}
    value=${odd_values[$((RANDOM % ${#odd_values[@]}))]}
    printf '%s' "${body%\}}, \"$field\": $value}" >"$tmp/typed"
    send "$field = $value" "$path" "$tmp/typed"
    cut=$((RANDOM % 40 + 1))
    printf '%s' "$body" | head -c "$cut" >"$tmp/prefix"
    random_bytes 64 >>"$tmp/prefix"
    send "JSON prefix and garbage" "$path" "$tmp/prefix"
  done
  if [ $((round % 10)) -eq 0 ]; then
    health_ok || { echo "FAIL: the server stopped answering after round $round" >&2; exit 1; }
  fi
done

echo "bodies sent: $(wc -c <"$tmp/all_bodies") bytes, md5 $(md5sum <"$tmp/all_bodies" | cut -c1-32) (seed $seed)"
[ "$bad_answers" -gt 0 ] && echo "$bad_answers bodies with bad answers are kept in $failures_dir (replay: FUZZ_SEED=$seed)" >&2
check "every hostile body got a refusal or an answer, never a server error" "[ $bad_answers -eq 0 ]"
check "the server is up and answers /health after 600 hostile requests" "health_ok"
request still_works POST /v1/poem '{"start": "床前看月光", "seed": 1}'
check "the server still writes poems" "[ \$(status_of still_works) = 200 ]"
check "the server stops cleanly on SIGTERM" "stop_server $server_pid"
finish
