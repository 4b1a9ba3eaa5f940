// Fold plan -> x86-64 machine code (AVX-512 or AVX2) through Xbyak: the FoldSink of
// codegen/lower/fold_walk.h. The emitter encodes what walk_fold asks for and decides nothing.
#pragma once

#include <cstddef>

#include "codegen/lower/fold_walk.h"
#include "codegen/plan/fold_plan.h"
#include "codegen/plan/status.h"
#include "codegen/xbyak/emitter.h"
#include "codegen/xbyak/isa.h"

namespace pj {

// What the fold emitter offers walk_fold on `isa` (kAvx2 or kAvx512).
FoldTarget x86_fold_target(Isa isa);

// fold_<isa>_<signature>
std::string x86_fold_kernel_name(const FoldPlan& plan, Isa isa);

// Emits `void kernel(const KernelArgs*)` (codegen/plan/kernel_abi.h: image rows) for `plan`.
// Unimplemented where fold_walk_supports says so or an offset passes 32 bits; more than
// `max_code_bytes` is kResourceExhausted, judged before emitting.
Expected<MachineCode> emit_x86_fold(const FoldPlan& plan, Isa isa, size_t max_code_bytes = size_t{16} << 20);

}  // namespace pj
