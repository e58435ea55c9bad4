# shellcheck shell=bash
# PyTorch, the opponent of bench/'s comparisons, must run on OpenBLAS. Debian's python3-torch calls
# the BLAS that the libblas.so.3 alternative names, and where libopenblas0-pthread is not
# installed that is the reference libblas3, about 6x slower: every ratio would be that much too
# kind (a fresh Zen 3 host had it, and a first comparison began there unnoticed). Sourced by the
# scripts that run PyTorch: `require_openblas SCRIPT "VARIANTS"` fails fast, with the line that
# fixes it, unless the PyTorch variants to run are none.
require_openblas() {
  [[ -n ${2// /} ]] || return 0
  local blas
  blas=$(readlink -f "/usr/lib/$(uname -m)-linux-gnu/libblas.so.3" 2>/dev/null || true)
  [[ $blas == *openblas* ]] && return 0
  echo "$1: PyTorch's BLAS is ${blas:-missing}, not OpenBLAS: apt-get install libopenblas0-pthread" >&2
  exit 1
}
