#!/bin/bash
# Configures and builds patchjit from scratch in build/ (Release): library, CLI, tests, benchmarks.
#   scripts/build.sh [extra cmake arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --fresh -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j "$(nproc)"
