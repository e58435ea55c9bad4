#!/usr/bin/env bash
# The decode loop (--max-batch): concurrent /v1/generate and /v1/poem requests, decoded together,
# answer exactly what each answers served alone (sequentially, and by a server without batching),
# with float32 weights and with int8 ones (rnnkit quantize);
# a streaming client that hangs up leaves the batch without disturbing the others; a full loop
# and queue answer 503; the server's stop answers a request in flight that is not streamed 503.
# Called as: bash batching.sh RNNKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/lib.sh"

train_text_model
train_poem_model

generate_bodies=(
  '{"prompt": "the ", "n": 60, "seed": 1}'
  '{"prompt": "the quick ", "n": 25, "seed": 2, "temperature": 0.5}'
  '{"prompt": "fox ", "n": 80, "seed": 3, "top_k": 5}'
  '{"prompt": "床前", "n": 40, "seed": 4, "top_p": 0.9}'
  '{"prompt": "a", "n": 10, "seed": 5, "temperature": 0}'
  '{"prompt": "lazy dog", "n": 70, "seed": 6, "temperature": 1.2}'
)
poem_bodies=()  # the text model writes no poems; the poem model's requests are below

# ask_all PREFIX CONCURRENT: every request of both lists to $url, at once (CONCURRENT=1) or one
# by one; answers in $tmp/PREFIX_gen_I and $tmp/PREFIX_poem_I.
ask_all() {
  local prefix=$1 concurrent=$2 i pids=()
  post() {  # post NAME PATH BODY
    curl -s --max-time 120 "$url$2" -H 'Content-Type: application/json' -d "$3" -o "$tmp/$1" &
    pids+=($!)
    [ "$concurrent" = 1 ] || wait "$!"
  }
  for i in "${!generate_bodies[@]}"; do post "${prefix}_gen_$i" /v1/generate "${generate_bodies[$i]}"; done
  for i in "${!poem_bodies[@]}"; do post "${prefix}_poem_$i" /v1/poem "${poem_bodies[$i]}"; done
  wait "${pids[@]}"
}

# same_outputs A B: the texts of every answer of run A equal those of run B (and are texts).
same_outputs() {
  local i
  for i in "${!generate_bodies[@]}"; do
    [ "$(json "$1_gen_$i" 'j["text"], j["tokens"]')" = "$(json "$2_gen_$i" 'j["text"], j["tokens"]')" ] &&
      [ "$(json "$1_gen_$i" 'len(j["text"]) > 0')" = True ] || return 1
  done
  for i in "${!poem_bodies[@]}"; do
    [ "$(json "$1_poem_$i" '[p["text"] for p in j["poems"]]')" = "$(json "$2_poem_$i" '[p["text"] for p in j["poems"]]')" ] &&
      [ "$(json "$1_poem_$i" 'len(j["poems"][0]["text"]) > 0')" = True ] || return 1
  done
}

# --- the text model ----------------------------------------------------------------------------
start_server "$tmp/batched.log" --model "$tmp/text_run" --max-batch 8 --queue 16 --max-tokens 100000
batched=$server_pid
ask_all text_sequential 0
# A stream held open in each of the two loops (a new request goes to the loop with the fewest):
# every concurrent request decodes beside one, however its curl is scheduled on a loaded machine.
hold_stream text_hold_a
holds=("$held_pid")
hold_stream text_hold_b
holds+=("$held_pid")
request held_twice GET /health
ask_all text_concurrent 1
request health GET /health
kill "${holds[@]}" 2>/dev/null
wait "${holds[@]}" 2>/dev/null
check "a held stream runs in each loop" \
  "[ \"\$(json held_twice 'j[\"batch\"][\"loops\"], j[\"batch\"][\"running\"], j[\"batch\"][\"widest\"]')\" = '(2, 2, 1)' ]"
check "the concurrent requests were decoded together with the held streams" \
  "[ \"\$(json health 'j[\"batch\"][\"max_batch\"] == 8 and j[\"batch\"][\"widest\"] >= 2')\" = True ]"
check "every answer has its text" "[ \"\$(json text_concurrent_gen_0 'j[\"tokens\"]')\" = 60 ]"
"$rnnkit" generate --model "$tmp/text_run" -p "fox " -n 80 --seed 3 --top-k 5 --no-echo >"$tmp/cli_gen" 2>/dev/null
printf '%s\n' "$(json text_concurrent_gen_2 'j["text"]')" >"$tmp/batched_gen"
check "a batched answer is the command line's for the same seed" "cmp -s '$tmp/cli_gen' '$tmp/batched_gen'"

start_server "$tmp/unbatched.log" --model "$tmp/text_run" --max-batch 1 --workers 2
unbatched=$server_pid
ask_all text_unbatched 1
request health_unbatched GET /health
check "with --max-batch 1 there is no decode loop" "[ \"\$(json health_unbatched '\"batch\" in j')\" = False ]"

# A stream whose client hangs up leaves the batch; the requests decoded beside it are unchanged.
url_batched=$(sed -n 's|^rnnkit serve: listening on \(http://[^ ]*\) .*|\1|p' "$tmp/batched.log")
url=$url_batched
hold_stream long_stream
hangup=$held_pid
ask_all text_beside_hangup 1
kill "$hangup" 2>/dev/null
wait "$hangup" 2>/dev/null
check "the hung-up stream was cut short" "! grep -q '^event: done' '$tmp/long_stream' && grep -q '^data: ' '$tmp/long_stream'"
check "the hung-up request left the batch" "health_until after_hangup 'j[\"batch\"][\"running\"] == 0'"

check "concurrent answers equal sequential ones" "same_outputs text_concurrent text_sequential"
check "concurrent answers equal those of a server without batching" "same_outputs text_concurrent text_unbatched"
check "answers beside a hung-up stream are unchanged" "same_outputs text_beside_hangup text_sequential"

# A streamed batched generation sends the same text as the plain answer.
curl -sN --max-time 60 "$url/v1/generate" -H 'Content-Type: application/json' \
  -d '{"prompt": "the ", "n": 60, "seed": 1, "stream": true}' >"$tmp/stream"
check "a stream in the loop carries the same text" \
  "[ \"\$(events '$tmp/stream' '\"\".join(d[\"text\"] for n, d in events if n == \"\")')\" = \"\$(json text_sequential_gen_0 'j[\"text\"]')\" ]"

# Two loops of two places and no queue: four requests decode at once (both loops take theirs),
# the fifth is answered 503 at once.
stop_server "$batched"
start_server "$tmp/small.log" --model "$tmp/text_run" --workers 2 --max-batch 2 --queue 0 --max-tokens 100000
pids=()
for seed in 1 2 3 4; do
  curl -sN --max-time 60 "$url/v1/generate" -H 'Content-Type: application/json' \
    -d "{\"prompt\": \"the \", \"n\": 100000, \"seed\": $seed, \"stream\": true}" >"$tmp/hold_$seed" &
  pids+=($!)
done
for _ in $(seq 100); do
  grep -q '^data: ' "$tmp/hold_1" && grep -q '^data: ' "$tmp/hold_2" && grep -q '^data: ' "$tmp/hold_3" &&
    grep -q '^data: ' "$tmp/hold_4" && break
  sleep 0.1
done
request held GET /health
check "four requests decode at once in two loops of two" \
  "[ \"\$(json held 'j[\"batch\"][\"loops\"], j[\"batch\"][\"running\"], j[\"batch\"][\"widest\"]')\" = '(2, 4, 2)' ]"
request full POST /v1/generate '{"prompt": "the ", "n": 5}'
check "full loops answer 503" "[ \$(status_of full) = 503 ] && grep -q 'all 4 batch places' '$tmp/full'"
kill "${pids[@]}" 2>/dev/null
wait "${pids[@]}" 2>/dev/null

# --- a request answered whole whose client hangs up stops (a 100000-token generation, about 6 s
# alone on this model and longer on a loaded machine, would hold its place to the end) ----------
for batch in 8 1; do
  start_server "$tmp/gone_$batch.log" --model "$tmp/text_run" --max-batch "$batch" --workers 1 \
    --threads 1 --max-tokens 100000
  curl -s --max-time 0.5 "$url/v1/generate" -d '{"prompt": "the ", "n": 100000, "seed": 1}' \
    >/dev/null
  left=no
  deadline=$(($(date +%s) + 3))
  while [ "$(date +%s)" -le "$deadline" ]; do
    request gone_$batch GET /health
    [ "$(json gone_$batch 'j["busy"] + j.get("batch", {}).get("running", 0)')" = 0 ] && { left=yes; break; }
    sleep 0.1
  done
  check "--max-batch $batch: an unstreamed generation whose client hung up stops within 3 s" \
    "[ $left = yes ]"
  stop_server "$server_pid"
done

# --- the server's stop: a request answered whole (a beam search too) gets 503 at once, never a 200
# with a cut answer
for batch in 8 1; do
  start_server "$tmp/stop_$batch.log" --model "$tmp/text_run" --max-batch "$batch" --workers 2 \
    --max-tokens 100000
  curl -s --max-time 60 "$url/v1/generate" -d '{"prompt": "the ", "n": 100000, "seed": 1}' \
    -o "$tmp/cut_$batch" -w '%{http_code}' >"$tmp/cut_$batch.status" &
  clients=($!)
  health_until running_$batch 'j["busy"] + j.get("batch", {}).get("running", 0) >= 1'
  cut=(cut_$batch)
  if [ "$batch" = 8 ]; then
    # Beam search runs on a worker, outside the batch: the stop cuts it between its steps (this
    # one would take minutes to the end, past stop_server's 10 s).
    curl -s --max-time 60 "$url/v1/generate" -d '{"prompt": "the ", "n": 100000, "beam": 64}' \
      -o "$tmp/cut_beam" -w '%{http_code}' >"$tmp/cut_beam.status" &
    clients+=($!)
    cut+=(cut_beam)
    check "--max-batch 8: a beam search runs on a worker" "health_until searching 'j[\"busy\"] >= 1'"
  fi
  if [ "$batch" = 1 ]; then
    # Both workers busy: a third request waits for one, and is cut by the stop as well.
    for extra in a b; do
      curl -s --max-time 60 "$url/v1/generate" -d '{"prompt": "the ", "n": 100000, "seed": 2}' \
        -o "$tmp/cut_1$extra" -w '%{http_code}' >"$tmp/cut_1$extra.status" &
      clients+=($!)
      cut+=(cut_1$extra)
    done
    check "--max-batch 1: a request waits for a worker" "health_until queued 'j[\"waiting\"] >= 1'"
  fi
  check "--max-batch $batch: the server stops with an unstreamed generation in flight" \
    "stop_server $server_pid"
  wait "${clients[@]}"
  for name in "${cut[@]}"; do
    check "--max-batch $batch: $name gets 503 saying it was not finished" \
      "[ \$(cat '$tmp/$name.status') = 503 ] && grep -q 'shutting down; this request was not finished' '$tmp/$name'"
  done
done

# --- the poem model: poems and text decoded together ---------------------------------------
start_server "$tmp/poem_batched.log" --model "$tmp/poem_run" --max-batch 8
poem_bodies=(
  '{"start": "床前看月光", "seed": 7}'
  '{"acrostic": "床山", "seed": 8, "rhyme": true}'
  '{"start": "床前", "form": 7, "lines": 2, "seed": 9, "tones": true, "count": 2}'
  '{"start": "疑是地上霜", "seed": 10, "temperature": 1.5, "top_k": 20}'
)
generate_bodies=('{"prompt": "床前", "n": 30, "seed": 11}' '{"prompt": "春", "n": 12, "seed": 12, "top_k": 3}')
ask_all poem_sequential 0
ask_all poem_concurrent 1
check "poems decoded together equal poems decoded alone" "same_outputs poem_concurrent poem_sequential"
start_server "$tmp/poem_unbatched.log" --model "$tmp/poem_run" --max-batch 1
ask_all poem_unbatched 1
check "poems decoded together equal those of a server without batching" "same_outputs poem_concurrent poem_unbatched"
check "a poem answer has its couplets" "[ \"\$(json poem_concurrent_poem_2 'len(j[\"poems\"]), len(j[\"poems\"][1][\"couplets\"])')\" = '(2, 1)' ]"

# --- the text model quantized: a batched step's int8 products give each row its bits alone ---
# A stream held open keeps the one decode loop busy, so every request below decodes beside it.
"$rnnkit" quantize "$tmp/text_run" "$tmp/text_int8.safetensors" >/dev/null
generate_bodies=(
  '{"prompt": "the ", "n": 60, "seed": 1}'
  '{"prompt": "fox ", "n": 80, "seed": 3, "top_k": 5}'
  '{"prompt": "lazy dog", "n": 70, "seed": 6, "temperature": 1.2}'
)
poem_bodies=()
start_server "$tmp/int8_batched.log" --model "$tmp/text_int8.safetensors" --max-batch 8 \
  --workers 1 --max-tokens 100000
request int8_model GET /v1/model
check "/v1/model says the weights are int8 and the batch 8 rows wide" \
  "[ \"\$(json int8_model 'j[\"int8_weights\"], j[\"max_batch\"], j[\"bf16\"]')\" = '(True, 8, False)' ]"
hold_stream int8_hold
hold=$held_pid
ask_all int8_concurrent 1
request int8_health GET /health
kill "$hold" 2>/dev/null
wait "$hold" 2>/dev/null
check "the int8 requests were decoded beside the held stream" \
  "[ \"\$(json int8_health 'j[\"batch\"][\"widest\"] >= 2')\" = True ]"
start_server "$tmp/int8_unbatched.log" --model "$tmp/text_int8.safetensors" --max-batch 1
ask_all int8_unbatched 1
check "int8 answers decoded together equal those of a server without batching" \
  "same_outputs int8_concurrent int8_unbatched"

finish
