#include "codegen/xbyak/isa.h"

#include <xbyak/xbyak_util.h>

namespace pj {

Isa host_isa() {
  static const Isa isa = [] {
    // Xbyak checks the OS enables the register state (XGETBV) before reporting AVX features.
    Xbyak::util::Cpu cpu;
    using C = Xbyak::util::Cpu;
    if (cpu.has(C::tAVX512F) && cpu.has(C::tAVX512BW) && cpu.has(C::tAVX512VL) && cpu.has(C::tAVX512_VBMI)) {
      return Isa::kAvx512;
    }
    if (cpu.has(C::tAVX2)) return Isa::kAvx2;
    return Isa::kNone;
  }();
  return isa;
}

}  // namespace pj
