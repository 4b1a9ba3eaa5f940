// The Plan: what to copy where, for one signature without its batch size. Every backend runs
// the same Plan; it is data, small and printable.
//
// Output pixel (b, r, c) is P = patch_depth * elem_size bytes at
//   output + (b*out_rows + r)*out_row_bytes + c*P.
// Its anchor is the input address of its top-left tap,
//   input + b*in_image_bytes + anchor_origin + r*in_row_step + c*in_pixel_step,
// which may lie outside the image; no step ever touches memory outside it (make_plan proves it).
//
// Output rows split into row classes and output columns into column ranges by which taps fall
// inside the image. A Region is one row class x one column range: every pixel in it runs the
// same PixelProgram, whose offsets are relative to the pixel's output address and anchor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codegen/plan/geometry.h"
#include "codegen/plan/pixel_group.h"
#include "codegen/plan/status.h"

namespace pj {

// A contiguous run of output bytes, filled from the input or with zeros.
//   Copy:   dst[0, bytes) <- src[0, bytes)
//   Gather: count pieces of `bytes` each, read every `src_stride` bytes, written back to back
//           (dilated columns: rate_cols > 1)
//   Zero:   dst[0, bytes) <- 0 (padding; zero bytes are TensorFlow's T(0) for every dtype)
struct Step {
  enum class Kind : uint8_t { kCopy, kGather, kZero };
  Kind kind = Kind::kCopy;
  int64_t dst = 0;         // offset from the pixel's output address
  int64_t src = 0;         // offset from the pixel's anchor (Copy, Gather)
  int64_t bytes = 0;       // Copy/Zero: length; Gather: bytes per piece
  int64_t count = 1;       // Gather: pieces; 1 otherwise
  int64_t src_stride = 0;  // Gather: source distance between pieces
  bool loop = false;       // Gather: the planner's choice of a run-time loop over pieces

  int64_t dst_bytes() const { return bytes * count; }
};

// Steps repeated for `rows` kernel rows, each row dst_row_stride and src_row_stride further on.
struct Block {
  int64_t rows = 1;
  int64_t dst_row_stride = 0;
  int64_t src_row_stride = 0;
  bool loop = false;  // the planner's choice: a run-time loop over rows instead of unrolling
  std::vector<Step> steps;
};

struct PixelProgram {
  std::vector<Block> blocks;
  int64_t dst_bytes = 0;  // bytes written: P, or n*P for a fused region
  // Valid kernel taps: rows [row_lo, row_hi), cols [col_lo, col_hi) (for printing).
  int64_t row_lo = 0, row_hi = 0, col_lo = 0, col_hi = 0;
  // With PlanOptions::group_pixels, for pixels shorter than a vector that a region runs at least
  // group->pixels times in a row: the same steps for that many pixels at once (pixel_group.h).
  std::optional<PixelGroup> group;
};

// Output columns [begin, end) of one row class, all running `program`.
struct Region {
  int64_t begin = 0, end = 0;
  int32_t program = 0;
  // 1, or end - begin when the pixels form one contiguous copy (e.g. 1x1 kernels at stride 1):
  // the program then covers all of them in a single iteration.
  int64_t pixels_per_iteration = 1;

  int64_t iterations() const { return (end - begin) / pixels_per_iteration; }
};

// Output rows [begin, end), all with the same valid kernel rows.
struct RowClass {
  int64_t begin = 0, end = 0;
  std::vector<Region> regions;
};

struct PlanOptions {
  // Vector width the code-size estimate assumes (64 for AVX-512, 32 for AVX2, 16 otherwise).
  int64_t vector_bytes = 64;
  // Emitted moves allowed in one fully unrolled block; above it, rows become a loop.
  int64_t unroll_budget = 384;
  // Contiguous runs longer than this are emitted as a loop over runs of this many bytes.
  int64_t max_unrolled_run_bytes = 2048;
  // Store with non-temporal hints (outputs far larger than the last-level cache). Honoured
  // only when every tap is whole 64-byte cache lines (see streamable()); the kernel must then
  // run on 64-byte aligned outputs.
  bool nontemporal = false;
  // Above this many regions the plan is `generic`: executors run per-pixel loops instead.
  int64_t max_regions = 4096;
  // Backends with 64-byte vectors and two-source byte permutes: pixels shorter than a vector
  // may be written several at a time (PixelProgram::group).
  bool group_pixels = false;
};

struct Plan {
  Geometry geometry;  // batch is not part of the plan; kernels take it at run time
  PlanOptions options;

  int64_t pixel_bytes = 0;     // P
  int64_t out_row_bytes = 0;   // out_cols * P
  int64_t out_image_bytes = 0;
  int64_t in_tap_bytes = 0;    // depth * elem_size
  int64_t in_pixel_step = 0;   // anchor advance per output column: stride_cols * tap
  int64_t in_row_step = 0;     // anchor advance per output row: stride_rows * in_cols * tap
  int64_t in_image_bytes = 0;
  int64_t anchor_origin = 0;   // anchor of pixel (0, 0, 0): -(pad_top*in_cols + pad_left)*tap

  std::vector<PixelProgram> programs;
  std::vector<RowClass> row_classes;  // cover [0, out_rows) in order
  // Too many regions to specialize: no programs; executors run the generic per-pixel loops.
  bool generic = false;

  // Signature name without batch, e.g. "e4_56x56x64_k3x3_s1x1_r1x1_same".
  std::string name() const;
  int64_t region_count() const;
};

// Whether non-temporal stores can serve this geometry: each tap a whole number of cache lines,
// so every pixel, run and zero fill is line-aligned on an aligned output.
inline bool streamable(const Geometry& g) { return (g.depth * g.elem_size) % 64 == 0; }

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

// The options of the plan with the least code: every multi-row block, gather and long run a loop.
PlanOptions smallest_code(PlanOptions options);

// make_plan(geometry, options) if its estimate is within `budget`, else the plan of
// smallest_code(options) if that is; else kResourceExhausted: "kernel <prefix><name> would take
// about N bytes of code and L loops, over the <budget> of B bytes and M loops". Generic plans are
// returned as they are (they have no code to estimate).
Expected<Plan> make_plan_within(const Geometry& geometry, const PlanOptions& options, const CodeBudget& budget,
                                std::string_view kernel_prefix);

// Full check, for tests: in bounds, every output byte of every region written exactly once, and
// every copied byte read from the tap TensorFlow's rule names.
Status verify_plan(const Plan& plan);

// Human-readable plan, as `patchjit info` prints it.
std::string to_string(const Plan& plan);

}  // namespace pj
