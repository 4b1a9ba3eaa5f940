// Fold's xbyak kernels (codegen/xbyak/fold_emitter.h) against fold's golden loops at each ISA
// this CPU runs (tests/support/fold_kernels.h), and the walk's refusals.
#include <gtest/gtest.h>

#include "codegen/lower/fold_walk.h"
#include "codegen/plan/fold_plan.h"
#include "codegen/xbyak/fold_emitter.h"
#include "jit/cpu.h"
#include "jit/executable_memory.h"
#include "tests/support/fold_kernels.h"
#include "tests/support/random_spec.h"

namespace pj {
namespace {

using testing::fold_spec;

void check_isa(Isa isa) {
  if (host_isa() < isa) GTEST_SKIP() << "this CPU does not run " << isa_name(isa);
  testing::FoldEmitter emitter;
  emitter.target = x86_fold_target(isa);
  emitter.plan_isa = isa;
  emitter.supports = [](const FoldPlan& plan) { return fold_walk_supports(plan); };
  emitter.compile = [&](const FoldPlan& plan) -> Expected<testing::CompiledFold> {
    Expected<MachineCode> code = emit_x86_fold(plan, isa);
    if (!code.ok()) return code.status();
    Expected<std::shared_ptr<const ExecutableMemory>> memory = map_kernel(code->bytes, code->name);
    if (!memory.ok()) return memory.status();
    const KernelFunction function = (*memory)->function();
    return testing::CompiledFold{std::move(memory).value(), function};
  };
  testing::check_fold_emitter(emitter);
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
