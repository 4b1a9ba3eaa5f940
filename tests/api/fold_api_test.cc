// Fold through the C and C++ APIs (pj_fold_kernel_create, Kernel::fold): every backend that
// serves it, byte for byte against fold's golden loops between guard pages, with any thread
// count, as rows and as random tiles of image pixels; the backends that cannot serve it yet say
// so; its errors, in TensorFlow's words where it has them, and nothing written.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "codegen/plan/geometry.h"
#include "patchjit/patchjit.h"
#include "patchjit/patchjit.hpp"
#include "runtime/c_spec.h"
#include "tests/support/guarded_buffer.h"
#include "tests/support/kernel_check.h"
#include "tests/support/random_spec.h"

namespace {

using pj::testing::GuardedBuffer;

std::string status_of(pj_status status) { return std::string(pj_status_name(status)) + ": " + pj_last_error(); }

std::string describe(const pj_kernel* k) {
  std::string text(pj_kernel_describe(k, nullptr, 0), '\0');
  pj_kernel_describe(k, text.data(), text.size() + 1);
  return text;
}

TEST(FoldApi, EveryBackendMatchesGolden) {
  const uint64_t seed = pj::testing::test_seed();
  std::mt19937_64 rng(seed);
  int ran[5] = {}, tiled = 0, threaded = 0;
  for (int64_t i = 0, n = pj::testing::scaled(400); i < n; ++i) {
    const pj::Spec spec = pj::testing::random_fold_spec(rng);
    const pj::Geometry g = *pj::make_geometry(spec);
    pj::Spec forward = spec;
    forward.op = pj::Op::kExtract;
    const pj_spec_ex s = pj::to_c_ex(forward);
    const pj_fold_mode mode = spec.mode == pj::FoldMode::kMean ? PJ_FOLD_MEAN : PJ_FOLD_SUM;
    GuardedBuffer input(static_cast<size_t>(g.patches_bytes), GuardedBuffer::Placement::kEnd);
    const std::vector<uint8_t> data = pj::testing::random_fold_data(rng, spec.dtype, input.size());
    if (!data.empty()) std::memcpy(input.data(), data.data(), data.size());
    const pj::testing::ExpectedOutput want = pj::testing::expected_output(g, input.data(), rng);
    GuardedBuffer output(want.expected.size(),
                         rng() % 2 ? GuardedBuffer::Placement::kEnd : GuardedBuffer::Placement::kStart);
    auto poison = [&] {
      if (!want.poison.empty()) std::memcpy(output.data(), want.poison.data(), want.poison.size());
    };
    auto matches = [&] {
      return want.expected.empty() || std::memcmp(output.data(), want.expected.data(), want.expected.size()) == 0;
    };
    for (pj_backend b : {PJ_BACKEND_AUTO, PJ_BACKEND_INTERP, PJ_BACKEND_REFERENCE}) {
      pj_kernel* k = nullptr;
      const pj_status st = pj_fold_kernel_create(&s, mode, b, &k);
      ASSERT_EQ(st, PJ_OK) << status_of(st) << " " << pj::testing::describe(spec);
      const std::string what =
          std::string(pj_backend_name(b)) + " " + pj::testing::describe(spec) + " seed " + std::to_string(seed);
      ASSERT_EQ(pj_kernel_output_bytes(k), want.expected.size()) << what;
      ASSERT_EQ(pj_kernel_input_bytes(k), input.size()) << what;
      ASSERT_EQ(pj_kernel_output_rank(k), 4) << what;
      int64_t shape[4];
      pj_kernel_output_shape(k, shape);
      ASSERT_TRUE(std::equal(shape, shape + 4, spec.image_shape.begin())) << what;
      poison();
      const int threads = static_cast<int>(rng() % 3);
      threaded += threads == 2;
      ASSERT_EQ(pj_kernel_run(k, input.data(), output.data(), threads), PJ_OK) << pj_last_error();
      ASSERT_TRUE(matches()) << what;
      // Tiles of image pixels: [0, positions) cut at up to three random points, in random order.
      const int64_t positions = pj_kernel_positions(k);
      ASSERT_EQ(positions, g.batch * g.rows.in * g.cols.in) << what;
      ASSERT_EQ(pj_kernel_rows(k), g.batch * g.rows.in) << what;
      std::vector<int64_t> cuts{0, positions};
      for (int c = 0, m = static_cast<int>(rng() % 4); c < m && positions > 0; ++c) {
        cuts.push_back(static_cast<int64_t>(rng() % static_cast<uint64_t>(positions + 1)));
      }
      std::sort(cuts.begin(), cuts.end());
      std::vector<size_t> order(cuts.size() - 1);
      for (size_t t = 0; t < order.size(); ++t) order[t] = t;
      std::shuffle(order.begin(), order.end(), rng);
      poison();
      for (size_t t : order) {
        ASSERT_EQ(pj_kernel_run_range(k, input.data(), output.data(), cuts[t], cuts[t + 1]), PJ_OK) << pj_last_error();
      }
      ASSERT_TRUE(matches()) << what << " tiles at " << ::testing::PrintToString(cuts);
      tiled += cuts.size() > 2;
      pj_kernel_destroy(k);
      ++ran[b];
    }
  }
  EXPECT_GT(ran[PJ_BACKEND_AUTO], 0);
  EXPECT_GT(tiled, 0);
  EXPECT_GT(threaded, 0);
}

pj_spec_ex small_spec(pj_dtype dtype) {
  pj_spec base{};
  base.dtype = dtype;
  const int64_t shape[4] = {2, 5, 6, 3};
  for (int i = 0; i < 4; ++i) {
    base.input_shape[i] = shape[i];
    base.ksizes[i] = base.strides[i] = base.rates[i] = 1;
  }
  base.ksizes[1] = base.ksizes[2] = 3;
  base.padding = PJ_PADDING_SAME;
  pj_spec_ex s;
  pj_spec_ex_init(&s, &base);
  return s;
}

// Xbyak and LLVM fold the tf format and torch's at column stride 1 (auto takes xbyak where the
// CPU runs it); torch's at stride 2 they do not: asked for by name they say why, auto passes
// them over (pj_kernel_describe names them) and the interpreter runs it.
TEST(FoldApi, XbyakFoldsTheTfFormatAndSaysWhatItDoesNot) {
  const pj_spec_ex s = small_spec(PJ_FLOAT32);
  pj_kernel* k = nullptr;
  // Where this process may map code (api_tests_exec_refused is one where it may not).
  const bool xbyak = pj_fold_kernel_create(&s, PJ_FOLD_SUM, PJ_BACKEND_XBYAK, &k) == PJ_OK;
  pj_kernel_destroy(k);
  const bool llvm = pj_backend_available(PJ_BACKEND_LLVM) == PJ_OK;
  if (llvm) {
    ASSERT_EQ(pj_fold_kernel_create(&s, PJ_FOLD_SUM, PJ_BACKEND_LLVM, &k), PJ_OK) << pj_last_error();
    EXPECT_EQ(pj_kernel_backend(k), PJ_BACKEND_LLVM);
    EXPECT_NE(describe(k).find("kernel fold_llvm_f32_5x6x3_k3x3"), std::string::npos) << describe(k);
    pj_kernel_destroy(k);
  }
  // Auto's JIT: xbyak where it runs; else llvm where Xbyak is not built (and the interpreter
  // where no code may be mapped).
  auto expect_jit = [&](const pj_kernel* kernel) {
    const pj_backend b = pj_kernel_backend(kernel);
    if (xbyak) {
      EXPECT_EQ(b, PJ_BACKEND_XBYAK);
    } else {
      EXPECT_TRUE(b == PJ_BACKEND_LLVM || b == PJ_BACKEND_INTERP) << pj_backend_name(b);
    }
  };
  ASSERT_EQ(pj_fold_kernel_create(&s, PJ_FOLD_SUM, PJ_BACKEND_AUTO, &k), PJ_OK) << pj_last_error();
  expect_jit(k);
  std::string text = describe(k);
  EXPECT_NE(text.find("fold (sum): patches [2,5,6,27] -> image"), std::string::npos) << text;
  EXPECT_NE(text.find("fold plan"), std::string::npos) << text;
  if (xbyak) {
    EXPECT_NE(text.find("kernel fold_"), std::string::npos) << text;
  }
  pj_kernel_destroy(k);

  pj_spec_ex torch = s;  // [N, C, H, W] image, patches as columns in CHW order
  torch.layout = PJ_LAYOUT_NCHW, torch.patch_order = PJ_PATCH_ORDER_CHW, torch.patches = PJ_PATCHES_COLUMNS;
  ASSERT_EQ(pj_fold_kernel_create(&torch, PJ_FOLD_SUM, PJ_BACKEND_AUTO, &k), PJ_OK) << pj_last_error();
  expect_jit(k);
  pj_kernel_destroy(k);
  torch.base.strides[2] = 2;
  if (xbyak) {  // (api_tests_max_isa_avx2 runs it at AVX2)
    k = reinterpret_cast<pj_kernel*>(1);
    EXPECT_EQ(pj_fold_kernel_create(&torch, PJ_FOLD_SUM, PJ_BACKEND_XBYAK, &k), PJ_UNIMPLEMENTED);
    EXPECT_EQ(k, nullptr);
    EXPECT_NE(std::string(pj_last_error()).find("fold's JIT sums whole pixels"), std::string::npos) << pj_last_error();
  }
  if (llvm) {
    k = reinterpret_cast<pj_kernel*>(1);
    EXPECT_EQ(pj_fold_kernel_create(&torch, PJ_FOLD_SUM, PJ_BACKEND_LLVM, &k), PJ_UNIMPLEMENTED);
    EXPECT_EQ(k, nullptr);
    EXPECT_NE(std::string(pj_last_error()).find("fold's JIT sums whole pixels"), std::string::npos) << pj_last_error();
  }
  ASSERT_EQ(pj_fold_kernel_create(&torch, PJ_FOLD_SUM, PJ_BACKEND_AUTO, &k), PJ_OK) << pj_last_error();
  EXPECT_EQ(pj_kernel_backend(k), PJ_BACKEND_INTERP);
  text = describe(k);
  if (xbyak) {
    EXPECT_NE(text.find("passed over xbyak"), std::string::npos) << text;
  }
  pj_kernel_destroy(k);
}

TEST(FoldApi, Errors) {
  pj_kernel* k = reinterpret_cast<pj_kernel*>(1);
  auto refused = [&](const pj_spec_ex* s, pj_fold_mode mode, pj_status want, const char* words) {
    k = reinterpret_cast<pj_kernel*>(1);
    EXPECT_EQ(pj_fold_kernel_create(s, mode, PJ_BACKEND_AUTO, &k), want) << words;
    EXPECT_EQ(k, nullptr);
    EXPECT_NE(std::string(pj_last_error()).find(words), std::string::npos) << pj_last_error();
  };
  refused(nullptr, PJ_FOLD_SUM, PJ_INVALID_ARGUMENT, "spec is NULL");
  pj_spec_ex s = small_spec(PJ_BOOL);
  refused(&s, PJ_FOLD_SUM, PJ_INVALID_ARGUMENT, "bool has no sum");
  s = small_spec(PJ_INT32);
  refused(&s, PJ_FOLD_MEAN, PJ_INVALID_ARGUMENT, "mode mean");
  s = small_spec(PJ_FLOAT32);  // an invalid mode: tests/api/c99_header_check.c (C may store one)
  s.pad_value[0] = 1;
  refused(&s, PJ_FOLD_SUM, PJ_INVALID_ARGUMENT, "no pad value");
  s = small_spec(PJ_FLOAT32);
  s.base.ksizes[0] = 2;
  refused(&s, PJ_FOLD_SUM, PJ_UNIMPLEMENTED, "Only support ksizes across space.");
  s = small_spec(PJ_FLOAT32);
  s.version = 99;
  refused(&s, PJ_FOLD_SUM, PJ_INVALID_ARGUMENT, "version");
  s = small_spec(PJ_FLOAT32);
  EXPECT_EQ(pj_fold_kernel_create(&s, PJ_FOLD_SUM, PJ_BACKEND_AUTO, nullptr), PJ_INVALID_ARGUMENT);

  // Running: overlapping buffers and tiles outside the image are refused, nothing written.
  ASSERT_EQ(pj_fold_kernel_create(&s, PJ_FOLD_SUM, PJ_BACKEND_AUTO, &k), PJ_OK);
  std::vector<uint8_t> buffer(pj_kernel_input_bytes(k) + pj_kernel_output_bytes(k), 0x5A);
  const std::vector<uint8_t> before = buffer;
  EXPECT_EQ(pj_kernel_run(k, buffer.data(), buffer.data() + 8, 1), PJ_INVALID_ARGUMENT);
  EXPECT_EQ(
      pj_kernel_run_range(k, buffer.data(), buffer.data() + pj_kernel_input_bytes(k), 0, pj_kernel_positions(k) + 1),
      PJ_INVALID_ARGUMENT);
  EXPECT_NE(std::string(pj_last_error()).find("image rows * image cols"), std::string::npos) << pj_last_error();
  EXPECT_EQ(buffer, before);
  pj_kernel_destroy(k);
}

// The C++ form: Kernel::fold, a sized run that refuses short buffers before writing, and the
// gradient of a tiny extract computed by hand.
TEST(FoldApi, CppKernelFold) {
  // [1, 1, 3, 1] image, 1x2 kernel, VALID: patches [1, 1, 2, 2] = (a, b), (c, d); the gradient
  // is [a, b + c, d].
  patchjit::Spec spec(PJ_FLOAT32, {1, 1, 3, 1});
  spec.ksizes(1, 2).padding(PJ_PADDING_VALID);
  patchjit::Kernel fold = patchjit::Kernel::fold(spec);
  const float patches[4] = {1.5f, 2.0f, 0.25f, -4.0f};
  float image[3] = {9, 9, 9};
  fold.run(patches, sizeof patches, image, sizeof image);
  EXPECT_EQ(image[0], 1.5f);
  EXPECT_EQ(image[1], 2.25f);
  EXPECT_EQ(image[2], -4.0f);
  float short_image[2] = {9, 9};
  EXPECT_THROW(fold.run(patches, sizeof patches, short_image, sizeof short_image), patchjit::Error);
  EXPECT_EQ(short_image[0], 9.0f);
  patchjit::Kernel mean = patchjit::Kernel::fold(spec, PJ_FOLD_MEAN);
  mean.run(patches, sizeof patches, image, sizeof image);
  EXPECT_EQ(image[1], 1.125f);
  patchjit::Spec booleans(PJ_BOOL, {1, 1, 3, 1});
  EXPECT_FALSE(patchjit::Kernel::try_fold(booleans).ok());
}

}  // namespace
