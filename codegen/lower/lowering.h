// Lowering: a Plan and a target's capabilities -> every decision an emitter needs, as data,
// before any code is emitted (as oneDNN computes its conf before generate()): which programs are
// written by chunks and their chunk layouts, which permute indices and masks stay in registers,
// the pad pattern. walk() (codegen/lower/walk.h) then drives an emitter through the kernel;
// emitters decide nothing.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "codegen/lower/chunks.h"
#include "codegen/plan/plan.h"

namespace pj {

// What an emitter's instruction set offers the walk.
struct Target {
  std::string name;         // "avx512", "avx2", "llvm": in kernel names
  int vector_bytes = 32;    // widest vector register
  int max_move_bytes = 32;  // widest single move the emitter takes (LLVM: two vectors)
  // 64-byte chunks assembled in a register from masked loads and byte permutes, then stored
  // once (AVX-512 BW/VBMI: the Xbyak emitter, and the LLVM one where it has byte permutes):
  // codegen/lower/chunks.h.
  bool chunks = false;
  // Registers an emitter keeps constants in across the kernel and a group loop: byte-permute
  // indices (kernel-wide, then per group loop) and lane masks.
  int preloaded_permutes = 0;
  int group_held_permutes = 0;
  int mask_registers = 0;
  // Rows copies (Sink::begin_rows_copy): a copy of all the class's rows at once, when the rows
  // of a segment are back to back in input and output.
  bool rows_copies = false;
  // Gathers of whole-row programs written as groups by lanes (AVX2 in the Xbyak emitter:
  // gather_by_lanes in codegen/plan/pixel_group.h), through Sink::group.
  bool lane_gathers = false;
};

// A pixel group as it is emitted: the group, and each of its parts' permute in the table.
struct LoweredGroup {
  const PixelGroup* group = nullptr;
  std::vector<int32_t> permutes;  // each part's, in chunk and part order (by lanes: each block's)
  // Permutes held in registers while a loop of this group runs (beyond the kernel-wide ones).
  std::vector<int32_t> held;
};

struct LoweredProgram {
  bool by_chunks = false;
  std::vector<Chunk> chunks;
};

struct LoweredRegion {
  const LoweredGroup* whole = nullptr;  // grouped regions: the group, and the tail if any
  const LoweredGroup* tail = nullptr;
};

// Long runs whose stores would straddle cache lines are written by stores aligned at run time
// (walk.cc: a vector at the start, then from the first aligned address on): 64-byte stores
// that straddle two lines cost twice aligned ones. Measured on the Intel Xeon VM, copying runs
// into 1.5 MB: 1032-byte runs 88 -> 53 us, 3640-byte 85 -> 54 us, 264-byte 110 -> 85 us; from
// 432 bytes down no gain; so from four vectors on, and only where some run's offset in the
// output is not a whole number of vectors (on a 64-byte aligned output the others are aligned
// already). Never with non-temporal stores, which are aligned throughout.
struct AlignedRuns {
  int64_t from_bytes = 0;  // 0: never
  int64_t unroll = 4;      // aligned vectors per loop iteration
  bool applies(int64_t bytes) const { return from_bytes > 0 && bytes >= from_bytes; }
};

struct Lowering {
  // Move-only: lane_gathers point into lane_gather_groups (map nodes move with the map).
  Lowering() = default;
  Lowering(Lowering&&) = default;
  Lowering& operator=(Lowering&&) = default;
  Lowering(const Lowering&) = delete;
  Lowering& operator=(const Lowering&) = delete;

  const Plan* plan = nullptr;
  Target target;
  AlignedRuns aligned_runs;
  std::vector<LoweredProgram> programs;                        // by plan program index
  std::vector<std::vector<LoweredRegion>> regions;             // by row class, then region
  std::map<std::pair<int32_t, int64_t>, LoweredGroup> groups;  // by program and pixels
  // Whole-row programs on chunk targets: the chunks of their chunkable gathers (strided output
  // rows), relative to the step, by the step's (bytes, count, src_stride).
  std::map<std::tuple<int64_t, int64_t, int64_t>, std::vector<Chunk>> gathers;
  const std::vector<Chunk>* gather_chunks_of(const Step& step) const;
  // Whole-row programs on lane-gather targets: their gathers as groups by lanes, likewise.
  std::map<std::tuple<int64_t, int64_t, int64_t>, PixelGroup> lane_gather_groups;
  std::map<std::tuple<int64_t, int64_t, int64_t>, LoweredGroup> lane_gathers;
  const LoweredGroup* lane_gather_of(const Step& step) const;
  PermuteTable permutes;
  // Lane masks kept in mask registers for the whole kernel, most used first.
  std::vector<uint64_t> preloaded_masks;
  // The pad value repeated over a vector (element boundaries at multiples of the element size).
  std::array<uint8_t, 64> pattern{};
  bool zero_pattern = true;

  int preloaded_permute_count() const {
    return std::min<int>(target.preloaded_permutes, static_cast<int>(permutes.entries().size()));
  }
};

// Every decision for emitting `plan` on `target`. The plan must outlive the result.
Lowering lower(const Plan& plan, const Target& target);

}  // namespace pj
