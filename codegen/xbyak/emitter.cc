// The Xbyak emitter. One generator serves AVX-512 and AVX2: the vector width is a parameter.
//
// Kernel layout (System V: rdi = const KernelArgs*):
//   prologue: t = row_begin; b, r = divmod(t, out_rows); output row and anchor row pointers
//   class k:  while r < end_k: each region of the class (a column loop around the fully
//             unrolled pixel program), then advance to the next output row
//   after the last class: next image (r = 0), back to class 0
#include "codegen/xbyak/emitter.h"

#include <xbyak/xbyak.h>

#include <algorithm>
#include <array>
#include <limits>
#include <map>

namespace pj {
namespace {

using Xbyak::Address;
using Xbyak::Label;
using Xbyak::Reg64;

bool fits_int32(int64_t v) {
  return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
}

class Generator : public Xbyak::CodeGenerator {
 public:
  Generator(const Plan& plan, Isa isa, size_t size, uint8_t* buffer)
      : Xbyak::CodeGenerator(size, buffer), plan_(plan), isa_(isa), vector_(isa == Isa::kAvx512 ? 64 : 32) {}

  void generate();

 private:
  // Registers. Row state: t (flat output row), r (row in image), output row, anchor row; the
  // last row is kept at [rsp]. Region: pixel output/anchor pointers and the column counter.
  // Block row loops and long-run/gather loops have their own counter and pointers.
  const Reg64 t_ = r8, r_ = r10, out_row_ = r11, anchor_row_ = rsi;
  const Reg64 dst_ = rax, src_ = rdx, cols_ = rcx;
  const Reg64 rows_ = rbx, block_dst_ = r12, block_src_ = r13;
  const Reg64 chunks_ = rbp, chunk_dst_ = r14, chunk_src_ = rdi;
  const Reg64 tmp_ = r9;   // data of moves under 16 bytes (AVX2)
  const Reg64 big_ = r15;  // 64-bit immediates and displacements

  // A memory operand at base + off; offsets beyond 32 bits go through big_ (emitted here, so
  // call it right before the instruction that uses it).
  Address at(const Reg64& base, int64_t off) {
    if (fits_int32(off)) return ptr[base + static_cast<int32_t>(off)];
    mov(big_, off);
    return ptr[base + big_];
  }
  void add_imm(const Reg64& r, int64_t v) {
    if (v == 0) return;
    if (fits_int32(v)) {
      add(r, static_cast<int32_t>(v));
    } else {
      mov(big_, v);
      add(r, big_);
    }
  }
  void lea_off(const Reg64& d, const Reg64& base, int64_t off) { lea(d, at(base, off)); }

  // Vector register for data, rotating so independent moves use different registers.
  int next_vector() { return rotation_++ % 8; }

  // One move of w bytes (64, 32, 16, 8, 4, 2, 1).
  void move(int w, const Reg64& db, int64_t doff, const Reg64& sb, int64_t soff) {
    const int v = next_vector();
    if (w == 64) {
      vmovdqu64(Xbyak::Zmm(v), at(sb, soff));
      vmovdqu64(at(db, doff), Xbyak::Zmm(v));
    } else if (w == 32) {
      vmovdqu(Xbyak::Ymm(v), at(sb, soff));
      vmovdqu(at(db, doff), Xbyak::Ymm(v));
    } else if (w == 16) {
      vmovdqu(Xbyak::Xmm(v), at(sb, soff));
      vmovdqu(at(db, doff), Xbyak::Xmm(v));
    } else {
      const Xbyak::Reg r = w == 8 ? Xbyak::Reg(tmp_) : w == 4 ? Xbyak::Reg(tmp_.cvt32())
                           : w == 2 ? Xbyak::Reg(tmp_.cvt16()) : Xbyak::Reg(tmp_.cvt8());
      mov(r, at(sb, soff));
      mov(at(db, doff), r);
    }
  }

  void store_zero(int w, const Reg64& db, int64_t doff) {
    if (w == 64) {
      vmovdqu64(at(db, doff), zero_zmm());
    } else if (w == 32) {
      vmovdqu(at(db, doff), Xbyak::Ymm(zero_index()));
    } else if (w == 16) {
      vmovdqu(at(db, doff), Xbyak::Xmm(zero_index()));
    } else if (w == 8) {
      mov(qword[at(db, doff).getRegExp()], 0);
    } else if (w == 4) {
      mov(dword[at(db, doff).getRegExp()], 0);
    } else if (w == 2) {
      mov(word[at(db, doff).getRegExp()], 0);
    } else {
      mov(byte[at(db, doff).getRegExp()], 0);
    }
  }

  // A register of zeros, below 16 so that VEX (xmm/ymm) stores can name it too.
  static constexpr int zero_index() { return 15; }
  static Xbyak::Zmm zero_zmm() { return Xbyak::Zmm(zero_index()); }

  // The opmask holding the low n bytes, preloaded (k1-k6) or loaded now into k7.
  Xbyak::Opmask mask(int64_t n) {
    auto it = preloaded_masks_.find(n);
    if (it != preloaded_masks_.end()) return Xbyak::Opmask(it->second);
    mov(big_, (uint64_t{1} << n) - 1);
    kmovq(k7, big_);
    return k7;
  }

  // n bytes, n below the vector width, in the fewest moves.
  void copy_short(const Reg64& db, int64_t doff, const Reg64& sb, int64_t soff, int64_t n) {
    if (isa_ == Isa::kAvx512 && n != 32 && n != 16) {
      Xbyak::Opmask k = mask(n);
      const int v = next_vector();
      vmovdqu8(Xbyak::Zmm(v) | k | T_z, at(sb, soff));
      vmovdqu8(at(db, doff) | k, Xbyak::Zmm(v));
      return;
    }
    // Widest power of two w <= n, then one overlapping move for the rest (n < 2w).
    int w = 32;
    while (w > n) w /= 2;
    move(w, db, doff, sb, soff);
    if (n > w) move(w, db, doff + n - w, sb, soff + n - w);
  }

  void zero_short(const Reg64& db, int64_t doff, int64_t n) {
    if (isa_ == Isa::kAvx512 && n != 32 && n != 16) {
      vmovdqu8(at(db, doff) | mask(n), zero_zmm());
      return;
    }
    int w = 32;
    while (w > n) w /= 2;
    store_zero(w, db, doff);
    if (n > w) store_zero(w, db, doff + n - w);
  }

  // n >= vector bytes: full vectors, the remainder as one vector overlapping the previous one
  // (same bytes rewritten with the same values).
  void copy_vectors(const Reg64& db, int64_t doff, const Reg64& sb, int64_t soff, int64_t n) {
    int64_t i = 0;
    for (; i + vector_ <= n; i += vector_) move(vector_, db, doff + i, sb, soff + i);
    if (i < n) move(vector_, db, doff + n - vector_, sb, soff + n - vector_);
  }
  void zero_vectors(const Reg64& db, int64_t doff, int64_t n) {
    int64_t i = 0;
    for (; i + vector_ <= n; i += vector_) store_zero(vector_, db, doff + i);
    if (i < n) store_zero(vector_, db, doff + n - vector_);
  }

  // A contiguous run; runs longer than the planner's limit loop over blocks of that size.
  void copy_run(const Reg64& db, int64_t doff, const Reg64& sb, int64_t soff, int64_t n) {
    if (n < vector_) return copy_short(db, doff, sb, soff, n);
    const int64_t block = plan_.options.max_unrolled_run_bytes / vector_ * vector_;
    if (n <= plan_.options.max_unrolled_run_bytes || block < vector_) return copy_vectors(db, doff, sb, soff, n);
    lea_off(chunk_dst_, db, doff);
    lea_off(chunk_src_, sb, soff);
    mov(chunks_, n / block);
    Label loop;
    L(loop);
    copy_vectors(chunk_dst_, 0, chunk_src_, 0, block);
    add_imm(chunk_dst_, block);
    add_imm(chunk_src_, block);
    dec(chunks_);
    jnz(loop, T_NEAR);
    // The rest ends at the run's end; a partial vector reaches back into this run.
    const int64_t rest = n % block;
    if (rest > 0) copy_vectors(chunk_dst_, rest - std::max<int64_t>(rest, vector_), chunk_src_,
                               rest - std::max<int64_t>(rest, vector_), std::max<int64_t>(rest, vector_));
  }

  void zero_run(const Reg64& db, int64_t doff, int64_t n) {
    if (n < vector_) return zero_short(db, doff, n);
    const int64_t block = plan_.options.max_unrolled_run_bytes / vector_ * vector_;
    if (n <= plan_.options.max_unrolled_run_bytes || block < vector_) return zero_vectors(db, doff, n);
    lea_off(chunk_dst_, db, doff);
    mov(chunks_, n / block);
    Label loop;
    L(loop);
    zero_vectors(chunk_dst_, 0, block);
    add_imm(chunk_dst_, block);
    dec(chunks_);
    jnz(loop, T_NEAR);
    const int64_t rest = n % block;
    if (rest > 0) zero_vectors(chunk_dst_, rest - std::max<int64_t>(rest, vector_), std::max<int64_t>(rest, vector_));
  }

  void emit_step(const Step& s, const Reg64& db, int64_t doff, const Reg64& sb, int64_t soff) {
    switch (s.kind) {
      case Step::Kind::kCopy:
        copy_run(db, doff + s.dst, sb, soff + s.src, s.bytes);
        break;
      case Step::Kind::kZero:
        zero_run(db, doff + s.dst, s.bytes);
        break;
      case Step::Kind::kGather:
        if (!s.loop) {
          for (int64_t j = 0; j < s.count; ++j) {
            copy_run(db, doff + s.dst + j * s.bytes, sb, soff + s.src + j * s.src_stride, s.bytes);
          }
        } else {
          lea_off(chunk_dst_, db, doff + s.dst);
          lea_off(chunk_src_, sb, soff + s.src);
          mov(chunks_, s.count);
          Label loop;
          L(loop);
          copy_run(chunk_dst_, 0, chunk_src_, 0, s.bytes);  // pieces never exceed the run limit here
          add_imm(chunk_dst_, s.bytes);
          add_imm(chunk_src_, s.src_stride);
          dec(chunks_);
          jnz(loop, T_NEAR);
        }
        break;
    }
  }

  void emit_program(const PixelProgram& program) {
    for (const Block& b : program.blocks) {
      if (!b.loop) {
        for (int64_t row = 0; row < b.rows; ++row) {
          for (const Step& s : b.steps) emit_step(s, dst_, row * b.dst_row_stride, src_, row * b.src_row_stride);
        }
        continue;
      }
      mov(block_dst_, dst_);
      mov(block_src_, src_);
      mov(rows_, b.rows);
      Label loop;
      L(loop);
      for (const Step& s : b.steps) emit_step(s, block_dst_, 0, block_src_, 0);
      add_imm(block_dst_, b.dst_row_stride);
      add_imm(block_src_, b.src_row_stride);
      dec(rows_);
      jnz(loop, T_NEAR);
    }
  }

  void emit_region(const Region& region) {
    lea_off(dst_, out_row_, region.begin * plan_.pixel_bytes);
    lea_off(src_, anchor_row_, region.begin * plan_.in_pixel_step);
    const PixelProgram& program = plan_.programs[region.program];
    if (region.iterations() == 1) return emit_program(program);
    mov(cols_, region.iterations());
    Label loop;
    L(loop);
    emit_program(program);
    add_imm(dst_, plan_.pixel_bytes * region.pixels_per_iteration);
    add_imm(src_, plan_.in_pixel_step * region.pixels_per_iteration);
    dec(cols_);
    jnz(loop, T_NEAR);
  }

  // AVX-512: the six most used short lengths (weighted by how often they run) get opmasks
  // k1-k6 for the whole kernel; the others load k7 where they are used.
  void preload_masks() {
    if (isa_ != Isa::kAvx512) return;
    std::map<int64_t, int64_t> uses;
    for (const RowClass& rc : plan_.row_classes) {
      for (const Region& region : rc.regions) {
        const int64_t runs = (rc.end - rc.begin) * region.iterations();
        for (const Block& b : plan_.programs[region.program].blocks) {
          for (const Step& s : b.steps) {
            if (s.bytes < vector_ && s.bytes != 16 && s.bytes != 32) uses[s.bytes] += runs * b.rows * s.count;
          }
        }
      }
    }
    std::vector<std::pair<int64_t, int64_t>> ranked;  // (uses, length)
    for (auto [n, count] : uses) ranked.push_back({count, n});
    std::sort(ranked.rbegin(), ranked.rend());
    for (size_t i = 0; i < ranked.size() && i < 6; ++i) {
      const int k = static_cast<int>(i) + 1;
      mov(big_, (uint64_t{1} << ranked[i].second) - 1);
      kmovq(Xbyak::Opmask(k), big_);
      preloaded_masks_[ranked[i].second] = k;
    }
  }

  const Plan& plan_;
  const Isa isa_;
  const int vector_;
  int rotation_ = 0;
  std::map<int64_t, int> preloaded_masks_;
};

void Generator::generate() {
  const Plan& p = plan_;
  const int64_t out_rows = p.geometry.rows.out;
  Label done;
  std::vector<Label> classes(p.row_classes.size() + 1);  // the extra one: next image

  for (const Reg64& r : {rbx, rbp, r12, r13, r14, r15}) push(r);
  sub(rsp, 8);
  mov(t_, ptr[rdi + 16]);
  mov(rax, ptr[rdi + 24]);
  mov(ptr[rsp], rax);
  cmp(t_, rax);
  jge(done, T_NEAR);
  mov(anchor_row_, ptr[rdi]);
  mov(out_row_, ptr[rdi + 8]);
  // b = t / out_rows, r = t % out_rows
  mov(rax, t_);
  xor_(edx, edx);
  mov(rcx, out_rows);
  div(rcx);
  mov(r_, rdx);
  // anchor row = input + b*in_image + anchor_origin + r*in_row_step
  mov(big_, p.in_image_bytes);
  imul(rax, big_);
  add(anchor_row_, rax);
  mov(rax, r_);
  mov(big_, p.in_row_step);
  imul(rax, big_);
  add(anchor_row_, rax);
  add_imm(anchor_row_, p.anchor_origin);
  // output row = output + t*out_row_bytes
  mov(rax, t_);
  mov(big_, p.out_row_bytes);
  imul(rax, big_);
  add(out_row_, rax);
  if (isa_ == Isa::kAvx512) {
    vpxord(zero_zmm(), zero_zmm(), zero_zmm());
  } else {
    vpxor(Xbyak::Ymm(zero_index()), Xbyak::Ymm(zero_index()), Xbyak::Ymm(zero_index()));
  }
  preload_masks();

  for (size_t k = 0; k < p.row_classes.size(); ++k) {
    const RowClass& rc = p.row_classes[k];
    L(classes[k]);
    mov(big_, rc.end);
    cmp(r_, big_);
    jge(classes[k + 1], T_NEAR);
    for (const Region& region : rc.regions) emit_region(region);
    add_imm(out_row_, p.out_row_bytes);
    add_imm(anchor_row_, p.in_row_step);
    inc(r_);
    inc(t_);
    cmp(t_, ptr[rsp]);
    jl(classes[k], T_NEAR);
    jmp(done, T_NEAR);
  }
  L(classes.back());  // r == out_rows: first row of the next image
  xor_(r_.cvt32(), r_.cvt32());
  add_imm(anchor_row_, p.in_image_bytes - out_rows * p.in_row_step);
  jmp(classes[0], T_NEAR);

  L(done);
  vzeroupper();
  add(rsp, 8);
  for (const Reg64& r : {r15, r14, r13, r12, rbp, rbx}) pop(r);
  ret();
}

}  // namespace

PlanOptions plan_options_for(Isa isa) {
  PlanOptions options;
  options.vector_bytes = isa == Isa::kAvx512 ? 64 : 32;
  return options;
}

Expected<MachineCode> emit_x86(const Plan& plan, Isa isa, const EmitOptions& options) {
  if (plan.generic) return Internal("emit_x86: generic plans have no regions to emit");
  if (isa == Isa::kNone) return Internal("emit_x86: no instruction set");
  MachineCode code;
  code.name = cat("eip_", isa_name(isa), "_", plan.name());
  // Grow the buffer until the kernel fits (Xbyak reports ERR_CODE_IS_TOO_BIG).
  for (size_t size = 16384;; size *= 2) {
    if (size > options.max_code_bytes) {
      return ResourceExhausted("kernel ", code.name, " needs more than ", options.max_code_bytes,
                               " bytes of code");
    }
    code.bytes.assign(size, 0);
    try {
      Generator generator(plan, isa, size, code.bytes.data());
      generator.generate();
      code.bytes.resize(generator.getSize());
      return code;
    } catch (const Xbyak::Error& e) {
      if (static_cast<int>(e) != Xbyak::ERR_CODE_IS_TOO_BIG) {
        return Internal("Xbyak could not encode ", code.name, ": ", e.what());
      }
    }
  }
}

}  // namespace pj
