// The x86-64 instruction sets the Xbyak emitter targets, and what this CPU runs.
#pragma once

#include <string_view>

namespace pj {

// Ordered: a cap at kAvx2 allows kAvx2 and kNone.
enum class Isa : int { kNone = 0, kAvx2 = 1, kAvx512 = 2 };

inline std::string_view isa_name(Isa isa) {
  return isa == Isa::kAvx512 ? "avx512" : isa == Isa::kAvx2 ? "avx2" : "none";
}

// The best ISA this CPU and OS run (read once): kAvx512 needs AVX-512 F, BW, VL and VBMI
// (byte masks and byte permutes); kAvx2 needs AVX2; else kNone. Defined in the Xbyak build only.
Isa host_isa();

}  // namespace pj
