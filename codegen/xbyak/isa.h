// The x86-64 instruction sets the Xbyak emitter targets. Which of them this CPU runs is read in
// one place, jit/cpu.h.
#pragma once

#include <string_view>

namespace pj {

// Ordered: a cap at kAvx2 allows kAvx2 and kNone. kAvx512 means AVX-512 F, BW, VL and VBMI
// (byte masks and byte permutes).
enum class Isa : int { kNone = 0, kAvx2 = 1, kAvx512 = 2 };

inline std::string_view isa_name(Isa isa) {
  return isa == Isa::kAvx512 ? "avx512" : isa == Isa::kAvx2 ? "avx2" : "none";
}

}  // namespace pj
