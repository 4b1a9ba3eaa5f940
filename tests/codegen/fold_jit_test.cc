// Fold's xbyak kernels (codegen/xbyak/fold_emitter.h) against fold's golden loops at each ISA
// this CPU runs: random folds of every dtype the JIT serves, and forced ones for each path of
// the walk (unrolled pixels, long pixels' block loops, short pixels read wide or exactly, half's
// rounding, the mean, prefetches, one channel); patches and image against PROT_NONE guard
// pages, the image poisoned, rows split at random; what it does not serve refused with the
// reason.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "codegen/lower/fold_walk.h"
#include "codegen/plan/fold_plan.h"
#include "codegen/xbyak/fold_emitter.h"
#include "jit/cpu.h"
#include "jit/executable_memory.h"
#include "tests/support/kernel_check.h"
#include "tests/support/random_spec.h"

namespace pj {
namespace {

// Counts what the walk asks for, to assert each path ran.
class Paths final : public FoldSink {
 public:
  void begin_kernel() override {}
  void end_kernel() override {}
  void begin_row_group(const FoldRowGroup& g) override { stepped_rows += g.count > 1; }
  void end_row_group() override {}
  void begin_loop(Level level, At, int64_t) override { block_loops += level == Level::kBlock; }
  void end_loop(Level, int64_t, int64_t) override {}
  void sum(At, const FoldSum& s) override {
    several_pixels += s.pixels > 1;
    divided += s.divisor > 1;
    prefetched += s.prefetch > 0;
    for (const FoldPiece& p : s.pieces) {
      narrow += p.width < 16, overlapping += p.offset % p.width != 0;
      if (p.wide == p.width) continue;  // a pixel under 16 bytes, not a power of two
      for (bool wide : s.wide) widened += wide, exact += !wide;
    }
  }
  int64_t stepped_rows = 0, block_loops = 0, several_pixels = 0, divided = 0, prefetched = 0, narrow = 0,
          overlapping = 0, widened = 0, exact = 0;
};

Spec fold_spec(DType dtype, Vec4 shape, int64_t k, int64_t stride, int64_t rate, Padding padding) {
  Spec s = square_spec(dtype, shape, k, stride, rate, padding);
  s.op = Op::kFold;
  return s;
}

void check_isa(Isa isa) {
  if (host_isa() < isa) GTEST_SKIP() << "this CPU does not run " << isa_name(isa);
  const uint64_t seed = testing::test_seed();
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
  Paths paths;
  int64_t kernels = 0, refused = 0, by_size[17] = {};
  const int64_t count = std::max<int64_t>(testing::scaled(400), static_cast<int64_t>(forced.size()));
  for (int64_t n = 0; n < count; ++n) {
    const Spec spec =
        n < static_cast<int64_t>(forced.size()) ? forced[static_cast<size_t>(n)] : testing::random_fold_spec(rng);
    const Geometry g = *make_geometry(spec);
    Expected<FoldPlan> plan = make_fold_plan(g, isa);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    if (plan->sums_pixels() && (n == static_cast<int64_t>(forced.size()) - 1 || rng() % 4 == 0)) {
      plan->prefetch_bytes = 1 + static_cast<int64_t>(rng() % 4096);  // hints: past the patches too
    }
    const Status supported = fold_walk_supports(*plan);
    Expected<MachineCode> code = emit_x86_fold(*plan, isa);
    if (!supported.ok()) {  // refused, with the walk's reason
      ++refused;
      ASSERT_FALSE(code.ok()) << testing::describe(spec);
      EXPECT_EQ(code.status().message(), supported.message());
      continue;
    }
    ASSERT_TRUE(code.ok()) << testing::describe(spec) << ": " << code.status().message();
    Expected<std::shared_ptr<const ExecutableMemory>> memory = map_kernel(code->bytes, code->name);
    ASSERT_TRUE(memory.ok()) << memory.status().message();
    ++kernels;
    ++by_size[g.elem_size];
    walk_fold(*plan, x86_fold_target(isa), paths);
    const KernelFunction kernel = (*memory)->function();
    const int64_t rows = g.total_rows(), cut = static_cast<int64_t>(rng() % static_cast<uint64_t>(rows + 1));
    const std::string difference = testing::check_fold(g, rng, [&](const uint8_t* patches, uint8_t* image) {
      call_kernel(kernel, KernelArgs{patches, image, cut, rows});  // the rows in two parts
      call_kernel(kernel, KernelArgs{patches, image, 0, cut});
    });
    ASSERT_EQ(difference, "") << isa_name(isa) << " " << testing::describe(spec) << "\n"
                              << to_string(*plan) << "seed " << seed << " (PATCHJIT_SEED replays)";
  }
  EXPECT_GT(refused, 0);  // the torch format's folds, bfloat16
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
}

TEST(FoldJit, Avx512MatchesGolden) { check_isa(Isa::kAvx512); }
TEST(FoldJit, Avx2MatchesGolden) { check_isa(Isa::kAvx2); }

// Taps more than 2 GiB apart (patches 2^40 bytes apart, a spec no buffer backs): refused by
// the walk's 128-bit bound before it computes an offset (UBSan watches), with the reason.
TEST(FoldJit, TapsBeyond32BitOffsetsAreRefused) {
  Spec spec = fold_spec(DType::kUInt8, {1, 3, 2, 1}, 2, 1, 1, Padding::kSame);
  spec.patch_strides = {int64_t{1} << 40, 0};
  const Expected<FoldPlan> plan = make_fold_plan(*make_geometry(spec), Isa::kAvx2);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  const Expected<MachineCode> code = emit_x86_fold(*plan, Isa::kAvx2);
  ASSERT_FALSE(code.ok());
  EXPECT_EQ(code.status().code(), Code::kUnimplemented);
  EXPECT_NE(code.status().message().find("more than 2 GiB apart"), std::string::npos) << code.status().message();
}

// Image rows 2^40 bytes apart and a row stride past 2^31: no group of rows steps (each has one
// member), and no step is computed (UBSan watches; 2^71 would overflow). Emitted, not run.
TEST(FoldJit, RowGroupsOfOneComputeNoStep) {
  Spec spec = fold_spec(DType::kUInt8, {1, 3, 2, 1}, 1, 1, 1, Padding::kSame);
  spec.strides = {1, (int64_t{1} << 31) - 1, 1, 1};
  spec.image_strides = {0, int64_t{1} << 40, 0};
  const Expected<Geometry> g = make_geometry(spec);
  ASSERT_TRUE(g.ok()) << g.status().message();
  const Expected<FoldPlan> plan = make_fold_plan(*g, Isa::kAvx2);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  for (const RowGroup& rows : plan->row_groups) EXPECT_EQ(rows.count, 1);
  const Expected<MachineCode> code = emit_x86_fold(*plan, Isa::kAvx2);
  EXPECT_TRUE(code.ok()) << code.status().message();
}

// Over the code limit: refused before anything is emitted, naming the limit.
TEST(FoldJit, KernelsOverTheCodeLimitAreRefused) {
  const Geometry g = *make_geometry(fold_spec(DType::kFloat32, {1, 40, 40, 64}, 7, 1, 1, Padding::kSame));
  const Expected<MachineCode> code = emit_x86_fold(*make_fold_plan(g, Isa::kAvx2), Isa::kAvx2, 4096);
  ASSERT_FALSE(code.ok());
  EXPECT_EQ(code.status().code(), Code::kResourceExhausted);
  EXPECT_NE(code.status().message().find("over the limit of 4096"), std::string::npos) << code.status().message();
}

}  // namespace
}  // namespace pj
