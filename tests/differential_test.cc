// The plan interpreter and the careful im2col against the golden loops, byte for byte, on random
// specs: fresh random data, output poisoned (each byte the complement of the expected one) so
// that an unwritten byte always shows.
#include <gtest/gtest.h>

#include <random>

#include "codegen/plan/plan.h"
#include "reference/compare.h"
#include "reference/golden.h"
#include "reference/im2col.h"
#include "reference/interpreter.h"
#include "tests/random_spec.h"

namespace pj {
namespace {

std::vector<uint8_t> poisoned(const std::vector<uint8_t>& expected) {
  std::vector<uint8_t> out(expected.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(~expected[i]);
  return out;
}

std::string mismatch(const Geometry& g, const std::vector<uint8_t>& expected, const std::vector<uint8_t>& actual) {
  auto m = first_mismatch(g.output_shape, g.elem_size, g.cols.ksize, g.depth, expected.data(), actual.data());
  return m ? describe(*m, g.elem_size, expected.data(), actual.data()) : std::string();
}

struct Counts {
  int64_t specs = 0, by_size[17] = {}, same = 0, valid = 0, empty = 0;
};

void check_random(const char* what, int64_t n, const PlanOptions& plan_options,
                  void (*run)(const Plan&, const Geometry&, const uint8_t*, uint8_t*, int64_t, int64_t)) {
  const uint64_t seed = testing::test_seed();
  std::mt19937_64 rng(seed);
  Counts counts;
  for (int64_t i = 0; i < n; ++i) {
    Spec spec = testing::random_spec(rng);
    Geometry g = *make_geometry(spec);
    ++counts.specs;
    ++counts.by_size[g.elem_size];
    ++(spec.padding == Padding::kSame ? counts.same : counts.valid);
    if (g.empty()) {
      ++counts.empty;
      continue;
    }
    std::vector<uint8_t> input = testing::random_bytes(rng, g.input_bytes);
    std::vector<uint8_t> expected(g.output_bytes);
    golden_extract(g, input.data(), expected.data());
    Expected<Plan> plan = make_plan(g, plan_options);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    std::vector<uint8_t> actual = poisoned(expected);
    // Split the rows in two ranges at a random point, as threads would.
    const int64_t rows = g.batch * g.rows.out;
    const int64_t cut = static_cast<int64_t>(rng() % (rows + 1));
    run(*plan, g, input.data(), actual.data(), 0, cut);
    run(*plan, g, input.data(), actual.data(), cut, rows);
    ASSERT_TRUE(expected == actual) << what << ": " << testing::describe(spec) << ": "
                                    << mismatch(g, expected, actual) << " (seed " << seed
                                    << ", PATCHJIT_SEED replays)";
  }
  std::cout << what << ": " << counts.specs << " random specs (seed " << seed << "; " << counts.same
            << " SAME, " << counts.valid << " VALID, " << counts.empty << " empty; by element size 1/2/4/8/16: "
            << counts.by_size[1] << "/" << counts.by_size[2] << "/" << counts.by_size[4] << "/"
            << counts.by_size[8] << "/" << counts.by_size[16] << ")\n";
  EXPECT_GT(counts.by_size[16], 0);
  EXPECT_GT(counts.empty, 0);
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

TEST(Differential, CarefulIm2colMatchesGolden) {
  check_random("im2col", testing::scaled(3000), PlanOptions{},
               [](const Plan&, const Geometry& g, const uint8_t* in, uint8_t* out, int64_t b, int64_t e) {
                 im2col_rows(g, in, out, b, e);
               });
}

TEST(Compare, NamesTheFirstDifferingElement) {
  Spec spec;
  spec.input_shape = {1, 3, 3, 2};
  spec.ksizes = {1, 2, 2, 1};
  Geometry g = *make_geometry(spec);
  std::vector<uint8_t> a(g.output_bytes, 0), b(g.output_bytes, 0);
  // Output [1,3,3,8]: element [0,1,2,5] = patch row 1, col 0, channel 1.
  const int64_t e = ((0 * 3 + 1) * 3 + 2) * 8 + 5;
  b[e * 4 + 1] = 0x12;
  auto m = first_mismatch(g.output_shape, 4, 2, 2, a.data(), b.data());
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->element, e);
  EXPECT_EQ(m->coords, (Vec4{0, 1, 2, 5}));
  EXPECT_EQ(m->ki, 1);
  EXPECT_EQ(m->kj, 0);
  EXPECT_EQ(m->channel, 1);
  EXPECT_EQ(describe(*m, 4, a.data(), b.data()),
            "element 45 [0,1,2,5] (patch row 1, col 0, channel 1): expected 0x00000000, got 0x00001200");
  EXPECT_FALSE(first_mismatch(g.output_shape, 4, 2, 2, a.data(), a.data()).has_value());
}

}  // namespace
}  // namespace pj
