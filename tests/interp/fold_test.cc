// Fold's loops (interp/fold.h) byte for byte against fold's golden loops: random folds of every
// numeric dtype, format, padding, stride and mode, buffers against guard pages, the image
// poisoned (and the gaps of a strided image left as they were), rows split at random and tiles
// of partial rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "codegen/plan/fold_plan.h"
#include "interp/fold.h"
#include "reference/compare.h"
#include "reference/golden.h"
#include "tests/support/guarded_buffer.h"
#include "tests/support/kernel_check.h"
#include "tests/support/random_spec.h"

namespace pj {
namespace {

using testing::GuardedBuffer;

int host_isa_for_test() {
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("bmi2")) {
    return static_cast<int>(Isa::kAvx512);
  }
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c") ? static_cast<int>(Isa::kAvx2) : 0;
}

TEST(Fold, MatchesGoldenOnRandomFolds) {
  const uint64_t seed = testing::test_seed();
  std::mt19937_64 rng(seed);
  int mean = 0, columns_inner = 0, stepped = 0, by_channel = 0, many_taps = 0, summed_at_once = 0, summed_down = 0,
      one_run = 0, tiled = 0, prefetched = 0;
  // The first cases take the paths the counts below assert on (a run scaled to 0.1 may draw none
  // of them): NCHW with a 1x1 kernel (one run per channel), 3x3 at stride 1 (inner columns,
  // borders down the rows) in mode mean, and 3x2 at column stride 2 (column groups by channel).
  auto torch_fold = [](DType dtype, Vec4 shape, int64_t kh, int64_t kw, int64_t col_stride) {
    Spec s;
    s.op = Op::kFold, s.dtype = dtype, s.format = kTorchFormat, s.image_shape = shape;
    s.ksizes = {1, kh, kw, 1}, s.strides = {1, 1, col_stride, 1};
    return s;
  };
  // Then pixels of more taps than a column group lists at once (256): 17x17 in the tf format,
  // 33x33 at column stride 2 in the torch format.
  Spec wide;
  wide.op = Op::kFold, wide.image_shape = {1, 20, 20, 3}, wide.ksizes = {1, 17, 17, 1};
  Spec forced[] = {torch_fold(DType::kFloat32, {2, 5, 7, 9}, 1, 1, 1), torch_fold(DType::kHalf, {1, 3, 9, 11}, 3, 3, 1),
                   torch_fold(DType::kInt32, {2, 4, 10, 13}, 3, 2, 2), wide,
                   torch_fold(DType::kFloat64, {1, 2, 20, 40}, 33, 33, 2)};
  forced[1].mode = FoldMode::kMean;
  const auto forced_count = static_cast<int64_t>(std::size(forced));
  for (int64_t n = 0, count = std::max(testing::scaled(1500), forced_count); n < count; ++n) {
    const Spec spec = n < forced_count ? forced[n] : testing::random_fold_spec(rng);
    const Geometry g = *make_geometry(spec);
    // Every instruction set of the vector adds this CPU runs.
    const Isa isa = static_cast<Isa>(rng() % (host_isa_for_test() + 1));
    Expected<FoldPlan> plan = make_fold_plan(g, isa);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    // Prefetches at any distance (hints: past the patches' guard page too) change no result.
    if (plan->sums_pixels() && rng() % 3 == 0) plan->prefetch_bytes = 1 + static_cast<int64_t>(rng() % 8192);
    prefetched += plan->prefetch_bytes > 0;
    mean += g.mode == FoldMode::kMean;
    columns_inner += !plan->channels_inner;
    // Pixels summed as a column group stepped along (the tf format's pixel loop).
    stepped += plan->channels_inner && g.image_steps.channel == g.elem_size &&
               std::any_of(plan->column_groups.begin(), plan->column_groups.end(),
                           [](const ColumnGroup& c) { return c.count > 1; });
    summed_at_once += plan->inner_begin < plan->inner_end;
    int64_t most_row_taps = 0;  // some pixels have more taps than a column group lists at once
    for (int64_t h = 0; h < g.rows.in; ++h) most_row_taps = std::max(most_row_taps, plan->row_count(h));
    many_taps += std::any_of(plan->column_groups.begin(), plan->column_groups.end(),
                             [&](const ColumnGroup& c) { return plan->column_count(c.first) * most_row_taps > 256; });
    // NCHW columns without inner columns: column groups channel by channel.
    by_channel +=
        !plan->channels_inner && g.patch_steps.position == g.elem_size && plan->inner_begin >= plan->inner_end;
    summed_down += plan->inner_row_begin < plan->inner_row_end;
    // A channel's inner rows as one run: no border columns, rows as far apart in the patches.
    one_run += plan->inner_row_begin < plan->inner_row_end && plan->inner_begin == 0 && plan->inner_end == g.cols.in &&
               g.cols.out == g.cols.in && g.image_steps.row == g.cols.in * g.image_steps.pixel;

    const std::string difference = testing::check_fold(g, rng, [&](const uint8_t* in, uint8_t* out) {
      const int64_t rows = g.total_rows();
      if ((n == 0 || rng() % 3 == 0) && rows > 0 && g.cols.in > 0) {  // every row in two tiles, split at random
        ++tiled;
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t cut = static_cast<int64_t>(rng() % static_cast<uint64_t>(g.cols.in + 1));
          run_fold(*plan, in, out, r, r + 1, cut, g.cols.in);
          run_fold(*plan, in, out, r, r + 1, 0, cut);
        }
      } else {
        const int64_t cut = static_cast<int64_t>(rng() % static_cast<uint64_t>(rows + 1));
        run_fold(*plan, in, out, cut, rows, 0, g.cols.in);
        run_fold(*plan, in, out, 0, cut, 0, g.cols.in);
      }
    });
    ASSERT_EQ(difference, "") << "seed " << seed << ": " << testing::describe(spec) << " vectors " << isa_name(isa)
                              << "\n" << to_string(*plan);
  }
  EXPECT_GT(mean, 0);
  EXPECT_GT(columns_inner, 0);
  EXPECT_GT(stepped, 0);
  EXPECT_GT(by_channel, 0);
  EXPECT_GT(many_taps, 1);
  EXPECT_GT(summed_at_once, 0);
  EXPECT_GT(summed_down, 0);
  EXPECT_GT(one_run, 0);
  EXPECT_GT(tiled, 0);
  EXPECT_GT(prefetched, 0);
}

// torch.nn.functional.fold's worked example: [1, 1*2*2, 4] columns of ones folded into a 3x3
// image by a 2x2 kernel count how many windows cover each pixel.
TEST(Fold, CountsCoverageOfOnes) {
  Spec spec;
  spec.op = Op::kFold;
  spec.format = kTorchFormat;
  spec.image_shape = {1, 1, 3, 3};
  spec.ksizes = {1, 2, 2, 1};
  spec.padding = Padding::kValid;
  const Geometry g = *make_geometry(spec);
  ASSERT_EQ(to_string(g.patches_shape), "[1,4,4]");
  const std::vector<float> ones(16, 1.0f);
  std::vector<float> image(9, -1.0f);
  run_fold(*make_fold_plan(g), reinterpret_cast<const uint8_t*>(ones.data()), reinterpret_cast<uint8_t*>(image.data()),
           0, 3, 0, 3);
  EXPECT_EQ(image, (std::vector<float>{1, 2, 1, 2, 4, 2, 1, 2, 1}));
  spec.mode = FoldMode::kMean;
  run_fold(*make_fold_plan(*make_geometry(spec)), reinterpret_cast<const uint8_t*>(ones.data()),
           reinterpret_cast<uint8_t*>(image.data()), 0, 3, 0, 3);
  EXPECT_EQ(image, std::vector<float>(9, 1.0f));
}

// Column groups: the border columns of a 3-wide SAME kernel alone, the inner ones one group; at
// stride 2 the inner columns by stride phase.
TEST(Fold, ColumnGroupsStepTheInnerColumnsTogether) {
  auto groups = [](int64_t width, int64_t stride) {
    Spec spec;
    spec.op = Op::kFold;
    spec.image_shape = {1, 4, width, 2};
    spec.ksizes = {1, 3, 3, 1};
    spec.strides = {1, 1, stride, 1};
    const Expected<FoldPlan> plan = make_fold_plan(*make_geometry(spec));
    std::vector<std::pair<int64_t, int64_t>> out;
    for (const ColumnGroup& c : plan->column_groups) out.emplace_back(c.first, c.count);
    return out;
  };
  using G = std::vector<std::pair<int64_t, int64_t>>;
  EXPECT_EQ(groups(7, 1), (G{{0, 1}, {1, 5}, {6, 1}}));
  // Stride 2 over 9 columns, SAME: 5 outputs, pad 1; even columns have 1 tap (ow = w/2, j = 1),
  // odd ones 2 (j = 2 then j = 0).
  EXPECT_EQ(groups(9, 2), (G{{0, 5}, {1, 4}}));
  EXPECT_EQ(groups(1, 1), (G{{0, 1}}));
}

// Pixels no patch reads (a stride beyond the kernel) are +0, in sum and mean mode.
TEST(Fold, UncoveredPixelsAreZero) {
  Spec spec;
  spec.op = Op::kFold;
  spec.dtype = DType::kFloat64;
  spec.image_shape = {1, 1, 5, 1};
  spec.strides = {1, 1, 3, 1};
  spec.padding = Padding::kValid;
  spec.mode = FoldMode::kMean;
  const Geometry g = *make_geometry(spec);
  const std::vector<double> patches{7.0, 9.0};
  std::vector<double> image(5, -1.0);
  run_fold(*make_fold_plan(g), reinterpret_cast<const uint8_t*>(patches.data()),
           reinterpret_cast<uint8_t*>(image.data()), 0, 1, 0, 5);
  EXPECT_EQ(image, (std::vector<double>{7, 0, 0, 9, 0}));
  EXPECT_FALSE(std::signbit(image[1]));
}

// A fold of 2^24 image rows: its plan's tap tables are refused, not allocated (the API fuzzer
// ran one of 2^31 rows out of memory).
TEST(Fold, PlansOfAbsurdExtentAreRefused) {
  Spec spec;
  spec.op = Op::kFold;
  spec.dtype = DType::kUInt8;
  spec.image_shape = {1, int64_t{1} << 24, 1, 1};
  const Expected<Geometry> g = make_geometry(spec);
  ASSERT_TRUE(g.ok()) << g.status().message();
  const Expected<FoldPlan> plan = make_fold_plan(*g);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kResourceExhausted);
  EXPECT_NE(plan.status().message().find("every image row"), std::string::npos) << plan.status().message();
  spec.image_shape = {1, (int64_t{1} << 24) - 1, 1, 1};
  EXPECT_TRUE(make_fold_plan(*make_geometry(spec)).ok());
}

}  // namespace
}  // namespace pj
