// Process-wide limits a user can set: the largest machine code one kernel may have.
#pragma once

#include <cstddef>
#include <cstdint>

#include "codegen/plan/plan.h"

namespace pj {

// Default 16 MiB. Kernels that would be larger are re-planned with run-time loops, and if that
// is still too large they run the plan interpreter: creating a kernel never fails for size.
size_t kernel_code_limit();
void set_kernel_code_limit(size_t bytes);

// The budget of llvm JIT kernels: kLlvmBudget (codegen/llvm/pipeline.h), or the code limit if lower.
CodeBudget llvm_code_budget();

}  // namespace pj
