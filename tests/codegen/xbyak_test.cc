// The xbyak backend against the golden loops at each ISA this CPU runs: random signatures of
// every element size, fresh random data, output poisoned, input and output placed against
// PROT_NONE guard pages (an over-read or over-write crashes the test), misaligned pointers,
// random row splits, and planner budgets varied so every loop form of the emitter runs.
#include <gtest/gtest.h>

#include <algorithm>

#include <random>

#include "codegen/lower/lowering.h"
#include "codegen/plan/kernel_abi.h"
#include "codegen/plan/plan.h"
#include "codegen/xbyak/emitter.h"
#include "jit/cpu.h"
#include "jit/executable_memory.h"
#include "tests/support/kernel_check.h"
#include "tests/support/random_spec.h"

namespace pj {
namespace {

struct Kernel {
  std::shared_ptr<const ExecutableMemory> memory;
  KernelFunction function = nullptr;
  size_t bound = 0;  // x86_code_bound of the lowering
};

Kernel compile(const Plan& plan, Isa isa) {
  const Lowering lowering = lower(plan, x86_target(isa));
  Expected<MachineCode> code = emit_x86(lowering, isa);
  EXPECT_TRUE(code.ok()) << code.status().message();
  if (!code.ok()) return {};
  Expected<std::shared_ptr<const ExecutableMemory>> memory = map_kernel(code->bytes, code->name);
  EXPECT_TRUE(memory.ok()) << memory.status().message();
  if (!memory.ok()) return {};
  return {*memory, (*memory)->function(), x86_code_bound(lowering)};
}

void check_isa(Isa isa, int64_t n) {
  if (host_isa() < isa) GTEST_SKIP() << "this CPU does not run " << isa_name(isa);
  const uint64_t seed = testing::test_seed();
  std::mt19937_64 rng(seed);
  int64_t by_size[17] = {}, kernels = 0, empty = 0, streaming = 0, grouped = 0, many_windows = 0, partial_only = 0,
          lane_gathers = 0, by_dwords = 0;
  for (int64_t i = 0; i < n; ++i) {
    Spec spec = testing::random_spec(rng);
    Geometry g = *make_geometry(spec);
    ++by_size[g.elem_size];
    if (g.empty()) {
      ++empty;
      continue;
    }
    Expected<Plan> plan = make_plan(g, testing::random_options(rng, plan_options_for(isa)));
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    if (plan->generic) continue;
    Kernel kernel = compile(*plan, isa);
    ASSERT_TRUE(kernel.function) << testing::describe(spec);
    // The buffer is sized by the bound: the code must fit it (emit_x86 fails otherwise).
    ASSERT_LE(kernel.memory->code_size(), kernel.bound);
    ++kernels;
    streaming += plan->options.nontemporal;
    grouped += testing::has_pixel_groups(*plan);
    lane_gathers += !lower(*plan, x86_target(isa)).lane_gathers.empty();  // AVX2's strided output rows
    by_dwords += std::any_of(plan->programs.begin(), plan->programs.end(),
                             [](const PixelProgram& p) { return p.group && p.group->by_dwords; });
    // Groups of more windows than register pairs, and regions narrower than a group (a partial one).
    many_windows += std::any_of(plan->programs.begin(), plan->programs.end(), [](const PixelProgram& p) {
      return p.group && p.group->windows.size() > kPairWindows;
    });
    for (const RowClass& rc : plan->row_classes) {
      partial_only += std::any_of(rc.regions.begin(), rc.regions.end(), [&](const Region& r) {
        return r.grouped && r.iterations() < plan->programs[r.program].group->pixels;
      });
    }

    const std::string difference = testing::check_kernel(*plan, kernel.function, rng);
    if (!difference.empty()) {
      FAIL() << isa_name(isa) << " " << testing::describe(spec) << ": " << difference << "\n"
             << to_string(*plan) << "seed " << seed << " (PATCHJIT_SEED replays)";
    }
  }
  std::cout << isa_name(isa) << ": " << n << " random specs, " << kernels << " kernels compiled and checked ("
            << streaming << " with non-temporal stores, " << grouped << " with pixel groups (" << many_windows
            << " of more windows than register pairs, " << partial_only << " row classes of partial groups only), "
            << lane_gathers << " with gathers by lanes, " << by_dwords << " with groups by dwords; " << empty
            << " empty; element sizes 1/2/4/8/16: " << by_size[1] << "/" << by_size[2] << "/" << by_size[4] << "/"
            << by_size[8] << "/" << by_size[16] << "; seed " << seed << ")\n";
  if (n >= 1000) {
    EXPECT_GT(grouped, n / 200) << "pixel groups went untested";
  }
  if (isa == Isa::kAvx2 && n >= 1000) {
    EXPECT_GT(lane_gathers, n / 200) << "gathers by lanes went untested";
    EXPECT_GT(by_dwords, n / 200) << "groups by dwords went untested";
  }
  if (isa == Isa::kAvx512 && n >= 1000) {
    EXPECT_GT(many_windows, 0) << "groups of more than " << kPairWindows << " windows went untested";
    EXPECT_GT(partial_only, 0) << "regions narrower than a group went untested";
  }
}

TEST(Xbyak, Avx512MatchesGolden) { check_isa(Isa::kAvx512, testing::scaled(20000)); }
TEST(Xbyak, Avx2MatchesGolden) { check_isa(Isa::kAvx2, testing::scaled(20000)); }

// Offsets beyond 32 bits: a 6 GiB input (reserved, mostly never touched) whose kernel rows and
// anchors lie more than 2 GiB apart.
TEST(Xbyak, SixtyFourBitOffsets) {
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (host_isa() < isa) continue;
    Expected<Plan> plan = make_plan(testing::sixty_four_bit_geometry(), plan_options_for(isa));
    ASSERT_TRUE(plan.ok());
    Kernel kernel = compile(*plan, isa);
    ASSERT_TRUE(kernel.function);
    EXPECT_EQ(testing::check_sixty_four_bit_kernel(*plan, kernel.function), "") << isa_name(isa) << "\n"
                                                                                << to_string(*plan);
  }
}

TEST(Xbyak, NamesKernelsBySignature) {
  Spec spec;
  spec.image_shape = {1, 56, 56, 64};
  spec.ksizes = {1, 3, 3, 1};
  const Plan plan = *make_plan(*make_geometry(spec));
  Expected<MachineCode> code = emit_x86(lower(plan, x86_target(Isa::kAvx512)), Isa::kAvx512);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(code->name, "eip_avx512_e4_56x56x64_k3x3_s1x1_r1x1_same");
  EXPECT_FALSE(code->bytes.empty());
}

TEST(Xbyak, CodeSizeCapIsAnError) {
  Spec spec;
  spec.image_shape = {1, 56, 56, 64};
  spec.ksizes = {1, 3, 3, 1};
  const Plan plan = *make_plan(*make_geometry(spec));
  Expected<MachineCode> code = emit_x86(lower(plan, x86_target(Isa::kAvx2)), Isa::kAvx2, 1024);
  ASSERT_FALSE(code.ok());
  EXPECT_EQ(code.status().code(), Code::kResourceExhausted);
}

// The estimate sizes a buffer that grows: a short or a long estimate, and the exact bound, make
// the same bytes; code over the limit is refused on either path.
TEST(Xbyak, EstimateSizedBufferMakesTheBoundsCode) {
  Spec spec;
  spec.image_shape = {1, 56, 56, 64};
  spec.ksizes = {1, 3, 3, 1};
  const Plan plan = *make_plan(*make_geometry(spec));
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    const Lowering lowering = lower(plan, x86_target(isa));
    Expected<MachineCode> bound = emit_x86(lowering, isa);  // no estimate: the exact bound
    ASSERT_TRUE(bound.ok()) << bound.status().message();
    for (size_t hint : {size_t{1}, size_t{100}, static_cast<size_t>(estimate_code(plan).bytes), size_t{1} << 20}) {
      Expected<MachineCode> code = emit_x86(lowering, isa, size_t{16} << 20, hint);
      ASSERT_TRUE(code.ok()) << code.status().message();
      EXPECT_EQ(code->bytes, bound->bytes) << isa_name(isa) << " hint " << hint;
    }
    const size_t limit = bound->bytes.size() - 1;
    Expected<MachineCode> over = emit_x86(lowering, isa, limit, 100);  // a short estimate, far below the limit
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.status().code(), Code::kResourceExhausted) << over.status().message();
    over = emit_x86(lowering, isa, limit, limit);  // an estimate near the limit: the bound refuses it
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.status().code(), Code::kResourceExhausted) << over.status().message();
  }
}

}  // namespace
}  // namespace pj
