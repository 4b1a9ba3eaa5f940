// The moves that are most of a kernel's code, encoded here rather than through Xbyak's general
// encoder: a kernel of 50 KB is some 3,000 of them, and Xbyak spent about 450 instructions on
// each (75% of the whole create of such a kernel; callgrind). Each form is the bytes Xbyak
// itself emits for it (tests/codegen/moves_test.cc compares them all).
//   load:   vmovdqu xmm/ymm, [base + disp] (VEX)     vmovdqu64 zmm, [base + disp] (EVEX)
//   store:  vmovdqu [base + disp], xmm/ymm (VEX)     vmovdqu64 [base + disp], zmm (EVEX)
//   stream: vmovntdq [base + disp], ymm (VEX)        vmovntdq [base + disp], zmm (EVEX)
//   and mov of 1, 2, 4 or 8 bytes between a general register and [base + disp].
// Registers 0-15 only (vector, general and base), no mask, no index.
#pragma once

#include <cstdint>

namespace pj {

enum class VectorMove { kLoad, kStore, kStream };

// The longest encoding: EVEX (4) + opcode + ModRM + SIB + disp32 (a scalar move: 66 + REX + opcode + ...).
inline constexpr int kMaxMoveBytes = 11;

// ModRM, SIB and displacement of [base + disp] with `reg` in ModRM.reg: no displacement where
// it is 0 (but for rbp and r13, which need one); else 8 bits, scaled by `scale` (EVEX's
// disp8*N: 64 for a zmm move, else 1) where it divides; else 32. Returns the length.
inline int encode_address(int reg, int base, int32_t disp, int32_t scale, uint8_t* out) {
  int n = 0;
  const int rm = base & 7;
  int mod = 2;
  if (disp == 0 && rm != 5) {
    mod = 0;
  } else if (disp % scale == 0 && disp / scale >= -128 && disp / scale <= 127) {
    mod = 1;
  }
  out[n++] = static_cast<uint8_t>((mod << 6) | ((reg & 7) << 3) | rm);
  if (rm == 4) out[n++] = 0x24;  // rsp and r12: a SIB byte with no index
  if (mod == 1) {
    out[n++] = static_cast<uint8_t>(disp / scale);
  } else if (mod == 2) {
    const auto u = static_cast<uint32_t>(disp);
    for (int i = 0; i < 4; ++i) out[n++] = static_cast<uint8_t>(u >> (8 * i));
  }
  return n;
}

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
  return n + encode_address(reg, base, disp, evex ? 64 : 1, out + n);
}

// A general register's move: `width` bytes (1, 2, 4 or 8) of register `reg` loaded from or
// stored to [base + disp]; returns the length.
inline int encode_scalar_move(bool load, int width, int reg, int base, int32_t disp, uint8_t* out) {
  int n = 0;
  if (width == 2) out[n++] = 0x66;  // operand size
  // REX: W for 8 bytes, R and B for registers 8-15, and bare for spl..dil (byte registers 4-7).
  const int rex = (width == 8) << 3 | (reg >> 3 & 1) << 2 | (base >> 3 & 1);
  if (rex != 0 || (width == 1 && reg >= 4)) out[n++] = static_cast<uint8_t>(0x40 | rex);
  out[n++] = static_cast<uint8_t>((width == 1 ? 0x88 : 0x89) | (load ? 2 : 0));
  return n + encode_address(reg, base, disp, 1, out + n);
}

}  // namespace pj
