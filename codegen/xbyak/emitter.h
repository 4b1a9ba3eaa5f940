// Lowered plan -> x86-64 machine code (AVX-512 or AVX2) through Xbyak. The emitter only encodes
// what walk() asks for: the planner and the lowering made every decision (regions, unrolling,
// loops, chunks, groups, which constants stay in registers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "codegen/lower/lowering.h"
#include "codegen/plan/plan.h"
#include "codegen/plan/status.h"
#include "codegen/xbyak/isa.h"

namespace pj {

struct MachineCode {
  std::vector<uint8_t> bytes;  // position-independent: relative jumps and RIP-relative data only
  std::string name;            // e.g. eip_avx512_e4_56x56x64_k3x3_s1x1_r1x1_same
};

// What the emitter offers the walk on `isa` (kAvx2 or kAvx512).
Target x86_target(Isa isa);

// Planner options matching what this emitter does on `isa` (vector width, pixel groups).
PlanOptions plan_options_for(Isa isa);

// eip_<isa>_<signature>[_nt]
std::string x86_kernel_name(const Plan& plan, Isa isa);

// An upper bound of the machine code emit_x86 makes for `lowering`, counted by walking it.
size_t x86_code_bound(const Lowering& lowering);

// Emits `void kernel(const KernelArgs*)` (codegen/plan/kernel_abi.h) for a lowered non-generic
// plan. More than `max_code_bytes` is kResourceExhausted. With `size_hint` (the planner's
// estimate_code) at most half the limit, the plan is walked once, into a buffer of that size
// that grows when the estimate falls short; otherwise x86_code_bound is counted first, so that a
// kernel near or over the limit is refused before anything is emitted, and sizes the buffer.
Expected<MachineCode> emit_x86(const Lowering& lowering, Isa isa, size_t max_code_bytes = size_t{16} << 20,
                               size_t size_hint = 0);

}  // namespace pj
