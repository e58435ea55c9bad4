#!/usr/bin/env bash
# Fetches the Tang poems of the npm package chinese-poetry 2.0.1 into CACHE_DIR/tang/
# (58 files poet.tang.N.json, ~25 MB). The poems are not part of the repository.
#
#   tools/fetch_poems.sh [CACHE_DIR]
#
# CACHE_DIR: the argument, else $RNNKIT_DATA_DIR, else data/ under the repository root.
# RNNKIT_POEMS_TARBALL=PATH uses that tarball instead of downloading one (it is never modified).
#
# Steps, each of which leaves nothing behind that looks complete when it fails:
#  - nothing to do when CACHE_DIR/tang already holds the 58 files;
#  - the tarball (85 MB) is CACHE_DIR/chinese-poetry-2.0.1.tgz when a previous run kept one,
#    else it is downloaded with `npm pack` into a temporary directory inside CACHE_DIR;
#  - its sha512 must equal the integrity npm publishes for 2.0.1, before anything is extracted.
#    A downloaded tarball only reaches CACHE_DIR after it passed, so a kept one that fails now
#    was damaged on disk: it is deleted and downloaded again, once. A tarball given through
#    RNNKIT_POEMS_TARBALL that fails is reported and left alone;
#  - only package/dist/quantangshi/poet.tang.*.json is extracted, into a temporary directory that
#    must hold 58 files and is then renamed to CACHE_DIR/tang in one step.
set -euo pipefail

readonly package=chinese-poetry
readonly version=2.0.1
readonly integrity='sha512-KtYARvV7CWNtax0na9+Jn6PlhGgSoid7PWyDzXI4KsCEm2odZcqEQyval5koaLygZnM/EQ3lfJ//25K8p3uHNg=='
readonly file_count=58
readonly member_dir=package/dist/quantangshi

# usage STATUS: the header above; on stdout for --help, on stderr with a wrong argument.
usage() { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d' >&$((${1:-0} ? 2 : 1)); exit "${1:-0}"; }
case ${1:-} in
  -h | --help) usage 0 ;;
  -*) echo "fetch_poems.sh: unknown option $1" >&2; usage 2 ;;  # not a CACHE_DIR
esac
[[ $# -le 1 ]] || { echo "fetch_poems.sh: one CACHE_DIR at most" >&2; usage 2; }

say() { echo "fetch_poems: $*" >&2; }
fail() {
  say "error: $*"
  exit 1
}

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_dir=${1:-${RNNKIT_DATA_DIR:-$repo_root/data}}
tang_dir=$cache_dir/tang
kept_tarball=$cache_dir/$package-$version.tgz

count_poem_files() {
  local dir=$1 n=0 f
  [ -d "$dir" ] || {
    echo 0
    return
  }
  for f in "$dir"/poet.tang.*.json; do
    [[ $(basename "$f") =~ ^poet\.tang\.[0-9]+\.json$ ]] && n=$((n + 1))
  done
  echo "$n"
}

sha512_integrity() {
  local digest
  if command -v openssl >/dev/null; then
    digest=$(openssl dgst -sha512 -binary "$1" | base64 -w0)
  else
    digest=$(sha512sum "$1" | cut -d' ' -f1 | xxd -r -p | base64 -w0)
  fi
  echo "sha512-$digest"
}

# Prints nothing and succeeds when the tarball is the published one.
verify() {
  local actual
  actual=$(sha512_integrity "$1")
  [ "$actual" = "$integrity" ] && return 0
  say "integrity check failed for $1:"
  say "  expected $integrity"
  say "  got      $actual"
  return 1
}

download() {
  command -v npm >/dev/null || fail "npm is needed to download $package@$version (apt-get install npm)"
  say "downloading $package@$version (85 MB) with npm pack ..."
  mkdir -p "$work/download"
  # A private npm cache, deleted with the work directory: the verified tarball kept in CACHE_DIR
  # is the only cache, instead of a second 85 MB copy under ~/.npm.
  (cd "$work/download" && npm pack "$package@$version" --cache "$work/npm-cache" --silent \
    >/dev/null) || fail "npm pack $package@$version failed (is registry.npmjs.org reachable?)"
  [ -f "$work/download/$package-$version.tgz" ] || fail "npm pack did not write $package-$version.tgz"
  verify "$work/download/$package-$version.tgz" ||
    fail "the downloaded tarball fails the integrity check; nothing was extracted"
  mv -f "$work/download/$package-$version.tgz" "$kept_tarball"
}

existing=$(count_poem_files "$tang_dir")
if [ "$existing" -eq "$file_count" ]; then
  say "$tang_dir already holds the $file_count files; nothing to do"
  exit 0
fi
[ -e "$tang_dir" ] &&
  fail "$tang_dir exists but holds $existing of the $file_count poem files; delete it and run again"

mkdir -p "$cache_dir"
work=$(mktemp -d "$cache_dir/.fetch_poems.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ -n "${RNNKIT_POEMS_TARBALL:-}" ]; then
  tarball=$RNNKIT_POEMS_TARBALL
  [ -f "$tarball" ] || fail "RNNKIT_POEMS_TARBALL=$tarball is not a file"
  verify "$tarball" || fail "$tarball is not $package-$version.tgz (integrity mismatch); nothing was extracted"
else
  tarball=$kept_tarball
  if [ -f "$tarball" ]; then
    if ! verify "$tarball"; then
      say "the kept tarball is corrupt; deleting it and downloading it again"
      rm -f "$tarball"
      download
    fi
  else
    download
  fi
fi

say "extracting $member_dir/poet.tang.*.json ..."
tar -xzf "$tarball" -C "$work" --no-wildcards-match-slash --wildcards "$member_dir/poet.tang.*.json" ||
  fail "could not extract the poems from $tarball"
extracted=$(count_poem_files "$work/$member_dir")
[ "$extracted" -eq "$file_count" ] ||
  fail "$tarball holds $extracted poet.tang.*.json files, expected $file_count"

# rename(2) of a whole directory: tang/ appears complete or not at all. -T keeps mv from moving
# into a tang/ that a concurrent run created meanwhile.
if ! mv -T "$work/$member_dir" "$tang_dir" 2>/dev/null; then
  [ "$(count_poem_files "$tang_dir")" -eq "$file_count" ] || fail "could not create $tang_dir"
fi
say "wrote $file_count files to $tang_dir"
