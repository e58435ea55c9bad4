#!/usr/bin/env bash
# ctest python.pytest: the Python module's pytest suite against the built tree.
# Usage: run_pytest.sh PYTHON BUILD_PYTHON_DIR BUILT(0|1) RNNKIT_CLI SOURCE_DIR
# Exit 77 (skipped) where the module was not built (no pybind11) or numpy or pytest is missing.
set -euo pipefail
python=$1 package_dir=$2 built=$3 cli=$4 source=$5
if [ "$built" != 1 ] || [ -z "$python" ] || ! [ -x "$python" ]; then
  echo "skipped: the Python module was not built (pybind11 or Python missing)"
  exit 77
fi
if ! "$python" -c "import numpy, pytest" 2>/dev/null; then
  echo "skipped: $python lacks numpy or pytest"
  exit 77
fi
cd "$source"
PYTHONPATH="$package_dir" RNNKIT_CLI="$cli" exec "$python" -m pytest python/tests -q -p no:cacheprovider
