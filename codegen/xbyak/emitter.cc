// The Xbyak emitter: one generator for AVX-512 and AVX2 (the vector width is the target's).
//
// Registers (System V: rdi = const KernelArgs* on entry):
//   Row level: r11 dst, rsi src, r8 rows left        Pixel level: rax dst, rdx src, rcx count
//   Block level: r12 dst, r13 src, rbx count          Run level: r14 dst, rdi src, rbp count
//   r9: data of moves under 16 bytes; r15: 64-bit immediates and displacements; r10: skeleton
//   vector 15: the pad pattern (zeros by default); 0-7: data; 16-23: spans, windows and parts;
//   4-14: a group loop's held permutes; 24-31: the kernel's first permutes; k1-k7: masks
// The frame holds the skeleton's image state (walk.h): row_end, t, r_lo, r_hi, the image's dst
// and src points, and the output and input pointers.
#include "codegen/xbyak/emitter.h"

#include <xbyak/xbyak.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>

#include "codegen/lower/walk.h"
#include "codegen/xbyak/moves.h"
#include "codegen/xbyak/x86_base.h"

namespace pj {
namespace {

using Xbyak::Address;
using Xbyak::Label;
using Xbyak::Reg64;

class Generator final : public X86Base, public Sink {
 public:
  // Into `buffer` of `size` bytes, or with buffer Xbyak::AutoGrow into memory from `allocator`
  // that starts at `size` bytes and grows (then ready() resolves the jumps).
  Generator(const Lowering& lowering, Isa isa, size_t size, void* buffer, Xbyak::Allocator* allocator = nullptr)
      : X86Base(size, buffer, allocator),
        L_(lowering),
        plan_(*lowering.plan),
        avx512_(isa == Isa::kAvx512),
        vector_(avx512_ ? 64 : 32),
        nontemporal_(plan_.options.nontemporal),
        levels_{{{r11, rsi, r8}, {rax, rdx, rcx}, {r12, r13, rbx}, {r14, rdi, rbp}}} {}

  // ---- skeleton ----

  void begin_kernel() override {
    enter();
    preload_constants();
    begin_image(plan_.rows_per_image, plan_.dst_image_step, plan_.src_image_step, plan_.src_origin);
  }

  void begin_rows(int, const RowClass& rc) override {
    mov(rax, ptr[rsp + kRowLo]);  // lo = max(begin, r_lo), hi = min(end, r_hi)
    mov(rcx, rc.begin);
    cmp(rax, rcx);
    cmovl(rax, rcx);
    mov(rdx, ptr[rsp + kRowHi]);
    mov(rcx, rc.end);
    cmp(rdx, rcx);
    cmovg(rdx, rcx);
    sub(rdx, rax);
    rows_.push_back({Label(), Label()});
    jle(rows_.back().skip, T_NEAR);
    mov(r8, rdx);
    mov(r11, rax);
    multiply(r11, plan_.dst_row_step);
    add(r11, ptr[rsp + kDstImage]);
    mov(rsi, rax);
    multiply(rsi, plan_.src_row_step);
    add(rsi, ptr[rsp + kSrcImage]);
    if (!plan_.rows_inside) L(rows_.back().top);  // else r8 keeps the count for the rows loops
  }

  void end_rows() override {
    if (!plan_.rows_inside) {
      add_imm(r11, plan_.dst_row_step);
      add_imm(rsi, plan_.src_row_step);
      dec(r8);
      jnz(rows_.back().top, T_NEAR);
    }
    L(rows_.back().skip);
    rows_.pop_back();
  }

  void end_kernel() override {
    next_image();
    if (nontemporal_) sfence();  // non-temporal stores are weakly ordered: publish them
    leave();
    emit_constants();
  }

  // ---- loops ----

  void begin_loop(Level level, At from, int64_t count) override {
    open_loop(pointers(level), pointers(from.level), from.dst, from.src, count);
  }

  void end_loop(Level level, int64_t dst_step, int64_t src_step) override {
    close_loop(pointers(level), dst_step, src_step);
  }

  void begin_rows_loop(Level level, At from) override {
    open_loop(pointers(level), pointers(from.level), from.dst, from.src, r8);
  }

  void end_rows_loop(Level level) override { end_loop(level, plan_.dst_row_step, plan_.src_row_step); }

  // rax/rdx/rcx: the pixel level's registers, free in whole-row programs (one pixel iteration).
  void begin_rows_copy(At from, int64_t row_bytes) override {
    copies_.push_back({Label(), Label()});
    Label& small = copies_.back().small;
    Label& done = copies_.back().done;
    mov(rcx, r8);
    multiply(rcx, row_bytes);
    cmp(rcx, vector_);
    jb(small, T_NEAR);
    lea_off(rax, pointers(from.level).dst, from.dst);
    lea_off(rdx, pointers(from.level).src, from.src);
    sub(rcx, vector_);  // the last vector's offset; then vectors from the start while before it
    const int v = rotation_++ % 8;
    copy_vector(ptr[rax + rcx], ptr[rdx + rcx], v);
    Label top;
    L(top);
    test(rcx, rcx);
    jle(done, T_NEAR);
    copy_vector(ptr[rax], ptr[rdx], v);
    add(rax, vector_);
    add(rdx, vector_);
    sub(rcx, vector_);
    jmp(top, T_NEAR);
    L(small);
  }

  void end_rows_copy() override {
    L(copies_.back().done);
    copies_.pop_back();
  }

  // dst + V rounded down to a vector; src moved by as much (walk.h). The run level's registers.
  void align_run(At at) override {
    const Pointers& from = pointers(at.level);
    const Pointers& to = pointers(Level::kRun);
    lea_off(to.dst, from.dst, at.dst + vector_);
    and_(to.dst, static_cast<uint32_t>(-vector_));
    mov(to.src, to.dst);
    sub(to.src, from.dst);
    add(to.src, from.src);
    add_imm(to.src, at.src - at.dst);
  }

  // ---- moves ----

  void move(At at, int w) override {
    const Pointers& p = pointers(at.level);
    const int v = rotation_++ % 8;
    if (w >= 16) {
      vector_move(VectorMove::kLoad, w, v, p.src, at.src);
      store_vector(p.dst, at.dst, v, w);
    } else if (fits_int32(at.src) && fits_int32(at.dst)) {
      const int r = scalar(w).getIdx();
      put([&](uint8_t* out) { return encode_scalar_move(true, w, r, p.src.getIdx(), static_cast<int32_t>(at.src), out); });
      put([&](uint8_t* out) { return encode_scalar_move(false, w, r, p.dst.getIdx(), static_cast<int32_t>(at.dst), out); });
    } else {
      const Xbyak::Reg r = scalar(w);
      mov(r, at_off(p.src, at.src));
      mov(at_off(p.dst, at.dst), r);
    }
  }

  void fill(At at, int w) override {
    const Pointers& p = pointers(at.level);
    if (w >= 16) return store_vector(p.dst, at.dst, kPattern, w);
    int64_t value = 0;
    std::memcpy(&value, L_.pattern.data(), static_cast<size_t>(w));
    if (w == 8 && !fits_int32(value)) {
      mov(r9, value);
      mov(at_off(p.dst, at.dst), r9);
      return;
    }
    const Xbyak::RegExp e = at_off(p.dst, at.dst).getRegExp();
    const auto imm = static_cast<uint32_t>(value);
    if (w == 8)
      mov(qword[e], static_cast<int32_t>(value));
    else if (w == 4)
      mov(dword[e], imm);
    else if (w == 2)
      mov(word[e], imm & 0xffff);
    else
      mov(byte[e], imm & 0xff);
  }

  // ---- chunks (AVX-512) ----

  void chunk(At at, const Chunk& c) override {
    const Pointers& p = pointers(at.level);
    const bool pattern_lanes = c.filled && !L_.zero_pattern;
    const int reg = c.loads.empty() ? kPattern : rotation_++ % 8;
    if (pattern_lanes && !c.loads.empty()) vmovdqa64(Xbyak::Zmm(reg), Xbyak::Zmm(kPattern));
    for (size_t i = 0; i < c.loads.size(); ++i) {
      // The first load zeroes the lanes no load fills, unless they hold the pad pattern.
      emit_load(c.loads[i], p.src, at.src, reg, i == 0 && !pattern_lanes);
    }
    store_chunk(p.dst, at.dst + c.dst, c.bytes, reg);
  }

  // ---- pixel groups (codegen/plan/pixel_group.h) ----

  void hold_group(const LoweredGroup& g) override {
    held_.clear();
    int next = 4;
    for (int32_t id : g.held) {
      held_[id] = next;
      vmovdqu64(Xbyak::Zmm(next++), ptr[rip + permute_pool_ + 64 * id]);
    }
  }

  void release_group() override { held_.clear(); }

  void group(At at, const LoweredGroup& lowered) override {
    if (lowered.group->by_lanes) return group_by_lanes(at, lowered);
    const Pointers& p = pointers(at.level);
    const PixelGroup& group = *lowered.group;
    load_windows(group, p.src, at.src);
    // Groups of more windows than register pairs (pixel_group.h): windows of one register, some
    // loaded where used (into zmm23), and each part past the first ORed in as soon as it is made
    // (in zmm22); else up to three parts are made (reg, zmm22, zmm23), then ORed.
    const bool chain = group.windows.size() > kPairWindows;
    size_t next = 0;
    for (const GroupChunk& c : group.chunks) {
      const bool pattern_lanes = c.fill_lanes != 0 && !L_.zero_pattern;
      const int reg = c.parts.empty() && !pattern_lanes ? kPattern : rotation_++ % 4;
      for (size_t i = 0; i < c.parts.size(); ++i) {
        const int w = c.parts[i].window;
        const GroupWindow& window = group.windows[static_cast<size_t>(w)];
        const int32_t id = lowered.permutes[next++];
        const int known = index_register(id);
        const Xbyak::Zmm t = i == 0 ? Xbyak::Zmm(reg) : Xbyak::Zmm(chain ? 22 : 21 + static_cast<int>(i));
        Xbyak::Zmm low(chain ? 16 + w : 16 + 2 * w), high(17 + 2 * w);
        if (!window_in_registers(group, w)) {  // one register, zeros past its end
          low = Xbyak::Zmm(23);
          const Xbyak::Opmask k = mask(lane_mask(0, window.bytes));  // before at_off(): both may use r15
          vmovdqu8(low | k | T_z, at_off(p.src, at.src + window.src));
        }
        if (window.bytes < 64) {
          if (known >= 0) {
            vpermb(t, Xbyak::Zmm(known), low);
          } else {
            vmovdqu64(t, ptr[rip + permute_pool_ + 64 * id]);
            vpermb(t, t, low);
          }
        } else {
          // Two sources: vpermi2b overwrites its index, so the index goes into t first.
          if (known >= 0)
            vmovdqa64(t, Xbyak::Zmm(known));
          else
            vmovdqu64(t, ptr[rip + permute_pool_ + 64 * id]);
          vpermi2b(t, low, high);
        }
        if (chain && i > 0) vporq(Xbyak::Zmm(reg), Xbyak::Zmm(reg), t);
      }
      // Parts fill disjoint lanes and zeros elsewhere: OR them; then the pad pattern's lanes.
      if (!chain && c.parts.size() == 2) vporq(Xbyak::Zmm(reg), Xbyak::Zmm(reg), Xbyak::Zmm(22));
      if (!chain && c.parts.size() == 3) vpternlogq(Xbyak::Zmm(reg), Xbyak::Zmm(22), Xbyak::Zmm(23), 0xfe);
      if (pattern_lanes) {
        if (c.parts.empty())
          vmovdqa64(Xbyak::Zmm(reg), Xbyak::Zmm(kPattern));
        else
          vmovdqu8(Xbyak::Zmm(reg) | mask(c.fill_lanes), Xbyak::Zmm(kPattern));
      }
      store_chunk(p.dst, at.dst + c.dst, c.bytes, reg);
    }
  }

  // AVX2 (pixel_group.h, LaneBlock): each half of a chunk the OR of its blocks, each loaded into
  // both lanes and shuffled in place (ymm4 the block past the first), or by dwords the blend of
  // its blocks' permutes (ymm6 the index); the pad pattern blended into its lanes, then one
  // 32-byte store, or, at a partial group's end, stores of its first bytes.
  void group_by_lanes(At at, const LoweredGroup& lowered) {
    const Pointers& p = pointers(at.level);
    size_t next = 0;
    for (const GroupChunk& c : lowered.group->chunks) {
      for (int half = 0; half < 2 && 32 * half < c.bytes; ++half) {
        const Xbyak::Ymm acc(rotation_++ % 4), t(4), index(6);
        const auto fill = static_cast<uint32_t>(c.fill_lanes >> (32 * half));
        bool any = false;
        if (lowered.group->by_dwords) {
          // By dwords: the first block's permute writes every lane, the others blend in theirs,
          // then the pad value its dwords (whole elements).
          for (const LaneBlock& b : c.blocks) {
            if (b.half != half) continue;
            vmovdqu(index, ptr[rip + permute_pool_ + 64 * lowered.permutes[next++]]);
            vpermd(any ? t : acc, index, at_off(p.src, at.src + b.src));
            if (any) vpblendd(acc, acc, t, b.dwords);
            any = true;
          }
          uint8_t fill_dwords = 0;
          for (int d = 0; d < 8; ++d) fill_dwords = static_cast<uint8_t>(fill_dwords | ((fill >> (4 * d)) & 1) << d);
          if (!any)
            vmovdqa(acc, Xbyak::Ymm(kPattern));
          else if (fill_dwords != 0)
            vpblendd(acc, acc, Xbyak::Ymm(kPattern), fill_dwords);
        } else {
          for (const LaneBlock& b : c.blocks) {
            if (b.half != half) continue;
            const Xbyak::Ymm to = any ? t : acc;
            vbroadcasti128(to, at_off(p.src, at.src + b.src));
            vpshufb(to, to, ptr[rip + permute_pool_ + 64 * lowered.permutes[next++]]);
            if (any) vpor(acc, acc, t);
            any = true;
          }
          if (!any) vpxor(acc, acc, acc);
        }
        if (!lowered.group->by_dwords && fill != 0) {
          const int32_t id = lowered.permutes[next++];
          if (!L_.zero_pattern) {
            vmovdqu(index, ptr[rip + permute_pool_ + 64 * id]);
            vpblendvb(acc, acc, Xbyak::Ymm(kPattern), index);
          }
        }
        const int64_t bytes = std::min<int64_t>(32, c.bytes - 32 * half);
        if (bytes == 32)
          store_vector(p.dst, at.dst + c.dst + 32 * half, acc.getIdx(), 32);
        else
          store_prefix(p.dst, at.dst + c.dst + 32 * half, acc.getIdx(), bytes);
      }
    }
  }

  // The first `bytes` (1 to 31) of ymm `reg` to base + off, AVX2 having no byte-masked store:
  // 16, 8, 4, 2 and 1 bytes from the low lane, each time shifted down past what was stored.
  void store_prefix(const Reg64& base, int64_t off, int reg, int64_t bytes) {
    const Xbyak::Xmm x(reg);
    if (bytes >= 16) {
      vmovdqu(at_off(base, off), x);
      vextracti128(x, Xbyak::Ymm(reg), 1);
      off += 16, bytes -= 16;
    }
    if (bytes >= 8) {
      vmovq(at_off(base, off), x);
      vpsrldq(x, x, 8);
      off += 8, bytes -= 8;
    }
    if (bytes >= 4) {
      vmovd(at_off(base, off), x);
      vpsrldq(x, x, 4);
      off += 4, bytes -= 4;
    }
    if (bytes >= 2) {
      vpextrw(at_off(base, off), x, 0);
      vpsrldq(x, x, 2);
      off += 2, bytes -= 2;
    }
    if (bytes >= 1) vpextrb(at_off(base, off), x, 0);
  }

  Label& permute_pool() { return permute_pool_; }

 private:
  static constexpr int kPattern = 15;  // below 16, so that VEX (xmm/ymm) stores can name it too

  const Pointers& pointers(Level level) const { return levels_[static_cast<int>(level)]; }


  Xbyak::Reg scalar(int w) const {
    return w == 8 ? Xbyak::Reg(r9) : w == 4 ? Xbyak::Reg(r9d) : w == 2 ? Xbyak::Reg(r9w) : Xbyak::Reg(r9b);
  }

  // A vector store of `w` bytes (16, 32 or 64), non-temporal where the plan asks. The plan
  // streams only when every tap is whole cache lines, so every full-vector store is then at an
  // aligned offset (no cache line ever mixes streaming and cached stores, which costs 100x here).
  void store_vector(const Reg64& base, int64_t off, int reg, int w) {
    vector_move(nontemporal_ && w == vector_ ? VectorMove::kStream : VectorMove::kStore, w, reg, base, off);
  }

  // One instruction encoded by moves.h, straight into the buffer when it has room.
  template <typename Encode>
  void put(const Encode& encode) {
    if (maxSize_ - size_ >= kMaxMoveBytes) {
      size_ += static_cast<size_t>(encode(top_ + size_));
    } else {
      uint8_t bytes[kMaxMoveBytes];
      db(bytes, static_cast<size_t>(encode(bytes)));  // grows the buffer, or says it is too small
    }
  }

  // A load or store of vector register `reg` (0-15) of `w` bytes at base + off: encoded
  // directly (moves.h) where the offset fits 32 bits, else by Xbyak.
  void vector_move(VectorMove move, int w, int reg, const Reg64& base, int64_t off) {
    if (fits_int32(off)) {
      put([&](uint8_t* out) { return encode_vector_move(move, w, reg, base.getIdx(), static_cast<int32_t>(off), out); });
      return;
    }
    const Address at = at_off(base, off);
    if (w == 64) {
      if (move == VectorMove::kLoad) vmovdqu64(Xbyak::Zmm(reg), at);
      if (move == VectorMove::kStore) vmovdqu64(at, Xbyak::Zmm(reg));
      if (move == VectorMove::kStream) vmovntdq(at, Xbyak::Zmm(reg));
    } else if (w == 32) {
      if (move == VectorMove::kLoad) vmovdqu(Xbyak::Ymm(reg), at);
      if (move == VectorMove::kStore) vmovdqu(at, Xbyak::Ymm(reg));
      if (move == VectorMove::kStream) vmovntdq(at, Xbyak::Ymm(reg));
    } else {
      if (move == VectorMove::kLoad) vmovdqu(Xbyak::Xmm(reg), at);
      if (move == VectorMove::kStore) vmovdqu(at, Xbyak::Xmm(reg));
    }
  }

  void copy_vector(const Address& to, const Address& from, int v) {
    if (avx512_) {
      vmovdqu64(Xbyak::Zmm(v), from);
      vmovdqu64(to, Xbyak::Zmm(v));
    } else {
      vmovdqu(Xbyak::Ymm(v), from);
      vmovdqu(to, Xbyak::Ymm(v));
    }
  }

  // An opmask holding `lanes`: one preloaded for the kernel, or k7 loaded now.
  Xbyak::Opmask mask(uint64_t lanes) {
    auto it = preloaded_masks_.find(lanes);
    if (it != preloaded_masks_.end()) return Xbyak::Opmask(it->second);
    mov(r15, lanes);
    kmovq(k7, r15);
    return k7;
  }

  void emit_load(const ChunkLoad& load, const Reg64& base, int64_t off, int reg, bool first) {
    const Xbyak::Zmm z(reg);
    if (load.permute < 0 && load.lanes == ~uint64_t{0}) {
      vmovdqu64(z, at_off(base, off + load.src));
      return;
    }
    if (load.permute < 0) {
      const Xbyak::Opmask k = mask(load.lanes);
      if (first)
        vmovdqu8(z | k | T_z, at_off(base, off + load.src));
      else
        vmovdqu8(z | k, at_off(base, off + load.src));
      return;
    }
    // A gather: its span in one masked load, its elements put in place by one byte permute.
    const Xbyak::Zmm span(16 + scratch_++ % 8);
    const Xbyak::Opmask span_mask = mask(load.span_lanes);
    vmovdqu8(span | span_mask | T_z, at_off(base, off + load.src));
    Xbyak::Zmm index(24 + load.permute);
    if (load.permute >= L_.preloaded_permute_count()) {
      index = Xbyak::Zmm(16 + scratch_++ % 8);
      vmovdqu64(index, ptr[rip + permute_pool_ + 64 * load.permute]);
    }
    const Xbyak::Opmask k = mask(load.lanes);
    if (first)
      vpermb(z | k | T_z, index, span);
    else
      vpermb(z | k, index, span);
  }

  // A chunk's `bytes` (64, or fewer at the end of a pixel or group) from register `reg`.
  void store_chunk(const Reg64& base, int64_t dst, int64_t bytes, int reg) {
    if (bytes == 64) return store_vector(base, dst, reg, 64);
    const Xbyak::Opmask k = mask(lane_mask(0, bytes));  // before at_off(): both may use r15
    vmovdqu8(at_off(base, dst) | k, Xbyak::Zmm(reg));
  }

  // Window w of a group lives in zmm16+2w (its first 64 bytes) and zmm17+2w; in a group of more
  // windows than pairs, in zmm16+w (one register), or it is loaded where a part uses it (group()).
  // A window's loads stop at its last byte.
  void load_windows(const PixelGroup& group, const Reg64& base, int64_t off) {
    const bool single = group.windows.size() > kPairWindows;
    for (int w = 0; w < static_cast<int>(group.windows.size()) && window_in_registers(group, w); ++w) {
      const GroupWindow& window = group.windows[static_cast<size_t>(w)];
      const Xbyak::Zmm low(single ? 16 + w : 16 + 2 * w), high(17 + 2 * w);
      if (window.bytes < 64) {
        const Xbyak::Opmask k = mask(lane_mask(0, window.bytes));
        vmovdqu8(low | k | T_z, at_off(base, off + window.src));
        continue;
      }
      vmovdqu64(low, at_off(base, off + window.src));
      if (window.bytes == 64) {
        vpxord(high, high, high);
        continue;
      }
      const Xbyak::Opmask k = mask(lane_mask(0, window.bytes - 64));
      vmovdqu8(high | k | T_z, at_off(base, off + window.src + 64));
    }
  }

  // The permute index register of a part: kept for the kernel (zmm24-31), held for the group
  // loop (zmm4-14), or none (-1: it is loaded where used).
  int index_register(int32_t id) const {
    if (id < L_.preloaded_permute_count()) return 24 + id;
    auto it = held_.find(id);
    return it == held_.end() ? -1 : it->second;
  }

  void preload_constants() {
    if (L_.zero_pattern) {
      if (avx512_)
        vpxord(Xbyak::Zmm(kPattern), Xbyak::Zmm(kPattern), Xbyak::Zmm(kPattern));
      else
        vpxor(Xbyak::Ymm(kPattern), Xbyak::Ymm(kPattern), Xbyak::Ymm(kPattern));
    } else if (avx512_) {
      vmovdqu64(Xbyak::Zmm(kPattern), ptr[rip + pattern_]);
    } else {
      vmovdqu(Xbyak::Ymm(kPattern), ptr[rip + pattern_]);
    }
    for (size_t i = 0; i < L_.preloaded_masks.size(); ++i) {
      const int k = static_cast<int>(i) + 1;
      mov(r15, L_.preloaded_masks[i]);
      kmovq(Xbyak::Opmask(k), r15);
      preloaded_masks_[L_.preloaded_masks[i]] = k;
    }
    for (int i = 0; i < L_.preloaded_permute_count(); ++i) {
      vmovdqu64(Xbyak::Zmm(24 + i), ptr[rip + permute_pool_ + 64 * i]);
    }
  }

  // The pad pattern and the byte permutes, after the code, at a 64-byte offset: the code is
  // copied to the start of executable pages, so the offset decides their alignment there, not
  // the address of the buffer Xbyak writes into (which align() would use).
  void emit_constants() {
    if (L_.zero_pattern && L_.permutes.entries().empty()) return;
    if (const size_t misaligned = getSize() % 64; misaligned != 0) nop(64 - misaligned);
    if (!L_.zero_pattern) {
      L(pattern_);
      for (uint8_t byte : L_.pattern) db(byte);
    }
    if (L_.permutes.entries().empty()) return;
    L(permute_pool_);
    for (const auto& index : L_.permutes.entries()) {
      for (uint8_t byte : index) db(byte);
    }
  }

  struct RowLabels {
    Label top, skip;
  };

  const Lowering& L_;
  const Plan& plan_;
  const bool avx512_;
  const int vector_;
  const bool nontemporal_;
  const std::array<Pointers, kLevels> levels_;
  int rotation_ = 0;
  int scratch_ = 0;  // rotation over zmm16-23 for spans and permutes loaded on use
  std::map<uint64_t, int> preloaded_masks_;
  std::map<int32_t, int> held_;  // permute id -> zmm4-14, while a group loop is emitted
  std::vector<RowLabels> rows_;
  struct CopyLabels {
    Label small, done;
  };
  std::vector<CopyLabels> copies_;
  Label pattern_, permute_pool_;
};

// Counts what walk() asks of the emitter, each primitive at its longest encoding: a memory
// operand at most 11 bytes (EVEX, opcode, ModRM, SIB, disp32) plus 10 for a 64-bit offset.
class SizeBound final : public Sink {
 public:
  explicit SizeBound(const Lowering& L) : L_(L) {}
  size_t bytes() const { return static_cast<size_t>(bytes_); }

  void begin_kernel() override { add(400 + 32 * static_cast<int64_t>(L_.preloaded_masks.size()) + 16 * 8); }
  void end_kernel() override {
    add(100 + 64 + 64 + 64 * static_cast<int64_t>(L_.permutes.entries().size()));  // epilogue, alignment, constants
  }
  void begin_rows(int, const RowClass&) override { add(160); }
  void end_rows() override { add(60); }
  void begin_loop(Level, At from, int64_t) override { add(2 * operand(from.dst) + 2 * operand(from.src) + 10); }
  void end_loop(Level, int64_t, int64_t) override { add(2 * 20 + 10); }
  void begin_rows_loop(Level, At from) override { add(2 * operand(from.dst) + 2 * operand(from.src) + 10); }
  void end_rows_loop(Level) override { add(2 * 20 + 10); }
  void begin_rows_copy(At from, int64_t) override { add(2 * operand(from.dst) + 2 * operand(from.src) + 120); }
  void end_rows_copy() override {}
  void align_run(At at) override { add(2 * operand(at.dst + L_.target.vector_bytes) + 4 * 20); }
  void move(At at, int) override { add(operand(at.src) + operand(at.dst)); }
  void fill(At at, int) override { add(operand(at.dst) + 10); }
  void chunk(At at, const Chunk& c) override {
    int64_t n = 2 * operand(at.dst + c.dst) + 8;  // masked store with its mask, pattern copy
    for (const ChunkLoad& load : c.loads) n += 3 * operand(at.src + load.src) + 2 * 20;  // loads, masks, permute
    add(n);
  }
  void group(At at, const LoweredGroup& g) override {
    int64_t n = 0;
    if (g.group->by_lanes) {  // per block a load, a shuffle and an OR; per half a blend and stores
      for (const GroupChunk& c : g.group->chunks) {
        for (const LaneBlock& b : c.blocks) n += operand(at.src + b.src) + 20;
        n += 2 * (5 * operand(at.dst + c.dst) + 60);  // up to five stores of a partial half, four shifts
      }
      return add(n);
    }
    for (const GroupWindow& w : g.group->windows) n += 2 * operand(at.src + w.src) + 20;
    for (const GroupChunk& c : g.group->chunks) {
      n += 2 * operand(at.dst + c.dst) + 20 + 11 * (3 * c.parts.size() + 3);
      for (const GroupPart& part : c.parts) {  // a window loaded where used, with its mask
        if (!window_in_registers(*g.group, part.window)) n += operand(at.src + g.group->windows[part.window].src) + 20;
      }
    }
    add(n);
  }
  void hold_group(const LoweredGroup& g) override { add(11 * static_cast<int64_t>(g.held.size())); }
  void release_group() override {}

 private:
  static int64_t operand(int64_t off) { return fits_int32(off) ? 11 : 21; }
  void add(int64_t n) { bytes_ += n; }
  const Lowering& L_;
  int64_t bytes_ = 0;
};


}  // namespace

Target x86_target(Isa isa) {
  Target t;
  t.name = std::string(isa_name(isa));
  t.vector_bytes = t.max_move_bytes = isa == Isa::kAvx512 ? 64 : 32;
  t.chunks = isa == Isa::kAvx512;
  t.lane_gathers = isa != Isa::kAvx512;
  t.rows_copies = true;
  if (isa == Isa::kAvx512) {
    t.preloaded_permutes = 8;    // zmm24-31
    t.group_held_permutes = 11;  // zmm4-14
    t.mask_registers = 7;        // k1-k7
  }
  return t;
}

PlanOptions plan_options_for(Isa isa) {
  PlanOptions options;
  options.vector_bytes = isa == Isa::kAvx512 ? 64 : 32;
  // Byte permutes of one and two sources (VBMI), or AVX2's in-lane shuffles of 16-byte blocks.
  options.group_pixels = true;
  options.groups_by_lanes = isa != Isa::kAvx512;
  return options;
}

std::string x86_kernel_name(const Plan& plan, Isa isa) {
  return cat("eip_", isa_name(isa), "_", plan.name(), plan.options.nontemporal ? "_nt" : "");
}

size_t x86_code_bound(const Lowering& lowering) {
  SizeBound bound(lowering);
  walk(lowering, bound);
  return bound.bytes();
}

Expected<MachineCode> emit_x86(const Lowering& lowering, Isa isa, size_t max_code_bytes, size_t size_hint) {
  const Plan& plan = *lowering.plan;
  if (plan.generic) return Internal("emit_x86: generic plans have no regions to emit");
  if (isa == Isa::kNone) return Internal("emit_x86: no instruction set");
  MachineCode code;
  code.name = x86_kernel_name(plan, isa);
  try {
    if (size_hint > 0 && size_hint <= max_code_bytes / 2) {
      // Far below the limit: one walk, into a buffer of the estimate's size and a half (the
      // estimate runs 0.9 to 1.5 times the code on the suite) that grows (a copy, never a second
      // emission) when that falls short.
      HeapAllocator heap;
      Generator generator(lowering, isa, size_hint + size_hint / 2 + 256, Xbyak::AutoGrow, &heap);
      walk(lowering, generator);
      generator.ready();
      if (generator.getSize() > max_code_bytes) {
        return ResourceExhausted("kernel ", code.name, " takes ", generator.getSize(),
                                 " bytes of code, over the limit of ", max_code_bytes);
      }
      code.bytes.assign(generator.getCode(), generator.getCode() + generator.getSize());
      return code;
    }
    // Near the limit (or no estimate): the exact bound decides before anything is emitted.
    const size_t bound = x86_code_bound(lowering);
    if (bound > max_code_bytes) {
      return ResourceExhausted("kernel ", code.name, " would take up to ", bound, " bytes of code, over the limit of ",
                               max_code_bytes);
    }
    code.bytes.assign(bound, 0);
    Generator generator(lowering, isa, bound, code.bytes.data());
    walk(lowering, generator);
    code.bytes.resize(generator.getSize());
    return code;
  } catch (const Xbyak::Error& e) {
    // ERR_CODE_IS_TOO_BIG would mean x86_code_bound is not a bound: a bug, as any other error.
    return Internal("Xbyak could not encode ", code.name, ": ", e.what());
  }
}

}  // namespace pj
