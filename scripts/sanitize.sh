#!/bin/bash
# The sanitizer and fuzzing part of the test suite (run by scripts/test.sh; dependencies from
# scripts/install-deps.sh):
#   build-asan/  clang-19, AddressSanitizer + UndefinedBehaviorSanitizer + libFuzzer coverage:
#                the whole test suite (random counts scaled by PATCHJIT_TEST_SCALE, default 0.1),
#                then each fuzzer for PATCHJIT_FUZZ_SECONDS (default 30)
#   build-tsan/  ThreadSanitizer: the threading, cache and concurrency tests
# Generated machine code is invisible to the sanitizers; the guard-page tests cover it.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
scale=${PATCHJIT_TEST_SCALE:-0.1}
fuzz_seconds=${PATCHJIT_FUZZ_SECONDS:-30}

echo "== ASan + UBSan (clang-19), with the fuzzers"
CC=clang-19 CXX=clang++-19 cmake --fresh -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPATCHJIT_FUZZ=ON -DPATCHJIT_BUILD_BENCH=OFF -DPATCHJIT_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
cmake --build build-asan -j "$jobs"
PATCHJIT_TEST_SCALE=$scale ctest --test-dir build-asan -j "$jobs" -LE fuzz --output-on-failure
ctest --test-dir build-asan -L fuzz --output-on-failure

echo "== ThreadSanitizer: threads, the kernel cache, concurrent creates"
cmake --fresh -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPATCHJIT_SANITIZE=thread \
  -DPATCHJIT_BUILD_BENCH=OFF -DPATCHJIT_BUILD_TOOLS=OFF >/dev/null
cmake --build build-tsan -j "$jobs" --target pj_api_tests pj_runtime_tests \
  $(grep -q pj_llvm_tests build-tsan/build.ninja && echo pj_llvm_tests) \
  pj_aot_registry_tests
PATCHJIT_TEST_SCALE=$scale ctest --test-dir build-tsan -j "$jobs" --output-on-failure \
  -R 'Runtime\.|Threads\.|Concurren|SeveralThreads|Fallback\.|api_cache_cannot_allocate'
