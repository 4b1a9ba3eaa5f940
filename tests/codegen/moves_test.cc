// codegen/xbyak/moves.h against Xbyak's own encoder, byte for byte: every move, width,
// register 0-15 and base register, displacements at every encoding boundary (none, 8 bits, 8
// bits scaled by 64 under EVEX, 32 bits) and random ones.
#include "codegen/xbyak/moves.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>
#include <xbyak/xbyak.h>

namespace pj {
namespace {

std::vector<uint8_t> xbyak_bytes(VectorMove move, int width, int reg, int base, int32_t disp) {
  Xbyak::CodeGenerator gen(64, Xbyak::AutoGrow);
  const Xbyak::Address at = gen.ptr[Xbyak::Reg64(base) + disp];
  if (width == 64) {
    const Xbyak::Zmm v(reg);
    if (move == VectorMove::kLoad) gen.vmovdqu64(v, at);
    if (move == VectorMove::kStore) gen.vmovdqu64(at, v);
    if (move == VectorMove::kStream) gen.vmovntdq(at, v);
  } else if (width == 32) {
    const Xbyak::Ymm v(reg);
    if (move == VectorMove::kLoad) gen.vmovdqu(v, at);
    if (move == VectorMove::kStore) gen.vmovdqu(at, v);
    if (move == VectorMove::kStream) gen.vmovntdq(at, v);
  } else {
    const Xbyak::Xmm v(reg);
    if (move == VectorMove::kLoad) gen.vmovdqu(v, at);
    if (move == VectorMove::kStore) gen.vmovdqu(at, v);
    if (move == VectorMove::kStream) gen.vmovntdq(at, v);
  }
  return {gen.getCode(), gen.getCode() + gen.getSize()};
}

std::vector<int32_t> displacements() {
  std::vector<int32_t> disps = {0,   1,    -1,   63,   64,   -64,  127,    128,        -128,      -129,
                                192, 8128, 8192, -8192, -8256, 1000, 0x7fff, 0x7fffffff, INT32_MIN, -8128};
  std::mt19937 rng(7);
  for (int i = 0; i < 40; ++i) disps.push_back(static_cast<int32_t>(rng()));
  return disps;
}

TEST(Moves, VectorMovesEncodeAsXbyakDoes) {
  const std::vector<int32_t> disps = displacements();
  int checked = 0;
  for (VectorMove move : {VectorMove::kLoad, VectorMove::kStore, VectorMove::kStream}) {
    for (int width : {16, 32, 64}) {
      if (move == VectorMove::kStream && width == 16) continue;  // the emitters stream ymm and zmm only
      for (int reg = 0; reg < 16; ++reg) {
        for (int base = 0; base < 16; ++base) {
          for (int32_t disp : disps) {
            uint8_t out[kMaxMoveBytes];
            const int n = encode_vector_move(move, width, reg, base, disp, out);
            const std::vector<uint8_t> want = xbyak_bytes(move, width, reg, base, disp);
            ASSERT_EQ(std::vector<uint8_t>(out, out + n), want)
                << "move " << static_cast<int>(move) << ", width " << width << ", register " << reg << ", base "
                << base << ", displacement " << disp;
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_EQ(checked, 8 * 16 * 16 * static_cast<int>(disps.size()));
}

TEST(Moves, ScalarMovesEncodeAsXbyakDoes) {
  const std::vector<int32_t> disps = displacements();
  int checked = 0;
  for (bool load : {true, false}) {
    for (int width : {1, 2, 4, 8}) {
      for (int reg = 0; reg < 16; ++reg) {
        for (int base = 0; base < 16; ++base) {
          for (int32_t disp : disps) {
            uint8_t out[kMaxMoveBytes];
            const int n = encode_scalar_move(load, width, reg, base, disp, out);
            Xbyak::CodeGenerator gen(64, Xbyak::AutoGrow);
            const Xbyak::Address at = gen.ptr[Xbyak::Reg64(base) + disp];
            const Xbyak::Reg r = width == 8   ? Xbyak::Reg(Xbyak::Reg64(reg))
                                 : width == 4 ? Xbyak::Reg(Xbyak::Reg32(reg))
                                 : width == 2 ? Xbyak::Reg(Xbyak::Reg16(reg))
                                              : Xbyak::Reg(Xbyak::Reg8(reg, reg >= 4));  // spl..dil, not ah..bh
            if (load)
              gen.mov(r, at);
            else
              gen.mov(at, r);
            ASSERT_EQ(std::vector<uint8_t>(out, out + n), std::vector<uint8_t>(gen.getCode(), gen.getCode() + gen.getSize()))
                << (load ? "load" : "store") << ", width " << width << ", register " << reg << ", base " << base
                << ", displacement " << disp;
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_EQ(checked, 8 * 16 * 16 * static_cast<int>(disps.size()));
}

}  // namespace
}  // namespace pj
