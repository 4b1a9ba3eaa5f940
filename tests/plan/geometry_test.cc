// Geometry and validation against every example of docs/SEMANTICS.md, in TensorFlow's words.
#include <gtest/gtest.h>

#include <limits>

#include "codegen/plan/geometry.h"

namespace pj {
namespace {

Spec make(Vec4 shape, int64_t k, int64_t s, int64_t r, Padding p, DType t = DType::kFloat32) {
  return square_spec(t, shape, k, s, r, p);
}

// One axis through the whole kernel path: rows of a [1, in, 1, 1] input.
Expected<Geometry> rows_only(int64_t in, int64_t k, int64_t s, int64_t r, Padding p) {
  Spec spec = make({1, in, 1, 1}, 1, 1, 1, p);
  spec.ksizes[1] = k;
  spec.strides[1] = s;
  spec.rates[1] = r;
  return make_geometry(spec);
}

TEST(Geometry, ShapeFunctionExamples) {
  // array_ops_test.cc ExtractImagePatchesShapeTest.
  Expected<Geometry> g = make_geometry(make({1, 7, 7, 2}, 2, 1, 2, Padding::kValid));
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->output_shape(), (Dims{4, {1, 5, 5, 8}}));
  g = make_geometry(make({1, 7, 7, 2}, 1, 1, 2, Padding::kValid));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->output_shape(), (Dims{4, {1, 7, 7, 2}}));
}

TEST(Geometry, ValidNegativeIsAnErrorInTensorFlowsWords) {
  Expected<Geometry> g = rows_only(1, 3, 1, 1, Padding::kValid);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), Code::kInvalidArgument);
  EXPECT_NE(g.status().message().find(
                "Computed output size would be negative: -1 [input_size: 1, effective_filter_size: 3, stride: 1]"),
            std::string::npos)
      << g.status().message();
}

TEST(Geometry, ValidTruncationGivesEmptyOutputNotError) {
  for (auto [in, k, s, r] : std::vector<std::array<int64_t, 4>>{{1, 3, 2, 1}, {1, 5, 3, 1}, {4, 2, 1, 4}}) {
    Expected<Geometry> g = rows_only(in, k, s, r, Padding::kValid);
    ASSERT_TRUE(g.ok()) << in << " " << k << " " << s << " " << r << ": " << g.status().message();
    EXPECT_EQ(g->rows.out, 0);
    EXPECT_TRUE(g->empty());
  }
  // ksize 2 rate 5: effective 6 on 4 rows is an error.
  Expected<Geometry> g = rows_only(4, 2, 1, 5, Padding::kValid);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("effective_filter_size: 6"), std::string::npos);
}

TEST(Geometry, ZeroInput) {
  Expected<Geometry> g = rows_only(0, 3, 1, 1, Padding::kSame);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->rows.out, 0);
  g = rows_only(0, 3, 2, 1, Padding::kValid);  // k < 2*stride: out 0
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->rows.out, 0);
  g = rows_only(0, 4, 2, 1, Padding::kValid);  // k >= 2*stride: error
  EXPECT_FALSE(g.ok());
  // Zero batch or depth: sizes still computed, output empty.
  g = make_geometry(make({0, 5, 5, 3}, 3, 1, 1, Padding::kSame));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->output_shape(), (Dims{4, {0, 5, 5, 27}}));
  EXPECT_TRUE(g->empty());
  g = make_geometry(make({2, 5, 5, 0}, 3, 1, 1, Padding::kSame));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->output_shape(), (Dims{4, {2, 5, 5, 0}}));
  EXPECT_TRUE(g->empty());
  g = make_geometry(make({0, 1, 1, 1}, 3, 1, 1, Padding::kValid));  // errors still raised
  EXPECT_FALSE(g.ok());
}

TEST(Geometry, SamePadding) {
  struct Case {
    int64_t in, k, s, r, out, before, after;
  };
  for (Case c : std::vector<Case>{
           {5, 2, 1, 2, 5, 1, 1},   // rates: effective 3, need 2
           {4, 3, 1, 2, 4, 2, 2},   // effective 5, need 4
           {4, 1, 4, 1, 1, 0, 0},   // stride > effective: need clipped to 0
           {4, 2, 1, 1, 4, 0, 1},   // odd need: the extra pixel goes after
           {15, 1, 5, 1, 3, 0, 0},  // Eigen's negative-padding clip test
           {224, 7, 2, 1, 112, 2, 3},
       }) {
    Expected<Geometry> g = rows_only(c.in, c.k, c.s, c.r, Padding::kSame);
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(g->rows.out, c.out) << c.in << " " << c.k;
    EXPECT_EQ(g->rows.pad_before, c.before) << c.in << " " << c.k;
    EXPECT_EQ(g->rows.pad_after, c.after) << c.in << " " << c.k;
  }
}

struct AttrCase {
  const char* attr;
  Vec4 value;
  Code code;
  const char* message;
};

TEST(Geometry, AttributeMessages) {
  for (const AttrCase& c : std::vector<AttrCase>{
           {"ksizes", {2, 3, 3, 1}, Code::kUnimplemented, "Only support ksizes across space."},
           {"ksizes", {1, 3, 3, 2}, Code::kUnimplemented, "Only support ksizes across space."},
           {"ksizes", {1, 0, 3, 1}, Code::kOutOfRange, "ksizes is out of range."},
           {"strides", {1, 1, 1, 3}, Code::kUnimplemented, "Only support strides across space."},
           {"strides", {1, 1, -1, 1}, Code::kOutOfRange, "strides is out of range."},
           {"rates", {0, 1, 1, 1}, Code::kUnimplemented, "Only support rates across space."},
           {"rates", {1, 0, 0, 1}, Code::kOutOfRange, "rates is out of range."},
           {"ksizes",
            {1, 1LL << 31, 1, 1},
            Code::kInvalidArgument,
            "Attr ksizes has value 2147483648 out of range for an int32"},
           // Found by the API fuzzer (UBSan): the fast path subtracted 1 from INT64_MIN.
           {"strides",
            {1, INT64_MIN, 1, 1},
            Code::kInvalidArgument,
            "Attr strides has value -9223372036854775808 out of range for an int32"},
           {"rates",
            {1, 1, INT64_MIN, 1},
            Code::kInvalidArgument,
            "Attr rates has value -9223372036854775808 out of range for an int32"},
       }) {
    Spec spec = make({1, 4, 4, 1}, 1, 1, 1, Padding::kSame);
    Vec4* attr = std::string(c.attr) == "ksizes"    ? &spec.ksizes
                 : std::string(c.attr) == "strides" ? &spec.strides
                                                    : &spec.rates;
    *attr = c.value;
    Expected<Geometry> g = make_geometry(spec);
    ASSERT_FALSE(g.ok()) << c.message;
    EXPECT_EQ(g.status().code(), c.code) << c.message;
    EXPECT_NE(g.status().message().find(c.message), std::string::npos) << g.status().message();
  }
}

TEST(Geometry, ChecksRunInTheKernelsOrder) {
  // ksizes before strides before rates; across-space before range within one attribute.
  Spec spec = make({1, 4, 4, 1}, 1, 1, 1, Padding::kSame);
  spec.ksizes = {2, 0, 1, 1};
  spec.strides = {2, 1, 1, 1};
  EXPECT_EQ(make_geometry(spec).status().code(), Code::kUnimplemented);
  EXPECT_NE(make_geometry(spec).status().message().find("ksizes"), std::string::npos);
  spec.ksizes = {1, 1, 1, 1};
  spec.rates = {1, 0, 1, 1};
  EXPECT_NE(make_geometry(spec).status().message().find("strides"), std::string::npos);
  // Rows report before cols.
  spec = make({1, 1, 1, 1}, 1, 1, 1, Padding::kValid);
  spec.ksizes = {1, 3, 4, 1};
  EXPECT_NE(make_geometry(spec).status().message().find("effective_filter_size: 3"), std::string::npos);
}

TEST(Geometry, AttributeLengthMessages) {
  EXPECT_TRUE(check_attribute_length("ksizes", 4).ok());
  Status s = check_attribute_length("ksizes", 5);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "ExtractImagePatches requires the ksizes attribute to contain 4 values, but got: 5");
  EXPECT_EQ(check_attribute_length("strides", 3).message(),
            "ExtractImagePatches requires the stride attribute to contain 4 values, but got: 3");
  EXPECT_EQ(check_attribute_length("rates", 0).message(),
            "ExtractImagePatches requires the rates attribute to contain 4 values, but got: 0");
}

TEST(Geometry, OverflowIsAnErrorNeverAWrap) {
  const int64_t kMax32 = std::numeric_limits<int32_t>::max();
  Spec spec = make({1, 1, 1, 4}, 1, 1, 1, Padding::kSame);
  spec.ksizes = {1, kMax32, kMax32, 1};
  Expected<Geometry> g = make_geometry(spec);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), Code::kInvalidArgument);
  EXPECT_NE(g.status().message().find("Output size would overflow: 2147483647 x 2147483647 x 4"), std::string::npos)
      << g.status().message();

  // Output elements x element size beyond int64.
  spec = make({1LL << 40, 1, 1, 1LL << 20}, 1, 1, 1, Padding::kSame, DType::kComplex128);
  g = make_geometry(spec);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("Output size would overflow"), std::string::npos);

  // The input alone overflowing.
  spec = make({std::numeric_limits<int64_t>::max(), 2, 1, 1}, 1, 1, 1, Padding::kSame);
  EXPECT_FALSE(make_geometry(spec).ok());

  // Windowed size arithmetic near the int64 limit.
  spec = make({1, std::numeric_limits<int64_t>::max(), 1, 1}, 1, 1, 1, Padding::kSame, DType::kUInt8);
  spec.strides = {1, kMax32, 1, 1};
  g = make_geometry(spec);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->rows.out, (std::numeric_limits<int64_t>::max() - 1) / kMax32 + 1);
}

// Found by the API fuzzer (UBSan): an empty image with a width near 2^63 asked whether it is
// dense by multiplying its clamped steps in int64.
TEST(Geometry, EmptyImageOfHugeWidthIsNoOverflow) {
  Spec spec = make({3, 0, std::numeric_limits<int64_t>::max() - 110, 3}, 3, 4, 4, Padding::kSame, DType::kBFloat16);
  spec.rates = {1, 4, 4, 1};
  Expected<Geometry> g = make_geometry(spec);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_TRUE(g->empty());
  // Either answer is right for an empty image; the sanitizer build fails on the overflow.
  static_cast<void>(g->dense_image());
  static_cast<void>(g->dense_patches());
  EXPECT_FALSE(signature_name(*g).empty());
}

TEST(Geometry, NegativeDimensionsAndBadEnums) {
  Spec spec = make({1, -3, 4, 1}, 1, 1, 1, Padding::kSame);
  Expected<Geometry> g = make_geometry(spec);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), Code::kInvalidArgument);
  EXPECT_NE(g.status().message().find("input_shape[1] must be non-negative"), std::string::npos);

  spec = make({1, 3, 4, 1}, 1, 1, 1, static_cast<Padding>(7));
  g = make_geometry(spec);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("'padding'"), std::string::npos);

  spec = make({1, 3, 4, 1}, 1, 1, 1, Padding::kSame, static_cast<DType>(99));
  EXPECT_EQ(make_geometry(spec).status().code(), Code::kInvalidArgument);
}

TEST(Geometry, ElementSizesAndNames) {
  EXPECT_EQ(element_size(DType::kBool), 1);
  EXPECT_EQ(element_size(DType::kBFloat16), 2);
  EXPECT_EQ(element_size(DType::kComplex64), 8);
  EXPECT_EQ(element_size(DType::kComplex128), 16);
  EXPECT_EQ(dtype_from_name("float16"), DType::kHalf);
  EXPECT_EQ(dtype_from_name("half"), DType::kHalf);
  EXPECT_FALSE(dtype_from_name("float128").has_value());
  for (int i = 0; i < kNumDTypes; ++i) {
    EXPECT_EQ(dtype_from_name(dtype_name(static_cast<DType>(i))), static_cast<DType>(i));
  }
}

}  // namespace
}  // namespace pj
