#!/usr/bin/env bash
# tools/fetch_poems.sh must refuse a tarball that is not chinese-poetry-2.0.1.tgz before it
# extracts anything, and must skip all work when the cache already holds the 58 poem files.
# Called as: bash fetch_poems_bad_tarball.sh RNNKIT_BINARY SOURCE_DIR (the binary is unused).
# Never touches the network: every run is given RNNKIT_POEMS_TARBALL.
set -uo pipefail
source_dir=${2:?usage: fetch_poems_bad_tarball.sh RNNKIT_BINARY SOURCE_DIR}
fetch=$source_dir/tools/fetch_poems.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../check.sh"

expect_rejected() {
  local name=$1 tarball=$2 cache=$tmp/cache-$1 rc
  RNNKIT_POEMS_TARBALL=$tarball bash "$fetch" "$cache" >"$tmp/$name.out" 2>"$tmp/$name.err"
  rc=$?
  check "$name: non-zero exit" "[ $rc -ne 0 ]"
  check "$name: message mentions integrity" "grep -qi integrity '$tmp/$name.err'"
  check "$name: no tang/ created" "[ ! -e '$cache/tang' ]"
  check "$name: nothing extracted or left behind in the cache" \
    "[ -z \"\$(ls -A '$cache' 2>/dev/null)\" ]"
  check "$name: the given tarball is left alone" "[ -f '$tarball' ]"
}

head -c 65536 /dev/urandom >"$tmp/random.tgz"
expect_rejected random_bytes "$tmp/random.tgz"

# A well-formed tarball with the right member names: only the checksum can reject it.
mkdir -p "$tmp/fake/package/dist/quantangshi"
for n in $(seq 0 1000 57000); do
  echo '[{"paragraphs": ["床前看月光，疑是地上霜。"]}]' >"$tmp/fake/package/dist/quantangshi/poet.tang.$n.json"
done
tar -czf "$tmp/fake.tgz" -C "$tmp/fake" package
expect_rejected well_formed_fake "$tmp/fake.tgz"

# A cache that already holds the 58 files is complete: the bad tarball is not even looked at.
mkdir -p "$tmp/cache-complete/tang"
cp "$tmp"/fake/package/dist/quantangshi/*.json "$tmp/cache-complete/tang/"
RNNKIT_POEMS_TARBALL=$tmp/random.tgz bash "$fetch" "$tmp/cache-complete" >/dev/null 2>&1
check "complete cache: exit 0 without touching the tarball" "[ $? -eq 0 ]"

# RNNKIT_DATA_DIR selects the cache when no argument is given.
RNNKIT_DATA_DIR=$tmp/cache-env RNNKIT_POEMS_TARBALL=$tmp/random.tgz bash "$fetch" >/dev/null 2>&1
check "RNNKIT_DATA_DIR: rejected and nothing created there" \
  "[ \$? -ne 0 ] && [ -d '$tmp/cache-env' ] && [ ! -e '$tmp/cache-env/tang' ]"

[ "$failures" -eq 0 ] || {
  echo "$failures check(s) failed" >&2
  exit 1
}
