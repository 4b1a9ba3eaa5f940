// Kernels made by `patchjit aot` (tests/aot_suite.manifest, --cpu native, made in the build) linked
// into this test beside libpatchjit: the generated header's own calls, then the table registered
// and served by pj_kernel_create, every output identical to the golden loops. Entries claiming
// features this CPU lacks are skipped for the JIT. Run again with PATCHJIT_MAX_ISA=avx2, where
// kernels that need AVX-512 must be refused.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "aot_suite.h"
#include "patchjit/patchjit.h"
#include "reference/golden.h"
#include "tests/support/random_spec.h"

namespace {

pj_spec spec_of(const pj_aot_kernel& k, int64_t batch) {
  const pj_aot_signature& s = k.signature;
  pj_spec spec{};
  spec.dtype = s.element_size == 1 ? PJ_UINT8 : s.element_size == 2 ? PJ_BFLOAT16 : s.element_size == 4 ? PJ_INT32
             : s.element_size == 8 ? PJ_INT64 : PJ_COMPLEX128;
  const int64_t shape[4] = {batch, s.rows, s.cols, s.depth};
  for (int i = 0; i < 4; ++i) spec.input_shape[i] = shape[i];
  const int64_t ksizes[4] = {1, s.ksize_rows, s.ksize_cols, 1}, strides[4] = {1, s.stride_rows, s.stride_cols, 1},
                rates[4] = {1, s.rate_rows, s.rate_cols, 1};
  for (int i = 0; i < 4; ++i) spec.ksizes[i] = ksizes[i], spec.strides[i] = strides[i], spec.rates[i] = rates[i];
  spec.padding = s.padding == PJ_AOT_PADDING_SAME ? PJ_PADDING_SAME : PJ_PADDING_VALID;
  return spec;
}

pj::Geometry geometry_of(const pj_spec& c) {
  pj::Spec s;
  s.dtype = static_cast<pj::DType>(c.dtype);
  s.padding = static_cast<pj::Padding>(c.padding);
  for (int i = 0; i < 4; ++i) {
    s.image_shape[i] = c.input_shape[i], s.ksizes[i] = c.ksizes[i];
    s.strides[i] = c.strides[i], s.rates[i] = c.rates[i];
  }
  return *pj::make_geometry(s);
}

std::string describe(const pj_kernel* kernel) {
  std::string text(pj_kernel_describe(kernel, nullptr, 0) + 1, '\0');
  pj_kernel_describe(kernel, text.data(), text.size());
  return text;
}

// What the ISA cap leaves ahead-of-time kernels (runtime/aot_registry.h).
uint64_t usable_features() {
  uint64_t features = pj_aot_host_features();
  if (pj_max_isa() == PJ_ISA_AVX512) return features;
  for (int bit = 0; bit < PJ_AOT_FEATURE_COUNT; ++bit) {
    const std::string name = pj_aot_feature_name(bit);
    const bool avx512 = name.rfind("avx512", 0) == 0 || name == "evex512";
    const bool avx = name.rfind("avx", 0) == 0 || name == "fma" || name == "f16c" || name == "vaes" ||
                     name == "vpclmulqdq";
    if (avx512 || (pj_max_isa() == PJ_ISA_NONE && avx)) features &= ~(uint64_t{1} << bit);
  }
  return features;
}

// Creates a kernel on AUTO, runs it (two threads, then in two row ranges) on random data against
// the golden loops, and returns its description.
std::string create_and_check(const pj_spec& spec, uint64_t seed) {
  pj_kernel* kernel = nullptr;
  EXPECT_EQ(pj_kernel_create(&spec, PJ_BACKEND_AUTO, &kernel), PJ_OK) << pj_last_error();
  if (kernel == nullptr) return "";
  std::mt19937_64 rng(seed);
  const pj::Geometry g = geometry_of(spec);
  std::vector<uint8_t> input = pj::testing::random_bytes(rng, pj_kernel_input_bytes(kernel));
  std::vector<uint8_t> output(pj_kernel_output_bytes(kernel), 0xa5), expected(output.size());
  pj::golden_extract(g, input.data(), expected.data());
  EXPECT_EQ(pj_kernel_run(kernel, input.data(), output.data(), 2), PJ_OK) << pj_last_error();
  EXPECT_TRUE(output == expected) << describe(kernel);
  std::fill(output.begin(), output.end(), 0x5a);
  const int64_t rows = g.batch * g.rows.out, split = rows / 3;
  EXPECT_EQ(pj_kernel_run_rows(kernel, input.data(), output.data(), split, rows), PJ_OK);
  EXPECT_EQ(pj_kernel_run_rows(kernel, input.data(), output.data(), 0, split), PJ_OK);
  EXPECT_TRUE(output == expected) << describe(kernel);
  std::string text = describe(kernel);
  pj_kernel_destroy(kernel);
  return text;
}

TEST(AotRuntime, TheGeneratedHeaderFindsAndRunsKernelsWithoutTheLibrary) {
  const pj_aot_signature layer = {4, 56, 56, 64, 3, 3, 1, 1, 1, 1, PJ_AOT_PADDING_SAME};
  const pj_aot_kernel* k = aot_suite_find(&layer);
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k, &aot_suite_kernels[1]);
  EXPECT_STREQ(k->name, "aot_suite_e4_56x56x64_k3x3_s1x1_r1x1_same");
  EXPECT_EQ(k->function, &aot_suite_e4_56x56x64_k3x3_s1x1_r1x1_same);
  EXPECT_EQ(k->out_rows * k->out_cols * k->out_depth, 56 * 56 * 576);
  pj_aot_signature other = layer;
  other.padding = PJ_AOT_PADDING_VALID;
  EXPECT_EQ(aot_suite_find(&other), nullptr);
  if (!pj_aot_kernel_supported(k, pj_aot_host_features())) GTEST_SKIP() << "compiled for another CPU";

  const pj_spec spec = spec_of(*k, 3);
  std::mt19937_64 rng(1);
  std::vector<uint8_t> input = pj::testing::random_bytes(rng, 3 * 56 * 56 * 64 * 4);
  std::vector<uint8_t> output(3 * 56 * 56 * 576 * 4, 0xa5), expected(output.size());
  aot_suite_e4_56x56x64_k3x3_s1x1_r1x1_same_run(input.data(), output.data(), 3);
  pj::golden_extract(geometry_of(spec), input.data(), expected.data());
  EXPECT_TRUE(output == expected);
}

// One test, in this order: the registry cannot be emptied, and the real entries would serve.
TEST(AotRuntime, RegisteredKernelsServeCreatesUnlessThisCpuLacksTheirFeatures) {
  const uint64_t usable = usable_features();
  // First entries that claim more than this CPU has: the JIT (or the interpreter) serves.
  std::vector<pj_aot_kernel> claims(aot_suite_kernels, aot_suite_kernels + AOT_SUITE_KERNEL_COUNT);
  uint64_t missing = uint64_t{1} << 63;  // a feature no CPU has
  for (int bit = 0; bit < PJ_AOT_FEATURE_COUNT; ++bit) {
    if (!(pj_aot_host_features() >> bit & 1)) missing = uint64_t{1} << bit;  // a real one, if any
  }
  for (pj_aot_kernel& k : claims) k.required_features |= missing;
  ASSERT_EQ(pj_register_aot_kernels(claims.data(), claims.size()), PJ_OK) << pj_last_error();
  for (const pj_aot_kernel& k : claims) {
    const std::string text = create_and_check(spec_of(k, 1), 2);
    EXPECT_EQ(text.find("ahead-of-time kernel"), std::string::npos) << text;
  }

  ASSERT_EQ(pj_register_aot_kernels(aot_suite_kernels, AOT_SUITE_KERNEL_COUNT), PJ_OK) << pj_last_error();
  int served = 0;
  for (const pj_aot_kernel& k : aot_suite_kernels) {
    const bool runs_here = pj_aot_kernel_supported(&k, usable);
    for (int64_t batch : {1, 2}) {
      const std::string text = create_and_check(spec_of(k, batch), 3 + batch);
      const std::string said = std::string("ahead-of-time kernel ") + k.name + " (cpu " + k.cpu + ")";
      EXPECT_EQ(text.find(said) != std::string::npos, runs_here) << text;
      served += text.find(said) != std::string::npos;
    }
  }
  std::printf("%d of %d creates served by kernels compiled for %s (ISA cap %s)\n", served,
              2 * AOT_SUITE_KERNEL_COUNT, aot_suite_kernels[0].cpu, pj_isa_name(pj_max_isa()));
}

}  // namespace
