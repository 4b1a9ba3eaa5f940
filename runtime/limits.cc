#include "runtime/limits.h"

#include <algorithm>
#include <atomic>

#include "codegen/llvm/pipeline.h"

namespace pj {
namespace {

std::atomic<size_t> code_limit{size_t{16} << 20};

}  // namespace

size_t kernel_code_limit() { return code_limit.load(std::memory_order_relaxed); }

void set_kernel_code_limit(size_t bytes) { code_limit.store(bytes, std::memory_order_relaxed); }

CodeBudget llvm_code_budget() {
  CodeBudget budget = kLlvmBudget;
  budget.bytes = static_cast<int64_t>(std::min<uint64_t>(kernel_code_limit(), budget.bytes));
  return budget;
}

}  // namespace pj
