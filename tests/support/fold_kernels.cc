#include "tests/support/fold_kernels.h"

#include <gtest/gtest.h>

#include <xmmintrin.h>

#include <cmath>
#include <cstring>
#include <random>
#include <utility>
#include <string>
#include <vector>

#include "tests/support/kernel_check.h"
#include "tests/support/random_spec.h"

namespace pj::testing {
namespace {

// Counts what the walk asks for, to assert each path ran.
class Paths final : public FoldSink {
 public:
  void begin_kernel() override { blocked = false; }
  void end_kernel() override {}
  void begin_channel_blocks(int64_t count) override { channel_blocks += count; }
  void end_channel_blocks(int64_t, int64_t) override { blocked = true; }
  void begin_row_group(const FoldRowGroup& g) override {
    stepped_rows += g.count > 1;
    rest_of_blocks += blocked;  // the channels after the blocks
  }
  void end_row_group() override {}
  void begin_guard(int64_t) override { ++guarded; }
  void end_guard() override {}
  void begin_loop(Level level, At, int64_t) override { block_loops += level == Level::kBlock; }
  void end_loop(Level, int64_t, int64_t) override {}
  void sum_lanes(Level level, int lane_bytes, const std::vector<FoldLanes>& vectors) override {
    lane_loops += level == Level::kPixel;
    lanes_of_size[lane_bytes] += 1;
    const int lanes = 64 / lane_bytes;
    for (const FoldLanes& v : vectors) {
      partial_stores += v.stored < lanes;
      lanes_from_image += v.from_image;
      divided += !v.divisors.empty();
      for (const FoldLaneRun& run : v.runs) masked_loads += run.loaded < lanes;
    }
  }
  void sum(At, const FoldSum& s) override {
    several_pixels += s.pixels > 1;
    divided += s.divisor > 1;
    from_image += s.from_image;
    prefetched += s.prefetch > 0;
    for (const FoldPiece& p : s.pieces) {
      narrow += p.width < 16, overlapping += p.offset % p.width != 0;
      if (p.wide == p.width) continue;  // a pixel under 16 bytes, not a power of two
      for (bool wide : s.wide) widened += wide, exact += !wide;
    }
  }
  bool blocked = false;
  int64_t channel_blocks = 0, rest_of_blocks = 0, stepped_rows = 0, block_loops = 0, several_pixels = 0, divided = 0, prefetched = 0, narrow = 0,
          overlapping = 0, widened = 0, exact = 0;
  int64_t lane_loops = 0, partial_stores = 0, masked_loads = 0, lanes_of_size[9] = {};
  int64_t guarded = 0, from_image = 0, lanes_from_image = 0;
};

// Runs the kernel over all rows in two parts, either one first: a part that wrote rows outside
// its range (below or above it) is caught by the other's partial sums or by the poison.
std::function<void(const uint8_t*, uint8_t*)> in_two_parts(KernelFunction kernel, const Geometry& g,
                                                           std::mt19937_64& rng) {
  const int64_t rows = g.total_rows(), cut = static_cast<int64_t>(rng() % static_cast<uint64_t>(rows + 1));
  const bool low_first = rng() % 2 == 0;
  return [=](const uint8_t* patches, uint8_t* image) {
    for (int part = 0; part < 2; ++part) {
      const bool low = (part == 0) == low_first;
      call_kernel(kernel, low ? KernelArgs{patches, image, 0, cut} : KernelArgs{patches, image, cut, rows});
    }
  };
}

// Patches of floats near the smallest normal, both signs, and -0: sums of two of them fall
// below it, so that flush-to-zero makes them +0 or -0 (floating dtypes; complex as parts).
std::vector<uint8_t> tiny_floats(DType dtype, size_t bytes, std::mt19937_64& rng) {
  std::vector<uint8_t> data(bytes);
  const bool doubles = dtype == DType::kFloat64 || dtype == DType::kComplex128;
  const size_t part = doubles ? 8 : 4;
  for (size_t at = 0; at + part <= bytes; at += part) {
    const double u = static_cast<double>(rng() % 1024) / 1024.0;
    const double sign = rng() % 2 ? -1.0 : 1.0;
    if (doubles) {
      const double v = rng() % 16 == 0 ? -0.0 : sign * std::ldexp(1.0 + u, -1022);
      std::memcpy(data.data() + at, &v, 8);
    } else {
      const float v = rng() % 16 == 0 ? -0.0f : static_cast<float>(sign * std::ldexp(1.0 + u, -126));
      std::memcpy(data.data() + at, &v, 4);
    }
  }
  return data;
}

}  // namespace

Spec fold_spec(DType dtype, Vec4 shape, int64_t k, int64_t stride, int64_t rate, Padding padding) {
  Spec s = square_spec(dtype, shape, k, stride, rate, padding);
  s.op = Op::kFold;
  return s;
}


void check_fold_emitter(const FoldEmitter& emitter) {
  const uint64_t seed = test_seed();
  std::mt19937_64 rng(seed);
  // First the paths a scaled-down run may not draw: 300 floats a pixel (more pieces than
  // accumulators: block loops), half (rounding after every add) in mean mode, int8 (pieces of
  // one byte), complex128, one channel at rate 2, a stride-3 kernel of 7 with prefetches.
  std::vector<Spec> forced = {fold_spec(DType::kFloat32, {1, 5, 6, 300}, 3, 1, 1, Padding::kSame),
                              fold_spec(DType::kHalf, {2, 7, 9, 5}, 3, 2, 1, Padding::kSame),
                              fold_spec(DType::kInt8, {1, 9, 8, 3}, 2, 1, 2, Padding::kValid),
                              fold_spec(DType::kComplex128, {1, 6, 5, 3}, 3, 1, 1, Padding::kSame),
                              fold_spec(DType::kFloat32, {1, 12, 11, 1}, 3, 1, 2, Padding::kValid),
                              fold_spec(DType::kFloat64, {1, 23, 19, 16}, 7, 3, 1, Padding::kSame)};
  forced[1].mode = FoldMode::kMean;
  // Rows in vectors of lanes (where the emitter permutes 64-byte vectors): each lane size,
  // a stem-like 7x7 stride 2 of 3 bytes, runs that are whole vectors (2x2 stride 2 of 8
  // floats), dilated runs, complex in mean mode, rows of a loop and rows too short for one.
  for (Spec lanes : {fold_spec(DType::kUInt8, {1, 61, 75, 3}, 7, 2, 1, Padding::kSame),
                     fold_spec(DType::kFloat32, {2, 16, 34, 8}, 2, 2, 1, Padding::kValid),
                     fold_spec(DType::kInt16, {1, 19, 70, 1}, 3, 1, 2, Padding::kValid),
                     fold_spec(DType::kComplex64, {1, 9, 21, 3}, 3, 2, 1, Padding::kSame),
                     fold_spec(DType::kInt64, {2, 7, 5, 2}, 3, 1, 1, Padding::kSame),
                     fold_spec(DType::kFloat64, {1, 13, 40, 3}, 5, 3, 2, Padding::kSame)}) {
    if (lanes.dtype == DType::kComplex64) lanes.mode = FoldMode::kMean;
    forced.push_back(lanes);
  }
  const size_t lane_forced = forced.size() - 6;
  // Torch's fold (NCHW, patches as columns in CHW order, column stride 1): a channel's columns
  // one run, in short rows and in rows longer than the accumulators (block loops along them);
  // channel blocks of several channels with the rest after them (2x2: blocks of 4 of 6
  // channels; 1x1: of 16 of 17).
  for (const auto& [nchw, k] : {std::pair{Vec4{1, 5, 12, 13}, 3}, std::pair{Vec4{2, 3, 4, 300}, 3},
                                std::pair{Vec4{2, 6, 5, 9}, 2}, std::pair{Vec4{1, 17, 3, 20}, 1}}) {
    Spec torch = fold_spec(DType::kFloat32, nchw, k, 1, 1, Padding::kSame);
    torch.format = {Layout::kNchw, PatchOrder::kChw, PatchesAs::kColumns};
    forced.push_back(torch);
  }
  forced.push_back(fold_spec(DType::kBFloat16, {1, 4, 5, 2}, 2, 1, 1, Padding::kSame));  // refused
  Paths paths;
  int64_t kernels = 0, refused = 0, channel_rows = 0, by_size[17] = {};
  const int64_t count = std::max<int64_t>(scaled(400), static_cast<int64_t>(forced.size()));
  for (int64_t n = 0; n < count; ++n) {
    const Spec spec = n < static_cast<int64_t>(forced.size()) ? forced[static_cast<size_t>(n)] : random_fold_spec(rng);
    const Geometry g = *make_geometry(spec);
    Expected<FoldPlan> plan = make_fold_plan(g, emitter.plan_isa);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    if (plan->sums_pixels() && (n == 5 || rng() % 4 == 0)) {  // forced[5]: the stride-3 kernel of 7
      plan->prefetch_bytes = 1 + static_cast<int64_t>(rng() % 4096);  // hints: past the patches too
    }
    // Walking output rows or image rows, both; the forced specs alternately (so that pixels and
    // lanes also start from partial sums in the image whatever the random draws).
    const bool lanes_forced = n >= static_cast<int64_t>(lane_forced) && n < static_cast<int64_t>(lane_forced) + 6;
    set_row_passes(*plan, n < static_cast<int64_t>(forced.size()) ? n % 2 == 0 : rng() % 2 == 0);
    if (lanes_possible(*plan)) {  // both ways, whatever the cost model chose (the forced: lanes)
      plan->sums_lanes = lanes_forced || rng() % 2 == 0;
    }
    const Status supported = emitter.supports(*plan);
    Expected<CompiledFold> compiled = emitter.compile(*plan);
    if (!supported.ok()) {  // refused, with the emitter's reason
      ++refused;
      ASSERT_FALSE(compiled.ok()) << describe(spec);
      EXPECT_EQ(compiled.status().message(), supported.message());
      continue;
    }
    ASSERT_TRUE(compiled.ok()) << describe(spec) << ": " << compiled.status().message();
    ++kernels;
    ++by_size[g.elem_size];
    channel_rows += plan->sums_channel_rows();
    walk_fold(*plan, emitter.target, paths);
    const KernelFunction kernel = compiled->function;
    const std::string difference = check_fold(g, rng, in_two_parts(kernel, g, rng));
    ASSERT_EQ(difference, "") << emitter.target.name << " " << describe(spec) << "\n"
                              << to_string(*plan) << "seed " << seed << " (PATCHJIT_SEED replays)";
  }
  EXPECT_GT(refused, 0);  // bfloat16; NCHW at column stride 2 and more, or with patches as rows
  EXPECT_GE(channel_rows, 2);  // the forced ones at least
  EXPECT_GT(paths.channel_blocks, 0);
  EXPECT_GT(paths.rest_of_blocks, 0);
  for (int e : {1, 2, 4, 8, 16}) EXPECT_GT(by_size[e], 0) << "element size " << e;
  EXPECT_GT(paths.stepped_rows, 0);
  EXPECT_GT(paths.block_loops, 0);
  EXPECT_GT(paths.several_pixels, 0);
  EXPECT_GT(paths.divided, 0);
  EXPECT_GT(paths.prefetched, 0);
  EXPECT_GT(paths.narrow, 0);
  EXPECT_GT(paths.overlapping, 0);
  EXPECT_GT(paths.widened, 0);  // short pixels read as a power of two inside their patch...
  EXPECT_GT(paths.exact, 0);    // ...and exactly at the patch's end
  EXPECT_GT(kernels, count / 4);
  // Under flush-to-zero and denormals-are-zero (as TensorFlow's threads run), sums that flush
  // to -0 keep it as the golden loops' do: a lane a run does not reach and a row pass's partial
  // sum must not turn -0 into +0. Lanes where the emitter has them, image rows or row passes,
  // both modes.
  for (const DType dtype : {DType::kFloat32, DType::kFloat64, DType::kComplex64}) {
    for (const auto& [mode, passes] : {std::pair{FoldMode::kSum, true}, std::pair{FoldMode::kMean, true},
                                       std::pair{FoldMode::kSum, false}, std::pair{FoldMode::kMean, false}}) {
      Spec spec = fold_spec(dtype, {2, 11, 37, 2}, 3, 2, 1, Padding::kSame);
      spec.mode = mode;
      const Geometry g = *make_geometry(spec);
      Expected<FoldPlan> plan = make_fold_plan(g, emitter.plan_isa);
      ASSERT_TRUE(plan.ok());
      set_row_passes(*plan, passes);
      plan->sums_lanes = lanes_possible(*plan);
      Expected<CompiledFold> compiled = emitter.compile(*plan);
      ASSERT_TRUE(compiled.ok()) << compiled.status().message();
      const std::vector<uint8_t> data = tiny_floats(dtype, static_cast<size_t>(g.patches_bytes), rng);
      const unsigned mxcsr = _mm_getcsr();
      _mm_setcsr(mxcsr | 0x8040);  // FTZ, DAZ: the golden loops too
      const std::string difference = check_fold(g, rng, in_two_parts(compiled->function, g, rng), &data);
      _mm_setcsr(mxcsr);
      ASSERT_EQ(difference, "") << emitter.target.name << " under FTZ/DAZ " << describe(spec) << "\n" << to_string(*plan);
    }
  }
  EXPECT_GT(paths.guarded, 0);
  EXPECT_GT(paths.from_image, 0);
  if (emitter.target.lane_permutes && emitter.plan_isa == Isa::kAvx512) {
    for (int e : {1, 2, 4, 8}) EXPECT_GT(paths.lanes_of_size[e], 0) << "lanes of " << e << " bytes";
    EXPECT_GT(paths.lane_loops, 0);
    EXPECT_GT(paths.partial_stores, 0);
    EXPECT_GT(paths.masked_loads, 0);
    EXPECT_GT(paths.lanes_from_image, 0);
  }
}

}  // namespace pj::testing
