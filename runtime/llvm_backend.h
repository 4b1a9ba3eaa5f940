// Backend llvm: plan -> the LLVM plugin (jit/llvm_plugin.h: LLVM IR, ORC LLJIT) -> a callable
// kernel. The plugin is loaded the first time the backend is used, not when libpatchjit is.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "codegen/plan/fold_plan.h"
#include "codegen/plan/geometry.h"
#include "codegen/plan/kernel_abi.h"
#include "codegen/plan/plan.h"
#include "codegen/plan/status.h"

namespace pj {

struct LlvmCompiled {
  std::shared_ptr<const void> owner;  // keeps the code in the JIT
  KernelFunction function = nullptr;
  std::span<const uint8_t> code;
  std::string description;           // the kernel and its target
  std::shared_ptr<const Plan> plan;  // printed after it, when asked (extract kernels)
};

// The kernel of `geometry` within the llvm budget (kResourceExhausted beyond it, and for plans
// too irregular to specialize); kUnimplemented when the backend cannot run here.
Expected<LlvmCompiled> compile_llvm(const Geometry& geometry, bool nontemporal, bool smallest_code);

// The fold kernel of `plan` (codegen/llvm/fold_emitter.h: kUnimplemented for what it does not
// serve, kResourceExhausted over its budget or the kernel code limit), or why the backend cannot
// run here.
Expected<LlvmCompiled> compile_llvm_fold(const FoldPlan& plan);

}  // namespace pj
