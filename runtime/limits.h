// Process-wide limits a user can set: the largest machine code one kernel may have.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pj {

// Default 16 MiB. Kernels that would be larger are re-planned with run-time loops, and if that
// is still too large they run the plan interpreter: creating a kernel never fails for size.
size_t kernel_code_limit();
void set_kernel_code_limit(size_t bytes);

// LLVM compiles about 100 us per move: kernels it builds stay under this many (estimated) bytes
// of code, ten times the largest of the benchmark suite, or the code limit if lower.
size_t llvm_code_budget();
// LLVM's O2 pipeline takes about 2.4 ms per loop (measured on a kernel of 3,400 loops: 8.3 s);
// the suite's kernels have under 40.
inline constexpr int64_t kLlvmLoopBudget = 256;

}  // namespace pj
