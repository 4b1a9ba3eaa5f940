// pj_kernel_run allocates nothing: every operator new (replaced here, process-wide, so calls
// inside libpatchjit count too) and malloc during warm runs is counted.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "patchjit/patchjit.h"

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
}  // namespace

void* operator new(size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

extern "C" void* malloc(size_t size) {
  using Malloc = void* (*)(size_t);
  static Malloc real = reinterpret_cast<Malloc>(dlsym(RTLD_NEXT, "malloc"));
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  return real(size);
}

namespace {

// The counter sees allocations made inside libpatchjit: creating a kernel makes some.
TEST(NoAllocation, TheCounterSeesTheLibrarysAllocations) {
  pj_spec s = {PJ_FLOAT32, {1, 9, 9, 2}, {1, 3, 3, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}, PJ_PADDING_SAME};
  pj_kernel* k = nullptr;
  allocations = 0;
  counting = true;
  ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_INTERP, &k), PJ_OK);
  counting = false;
  EXPECT_GT(allocations.load(), 0);
  pj_kernel_destroy(k);
}

TEST(NoAllocation, KernelRunsAllocateNothing) {
  const int64_t shapes[][4] = {{1, 10, 10, 3}, {2, 56, 56, 32}, {1, 64, 64, 1}};
  for (pj_backend backend : {PJ_BACKEND_AUTO, PJ_BACKEND_INTERP, PJ_BACKEND_XBYAK, PJ_BACKEND_LLVM}) {
    if (pj_backend_available(backend) != PJ_OK) continue;
    for (const auto& shape : shapes) {
      pj_spec s = {PJ_FLOAT32,     {shape[0], shape[1], shape[2], shape[3]}, {1, 3, 3, 1}, {1, 1, 1, 1}, {1, 2, 2, 1},
                   PJ_PADDING_SAME};
      pj_kernel* k = nullptr;
      ASSERT_EQ(pj_kernel_create(&s, backend, &k), PJ_OK) << pj_last_error();
      std::vector<float> in(pj_kernel_input_bytes(k) / 4, 1.0f), out(pj_kernel_output_bytes(k) / 4);
      for (int threads : {1, 2, 0}) {
        ASSERT_EQ(pj_kernel_run(k, in.data(), out.data(), threads), PJ_OK);  // warm: the pool starts
        allocations = 0;
        counting = true;
        for (int i = 0; i < 20; ++i) pj_kernel_run(k, in.data(), out.data(), threads);
        pj_kernel_run_rows(k, in.data(), out.data(), 0, 1);
        counting = false;
        EXPECT_EQ(allocations.load(), 0) << pj_backend_name(backend) << " threads " << threads;
      }
      pj_kernel_destroy(k);
    }
  }
}

}  // namespace
