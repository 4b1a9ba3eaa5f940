// The plan interpreter, the generic loops and the careful im2col against the golden loops, byte
// for byte, on random specs of every format: fresh random data, output poisoned (each element
// byte the complement of the expected one, random bytes between elements that must stay) so
// that an unwritten or overwritten byte always shows.
#include <gtest/gtest.h>

#include <random>

#include "bench/peers/im2col.h"
#include "codegen/plan/plan.h"
#include "interp/interpreter.h"
#include "reference/compare.h"
#include "reference/golden.h"
#include "tests/support/kernel_check.h"
#include "tests/support/random_spec.h"

namespace pj {
namespace {

std::string mismatch(const Geometry& g, const std::vector<uint8_t>& expected, const std::vector<uint8_t>& actual) {
  auto m = first_mismatch(g, expected.data(), actual.data());
  return m ? describe(g, *m, expected.data(), actual.data()) : std::string();
}

struct Counts {
  int64_t specs = 0, by_size[17] = {}, same = 0, valid = 0, explicit_pads = 0, empty = 0, formats = 0, strided = 0,
          pad_values = 0;
};

using Runner = void (*)(const Plan&, const Geometry&, const uint8_t*, uint8_t*, int64_t, int64_t);

void check_random(const char* what, int64_t n, const PlanOptions& plan_options, Runner run,
                  const testing::RandomSpecOptions& spec_options = {}) {
  const uint64_t seed = testing::test_seed();
  std::mt19937_64 rng(seed);
  Counts counts;
  for (int64_t i = 0; i < n; ++i) {
    Spec spec = testing::random_spec(rng, spec_options);
    Geometry g = *make_geometry(spec);
    ++counts.specs;
    ++counts.by_size[g.elem_size];
    ++(spec.padding == Padding::kSame    ? counts.same
       : spec.padding == Padding::kValid ? counts.valid
                                         : counts.explicit_pads);
    counts.formats += !(spec.format == kTfFormat);
    counts.strided += !g.dense_image() || !g.dense_patches();
    counts.pad_values += !g.zero_pad();
    if (g.empty()) {
      ++counts.empty;
      continue;
    }
    std::vector<uint8_t> input = testing::random_bytes(rng, g.input_bytes());
    const testing::ExpectedOutput want = testing::expected_output(g, input.data(), rng);
    const std::vector<uint8_t>& expected = want.expected;
    Expected<Plan> plan = make_plan(g, plan_options);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    std::vector<uint8_t> actual = want.poison;
    // Split the rows in two ranges at a random point, as threads would.
    const int64_t rows = g.total_rows();
    const int64_t cut = static_cast<int64_t>(rng() % (rows + 1));
    run(*plan, g, input.data(), actual.data(), 0, cut);
    run(*plan, g, input.data(), actual.data(), cut, rows);
    ASSERT_TRUE(expected == actual) << what << ": " << testing::describe(spec) << ": " << mismatch(g, expected, actual)
                                    << " (seed " << seed << ", PATCHJIT_SEED replays)";
  }
  std::cout << what << ": " << counts.specs << " random specs (seed " << seed << "; " << counts.same << " SAME, "
            << counts.valid << " VALID, " << counts.explicit_pads << " explicit; " << counts.empty << " empty; "
            << counts.formats << " in other formats, " << counts.strided << " strided, " << counts.pad_values
            << " with a pad value; by element size 1/2/4/8/16: " << counts.by_size[1] << "/" << counts.by_size[2] << "/"
            << counts.by_size[4] << "/" << counts.by_size[8] << "/" << counts.by_size[16] << ")\n";
  EXPECT_GT(counts.by_size[16], 0);
  EXPECT_GT(counts.empty, 0);
  if (spec_options.format_fraction > 0 && n >= 1000) {
    EXPECT_GT(counts.formats, n / 10);
    EXPECT_GT(counts.strided, n / 20);
    EXPECT_GT(counts.explicit_pads, n / 20);
    EXPECT_GT(counts.pad_values, n / 20);
  }
}

TEST(Differential, InterpreterMatchesGolden) {
  check_random("interp", testing::scaled(10000), PlanOptions{},
               [](const Plan& plan, const Geometry&, const uint8_t* in, uint8_t* out, int64_t b, int64_t e) {
                 interpret(plan, in, out, b, e);
               });
}

TEST(Differential, InterpreterWithRowLoopsMatchesGolden) {
  PlanOptions options;
  options.unroll_budget = 1;  // every multi-row block a loop
  check_random("interp (row loops)", testing::scaled(2000), options,
               [](const Plan& plan, const Geometry&, const uint8_t* in, uint8_t* out, int64_t b, int64_t e) {
                 interpret(plan, in, out, b, e);
               });
}

TEST(Differential, GenericPlanMatchesGolden) {
  PlanOptions options;
  options.max_regions = 1;  // every plan with a border is generic
  check_random("interp (generic plans)", testing::scaled(2000), options,
               [](const Plan& plan, const Geometry&, const uint8_t* in, uint8_t* out, int64_t b, int64_t e) {
                 interpret(plan, in, out, b, e);
               });
}

TEST(Differential, PixelPlansMatchGolden) {
  // Plans of one program per pixel (a tile's partial rows), run one row at a time over a random
  // split of its pixels.
  PlanOptions options;
  options.pixels_only = true;
  check_random("interp (pixel plans)", testing::scaled(2000), options,
               [](const Plan& plan, const Geometry& g, const uint8_t* in, uint8_t* out, int64_t b, int64_t e) {
                 for (int64_t row = b; row < e; ++row) {
                   const int64_t cut = (row * 7 + 3) % (g.cols.out + 1);
                   interpret_pixels(plan, in, out, row, 0, cut);
                   interpret_pixels(plan, in, out, row, cut, g.cols.out);
                 }
               });
}

TEST(Differential, CarefulIm2colMatchesGolden) {
  check_random(
      "im2col", testing::scaled(3000), PlanOptions{},
      [](const Plan&, const Geometry& g, const uint8_t* in, uint8_t* out, int64_t b, int64_t e) {
        im2col_rows(g, in, out, b, e);
      },
      testing::tf_only());
}

TEST(Compare, NamesTheFirstDifferingElement) {
  Spec spec;
  spec.image_shape = {1, 3, 3, 2};
  spec.ksizes = {1, 2, 2, 1};
  Geometry g = *make_geometry(spec);
  std::vector<uint8_t> a(g.output_bytes(), 0), b(g.output_bytes(), 0);
  // Output [1,3,3,8]: element [0,1,2,5] = patch row 1, col 0, channel 1.
  const int64_t e = ((0 * 3 + 1) * 3 + 2) * 8 + 5;
  b[e * 4 + 1] = 0x12;
  auto m = first_mismatch(g, a.data(), b.data());
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->offset, e * 4);
  EXPECT_EQ(m->index, e);
  EXPECT_EQ(m->coords, (Dims{4, {0, 1, 2, 5}}));
  EXPECT_EQ(m->ki, 1);
  EXPECT_EQ(m->kj, 0);
  EXPECT_EQ(m->channel, 1);
  EXPECT_EQ(describe(g, *m, a.data(), b.data()),
            "element 45 [0,1,2,5] (patch row 1, col 0, channel 1): expected 0x00000000, got 0x00001200");
  EXPECT_FALSE(first_mismatch(g, a.data(), a.data()).has_value());
}

TEST(Compare, NamesBytesBetweenElements) {
  Spec spec;
  spec.image_shape = {1, 2, 2, 1};
  spec.patch_strides = {3, 0};  // a gap of two elements after each 1-element patch
  Geometry g = *make_geometry(spec);
  std::vector<uint8_t> a(g.output_bytes(), 0), b(g.output_bytes(), 0);
  b[5] = 1;  // inside the first gap
  auto m = first_mismatch(g, a.data(), b.data());
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->element);
  EXPECT_EQ(m->offset, 5);
  EXPECT_NE(describe(g, *m, a.data(), b.data()).find("between elements"), std::string::npos);
}

}  // namespace
}  // namespace pj
