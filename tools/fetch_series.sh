#!/usr/bin/env bash
# Fetches real time series for forecasting into CACHE_DIR/series/ (never committed):
#   co2-concentration.csv  monthly Mauna Loa CO2, 1958-    (npm vega-datasets 2.11.0)
#   seattle-weather.csv    daily Seattle weather 2012-2015 (npm vega-datasets 2.11.0)
#   sunspots.csv           yearly sunspot activity 1700-2008 (Debian python3-statsmodels 0.13.5)
#   co2-weekly.csv         weekly Mauna Loa CO2 with gaps  (Debian python3-statsmodels 0.13.5)
#
#   tools/fetch_series.sh [CACHE_DIR]
#
# CACHE_DIR: the argument, else $RNNKIT_DATA_DIR, else data/ under the repository root.
# The archives come through the ordinary clients (`npm pack`, `apt-get download`) into a temporary
# directory; each archive and each extracted file must match the sha256 below before the file is
# moved into place, so a failed or tampered download leaves nothing that looks complete. Files
# already present with the right checksum are kept.
set -euo pipefail

readonly vega_tarball=vega-datasets-2.11.0.tgz
readonly vega_sha256=d888f3d9f0a9799a2f6066e5dbe5ed40eb86f75b4568b493d9bdd55e9652050a
readonly statsmodels_deb=python3-statsmodels_0.13.5+dfsg-7_all.deb
readonly statsmodels_sha256=77474ba544c8e18e7932635ef9ab65abc1b8720fb471465d2a6ddd5ea81f08ad
readonly statsmodels_datasets=./usr/lib/python3/dist-packages/statsmodels/datasets
# target name, checksum, archive, member
readonly files=(
  "co2-concentration.csv c1a4a970864145940a28225cae288618b156cb32f9a2a1b6606ba7124134febb vega package/data/co2-concentration.csv"
  "seattle-weather.csv 0845078a290b48e3149ab8639966824110a251db4e06fc144c06ebb534af23be vega package/data/seattle-weather.csv"
  "sunspots.csv f67889b1d9002cd5227f0e0ef54e35b419cdd85a31279adef6f73fb41e5c0a9b statsmodels $statsmodels_datasets/sunspots/sunspots.csv"
  "co2-weekly.csv 16695fa2786e53414e5a6b54767a3fdf5de99cfbc68617f69d1362d92776a92f statsmodels $statsmodels_datasets/co2/co2.csv"
)

say() { echo "fetch_series: $*" >&2; }
fail() {
  say "error: $*"
  exit 1
}
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# usage STATUS: the header above; on stdout for --help, on stderr with a wrong argument.
usage() { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d' >&$((${1:-0} ? 2 : 1)); exit "${1:-0}"; }
case ${1:-} in
  -h | --help) usage 0 ;;
  -*) echo "fetch_series.sh: unknown option $1" >&2; usage 2 ;;  # not a CACHE_DIR
esac
[[ $# -le 1 ]] || { echo "fetch_series.sh: one CACHE_DIR at most" >&2; usage 2; }

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_dir=${1:-${RNNKIT_DATA_DIR:-$repo_root/data}}
series_dir=$cache_dir/series
mkdir -p "$series_dir"
work=$(mktemp -d "$cache_dir/.fetch_series.XXXXXX")
trap 'rm -rf "$work"' EXIT

archive_of() {  # downloads and checks one archive once, prints its path
  case $1 in
    vega)
      if [ ! -f "$work/$vega_tarball" ]; then
        (cd "$work" && npm pack --silent vega-datasets@2.11.0 >/dev/null) || fail "npm pack failed"
        [ "$(sha256_of "$work/$vega_tarball")" = "$vega_sha256" ] ||
          fail "$vega_tarball does not have the expected sha256"
      fi
      echo "$work/$vega_tarball"
      ;;
    statsmodels)
      if [ ! -f "$work/$statsmodels_deb" ]; then
        (cd "$work" && apt-get download python3-statsmodels=0.13.5+dfsg-7 >/dev/null 2>&1) ||
          fail "apt-get download python3-statsmodels failed"
        [ "$(sha256_of "$work/$statsmodels_deb")" = "$statsmodels_sha256" ] ||
          fail "$statsmodels_deb does not have the expected sha256"
      fi
      echo "$work/$statsmodels_deb"
      ;;
  esac
}

for entry in "${files[@]}"; do
  read -r name sha archive member <<<"$entry"
  target=$series_dir/$name
  if [ -f "$target" ] && [ "$(sha256_of "$target")" = "$sha" ]; then
    say "$name is already there"
    continue
  fi
  path=$(archive_of "$archive")
  extracted=$work/$name
  if [ "$archive" = vega ]; then
    tar xzf "$path" -O "$member" >"$extracted"
  else
    dpkg-deb --fsys-tarfile "$path" | tar x -O "$member" >"$extracted"
  fi
  [ "$(sha256_of "$extracted")" = "$sha" ] || fail "$name extracted with an unexpected sha256"
  mv "$extracted" "$target"
  say "$name ($(wc -l <"$target") lines)"
done
say "series are in $series_dir"
