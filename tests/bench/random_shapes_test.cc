// The random sweep's shapes: a seed means the same shapes, and every drawn shape lies in the
// ranges the sweep promises, which together cover every element size, padding, kernel, stride
// and rate.
#include "bench/peers/random_shapes.h"

#include <gtest/gtest.h>

#include <set>

#include "codegen/plan/geometry.h"

namespace pj {
namespace {

using R = RandomRanges;

TEST(RandomShapes, ASeedDrawsTheSameShapesAndAnotherSeedOthers) {
  const std::vector<SuiteShape> a = random_shapes(20, 7), b = random_shapes(20, 7), c = random_shapes(20, 8);
  ASSERT_EQ(a.size(), 20u);
  std::vector<std::string> names_a, names_b, names_c;
  for (size_t i = 0; i < a.size(); ++i) {
    names_a.push_back(a[i].name), names_b.push_back(b[i].name), names_c.push_back(c[i].name);
  }
  EXPECT_EQ(names_a, names_b);
  EXPECT_NE(names_a, names_c);
  EXPECT_EQ(a[0].note, "random 1 of seed 7");
  EXPECT_EQ(a[19].note, "random 20 of seed 7");
  // A prefix of a longer sweep: --random 5 is the first five of --random 20.
  const std::vector<SuiteShape> first = random_shapes(5, 7);
  for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].name, a[i].name);
}

TEST(RandomShapes, EveryShapeIsInRangeAndTheRangesAreCovered) {
  std::set<int> sizes, kernels, strides, rates;
  std::set<Padding> paddings;
  int64_t min_depth = R::kMaxDepth, max_depth = 0, min_out = R::kMaxOutputBytes, max_out = 0;
  for (const SuiteShape& shape : random_shapes(400, 1)) {
    const Spec& s = shape.spec;
    SCOPED_TRACE(shape.name);
    const Expected<Geometry> g = make_geometry(s);
    ASSERT_TRUE(g.ok()) << g.status().message();
    EXPECT_EQ(shape.name, shape_name(s));
    EXPECT_EQ(s.format, kTfFormat);
    EXPECT_GE(g->output_bytes(), R::kMinOutputBytes);
    EXPECT_LE(g->output_bytes(), R::kMaxOutputBytes);
    EXPECT_LE(g->input_bytes(), R::kMaxInputBytes);
    EXPECT_GE(s.image_shape[3], 1);
    EXPECT_LE(s.image_shape[3], R::kMaxDepth);
    EXPECT_LE(s.image_shape[0], R::kMaxBatch);
    for (int axis : {1, 2}) {
      EXPECT_TRUE(s.ksizes[axis] >= 1 && s.ksizes[axis] <= R::kMaxKernel);
      EXPECT_TRUE(s.strides[axis] >= 1 && s.strides[axis] <= R::kMaxStride);
      EXPECT_TRUE(s.rates[axis] >= 1 && s.rates[axis] <= R::kMaxRate);
      kernels.insert(static_cast<int>(s.ksizes[axis]));
      strides.insert(static_cast<int>(s.strides[axis]));
      rates.insert(static_cast<int>(s.rates[axis]));
    }
    sizes.insert(element_size(s.dtype));
    paddings.insert(s.padding);
    min_depth = std::min(min_depth, s.image_shape[3]), max_depth = std::max(max_depth, s.image_shape[3]);
    min_out = std::min(min_out, g->output_bytes()), max_out = std::max(max_out, g->output_bytes());
  }
  EXPECT_EQ(sizes, (std::set<int>{1, 2, 4, 8, 16}));
  EXPECT_EQ(kernels.size(), static_cast<size_t>(R::kMaxKernel));
  EXPECT_EQ(strides.size(), static_cast<size_t>(R::kMaxStride));
  EXPECT_EQ(rates.size(), static_cast<size_t>(R::kMaxRate));
  EXPECT_EQ(paddings.size(), 2u);
  // Log-uniform draws reach both ends of each range.
  EXPECT_LE(min_depth, 2);
  EXPECT_GE(max_depth, 512);
  EXPECT_LT(min_out, 100'000);
  EXPECT_GT(max_out, 8'000'000);
}

}  // namespace
}  // namespace pj
