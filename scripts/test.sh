#!/bin/bash
# The whole test suite from scratch: installs dependencies, builds, runs ctest, then the
# sanitizer builds and short fuzzing runs (scripts/sanitize.sh).
#   PATCHJIT_SKIP_SANITIZERS=1 scripts/test.sh   the Release build's tests only
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build -j "$(nproc)" --output-on-failure
echo "test.sh: the Release build's tests passed after $((SECONDS - start)) s"
if [[ "${PATCHJIT_SKIP_SANITIZERS:-0}" != 1 ]]; then
  bash scripts/sanitize.sh
fi
echo "test.sh: all tests passed in $((SECONDS - start)) s"
