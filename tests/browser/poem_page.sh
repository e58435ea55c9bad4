#!/usr/bin/env bash
# The poem page in headless Debian chromium (poem_page.mjs, driven by playwright-core from npm)
# against a server with a tiny poem model trained here. Skips (exit 77) only when chromium, node
# or npm is missing; installs playwright-core from the committed lock file when needed.
# Called as: bash poem_page.sh RNNKIT_BINARY SOURCE_DIR OUTPUT_DIR (the screenshot goes there)
output_dir=${3:?usage: poem_page.sh RNNKIT_BINARY SOURCE_DIR OUTPUT_DIR}
source "$(dirname "$0")/../serve/lib.sh"
browser_dir=$source_dir/tests/browser

for tool in /usr/bin/chromium node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed (tools/install_deps.sh installs chromium)"
    exit 77
  fi
done
if [ ! -d "$browser_dir/node_modules/playwright-core" ]; then
  (cd "$browser_dir" && npm ci --no-audit --no-fund) || { echo "FAIL: npm ci" >&2; exit 1; }
fi

train_poem_model
start_server "$tmp/server.log" --model "$tmp/poem_run"
mkdir -p "$output_dir"
screenshot=$output_dir/poem_page.png
rm -f "$screenshot"
# Chromium may not reach beyond loopback; a proxy setting of the environment must not apply.
env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY \
  timeout 120 node "$browser_dir/poem_page.mjs" "$url/" "$screenshot" "$tmp/chromium-profile"
check "the page test passes" "[ $? -eq 0 ]"
check "a screenshot is saved" "[ -s '$screenshot' ]"
check "the server stops cleanly" "stop_server $server_pid"
finish
