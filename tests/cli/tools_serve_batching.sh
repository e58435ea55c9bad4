#!/usr/bin/env bash
# bench/serve_batching.sh against a stub server (Python's http.server, no model, a second in all):
# with every answer 200 it prints one line per mode with all 6 requests; when one client's
# requests are answered 500 the run must fail and print no result (the failed client used to be
# dropped, and the others' requests reported over the full time, exit 0). --clients beyond serve's
# --max-batch range (16) is refused before a server starts, and a server that exits at once is
# reported at once, not after the 10 s wait for its port. Needs curl (else skipped, exit 77).
# Called as `bash tools_serve_batching.sh RNNKIT SOURCE_DIR` (the binary is unused).
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "SKIP: no curl" >&2; exit 77; }
script=$SOURCE_DIR/bench/serve_batching.sh

# Stands in for `rnnkit serve --port 0 ...` (its arguments ignored): answers every POST 200,
# except those whose seed is in [FAIL_SEEDS_FROM, FAIL_SEEDS_FROM + 100): one client's, 500.
cat >"$WORK/serve.py" <<'PY'
import http.server, json, os, signal, sys
signal.signal(signal.SIGTERM, lambda *args: sys.exit(0))
bad = int(os.environ.get("FAIL_SEEDS_FROM", "-1000"))
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        seed = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["seed"]
        body = b'{"tokens":32}'
        self.send_response(500 if bad <= seed < bad + 100 else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"rnnkit serve: listening on http://127.0.0.1:{server.server_address[1]} (stub)", flush=True)
server.serve_forever()
PY
printf '#!/bin/sh\nexec /usr/bin/python3 "%s"\n' "$WORK/serve.py" >"$WORK/serve"
chmod +x "$WORK/serve"

bash "$script" "$WORK/serve" model --clients 3 --requests 2 --workers 1 >"$WORK/out" 2>"$WORK/err" ||
  fail "all answers 200: the run failed: $(cat "$WORK/err")"
[ "$(grep -c '"requests":6,' "$WORK/out")" = 2 ] || fail "all answers 200: not 2 lines of 6 requests: $(cat "$WORK/out")"

FAIL_SEEDS_FROM=100 bash "$script" "$WORK/serve" model --clients 3 --requests 2 --workers 1 \
  >"$WORK/out" 2>"$WORK/err" && fail "client 1 answered 500: the run succeeded: $(cat "$WORK/out")"
grep -q "client 1 failed" "$WORK/err" || fail "client 1 answered 500: no message naming it: $(cat "$WORK/err")"
! grep -q '"tokens_per_s"' "$WORK/out" || fail "client 1 answered 500: a result was printed: $(cat "$WORK/out")"

expect_error "--clients 17" "--clients must be a whole number in [1, 16]" \
  bash "$script" "$WORK/serve" model --clients 17
expect_error "--requests without a value" "--requests needs a value" \
  bash "$script" "$WORK/serve" model --requests
SECONDS=0
expect_error "a server that exits at once" "rnnkit serve did not start" \
  bash "$script" /bin/false model --clients 1 --requests 1
((SECONDS < 5)) || fail "a server that exits at once was noticed after $SECONDS s"
finish
