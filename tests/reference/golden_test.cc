// The golden loops on hand-computed cases and TensorFlow's own test values.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "codegen/plan/geometry.h"
#include "reference/golden.h"

namespace pj {
namespace {

// Runs the golden loops on float data 0, 1, 2, ... (or `input` if given).
std::vector<float> extract(Vec4 shape, Vec4 k, Vec4 s, Vec4 r, Padding p, std::vector<float> input = {}) {
  Spec spec;
  spec.image_shape = shape;
  spec.ksizes = k;
  spec.strides = s;
  spec.rates = r;
  spec.padding = p;
  Expected<Geometry> g = make_geometry(spec);
  EXPECT_TRUE(g.ok()) << g.status().message();
  if (input.empty()) {
    input.resize(g->input_bytes() / 4);
    std::iota(input.begin(), input.end(), 0.0f);
  }
  std::vector<float> out(g->output_bytes() / 4, -1.0f);
  golden_extract(*g, input.data(), out.data());
  return out;
}

const Vec4 kOnes{1, 1, 1, 1};

TEST(Golden, Ksize1x1IsIdentity) {
  std::vector<float> out = extract({2, 3, 4, 5}, kOnes, kOnes, kOnes, Padding::kValid);
  for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], static_cast<float>(i));
}

TEST(Golden, Ksize1x1Stride2x3) {
  // patches = image[:, ::2, ::3, :]
  std::vector<float> out = extract({2, 4, 5, 3}, kOnes, {1, 2, 3, 1}, kOnes, Padding::kValid);
  std::vector<float> expected;
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 4; i += 2)
      for (int j = 0; j < 5; j += 3)
        for (int c = 0; c < 3; ++c) expected.push_back(static_cast<float>(((b * 4 + i) * 5 + j) * 3 + c));
  EXPECT_EQ(out, expected);
}

TEST(Golden, Ksize2x2Valid) {
  EXPECT_EQ(extract({1, 2, 2, 1}, {1, 2, 2, 1}, kOnes, kOnes, Padding::kValid, {1, 2, 3, 4}),
            (std::vector<float>{1, 2, 3, 4}));
}

TEST(Golden, Ksize2x2Same) {
  // The extra padding row and column go after (bottom/right).
  EXPECT_EQ(extract({1, 2, 2, 1}, {1, 2, 2, 1}, kOnes, kOnes, Padding::kSame, {1, 2, 3, 4}),
            (std::vector<float>{1, 2, 3, 4, 2, 0, 4, 0, 3, 4, 0, 0, 4, 0, 0, 0}));
}

TEST(Golden, Ksize2x2Rate2x2Valid) {
  EXPECT_EQ(extract({1, 4, 4, 1}, {1, 2, 2, 1}, kOnes, {1, 2, 2, 1}, Padding::kValid),
            (std::vector<float>{0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15}));
}

TEST(Golden, DepthIsFastestInsideThePatch) {
  // XLA testKsize2x2Stride1x1Rate1x1ValidDepth2.
  EXPECT_EQ(extract({1, 2, 2, 2}, {1, 2, 2, 1}, kOnes, kOnes, Padding::kValid, {1, 5, 2, 6, 3, 7, 4, 8}),
            (std::vector<float>{1, 5, 2, 6, 3, 7, 4, 8}));
}

TEST(Golden, RatesWithSamePadding) {
  // Rows: in 5, ksize 2, rate 2 -> effective 3, pad 1 before: output row i reads rows i-1, i+1.
  std::vector<float> out = extract({1, 5, 1, 1}, {1, 2, 1, 1}, kOnes, {1, 2, 1, 1}, Padding::kSame);
  EXPECT_EQ(out, (std::vector<float>{0, 1, 0, 2, 1, 3, 2, 4, 3, 0}));
}

TEST(Golden, StrideLargerThanKernel) {
  // Eigen's clip test: 15 rows, ksize 1, stride 5, SAME -> rows 0, 5, 10.
  EXPECT_EQ(extract({1, 15, 1, 1}, kOnes, {1, 5, 1, 1}, kOnes, Padding::kSame), (std::vector<float>{0, 5, 10}));
}

TEST(Golden, OddPaddingAndWholePaddingTaps) {
  // 1 row, ksize 2 rate 3 (effective 4), SAME: pad 1 before; taps at -1 and 2 are both outside.
  EXPECT_EQ(extract({1, 1, 1, 1}, {1, 2, 1, 1}, kOnes, {1, 3, 1, 1}, Padding::kSame, {7}), (std::vector<float>{0, 0}));
  // 3x3 kernel SAME on 2x3 input with depth 2: corner pixel (0,0).
  std::vector<float> out = extract({1, 2, 3, 2}, {1, 3, 3, 1}, kOnes, kOnes, Padding::kSame);
  std::vector<float> first(out.begin(), out.begin() + 18);
  EXPECT_EQ(first, (std::vector<float>{0, 0, 0, 0, 0, 0,  //
                                       0, 0, 0, 1, 2, 3,  //
                                       0, 0, 6, 7, 8, 9}));
}

TEST(Golden, ComplexElementsMoveWhole) {
  // complex128: 16-byte elements keep their bytes together.
  Spec spec;
  spec.dtype = DType::kComplex128;
  spec.image_shape = {1, 2, 2, 1};
  spec.ksizes = {1, 2, 2, 1};
  spec.padding = Padding::kSame;
  Geometry g = *make_geometry(spec);
  std::vector<uint8_t> in(64), out(g.output_bytes(), 0xEE);
  std::iota(in.begin(), in.end(), 1);
  golden_extract(g, in.data(), out.data());
  // Pixel (0,1): taps (0,1)=element 1, (0,2) pad, (1,1)=element 3, (1,2) pad.
  const uint8_t* p = out.data() + 1 * 4 * 16;
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(p[i], in[16 + i]);
    EXPECT_EQ(p[16 + i], 0);
    EXPECT_EQ(p[32 + i], in[48 + i]);
    EXPECT_EQ(p[48 + i], 0);
  }
}

TEST(Golden, RowRangeWritesOnlyThoseRows) {
  Spec spec;
  spec.image_shape = {2, 3, 3, 1};
  spec.ksizes = {1, 2, 2, 1};
  Geometry g = *make_geometry(spec);
  std::vector<float> in(18, 1.0f), out(g.output_bytes() / 4, -1.0f);
  golden_extract(g, in.data(), out.data(), 2, 4);  // image 0 row 2, image 1 row 0
  const size_t row = 3 * 4;
  for (size_t i = 0; i < out.size(); ++i) {
    bool inside = i >= 2 * row && i < 4 * row;
    if (!inside)
      EXPECT_EQ(out[i], -1.0f) << i;
    else
      EXPECT_NE(out[i], -1.0f) << i;
  }
}

}  // namespace
}  // namespace pj
