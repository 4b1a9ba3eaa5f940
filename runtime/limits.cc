#include "runtime/limits.h"

#include <algorithm>
#include <atomic>

namespace pj {
namespace {

std::atomic<size_t> code_limit{size_t{16} << 20};

}  // namespace

size_t kernel_code_limit() { return code_limit.load(std::memory_order_relaxed); }

void set_kernel_code_limit(size_t bytes) { code_limit.store(bytes, std::memory_order_relaxed); }

size_t llvm_code_budget() { return std::min(kernel_code_limit(), size_t{256} << 10); }

}  // namespace pj
