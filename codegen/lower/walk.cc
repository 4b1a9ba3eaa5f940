#include "codegen/lower/walk.h"

#include <algorithm>
#include <limits>

namespace pj {
namespace {

class Walker {
 public:
  Walker(const Lowering& lowering, Sink& sink) : L_(lowering), plan_(*lowering.plan), sink_(sink) {}

  void kernel() {
    sink_.begin_kernel();
    for (size_t k = 0; k < plan_.row_classes.size(); ++k) {
      const RowClass& rc = plan_.row_classes[k];
      sink_.begin_rows(static_cast<int>(k), rc);
      for (size_t r = 0; r < rc.regions.size(); ++r) region(rc.regions[r], L_.regions[k][r]);
      sink_.end_rows();
    }
    sink_.end_kernel();
  }

 private:
  // `count` iterations of body(place) at `level`, each `dst_step`/`src_step` further on; a single
  // iteration needs no loop and no pointers of its own.
  template <typename Body>
  void repeat(Level level, At from, int64_t count, int64_t dst_step, int64_t src_step, const Body& body) {
    if (count <= 0) return;
    if (count == 1) return body(from);
    sink_.begin_loop(level, from, count);
    if (level == Level::kRun) ++run_loops_;
    body(At{level, 0, 0});
    if (level == Level::kRun) --run_loops_;
    sink_.end_loop(level, dst_step, src_step);
  }

  void region(const Region& region, const LoweredRegion& lowered) {
    const int64_t dst_step = plan_.dst_pixel_step, src_step = plan_.src_pixel_step;
    const At start{Level::kRow, region.begin * dst_step, region.begin * src_step};
    if (!region.grouped) {
      const int64_t n = region.pixels_per_iteration;
      repeat(Level::kPixel, start, region.iterations(), n * dst_step, n * src_step,
             [&](At at) { program(region.program, at); });
      return;
    }
    const int64_t G = plan_.programs[region.program].group->pixels, whole = region.iterations() / G;
    const int64_t rest = region.iterations() % G;
    if (whole > 0) {  // a region shorter than a group has only its partial group
      sink_.hold_group(*lowered.whole);
      repeat(Level::kPixel, start, whole, G * dst_step, G * src_step, [&](At at) { sink_.group(at, *lowered.whole); });
      sink_.release_group();
    }
    const At tail = start.plus(whole * G * dst_step, whole * G * src_step);
    if (lowered.tail) return sink_.group(tail, *lowered.tail);
    repeat(Level::kPixel, tail, rest, dst_step, src_step, [&](At at) { program(region.program, at); });
  }

  void program(int32_t index, At at) {
    const LoweredProgram& lowered = L_.programs[index];
    if (lowered.by_chunks) {
      for (const Chunk& c : lowered.chunks) sink_.chunk(at, c);
      return;
    }
    for (const Block& b : plan_.programs[index].blocks) {
      if (b.loop) {
        repeat(Level::kBlock, at, b.rows, b.dst_row_stride, b.src_row_stride, [&](At row) { steps(b, row); });
        continue;
      }
      for (int64_t row = 0; row < b.rows; ++row) steps(b, at.plus(row * b.dst_row_stride, row * b.src_row_stride));
    }
  }

  void steps(const Block& b, At at) {
    if (!plan_.rows_inside) {
      for (const Step& s : b.steps) step(s, at, false);
      return;
    }
    // Rows innermost: consecutive steps that write one output plane, or up to the plan's
    // planes_per_rows_loop planes, share one loop over the rows (the planes of a run of such
    // steps shared out evenly among the fewest loops); a step whose pieces lie in different
    // planes runs the rows inside each piece. A whole input row to a whole output row alone in
    // its loop is a rows copy where the target has them (the class's rows are one contiguous
    // run); among other planes it is one more step of their loop, which reads the input once.
    const int64_t plane = plan_.geometry.patch_steps.element;
    auto across = [&](const Step& s) { return s.count > 1 && s.dst_stride >= plane; };
    // The planes of steps [i, end) where `end` ends the run of steps that may share a loop
    // with step i, or where `limit` planes are reached.
    auto planes_from = [&](size_t i, int64_t limit, size_t* end) {
      int64_t planes = 1;
      size_t j = i + 1;
      for (; j < b.steps.size() && !across(b.steps[i]) && !across(b.steps[j]); ++j) {
        const int64_t more = planes + (b.steps[j].dst / plane != b.steps[j - 1].dst / plane);
        if (more > limit) break;
        planes = more;
      }
      *end = j;
      return planes;
    };
    for (size_t i = 0; i < b.steps.size();) {
      if (across(b.steps[i])) {
        step(b.steps[i++], at, true);
        continue;
      }
      size_t j = i + 1;
      const int64_t most = plan_.planes_per_rows_loop;
      const int64_t planes = planes_from(i, std::numeric_limits<int64_t>::max(), &j);
      const int64_t loops = (planes + most - 1) / most;
      planes_from(i, (planes + loops - 1) / loops, &j);
      const Step& s = b.steps[i];
      const bool rows_run = j == i + 1 && s.kind == Step::Kind::kCopy && rows_copy(s);
      if (rows_run) sink_.begin_rows_copy(at.plus(s.dst, s.src), s.bytes);
      sink_.begin_rows_loop(Level::kPixel, at);
      for (; i < j; ++i) step(b.steps[i], At{Level::kPixel, 0, 0}, false);
      sink_.end_rows_loop(Level::kPixel);
      if (rows_run) sink_.end_rows_copy();
    }
  }

  // Whether the rows of a copy's pieces are back to back in input and output (whole input rows
  // to whole output rows), so that the rows of a class are one run.
  bool rows_copy(const Step& s) const {
    return L_.target.rows_copies && s.kind != Step::Kind::kFill && s.bytes == plan_.dst_row_step &&
           s.bytes == plan_.src_row_step;
  }

  // One step's pieces; `rows` puts the loop over the class's rows around each piece.
  void step(const Step& s, At at, bool rows) {
    const bool fill = s.kind == Step::Kind::kFill;
    auto piece = [&](At p) {
      if (!rows) return run(p, s.bytes, fill, s.spill);
      if (rows_copy(s)) sink_.begin_rows_copy(p, s.bytes);
      sink_.begin_rows_loop(Level::kPixel, p);
      run(At{Level::kPixel, 0, 0}, s.bytes, fill);
      sink_.end_rows_loop(Level::kPixel);
      if (rows_copy(s)) sink_.end_rows_copy();
    };
    const At first = at.plus(s.dst, s.src);
    if (const std::vector<Chunk>* chunks = rows ? nullptr : L_.gather_chunks_of(s)) {
      for (const Chunk& c : *chunks) sink_.chunk(first, c);
      return;
    }
    if (const LoweredGroup* group = rows ? nullptr : L_.lane_gather_of(s)) return sink_.group(first, *group);
    if (s.loop) {
      // Pieces never exceed the run limit here (choose_loops): no run loop inside, and no
      // aligned run (the loop holds the run level's pointers: run() sees it open).
      repeat(Level::kRun, first, s.count, s.dst_stride, s.src_stride, piece);
      return;
    }
    for (int64_t j = 0; j < s.count; ++j) piece(first.plus(j * s.dst_stride, j * s.src_stride));
  }

  // A contiguous run; runs longer than the planner's limit loop over its blocks (run_block), and
  // the rest ends at the run's end (reaching back into the same run when shorter than a vector).
  void run(At at, int64_t bytes, bool fill, int64_t spill = 0) {
    const int64_t limit = plan_.options.max_unrolled_run_bytes;
    const int64_t vector = L_.target.vector_bytes;
    const int64_t block = run_block(plan_.options) / vector * vector;
    // A pad pattern repeats from element boundaries, which an aligned address need not be on
    // (an output may start anywhere): only zero fills are aligned.
    const bool alignable = !fill || L_.zero_pattern;
    if (run_loops_ == 0 && alignable && L_.aligned_runs.applies(bytes)) return aligned_run(at, bytes, fill);
    if (bytes <= limit || block < vector) return moves(at, bytes, fill, spill);
    repeat(Level::kRun, at, bytes / block, block, fill ? 0 : block, [&](At b) { moves(b, block, fill); });
    if (const int64_t rest = bytes % block; rest > 0) {
      const int64_t tail = std::max(rest, vector);
      moves(at.plus(bytes - tail, fill ? 0 : bytes - tail), tail, fill);
    }
  }

  // A long run whose stores would straddle cache lines (Lowering::aligned_runs): a vector at
  // its start, the vectors from the first aligned address after it (found at run time: 1 to a
  // vector's bytes on), all unrolled up to the planner's run limit, else `unroll` to a loop
  // iteration, and two vectors ending at its end. With n = bytes / vector - 1 aligned vectors
  // starting at most a vector in, they end at most at the run's end and at least two vectors
  // before it: every byte is written, none outside.
  void aligned_run(At at, int64_t bytes, bool fill) {
    const int64_t vector = L_.target.vector_bytes, n = bytes / vector - 1;
    const int64_t unroll =
        bytes <= plan_.options.max_unrolled_run_bytes ? std::max<int64_t>(n, 1) : L_.aligned_runs.unroll;
    const int64_t rest = n % unroll;
    moves(at, vector, fill);
    sink_.align_run(at);
    const auto aligned = [&](int64_t offset) {
      const At p{Level::kRun, offset, offset};
      fill ? sink_.fill(p, static_cast<int>(vector)) : sink_.move(p, static_cast<int>(vector));
    };
    for (int64_t j = 0; j < rest; ++j) aligned(j * vector);
    const int64_t step = unroll * vector;
    repeat(Level::kRun, At{Level::kRun, rest * vector, rest * vector}, n / unroll, step, fill ? 0 : step, [&](At p) {
      for (int64_t j = 0; j < unroll; ++j) aligned(p.dst + j * vector);
    });
    moves(at.plus(bytes - 2 * vector, fill ? 0 : bytes - 2 * vector), 2 * vector, fill);
  }

  void moves(At at, int64_t bytes, bool fill, int64_t spill = 0) {
    cut_run(L_.target, bytes, spill, [&](int64_t offset, int width) {
      if (fill)
        sink_.fill(at.plus(offset, 0), width);
      else
        sink_.move(at.plus(offset, offset), width);
    });
  }

  const Lowering& L_;
  const Plan& plan_;
  Sink& sink_;
  int run_loops_ = 0;  // open loops at Level::kRun (an aligned run needs that level's pointers)
};

}  // namespace

void walk(const Lowering& lowering, Sink& sink) { Walker(lowering, sink).kernel(); }

}  // namespace pj
