// What every kernel LLVM compiles goes through, in the JIT session and ahead of time alike, so
// that both make the same code: the target machine, the vectors its CPU gets, and the
// optimization pipeline.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codegen/llvm/emitter.h"
#include "codegen/plan/status.h"

namespace llvm {
class TargetMachine;
}  // namespace llvm

namespace pj {

// The widest vector the kernels use on a CPU with these (LLVM-named) features: 64 bytes with
// AVX-512 F and BW (byte permutes with VBMI), 32 with AVX, else 16 (SSE2 on every x86-64, NEON, ...).
LlvmTarget llvm_target_for(const std::function<bool(std::string_view)>& has_feature);

// Whether a list of that form enables `name`.
bool enables(const std::vector<std::string>& features, std::string_view name);

// LLVM's time grows with a kernel's code (about 100 us per vector move) and its loops (the O2
// pipeline takes about 2.4 ms per loop: 8.3 s for a kernel of 3,400). The kernels it builds,
// in the JIT and ahead of time, stay within this: ten times the suite's largest (24 KiB, 33 loops).
inline constexpr CodeBudget kLlvmBudget{int64_t{256} << 10, 256, "llvm budget"};
// Fold kernels' budget, in the loads, adds and stores fold_operations counts: about 40 us of
// LLVM's time each, measured (a 7x7 float32 fold of depth 64: 18,400 in 0.6-0.85 s; 3x3: 1,000
// in 30 ms), so that no fold kernel takes it more than about a second.
inline constexpr int64_t kLlvmFoldOperations = 20000;

// A target machine for `cpu` with `features` ("+avx2,-avx512f", or empty for the CPU's own) on
// this process's target: position-independent, small code model, O2 code generation. One
// factory for the JIT and ahead-of-time objects, so that their code is the same. Fails
// (kUnimplemented) when LLVM cannot target it.
Expected<std::unique_ptr<llvm::TargetMachine>> make_target_machine(const std::string& cpu, const std::string& features);

// LLVM's O2 module pipeline for `machine`.
void optimize_kernel_module(llvm::Module& module, llvm::TargetMachine& machine);

}  // namespace pj
