#!/usr/bin/env bash
# Installs the Debian packages rnnkit needs to build and test, skipping those already present.
# Not root: prints the exact apt-get line to run and fails.
set -euo pipefail
packages=(
  g++ cmake ninja-build make pkg-config
  libdnnl-dev libcli11-dev nlohmann-json3-dev libcpp-httplib-dev libopencc-dev libicu-dev libpng-dev zlib1g-dev libcairo2-dev fonts-dejavu-core
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  curl chromium fonts-wqy-zenhei
  pybind11-dev python3-pybind11 python3-numpy python3-pytest
  libopenmpi-dev openmpi-bin
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Optional, for tools/forecast_anchors.py only (ETS and SARIMA anchors of docs/RESULTS.md); no
# build or test needs it, so its absence is a note, not a failure.
dpkg-query -W -f='${Status}' python3-statsmodels 2>/dev/null | grep -q "install ok installed" ||
  echo "optional: apt-get install -y --no-install-recommends python3-statsmodels (tools/forecast_anchors.py)" >&2
[ ${#missing[@]} -eq 0 ] && exit 0
line="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "rnnkit needs these Debian packages. Run as root:" >&2
  echo "  $line" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

