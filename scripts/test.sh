#!/bin/bash
# The whole test suite from scratch: installs dependencies, builds, runs ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build -j "$(nproc)" --output-on-failure
echo "test.sh: all tests passed in $((SECONDS - start)) s"
