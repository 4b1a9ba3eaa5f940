// Kernels made by `patchjit aot` (tests/aot/*.manifest, --cpu native, made in the build) linked
// into this test beside libpatchjit: the generated header's own calls, then the table registered
// and served by pj_kernel_create (extract in every format, and fold), every output identical to
// the golden loops. Entries claiming
// features this CPU lacks are skipped for the JIT. Run again with PATCHJIT_MAX_ISA=avx2, where
// kernels that need AVX-512 must be refused.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "aot_fold.h"
#include "aot_fold_v3.h"
#include "aot_formats.h"
#include "aot_suite.h"
#include "patchjit/patchjit.h"
#include "reference/golden.h"
#include "runtime/c_spec.h"
#include "tests/support/guarded_buffer.h"
#include "tests/support/random_spec.h"

namespace {

pj_spec spec_of(const pj_aot_kernel& k, int64_t batch) {
  const pj_aot_signature& s = k.signature;
  pj_spec spec{};
  spec.dtype = s.element_size == 1   ? PJ_UINT8
               : s.element_size == 2 ? PJ_BFLOAT16
               : s.element_size == 4 ? PJ_INT32
               : s.element_size == 8 ? PJ_INT64
                                     : PJ_COMPLEX128;
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
    const bool avx =
        name.rfind("avx", 0) == 0 || name == "fma" || name == "f16c" || name == "vaes" || name == "vpclmulqdq";
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
  pj_aot_signature layer{};  // the fields not set: TensorFlow's format, zero padding, dense
  layer.element_size = 4, layer.rows = 56, layer.cols = 56, layer.depth = 64, layer.ksize_rows = 3,
  layer.ksize_cols = 3;
  layer.stride_rows = layer.stride_cols = layer.rate_rows = layer.rate_cols = 1;
  layer.padding = PJ_AOT_PADDING_SAME;
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
  std::printf("%d of %d creates served by kernels compiled for %s (ISA cap %s)\n", served, 2 * AOT_SUITE_KERNEL_COUNT,
              aot_suite_kernels[0].cpu, pj_isa_name(pj_max_isa()));
}

// The extended spec a version 2 signature stands for (its strides are the resolved ones).
pj_spec_ex spec_ex_of(const pj_aot_kernel& k, int64_t batch) {
  const pj_aot_signature& s = k.signature;
  pj_spec_ex ex;
  pj_spec_ex_init(&ex, nullptr);
  ex.base = spec_of(k, batch);
  const bool nhwc = s.layout == PJ_AOT_LAYOUT_NHWC;
  const int64_t shape[4] = {batch, nhwc ? s.rows : s.depth, nhwc ? s.cols : s.rows, nhwc ? s.depth : s.cols};
  for (int i = 0; i < 4; ++i) ex.base.input_shape[i] = shape[i], ex.pads[i] = s.pads[i];
  ex.base.padding = static_cast<pj_padding>(s.padding);
  std::memcpy(ex.pad_value, s.pad_value, sizeof ex.pad_value);
  ex.layout = static_cast<pj_layout>(s.layout);
  ex.patch_order = static_cast<pj_patch_order>(s.patch_order);
  ex.patches = static_cast<pj_patches>(s.patches);
  for (int i = 0; i < 3; ++i) ex.input_strides[i] = s.input_strides[i];
  for (int i = 0; i < 2; ++i) ex.output_strides[i] = s.output_strides[i];
  return ex;
}

// tests/aot/aot_formats.manifest: torch's unfold, NCHW with a zero point, CHW order with a -inf
// half pad value, strided inputs and outputs. Each is served by its ahead-of-time kernel (when
// this CPU can run it) and writes exactly the reference's bytes, gaps of strided outputs
// untouched, whole and in tiles that split rows.
TEST(AotRuntime, EngineFormatsAreServedByTheirAheadOfTimeKernels) {
  ASSERT_EQ(AOT_FORMATS_KERNEL_COUNT, 5);
  ASSERT_EQ(pj_register_aot_kernels(aot_formats_kernels, AOT_FORMATS_KERNEL_COUNT), PJ_OK) << pj_last_error();
  const uint64_t usable = usable_features();
  for (const pj_aot_kernel& k : aot_formats_kernels) {
    const bool runs_here = pj_aot_kernel_supported(&k, usable);
    for (int64_t batch : {2, 3}) {
      const pj_spec_ex ex = spec_ex_of(k, batch);
      pj_kernel* kernel = nullptr;
      ASSERT_EQ(pj_kernel_create_ex(&ex, PJ_BACKEND_AUTO, &kernel), PJ_OK) << k.name << ": " << pj_last_error();
      const std::string text = describe(kernel);
      EXPECT_EQ(text.find(std::string("ahead-of-time kernel ") + k.name) != std::string::npos, runs_here) << text;
      const pj::Geometry g = *pj::make_geometry(pj::from_c(ex));
      std::mt19937_64 rng(batch);
      std::vector<uint8_t> input = pj::testing::random_bytes(rng, pj_kernel_input_bytes(kernel));
      for (uint8_t fill : {uint8_t{0xa5}, uint8_t{0x5a}}) {
        std::vector<uint8_t> output(pj_kernel_output_bytes(kernel), fill), expected(output.size(), fill);
        pj::golden_extract(g, input.data(), expected.data());
        if (fill == 0xa5) {
          EXPECT_EQ(pj_kernel_run(kernel, input.data(), output.data(), 2), PJ_OK) << pj_last_error();
        } else {
          const int64_t end = pj_kernel_positions(kernel);
          const int64_t cuts[] = {0, 3, end / 3 + 1, end / 2 - 1, end};
          for (int c = 0; c + 1 < 5; ++c) {
            EXPECT_EQ(pj_kernel_run_range(kernel, input.data(), output.data(), cuts[c], cuts[c + 1]), PJ_OK);
          }
        }
        EXPECT_TRUE(output == expected) << k.name << " batch " << batch << " fill " << int{fill} << "\n" << text;
      }
      pj_kernel_destroy(kernel);
    }
  }
}

// tests/aot/aot_fold.manifest: fold kernels (float32, half mean, int8 with explicit pads,
// complex64 into a strided patch matrix, float64 block loops, torch's F.fold, a uint8 stem whose
// rows are summed in vectors of lanes where compiled for AVX-512). Each is served by its
// ahead-of-time kernel for its dtype and mode (when this CPU can run it) and writes exactly the
// reference backend's image, whole and in tiles; the generated header runs one by itself.
TEST(AotRuntime, FoldKernelsAreServedByTheirAheadOfTimeKernels) {
  ASSERT_EQ(AOT_FOLD_KERNEL_COUNT, 7);
  EXPECT_STREQ(aot_fold_kernels[0].name, "aot_fold_fold_f32_12x11x8_k3x3_s1x1_r1x1_same");
  EXPECT_EQ(aot_fold_kernels[0].signature.op, PJ_AOT_OP_FOLD);
  EXPECT_EQ(aot_fold_kernels[1].signature.mode, PJ_AOT_FOLD_MEAN);
  EXPECT_EQ(aot_fold_kernels[1].signature.dtype, PJ_HALF);
  EXPECT_EQ(aot_fold_kernels[0].out_rows * aot_fold_kernels[0].out_cols * aot_fold_kernels[0].out_depth, 12 * 11 * 8);
  ASSERT_EQ(pj_register_aot_kernels(aot_fold_kernels, AOT_FOLD_KERNEL_COUNT), PJ_OK) << pj_last_error();
  const uint64_t usable = usable_features();
  for (const pj_aot_kernel& k : aot_fold_kernels) {
    const bool runs_here = pj_aot_kernel_supported(&k, usable);
    const auto mode = static_cast<pj_fold_mode>(k.signature.mode);
    for (int64_t batch : {1, 3}) {
      pj_spec_ex ex = spec_ex_of(k, batch);
      ex.base.dtype = static_cast<pj_dtype>(k.signature.dtype);
      pj_kernel *kernel = nullptr, *reference = nullptr;
      ASSERT_EQ(pj_fold_kernel_create(&ex, mode, PJ_BACKEND_AUTO, &kernel), PJ_OK) << k.name << ": " << pj_last_error();
      ASSERT_EQ(pj_fold_kernel_create(&ex, mode, PJ_BACKEND_REFERENCE, &reference), PJ_OK) << pj_last_error();
      const std::string text = describe(kernel);
      EXPECT_EQ(text.find(std::string("ahead-of-time kernel ") + k.name) != std::string::npos, runs_here) << text;
      if (runs_here && std::string(k.name).find("u8_30x37x3") != std::string::npos) {
        // The description says how the kernel was compiled: in lanes with 64-byte permutes.
        const uint64_t permutes = (uint64_t{1} << PJ_AOT_FEATURE_AVX512F) |
                                  (uint64_t{1} << PJ_AOT_FEATURE_AVX512BW) | (uint64_t{1} << PJ_AOT_FEATURE_AVX512VBMI);
        EXPECT_EQ(text.find("in vectors of lanes") != std::string::npos,
                  (k.required_features & permutes) == permutes)
            << text;
      }
      std::mt19937_64 rng(batch);
      const std::vector<uint8_t> patches = pj::testing::random_fold_data(
          rng, static_cast<pj::DType>(k.signature.dtype), pj_kernel_input_bytes(kernel));
      std::vector<uint8_t> expected(pj_kernel_output_bytes(kernel), 0xa5);
      ASSERT_EQ(pj_kernel_run(reference, patches.data(), expected.data(), 1), PJ_OK) << pj_last_error();
      for (uint8_t fill : {uint8_t{0xa5}, uint8_t{0x5a}}) {
        std::vector<uint8_t> image(expected.size(), fill);
        if (fill == 0xa5) {
          EXPECT_EQ(pj_kernel_run(kernel, patches.data(), image.data(), 2), PJ_OK) << pj_last_error();
        } else {  // tiles of image positions, splitting rows
          const int64_t end = pj_kernel_positions(kernel);
          const int64_t cuts[] = {0, 3, end / 3 + 1, end / 2 - 1, end};
          for (int c = 0; c + 1 < 5; ++c) {
            EXPECT_EQ(pj_kernel_run_range(kernel, patches.data(), image.data(), cuts[c], cuts[c + 1]), PJ_OK);
          }
        }
        EXPECT_TRUE(image == expected) << k.name << " batch " << batch << " fill " << int{fill} << "\n" << text;
      }
      if (batch == 3 && &k == &aot_fold_kernels[0] && runs_here) {  // the header's own call, no library
        std::vector<uint8_t> image(expected.size(), 0x11);
        aot_fold_fold_f32_12x11x8_k3x3_s1x1_r1x1_same_run(patches.data(), image.data(), batch);
        EXPECT_TRUE(image == expected);
      }
      pj_kernel_destroy(kernel);
      pj_kernel_destroy(reference);
    }
  }
}

// The same folds compiled for x86-64-v3 (32-byte vectors), called through their table without
// the library: patches and image against guard pages at either end, rows in two parts, the
// image the reference backend's byte for byte.
TEST(AotRuntime, FoldKernelsForAvx2MatchTheReference) {
  ASSERT_EQ(AOT_FOLD_V3_KERNEL_COUNT, AOT_FOLD_KERNEL_COUNT);
  ASSERT_STREQ(aot_fold_v3_kernels[0].cpu, "x86-64-v3");
  for (const pj_aot_kernel& k : aot_fold_v3_kernels) {
    if (!pj_aot_kernel_supported(&k, pj_aot_host_features())) GTEST_SKIP() << "this CPU has no AVX2";
    for (int64_t batch : {1, 2}) {
      pj_spec_ex ex = spec_ex_of(k, batch);
      ex.base.dtype = static_cast<pj_dtype>(k.signature.dtype);
      pj_kernel* reference = nullptr;
      ASSERT_EQ(pj_fold_kernel_create(&ex, static_cast<pj_fold_mode>(k.signature.mode), PJ_BACKEND_REFERENCE,
                                      &reference), PJ_OK) << pj_last_error();
      const size_t in_bytes = pj_kernel_input_bytes(reference), out_bytes = pj_kernel_output_bytes(reference);
      std::mt19937_64 rng(batch + 7);
      const std::vector<uint8_t> patches =
          pj::testing::random_fold_data(rng, static_cast<pj::DType>(k.signature.dtype), in_bytes);
      std::vector<uint8_t> expected(out_bytes);
      ASSERT_EQ(pj_kernel_run(reference, patches.data(), expected.data(), 1), PJ_OK) << pj_last_error();
      pj_kernel_destroy(reference);
      using pj::testing::GuardedBuffer;
      for (auto placement : {GuardedBuffer::Placement::kStart, GuardedBuffer::Placement::kEnd}) {
        GuardedBuffer in(in_bytes, placement), out(out_bytes, placement);
        std::memcpy(in.data(), patches.data(), in_bytes);
        std::memset(out.data(), 0xa5, out_bytes);
        const int64_t rows = batch * k.signature.rows, cut = rows / 2 + 1;
        pj_aot_args second = {in.data(), out.data(), cut, rows}, first = {in.data(), out.data(), 0, cut};
        k.function(&second);
        k.function(&first);
        EXPECT_EQ(std::memcmp(out.data(), expected.data(), out_bytes), 0) << k.name << " batch " << batch;
      }
    }
  }
}

}  // namespace
