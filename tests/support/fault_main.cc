// main() of the test binaries linked with the static runtime: --deny-exec and
// --cache-cannot-allocate set the runtime's internal fault hooks before any test runs.
#include <gtest/gtest.h>

#include <cstring>

#include "jit/executable_memory.h"
#include "runtime/kernel_cache.h"
#include "tests/support/faults.h"

namespace pj::testing {
namespace {
Faults injected;
}  // namespace
const Faults& faults() { return injected; }
}  // namespace pj::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--deny-exec")) {
      pj::testing::injected.deny_exec = true;
      pj::deny_executable_memory_for_testing(true);
    } else if (!std::strcmp(argv[i], "--cache-cannot-allocate")) {
      pj::testing::injected.cache_cannot_allocate = true;
      pj::fail_cache_allocation_for_testing(true);
    } else {
      std::fprintf(stderr, "unknown argument %s (expected --deny-exec or --cache-cannot-allocate)\n", argv[i]);
      return 2;
    }
  }
  return RUN_ALL_TESTS();
}
