// The one walk over a lowered plan: the kernel's structure (rows, regions, loops, moves) as
// calls on a Sink. Each emitter (Xbyak, LLVM IR, and the tests' counting and executing sinks)
// supplies only these primitives; what to emit where is decided here and in the Lowering.
//
// Kernel ABI (codegen/plan/kernel_abi.h): fill rows [row_begin, row_end) of the flattened
// (image, row) range. The skeleton every sink implements with begin_kernel/begin_rows/
// end_rows/end_kernel:
//   t = row_begin; if t >= row_end: done
//   image: b = t / R; r_lo = t - b*R; r_hi = min(R, r_lo + row_end - t)
//          dst_image = output + b*dst_image_step; src_image = input + b*src_image_step + src_origin
//     for each row class [begin, end) in order:           begin_rows .. end_rows
//       rows [max(begin, r_lo), min(end, r_hi)), each with Row pointers
//         dst_image + r*dst_row_step and src_image + r*src_row_step
//   t += r_hi - r_lo; if t < row_end: next image        end_kernel
// With Plan::rows_inside, begin_rows sets the Row pointers to the class's first row and keeps
// its row count, without a loop; the walk then asks for the loop over those rows around each
// group of steps (begin_rows_loop .. end_rows_loop), innermost but for loops over runs.
//
// Pointers: every loop level has a (dst, src) pair. Row pointers are the skeleton's; a loop at
// a level sets that level's pair from a place (At) and moves it on by constant steps. Every
// access is a level's pointer plus a constant offset.
#pragma once

#include <cstdint>

#include "codegen/lower/lowering.h"

namespace pj {

enum class Level : int { kRow = 0, kPixel = 1, kBlock = 2, kRun = 3 };
inline constexpr int kLevels = 4;

// A place: the pointers of `level`, plus byte offsets.
struct At {
  Level level = Level::kRow;
  int64_t dst = 0, src = 0;
  At plus(int64_t d, int64_t s) const { return {level, dst + d, src + s}; }
};

class Sink {
 public:
  virtual ~Sink() = default;

  virtual void begin_kernel() = 0;
  virtual void end_kernel() = 0;
  // The rows of class `index` within this image's share of the range (see above); Row pointers
  // are set for each.
  virtual void begin_rows(int index, const RowClass& rows) = 0;
  virtual void end_rows() = 0;

  // `count` (>= 2) iterations; the pointers of `level` start at `from` (a shallower level) and
  // move on by dst_step and src_step after each.
  virtual void begin_loop(Level level, At from, int64_t count) = 0;
  virtual void end_loop(Level level, int64_t dst_step, int64_t src_step) = 0;
  // Plan::rows_inside: the rows of the current class (begin_rows), one or more, as a loop at
  // `level` (a level no enclosing loop uses); its pointers start at `from` and move on by the
  // plan's dst_row_step and src_row_step.
  virtual void begin_rows_loop(Level level, At from) = 0;
  virtual void end_rows_loop(Level level) = 0;
  // Target::rows_copies: `rows * row_bytes` contiguous bytes (rows: the current class's) from
  // src to dst at `from`, in vectors, the last one ending at the end, when that is at least a
  // vector; else what the walk emits before end_rows_copy (a rows loop over the row's run).
  virtual void begin_rows_copy(At from, int64_t row_bytes) = 0;
  virtual void end_rows_copy() = 0;

  // Level::kRun's pointers, without a loop: dst at the first vector-aligned address after
  // `at`'s dst (1 to Target::vector_bytes bytes on), src moved on as much. Only where no loop
  // at kRun is open; a loop at kRun may then start from these pointers (At{kRun, ...}).
  virtual void align_run(At at) = 0;

  // `width` bytes (1, 2, 4, 8, 16, 32, 64 or 128, at most Target::max_move_bytes) from src to
  // dst; or the pad pattern to dst.
  virtual void move(At at, int width) = 0;
  virtual void fill(At at, int width) = 0;
  // A 64-byte chunk assembled from its loads (codegen/lower/chunks.h), at dst + chunk.dst.
  virtual void chunk(At at, const Chunk& chunk) = 0;
  // A pixel group; before and after a loop of them, its held permutes are loaded and released.
  virtual void group(At at, const LoweredGroup& group) = 0;
  virtual void hold_group(const LoweredGroup& group) = 0;
  virtual void release_group() = 0;
};

// Drives `sink` through the kernel of `lowering`.
void walk(const Lowering& lowering, Sink& sink);

// How a run of `bytes` is cut into moves for `target`: widest moves first, the rest as the
// narrowest vector (16 bytes or more) ending at the run's end; below a vector, one power of two
// or two overlapping ones, or one wider power of two where it reaches at most `spill` bytes past
// the end (Step::spill). Calls piece(offset, width) for each.
template <typename Piece>
void cut_run(const Target& target, int64_t bytes, int64_t spill, const Piece& piece) {
  const int64_t vector = target.vector_bytes;
  if (bytes < vector) {
    int64_t w = 1;
    while (w * 2 <= bytes) w *= 2;
    if (w < bytes && 2 * w - bytes <= spill) return piece(0, static_cast<int>(2 * w));
    piece(0, static_cast<int>(w));
    if (bytes > w) piece(bytes - w, static_cast<int>(w));
    return;
  }
  int64_t i = 0;
  for (; i + target.max_move_bytes <= bytes; i += target.max_move_bytes) piece(i, target.max_move_bytes);
  for (; i + vector <= bytes; i += vector) piece(i, static_cast<int>(vector));
  if (i == bytes) return;
  int64_t w = 16;  // the remainder is less than a vector, and the run at least one
  while (w < bytes - i) w *= 2;
  piece(bytes - w, static_cast<int>(w));
}

}  // namespace pj
