// The runtime through the public API: threads, the kernel cache under concurrency, the ISA cap,
// and the fallbacks. Every output is checked against the golden loops.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include <unistd.h>

#include "patchjit/patchjit.h"
#include "reference/golden.h"
#include "runtime/c_spec.h"
#include "tests/support/api_case.h"
#include "tests/support/random_spec.h"

namespace {

using pj::to_c;

pj::Spec conv_spec(int64_t batch, int64_t hw, int64_t depth, int64_t k) {
  pj::Spec spec;
  spec.image_shape = {batch, hw, hw, depth};
  spec.ksizes = {1, k, k, 1};
  return spec;
}

using pj::testing::Case;
using pj::testing::describe;
using pj::testing::make_case;

// Restores the process-wide settings a test changes.
class Runtime : public ::testing::Test {
 protected:
  void SetUp() override {
    cap_ = pj_max_isa();
    pj_cache_stats s;
    pj_cache_get_stats(&s);
    limits_ = {s.max_entries, s.max_code_bytes};
  }
  void TearDown() override {
    pj_set_max_isa(cap_);
    pj_cache_set_limits(limits_.first, limits_.second);
  }
  pj_isa cap_;
  std::pair<size_t, size_t> limits_;
};

TEST_F(Runtime, EveryThreadCountGivesTheSameBytes) {
  std::mt19937_64 rng(pj::testing::test_seed());
  for (const pj::Spec& spec : {conv_spec(3, 40, 16, 3), conv_spec(1, 7, 5, 5), conv_spec(2, 1, 3, 2)}) {
    Case c = make_case(spec, rng);
    pj_spec s = to_c(spec);
    pj_kernel* k = nullptr;
    ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_AUTO, &k), PJ_OK) << pj_last_error();
    for (int threads : {1, 2, 0, 3, 64}) {
      std::vector<uint8_t> out(c.g.output_bytes(), 0xA5);
      ASSERT_EQ(pj_kernel_run(k, c.input.data(), out.data(), threads), PJ_OK);
      EXPECT_TRUE(out == c.expected) << "threads " << threads;
    }
    pj_kernel_destroy(k);
  }
}

TEST_F(Runtime, TwoThreadsRunOneKernelAtOnce) {
  std::mt19937_64 rng(pj::testing::test_seed());
  Case c = make_case(conv_spec(2, 33, 17, 3), rng);
  pj_spec s = to_c(c.spec);
  pj_kernel* k = nullptr;
  ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_AUTO, &k), PJ_OK);
  std::atomic<int> bad{0};
  auto worker = [&](int seed) {
    std::mt19937 r(seed);
    std::vector<uint8_t> out(c.g.output_bytes());
    for (int i = 0; i < 200; ++i) {
      std::memset(out.data(), i, out.size());
      if (pj_kernel_run(k, c.input.data(), out.data(), static_cast<int>(r() % 3)) != PJ_OK || out != c.expected) ++bad;
    }
  };
  std::thread a(worker, 1), b(worker, 2);
  a.join();
  b.join();
  EXPECT_EQ(bad.load(), 0);
  pj_kernel_destroy(k);
}

TEST_F(Runtime, CacheBuildsOnceForConcurrentCreates) {
  pj_cache_clear();
  pj_cache_stats before;
  pj_cache_get_stats(&before);
  pj_spec s = to_c(conv_spec(1, 29, 11, 3));
  constexpr int kThreads = 8;
  std::vector<pj_kernel*> kernels(kThreads);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      EXPECT_EQ(pj_kernel_create(&s, PJ_BACKEND_AUTO, &kernels[i]), PJ_OK);
    });
  }
  go = true;
  for (std::thread& t : threads) t.join();
  pj_cache_stats after;
  pj_cache_get_stats(&after);
  EXPECT_EQ(after.misses - before.misses, 1u);
  EXPECT_EQ(after.hits - before.hits, static_cast<uint64_t>(kThreads - 1));
  for (pj_kernel* k : kernels) pj_kernel_destroy(k);
}

TEST_F(Runtime, BatchSizeIsNotPartOfTheKey) {
  pj_spec one = to_c(conv_spec(1, 21, 6, 3)), seven = to_c(conv_spec(7, 21, 6, 3));
  pj_kernel *a = nullptr, *b = nullptr;
  ASSERT_EQ(pj_kernel_create(&one, PJ_BACKEND_AUTO, &a), PJ_OK);
  pj_cache_stats s1, s2;
  pj_cache_get_stats(&s1);
  ASSERT_EQ(pj_kernel_create(&seven, PJ_BACKEND_AUTO, &b), PJ_OK);
  pj_cache_get_stats(&s2);
  EXPECT_EQ(s2.misses, s1.misses);
  EXPECT_EQ(s2.hits, s1.hits + 1);
  std::mt19937_64 rng(3);
  Case c = make_case(conv_spec(7, 21, 6, 3), rng);
  std::vector<uint8_t> out(c.g.output_bytes());
  ASSERT_EQ(pj_kernel_run(b, c.input.data(), out.data(), 0), PJ_OK);
  EXPECT_TRUE(out == c.expected);
  pj_kernel_destroy(a);
  pj_kernel_destroy(b);
}

// The key leaves out what follows from the rest (SAME and VALID pads, dense steps) and carries
// explicit pads, a pad value and buffer strides only when they are given: each signature below
// gets a kernel of its own (a miss), the right one (byte for byte), and the same one again (a
// hit); dense strides, given, are the base signature's kernel.
TEST_F(Runtime, KeysTellEngineFormatsApart) {
  const pj::Spec base = conv_spec(2, 13, 5, 3);
  std::vector<pj::Spec> specs(7, base);
  specs[1].padding = pj::Padding::kExplicit;
  specs[1].pads = {1, 1, 1, 1};  // SAME's pads, given
  specs[2].padding = pj::Padding::kExplicit;
  specs[2].pads = {2, 0, 1, 1};
  specs[3].pad_value[3] = 0x3f;                       // 0.5f
  specs[4].image_strides = {13 * 13 * 5, 13 * 5, 5};  // dense, given
  specs[5].image_strides = {13 * 13 * 6, 13 * 6, 6};
  specs[6].patch_strides = {48, 11 * 11 * 48 + 16};
  specs[6].padding = pj::Padding::kValid;
  std::mt19937_64 rng(5);
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < specs.size(); ++i) {
      const Case c = make_case(specs[i], rng);
      const pj_spec_ex ex = pj::to_c_ex(specs[i]);
      pj_cache_stats before, after;
      pj_cache_get_stats(&before);
      pj_kernel* k = nullptr;
      ASSERT_EQ(pj_kernel_create_ex(&ex, PJ_BACKEND_AUTO, &k), PJ_OK) << pj_last_error();
      pj_cache_get_stats(&after);
      EXPECT_EQ(after.misses - before.misses, pass == 0 && i != 4 ? 1u : 0u) << "spec " << i << " pass " << pass;
      std::vector<uint8_t> out(c.g.output_bytes());
      ASSERT_EQ(pj_kernel_run(k, c.input.data(), out.data(), 1), PJ_OK);
      EXPECT_TRUE(out == c.expected) << "spec " << i << ": " << describe(k);
      pj_kernel_destroy(k);
    }
  }
}

// The stress test: twice as many threads as cores creating, running and destroying kernels of
// 300 signatures through a cache of eight (constant eviction), every backend, every output
// checked against the golden loops.
TEST_F(Runtime, CacheUnderConcurrentCreateRunEvict) {
  ASSERT_EQ(pj_cache_set_limits(8, size_t{1} << 30), PJ_OK);
  std::mt19937_64 rng(pj::testing::test_seed());
  pj::testing::RandomSpecOptions options = pj::testing::tf_only();  // pj_spec: TensorFlow's op
  options.max_output_bytes = 1 << 15;
  std::vector<pj::Spec> specs;
  for (int i = 0; i < 300; ++i) specs.push_back(pj::testing::random_spec(rng, options));
  pj_cache_stats before;
  pj_cache_get_stats(&before);
  std::atomic<int> bad{0}, runs{0};
  auto worker = [&](uint64_t seed) {
    std::mt19937_64 r(seed);
    for (int i = 0; i < pj::testing::scaled(150); ++i) {
      Case c = make_case(specs[r() % specs.size()], r);
      pj_spec s = to_c(c.spec);
      pj_kernel* k = nullptr;
      const auto backend = static_cast<pj_backend>(r() % 5);
      const pj_status created = pj_kernel_create(&s, backend, &k);
      if (created == PJ_UNIMPLEMENTED) continue;  // a backend this build or CPU lacks
      if (created != PJ_OK) {
        ++bad;
        continue;
      }
      std::vector<uint8_t> out(c.g.output_bytes(), 0x3C);
      if (pj_kernel_run(k, c.input.data(), out.data(), static_cast<int>(r() % 3)) != PJ_OK || out != c.expected) ++bad;
      pj_kernel_destroy(k);
      ++runs;
    }
  };
  std::vector<std::thread> threads;
  const int n = 2 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) threads.emplace_back(worker, rng());
  for (std::thread& t : threads) t.join();
  pj_cache_stats after;
  pj_cache_get_stats(&after);
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(after.evictions, before.evictions);
  EXPECT_LE(after.entries, 8u);
  std::cout << n << " threads, " << runs.load() << " create/run/destroy cycles, " << after.evictions - before.evictions
            << " evictions, " << after.hits - before.hits << " hits\n";
}

TEST_F(Runtime, CacheLimitsAndStats) {
  ASSERT_EQ(pj_cache_set_limits(2, size_t{1} << 30), PJ_OK);
  pj_cache_clear();
  for (int hw : {11, 12, 13}) {
    pj_spec s = to_c(conv_spec(1, hw, 3, 3));
    pj_kernel* k = nullptr;
    ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_AUTO, &k), PJ_OK);
    pj_kernel_destroy(k);
  }
  pj_cache_stats st;
  pj_cache_get_stats(&st);
  EXPECT_EQ(st.entries, 2u);
  EXPECT_EQ(st.max_entries, 2u);
  EXPECT_GT(st.compile_seconds, 0.0);
  if (pj_backend_available(PJ_BACKEND_XBYAK) == PJ_OK) {
    EXPECT_GT(st.code_bytes, 0u);
  }
  // A kernel keeps its code after eviction: run one whose entry is gone.
  pj_spec s = to_c(conv_spec(1, 11, 3, 3));
  pj_kernel* kept = nullptr;
  ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_AUTO, &kept), PJ_OK);
  pj_cache_clear();
  std::mt19937_64 rng(5);
  Case c = make_case(conv_spec(1, 11, 3, 3), rng);
  std::vector<uint8_t> out(c.g.output_bytes());
  ASSERT_EQ(pj_kernel_run(kept, c.input.data(), out.data(), 1), PJ_OK);
  EXPECT_TRUE(out == c.expected);
  pj_kernel_destroy(kept);
  // Caching off still works.
  ASSERT_EQ(pj_cache_set_limits(0, 0), PJ_OK);
  ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_AUTO, &kept), PJ_OK);
  pj_cache_get_stats(&st);
  EXPECT_EQ(st.entries, 0u);
  pj_kernel_destroy(kept);
}

// Found by reading: pj_kernel_describe printed the current cap, not the ISA the kernel was
// built for; and the cache key and the builder each read the cap, so a concurrent
// pj_set_max_isa could file an AVX2 kernel under the AVX-512 key. One snapshot serves both.
TEST_F(Runtime, KernelsKeepTheIsaTheyWereBuiltFor) {
  if (pj_host_isa() != PJ_ISA_AVX512) GTEST_SKIP() << "needs both ISAs";
  if (pj_backend_available(PJ_BACKEND_XBYAK) != PJ_OK) GTEST_SKIP() << pj_last_error();
  std::mt19937_64 rng(17);
  Case c = make_case(conv_spec(1, 7, 3, 3), rng);
  pj_spec s = to_c(c.spec);
  ASSERT_EQ(pj_set_max_isa(PJ_ISA_AVX512), PJ_OK);
  pj_kernel* k = nullptr;
  ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_XBYAK, &k), PJ_OK);
  ASSERT_EQ(pj_set_max_isa(PJ_ISA_AVX2), PJ_OK);
  EXPECT_NE(describe(k).find("backend xbyak (avx512)"), std::string::npos) << describe(k);
  pj_kernel_destroy(k);

  // Creates racing with cap changes: every kernel's label, code name and behaviour agree.
  pj_cache_clear();
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::thread flipper([&] {
    for (int i = 0; !stop.load(); ++i) pj_set_max_isa(i % 2 ? PJ_ISA_AVX2 : PJ_ISA_AVX512);
  });
  auto creator = [&] {
    for (int i = 0; i < 300; ++i) {
      pj_kernel* kernel = nullptr;
      if (pj_kernel_create(&s, PJ_BACKEND_XBYAK, &kernel) != PJ_OK) {
        ++bad;
        continue;
      }
      const std::string text = describe(kernel);
      const bool avx512 = text.find("backend xbyak (avx512)") != std::string::npos;
      if (text.find(avx512 ? "kernel eip_avx512_" : "kernel eip_avx2_") == std::string::npos) ++bad;
      std::vector<uint8_t> out(c.g.output_bytes());
      if (pj_kernel_run(kernel, c.input.data(), out.data(), 1) != PJ_OK || out != c.expected) ++bad;
      pj_kernel_destroy(kernel);
      if (i % 50 == 0) pj_cache_clear();
    }
  };
  std::thread a(creator), b(creator);
  a.join(), b.join();
  stop = true;
  flipper.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_F(Runtime, IsaCap) {
  if (pj_backend_available(PJ_BACKEND_XBYAK) != PJ_OK) GTEST_SKIP() << pj_last_error();
  EXPECT_EQ(pj_set_max_isa(static_cast<pj_isa>(9)), PJ_INVALID_ARGUMENT);
  std::mt19937_64 rng(11);
  Case c = make_case(conv_spec(1, 9, 5, 3), rng);
  pj_spec s = to_c(c.spec);
  ASSERT_EQ(pj_set_max_isa(PJ_ISA_AVX2), PJ_OK);
  EXPECT_EQ(pj_max_isa(), PJ_ISA_AVX2);
  pj_kernel* k = nullptr;
  ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_AUTO, &k), PJ_OK);
  EXPECT_EQ(pj_kernel_backend(k), PJ_BACKEND_XBYAK);
  EXPECT_NE(describe(k).find("backend xbyak (avx2)"), std::string::npos) << describe(k);
  EXPECT_NE(describe(k).find("eip_avx2_e4_9x9x5_k3x3_s1x1_r1x1_same"), std::string::npos);
  std::vector<uint8_t> out(c.g.output_bytes());
  ASSERT_EQ(pj_kernel_run(k, c.input.data(), out.data(), 1), PJ_OK);
  EXPECT_TRUE(out == c.expected);
  const void* code = nullptr;
  EXPECT_GT(pj_kernel_code(k, &code), 0u);
  EXPECT_NE(code, nullptr);
  pj_kernel_destroy(k);

  ASSERT_EQ(pj_set_max_isa(PJ_ISA_NONE), PJ_OK);
  EXPECT_EQ(pj_backend_available(PJ_BACKEND_XBYAK), PJ_UNIMPLEMENTED);
  EXPECT_NE(std::strstr(pj_last_error(), "ISA cap is 'none'"), nullptr) << pj_last_error();
  EXPECT_EQ(pj_kernel_create(&s, PJ_BACKEND_XBYAK, &k), PJ_UNIMPLEMENTED);
  ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_AUTO, &k), PJ_OK);
  EXPECT_EQ(pj_kernel_backend(k), PJ_BACKEND_INTERP);
  EXPECT_NE(describe(k).find("passed over xbyak: backend xbyak is turned off"), std::string::npos) << describe(k);
  EXPECT_EQ(pj_kernel_code(k, &code), 0u);
  EXPECT_EQ(code, nullptr);
  pj_kernel_destroy(k);
}

// The output size from which the cost model streams on this machine, as describe says it
// ("non-temporal from outputs of 2 MiB"); 0 when it does not say.
int64_t streaming_threshold_described(const std::string& text) {
  const std::string key = "non-temporal from outputs of ";
  const size_t at = text.find(key);
  if (at == std::string::npos) return 0;
  const int64_t n = std::atoll(text.c_str() + at + key.size());
  return text.compare(text.find(' ', at + key.size()) + 1, 3, "MiB") == 0 ? n << 20 : n << 10;
}

// Outputs beyond what the cost model keeps in the caches (codegen/plan/cost_model.h) stream
// (non-temporal stores) when the output is 64-byte aligned, and fall back to the cached-store
// kernel when it is not; smaller ones never stream. Describe names the model's inputs.
TEST_F(Runtime, LargeOutputsStreamOnAlignedBuffersOnly) {
  std::mt19937_64 rng(17);
  // 72 MiB of output (past the threshold of every machine measured: 64 MiB for a 32 MiB L3)
  // and 663 kB (below the L2 of both); both with taps of 512 bytes.
  int streamed = 0, cached = 0;
  for (const pj::Spec& spec : {conv_spec(1, 256, 128, 3), conv_spec(1, 12, 128, 3)}) {
    Case c = make_case(spec, rng);
    pj_spec s = to_c(spec);
    std::vector<uint8_t> storage(c.g.output_bytes() + 64 + 8);
    uint8_t* aligned = storage.data() + (64 - reinterpret_cast<uintptr_t>(storage.data()) % 64) % 64;
    for (pj_backend backend : {PJ_BACKEND_XBYAK, PJ_BACKEND_LLVM}) {
      if (pj_backend_available(backend) != PJ_OK) continue;
      pj_cache_clear();
      pj_kernel* k = nullptr;
      ASSERT_EQ(pj_kernel_create(&s, backend, &k), PJ_OK);
      const std::string text = describe(k);
      const int64_t threshold = streaming_threshold_described(text);
      ASSERT_GT(threshold, 0) << text;
      const bool streams = c.g.output_bytes() >= threshold;
      (streams ? streamed : cached) += 1;
      // Both kernels are one cache entry (one lookup per create), whose code counts both.
      pj_cache_stats stats{};
      pj_cache_get_stats(&stats);
      EXPECT_EQ(stats.entries, 1u);
      const void* code = nullptr;
      const size_t own = pj_kernel_code(k, &code);
      if (streams) {
        EXPECT_GT(stats.code_bytes, own);
      } else {
        EXPECT_EQ(stats.code_bytes, own);
      }
      // The model's inputs: the caches, or that CPUID did not describe them (virtual machines
      // may hide the cache leaves; seen on an AMD EPYC guest).
      const std::string stores = streams ? "stores: non-temporal on 64-byte aligned outputs (" : "stores: cached (";
      EXPECT_TRUE(text.find(stores + "L2 ") != std::string::npos ||
                  text.find(stores + "caches unknown") != std::string::npos)
          << text;
      for (uint8_t* out : {aligned, aligned + 8}) {
        std::memset(out, 0x77, c.g.output_bytes());
        ASSERT_EQ(pj_kernel_run(k, c.input.data(), out, 0), PJ_OK);
        EXPECT_EQ(std::memcmp(out, c.expected.data(), c.g.output_bytes()), 0)
            << pj_backend_name(backend) << ", output offset " << (out - aligned);
      }
      pj_kernel_destroy(k);
    }
  }
  if (pj_backend_available(PJ_BACKEND_XBYAK) == PJ_OK || pj_backend_available(PJ_BACKEND_LLVM) == PJ_OK) {
    EXPECT_GT(streamed, 0) << "this machine streams only past 72 MiB: the streaming kernels went untested";
    EXPECT_GT(cached, 0);
  }
}

// Kernels beyond the code-size limit get run-time loops, and beyond what loops can fit, the
// plan interpreter: creation never fails for size, and outputs stay exact. The limit that
// gives loops is searched for from twice the unrolled kernel's size down (the planner judges
// the unrolled kernel by its estimate, which may be twice the code).
TEST_F(Runtime, CodeSizeLimitFallsBackToLoopsThenToTheInterpreter) {
  if (pj_backend_available(PJ_BACKEND_XBYAK) != PJ_OK) GTEST_SKIP() << pj_last_error();
  const size_t saved = pj_kernel_code_limit();
  std::mt19937_64 rng(19);
  Case c = make_case(conv_spec(2, 23, 64, 5), rng);
  pj_spec s = to_c(c.spec);
  // Creates the kernel under `limit`, checks its output, and returns its code size and
  // description.
  const auto create = [&](size_t limit, std::string* text) -> size_t {
    pj_set_kernel_code_limit(limit);
    pj_cache_clear();
    pj_kernel* k = nullptr;
    EXPECT_EQ(pj_kernel_create(&s, PJ_BACKEND_XBYAK, &k), PJ_OK) << pj_last_error();
    if (k == nullptr) return 0;
    const void* code = nullptr;
    const size_t size = pj_kernel_code(k, &code);
    *text = describe(k);
    std::vector<uint8_t> out(c.g.output_bytes(), 0x42);
    EXPECT_EQ(pj_kernel_run(k, c.input.data(), out.data(), 0), PJ_OK);
    EXPECT_TRUE(out == c.expected) << "limit " << limit;
    pj_kernel_destroy(k);
    return size;
  };
  std::string text;
  const size_t unlimited = create(saved, &text);
  EXPECT_EQ(text.find("(with loops)"), std::string::npos) << text;
  bool looped = false;
  for (size_t limit = 2 * unlimited; limit >= 1024 && !looped; limit = limit * 4 / 5) {
    const size_t size = create(limit, &text);
    if (text.find("(with loops)") == std::string::npos) continue;
    looped = true;
    EXPECT_GT(size, 0u);
    EXPECT_LE(size, limit);
    EXPECT_NE(text.find("(loop)"), std::string::npos) << text;
  }
  EXPECT_TRUE(looped) << "no limit below " << 2 * unlimited << " bytes gave the kernel with loops";
  EXPECT_EQ(create(64, &text), 0u);
  EXPECT_NE(text.find("with loops: kernel eip_"), std::string::npos) << text;
  pj_set_kernel_code_limit(saved);
  pj_cache_clear();
}

// Found by the API fuzzer (a timeout): a legal signature whose kernel would be far beyond any
// code limit (2049 regions of hundreds of 8 KB gathers) must be judged from the planner's
// estimate, not emitted first: each JIT backend falls back to the interpreter at once.
TEST_F(Runtime, HugeKernelsAreJudgedBeforeEmission) {
  pj_spec s{};
  s.dtype = PJ_UINT32;
  const int64_t shape[4] = {3, 8, 2048, 2048}, k[4] = {1, 2048, 2048, 1}, st[4] = {1, 3, 3, 1}, r[4] = {1, 3, 4, 1};
  for (int i = 0; i < 4; ++i) s.input_shape[i] = shape[i], s.ksizes[i] = k[i], s.strides[i] = st[i], s.rates[i] = r[i];
  s.padding = PJ_PADDING_SAME;
  for (pj_backend backend : {PJ_BACKEND_XBYAK, PJ_BACKEND_LLVM}) {
    if (pj_backend_available(backend) != PJ_OK) continue;
    pj_kernel* kernel = nullptr;
    ASSERT_EQ(pj_kernel_create(&s, backend, &kernel), PJ_OK) << pj_last_error();
    EXPECT_NE(describe(kernel).find("with loops: kernel"), std::string::npos) << describe(kernel).substr(0, 300);
    EXPECT_NE(describe(kernel).find("bytes of code"), std::string::npos);
    pj_kernel_destroy(kernel);
  }
  // Also found by the fuzzer: a kernel small in bytes but of 2,000 loops, which LLVM's O2
  // pipeline took 8 s to compile (about 2.4 ms per loop); xbyak emits it in milliseconds.
  if (pj_backend_available(PJ_BACKEND_LLVM) == PJ_OK) {
    pj_spec loops = s;
    const int64_t shape2[4] = {3, 8, 2048, 3}, k2[4] = {1, 2147483561, 2048, 1}, st2[4] = {1, 2048, 6, 1};
    for (int i = 0; i < 4; ++i) loops.input_shape[i] = shape2[i], loops.ksizes[i] = k2[i], loops.strides[i] = st2[i];
    loops.rates[1] = loops.rates[2] = 3;
    pj_kernel* kernel = nullptr;
    ASSERT_EQ(pj_kernel_create(&loops, PJ_BACKEND_LLVM, &kernel), PJ_OK) << pj_last_error();
    EXPECT_NE(describe(kernel).find("loops, over the llvm budget"), std::string::npos)
        << describe(kernel).substr(0, 300);
    pj_kernel_destroy(kernel);
  }
}

// A backend that cannot run here (not built, no CPU support, capped off) says why, by name.
TEST_F(Runtime, UnavailableBackendsSayWhy) {
  pj_spec s = to_c(conv_spec(1, 6, 2, 3));
  for (pj_backend b : {PJ_BACKEND_REFERENCE, PJ_BACKEND_INTERP, PJ_BACKEND_XBYAK, PJ_BACKEND_LLVM}) {
    pj_kernel* k = nullptr;
    const pj_status available = pj_backend_available(b);
    const std::string why = pj_last_error();
    const pj_status created = pj_kernel_create(&s, b, &k);
    if (available == PJ_OK) {
      EXPECT_EQ(created, PJ_OK) << pj_backend_name(b) << ": " << pj_last_error();
    } else {
      EXPECT_EQ(available, PJ_UNIMPLEMENTED);
      EXPECT_EQ(created, PJ_UNIMPLEMENTED);
      EXPECT_NE(why.find(std::string("backend ") + pj_backend_name(b)), std::string::npos) << why;
      EXPECT_EQ(why, pj_last_error());
      std::cout << pj_backend_name(b) << " unavailable: " << why << "\n";
    }
    pj_kernel_destroy(k);
  }
}

// Run by ctest with PATCHJIT_LLVM_PLUGIN pointing at a missing plugin, or at one of another
// build, and PATCHJIT_EXPECT_LLVM_UNAVAILABLE naming the reason: backend llvm must be
// unavailable and say so, and the other backends keep working.
TEST_F(Runtime, UnavailableLlvmSaysWhy) {
  const char* expected = std::getenv("PATCHJIT_EXPECT_LLVM_UNAVAILABLE");
  if (expected == nullptr) GTEST_SKIP() << "needs PATCHJIT_EXPECT_LLVM_UNAVAILABLE";
  ASSERT_EQ(pj_backend_available(PJ_BACKEND_LLVM), PJ_UNIMPLEMENTED);
  EXPECT_NE(std::string(pj_last_error()).find(expected), std::string::npos) << pj_last_error();
  pj_spec s = to_c(conv_spec(1, 6, 2, 3));
  pj_kernel* k = nullptr;
  EXPECT_EQ(pj_kernel_create(&s, PJ_BACKEND_LLVM, &k), PJ_UNIMPLEMENTED);
  EXPECT_NE(std::string(pj_last_error()).find(expected), std::string::npos) << pj_last_error();
  ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_AUTO, &k), PJ_OK) << pj_last_error();
  pj_kernel_destroy(k);
}

// Run by ctest with PATCHJIT_PERF_MAP=1 and PATCHJIT_JIT_DUMP set: each JIT kernel appears in
// /tmp/perf-<pid>.map under its name, and its bytes in the dump folder.
TEST(Inspection, PerfMapAndDumps) {
  const char* dump = std::getenv("PATCHJIT_JIT_DUMP");
  const char* map = std::getenv("PATCHJIT_PERF_MAP");
  if (dump == nullptr || map == nullptr) GTEST_SKIP() << "needs PATCHJIT_PERF_MAP=1 and PATCHJIT_JIT_DUMP=DIR";
  if (pj_backend_available(PJ_BACKEND_XBYAK) != PJ_OK) GTEST_SKIP() << pj_last_error();
  pj_cache_clear();
  pj_spec s = to_c(conv_spec(1, 13, 3, 3));
  pj_kernel* k = nullptr;
  ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_XBYAK, &k), PJ_OK);
  const void* code = nullptr;
  const size_t size = pj_kernel_code(k, &code);
  const std::string name = std::string("eip_") +
                           pj_isa_name(pj_max_isa() < pj_host_isa() ? pj_max_isa() : pj_host_isa()) +
                           "_e4_13x13x3_k3x3_s1x1_r1x1_same";
  FILE* f = std::fopen((std::string("/tmp/perf-") + std::to_string(getpid()) + ".map").c_str(), "r");
  ASSERT_NE(f, nullptr);
  char line[512];
  bool listed = false;
  while (std::fgets(line, sizeof line, f)) {
    unsigned long address = 0, length = 0;
    char symbol[256] = {};
    if (std::sscanf(line, "%lx %lx %255s", &address, &length, symbol) == 3 && symbol == name) {
      listed = address == reinterpret_cast<uintptr_t>(code) && length == size;
    }
  }
  std::fclose(f);
  EXPECT_TRUE(listed) << name;
  FILE* bin = std::fopen((std::string(dump) + "/" + name + ".bin").c_str(), "rb");
  ASSERT_NE(bin, nullptr) << name;
  std::vector<uint8_t> bytes(size + 1);
  EXPECT_EQ(std::fread(bytes.data(), 1, bytes.size(), bin), size);
  std::fclose(bin);
  EXPECT_EQ(std::memcmp(bytes.data(), code, size), 0);
  pj_kernel_destroy(k);
}

}  // namespace
