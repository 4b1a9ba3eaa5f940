// The differential sweep of one fold emitter (Xbyak at an ISA, or LLVM): random folds of every
// dtype and format, and forced ones for each path of the walk (unrolled pixels, long pixels'
// block loops, short pixels read wide or exactly, half's rounding, the mean, prefetches at
// random distances, one channel); patches and image against PROT_NONE guard pages, the image
// poisoned, rows split at random; what the emitter does not serve refused with its reason.
// GoogleTest assertions: call it from a test body.
#pragma once

#include <functional>
#include <memory>

#include "codegen/lower/fold_walk.h"
#include "codegen/plan/fold_plan.h"
#include "codegen/plan/kernel_abi.h"
#include "codegen/plan/spec.h"
#include "codegen/plan/status.h"

namespace pj::testing {

struct CompiledFold {
  std::shared_ptr<const void> owner;  // keeps the code
  KernelFunction function = nullptr;
};

struct FoldEmitter {
  FoldTarget target;  // what the walk is asked for (its paths are counted)
  Isa plan_isa = Isa::kNone;
  std::function<Status(const FoldPlan&)> supports;  // its rule: refusals must give this reason
  std::function<Expected<CompiledFold>(const FoldPlan&)> compile;
};

void check_fold_emitter(const FoldEmitter& emitter);

// A fold of a square kernel (random_spec.h's square_spec as a fold).
Spec fold_spec(DType dtype, Vec4 shape, int64_t k, int64_t stride, int64_t rate, Padding padding);

}  // namespace pj::testing
