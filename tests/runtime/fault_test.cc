// Faults injected through the runtime's internal hooks (jit/executable_memory.h,
// runtime/kernel_cache.h), in a binary linked with the static library: executable memory
// refused, the kernel cache unable to allocate. tests/support/fault_main.cc sets them from the
// command line, so the whole API suite runs under each as well.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "patchjit/patchjit.h"
#include "reference/golden.h"
#include "runtime/c_spec.h"
#include "tests/support/api_case.h"
#include "tests/support/faults.h"
#include "tests/support/random_spec.h"

namespace {

using pj::to_c;

pj::Spec conv_spec(int64_t hw, int64_t depth, int64_t k) {
  pj::Spec spec;
  spec.image_shape = {1, hw, hw, depth};
  spec.ksizes = {1, k, k, 1};
  return spec;
}

using pj::testing::Case;
using pj::testing::describe;
using pj::testing::make_case;

// The cache cannot allocate its entries: kernels are built uncached and work.
TEST(Fallback, CacheCannotAllocate) {
  if (!pj::testing::faults().cache_cannot_allocate) GTEST_SKIP() << "run with --cache-cannot-allocate";
  pj_cache_stats before, after;
  pj_cache_get_stats(&before);
  std::mt19937_64 rng(23);
  Case c = make_case(conv_spec(12, 7, 3), rng);
  pj_spec s = to_c(c.spec);
  for (int i = 0; i < 3; ++i) {
    pj_kernel* k = nullptr;
    ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_AUTO, &k), PJ_OK) << pj_last_error();
    std::vector<uint8_t> out(c.g.output_bytes());
    ASSERT_EQ(pj_kernel_run(k, c.input.data(), out.data(), 0), PJ_OK);
    EXPECT_TRUE(out == c.expected);
    pj_kernel_destroy(k);
  }
  pj_cache_get_stats(&after);
  EXPECT_EQ(after.uncached - before.uncached, 3u);
  EXPECT_EQ(after.entries, 0u);
}

// Executable memory refused (the refusal is sticky for the process).
TEST(Fallback, ExecutableMemoryRefused) {
  if (!pj::testing::faults().deny_exec) GTEST_SKIP() << "run with --deny-exec";
  if (pj_host_isa() == PJ_ISA_NONE) GTEST_SKIP() << "no JIT on this CPU";
  std::mt19937_64 rng(13);
  Case c = make_case(conv_spec(8, 4, 3), rng);
  pj_spec s = to_c(c.spec);
  pj_kernel* k = nullptr;
  EXPECT_EQ(pj_kernel_create(&s, PJ_BACKEND_XBYAK, &k), PJ_UNIMPLEMENTED);
  EXPECT_NE(std::strstr(pj_last_error(), "refuses executable memory"), nullptr) << pj_last_error();
  ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_AUTO, &k), PJ_OK);
  EXPECT_EQ(pj_kernel_backend(k), PJ_BACKEND_INTERP);
  EXPECT_NE(describe(k).find("refuses executable memory"), std::string::npos) << describe(k);
  std::vector<uint8_t> out(c.g.output_bytes());
  ASSERT_EQ(pj_kernel_run(k, c.input.data(), out.data(), 0), PJ_OK);
  EXPECT_TRUE(out == c.expected);
  pj_kernel_destroy(k);
  EXPECT_EQ(pj_backend_available(PJ_BACKEND_XBYAK), PJ_UNIMPLEMENTED);
}

}  // namespace
