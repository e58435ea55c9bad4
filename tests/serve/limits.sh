#!/usr/bin/env bash
# `rnnkit serve` against clients that try to exhaust it: huge chunked bodies, header lines and
# header counts (memory stays bounded, the client gets 413/431), 200 slow or idle connections
# (/health keeps answering, a trickling client gets 408), the connection limit (503), option
# ranges (no overflow, no deadlock), multi-range requests, ranges and content types of API requests,
# duplicate JSON keys, request smuggling framing, a second server on the port, and the model path
# not shown to clients.
# Called as: bash limits.sh RNNKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/lib.sh"
trap '' PIPE  # writes to a connection the server has closed fail instead of ending the script

train_poem_model
model=$tmp/poem_run

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

# raw_status FD: the status code of the response on connection FD (empty when none came in 10 s).
raw_status() { timeout 10 head -n 1 <&"$1" | sed -n 's|^HTTP/1\.1 \([0-9]*\) .*|\1|p'; }

# --- option ranges: refused at startup, never a deadlock --------------------------------------
for bad in "--queue 100000000" "--queue 2147483647" "--workers 0" "--workers 100000" \
  "--max-connections 0" "--max-connections 100000" "--request-timeout 0" "--max-count 2147483647" \
  "--max-tokens 100001" "--threads 100000"; do
  timeout -k 5 20 "$rnnkit" serve --port 0 --model "$model" $bad >"$tmp/bad_option.log" 2>&1
  rc=$?
  check "serve $bad is refused at startup naming ${bad%% *}" \
    "[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q -- '${bad%% *} must be in' '$tmp/bad_option.log'"
done

start_server "$tmp/server.log" --model "$model" --max-body 16384 --request-timeout 3
rss_start=$(rss_kb "$server_pid")

# --- every part of a request is bounded ------------------------------------------------------
status=$(head -c 1000000000 /dev/zero | curl -s -o "$tmp/chunked" -w '%{http_code}' --max-time 60 \
  -X POST -H 'Transfer-Encoding: chunked' --data-binary @- "$url/v1/perplexity")
check "a 1000 MB chunked body gets 413 (--max-body)" \
  "[ '$status' = 413 ] && grep -q 'max-body' '$tmp/chunked'"
# A chunk-size line 200 MB long: httplib reads a line whole before it parses it.
exec {chunk_line}<>"/dev/tcp/127.0.0.1/${url##*:}"
{ printf 'POST /v1/perplexity HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1'; head -c 200000000 /dev/zero | tr '\0' 0; } >&"$chunk_line" 2>/dev/null
exec {chunk_line}>&-
rss_chunked=$(rss_kb "$server_pid")
check "the server's memory grew by less than 16 MB with them and a 200 MB chunk-size line ($rss_start -> $rss_chunked kB)" \
  "[ $((rss_chunked - rss_start)) -lt 16384 ]"
# A chunked body within the wire budget but over --max-body once decoded is refused as well.
head -c 20000 /dev/zero | tr '\0' a >"$tmp/20k"
status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 -X POST \
  -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/20k" "$url/v1/perplexity")
check "a 20000-byte chunked body over --max-body 16384 gets 413" "[ '$status' = 413 ]"
status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 -X POST \
  -H 'Transfer-Encoding: chunked' --data-binary '{"text": "床前看月光"}' "$url/v1/perplexity")
check "a small chunked body is still served" "[ '$status' = 200 ]"
started=$(date +%s%N)
status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 -X POST -H 'Content-Length: 100000000' \
  --data-binary '{}' "$url/v1/perplexity")
check "a body declared as 100 MB gets 413 before it arrives, not a 408 after waiting for it" \
  "[ '$status' = 413 ] && [ \$(( (\$(date +%s%N) - started) / 1000000 )) -lt 5000 ]"

head -c 3000000 /dev/zero | tr '\0' a >"$tmp/3mb"
answer=$(curl -s -o /dev/null -w '%{http_code} %{size_upload}' --max-time 20 \
  -H 'Expect: 100-continue' --data-binary @"$tmp/3mb" "$url/v1/perplexity")
check "a 3 MB body sent after Expect: 100-continue is refused before a byte of it is sent" \
  "[ '$answer' = '413 0' ]"
{ printf 'X-Big: '; head -c 900000 /dev/zero | tr '\0' a; printf '\n'; } >"$tmp/big_header"
status=$(curl -s -o "$tmp/big_header_answer" -w '%{http_code}' --max-time 20 -H @"$tmp/big_header" "$url/health")
check "a 900 KB header line gets 431" \
  "[ '$status' = 431 ] && grep -q 'headers exceed 16384 bytes' '$tmp/big_header_answer'"
exec {many}<>"/dev/tcp/127.0.0.1/${url##*:}"
{ printf 'GET /health HTTP/1.1\r\n'; seq 50000 | sed 's/.*/X-H&: 1\r/'; printf '\r\n'; } >&"$many"
check "50000 headers get 431" "[ \"\$(raw_status $many)\" = 431 ]"
exec {many}>&-
# 200 MB in one header line, on a raw connection the server cuts off.
exec {big}<>"/dev/tcp/127.0.0.1/${url##*:}"
{ printf 'GET /health HTTP/1.1\r\nX-Big: '; head -c 200000000 /dev/zero | tr '\0' a; } >&"$big" 2>/dev/null
exec {big}>&-
rss_end=$(rss_kb "$server_pid")
check "the server's memory grew by less than 16 MB after the huge headers too ($rss_start -> $rss_end kB)" \
  "[ $((rss_end - rss_start)) -lt 16384 ]"

# --- 200 slow or idle clients do not stop the server ------------------------------------------
port=${url##*:}
slow=()
for _ in $(seq 200); do
  exec {fd}<>"/dev/tcp/127.0.0.1/$port"
  slow+=("$fd")
done
for fd in "${slow[@]:0:100}"; do printf 'GET /health HTTP/1.1\r\n' >&"$fd"; done
health_answers=0
for _ in 1 2 3; do
  status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/health")
  [ "$status" = 200 ] && health_answers=$((health_answers + 1))
  for fd in "${slow[@]:0:100}"; do printf 'X-Slow: 1\r\n' >&"$fd" 2>/dev/null; done
  sleep 0.5
done
check "/health answers within 2 s, 3 times, while 100 clients trickle headers and 100 idle" \
  "[ $health_answers = 3 ]"
for fd in "${slow[@]}"; do exec {fd}>&-; done
exec {late}<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /health HTTP/1.1\r\n' >&"$late"
started=$(date +%s)
check "a client whose headers do not arrive gets 408 (--request-timeout 3)" \
  "[ \"\$(raw_status $late)\" = 408 ] && [ \$(( \$(date +%s) - started )) -le 6 ]"
exec {late}>&-

# --- framing, ranges, JSON keys, the model path -----------------------------------------------
expect_status() {  # NAME STATUS CURL_ARGS...: the answer to curl CURL_ARGS has STATUS
  local name=$1 want=$2
  shift 2
  local got
  got=$(curl -s -o "$tmp/$name" -w '%{http_code}' --max-time 20 "$@")
  check "$name: $want" "[ '$got' = '$want' ]"
}
# eventually_status NAME STATUS URL: as expect_status, asked again (5 s at most) until the answer
# has STATUS: the server counts a connection once one of its threads takes it up, not at accept.
eventually_status() {
  local name=$1 want=$2 got
  for _ in $(seq 50); do
    got=$(curl -s -o "$tmp/$name" -w '%{http_code}' --max-time 20 "$3")
    [ "$got" = "$want" ] && break
    sleep 0.1
  done
  check "$name: $want" "[ '$got' = '$want' ]"
}
expect_status "both Content-Length and Transfer-Encoding" 400 -X POST -H 'Transfer-Encoding: chunked' \
  -H 'Content-Length: 13' --data-binary '{"text": "a"}' "$url/v1/perplexity"
check "the refusal names the smuggling framing" "grep -q 'both Content-Length and Transfer-Encoding' '$tmp/both Content-Length and Transfer-Encoding'"
expect_status "a transfer coding other than chunked" 400 -X POST -H 'Transfer-Encoding: gzip, chunked' \
  --data-binary '{"text": "a"}' "$url/v1/perplexity"
# A POST with neither Content-Length nor Transfer-Encoding: told at once, not after the timeout.
started=$(date +%s)
expect_status "a POST without Content-Length or Transfer-Encoding" 411 -X POST "$url/v1/generate"
check "the 411 names what is missing, at once" \
  "grep -q 'needs a Content-Length' '$tmp/a POST without Content-Length or Transfer-Encoding' && [ \$(( \$(date +%s) - started )) -le 3 ]"
# A chunk size that is no number leaves the body's end unknown: 400, and the connection closes,
# so the bytes after it are never answered as a request of their own.
for chunk in ZZZ FFFFFFFFFFFFFFFFFF; do
  exec {smuggle}<>"/dev/tcp/127.0.0.1/${url##*:}"
  printf 'POST /v1/generate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n%s\r\nGET /v1/model HTTP/1.1\r\nHost: x\r\n\r\n' \
    "$chunk" >&"$smuggle"
  timeout 10 cat <&"$smuggle" >"$tmp/smuggle_$chunk"
  exec {smuggle}>&-
  check "chunk size $chunk: one answer, 400, and the connection closed" \
    "[ \"\$(grep -c '^HTTP/1.1 ' '$tmp/smuggle_$chunk')\" = 1 ] && head -n 1 '$tmp/smuggle_$chunk' | grep -q '^HTTP/1.1 400 ' && grep -qi '^connection: close' '$tmp/smuggle_$chunk'"
done
check "the refusal says the request is malformed" "grep -q 'the request is malformed' '$tmp/smuggle_ZZZ'"
# A GET's body would be left on the wire and read as the next request: refused, and the
# connection closed, so the request inside it is never answered.
exec {smuggle}<>"/dev/tcp/127.0.0.1/${url##*:}"
inner=$'GET /v1/model HTTP/1.1\r\nHost: x\r\n\r\n'
printf 'GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s' "${#inner}" "$inner" >&"$smuggle"
timeout 10 cat <&"$smuggle" >"$tmp/smuggle_get"
exec {smuggle}>&-
check "a GET with a body: one answer, 400 naming it, and the connection closed" \
  "[ \"\$(grep -c '^HTTP/1.1 ' '$tmp/smuggle_get')\" = 1 ] && head -n 1 '$tmp/smuggle_get' | grep -q '^HTTP/1.1 400 ' && grep -q 'a GET request must not have a body' '$tmp/smuggle_get' && grep -qi '^connection: close' '$tmp/smuggle_get'"
expect_status "a GET with Content-Length: 0 is served" 200 -H 'Content-Length: 0' "$url/health"
# HTTP/1.0 has no chunked coding: its event stream ends with the connection.
exec {old}<>"/dev/tcp/127.0.0.1/${url##*:}"
body='{"start": "床前看月光", "seed": 1, "stream": true}'
printf 'POST /v1/poem HTTP/1.0\r\nContent-Length: %d\r\n\r\n%s' "$(printf %s "$body" | wc -c)" "$body" >&"$old"
timeout 20 cat <&"$old" >"$tmp/http10"
exec {old}>&-
check "an HTTP/1.0 stream is not chunked and ends with its done event" \
  "! grep -qi '^transfer-encoding' '$tmp/http10' && grep -q '^event: done' '$tmp/http10' && [ \"\$(grep -c '^data: ' '$tmp/http10')\" -gt 20 ] && ! grep -qx \$'0\\r' '$tmp/http10'"
page_bytes=$(wc -c <"$source_dir/web/index.html")
ranges=$(for i in $(seq 2700); do printf '0-,'; done)  # 8 KB of ranges, each the whole page
curl -s -o "$tmp/ranges" -w '%{http_code} %{size_download}' --max-time 20 -H "Range: bytes=${ranges%,}" \
  "$url/" >"$tmp/ranges.status"
check "GET / with 2700 ranges gets the page once (200, $page_bytes bytes)" \
  "[ \"\$(cat '$tmp/ranges.status')\" = '200 $page_bytes' ]"
# httplib parses ranges with a backtracking regex: megabytes of stack per request on each thread
# it reaches, unless the server drops the header first.
rss_before_ranges=$(rss_kb "$server_pid")
range_clients=()
for _ in $(seq 16); do
  curl -s -o /dev/null -o /dev/null --max-time 20 -H "Range: bytes=${ranges%,}" "$url/" "$url/" &
  range_clients+=($!)
done
wait "${range_clients[@]}"
rss_after_ranges=$(rss_kb "$server_pid")
check "32 such requests, 16 at once, grow the server by less than 16 MB ($rss_before_ranges -> $rss_after_ranges kB)" \
  "[ $((rss_after_ranges - rss_before_ranges)) -lt 16384 ]"
curl -s -o /dev/null -w '%{http_code} %{size_download}' --max-time 20 -H 'Range: bytes=0-99' "$url/" \
  >"$tmp/range.status"
check "one range is still served (206, 100 bytes)" "[ \"\$(cat '$tmp/range.status')\" = '206 100' ]"
# A range means something for the page only: an API answer cut to one is no JSON.
curl -s -o "$tmp/api_range" -w '%{http_code}' --max-time 20 -H 'Range: bytes=0-9' \
  -d '{"text": "床前看月光"}' "$url/v1/perplexity" >"$tmp/api_range.status"
check "a Range on an API request is ignored (200, the whole JSON answer)" \
  "[ \"\$(cat '$tmp/api_range.status')\" = 200 ] && [ \"\$(json api_range 'j[\"tokens\"]')\" = 4 ]"
# `curl -d` calls its body a form; httplib would parse a form (refusing one over 8192 bytes,
# whatever --max-body says) or a multipart body itself. The API reads any body as JSON.
printf '{"text": "%s"}' "$(for _ in $(seq 600); do printf 床前看月光; done)" >"$tmp/9k.json"
for type in application/x-www-form-urlencoded "multipart/form-data; boundary=x"; do
  status=$(curl -s -o "$tmp/typed" -w '%{http_code}' --max-time 20 -H "Content-Type: $type" \
    --data-binary @"$tmp/9k.json" "$url/v1/perplexity")
  check "a 9014-byte JSON body sent as $type is read as JSON (200, under --max-body 16384)" \
    "[ '$status' = 200 ] && [ \"\$(json typed 'j[\"tokens\"]')\" = 2999 ]"
done
# httplib's socket options had SO_REUSEPORT: a second server bound the same port and took half
# of its connections.
timeout -k 5 20 "$rnnkit" serve --port "${url##*:}" --model "$model" >"$tmp/second.log" 2>&1
rc=$?
check "a second server on the port in use is refused ($rc)" \
  "[ $rc = 1 ] && grep -q 'cannot listen on 127.0.0.1:${url##*:}' '$tmp/second.log'"
request duplicate POST /v1/poem '{"seed": 1, "start": "床前看月光", "seed": 2}'
check "a duplicate JSON key gets 400 naming it" \
  "[ \$(status_of duplicate) = 400 ] && [ \"\$(json duplicate 'j[\"field\"]')\" = seed ]"
request duplicate_nested POST /v1/poem '{"seed": 1, "style": {"a": 1, "a": 2}}'
check "a duplicate key in a nested object gets 400 naming it" \
  "[ \$(status_of duplicate_nested) = 400 ] && [ \"\$(json duplicate_nested 'j[\"field\"]')\" = a ]"
request model GET /v1/model
check "/v1/model shows the model's file name, not its path" \
  "[ \"\$(json model 'j[\"path\"]')\" = last.safetensors ]"

# --- the connection limit ---------------------------------------------------------------------
check "the server stops cleanly on SIGTERM" "stop_server $server_pid"
# (The model under a Latin-1 file name: the name a file system allows, shown in JSON as it can be.)
latin1_model="$tmp/m$(printf '\xe9').safetensors"
cp "$model/last.safetensors" "$latin1_model"
start_server "$tmp/limited.log" --model "$latin1_model" --max-connections 2
held=()
for _ in 1 2; do
  exec {fd}<>"/dev/tcp/127.0.0.1/${url##*:}"
  held+=("$fd")
done
eventually_status "a connection beyond --max-connections 2" 503 "$url/health"
check "the refusal names --max-connections" "grep -q -- '--max-connections' '$tmp/a connection beyond --max-connections 2'"
for fd in "${held[@]}"; do exec {fd}>&-; done
eventually_status "once they close, /health" 200 "$url/health"
request latin1_name GET /v1/model
check "a model file name that is not UTF-8 is shown with U+FFFD for its byte" \
  "[ \"\$(json latin1_name 'j[\"path\"]')\" = 'm�.safetensors' ]"
check "the limited server stops cleanly on SIGTERM" "stop_server $server_pid"
finish
