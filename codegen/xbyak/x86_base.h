// What both Xbyak generators (extract's emitter.cc, fold's fold_emitter.cc) share: 64-bit
// immediates through r15, and a growing code buffer on the plain heap.
#pragma once

#include <xbyak/xbyak.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <vector>

namespace pj {

inline bool fits_int32(int64_t v) {
  return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
}

// Frame slots (bytes from rsp) of the kernels' skeleton (codegen/lower/walk.h, fold_walk.h):
// row_end, t, r_lo, r_hi, the image's dst and src points, the output and input pointers.
constexpr int kEnd = 0, kT = 8, kRowLo = 16, kRowHi = 24, kDstImage = 32, kSrcImage = 40, kOutput = 48, kInput = 56,
              kFrame = 72;

// One loop level's registers: its dst and src pointers and its count.
struct Pointers {
  Xbyak::Reg64 dst, src, count;
};

class X86Base : public Xbyak::CodeGenerator {
 public:
  using Xbyak::CodeGenerator::CodeGenerator;

 protected:
  // The skeleton over the flattened (image, row) range [row_begin, row_end) of KernelArgs:
  // enter (callee-saved registers, the frame; to done_ when the range is empty), then at image_
  // each image's b, r_lo, r_hi and its dst and src points (src + src_origin); next_image loops
  // and ends at done_; leave returns.
  void enter() {
    for (const Xbyak::Reg64& r : {rbx, rbp, r12, r13, r14, r15}) push(r);
    sub(rsp, kFrame);
    mov(rax, ptr[rdi + 16]);
    mov(rcx, ptr[rdi + 24]);
    cmp(rax, rcx);
    jge(done_, T_NEAR);
    mov(ptr[rsp + kEnd], rcx);
    mov(ptr[rsp + kT], rax);
    mov(rax, ptr[rdi + 8]);
    mov(ptr[rsp + kOutput], rax);
    mov(rax, ptr[rdi]);
    mov(ptr[rsp + kInput], rax);
  }
  void begin_image(int64_t rows_per_image, int64_t dst_image_step, int64_t src_image_step, int64_t src_origin) {
    L(image_);
    mov(rax, ptr[rsp + kT]);  // b, r_lo = divmod(t, R)
    xor_(edx, edx);
    mov(rcx, rows_per_image);
    div(rcx);
    mov(ptr[rsp + kRowLo], rdx);
    mov(r10, ptr[rsp + kEnd]);  // r_hi = min(R, r_lo + row_end - t)
    sub(r10, ptr[rsp + kT]);
    add(r10, rdx);
    cmp(r10, rcx);
    cmovg(r10, rcx);
    mov(ptr[rsp + kRowHi], r10);
    mov(r10, rax);
    multiply(r10, dst_image_step);
    add(r10, ptr[rsp + kOutput]);
    mov(ptr[rsp + kDstImage], r10);
    multiply(rax, src_image_step);
    add(rax, ptr[rsp + kInput]);
    add_imm(rax, src_origin);
    mov(ptr[rsp + kSrcImage], rax);
  }
  void next_image() {
    mov(rax, ptr[rsp + kRowHi]);  // t += r_hi - r_lo
    sub(rax, ptr[rsp + kRowLo]);
    add(rax, ptr[rsp + kT]);
    mov(ptr[rsp + kT], rax);
    cmp(rax, ptr[rsp + kEnd]);
    jl(image_, T_NEAR);
    L(done_);
  }
  void leave() {
    vzeroupper();
    add(rsp, kFrame);
    for (const Xbyak::Reg64& r : {r15, r14, r13, r12, rbp, rbx}) pop(r);
    ret();
  }

  // A memory operand at base + off; offsets beyond 32 bits go through r15 (emitted here, so
  // call it right before the instruction that uses it).
  Xbyak::Address at_off(const Xbyak::Reg64& base, int64_t off) {
    if (fits_int32(off)) return ptr[base + static_cast<int32_t>(off)];
    mov(r15, off);
    return ptr[base + r15];
  }
  void lea_off(const Xbyak::Reg64& d, const Xbyak::Reg64& base, int64_t off) { lea(d, at_off(base, off)); }

  // A counted loop: `to`'s pointers start at `from`'s plus offsets, its count register at
  // `count` (an immediate or a register); close_loop steps the pointers and counts down.
  template <typename Count>
  void open_loop(const Pointers& to, const Pointers& from, int64_t dst, int64_t src, const Count& count) {
    lea_off(to.dst, from.dst, dst);
    lea_off(to.src, from.src, src);
    mov(to.count, count);
    loops_.emplace_back();
    L(loops_.back());
  }
  void close_loop(const Pointers& p, int64_t dst_step, int64_t src_step) {
    add_imm(p.dst, dst_step);
    add_imm(p.src, src_step);
    dec(p.count);
    jnz(loops_.back(), T_NEAR);
    loops_.pop_back();
  }

  // r += v and r *= v for any 64-bit v (r15 holds those past 32 bits).
  void add_imm(const Xbyak::Reg64& r, int64_t v) {
    if (v == 0) return;
    if (fits_int32(v)) {
      add(r, static_cast<int32_t>(v));
    } else {
      mov(r15, v);
      add(r, r15);
    }
  }
  void multiply(const Xbyak::Reg64& r, int64_t v) {
    if (fits_int32(v)) {
      imul(r, r, static_cast<int32_t>(v));
    } else {
      mov(r15, v);
      imul(r, r15);
    }
  }

  Xbyak::Label image_, done_;
  std::vector<Xbyak::Label> loops_;  // the open loops' tops, innermost last
};

// Plain heap memory for a growing buffer: the code is copied into executable pages afterwards
// (jit/executable_memory.h), so Xbyak neither maps nor protects anything.
class HeapAllocator final : public Xbyak::Allocator {
 public:
  uint8_t* alloc(size_t size) override { return static_cast<uint8_t*>(std::malloc(size)); }
  void free(uint8_t* p) override { std::free(p); }
  bool useProtect() const override { return false; }
};

}  // namespace pj
