#!/usr/bin/env bash
# `rnnkit serve` end to end on loopback with models trained here: every endpoint, answers equal
# to the command line's, event streams, the errors (400 naming the field, 422 naming the
# characters, 413, 404, 503 when the queue is full), a client hanging up mid-stream freeing its
# worker, and SIGTERM stopping the server even with a generation in flight.
# Called as: bash api.sh RNNKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/lib.sh"

train_text_model
train_poem_model

# --- a text model, one worker and no queue (no decode loop: batching.sh tests that) ----------
start_server "$tmp/text_server.log" --model "$tmp/text_run" --workers 1 --queue 0 --max-batch 1 \
  --max-tokens 100000 --max-prompt 50 --max-body 4096
text_server=$server_pid

request health GET /health
check "GET /health answers ok" \
  "[ \$(status_of health) = 200 ] && [ \"\$(json health 'j[\"status\"], j[\"workers\"], j[\"busy\"]')\" = \"('ok', 1, 0)\" ]"

request model GET /v1/model
check "GET /v1/model describes the model" \
  "[ \"\$(json model 'j[\"config\"][\"cell\"], j[\"config\"][\"hidden_size\"], j[\"config\"][\"num_layers\"], j[\"level\"], j[\"parameters\"] > 0')\" = \"('lstm', 512, 2, 'char', True)\" ]"
check "the vocabulary size is the model's" \
  "[ \"\$(json model 'j[\"vocab_size\"] == j[\"config\"][\"vocab_size\"]')\" = True ]"
check "a text model says why it writes no poems" \
  "json model 'j[\"poem_fault\"]' | grep -q '^this model cannot write poems: it needs a char-level vocabulary'"
cli_temp=$("$rnnkit" generate --help | sed -n 's/.*--temp FLOAT=\([0-9.]*\) .*/\1/p')
cli_top_p=$("$rnnkit" generate --help | sed -n 's/.*--top-p FLOAT=\([0-9.]*\) .*/\1/p')
check "the sampling defaults are the command line's" \
  "[ -n '$cli_temp' ] && [ \"\$(json model 'j[\"defaults\"][\"temperature\"] == float(\"$cli_temp\") and j[\"defaults\"][\"top_p\"] == float(\"$cli_top_p\")')\" = True ]"

# Generation equals `rnnkit generate` for the same seed.
request gen POST /v1/generate '{"prompt": "the ", "n": 40, "seed": 7}'
"$rnnkit" generate --model "$tmp/text_run" -p "the " -n 40 --seed 7 --no-echo >"$tmp/cli_gen" 2>/dev/null
printf '%s\n' "$(json gen 'j["text"]')" >"$tmp/server_gen"
check "POST /v1/generate answers 200 with 40 tokens" \
  "[ \$(status_of gen) = 200 ] && [ \"\$(json gen 'j[\"tokens\"], j[\"finish_reason\"], j[\"prompt\"], j[\"seed\"]')\" = \"(40, 'length', 'the ', 7)\" ]"
check "the text is the command line's for the same seed" "cmp -s '$tmp/cli_gen' '$tmp/server_gen'"
check "timing is reported" "[ \"\$(json gen 'j[\"seconds\"] > 0 and j[\"tokens_per_second\"] > 0')\" = True ]"
request gen_again POST /v1/generate '{"prompt": "the ", "n": 40, "seed": 7}'
request gen_other POST /v1/generate '{"prompt": "the ", "n": 40, "seed": 8}'
check "the same seed gives the same text, another seed another" \
  "[ \"\$(json gen 'j[\"text\"]')\" = \"\$(json gen_again 'j[\"text\"]')\" ] && [ \"\$(json gen 'j[\"text\"]')\" != \"\$(json gen_other 'j[\"text\"]')\" ]"
request gen_random POST /v1/generate '{"prompt": "the ", "n": 20}'
seed=$(json gen_random 'j["seed"]')
request gen_replay POST /v1/generate "{\"prompt\": \"the \", \"n\": 20, \"seed\": $seed}"
check "an absent seed is drawn, reported and replays the text" \
  "[ \"\$(json gen_random 'j[\"text\"]')\" = \"\$(json gen_replay 'j[\"text\"]')\" ]"
request greedy POST /v1/generate '{"prompt": "the ", "n": 30, "temperature": 0, "top_k": 5, "top_p": 0.9}'
"$rnnkit" generate --model "$tmp/text_run" -p "the " -n 30 --temp 0 --no-echo >"$tmp/cli_greedy" 2>/dev/null
printf '%s\n' "$(json greedy 'j["text"]')" >"$tmp/server_greedy"
check "greedy decoding equals the command line's" "cmp -s '$tmp/cli_greedy' '$tmp/server_greedy'"
# Beam search: width 1 is greedy decoding, width 4 the command line's --beam 4.
request beam1 POST /v1/generate '{"prompt": "the ", "n": 30, "beam": 1}'
printf '%s\n' "$(json beam1 'j["text"]')" >"$tmp/server_beam1"
check "\"beam\": 1 equals greedy decoding" \
  "[ \$(status_of beam1) = 200 ] && cmp -s '$tmp/cli_greedy' '$tmp/server_beam1'"
request beam4 POST /v1/generate '{"prompt": "the ", "n": 30, "beam": 4}'
"$rnnkit" generate --model "$tmp/text_run" -p "the " -n 30 --beam 4 --no-echo >"$tmp/cli_beam4" 2>/dev/null
printf '%s\n' "$(json beam4 'j["text"]')" >"$tmp/server_beam4"
check "\"beam\": 4 equals the command line's --beam 4" \
  "[ \$(status_of beam4) = 200 ] && cmp -s '$tmp/cli_beam4' '$tmp/server_beam4'"
check "a beam search reports no drawn seed (it draws nothing)" "[ \$(json beam4 'j[\"seed\"]') = 0 ]"
curl -sN --max-time 30 "$url/v1/generate" -H 'Content-Type: application/json' \
  -d '{"prompt": "the ", "n": 30, "beam": 4, "stream": true}' >"$tmp/beam_stream"
events "$tmp/beam_stream" '"".join(d["text"] for n, d in events if n == "")' >"$tmp/stream_beam4"
check "a streamed beam search sends the same text, then done" \
  "cmp -s '$tmp/cli_beam4' '$tmp/stream_beam4' && [ \"\$(events '$tmp/beam_stream' 'events[-1][0]')\" = done ]"

# Streaming: one event per token, each whole characters, then a done event with the summary.
curl -sN --max-time 30 "$url/v1/generate" -H 'Content-Type: application/json' \
  -d '{"prompt": "the ", "n": 300, "seed": 7, "stream": true}' -D "$tmp/stream.headers" \
  >"$tmp/stream"
request nonstream POST /v1/generate '{"prompt": "the ", "n": 300, "seed": 7}'
check "a stream is text/event-stream" "grep -qi '^content-type: text/event-stream' '$tmp/stream.headers'"
check "a stream has one event per token, then done" \
  "[ \"\$(events '$tmp/stream' '[n for n, _ in events] == [\"\"] * 300 + [\"done\"]')\" = True ]"
check "every streamed piece is one whole character" \
  "[ \"\$(events '$tmp/stream' 'all(len(d[\"text\"]) == 1 for n, d in events if n == \"\")')\" = True ]"
check "the streamed 4-byte characters arrive whole" \
  "[ \"\$(events '$tmp/stream' 'sum(d[\"text\"] == \"😀\" for n, d in events if n == \"\") > 0')\" = True ]"
check "the pieces make the text of the done event and of the plain answer" \
  "[ \"\$(events '$tmp/stream' '\"\".join(d[\"text\"] for n, d in events if n == \"\") == events[-1][1][\"text\"]')\" = True ] && [ \"\$(events '$tmp/stream' 'events[-1][1][\"text\"]')\" = \"\$(json nonstream 'j[\"text\"]')\" ]"

# Perplexity equals `rnnkit eval --json` on the same text.
printf 'the lazy dog jumps over the quick brown fox. 明月光。' >"$tmp/eval.txt"
request ppl POST /v1/perplexity '{"text": "the lazy dog jumps over the quick brown fox. 明月光。"}'
"$rnnkit" eval --model "$tmp/text_run" --text "$tmp/eval.txt" --json >"$tmp/cli_ppl" 2>/dev/null
check "POST /v1/perplexity equals rnnkit eval --json" \
  "[ \$(status_of ppl) = 200 ] && [ \"\$(json ppl '(j[\"perplexity\"], j[\"tokens\"])')\" = \"\$(json cli_ppl '(j[\"perplexity\"], j[\"tokens\"])')\" ]"

# A byte order mark and CRLF line ends read as eval reads them in a file: dropped, and as LF.
printf '\xEF\xBB\xBFthe dog\r\nthe fox\r\n' >"$tmp/eval_crlf.txt"
request ppl_crlf POST /v1/perplexity '{"text": "\ufeffthe dog\r\nthe fox\r\n"}'
"$rnnkit" eval --model "$tmp/text_run" --text "$tmp/eval_crlf.txt" --json >"$tmp/cli_ppl_crlf" 2>/dev/null
check "POST /v1/perplexity reads a BOM and CRLF as rnnkit eval reads a file" \
  "[ \$(status_of ppl_crlf) = 200 ] && [ \"\$(json ppl_crlf '(j[\"perplexity\"], j[\"tokens\"])')\" = \"\$(json cli_ppl_crlf '(j[\"perplexity\"], j[\"tokens\"])')\" ]"

# Errors: a JSON body naming what is wrong.
expect_error() {  # expect_error NAME STATUS FIELD_OR_EMPTY FRAGMENT METHOD PATH [BODY]
  local name=$1 status=$2 field=$3 fragment=$4
  shift 4
  request "$name" "$@"
  check "$name: $status${field:+ naming field $field}" \
    "[ \$(status_of $name) = $status ] && [ \"\$(json $name 'j.get(\"field\", \"\")')\" = '$field' ] && grep -qF -- '$fragment' '$tmp/$name'"
}
expect_error malformed 400 "" "not valid JSON" POST /v1/generate '{"prompt": "the "'
expect_error not_object 400 "" "must be a JSON object" POST /v1/generate '["the "]'
expect_error overflow 400 "" "a number beyond the range of a double" POST /v1/generate '{"prompt": "the ", "n": 1e400}'
expect_error wrong_type 400 n "must be an integer" POST /v1/generate '{"prompt": "the ", "n": "5"}'
expect_error fraction 400 n "must be an integer" POST /v1/generate '{"prompt": "the ", "n": 2.5}'
expect_error unknown_field 400 temp "unknown field" POST /v1/generate '{"prompt": "the ", "temp": 1}'
expect_error bad_temperature 400 temperature "must be a number" POST /v1/generate '{"prompt": "the ", "temperature": "hot"}'
expect_error huge_temperature 400 temperature "finite" POST /v1/generate '{"prompt": "the ", "temperature": 1e300}'
expect_error bad_top_p 400 top_p "must be in (0, 1]" POST /v1/generate '{"prompt": "the ", "top_p": 2}'
expect_error negative_top_k 400 top_k "must be in" POST /v1/generate '{"prompt": "the ", "top_k": -1}'
expect_error negative_seed 400 seed "must be an integer" POST /v1/generate '{"prompt": "the ", "seed": -1}'
expect_error bad_stream 400 stream "true or false" POST /v1/generate '{"prompt": "the ", "stream": 1}'
expect_error beam_zero 400 beam "must be in 1..256" POST /v1/generate '{"prompt": "the ", "beam": 0}'
expect_error beam_wide 400 beam "must be in 1..256" POST /v1/generate '{"prompt": "the ", "beam": 257}'
# Beam search draws nothing: a sampling field beside it is refused even at its default value.
expect_error beam_seed 400 seed "draws nothing" POST /v1/generate '{"prompt": "the ", "beam": 2, "seed": 0}'
expect_error beam_temperature 400 temperature "draws nothing" POST /v1/generate '{"prompt": "the ", "beam": 2, "temperature": 0.8}'
expect_error beam_top_k 400 top_k "draws nothing" POST /v1/generate '{"prompt": "the ", "top_k": 0, "beam": 2}'
expect_error too_many_tokens 400 n "must be in -1..100000" POST /v1/generate '{"prompt": "the ", "n": 100001}'
expect_error long_prompt 400 prompt "at most 50" POST /v1/generate "{\"prompt\": \"$(printf 'a%.0s' $(seq 51))\"}"
expect_error empty_prompt 400 prompt "is required" POST /v1/generate '{"n": 3}'
expect_error outside_vocabulary 422 "" '\"Ω\"' POST /v1/generate '{"prompt": "the Ωmega"}'
expect_error outside_vocabulary_stream 422 "" '\"Ω\"' POST /v1/generate '{"prompt": "the Ωmega", "stream": true}'
expect_error perplexity_outside 422 "" '\"Ω\"' POST /v1/perplexity '{"text": "the Ω"}'
expect_error perplexity_missing 400 text "required" POST /v1/perplexity '{}'
expect_error perplexity_short 400 "" "at least 2 tokens" POST /v1/perplexity '{"text": "t"}'
expect_error too_large 413 "" "too large" POST /v1/generate "{\"prompt\": \"$(head -c 5000 /dev/zero | tr '\0' a)\"}"
expect_error no_endpoint 404 "" "no endpoint" GET /v1/nothing
expect_error get_generate 405 "" "GET is not allowed on /v1/generate: it takes POST" GET /v1/generate
expect_error delete_health 405 "" "it takes GET, HEAD, OPTIONS" DELETE /health
check "a 405 names the endpoint's methods in Allow" \
  "grep -qi '^allow: POST, OPTIONS' '$tmp/get_generate.headers' && grep -qi '^allow: GET, HEAD, OPTIONS' '$tmp/delete_health.headers'"
request options_poem OPTIONS /v1/poem
request options_page OPTIONS /
check "OPTIONS answers 204 with the endpoint's methods" \
  "[ \$(status_of options_poem) = 204 ] && grep -qi '^allow: POST, OPTIONS' '$tmp/options_poem.headers' && [ \$(status_of options_page) = 204 ] && grep -qi '^allow: GET, HEAD, OPTIONS' '$tmp/options_page.headers'"
expect_error options_nothing 404 "" "no endpoint /v1/nothing" OPTIONS /v1/nothing
curl -s -o /dev/null -D "$tmp/options_server.headers" -X OPTIONS --request-target '*' "$url/" --max-time 30
check "OPTIONS * names every method the server takes" \
  "grep -qi '^allow: GET, HEAD, POST, OPTIONS' '$tmp/options_server.headers'"

# A generation in flight holds the only worker: the next request gets 503 at once; when its
# client hangs up, the worker is free again.
hold_stream long_stream
long_client=$held_pid
request busy_health GET /health
check "the long generation holds the worker" "[ \"\$(json busy_health 'j[\"busy\"]')\" = 1 ]"
started=$(date +%s%N)
expect_error queue_full 503 "" "busy and " POST /v1/generate '{"prompt": "the ", "n": 5}'
check "the 503 comes at once" "[ \$(( ($(date +%s%N) - started) / 1000000 )) -lt 5000 ]"
expect_error queue_full_perplexity 503 "" "busy and " POST /v1/perplexity '{"text": "the dog"}'
kill "$long_client" 2>/dev/null
wait "$long_client" 2>/dev/null
check "a client hanging up mid-stream frees its worker within 10 s" \
  "health_until idle_health 'j[\"busy\"] == 0'"
check "the hung-up stream was cut short" "[ \$(grep -c '^data: ' '$tmp/long_stream') -lt 100000 ] && ! grep -q '^event: done' '$tmp/long_stream'"
request after POST /v1/generate '{"prompt": "the ", "n": 5}'
check "the freed worker serves the next request" "[ \$(status_of after) = 200 ]"

# SIGTERM stops the server cleanly although a generation is in flight.
hold_stream cut_stream
cut_client=$held_pid
check "SIGTERM stops the server with status 0 within 10 s" "stop_server $text_server"
check "the server says it stopped" "grep -q '^rnnkit serve: stopped' '$tmp/text_server.log'"
wait "$cut_client" 2>/dev/null
check "the stream in flight ended" "! grep -q '^event: done' '$tmp/cut_stream'"
check "the stream in flight ended with an error event saying why" \
  "tail -2 '$tmp/cut_stream' | grep -q '^data: {\"error\":\"the server is stopping; this stream ends here\"}' && grep -q '^event: error' '$tmp/cut_stream'"

# --- a poem model -----------------------------------------------------------------------------
start_server "$tmp/poem_server.log" --model "$tmp/poem_run" --workers 2 --max-count 5
poem_server=$server_pid
request poem_model GET /v1/model
check "a poem model has no poem fault" "[ \"\$(json poem_model 'j[\"poem_fault\"]')\" = None ]"

request page GET /
check "GET / serves the poem page" \
  "[ \$(status_of page) = 200 ] && grep -q '<meta name=\"viewport\"' '$tmp/page' && grep -q '藏头' '$tmp/page'"

request poem POST /v1/poem '{"start": "床前看月光", "seed": 1}'
"$rnnkit" poem --model "$tmp/poem_run" --start 床前看月光 --seed 1 >"$tmp/cli_poem" 2>/dev/null
json poem 'j["poems"][0]["text"]' | sed '$d' >"$tmp/server_poem"
check "POST /v1/poem equals rnnkit poem for the same seed" \
  "[ \$(status_of poem) = 200 ] && cmp -s '$tmp/cli_poem' '$tmp/server_poem'"
check "the poem has 2 couplets of 5-character lines" \
  "[ \"\$(json poem 'all(__import__(\"re\").fullmatch(\"[^，。]{5}，[^，。]{5}。\", c) for c in j[\"poems\"][0][\"couplets\"]) and len(j[\"poems\"][0][\"couplets\"])')\" = 2 ]"

request ruled POST /v1/poem '{"start": "床前看月光", "seed": 2, "rhyme": true, "tones": true}'
"$rnnkit" poem --model "$tmp/poem_run" --start 床前看月光 --seed 2 --rhyme --tones \
  >"$tmp/cli_ruled" 2>/dev/null
"$rnnkit" poem --model "$tmp/poem_run" --start 床前看月光 --seed 2 >"$tmp/cli_free" 2>/dev/null
json ruled 'j["poems"][0]["text"]' | sed '$d' >"$tmp/server_ruled"
check "rhyme and tones in POST /v1/poem are rnnkit poem's --rhyme --tones" \
  "[ \$(status_of ruled) = 200 ] && cmp -s '$tmp/cli_ruled' '$tmp/server_ruled' && ! cmp -s '$tmp/cli_free' '$tmp/server_ruled'"

request acrostic POST /v1/poem '{"acrostic": "春花白日", "form": 7, "temperature": 1.0, "top_k": 20, "top_p": 0.95, "seed": 3}'
check "an acrostic of 7-character lines starts each line with its head" \
  "[ \"\$(json acrostic '[l[0] for c in j[\"poems\"][0][\"couplets\"] for l in c[:-1].split(\"，\")]')\" = \"['春', '花', '白', '日']\" ] && [ \"\$(json acrostic 'all(__import__(\"re\").fullmatch(\"[^，。]{7}，[^，。]{7}。\", c) for c in j[\"poems\"][0][\"couplets\"])')\" = True ]"

request count POST /v1/poem '{"start": "床前看月光", "count": 3, "lines": 2, "seed": 5}'
request seed6 POST /v1/poem '{"start": "床前看月光", "lines": 2, "seed": 6}'
check "count 3 writes 3 poems, poem k with seed + k" \
  "[ \"\$(json count '[p[\"seed\"] for p in j[\"poems\"]]')\" = '[5, 6, 7]' ] && [ \"\$(json count 'j[\"poems\"][1][\"text\"]')\" = \"\$(json seed6 'j[\"poems\"][0][\"text\"]')\" ]"

curl -sN --max-time 30 "$url/v1/poem" -H 'Content-Type: application/json' \
  -d '{"start": "床前看月光", "seed": 1, "count": 2, "stream": true}' >"$tmp/poem_stream"
check "a poem streams character by character, then done" \
  "[ \"\$(events '$tmp/poem_stream' 'all(len(d[\"text\"]) == 1 for n, d in events if n == \"\") and events[-1][0] == \"done\"')\" = True ]"
check "the streamed poems are the done event's" \
  "[ \"\$(events '$tmp/poem_stream' '[\"\".join(d[\"text\"] for n, d in events if n == \"\" and d[\"poem\"] == k) for k in (0, 1)] == [p[\"text\"] for p in events[-1][1][\"poems\"]]')\" = True ]"

expect_error poem_outside 422 "" '\"夏\"' POST /v1/poem '{"acrostic": "春夏"}'
expect_error poem_outside_stream 422 "" '\"夏\"' POST /v1/poem '{"acrostic": "春夏", "stream": true}'
expect_error poem_form 400 form "5 or 7" POST /v1/poem '{"start": "床前看月光", "form": 6}'
expect_error poem_form_float 400 form "must be 5 or 7" POST /v1/poem '{"start": "床前看月光", "form": 5.0}'
expect_error poem_style 400 style "at most 1000" POST /v1/poem "{\"start\": \"床前看月光\", \"style\": \"$(printf '月%.0s' $(seq 1001))\"}"
expect_error poem_lines 400 lines "must be in 1..16" POST /v1/poem '{"start": "床前看月光", "lines": 17}'
expect_error poem_count 400 count "must be in 1..5" POST /v1/poem '{"start": "床前看月光", "count": 6}'
expect_error poem_both 400 "" "not both" POST /v1/poem '{"start": "床前看月光", "acrostic": "春花"}'
expect_error poem_neither 400 "" "start" POST /v1/poem '{"seed": 1}'
expect_error poem_unknown 400 heads "unknown field" POST /v1/poem '{"heads": "春花"}'
expect_error poem_non_han 400 "" "Han" POST /v1/poem '{"acrostic": "春a"}'

check "the poem server stops on SIGTERM" "stop_server $poem_server"
finish
