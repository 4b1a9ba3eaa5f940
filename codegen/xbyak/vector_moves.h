// The vector moves that are most of a kernel's code, encoded here rather than through Xbyak's
// general encoder: a kernel of 50 KB is some 3,000 of them, and Xbyak spent about 450
// instructions on each (75% of the whole create of such a kernel; callgrind). Each form is the
// bytes Xbyak itself emits for it (tests/codegen/vector_moves_test.cc compares them all).
//   load:   vmovdqu xmm/ymm, [base + disp] (VEX)     vmovdqu64 zmm, [base + disp] (EVEX)
//   store:  vmovdqu [base + disp], xmm/ymm (VEX)     vmovdqu64 [base + disp], zmm (EVEX)
//   stream: vmovntdq [base + disp], ymm (VEX)        vmovntdq [base + disp], zmm (EVEX)
// Registers 0-15 only (vector and base), no mask, no index.
#pragma once

#include <cstdint>

namespace pj {

enum class VectorMove { kLoad, kStore, kStream };

// The longest encoding: EVEX (4) + opcode + ModRM + SIB + disp32.
inline constexpr int kMaxVectorMoveBytes = 11;

// Writes the move of a `width`-byte register (16, 32 or 64) `reg` at [base + disp] into `out`;
// returns its length.
inline int encode_vector_move(VectorMove move, int width, int reg, int base, int32_t disp, uint8_t* out) {
  const bool evex = width == 64;
  const bool stream = move == VectorMove::kStream;
  int n = 0;
  const int r = (reg >> 3) & 1, b = (base >> 3) & 1;
  const int pp = stream ? 1 : 2;  // 66 (vmovntdq) or F3 (vmovdqu)
  if (evex) {
    out[n++] = 0x62;
    // R X B R' 0 0 m m, the register bits inverted; map 0F.
    out[n++] = static_cast<uint8_t>(((!r) << 7) | (1 << 6) | ((!b) << 5) | (1 << 4) | 1);
    // W vvvv 1 pp: W1 for vmovdqu64, W0 for vmovntdq; no vvvv.
    out[n++] = static_cast<uint8_t>(((stream ? 0 : 1) << 7) | (0xf << 3) | (1 << 2) | pp);
    // z L'L b V' aaa: 512 bits, no V', no mask.
    out[n++] = static_cast<uint8_t>((2 << 5) | (1 << 3));
  } else if (!b) {
    out[n++] = 0xc5;  // R vvvv L pp
    out[n++] = static_cast<uint8_t>(((!r) << 7) | (0xf << 3) | ((width == 32) << 2) | pp);
  } else {
    out[n++] = 0xc4;  // R X B m-mmmm, then W vvvv L pp
    out[n++] = static_cast<uint8_t>(((!r) << 7) | (1 << 6) | ((!b) << 5) | 1);
    out[n++] = static_cast<uint8_t>((0xf << 3) | ((width == 32) << 2) | pp);
  }
  out[n++] = stream ? 0xe7 : move == VectorMove::kLoad ? 0x6f : 0x7f;
  // ModRM: no displacement where it is 0 (but for rbp and r13, which need one); else 8 bits,
  // scaled by the vector's size under EVEX (disp8*N); else 32.
  const int rm = base & 7;
  int mod = 2;
  int32_t disp8 = 0;
  if (disp == 0 && rm != 5) {
    mod = 0;
  } else if (!evex && disp >= -128 && disp <= 127) {
    mod = 1, disp8 = disp;
  } else if (evex && disp % 64 == 0 && disp / 64 >= -128 && disp / 64 <= 127) {
    mod = 1, disp8 = disp / 64;
  }
  out[n++] = static_cast<uint8_t>((mod << 6) | ((reg & 7) << 3) | rm);
  if (rm == 4) out[n++] = 0x24;  // rsp and r12: a SIB byte with no index
  if (mod == 1) {
    out[n++] = static_cast<uint8_t>(disp8);
  } else if (mod == 2) {
    const auto u = static_cast<uint32_t>(disp);
    for (int i = 0; i < 4; ++i) out[n++] = static_cast<uint8_t>(u >> (8 * i));
  }
  return n;
}

}  // namespace pj
