// Plan -> x86-64 machine code (AVX-512 or AVX2) through Xbyak. The emitter only reads the plan:
// every decision (regions, unrolling, loops) was made by the planner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "codegen/plan/plan.h"
#include "codegen/plan/status.h"
#include "codegen/xbyak/isa.h"

namespace pj {

struct MachineCode {
  std::vector<uint8_t> bytes;  // position-independent: relative jumps and RIP-relative data only
  std::string name;            // e.g. eip_avx512_e4_56x56x64_k3x3_s1x1_r1x1_same
};

struct EmitOptions {
  size_t max_code_bytes = size_t{16} << 20;  // beyond it, emission fails (kResourceExhausted)
};

// Planner options matching what this emitter does on `isa` (vector width).
PlanOptions plan_options_for(Isa isa);

// Emits `void kernel(const KernelArgs*)` (codegen/plan/kernel_abi.h) for a non-generic plan.
Expected<MachineCode> emit_x86(const Plan& plan, Isa isa, const EmitOptions& options = {});

}  // namespace pj
