#!/bin/bash
# The whole test suite from scratch: installs dependencies, builds, runs ctest, builds and tests
# the Xbyak-less variant, then the sanitizer builds and short fuzzing runs (scripts/sanitize.sh).
#   PATCHJIT_SKIP_SANITIZERS=1 scripts/test.sh   the Release and Xbyak-less builds only
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build -j "$(nproc)" --output-on-failure
echo "test.sh: the Release build's tests passed after $((SECONDS - start)) s"
# The build for CPUs the Xbyak backend does not serve: LLVM and the interpreter only
# (-DPATCHJIT_WITH_XBYAK=OFF), its whole test suite at a tenth of the random cases.
cmake --fresh -S . -B build-noxbyak -G Ninja -DCMAKE_BUILD_TYPE=Release -DPATCHJIT_WITH_XBYAK=OFF \
  -DPATCHJIT_BUILD_BENCH=OFF >/dev/null
cmake --build build-noxbyak -j "$(nproc)"
PATCHJIT_TEST_SCALE=${PATCHJIT_TEST_SCALE:-0.1} ctest --test-dir build-noxbyak -j "$(nproc)" --output-on-failure
echo "test.sh: the Xbyak-less build's tests passed after $((SECONDS - start)) s"
if [[ "${PATCHJIT_SKIP_SANITIZERS:-0}" != 1 ]]; then
  bash scripts/sanitize.sh
fi
echo "test.sh: all tests passed in $((SECONDS - start)) s"
