// The Xbyak emitter. One generator serves AVX-512 and AVX2: the vector width is a parameter.
//
// Kernel layout (System V: rdi = const KernelArgs*):
//   prologue: t = row_begin; b, r = divmod(t, out_rows); output row and anchor row pointers
//   class k:  while r < end_k: each region of the class (a column loop around the fully
//             unrolled pixel program), then advance to the next output row
//   after the last class: next image (r = 0), back to class 0
//
// Pixel programs are emitted one of two ways:
//   by chunks (AVX-512, see chunks.h): each 64-byte chunk of the pixel's output assembled in a
//     register, then written with one store. Fewer stores than one per run: on this machine
//     the number of store operations per cache line, not the bytes, limits short runs.
//   by runs (AVX2, programs with run-time loops or short pieces): each run as full vectors, its tail as one
//     vector overlapping the previous one (the same bytes rewritten with the same values),
//     runs shorter than a vector as two overlapping narrower moves.
#include "codegen/xbyak/emitter.h"

#include <xbyak/xbyak.h>

#include "codegen/xbyak/chunks.h"

#include <algorithm>
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
      : Xbyak::CodeGenerator(size, buffer), plan_(plan), isa_(isa), vector_(isa == Isa::kAvx512 ? 64 : 32),
        nontemporal_(plan.options.nontemporal) {}

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

  // Vector register for data, rotating so independent chunks overlap in the pipeline.
  int next_vector() { return rotation_++ % 8; }

  // A register of zeros, below 16 so that VEX (xmm/ymm) stores can name it too.
  static constexpr int zero_index() { return 15; }

  // A full vector store, non-temporal where the plan asks. The plan streams only when every
  // tap is whole cache lines, so every store is then a full vector at an aligned offset (no
  // cache line ever mixes streaming and cached stores, which costs 100x here).
  void store_vector(const Reg64& db, int64_t doff, int reg) {
    const bool nt = nontemporal_;
    if (vector_ == 64) {
      if (nt) vmovntdq(at(db, doff), Xbyak::Zmm(reg));
      else vmovdqu64(at(db, doff), Xbyak::Zmm(reg));
    } else {
      if (nt) vmovntdq(at(db, doff), Xbyak::Ymm(reg));
      else vmovdqu(at(db, doff), Xbyak::Ymm(reg));
    }
  }

  // ---- by runs ----

  // One move of w bytes (64, 32, 16, 8, 4, 2, 1).
  void move(int w, const Reg64& db, int64_t doff, const Reg64& sb, int64_t soff) {
    const int v = next_vector();
    if (w == vector_) {
      if (w == 64) vmovdqu64(Xbyak::Zmm(v), at(sb, soff));
      else vmovdqu(Xbyak::Ymm(v), at(sb, soff));
      store_vector(db, doff, v);
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
    if (w == vector_) {
      store_vector(db, doff, zero_index());
    } else if (w == 32) {
      vmovdqu(at(db, doff), Xbyak::Ymm(zero_index()));
    } else if (w == 16) {
      vmovdqu(at(db, doff), Xbyak::Xmm(zero_index()));
    } else {
      const Xbyak::RegExp e = at(db, doff).getRegExp();
      if (w == 8) mov(qword[e], 0);
      else if (w == 4) mov(dword[e], 0);
      else if (w == 2) mov(word[e], 0);
      else mov(byte[e], 0);
    }
  }

  // n bytes in full vectors, the remainder as one vector overlapping the previous one; below a
  // vector, the widest power of two w <= n and one overlapping move of w for the rest (n < 2w).
  void copy_vectors(const Reg64& db, int64_t doff, const Reg64& sb, int64_t soff, int64_t n) {
    if (n < vector_) {
      int w = 32;
      while (w > n) w /= 2;
      move(w, db, doff, sb, soff);
      if (n > w) move(w, db, doff + n - w, sb, soff + n - w);
      return;
    }
    int64_t i = 0;
    for (; i + vector_ <= n; i += vector_) move(vector_, db, doff + i, sb, soff + i);
    if (i < n) move(vector_, db, doff + n - vector_, sb, soff + n - vector_);
  }
  void zero_vectors(const Reg64& db, int64_t doff, int64_t n) {
    if (n < vector_) {
      int w = 32;
      while (w > n) w /= 2;
      store_zero(w, db, doff);
      if (n > w) store_zero(w, db, doff + n - w);
      return;
    }
    int64_t i = 0;
    for (; i + vector_ <= n; i += vector_) store_zero(vector_, db, doff + i);
    if (i < n) store_zero(vector_, db, doff + n - vector_);
  }

  // Runs longer than the planner's limit loop over blocks of that size; the rest ends at the
  // run's end (a partial vector reaches back into the same run).
  int64_t run_block() const { return plan_.options.max_unrolled_run_bytes / vector_ * vector_; }

  void copy_run(const Reg64& db, int64_t doff, const Reg64& sb, int64_t soff, int64_t n) {
    const int64_t block = run_block();
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
    if (const int64_t rest = n % block; rest > 0) {
      const int64_t tail = std::max<int64_t>(rest, vector_);
      copy_vectors(chunk_dst_, rest - tail, chunk_src_, rest - tail, tail);
    }
  }

  void zero_run(const Reg64& db, int64_t doff, int64_t n) {
    const int64_t block = run_block();
    if (n <= plan_.options.max_unrolled_run_bytes || block < vector_) return zero_vectors(db, doff, n);
    lea_off(chunk_dst_, db, doff);
    mov(chunks_, n / block);
    Label loop;
    L(loop);
    zero_vectors(chunk_dst_, 0, block);
    add_imm(chunk_dst_, block);
    dec(chunks_);
    jnz(loop, T_NEAR);
    if (const int64_t rest = n % block; rest > 0) {
      const int64_t tail = std::max<int64_t>(rest, vector_);
      zero_vectors(chunk_dst_, rest - tail, tail);
    }
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
          break;
        }
        lea_off(chunk_dst_, db, doff + s.dst);
        lea_off(chunk_src_, sb, soff + s.src);
        mov(chunks_, s.count);
        {
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

  void emit_by_runs(const PixelProgram& program) {
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

  // ---- by chunks (AVX-512) ----

  // An opmask holding `lanes`: one of k1-k7 preloaded for the kernel, or k7 loaded now.
  Xbyak::Opmask mask(uint64_t lanes) {
    auto it = preloaded_masks_.find(lanes);
    if (it != preloaded_masks_.end()) return Xbyak::Opmask(it->second);
    mov(big_, lanes);
    kmovq(k7, big_);
    return k7;
  }

  void emit_load(const ChunkLoad& load, int reg, bool first) {
    const Xbyak::Zmm z(reg);
    if (load.permute < 0 && load.lanes == ~uint64_t{0}) {
      vmovdqu64(z, at(src_, load.src));
      return;
    }
    if (load.permute < 0) {
      const Xbyak::Opmask k = mask(load.lanes);
      if (first) vmovdqu8(z | k | T_z, at(src_, load.src));  // lanes no load fills are zeros
      else vmovdqu8(z | k, at(src_, load.src));
      return;
    }
    // A gather: its span in one masked load, its elements put in place by one byte permute.
    const Xbyak::Zmm span(16 + scratch_++ % 8);
    const Xbyak::Opmask span_mask = mask(load.span_lanes);
    vmovdqu8(span | span_mask | T_z, at(src_, load.src));
    Xbyak::Zmm index(24 + load.permute);
    if (load.permute >= kPreloadedPermutes) {
      index = Xbyak::Zmm(16 + scratch_++ % 8);
      vmovdqu64(index, ptr[rip + permute_pool_ + 64 * load.permute]);
    }
    const Xbyak::Opmask k = mask(load.lanes);
    if (first) vpermb(z | k | T_z, index, span);
    else vpermb(z | k, index, span);
  }

  // A chunk's `bytes` (64, or fewer at the end of a pixel or group) from register `reg`.
  void store_chunk(int64_t dst, int64_t bytes, int reg) {
    if (bytes == 64) return store_vector(dst_, dst, reg);
    const Xbyak::Opmask k = mask(lane_mask(0, bytes));  // before at(): both may use big_
    vmovdqu8(at(dst_, dst) | k, Xbyak::Zmm(reg));
  }

  void emit_by_chunks(const std::vector<Chunk>& chunks) {
    for (const Chunk& c : chunks) {
      const int reg = c.loads.empty() ? zero_index() : next_vector();
      for (size_t i = 0; i < c.loads.size(); ++i) emit_load(c.loads[i], reg, i == 0);
      store_chunk(c.dst, c.bytes, reg);
    }
  }

  bool by_chunks(const PixelProgram& p) const { return isa_ == Isa::kAvx512 && chunkable(p, plan_.options); }

  // Whether `region` runs its program's pixel group (the rest of its pixels one at a time).
  bool grouped(const Region& region) const {
    const PixelProgram& p = plan_.programs[region.program];
    return isa_ == Isa::kAvx512 && p.group && region.pixels_per_iteration == 1 &&
           region.iterations() >= p.group->pixels;
  }

  // Lays out the chunks of every program that is emitted by chunks, and the windows of every
  // pixel group a region runs (and so the permute table).
  void plan_chunks() {
    for (const RowClass& rc : plan_.row_classes) {
      for (const Region& region : rc.regions) {
        const PixelProgram& p = plan_.programs[region.program];
        if (grouped(region)) {  // first, so that group permutes are the ones preloaded
          add_group(region.program, *p.group);
          const int64_t rest = region.iterations() % p.group->pixels;
          if (rest == 0) continue;  // the one-pixel code never runs in this region
          if (std::optional<PixelGroup> tail = group_pixels(p, plan_.in_pixel_step, rest)) {
            add_group(region.program, *tail);
            continue;
          }
        }
        if (by_chunks(p) && !chunked_.count(region.program)) chunked_[region.program] = chunks_of(p, &permutes_);
      }
    }
  }

  // ---- pixel groups (codegen/plan/pixel_group.h) ----

  // Window w of a group lives in zmm16+2w (its first 64 bytes) and zmm17+2w; parts are
  // permuted in the chunk's register or in zmm22/23. A window's loads stop at its last byte.
  void load_windows(const PixelGroup& group) {
    for (size_t w = 0; w < group.windows.size(); ++w) {
      const GroupWindow& window = group.windows[w];
      const Xbyak::Zmm low(16 + 2 * static_cast<int>(w)), high(17 + 2 * static_cast<int>(w));
      if (window.bytes < 64) {
        const Xbyak::Opmask k = mask(lane_mask(0, window.bytes));
        vmovdqu8(low | k | T_z, at(src_, window.src));
        continue;
      }
      vmovdqu64(low, at(src_, window.src));
      if (window.bytes == 64) {
        vpxord(high, high, high);
        continue;
      }
      const Xbyak::Opmask k = mask(lane_mask(0, window.bytes - 64));
      vmovdqu8(high | k | T_z, at(src_, window.src + 64));
    }
  }

  // A group of `program` with its permutes in the table (once for each size a region uses).
  struct EmittedGroup {
    PixelGroup group;
    std::vector<int32_t> permutes;  // each part's, in order
  };
  void add_group(int32_t program, const PixelGroup& group) {
    auto [it, added] = groups_.try_emplace({program, group.pixels}, EmittedGroup{group, {}});
    if (!added) return;
    for (const GroupChunk& c : group.chunks) {
      for (const GroupPart& part : c.parts) it->second.permutes.push_back(permutes_.add(part.index));
    }
  }
  const EmittedGroup* find_group(int32_t program, int64_t pixels) const {
    auto it = groups_.find({program, pixels});
    return it == groups_.end() ? nullptr : &it->second;
  }

  // The permute index of a part: preloaded for the kernel (zmm24-31), for the region (zmm4-14,
  // see load_group_indices), or none (-1: it is loaded where used).
  int index_register(int32_t id) const {
    if (id < kPreloadedPermutes) return 24 + id;
    auto it = group_indices_.find(id);
    return it == group_indices_.end() ? -1 : it->second;
  }

  // Before a region's group loop: the group's other indices into zmm4-14, which only group code
  // uses while the loop runs (its chunks rotate over zmm0-3). Index loads would otherwise be a
  // load per part, and loads are what a group's time goes to.
  void load_group_indices(const EmittedGroup& emitted) {
    group_indices_.clear();
    int next = 4;
    for (int32_t id : emitted.permutes) {
      if (next > 14) break;
      if (index_register(id) >= 0) continue;
      group_indices_[id] = next;
      vmovdqu64(Xbyak::Zmm(next++), ptr[rip + permute_pool_ + 64 * id]);
    }
  }

  void emit_group(const EmittedGroup& emitted) {
    const PixelGroup& group = emitted.group;
    load_windows(group);
    size_t next = 0;
    for (const GroupChunk& c : group.chunks) {
      const int reg = c.parts.empty() ? zero_index() : rotation_++ % 4;
      for (size_t i = 0; i < c.parts.size(); ++i) {
        const int w = c.parts[i].window;
        const int32_t id = emitted.permutes[next++];
        const int known = index_register(id);
        const Xbyak::Zmm t = i == 0 ? Xbyak::Zmm(reg) : Xbyak::Zmm(21 + static_cast<int>(i));  // zmm22, zmm23
        const Xbyak::Zmm low(16 + 2 * w), high(17 + 2 * w);
        if (group.windows[static_cast<size_t>(w)].bytes < 64) {
          if (known >= 0) {
            vpermb(t, Xbyak::Zmm(known), low);
          } else {
            vmovdqu64(t, ptr[rip + permute_pool_ + 64 * id]);
            vpermb(t, t, low);
          }
          continue;
        }
        // Two sources: vpermi2b overwrites its index, so the index goes into t first.
        if (known >= 0) vmovdqa64(t, Xbyak::Zmm(known));
        else vmovdqu64(t, ptr[rip + permute_pool_ + 64 * id]);
        vpermi2b(t, low, high);
      }
      // Parts fill disjoint lanes and zeros elsewhere: OR them.
      if (c.parts.size() == 2) vporq(Xbyak::Zmm(reg), Xbyak::Zmm(reg), Xbyak::Zmm(22));
      if (c.parts.size() == 3) vpternlogq(Xbyak::Zmm(reg), Xbyak::Zmm(22), Xbyak::Zmm(23), 0xfe);
      store_chunk(c.dst, c.bytes, reg);
    }
  }

  // `count` iterations of `body`, each moving the pixel pointers on by `pixels` pixels.
  template <typename Body>
  void pixel_loop(int64_t count, int64_t pixels, const Body& body) {
    if (count <= 0) return;
    Label loop;
    if (count > 1) {
      mov(cols_, count);
      L(loop);
    }
    body();
    add_imm(dst_, plan_.pixel_bytes * pixels);
    add_imm(src_, plan_.in_pixel_step * pixels);
    if (count > 1) {
      dec(cols_);
      jnz(loop, T_NEAR);
    }
  }

  void emit_program(int32_t index) {
    auto it = chunked_.find(index);
    if (it != chunked_.end()) emit_by_chunks(it->second);
    else emit_by_runs(plan_.programs[index]);
  }

  void emit_region(const Region& region) {
    lea_off(dst_, out_row_, region.begin * plan_.pixel_bytes);
    lea_off(src_, anchor_row_, region.begin * plan_.in_pixel_step);
    if (grouped(region)) {
      const int64_t pixels = plan_.programs[region.program].group->pixels, rest = region.iterations() % pixels;
      const EmittedGroup& whole = *find_group(region.program, pixels);
      load_group_indices(whole);
      pixel_loop(region.iterations() / pixels, pixels, [&] { emit_group(whole); });
      const EmittedGroup* tail = find_group(region.program, rest);
      group_indices_.clear();
      if (tail != nullptr) return emit_group(*tail);
      pixel_loop(rest, 1, [&] { emit_program(region.program); });
      return;
    }
    if (region.iterations() == 1) return emit_program(region.program);
    mov(cols_, region.iterations());
    Label loop;
    L(loop);
    emit_program(region.program);
    add_imm(dst_, plan_.pixel_bytes * region.pixels_per_iteration);
    add_imm(src_, plan_.in_pixel_step * region.pixels_per_iteration);
    dec(cols_);
    jnz(loop, T_NEAR);
  }

  // The seven most used partial masks of the kernel, weighted by how often they run, stay in
  // k1-k7; if there are more, k7 is left for loading the others where they are used. The first
  // byte permutes stay in zmm24-31.
  void preload_constants() {
    if (isa_ != Isa::kAvx512) return;
    std::map<uint64_t, int64_t> uses;
    for (const RowClass& rc : plan_.row_classes) {
      for (const Region& region : rc.regions) {
        if (grouped(region)) {
          const int64_t pixels = plan_.programs[region.program].group->pixels, rows = rc.end - rc.begin;
          for (int64_t n : {pixels, region.iterations() % pixels}) {
            const EmittedGroup* g = find_group(region.program, n);
            if (g == nullptr) continue;
            const int64_t runs = rows * (n == pixels ? region.iterations() / pixels : 1);
            for (const GroupWindow& w : g->group.windows) {
              if (w.bytes != 64) uses[lane_mask(0, w.bytes < 64 ? w.bytes : w.bytes - 64)] += runs;
            }
            if (g->group.chunks.back().bytes < 64) uses[lane_mask(0, g->group.chunks.back().bytes)] += runs;
          }
        }
        auto it = chunked_.find(region.program);
        if (it == chunked_.end()) continue;
        int64_t alone = region.iterations();  // pixels the one-pixel code writes
        if (grouped(region)) {
          const int64_t rest = alone % plan_.programs[region.program].group->pixels;
          alone = rest == 0 || find_group(region.program, rest) ? 0 : rest;
        }
        const int64_t runs = (rc.end - rc.begin) * alone;
        for (const Chunk& c : it->second) {
          for (const ChunkLoad& load : c.loads) {
            if (load.lanes != ~uint64_t{0} || load.permute >= 0) uses[load.lanes] += runs;
            if (load.permute >= 0) uses[load.span_lanes] += runs;
          }
          if (c.bytes < 64) uses[lane_mask(0, c.bytes)] += runs;
        }
      }
    }
    std::vector<std::pair<int64_t, uint64_t>> ranked;  // (uses, lanes)
    for (auto [lanes, count] : uses) ranked.push_back({count, lanes});
    std::sort(ranked.rbegin(), ranked.rend());
    const size_t kept = ranked.size() <= 7 ? ranked.size() : 6;
    for (size_t i = 0; i < kept; ++i) {
      const int k = static_cast<int>(i) + 1;
      mov(big_, ranked[i].second);
      kmovq(Xbyak::Opmask(k), big_);
      preloaded_masks_[ranked[i].second] = k;
    }
    const int permutes = static_cast<int>(permutes_.entries().size());
    for (int i = 0; i < std::min(permutes, kPreloadedPermutes); ++i) {
      vmovdqu64(Xbyak::Zmm(24 + i), ptr[rip + permute_pool_ + 64 * i]);
    }
  }

  // The byte permutes, after the code.
  void emit_permute_pool() {
    if (permutes_.entries().empty()) return;
    align(64);
    L(permute_pool_);
    for (const auto& index : permutes_.entries()) {
      for (uint8_t byte : index) db(byte);
    }
  }

  static constexpr int kPreloadedPermutes = 8;  // in zmm24-31

  const Plan& plan_;
  const Isa isa_;
  const int vector_;
  const bool nontemporal_;
  int rotation_ = 0;
  int scratch_ = 0;  // rotation over zmm16-23 for spans and permutes loaded on use
  std::map<uint64_t, int> preloaded_masks_;
  std::map<int32_t, std::vector<Chunk>> chunked_;  // programs emitted by chunks
  std::map<std::pair<int32_t, int64_t>, EmittedGroup> groups_;  // by program and pixels
  std::map<int32_t, int> group_indices_;  // permute id -> zmm4-14, while a group loop is emitted
  PermuteTable permutes_;
  Label permute_pool_;
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
    vpxord(Xbyak::Zmm(zero_index()), Xbyak::Zmm(zero_index()), Xbyak::Zmm(zero_index()));
  } else {
    vpxor(Xbyak::Ymm(zero_index()), Xbyak::Ymm(zero_index()), Xbyak::Ymm(zero_index()));
  }
  plan_chunks();
  preload_constants();

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
  if (nontemporal_) sfence();  // non-temporal stores are weakly ordered: publish them
  vzeroupper();
  add(rsp, 8);
  for (const Reg64& r : {r15, r14, r13, r12, rbp, rbx}) pop(r);
  ret();
  emit_permute_pool();
}

}  // namespace

PlanOptions plan_options_for(Isa isa) {
  PlanOptions options;
  options.vector_bytes = isa == Isa::kAvx512 ? 64 : 32;
  options.group_pixels = isa == Isa::kAvx512;  // byte permutes of one and two sources (VBMI)
  return options;
}

Expected<MachineCode> emit_x86(const Plan& plan, Isa isa, const EmitOptions& options) {
  if (plan.generic) return Internal("emit_x86: generic plans have no regions to emit");
  if (isa == Isa::kNone) return Internal("emit_x86: no instruction set");
  MachineCode code;
  code.name = cat("eip_", isa_name(isa), "_", plan.name(), plan.options.nontemporal ? "_nt" : "");
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
