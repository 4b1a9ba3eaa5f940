// The Plan: what to copy where, for one signature without its batch size. Every backend runs
// the same Plan; it is data, small and printable (`patchjit info`).
//
// The kernel walks rows: output rows (b, oh) of extract. Row r of image b starts at
//   dst: output + b*dst_image_step + r*dst_row_step
//   src: input  + b*src_image_step + src_origin + r*src_row_step
// and pixel c of the row at + c*dst_pixel_step and + c*src_pixel_step. For extract the source
// point is the pixel's anchor, the input address of its top-left tap (channel 0), which may lie
// outside the image; no step ever touches memory outside it (make_plan proves it).
//
// Rows split into row classes and pixels into column ranges by which taps fall inside the
// image. A Region is one row class x one column range: every pixel in it runs the same
// PixelProgram, whose offsets are relative to the pixel's dst and src points.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codegen/plan/geometry.h"
#include "codegen/plan/pixel_group.h"
#include "codegen/plan/status.h"

namespace pj {

// `count` pieces of `bytes` each: the j-th written at dst + j*dst_stride.
//   Copy:   one piece read from src (count 1)
//   Gather: piece j read from src + j*src_stride (dilated taps, strided channels)
//   Fill:   every piece filled with the pad value (zero bytes: TensorFlow's T(0))
// Pieces are whole elements, so a fill starts on an element boundary.
struct Step {
  enum class Kind : uint8_t { kCopy, kGather, kFill };
  Kind kind = Kind::kCopy;
  int64_t dst = 0;         // offset from the pixel's dst point
  int64_t src = 0;         // offset from the pixel's src point (Copy, Gather)
  int64_t bytes = 0;       // per piece
  int64_t count = 1;       // pieces
  int64_t src_stride = 0;  // Gather: source distance between pieces
  int64_t dst_stride = 0;  // distance between pieces in dst: `bytes` when they are back to back
  bool loop = false;       // Gather: the planner's choice of a run-time loop over pieces
  // Pieces back to back: bytes past each piece's end that one wider move may also write
  // (written again by later pieces of the program) and, copying, read (inside the program's
  // source extent). codegen/plan/spills.h.
  int64_t spill = 0;

  bool contiguous() const { return count == 1 || dst_stride == bytes; }
  int64_t dst_extent() const { return (count - 1) * dst_stride + bytes; }
};

// Steps repeated `rows` times (kernel rows, or channels), each time dst_row_stride and
// src_row_stride further on.
struct Block {
  int64_t rows = 1;
  int64_t dst_row_stride = 0;
  int64_t src_row_stride = 0;
  bool loop = false;  // the planner's choice: a run-time loop over rows instead of unrolling
  std::vector<Step> steps;
};

struct PixelProgram {
  std::vector<Block> blocks;
  int64_t dst_bytes = 0;  // extent written, from the dst point
  // Valid kernel taps: rows [row_lo, row_hi), cols [col_lo, col_hi) (for printing).
  int64_t row_lo = 0, row_hi = 0, col_lo = 0, col_hi = 0;
  // With PlanOptions::group_pixels, for pixels shorter than a vector that a region runs at least
  // group->pixels times in a row: the same steps for that many pixels at once (pixel_group.h).
  std::optional<PixelGroup> group;
};

// Pixels [begin, end) of one row class, all running `program`.
struct Region {
  int64_t begin = 0, end = 0;
  int32_t program = 0;
  // 1, or end - begin when one iteration covers all of them: contiguous pixels fused into one
  // copy (1x1 kernels at stride 1), or a program over a whole output row (patches as columns).
  int64_t pixels_per_iteration = 1;
  // The planner's choice for pixels shorter than a vector: the program's group writes whole
  // groups, and `tail` (a partial group) the last pixels, or else they go one at a time.
  bool grouped = false;
  std::optional<PixelGroup> tail;

  int64_t iterations() const { return (end - begin) / pixels_per_iteration; }
};

// Rows [begin, end), all with the same valid kernel rows.
struct RowClass {
  int64_t begin = 0, end = 0;
  std::vector<Region> regions;
};

struct PlanOptions {
  // Vector width the code-size estimate assumes (64 for AVX-512, 32 for AVX2, 16 otherwise).
  int64_t vector_bytes = 64;
  // Emitted moves allowed in one fully unrolled block; above it, rows become a loop.
  int64_t unroll_budget = 384;
  // Contiguous runs of up to this many bytes are unrolled; longer ones loop over blocks of
  // run_block_bytes, at least eight of them. A loop of a few iterations inside every pixel costs
  // more than the code it saves (its exit is a branch the predictor misses): the 29 MB
  // 8x28x28x128 k3, whose 1536-byte runs were three loops of six 256-byte blocks a pixel, ran
  // 1.25x slower than with the runs unrolled and the rows a loop (1.39 against 1.10 ms, medians
  // of 8 alternating runs on the AMD EPYC VM; the rest of the suite within 2%).
  int64_t max_unrolled_run_bytes = 2048;
  int64_t run_block_bytes = 256;
  // Rows of a block whose one row takes at least this many vector moves are a loop even within
  // the unroll budget: a counter and a branch beside eight moves or more cost little, and the
  // code is one row's (the kernel's compile time follows its code).
  int64_t loop_rows_from_moves = 8;
  // With Plan::rows_inside, where a rows loop sweeps more than planes_from_input_bytes of input
  // (the output rows times the input row step: one channel's input image in the torch format), the
  // steps of a block's row (that channel's taps) share a loop over the rows, up to this many
  // output planes, so each input row serves all of them while it is in L1. A loop a plane reads
  // the sweep once per tap, from L2 when it does not fit L1 beside the output's lines. Measured
  // on the AMD EPYC VM (48 KiB L1), torch format, medians of 3 alternating runs: the stride-2
  // shapes 0.57-0.6x the time (50-200 KB sweeps), shapes whose sweep fits L1 (0.8-16 KB) 1.0-1.7x
  // (more output streams and nothing saved); 64 planes a loop lose to 16 (the stem 1.4x).
  int64_t planes_per_rows_loop = 16;
  int64_t planes_from_input_bytes = 16384;
  // Gathers that fit chunks (gather_fits_chunks) are written 64 bytes at a time by span loads
  // and byte permutes on this target (AVX-512 with VBMI): they cost their chunks in the unroll
  // budget, not a move a piece, so a small budget (LLVM's) does not turn them into loops over
  // elements.
  bool chunk_gathers = false;
  // Store with non-temporal hints (outputs far larger than the last-level cache). Honoured
  // only when every tap is whole 64-byte cache lines (see streamable()); the kernel must then
  // run on 64-byte aligned outputs.
  bool nontemporal = false;
  // Above this many regions the plan is `generic`: executors run per-pixel loops instead.
  int64_t max_regions = 4096;
  // Pixels shorter than 64 bytes may be written several at a time (PixelProgram::group): by
  // byte permutes of one and two sources (AVX-512 VBMI), or, `groups_by_lanes`, by in-lane
  // byte shuffles of 16-byte blocks (AVX2: LaneBlock).
  bool group_pixels = false;
  bool groups_by_lanes = false;
  // One program per pixel in every format, no fused or grouped pixels: the plan of a tile's
  // partial rows (patches as columns otherwise get programs over whole rows).
  bool pixels_only = false;
};

// Whether a gather can be written by 64-byte chunks (codegen/lower/chunks.h): pieces of 1, 2, 4
// or 8 bytes written back to back, spread out in the source, at least four to a 64-byte span.
bool gather_fits_chunks(const Step& s);

// The bytes a loop over a run longer than max_unrolled_run_bytes moves an iteration.
inline int64_t run_block(const PlanOptions& o) {
  return o.run_block_bytes < o.max_unrolled_run_bytes ? o.run_block_bytes : o.max_unrolled_run_bytes;
}

struct Plan {
  Geometry geometry;  // batch is not part of the plan; kernels take it at run time
  PlanOptions options;

  int64_t pixel_bytes = 0;  // dst bytes of one pixel's patch when its elements are back to back
  // The walk, in bytes (see the top of this file).
  int64_t rows_per_image = 0;
  int64_t dst_image_step = 0, dst_row_step = 0, dst_pixel_step = 0;
  int64_t src_image_step = 0, src_row_step = 0, src_pixel_step = 0, src_origin = 0;
  // What one source image spans (its reads stay inside), and each output row.
  int64_t src_image_extent = 0;
  bool whole_rows = false;  // every region is one program over a whole output row
  // The rows of a class innermost (whole-row programs): each group of steps that writes one
  // row's part of one output plane runs over all the class's rows before the next, so that
  // patches as columns fill each plane front to back, as one stream, instead of touching every
  // plane once per output row (a store to a different page each time).
  bool rows_inside = false;
  // With rows_inside: the output planes one rows loop writes at most (PlanOptions::
  // planes_per_rows_loop where the sweep of input is larger than planes_from_input_bytes, else 1).
  int64_t planes_per_rows_loop = 1;

  std::vector<PixelProgram> programs;
  std::vector<RowClass> row_classes;  // cover [0, rows_per_image) in order
  // Too many regions to specialize: no programs; executors run the generic per-pixel loops.
  bool generic = false;

  // Signature name without batch (signature_name), e.g. "e4_56x56x64_k3x3_s1x1_r1x1_same".
  std::string name() const;
  int64_t region_count() const;
};

// Byte range [lo, hi) a program reads relative to its src point, spills included, or lo == hi
// when it reads nothing.
std::pair<__int128, __int128> source_extent(const PixelProgram& program);

// Whether non-temporal stores can serve this geometry: patches as dense rows, each tap a whole
// number of cache lines, so every pixel, run and fill is line-aligned on an aligned output.
bool streamable(const Geometry& g);

// Plans a non-empty geometry. Fails (kInternal) if a step could touch memory outside the input
// image or the output pixel: that is the proof every backend relies on.
Expected<Plan> make_plan(const Geometry& geometry, const PlanOptions& options = {});

// What a kernel of this plan would take, estimated without emitting anything: an upper bound of
// its machine code (a vector move about 16 bytes, a loop about 48, a region about 64) and its
// run-time loops. Backends choose loops or the interpreter from it before spending time on a
// kernel too large to keep (LLVM's time grows with both).
struct CodeEstimate {
  int64_t bytes = 0;
  int64_t loops = 0;
};
CodeEstimate estimate_code(const Plan& plan);

// The most code a backend will make for one kernel, in the estimate's terms.
struct CodeBudget {
  int64_t bytes = 0;
  int64_t loops = 0;
  const char* name = "budget";  // says whose, in messages: "llvm budget"
};

// The options of the plan with the least code: every multi-row block and gather a loop, and runs
// longer than four vectors.
PlanOptions smallest_code(PlanOptions options);

// make_plan(geometry, options) if its estimate is within `budget`, else the plan of
// smallest_code(options) if that is; else kResourceExhausted: "kernel <prefix><name> would take
// about N bytes of code and L loops, over the <budget> of B bytes and M loops". Generic plans are
// returned as they are (they have no code to estimate).
Expected<Plan> make_plan_within(const Geometry& geometry, const PlanOptions& options, const CodeBudget& budget,
                                std::string_view kernel_prefix);

// Full check, for tests: in bounds, every output byte of every region written exactly once, and
// every copied byte read from the element the rule names (docs/SEMANTICS.md §4, §8).
Status verify_plan(const Plan& plan);

// Human-readable plan, as `patchjit info` prints it.
std::string to_string(const Plan& plan);

}  // namespace pj
