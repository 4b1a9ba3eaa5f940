// Fold's walk: a FoldPlan as a kernel's structure on a FoldSink, the fold twin of walk.h. The
// kernel gathers, never scatters: each image pixel is one sum, from +0, of its taps' runs in
// ascending output position, held in registers and stored once.
//
// Kernel ABI (codegen/plan/kernel_abi.h): image rows [row_begin, row_end) of the flattened
// (image, row) range. Skeleton (begin_kernel .. end_kernel):
//   t = row_begin; if t >= row_end: done
//   image: b = t / H; r_lo = t - b*H; r_hi = min(H, r_lo + row_end - t)
//          dst_image = image + b*image_step; src_image = patches + b*patches_image_step
//     [torch's fold with channel blocks: each block of channels, then the rest, over all of:
//                                                               begin_channel_blocks .. end_]
//     for each row group (first, count, step) in order:        begin_row_group .. end_row_group
//     [row passes: the row groups of rows with no taps, then the pass groups' output rows,
//      each kernel row's pass onto its image row where the range has it: begin_guard .. end_]
//       its members m with first + m*step in [r_lo, r_hi): Row pointers
//         dst_image + (first + m*step)*row_step and src_image + src_first + m*src_step
//         for each column group: its pixels (loops at kPixel, and kBlock inside long pixels);
//           or, where the plan sums lanes, the row's vectors (a loop at kPixel over the
//           vectors whose runs repeat, one LaneRow::period further each time);
//           or, where a sum is a channel's run of the group's columns (torch's fold), its
//           channels, each such a "pixel" (its run the group's columns)
//   t += r_hi - r_lo; if t < row_end: next image
// Every tap is a constant offset from a level's src pointer (its patch row and column are the
// group's first, stepped along by the loops), every store one from its dst pointer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codegen/lower/walk.h"
#include "codegen/plan/fold_plan.h"
#include "codegen/plan/status.h"

namespace pj {

// What a fold emitter offers the walk.
struct FoldTarget {
  std::string name;       // "avx512", "avx2": in kernel names
  int vector_bytes = 32;  // widest register
  int accumulators = 12;  // registers that hold partial sums at once
  // Permutes of two 64-byte sources in lanes of 1, 2, 4 and 8 bytes (AVX-512 with VBMI): the
  // walk sums rows in vectors of lanes where the plan chose it (FoldPlan::sums_lanes).
  bool lane_permutes = false;
};

// `width` bytes at `offset` in every pixel: loaded from each tap, added, stored. A power of two
// (1 to a vector; half: 2 to half a vector, its float lanes filling up to a vector), or a whole
// pixel under 16 bytes; a run that is not a sum of such pieces ends with one that overlaps the
// piece before it (each lane's sum is the same in both). `wide`: the power of two at least
// `width`, what a load reads where FoldSum::wide allows (lanes past `width` are summed and never
// stored), one load instead of one a power of two.
struct FoldPiece {
  int64_t offset = 0;
  int width = 0, wide = 0;
};

// One sum: `pixels` pixels (each dst_step and src_step further than the one before) of every
// piece, each from +0 adding the runs at src + tap for every tap in order; with divisor > 1
// (mode mean) divided by it; then stored at dst. Every (pixel, piece) is one accumulator.
struct FoldSum {
  std::vector<FoldPiece> pieces;
  int pixels = 1;
  int64_t dst_step = 0, src_step = 0;
  std::vector<int64_t> taps;
  // Per tap: whether its pieces may be read `wide` (the bytes past the run lie in its patch).
  std::vector<bool> wide;
  int64_t divisor = 0;
  // Row passes (FoldPlan::row_passes): each accumulator starts from the image's partial sum at
  // its store (exactly the sum so far, in any floating-point mode) instead of +0.
  bool from_image = false;
  // Software prefetch this many bytes ahead of every tap's run (FoldPlan::prefetch_bytes, in
  // whole pixels); 0: none.
  int64_t prefetch = 0;
};

// One tap's run (a kernel row of one patch) added to a vector of an image row's lanes: lane l
// of the vector adds lane index[l] of the lanes loaded at src, or nothing where it is -1.
// `loaded`: a whole vector of lanes (the bytes past the run lie in the image's patches), or
// only the lanes used (a masked load: near the end of the patches).
struct FoldLaneRun {
  int64_t src = 0;  // bytes from the level's src
  int loaded = 0;
  std::vector<int16_t> index;
};

// A vector of an image row's lanes (FoldPlan::sums_lanes; LaneRow): from +0, each run added in
// order (row taps ascending in oh, each one's output columns ascending in ow: every lane's adds
// in ascending output position; lanes a run does not reach add the identity, -0 for floats),
// with `divisors` (mode mean: per lane, at least 1) each lane divided, then its first `stored`
// lanes stored at dst.
struct FoldLanes {
  int64_t dst = 0;  // bytes from the level's dst
  int stored = 0;
  bool from_image = false;  // as FoldSum's: from the stored lanes
  std::vector<FoldLaneRun> runs;
  std::vector<int64_t> divisors;
};

// The rows of a row group in this image's share of the range, their Row pointers set.
// With row passes a member is an output row: its row `first + m*step` is its kernel row 0's
// image row (maybe outside the image), and it writes rows reach_lo to reach_hi further: it
// runs where those meet the range.
struct FoldRowGroup {
  int64_t first = 0, count = 0, step = 1;
  int64_t src_first = 0;  // bytes from the image's patches to member 0's src
  int64_t src_step = 0;   // one output row: bytes between members' src
  int64_t reach_lo = 0, reach_hi = 0;
};

class FoldSink {
 public:
  virtual ~FoldSink() = default;
  virtual void begin_kernel() = 0;
  virtual void end_kernel() = 0;
  // `count` (>= 1) passes over the row groups, each over one block of channels: after each, the
  // image's dst and src points move on by dst_step and src_step (for the rest of the image).
  virtual void begin_channel_blocks(int64_t count) = 0;
  virtual void end_channel_blocks(int64_t dst_step, int64_t src_step) = 0;
  virtual void begin_row_group(const FoldRowGroup& group) = 0;
  virtual void end_row_group() = 0;
  // What follows, to end_guard, runs where the member's row + `rows` lies in the range.
  virtual void begin_guard(int64_t rows) = 0;
  virtual void end_guard() = 0;
  // As Sink's (walk.h): `count` (>= 2) iterations, pointers of `level` from `from`.
  virtual void begin_loop(Level level, At from, int64_t count) = 0;
  virtual void end_loop(Level level, int64_t dst_step, int64_t src_step) = 0;
  virtual void sum(At at, const FoldSum& sum) = 0;
  // Vectors of `lane_bytes` lanes, independent sums (their adds may interleave), offsets from
  // the pointers of `level`.
  virtual void sum_lanes(Level level, int lane_bytes, const std::vector<FoldLanes>& vectors) = 0;
};

// Whether the walk (and so the JIT) serves `plan`: pixels summed whole (channels contiguous in
// image and patches: the tf format) or a channel's columns (FoldPlan::sums_channel_rows: torch's
// fold at column stride 1), no bfloat16 (its rounding is the interpreter's), and every offset a
// 32-bit displacement. The reason otherwise.
Status fold_walk_supports(const FoldPlan& plan);

// Drives `sink` through the fold kernel of `plan` (fold_walk_supports must hold).
void walk_fold(const FoldPlan& plan, const FoldTarget& target, FoldSink& sink);

// An upper bound of the loads, adds and stores the kernel emits (sizes its code buffer and
// refuses kernels over the code limit before emitting).
int64_t fold_operations(const FoldPlan& plan, const FoldTarget& target);

// Bytes of machine code per operation fold_operations counts (a load-add with a displacement
// is 6-10 bytes), and for the skeleton: the code size emitters judge a kernel by.
inline constexpr int64_t kFoldBytesPerOperation = 10, kFoldSkeletonBytes = 512;

}  // namespace pj
