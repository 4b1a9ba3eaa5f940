// Fold plan -> LLVM IR: `void fold_llvm_<signature>(const KernelArgs*)` (codegen/plan/kernel_abi.h:
// image rows of the flattened (image, row) range), the kernel walk_fold describes
// (codegen/lower/fold_walk.h), for the JIT session and ahead-of-time objects alike. It encodes
// what the walk decides, as the Xbyak fold emitter does; LLVM picks registers and instructions.
#pragma once

#include <memory>
#include <string>

#include "codegen/llvm/emitter.h"
#include "codegen/lower/fold_walk.h"
#include "codegen/plan/fold_plan.h"
#include "codegen/plan/status.h"

namespace pj {

// What the walk may use on `target`: its widest vector and twelve accumulators.
FoldTarget llvm_fold_target(const LlvmTarget& target);

// fold_llvm_<signature_name without its "fold_">, e.g. fold_llvm_f32_56x56x64_k3x3_s1x1_r1x1_same.
std::string llvm_fold_kernel_name(const FoldPlan& plan);

// Whether this emitter serves `plan` on `target`: what fold_walk_supports says, half only with
// F16C (else every add would call a library routine, which the kernels never do), the walk's
// operations within `max_operations` (LLVM's time) and its code within `max_code_bytes`
// (pj_set_kernel_code_limit, for the JIT). The reason otherwise.
Status llvm_fold_supports(const FoldPlan& plan, const LlvmTarget& target, int64_t max_operations,
                          int64_t max_code_bytes = INT64_MAX);

// The kernel as function `name` (external linkage) added to `module`; llvm_fold_supports must
// hold.
Status emit_llvm_fold_kernel(const FoldPlan& plan, const LlvmTarget& target, const std::string& name,
                             llvm::Module& module);

// The same in a module of its own, named llvm_fold_kernel_name(plan).
Expected<std::unique_ptr<llvm::Module>> emit_llvm_fold_ir(const FoldPlan& plan, const LlvmTarget& target,
                                                          llvm::LLVMContext& context);

}  // namespace pj
