// The Xbyak fold emitter: one generator for AVX-512 and AVX2 (the widest piece is the target's).
//
// Registers (System V: rdi = const KernelArgs* on entry):
//   Row level: r11 dst, rsi src, r8 rows left        Pixel level: rax dst, rdx src, rcx count
//   Block level: r12 dst, r13 src, rbx count         r9, r10: the skeleton's; r15: 64-bit values
//   r14: channel blocks left; rbp: the row group member's row (row passes' guards)
//   vectors 0-11: accumulators; 12: a tap's piece; 13: half's narrowed sum; 14: the mean's
//   divisor; 15: zero (the rest of a piece under 16 bytes; the lanes a permute adds nothing to)
//   Sums of lanes (AVX-512): zmm16-23 each accumulator's permuted run, zmm28 a masked load,
//   zmm29 -0 in every lane (floating dtypes: the adds' identity); integer runs added in pairs:
//   zmm8-11 and 24-27 their indices, k3 their lanes;
//   k1 a masked load's lanes, k2 a masked store's; their permute indices and divisors in a
//   pool after the code.
// The frame holds the skeleton's image state (fold_walk.h; X86Base's, as the extract emitter's).
#include "codegen/xbyak/fold_emitter.h"

#include <xbyak/xbyak.h>

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <cstring>
#include <utility>
#include <vector>

#include "codegen/xbyak/x86_base.h"

namespace pj {
namespace {

using Xbyak::Address;
using Xbyak::Label;
using Xbyak::Reg64;
using Xbyak::Xmm;

constexpr int kPiece = 12, kNarrow = 13, kDivisor = 14, kZero = 15;

// An offset past 32 bits: the plan is not emitted (fold_walk.h says what serves it instead).
struct OffsetTooFar {};

class FoldGenerator final : public X86Base, public FoldSink {
 public:
  FoldGenerator(const FoldPlan& plan, Isa isa, size_t size, Xbyak::Allocator* allocator)
      : X86Base(size, Xbyak::AutoGrow, allocator),
        plan_(plan),
        g_(plan.geometry),
        avx512_(isa == Isa::kAvx512),
        half_(g_.dtype == DType::kHalf),
        floating_(g_.dtype == DType::kFloat32 || g_.dtype == DType::kFloat64 || g_.dtype == DType::kComplex64 ||
                  g_.dtype == DType::kComplex128),
        levels_{{{r11, rsi, r8}, {rax, rdx, rcx}, {r12, r13, rbx}}} {}

  void begin_kernel() override {
    enter();
    vpxor(Xmm(kZero), Xmm(kZero), Xmm(kZero));
    if (avx512_ && floating_) {  // -0 in every lane: float adds' identity (sums of lanes)
      const bool doubles = g_.dtype == DType::kFloat64 || g_.dtype == DType::kComplex128;
      mov(r15, doubles ? uint64_t{1} << 63 : uint64_t{1} << 31);
      doubles ? vpbroadcastq(Xbyak::Zmm(kNegativeZero), r15) : vpbroadcastd(Xbyak::Zmm(kNegativeZero), r15d);
    }
    begin_image(g_.rows.in, g_.image_steps.image, g_.patch_steps.image, 0);
  }

  void end_kernel() override {
    next_image();
    leave();
    if (pool_.empty()) return;
    while (getSize() % 64 != 0) db(0xcc);  // copied to page starts: the offset aligns them
    L(pool_label_);
    for (const std::vector<uint8_t>& entry : pool_) {
      for (uint8_t byte : entry) db(byte);
    }
  }

  void begin_channel_blocks(int64_t count) override {
    channel_blocks_ = Label();
    mov(r14, count);
    L(channel_blocks_);
  }

  void end_channel_blocks(int64_t dst_step, int64_t src_step) override {
    for (auto [slot, step] : {std::pair{kDstImage, dst_step}, std::pair{kSrcImage, src_step}}) {
      mov(r15, step);
      add(ptr[rsp + slot], r15);
    }
    dec(r14);
    jnz(channel_blocks_, T_NEAR);
  }

  // Members m of the group whose rows first + m*step + [reach_lo, reach_hi] meet [r_lo, r_hi):
  // m in [ceil((r_lo - first - reach_hi) / step) clamped at 0, min(count, ceil((r_hi - first -
  // reach_lo) / step))). rbp: the member's row.
  void begin_row_group(const FoldRowGroup& group) override {
    groups_.push_back({Label(), Label(), group});
    Label& skip = groups_.back().skip;
    mov(r9, ptr[rsp + kRowHi]);
    add_imm(r9, -(group.first + group.reach_lo));
    test(r9, r9);
    jle(skip, T_NEAR);
    if (group.step > 1) ceil_divide(r9, group.step);
    mov(r10, group.count);
    cmp(r9, r10);
    cmovg(r9, r10);
    mov(rax, ptr[rsp + kRowLo]);
    add_imm(rax, -(group.first + group.reach_hi));
    xor_(r10d, r10d);
    cmp(rax, r10);
    cmovl(rax, r10);
    if (group.step > 1) ceil_divide(rax, group.step);
    sub(r9, rax);
    jle(skip, T_NEAR);
    mov(r8, r9);
    mov(r11, rax);  // dst: the image's row first + m*step
    multiply(r11, group.step);
    add_imm(r11, group.first);
    mov(rbp, r11);
    multiply(r11, g_.image_steps.row);
    add(r11, ptr[rsp + kDstImage]);
    mov(rsi, rax);  // src: member m's, one output row a member
    multiply(rsi, group.src_step);
    add_imm(rsi, group.src_first);
    add(rsi, ptr[rsp + kSrcImage]);
    L(groups_.back().top);
  }

  void end_row_group() override {
    RowLoop& loop = groups_.back();
    if (loop.group.count > 1) {  // (count - 1) * step rows lie in the image: the step fits too
      add_imm(r11, loop.group.step * g_.image_steps.row);
      add_imm(rsi, loop.group.src_step);
      add_imm(rbp, loop.group.step);
      dec(r8);
      jnz(loop.top, T_NEAR);
    }
    L(loop.skip);
    groups_.pop_back();
  }

  void begin_guard(int64_t rows) override {
    guards_.emplace_back();
    mov(r9, rbp);
    add_imm(r9, rows);
    cmp(r9, ptr[rsp + kRowLo]);
    jl(guards_.back(), T_NEAR);
    cmp(r9, ptr[rsp + kRowHi]);
    jge(guards_.back(), T_NEAR);
  }

  void end_guard() override {
    L(guards_.back());
    guards_.pop_back();
  }

  void begin_loop(Level level, At from, int64_t count) override {
    open_loop(pointers(level), pointers(from.level), from.dst, from.src, count);
  }

  void end_loop(Level level, int64_t dst_step, int64_t src_step) override {
    close_loop(pointers(level), dst_step, src_step);
  }

  void sum(At at, const FoldSum& s) override {
    const Pointers& p = pointers(at.level);
    const auto np = static_cast<int>(s.pieces.size());
    if (np == 0) return;
    for (int px = 0; px < s.pixels; ++px) {  // from +0, or from the partial sum (row passes)
      for (int i = 0; i < np; ++i) {
        const FoldPiece& piece = s.pieces[static_cast<size_t>(i)];
        const int a = px * np + i;
        if (s.from_image) {
          load_partial(a, piece.width, p.dst, at.dst + px * s.dst_step + piece.offset);
        } else {
          vpxor(Xmm(a), Xmm(a), Xmm(a));
        }
      }
    }
    const int64_t first = s.pieces.front().offset, span = s.pieces.back().offset + s.pieces.back().width - first;
    for (size_t t = 0; t < s.taps.size(); ++t) {
      for (int px = 0; px < s.pixels; ++px) {
        const int64_t src = at.src + px * s.src_step + s.taps[t];
        if (s.prefetch > 0) {
          for (int64_t x = 0; x < span; x += 64) prefetcht0(address(p.src, src + s.prefetch + first + x));
        }
        for (int i = 0; i < np; ++i) {
          const FoldPiece& piece = s.pieces[static_cast<size_t>(i)];
          add_piece(px * np + i, piece.width, s.wide[t] ? piece.wide : piece.width, p.src, src + piece.offset);
        }
      }
    }
    if (s.divisor > 1) divide(np * s.pixels, s);
    for (int px = 0; px < s.pixels; ++px) {
      for (int i = 0; i < np; ++i) {
        const FoldPiece& piece = s.pieces[static_cast<size_t>(i)];
        store_piece(px * np + i, piece.width, p.dst, at.dst + px * s.dst_step + piece.offset);
      }
    }
  }

  void sum_lanes(Level level, int lane_bytes, const std::vector<FoldLanes>& vectors) override {
    const Pointers& p = pointers(level);
    const int lanes = 64 / lane_bytes, n = static_cast<int>(vectors.size());
    for (int v = 0; v < n; ++v) {
      const FoldLanes& vector = vectors[static_cast<size_t>(v)];
      const Xbyak::Zmm sum(v);
      if (!vector.from_image) {
        vpxord(sum, sum, sum);
        continue;
      }
      const Address stored = address(p.dst, vector.dst);  // the partial sum (row passes)
      if (vector.stored == lanes) {
        vmovdqu64(sum, stored);
      } else {
        set_mask(Xbyak::Opmask(1), vector.stored);
        masked_move(sum | Xbyak::Opmask(1) | Xbyak::util::T_z, stored, lane_bytes);
      }
    }
    // Each vector's steps in order, the vectors interleaved.
    std::vector<std::vector<Step>> steps;
    for (const FoldLanes& vector : vectors) steps.push_back(steps_of(vector.runs, lanes));
    size_t most = 0;
    for (const std::vector<Step>& s : steps) most = std::max(most, s.size());
    for (size_t r = 0; r < most; ++r) {
      for (int v = 0; v < n; ++v) {
        const std::vector<Step>& mine = steps[static_cast<size_t>(v)];
        if (r >= mine.size()) continue;
        const Xbyak::Zmm sum(v), permuted(kLaneRun + v);
        if (mine[r].b == nullptr) {
          add_run(sum, permuted, *mine[r].a, lane_bytes, lanes, p.src);
        } else {
          add_pair(sum, permuted, Xbyak::Zmm(v < 4 ? 8 + v : 20 + v), *mine[r].a, *mine[r].b, lane_bytes, lanes, p.src);
        }
      }
    }
    for (int v = 0; v < n; ++v) {
      const FoldLanes& vector = vectors[static_cast<size_t>(v)];
      const Xbyak::Zmm sum(v);
      if (!vector.divisors.empty()) {
        const Address divisors = ptr[rip + pool_label_ + pooled(divisor_bytes(vector.divisors, lane_bytes))];
        lane_bytes == 8 ? vdivpd(sum, sum, divisors) : vdivps(sum, sum, divisors);
      }
      const Address to = address(p.dst, vector.dst);
      if (vector.stored == lanes) {
        vmovdqu64(to, sum);
        continue;
      }
      set_mask(Xbyak::Opmask(2), vector.stored);
      masked_move(to | Xbyak::Opmask(2), sum, lane_bytes);
    }
  }

 private:
  struct RowLoop {
    Label top, skip;
    FoldRowGroup group;
  };

  static constexpr int kLaneRun = 16, kMaskedLoad = 28, kNegativeZero = 29;

  // A run added alone, or two added by one permute of both (b).
  struct Step {
    const FoldLaneRun* a = nullptr;
    const FoldLaneRun* b = nullptr;
  };

  // A vector's runs as steps: in order (float adds do not reassociate), or for integers (whose
  // adds do) runs that fill disjoint lanes paired, each with the first such later run, so
  // that one two-source permute places both (LLVM finds the same for its shuffles).
  std::vector<Step> steps_of(const std::vector<FoldLaneRun>& runs, int lanes) const {
    std::vector<Step> out;
    std::vector<bool> taken(runs.size(), false);
    auto pairable = [&](const FoldLaneRun& r) {
      if (r.loaded != lanes) return false;  // a masked load: alone
      for (int l = 0; l < lanes; ++l) {
        if (r.index[static_cast<size_t>(l)] != l) return true;  // not the vector as loaded
      }
      return false;
    };
    for (size_t i = 0; i < runs.size(); ++i) {
      if (taken[i]) continue;
      Step step{&runs[i], nullptr};
      if (!floating_ && !half_ && pairable(runs[i])) {
        for (size_t j = i + 1; j < runs.size() && step.b == nullptr; ++j) {
          if (taken[j] || !pairable(runs[j])) continue;
          bool disjoint = true;
          for (int l = 0; l < lanes && disjoint; ++l) {
            disjoint = runs[i].index[static_cast<size_t>(l)] < 0 || runs[j].index[static_cast<size_t>(l)] < 0;
          }
          if (disjoint) step.b = &runs[j], taken[j] = true;
        }
      }
      out.push_back(step);
    }
    return out;
  }

  // sum += runs a and b, each where its index puts it (integers): a's lanes loaded, permuted
  // with b's (index lanes + `lanes` pick b) under a mask of the lanes either fills, others 0.
  void add_pair(const Xbyak::Zmm& sum, const Xbyak::Zmm& permuted, const Xbyak::Zmm& index_register,
                const FoldLaneRun& a, const FoldLaneRun& b, int lane_bytes, int lanes, const Reg64& src) {
    std::vector<uint8_t> index(64, 0), mask(64, 0);
    uint64_t filled = 0;
    for (int l = 0; l < lanes; ++l) {
      const int16_t from_a = a.index[static_cast<size_t>(l)], from_b = b.index[static_cast<size_t>(l)];
      if (from_a < 0 && from_b < 0) continue;
      filled |= uint64_t{1} << l;
      const uint64_t value = from_a >= 0 ? static_cast<uint64_t>(from_a) : static_cast<uint64_t>(lanes + from_b);
      std::memcpy(index.data() + l * lane_bytes, &value, static_cast<size_t>(lane_bytes));  // little-endian
    }
    std::memcpy(mask.data(), &filled, sizeof filled);
    vmovdqu64(permuted, address(src, a.src));
    vmovdqu64(index_register, ptr[rip + pool_label_ + pooled(std::move(index))]);
    kmovq(Xbyak::Opmask(3), ptr[rip + pool_label_ + pooled(std::move(mask))]);
    const Xbyak::Zmm into = permuted | Xbyak::Opmask(3) | Xbyak::util::T_z;
    const Address from_b = address(src, b.src);
    if (lane_bytes == 1) vpermt2b(into, index_register, from_b);
    if (lane_bytes == 2) vpermt2w(into, index_register, from_b);
    if (lane_bytes == 4) vpermt2d(into, index_register, from_b);
    if (lane_bytes == 8) vpermt2q(into, index_register, from_b);
    add_lanes(sum, sum, permuted);
  }

  // A partial sum stored at base + off (`width` bytes) as accumulator `acc` (row passes).
  void load_partial(int acc, int width, const Reg64& base, int64_t off) {
    if (half_) {  // exactly its float
      const Xmm sum = vreg(acc, 2 * width);
      if (2 * width == register_bytes(2 * width)) return vcvtph2ps(sum, address(base, off));
      load_short(width, base, off);
      return vcvtph2ps(sum, Xmm(kPiece));
    }
    if (width == 64) return vmovdqu64(Xbyak::Zmm(acc), address(base, off));
    if (width >= 16) return vmovdqu(vreg(acc, width), address(base, off));
    load_short(width, base, off);
    vmovdqa(Xmm(acc), Xmm(kPiece));
  }

  // sum += the run's lanes where its index puts them: a permute of the add's identity and the
  // loaded lanes (index lanes + `lanes` pick the second source), or the load itself where it is
  // the vector. The identity of float adds is -0 (x + -0 is x for every x; +0 would turn a sum
  // flushed to -0 under FTZ into +0), of integer adds 0.
  void add_run(const Xbyak::Zmm& sum, const Xbyak::Zmm& permuted, const FoldLaneRun& run, int lane_bytes, int lanes,
               const Reg64& src) {
    bool identity = run.loaded == lanes;
    for (int l = 0; l < lanes && identity; ++l) identity = run.index[static_cast<size_t>(l)] == l;
    const Address from = address(src, run.src);
    if (identity) return add_lanes(sum, sum, from);
    std::vector<uint8_t> index(64, 0);
    for (int l = 0; l < lanes; ++l) {
      const int16_t i = run.index[static_cast<size_t>(l)];
      const uint64_t value = i < 0 ? 0 : static_cast<uint64_t>(lanes + i);
      std::memcpy(index.data() + l * lane_bytes, &value, static_cast<size_t>(lane_bytes));  // little-endian
    }
    vmovdqu64(permuted, ptr[rip + pool_label_ + pooled(std::move(index))]);
    const Xbyak::Zmm identity_lanes(floating_ ? kNegativeZero : kZero);
    if (run.loaded == lanes) {
      permute_into(permuted, identity_lanes, from, lane_bytes);
    } else {  // near the patches' end: only the lanes used
      set_mask(Xbyak::Opmask(1), run.loaded);
      const Xbyak::Zmm loaded(kMaskedLoad);
      masked_move(loaded | Xbyak::Opmask(1) | Xbyak::util::T_z, from, lane_bytes);
      permute_into(permuted, identity_lanes, loaded, lane_bytes);
    }
    add_lanes(sum, sum, permuted);
  }

  // index = the lanes of (a, b) it names, in lanes of `lane_bytes`.
  void permute_into(const Xbyak::Zmm& index, const Xbyak::Zmm& a, const Xbyak::Operand& b, int lane_bytes) {
    if (lane_bytes == 1) return vpermi2b(index, a, b);
    if (lane_bytes == 2) return vpermi2w(index, a, b);
    if (lane_bytes == 4) return vpermi2d(index, a, b);
    vpermi2q(index, a, b);
  }

  template <typename To, typename From>
  void masked_move(const To& to, const From& from, int lane_bytes) {
    if (lane_bytes == 1) return vmovdqu8(to, from);
    if (lane_bytes == 2) return vmovdqu16(to, from);
    if (lane_bytes == 4) return vmovdqu32(to, from);
    vmovdqu64(to, from);
  }

  // k = the low `lanes` lanes.
  void set_mask(const Xbyak::Opmask& k, int lanes) {
    mov(r15, lanes >= 64 ? ~uint64_t{0} : (uint64_t{1} << lanes) - 1);
    kmovq(k, r15);
  }

  // Each lane's divisor as the lane's float or double.
  static std::vector<uint8_t> divisor_bytes(const std::vector<int64_t>& divisors, int lane_bytes) {
    std::vector<uint8_t> bytes(64, 0);
    for (size_t l = 0; l < divisors.size() && (l + 1) * static_cast<size_t>(lane_bytes) <= 64; ++l) {
      if (lane_bytes == 8) {
        const auto d = static_cast<double>(divisors[l]);
        std::memcpy(bytes.data() + l * 8, &d, 8);
      } else {
        const auto f = static_cast<float>(divisors[l]);
        std::memcpy(bytes.data() + l * 4, &f, 4);
      }
    }
    return bytes;
  }

  // The pool offset of 64 constant bytes, each distinct entry once.
  int64_t pooled(std::vector<uint8_t> entry) {
    auto [it, added] =
        pool_offsets_.try_emplace(std::string(entry.begin(), entry.end()), static_cast<int64_t>(pool_.size()) * 64);
    if (added) pool_.push_back(std::move(entry));
    return it->second;
  }

  const Pointers& pointers(Level level) const { return levels_[static_cast<size_t>(level)]; }

  Address address(const Reg64& base, int64_t off) {
    if (!fits_int32(off)) throw OffsetTooFar{};
    return ptr[base + static_cast<int32_t>(off)];
  }

  // r = ceil(r / d) for r >= 0 (rax, rcx, rdx are free between loops).
  void ceil_divide(const Reg64& r, int64_t d) {
    if (r != rax) mov(rax, r);
    add_imm(rax, d - 1);
    xor_(edx, edx);
    mov(rcx, d);
    div(rcx);
    if (r != rax) mov(r, rax);
  }

  // Vector `index` wide enough for `bytes`: xmm up to 16, ymm up to 32, zmm.
  static int register_bytes(int bytes) { return bytes <= 16 ? 16 : bytes <= 32 ? 32 : 64; }
  static Xmm vreg(int index, int bytes) {
    if (bytes <= 16) return Xmm(index);
    if (bytes <= 32) return Xbyak::Ymm(index);
    return Xbyak::Zmm(index);
  }

  // d = a + b in the dtype's lanes (integers wrap).
  void add_lanes(const Xmm& d, const Xmm& a, const Xbyak::Operand& b) {
    switch (g_.dtype) {
      case DType::kFloat32:
      case DType::kComplex64:
      case DType::kHalf:  // in float lanes
        return vaddps(d, a, b);
      case DType::kFloat64:
      case DType::kComplex128:
        return vaddpd(d, a, b);
      default:
        break;
    }
    switch (g_.elem_size) {
      case 1:
        return vpaddb(d, a, b);
      case 2:
        return vpaddw(d, a, b);
      case 4:
        return vpaddd(d, a, b);
      default:
        return vpaddq(d, a, b);
    }
  }

  // `bytes` (under 16) at base + off into the low lanes of xmm kPiece, the rest zero: its
  // powers of two, widest first, each into its lane.
  void load_short(int bytes, const Reg64& base, int64_t off) {
    const Xmm piece(kPiece);
    for (int w = 8, at = 0; w >= 1; w /= 2) {
      if ((bytes & w) == 0) continue;
      const Address a = address(base, off + at);
      if (at == 0) {  // zero-extending
        if (w == 8) vmovq(piece, a);
        if (w == 4) vmovd(piece, a);
        if (w == 2) vpinsrw(piece, Xmm(kZero), a, 0);
        if (w == 1) vpinsrb(piece, Xmm(kZero), a, 0);
      } else {
        if (w == 4) vpinsrd(piece, piece, a, static_cast<uint8_t>(at / 4));
        if (w == 2) vpinsrw(piece, piece, a, static_cast<uint8_t>(at / 2));
        if (w == 1) vpinsrb(piece, piece, a, static_cast<uint8_t>(at));
      }
      at += w;
    }
  }

  // The low `bytes` (under 16) of xmm `value` to base + off, powers of two widest first.
  void store_short(int bytes, const Xmm& value, const Reg64& base, int64_t off) {
    for (int w = 8, at = 0; w >= 1; w /= 2) {
      if ((bytes & w) == 0) continue;
      const Address a = address(base, off + at);
      if (w == 8) vmovq(a, value);
      if (w == 4) at == 0 ? vmovd(a, value) : vpextrd(a, value, static_cast<uint8_t>(at / 4));
      if (w == 2) vpextrw(a, value, static_cast<uint8_t>(at / 2));
      if (w == 1) vpextrb(a, value, static_cast<uint8_t>(at));
      at += w;
    }
  }

  // Accumulator `acc` += the piece of `width` bytes at base + off, read as `loaded` bytes (the
  // width, or the power of two above it where the walk proved those bytes inside the patch).
  void add_piece(int acc, int width, int loaded, const Reg64& base, int64_t off) {
    if (half_) {  // in float lanes, rounded to half after the add
      const Xmm sum = vreg(acc, 2 * width), piece = vreg(kPiece, 2 * width);
      if (2 * loaded == register_bytes(2 * width)) {
        vcvtph2ps(piece, address(base, off));  // exactly the register's halves
      } else {
        load_short(loaded, base, off);
        vcvtph2ps(piece, Xmm(kPiece));
      }
      vaddps(sum, sum, piece);
      const Xmm narrow = vreg(kNarrow, width);
      vcvtps2ph(narrow, sum, 0);  // to nearest even
      vcvtph2ps(sum, narrow);
      return;
    }
    const Xmm sum = vreg(acc, width);
    if (loaded >= 16) return add_lanes(sum, sum, address(base, off));
    load_short(loaded, base, off);
    add_lanes(sum, sum, Xmm(kPiece));
  }

  void store_piece(int acc, int width, const Reg64& base, int64_t off) {
    Xmm value = vreg(acc, width);
    if (half_) {
      value = vreg(kNarrow, width);
      vcvtps2ph(value, vreg(acc, 2 * width), 0);
    }
    if (width < 16) return store_short(width, value, base, off);
    if (width == 64) return vmovdqu64(address(base, off), value);
    vmovdqu(address(base, off), value);
  }

  // The mean: every accumulator over s.divisor, in the dtype's float lanes.
  void divide(int accumulators, const FoldSum& s) {
    const bool doubles = g_.dtype == DType::kFloat64 || g_.dtype == DType::kComplex128;
    uint64_t bits = 0;
    if (doubles) {
      const auto d = static_cast<double>(s.divisor);
      std::memcpy(&bits, &d, sizeof d);
    } else {
      const auto f = static_cast<float>(s.divisor);
      uint32_t b;
      std::memcpy(&b, &f, sizeof f);
      bits = b;
    }
    mov(r15, bits);
    vmovq(Xmm(kDivisor), r15);
    if (doubles && avx512_) {
      vbroadcastsd(Xbyak::Zmm(kDivisor), Xmm(kDivisor));
    } else if (doubles) {
      vbroadcastsd(Xbyak::Ymm(kDivisor), Xmm(kDivisor));
    } else if (avx512_) {
      vbroadcastss(Xbyak::Zmm(kDivisor), Xmm(kDivisor));
    } else {
      vbroadcastss(Xbyak::Ymm(kDivisor), Xmm(kDivisor));
    }
    const auto np = static_cast<int>(s.pieces.size());
    for (int a = 0; a < accumulators; ++a) {
      const int width = s.pieces[static_cast<size_t>(a % np)].width * (half_ ? 2 : 1);
      const Xmm sum = vreg(a, width);
      if (doubles) {
        vdivpd(sum, sum, vreg(kDivisor, width));
      } else {
        vdivps(sum, sum, vreg(kDivisor, width));
      }
    }
  }

  const FoldPlan& plan_;
  const Geometry& g_;
  const bool avx512_, half_, floating_;
  const std::array<Pointers, 3> levels_;
  std::vector<RowLoop> groups_;
  std::vector<Label> guards_;
  Label channel_blocks_;
  Label pool_label_;
  std::vector<std::vector<uint8_t>> pool_;
  std::map<std::string, int64_t> pool_offsets_;  // an entry's bytes: its offset
};

}  // namespace

FoldTarget x86_fold_target(Isa isa) {
  FoldTarget t;
  t.name = std::string(isa_name(isa));
  t.vector_bytes = isa == Isa::kAvx512 ? 64 : 32;
  t.accumulators = 12;
  t.lane_permutes = isa == Isa::kAvx512;  // kAvx512 includes VBMI
  return t;
}

std::string x86_fold_kernel_name(const FoldPlan& plan, Isa isa) {
  std::string signature = signature_name(plan.geometry);  // fold_<dtype>_...
  if (signature.rfind("fold_", 0) == 0) signature.erase(0, 5);
  return cat("fold_", isa_name(isa), "_", signature);
}

Expected<MachineCode> emit_x86_fold(const FoldPlan& plan, Isa isa, size_t max_code_bytes) {
  PJ_RETURN_IF_ERROR(fold_walk_supports(plan));
  if (isa == Isa::kNone) return Internal("emit_x86_fold: no instruction set");
  MachineCode code;
  code.name = x86_fold_kernel_name(plan, isa);
  const FoldTarget target = x86_fold_target(isa);
  const int64_t estimate = fold_operations(plan, target) * kFoldBytesPerOperation + kFoldSkeletonBytes;
  if (static_cast<uint64_t>(estimate) > max_code_bytes) {
    return ResourceExhausted("kernel ", code.name, " would take about ", estimate, " bytes of code, over the limit of ",
                             max_code_bytes);
  }
  try {
    HeapAllocator heap;
    FoldGenerator generator(plan, isa, static_cast<size_t>(estimate), &heap);
    walk_fold(plan, target, generator);
    generator.ready();
    if (generator.getSize() > max_code_bytes) {  // the estimate is close, not a bound
      return ResourceExhausted("kernel ", code.name, " takes ", generator.getSize(), " bytes of code, over the limit of ",
                               max_code_bytes);
    }
    code.bytes.assign(generator.getCode(), generator.getCode() + generator.getSize());
    return code;
  } catch (const OffsetTooFar&) {
    return Unimplemented("kernel ", code.name, " would address patches more than 2 GiB from a pointer; the ",
                         "interpreter's loops run it");
  } catch (const Xbyak::Error& e) {
    return Internal("Xbyak could not encode ", code.name, ": ", e.what());
  }
}

}  // namespace pj
