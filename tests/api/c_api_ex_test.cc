// The extended C API (pj_spec_ex, tiles): every format, pad, pad value and stride, on every
// backend this build can run, byte for byte against the golden loops between guard pages; the
// reduction to pj_spec; the worked examples of docs/SEMANTICS.md §8-§10; its errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "codegen/plan/geometry.h"
#include "patchjit/patchjit.h"
#include "runtime/c_spec.h"
#include "tests/support/guarded_buffer.h"
#include "tests/support/kernel_check.h"
#include "tests/support/random_spec.h"

namespace {

using pj::testing::GuardedBuffer;

pj_spec_ex ex_spec(pj_dtype dtype, std::array<int64_t, 4> shape, int64_t kh, int64_t kw) {
  pj_spec base{};
  base.dtype = dtype;
  for (int i = 0; i < 4; ++i) {
    base.input_shape[i] = shape[i];
    base.ksizes[i] = base.strides[i] = base.rates[i] = 1;
  }
  base.ksizes[1] = kh, base.ksizes[2] = kw;
  base.padding = PJ_PADDING_VALID;
  pj_spec_ex s;
  pj_spec_ex_init(&s, &base);
  return s;
}

// Runs `s` on `backend` over float32 `input`; returns the output, or the error.
std::vector<float> run_f32(const pj_spec_ex& s, const std::vector<float>& input, pj_backend backend = PJ_BACKEND_AUTO) {
  pj_kernel* k = nullptr;
  EXPECT_EQ(pj_kernel_create_ex(&s, backend, &k), PJ_OK) << pj_last_error();
  if (k == nullptr) return {};
  std::vector<float> out(pj_kernel_output_bytes(k) / sizeof(float), -1.0f);
  EXPECT_EQ(pj_kernel_run(k, input.data(), out.data(), 1), PJ_OK) << pj_last_error();
  pj_kernel_destroy(k);
  return out;
}

std::string status_of(pj_status status) { return std::string(pj_status_name(status)) + ": " + pj_last_error(); }

// Every backend, random specs of every format: whole runs with any thread count, then the same
// output again as random tiles run in random order.
TEST(CApiEx, EveryBackendEveryFormatMatchesGolden) {
  const uint64_t seed = pj::testing::test_seed();
  std::mt19937_64 rng(seed);
  int ran[5] = {}, tiled = 0;
  for (int64_t i = 0, n = pj::testing::scaled(600); i < n; ++i) {
    const pj::Spec spec = pj::testing::random_spec(rng);
    const pj::Geometry g = *pj::make_geometry(spec);
    const pj_spec_ex s = pj::to_c_ex(spec);
    GuardedBuffer input(static_cast<size_t>(g.input_bytes()), GuardedBuffer::Placement::kEnd);
    const std::vector<uint8_t> data = pj::testing::random_bytes(rng, input.size());
    if (!data.empty()) std::memcpy(input.data(), data.data(), data.size());
    const pj::testing::ExpectedOutput want = pj::testing::expected_output(g, input.data(), rng);
    GuardedBuffer output(want.expected.size(),
                         rng() % 2 ? GuardedBuffer::Placement::kEnd : GuardedBuffer::Placement::kStart);
    for (int b = 0; b < 5; ++b) {
      pj_kernel* k = nullptr;
      const pj_status st = pj_kernel_create_ex(&s, static_cast<pj_backend>(b), &k);
      if (st == PJ_UNIMPLEMENTED) continue;  // not built or not supported here
      ASSERT_EQ(st, PJ_OK) << status_of(st) << " " << pj::testing::describe(spec);
      const std::string what = std::string(pj_backend_name(static_cast<pj_backend>(b))) + " " +
                               pj::testing::describe(spec) + " seed " + std::to_string(seed);
      ASSERT_EQ(pj_kernel_output_bytes(k), want.expected.size()) << what;
      ASSERT_EQ(pj_kernel_input_bytes(k), input.size()) << what;
      auto poison = [&] {
        if (!want.poison.empty()) std::memcpy(output.data(), want.poison.data(), want.poison.size());
      };
      auto matches = [&] {
        return want.expected.empty() || std::memcmp(output.data(), want.expected.data(), want.expected.size()) == 0;
      };
      poison();
      ASSERT_EQ(pj_kernel_run(k, input.data(), output.data(), static_cast<int>(rng() % 3)), PJ_OK) << pj_last_error();
      ASSERT_TRUE(matches()) << what;
      // Tiles: cut [0, positions) at up to three random points, run the pieces in random order.
      const int64_t positions = pj_kernel_positions(k);
      ASSERT_EQ(positions, g.batch * g.positions) << what;
      std::vector<int64_t> cuts{0, positions};
      for (int c = 0, m = static_cast<int>(rng() % 4); c < m && positions > 0; ++c)
        cuts.push_back(static_cast<int64_t>(rng() % (positions + 1)));
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
  EXPECT_GT(ran[PJ_BACKEND_REFERENCE], 0);
  EXPECT_GT(ran[PJ_BACKEND_INTERP], 0);
  EXPECT_GT(ran[PJ_BACKEND_AUTO], 0);
  EXPECT_GT(tiled, 0);
}

// pj_spec_ex_init of a pj_spec is that pj_spec: same shape, same bytes.
// The torch format's whole-row plans (rows innermost; at stride 1 a run copy per (c, i, j,
// output row) segment with fills at its ends, above it gathers, by byte permutes on AVX-512):
// every element size, widths from 1 to past two vectors and not a multiple of one, SAME, VALID
// and explicit pads with a pad value, strided images and output rows, whole runs and tiles, on
// every backend and both ISAs, byte for byte against the golden loops between guard pages.
TEST(CApiEx, TorchSegmentsOnEveryBackendAndIsa) {
  const uint64_t seed = pj::testing::test_seed();
  std::mt19937_64 rng(seed);
  const pj_isa host = pj_host_isa(), cap = pj_max_isa();
  const pj::DType dtypes[] = {pj::DType::kUInt8, pj::DType::kHalf, pj::DType::kFloat32, pj::DType::kFloat64,
                              pj::DType::kComplex128};
  const int64_t widths[] = {1, 2, 3, 5, 7, 15, 16, 17, 31, 33, 65, 130};
  int64_t runs[5] = {};
  for (int64_t i = 0, n = pj::testing::scaled(240); i < n; ++i) {
    pj::Spec spec;
    spec.format = pj::kTorchFormat;
    spec.dtype = dtypes[i % 5];
    const int64_t W = widths[rng() % 12], H = 1 + static_cast<int64_t>(rng() % 6);
    spec.image_shape = {1 + static_cast<int64_t>(rng() % 2), 1 + static_cast<int64_t>(rng() % 3), H, W};
    spec.ksizes = {1, 1 + static_cast<int64_t>(rng() % 3), 1 + static_cast<int64_t>(rng() % 4), 1};
    // Mostly stride 1 in width (run copies); 2 and 3 for the gathers.
    spec.strides = {1, 1 + static_cast<int64_t>(rng() % 2), i % 3 == 2 ? 2 + static_cast<int64_t>(rng() % 2) : 1, 1};
    if (rng() % 4 == 0) spec.rates = {1, 1, 2, 1};
    switch (rng() % 3) {
      case 0:
        spec.padding = pj::Padding::kSame;
        break;
      case 1:
        spec.padding = pj::Padding::kValid;
        break;
      default:
        spec.padding = pj::Padding::kExplicit;
        spec.pads = {static_cast<int64_t>(rng() % 3), static_cast<int64_t>(rng() % 3), static_cast<int64_t>(rng() % 4),
                     static_cast<int64_t>(rng() % 4)};
        for (uint8_t& b : spec.pad_value) b = static_cast<uint8_t>(rng());
    }
    if (rng() % 3 == 0) {  // a channel slice of a wider image: rows W+2 apart, channels further
      const int64_t row = W + 2, channel = H * row + 1;
      spec.image_strides = {spec.image_shape[1] * channel + 3, channel, row};
    }
    const pj::Expected<pj::Geometry> geometry = pj::make_geometry(spec);
    if (!geometry.ok() || geometry->empty()) continue;
    const pj::Geometry& g = *geometry;
    if (rng() % 3 == 0) spec.patch_strides = {g.positions + 3, g.patch_depth * (g.positions + 3) + 5};
    const pj::Geometry out = *pj::make_geometry(spec);
    const pj_spec_ex s = pj::to_c_ex(spec);
    GuardedBuffer input(static_cast<size_t>(out.input_bytes()), GuardedBuffer::Placement::kEnd);
    const std::vector<uint8_t> data = pj::testing::random_bytes(rng, input.size());
    if (!data.empty()) std::memcpy(input.data(), data.data(), data.size());
    const pj::testing::ExpectedOutput want = pj::testing::expected_output(out, input.data(), rng);
    GuardedBuffer output(want.expected.size(),
                         i % 2 ? GuardedBuffer::Placement::kEnd : GuardedBuffer::Placement::kStart);
    struct Run {
      pj_backend backend;
      pj_isa isa;
    };
    std::vector<Run> plan{{PJ_BACKEND_INTERP, cap}, {PJ_BACKEND_XBYAK, PJ_ISA_AVX512}, {PJ_BACKEND_XBYAK, PJ_ISA_AVX2}};
    if (i % 8 == 0) plan.push_back({PJ_BACKEND_LLVM, cap});  // LLVM takes tens of ms a kernel
    for (const Run& r : plan) {
      if (r.backend == PJ_BACKEND_XBYAK && (host == PJ_ISA_NONE || (r.isa == PJ_ISA_AVX512 && host != PJ_ISA_AVX512)))
        continue;
      ASSERT_EQ(pj_set_max_isa(r.isa), PJ_OK);
      pj_kernel* k = nullptr;
      const pj_status st = pj_kernel_create_ex(&s, r.backend, &k);
      pj_set_max_isa(cap);
      if (st == PJ_UNIMPLEMENTED) continue;  // not built here
      const std::string what = std::string(pj_backend_name(r.backend)) + " " + pj_isa_name(r.isa) + " " +
                               pj::testing::describe(spec) + " seed " + std::to_string(seed);
      ASSERT_EQ(st, PJ_OK) << status_of(st) << " " << what;
      auto poison = [&] {
        if (!want.poison.empty()) std::memcpy(output.data(), want.poison.data(), want.poison.size());
      };
      auto matches = [&] {
        return want.expected.empty() || std::memcmp(output.data(), want.expected.data(), want.expected.size()) == 0;
      };
      poison();
      ASSERT_EQ(pj_kernel_run(k, input.data(), output.data(), 1), PJ_OK) << pj_last_error();
      ASSERT_TRUE(matches()) << what;
      // Tiles: whole rows, partial rows, single positions.
      const int64_t positions = pj_kernel_positions(k), OW = out.cols.out;
      std::vector<int64_t> cuts{0, positions, std::min(positions, OW), std::min(positions, 2 * OW + 1)};
      cuts.push_back(static_cast<int64_t>(rng() % (positions + 1)));
      std::sort(cuts.begin(), cuts.end());
      poison();
      for (size_t t = cuts.size() - 1; t-- > 0;) {
        ASSERT_EQ(pj_kernel_run_range(k, input.data(), output.data(), cuts[t], cuts[t + 1]), PJ_OK) << pj_last_error();
      }
      ASSERT_TRUE(matches()) << what << " tiles at " << ::testing::PrintToString(cuts);
      pj_kernel_destroy(k);
      ++runs[r.backend];
    }
  }
  std::cout << "torch segments: " << runs[PJ_BACKEND_INTERP] << " interp, " << runs[PJ_BACKEND_XBYAK] << " xbyak, "
            << runs[PJ_BACKEND_LLVM] << " llvm kernels (seed " << seed << ")\n";
  EXPECT_GT(runs[PJ_BACKEND_INTERP], 0);
}

TEST(CApiEx, DefaultsAreTensorFlowsOp) {
  std::mt19937_64 rng(pj::testing::test_seed());
  for (int i = 0; i < 50; ++i) {
    const pj_spec base = pj::to_c(pj::testing::random_spec(rng, pj::testing::tf_only()));
    pj_spec_ex ex;
    pj_spec_ex_init(&ex, &base);
    EXPECT_EQ(ex.version, static_cast<uint32_t>(PJ_SPEC_EX_VERSION));
    int64_t a[4], b[4];
    int rank = 0;
    ASSERT_EQ(pj_output_shape(&base, a), PJ_OK);
    ASSERT_EQ(pj_output_shape_ex(&ex, b, &rank), PJ_OK);
    EXPECT_EQ(rank, 4);
    EXPECT_TRUE(std::equal(a, a + 4, b));
    pj_kernel *k1 = nullptr, *k2 = nullptr;
    ASSERT_EQ(pj_kernel_create(&base, PJ_BACKEND_AUTO, &k1), PJ_OK);
    ASSERT_EQ(pj_kernel_create_ex(&ex, PJ_BACKEND_AUTO, &k2), PJ_OK);
    std::vector<uint8_t> in = pj::testing::random_bytes(rng, pj_kernel_input_bytes(k1));
    std::vector<uint8_t> o1(pj_kernel_output_bytes(k1), 1), o2(pj_kernel_output_bytes(k2), 2);
    ASSERT_EQ(pj_kernel_run(k1, in.data(), o1.data(), 0), PJ_OK);
    ASSERT_EQ(pj_kernel_run(k2, in.data(), o2.data(), 0), PJ_OK);
    EXPECT_TRUE(o1 == o2);
    pj_kernel_destroy(k1);
    pj_kernel_destroy(k2);
  }
  pj_spec_ex empty;
  pj_spec_ex_init(&empty, nullptr);
  EXPECT_EQ(empty.base.dtype, PJ_FLOAT32);
  EXPECT_EQ(empty.base.padding, PJ_PADDING_SAME);
  EXPECT_EQ(empty.base.ksizes[1], 1);
  EXPECT_EQ(empty.layout, PJ_LAYOUT_NHWC);
}

// docs/SEMANTICS.md §8: NCHW image [1,1,2,3] = [[1,2,3],[4,5,6]], 2x2, stride 1, VALID.
TEST(CApiEx, SemanticsExamplesOfFormats) {
  const std::vector<float> image{1, 2, 3, 4, 5, 6};
  pj_spec_ex s = ex_spec(PJ_FLOAT32, {1, 1, 2, 3}, 2, 2);
  s.layout = PJ_LAYOUT_NCHW;
  int64_t shape[4];
  int rank = 0;
  ASSERT_EQ(pj_output_shape_ex(&s, shape, &rank), PJ_OK);
  EXPECT_EQ(rank, 4);
  EXPECT_EQ(std::vector<int64_t>(shape, shape + 4), (std::vector<int64_t>{1, 1, 2, 4}));
  EXPECT_EQ(run_f32(s, image), (std::vector<float>{1, 2, 4, 5, 2, 3, 5, 6}));
  s.patches = PJ_PATCHES_COLUMNS;
  ASSERT_EQ(pj_output_shape_ex(&s, shape, &rank), PJ_OK);
  EXPECT_EQ(rank, 3);
  EXPECT_EQ(std::vector<int64_t>(shape, shape + 4), (std::vector<int64_t>{1, 4, 2, 0}));
  for (int b : {PJ_BACKEND_REFERENCE, PJ_BACKEND_INTERP, PJ_BACKEND_AUTO}) {
    EXPECT_EQ(run_f32(s, image, static_cast<pj_backend>(b)), (std::vector<float>{1, 2, 2, 3, 4, 5, 5, 6}));
  }
  // The XLA image of §4, [1,2,2,2] NHWC, 2x2 VALID: hwc and chw orders.
  const std::vector<float> xla{1, 5, 2, 6, 3, 7, 4, 8};
  pj_spec_ex t = ex_spec(PJ_FLOAT32, {1, 2, 2, 2}, 2, 2);
  EXPECT_EQ(run_f32(t, xla), (std::vector<float>{1, 5, 2, 6, 3, 7, 4, 8}));
  t.patch_order = PJ_PATCH_ORDER_CHW;
  EXPECT_EQ(run_f32(t, xla), (std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}));
}

// §6 and §7: torch's padding=1 on H = 5, k 3, stride 2 gives 3 rows starting at -1, 1, 3; the
// pad value lands bit for bit (-inf).
TEST(CApiEx, ExplicitPadsAndPadValue) {
  pj_spec_ex s = ex_spec(PJ_FLOAT32, {1, 5, 1, 1}, 3, 1);
  s.base.padding = PJ_PADDING_EXPLICIT;
  s.base.strides[1] = 2;
  s.pads[0] = s.pads[1] = 1;
  const float minus_inf = -std::numeric_limits<float>::infinity();
  std::memcpy(s.pad_value, &minus_inf, sizeof minus_inf);
  EXPECT_EQ(run_f32(s, {1, 2, 3, 4, 5}), (std::vector<float>{minus_inf, 1, 2, 2, 3, 4, 4, 5, minus_inf}));
  char text[1024];
  pj_kernel* k = nullptr;
  ASSERT_EQ(pj_kernel_create_ex(&s, PJ_BACKEND_AUTO, &k), PJ_OK);
  pj_kernel_describe(k, text, sizeof text);
  EXPECT_NE(std::string(text).find("padding EXPLICIT: rows 1 before, 1 after"), std::string::npos) << text;
  EXPECT_NE(std::string(text).find("pad value: 0xff800000"), std::string::npos) << text;
  pj_kernel_destroy(k);
}

// §9: a channel group of a wider image is a pointer offset and a pixel stride; the patches may
// have a leading dimension beyond K, and the gaps are never written.
TEST(CApiEx, ChannelSliceAndLeadingDimension) {
  const int64_t H = 4, W = 5, Ctot = 6, Cg = 2, g = 1;
  std::vector<float> image(H * W * Ctot);
  for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<float>(i);
  pj_spec_ex s = ex_spec(PJ_FLOAT32, {1, H, W, Cg}, 2, 2);
  s.input_strides[2] = Ctot;  // pixel stride; rows and images dense from it
  const int64_t K = 2 * 2 * Cg, ld = K + 3;
  s.output_strides[0] = ld;
  pj_kernel* k = nullptr;
  ASSERT_EQ(pj_kernel_create_ex(&s, PJ_BACKEND_AUTO, &k), PJ_OK) << pj_last_error();
  const int64_t positions = pj_kernel_positions(k);
  ASSERT_EQ(positions, 3 * 4);
  EXPECT_EQ(pj_kernel_output_bytes(k), ((positions - 1) * ld + K) * sizeof(float));
  EXPECT_EQ(pj_kernel_input_bytes(k), ((H * W - 1) * Ctot + Cg) * sizeof(float));
  std::vector<float> out(positions * ld, -7.0f);
  ASSERT_EQ(pj_kernel_run(k, image.data() + g * Cg, out.data(), 0), PJ_OK) << pj_last_error();
  for (int64_t oh = 0; oh < 3; ++oh) {
    for (int64_t ow = 0; ow < 4; ++ow) {
      const float* patch = &out[(oh * 4 + ow) * ld];
      for (int64_t i = 0; i < 2; ++i) {
        for (int64_t j = 0; j < 2; ++j) {
          for (int64_t c = 0; c < Cg; ++c) {
            ASSERT_EQ(patch[(i * 2 + j) * Cg + c], image[((oh + i) * W + ow + j) * Ctot + g * Cg + c]);
          }
        }
      }
      if (oh * 4 + ow < positions - 1) {
        for (int64_t gap = K; gap < ld; ++gap) ASSERT_EQ(patch[gap], -7.0f) << "a gap was written";
      }
    }
  }
  pj_kernel_destroy(k);
}

TEST(CApiEx, Errors) {
  pj_kernel* k = nullptr;
  int64_t shape[4];
  pj_spec_ex s = ex_spec(PJ_FLOAT32, {1, 4, 4, 2}, 2, 2);
  auto create = [&](const pj_spec_ex& spec) {
    const pj_status st = pj_kernel_create_ex(&spec, PJ_BACKEND_AUTO, &k);
    EXPECT_EQ(k, nullptr);
    return st == PJ_OK ? std::string("PJ_OK") : status_of(st);
  };
  auto expect = [&](const pj_spec_ex& spec, const std::string& words) {
    const std::string got = create(spec);
    EXPECT_NE(got.find(words), std::string::npos) << "got: " << got << "\nwanted: " << words;
    EXPECT_NE(pj_output_shape_ex(&spec, shape, nullptr), PJ_OK);
  };
  pj_spec_ex bad = s;
  bad.version = 99;
  expect(bad, "PJ_INVALID_ARGUMENT: spec version 99 is not one this patchjit knows");
  EXPECT_EQ(pj_kernel_create_ex(nullptr, PJ_BACKEND_AUTO, &k), PJ_INVALID_ARGUMENT);
  EXPECT_EQ(pj_output_shape_ex(&s, nullptr, nullptr), PJ_INVALID_ARGUMENT);
  bad = s;
  bad.pads[2] = 1;
  expect(bad, "explicit pads need padding EXPLICIT");
  bad = s;
  bad.base.padding = PJ_PADDING_EXPLICIT;
  bad.pads[0] = -1;
  expect(bad, "pads: the top padding must be non-negative and fit an int32, but got -1");
  bad.pads[0] = 0;
  bad.pads[3] = int64_t{1} << 31;
  expect(bad, "pads: the right padding must be non-negative and fit an int32");
  bad = s;
  bad.base.padding = PJ_PADDING_EXPLICIT;
  bad.base.ksizes[1] = 9;  // §6: OH = (4 + 0 + 0 - 9 + 1) / 1 = -4
  expect(bad, "Computed output size would be negative: -4 [input_size: 4, effective_filter_size: 9, stride: 1]");
  bad = s;
  bad.layout = static_cast<pj_layout>(7);
  expect(bad, "layout");
  bad = s;
  bad.patch_order = static_cast<pj_patch_order>(-1);
  expect(bad, "order");
  bad = s;
  bad.patches = static_cast<pj_patches>(2);
  expect(bad, "patches");
  bad = s;
  bad.input_strides[2] = 1;  // pixels closer than C = 2 elements
  expect(bad, "PJ_INVALID_ARGUMENT");
  bad = s;
  bad.input_strides[1] = -3;
  expect(bad, "PJ_INVALID_ARGUMENT");
  bad = s;
  bad.output_strides[0] = 7;  // < K = 8
  expect(bad, "PJ_INVALID_ARGUMENT");
  // pj_spec cannot carry pads.
  pj_spec base = s.base;
  base.padding = PJ_PADDING_EXPLICIT;
  EXPECT_EQ(pj_kernel_create(&base, PJ_BACKEND_AUTO, &k), PJ_INVALID_ARGUMENT);
  EXPECT_NE(std::string(pj_last_error()).find("needs the pads of a pj_spec_ex"), std::string::npos) << pj_last_error();
  EXPECT_EQ(pj_output_shape(&base, shape), PJ_INVALID_ARGUMENT);
}

TEST(CApiEx, TilesAndStridedOverlapAreChecked) {
  pj_spec_ex s = ex_spec(PJ_FLOAT32, {2, 4, 4, 2}, 2, 2);
  pj_kernel* k = nullptr;
  ASSERT_EQ(pj_kernel_create_ex(&s, PJ_BACKEND_AUTO, &k), PJ_OK);
  const int64_t positions = pj_kernel_positions(k);
  EXPECT_EQ(positions, 2 * 3 * 3);
  EXPECT_EQ(pj_kernel_rows(k), 2 * 3);
  std::vector<float> in(pj_kernel_input_bytes(k) / 4), out(pj_kernel_output_bytes(k) / 4, 5.0f);
  const std::vector<float> untouched = out;
  for (auto [b, e] : {std::pair<int64_t, int64_t>{-1, 2}, {3, 2}, {0, positions + 1}}) {
    EXPECT_EQ(pj_kernel_run_range(k, in.data(), out.data(), b, e), PJ_INVALID_ARGUMENT) << b << " " << e;
    EXPECT_NE(std::string(pj_last_error()).find("must lie within [0, batch * out_rows * out_cols) = [0, 18)"),
              std::string::npos)
        << pj_last_error();
  }
  EXPECT_EQ(pj_kernel_run_range(k, in.data(), out.data(), 4, 4), PJ_OK);
  EXPECT_EQ(pj_kernel_run_range(nullptr, in.data(), out.data(), 0, 1), PJ_INVALID_ARGUMENT);
  EXPECT_TRUE(out == untouched);
  pj_kernel_destroy(k);
  // The input's extent with a pixel stride reaches into an output placed in its gaps.
  s.input_strides[2] = 4;
  ASSERT_EQ(pj_kernel_create_ex(&s, PJ_BACKEND_AUTO, &k), PJ_OK);
  std::vector<float> shared(pj_kernel_input_bytes(k) / 4 + pj_kernel_output_bytes(k) / 4);
  EXPECT_EQ(pj_kernel_run(k, shared.data(), shared.data() + 2, 0), PJ_INVALID_ARGUMENT);
  EXPECT_NE(std::string(pj_last_error()).find("overlap"), std::string::npos) << pj_last_error();
  pj_kernel_destroy(k);
}

// Found by the API fuzzer: an empty output (no channels) whose images have more rows than int64
// can count. TensorFlow accepts the shape; the row and position counts saturate instead of
// overflowing (undefined behaviour), and every run over them is an empty one.
TEST(CApiEx, EmptyOutputsWithRowsBeyondInt64) {
  pj_spec_ex s = ex_spec(PJ_INT16, {3, 0, int64_t{3978709268944650240}, 1}, 1, 1);
  s.layout = PJ_LAYOUT_NCHW, s.patches = PJ_PATCHES_COLUMNS;  // [N, C = 0, H, W] -> [N, K = 0, H * W]
  for (int fold = 0; fold < 2; ++fold) {
    pj_kernel* k = nullptr;
    ASSERT_EQ(fold ? pj_fold_kernel_create(&s, PJ_FOLD_SUM, PJ_BACKEND_AUTO, &k)
                   : pj_kernel_create_ex(&s, PJ_BACKEND_AUTO, &k),
              PJ_OK)
        << pj_last_error();
    EXPECT_EQ(pj_kernel_output_bytes(k), 0u);
    EXPECT_EQ(pj_kernel_rows(k), INT64_MAX);
    EXPECT_EQ(pj_kernel_positions(k), INT64_MAX);
    char byte = 0;
    EXPECT_EQ(pj_kernel_run(k, &byte, &byte + 1, 1), PJ_OK);
    EXPECT_EQ(pj_kernel_run_rows(k, &byte, &byte + 1, 0, INT64_MAX), PJ_OK);
    EXPECT_EQ(pj_kernel_run_range(k, &byte, &byte + 1, 5, 7), PJ_OK);
    EXPECT_EQ(pj_kernel_run_rows(k, &byte, &byte + 1, -1, 0), PJ_INVALID_ARGUMENT);
    pj_kernel_destroy(k);
  }
}

// Found by the API fuzzer: one output row of two patches 2^62 bytes apart (a leading dimension
// that large is legal: the last patch starts inside int64). The planner's row step, the patches
// of a whole output row further on, is 2^63 bytes and overflowed int64 (undefined behaviour;
// UBSan in CI's sanitizer build); with one output row it is never used, and saturates. The
// kernel cannot run on a buffer of 2^62 bytes: it is created, and described, on every backend.
TEST(CApiEx, OneOutputRowWithPatchesBeyondHalfOfInt64) {
  pj_spec_ex s = ex_spec(PJ_UINT8, {1, 1, 2, 1}, 1, 1);  // [1, 1, 2, 1] -> [1, 1, 2, 1]: K = 1
  s.output_strides[0] = int64_t{1} << 62;                // between patches, in elements
  for (const pj_backend backend : {PJ_BACKEND_AUTO, PJ_BACKEND_INTERP, PJ_BACKEND_XBYAK, PJ_BACKEND_LLVM}) {
    pj_kernel* k = nullptr;
    const pj_status status = pj_kernel_create_ex(&s, backend, &k);
    if (status == PJ_UNIMPLEMENTED) continue;  // a JIT this build or CPU lacks
    ASSERT_EQ(status, PJ_OK) << pj_last_error();
    EXPECT_EQ(pj_kernel_output_bytes(k), (size_t{1} << 62) + 1);
    char text[512];
    EXPECT_GT(pj_kernel_describe(k, text, sizeof text), 0u);
    pj_kernel_destroy(k);
  }
  pj_kernel* fold = nullptr;
  ASSERT_EQ(pj_fold_kernel_create(&s, PJ_FOLD_SUM, PJ_BACKEND_AUTO, &fold), PJ_OK) << pj_last_error();
  pj_kernel_destroy(fold);
}

}  // namespace
