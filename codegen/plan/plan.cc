// The planner: geometry -> row classes x column ranges -> one pixel program per region.
#include "codegen/plan/plan.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "codegen/plan/spills.h"

namespace pj {

bool gather_fits_chunks(const Step& s) {
  const bool small = s.bytes == 1 || s.bytes == 2 || s.bytes == 4 || s.bytes == 8;
  return s.kind == Step::Kind::kGather && s.contiguous() && small && s.src_stride > s.bytes &&
         (64 - s.bytes) / s.src_stride + 1 >= 4;
}

namespace {

using Wide = __int128;

// Kernel taps [lo, hi) of one axis that fall inside the input; an empty range is {0, 0}.
struct TapRange {
  int64_t lo = 0, hi = 0;
  bool empty() const { return lo >= hi; }
  bool operator==(const TapRange&) const = default;
  auto operator<=>(const TapRange&) const = default;
};

Wide floor_div(Wide a, Wide b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

TapRange valid_taps(const Axis& axis, int64_t out_index) {
  // Tap k reads input index start + k*rate; valid iff 0 <= that <= in - 1.
  Wide start = Wide{out_index} * axis.stride - axis.pad_before;
  Wide lo = start >= 0 ? 0 : (-start + axis.rate - 1) / axis.rate;
  Wide last = floor_div(Wide{axis.in} - 1 - start, axis.rate);  // may be negative
  Wide hi = last + 1;
  lo = std::min<Wide>(lo, axis.ksize);
  hi = std::clamp<Wide>(hi, 0, axis.ksize);
  if (lo >= hi) return {};
  return {static_cast<int64_t>(lo), static_cast<int64_t>(hi)};
}

// Output indices [lo, hi) for which tap k of the axis falls inside the input.
TapRange valid_outputs(const Axis& axis, int64_t k) {
  // 0 <= o*stride - pad_before + k*rate <= in - 1
  const Wide offset = Wide{k} * axis.rate - axis.pad_before;
  Wide lo = offset >= 0 ? 0 : (-offset + axis.stride - 1) / axis.stride;
  Wide hi = floor_div(Wide{axis.in} - 1 - offset, axis.stride) + 1;
  lo = std::clamp<Wide>(lo, 0, axis.out);
  hi = std::clamp<Wide>(hi, 0, axis.out);
  if (lo >= hi) return {};
  return {static_cast<int64_t>(lo), static_cast<int64_t>(hi)};
}

// Consecutive output indices with the same valid taps.
struct AxisClass {
  int64_t begin = 0, end = 0;
  TapRange taps;
};

// Border indices are examined one by one, the interior (all taps valid) in one piece. Returns
// false when there are more than `limit` classes.
bool axis_classes(const Axis& axis, int64_t limit, std::vector<AxisClass>* classes) {
  // Indices below top_end have taps before the input; from bottom_begin on, taps after it.
  Wide top_end = std::min<Wide>(axis.out, (Wide{axis.pad_before} + axis.stride - 1) / axis.stride);
  Wide last_interior = floor_div(Wide{axis.in} - 1 + axis.pad_before - Wide{axis.ksize - 1} * axis.rate, axis.stride);
  Wide bottom_begin = std::clamp<Wide>(last_interior + 1, top_end, axis.out);
  if (top_end + (axis.out - bottom_begin) > limit) return false;

  auto add = [&](int64_t begin, int64_t end, TapRange taps) {
    if (!classes->empty() && classes->back().taps == taps && classes->back().end == begin) {
      classes->back().end = end;
    } else {
      classes->push_back({begin, end, taps});
    }
  };
  for (int64_t i = 0; i < top_end; ++i) add(i, i + 1, valid_taps(axis, i));
  if (bottom_begin > top_end) {
    add(static_cast<int64_t>(top_end), static_cast<int64_t>(bottom_begin), {0, axis.ksize});
  }
  for (int64_t i = static_cast<int64_t>(bottom_begin); i < axis.out; ++i) add(i, i + 1, valid_taps(axis, i));
  return static_cast<int64_t>(classes->size()) <= limit;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The moves an unrolled gather written by chunks costs (PlanOptions::chunk_gathers), or -1 where
// its pieces are moves: two loads and a store a 64-byte chunk, about.
int64_t chunked_moves(const PlanOptions& options, const Step& s) {
  return options.chunk_gathers && gather_fits_chunks(s) ? 3 * ceil_div(s.count * s.bytes, 64) : -1;
}

// A step of `count` pieces in its simplest form: pieces back to back in dst (and in src, or
// filled) become one; a single piece is a Copy; empty steps are none.
std::optional<Step> make_step(bool fill, int64_t dst, int64_t src, int64_t bytes, int64_t count, int64_t src_stride,
                              int64_t dst_stride) {
  if (bytes <= 0 || count <= 0) return std::nullopt;
  if (count > 1 && dst_stride == bytes && (fill || src_stride == bytes)) {
    bytes *= count;
    count = 1;
  }
  Step s;
  s.kind = fill ? Step::Kind::kFill : count == 1 ? Step::Kind::kCopy : Step::Kind::kGather;
  s.dst = dst;
  s.src = fill ? 0 : src;
  s.bytes = bytes;
  s.count = count;
  s.src_stride = count == 1 || fill ? 0 : src_stride;
  s.dst_stride = count == 1 ? bytes : dst_stride;
  return s;
}

// Appends a step, merging it into the previous one where the two are one run: fills and copies
// that continue each other, and equal copies a constant source distance apart (a gather).
void append(std::vector<Step>* steps, std::optional<Step> next) {
  if (!next) return;
  Step step = *next;
  if (!steps->empty()) {
    Step& prev = steps->back();
    const bool dst_follows = prev.contiguous() && prev.dst + prev.dst_extent() == step.dst;
    if (dst_follows && step.contiguous()) {
      if (prev.kind == Step::Kind::kFill && step.kind == Step::Kind::kFill) {
        prev.bytes = prev.dst_extent() + step.dst_extent();
        prev.count = 1;
        prev.dst_stride = prev.bytes;
        return;
      }
      if (prev.kind == Step::Kind::kCopy && step.kind == Step::Kind::kCopy && prev.src + prev.bytes == step.src) {
        prev.bytes += step.bytes;
        prev.dst_stride = prev.bytes;
        return;
      }
      if (prev.kind == Step::Kind::kCopy && step.kind == Step::Kind::kCopy && prev.bytes == step.bytes &&
          step.src > prev.src) {
        prev = *make_step(false, prev.dst, prev.src, prev.bytes, 2, step.src - prev.src, prev.bytes);
        return;
      }
      if (prev.kind == Step::Kind::kGather && step.kind == Step::Kind::kCopy && prev.bytes == step.bytes &&
          prev.src + prev.count * prev.src_stride == step.src) {
        ++prev.count;
        return;
      }
    }
  }
  steps->push_back(step);
}

// Appends a block. A block of one step repeated at a constant distance is that step with more
// pieces; blocks of one row join the previous one.
void append(std::vector<Block>* blocks, Block block) {
  if (block.rows <= 0 || block.steps.empty()) return;
  if (block.rows > 1 && block.steps.size() == 1) {
    const Step s = block.steps[0];
    std::optional<Step> merged;
    const bool fill = s.kind == Step::Kind::kFill;
    if (s.count == 1 && fill) {
      merged = make_step(fill, s.dst, s.src, s.bytes, block.rows, block.src_row_stride, block.dst_row_stride);
    } else if (block.dst_row_stride == s.count * s.dst_stride &&
               (fill || block.src_row_stride == s.count * s.src_stride)) {
      merged = make_step(fill, s.dst, s.src, s.bytes, s.count * block.rows, s.src_stride, s.dst_stride);
    }
    if (merged) {
      block.steps = {*merged};
      block.rows = 1;
    }
  }
  if (block.rows == 1) {
    block.dst_row_stride = block.src_row_stride = 0;
    if (!blocks->empty() && blocks->back().rows == 1) {
      for (const Step& s : block.steps) append(&blocks->back().steps, s);
      return;
    }
  }
  blocks->push_back(std::move(block));
}

// Where the elements of one patch are, relative to the pixel's points (bytes).
struct PatchMap {
  int64_t e, C, kh, kw;
  Wide row_tap, col_tap;  // input distance of kernel rows and cols
  int64_t channel;        // input distance of channels
  int64_t out_k;          // output distance of consecutive patch elements
  bool chw;
  int64_t dst(int64_t i, int64_t j, int64_t c) const {
    return (chw ? (c * kh + i) * kw + j : (i * kw + j) * C + c) * out_k;
  }
  // Of a tap inside the image, so within an image's extent of the pixel's src point.
  int64_t src(int64_t i, int64_t j) const { return static_cast<int64_t>(i * row_tap + j * col_tap); }
  // As strides between taps (used only when more than one tap of the axis is valid).
  int64_t row_stride() const { return static_cast<int64_t>(row_tap); }
  int64_t col_stride() const { return static_cast<int64_t>(col_tap); }
};

// The distances between kernel rows and cols may exceed int64 when at most one tap of the axis
// is ever valid: they are then never used as strides. nullopt when a used one does not fit
// (hostile rates and sizes: the plan is then generic).
std::optional<PatchMap> patch_map(const Plan& plan, bool rows_used, bool cols_used) {
  const Geometry& g = plan.geometry;
  const Wide kFits = Wide{1} << 62;
  PatchMap pm{g.elem_size,
              g.depth,
              g.rows.ksize,
              g.cols.ksize,
              Wide{g.rows.rate} * g.image_steps.row,
              Wide{g.cols.rate} * g.image_steps.pixel,
              g.image_steps.channel,
              g.patch_steps.element,
              g.format.order == PatchOrder::kChw};
  if ((rows_used && pm.row_tap * (pm.kh - 1) > kFits) || (cols_used && pm.col_tap * (pm.kw - 1) > kFits)) {
    return std::nullopt;
  }
  return pm;
}

// Programs list their steps tap by tap: more taps than this (a 2^31-wide dilated kernel has 2^28
// valid columns, a minute to list) could never be unrolled; nullopt, and the generic loops serve.
constexpr int64_t kMaxListedTaps = int64_t{1} << 16;

// The program of one pixel with valid kernel rows `rows` and cols `cols`, in output order.
std::optional<PixelProgram> pixel_program(const Plan& plan, TapRange rows, TapRange cols) {
  if (rows.empty() || cols.empty()) rows = cols = {};  // no valid tap: the whole pixel is padding
  const std::optional<PatchMap> pm = patch_map(plan, rows.hi - rows.lo > 1, cols.hi - cols.lo > 1);
  if (!pm) return std::nullopt;
  // A step per valid kernel column (hwc), per kernel row (chw).
  if (pm->chw ? pm->kh > kMaxListedTaps : cols.hi - cols.lo > kMaxListedTaps) return std::nullopt;
  const Geometry& g = plan.geometry;
  const int64_t e = pm->e, C = pm->C, kw = pm->kw, out = pm->out_k;
  PixelProgram program;
  program.dst_bytes = (g.patch_depth - 1) * out + e;
  program.row_lo = rows.lo, program.row_hi = rows.hi, program.col_lo = cols.lo, program.col_hi = cols.hi;
  auto fill = [&](int64_t dst, int64_t elements) { return make_step(true, dst, 0, e, elements, 0, out); };

  if (!pm->chw) {
    // Kernel rows of kw*C elements: padding rows, the valid rows (a block), padding rows.
    const int64_t row_dst = kw * C * out;
    Block top{rows.lo, row_dst, 0, false, {}};
    append(&top.steps, fill(0, kw * C));
    append(&program.blocks, std::move(top));
    Block valid{rows.hi - rows.lo, row_dst, rows.hi - rows.lo > 1 ? pm->row_stride() : 0, false, {}};
    const int64_t d0 = rows.lo * row_dst;
    append(&valid.steps, fill(d0, cols.lo * C));
    for (int64_t j = cols.lo; j < cols.hi; ++j) {
      append(&valid.steps, make_step(false, d0 + pm->dst(0, j, 0), pm->src(rows.lo, j), e, C, pm->channel, out));
    }
    append(&valid.steps, fill(d0 + pm->dst(0, cols.hi, 0), (kw - cols.hi) * C));
    append(&program.blocks, std::move(valid));
    Block bottom{pm->kh - rows.hi, row_dst, 0, false, {}};
    append(&bottom.steps, fill(rows.hi * row_dst, kw * C));
    append(&program.blocks, std::move(bottom));
    return program;
  }
  // Patch order chw: one block over the channels, kernel rows and cols inside.
  Block channels{C, pm->kh * kw * out, pm->channel, false, {}};
  for (int64_t i = 0; i < pm->kh; ++i) {
    const int64_t d = pm->dst(i, 0, 0);
    if (i < rows.lo || i >= rows.hi) {
      append(&channels.steps, fill(d, kw));
      continue;
    }
    append(&channels.steps, fill(d, cols.lo));
    append(&channels.steps, make_step(false, d + cols.lo * out, pm->src(i, cols.lo), e, cols.hi - cols.lo,
                                      cols.hi - cols.lo > 1 ? pm->col_stride() : 0, out));
    append(&channels.steps, fill(d + cols.hi * out, kw - cols.hi));
  }
  append(&program.blocks, std::move(channels));
  return program;
}

// The program of a whole output row with valid kernel rows `rows`, for patches as columns:
// positions are back to back in the output, so every patch element of the row is one run of OW
// elements: padding, a copy (a gather at strides > 1), padding.
std::optional<PixelProgram> row_program(const Plan& plan, TapRange rows) {
  const Geometry& g = plan.geometry;
  const std::optional<PatchMap> pm = patch_map(plan, false, false);        // no tap distance is a stride here
  if (!pm || Wide{pm->kh} * pm->kw > kMaxListedTaps) return std::nullopt;  // a step per tap
  const int64_t e = pm->e, OW = g.cols.out, kw = pm->kw;
  PixelProgram program;
  program.dst_bytes = (g.patch_depth - 1) * pm->out_k + OW * e;
  program.row_lo = rows.lo, program.row_hi = rows.hi, program.col_lo = 0, program.col_hi = kw;
  bool fits = true;  // every read's source offset fits int64
  auto tap = [&](std::vector<Step>* steps, int64_t i, int64_t j) {
    const int64_t d = pm->dst(i, j, 0);
    TapRange cols = rows.lo <= i && i < rows.hi ? valid_outputs(g.cols, j) : TapRange{};
    if (cols.empty()) cols = {OW, OW};
    // In 128 bits, and only for a tap that reads: a padding tap's column OW may lie beyond int64
    // (a size-1 dimension takes any stride: 3 columns of 2^62 bytes).
    const Wide src = cols.empty() ? 0 : Wide{pm->src(i, j)} + Wide{cols.lo} * plan.src_pixel_step;
    fits = fits && src <= std::numeric_limits<int64_t>::max();
    append(steps, make_step(true, d, 0, e, cols.lo, 0, e));
    append(steps, make_step(false, d + cols.lo * e, static_cast<int64_t>(src), e, cols.hi - cols.lo,
                            plan.src_pixel_step, e));
    append(steps, make_step(true, d + cols.hi * e, 0, e, OW - cols.hi, 0, e));
  };
  if (pm->chw) {
    Block channels{pm->C, pm->kh * kw * pm->out_k, pm->channel, false, {}};
    for (int64_t i = 0; i < pm->kh; ++i) {
      for (int64_t j = 0; j < kw; ++j) tap(&channels.steps, i, j);
    }
    append(&program.blocks, std::move(channels));
    return fits ? std::optional(std::move(program)) : std::nullopt;
  }
  for (int64_t i = 0; i < pm->kh; ++i) {  // hwc: each tap's channels are consecutive rows
    for (int64_t j = 0; j < kw; ++j) {
      Block channels{pm->C, pm->out_k, pm->channel, false, {}};
      tap(&channels.steps, i, j);
      append(&program.blocks, std::move(channels));
    }
  }
  return fits ? std::optional(std::move(program)) : std::nullopt;
}

// Vector moves one run costs: unrolled, or one block of its loop (the code-size estimate).
int64_t run_moves(int64_t bytes, const PlanOptions& options) {
  return ceil_div(bytes <= options.max_unrolled_run_bytes ? bytes : run_block(options), options.vector_bytes);
}

// The planner's unrolling decisions: the pieces of a gather, then the rows of a block, become
// run-time loops when unrolled they would exceed the budget; rows also where one row is long
// enough to carry a loop (loop_rows_from_moves). (Runs longer than max_unrolled_run_bytes are
// loops of their own; pieces that long stay unrolled.)
void choose_loops(const PlanOptions& options, PixelProgram* program) {
  for (Block& block : program->blocks) {
    int64_t moves = 0;
    for (Step& s : block.steps) {
      const int64_t piece = run_moves(s.bytes, options);
      const int64_t chunked = chunked_moves(options, s);
      const int64_t unrolled = chunked >= 0 ? chunked : s.count * piece;
      s.loop = s.kind != Step::Kind::kCopy && s.count > 1 && s.bytes <= options.max_unrolled_run_bytes &&
               unrolled > options.unroll_budget;
      moves += s.loop ? piece : unrolled;
    }
    block.loop =
        block.rows > 1 && (moves * block.rows > options.unroll_budget || moves >= options.loop_rows_from_moves);
  }
}

Wide source_point(const Plan& plan, int64_t row, int64_t col) {
  return Wide{plan.src_origin} + Wide{row} * plan.src_row_step + Wide{col} * plan.src_pixel_step;
}

// The memory-safety proof every backend relies on: every write of a program stays inside its
// pixel's (or row's) dst extent, which stays inside the output; and for every region, the reads
// of its first and last pixel (the extremes, since offsets grow with row and column) stay inside
// the source image.
Status prove_bounds(const Plan& plan) {
  const Geometry& g = plan.geometry;
  for (const PixelProgram& program : plan.programs) {
    for (const Block& b : program.blocks) {
      if (b.rows <= 0 || b.dst_row_stride < 0 || b.src_row_stride < 0) {
        return Internal("planner bug: a block of ", b.rows, " rows steps backwards (", plan.name(), ")");
      }
      for (const Step& s : b.steps) {
        Wide end = Wide{s.dst} + Wide{b.rows - 1} * b.dst_row_stride + s.dst_extent();
        if (s.dst < 0 || s.bytes <= 0 || s.count <= 0 || s.dst_stride < s.bytes || s.src_stride < 0 ||
            s.spill < 0 || (s.spill > 0 && !s.contiguous()) || end + s.spill > program.dst_bytes) {
          return Internal("planner bug: a step writes outside its pixel (", plan.name(), ")");
        }
      }
    }
  }
  const int64_t one_pixel = (g.patch_depth - 1) * g.patch_steps.element + g.elem_size;
  for (const RowClass& rc : plan.row_classes) {
    for (const Region& region : rc.regions) {
      const PixelProgram& program = plan.programs[region.program];
      const int64_t allowed = plan.whole_rows                    ? one_pixel + (g.cols.out - 1) * g.elem_size
                              : region.pixels_per_iteration == 1 ? one_pixel
                                                                 : region.pixels_per_iteration * plan.pixel_bytes;
      if (program.dst_bytes > allowed) {
        return Internal("planner bug: program ", region.program, " writes ", program.dst_bytes,
                        " bytes, more than its ", allowed, " (", plan.name(), ")");
      }
      auto [lo, hi] = source_extent(program);
      if (lo == hi) continue;
      int64_t last_col = region.begin + (region.iterations() - 1) * region.pixels_per_iteration;
      if (source_point(plan, rc.begin, region.begin) + lo < 0 ||
          source_point(plan, rc.end - 1, last_col) + hi > plan.src_image_extent) {
        return Internal("planner bug: region rows [", rc.begin, ",", rc.end, ") cols [", region.begin, ",", region.end,
                        ") reads outside the input (", plan.name(), ")");
      }
    }
  }
  return Status::Ok();
}

// Regions whose pixels are one contiguous copy each, read and written back to back, become a
// single copy of all of them (1x1 kernels at stride 1, non-overlapping 1-row windows).
void fuse_contiguous_pixels(Plan* plan) {
  if (plan->src_pixel_step != plan->pixel_bytes || plan->dst_pixel_step != plan->pixel_bytes) return;
  std::map<int64_t, int32_t> fused_by_width;
  for (RowClass& rc : plan->row_classes) {
    for (Region& region : rc.regions) {
      const PixelProgram& p = plan->programs[region.program];
      int64_t width = region.end - region.begin;
      bool single_copy = p.blocks.size() == 1 && p.blocks[0].rows == 1 && p.blocks[0].steps.size() == 1 &&
                         p.blocks[0].steps[0].kind == Step::Kind::kCopy && p.blocks[0].steps[0].src == 0 &&
                         p.blocks[0].steps[0].bytes == p.dst_bytes;
      if (width < 2 || !single_copy) continue;
      auto [it, inserted] = fused_by_width.try_emplace(width, 0);
      if (inserted) {
        PixelProgram fused = p;
        fused.dst_bytes = width * plan->pixel_bytes;
        fused.blocks[0].steps[0].bytes = fused.dst_bytes;
        fused.blocks[0].steps[0].dst_stride = fused.dst_bytes;
        it->second = static_cast<int32_t>(plan->programs.size());
        plan->programs.push_back(std::move(fused));
      }
      region.program = it->second;
      region.pixels_per_iteration = width;
    }
  }
}

// A plan without programs: executors run the generic per-pixel loops.
Plan generic_plan(Plan plan) {
  plan.programs.clear();
  plan.row_classes.clear();
  plan.generic = true;
  return plan;
}

// Groups for the programs some region runs at least twice, one pixel at a time, and the regions'
// choice to run them: whole groups, then a partial one for the rest; a region shorter than a
// group (narrow outputs) only its partial group, where that takes fewer instructions than the
// pixels alone. Their windows lie between bytes the steps read (pixel_group.h): inside the
// input, as prove_bounds showed for the steps.
void group_programs(Plan* plan) {
  if (plan->dst_pixel_step != plan->pixel_bytes) return;   // groups write pixels back to back
  std::vector<int64_t> longest(plan->programs.size(), 0);  // most consecutive pixels in a region
  for (const RowClass& rc : plan->row_classes) {
    for (const Region& r : rc.regions) {
      if (r.pixels_per_iteration == 1) longest[r.program] = std::max(longest[r.program], r.iterations());
    }
  }
  for (size_t i = 0; i < plan->programs.size(); ++i) {
    PixelProgram& p = plan->programs[i];
    if (longest[i] < 2) continue;
    p.group = group_pixels(p, plan->src_pixel_step, 0, plan->options.groups_by_lanes);
  }
  std::vector<bool> used(plan->programs.size(), false);
  for (RowClass& rc : plan->row_classes) {
    for (Region& r : rc.regions) {
      const PixelProgram& p = plan->programs[r.program];
      r.grouped = p.group && r.pixels_per_iteration == 1 && r.iterations() >= 2;
      const int64_t rest = r.grouped ? r.iterations() % p.group->pixels : 0;
      if (rest > 0) r.tail = group_pixels(p, plan->src_pixel_step, rest, p.group->by_lanes);
      if (r.grouped && r.iterations() < p.group->pixels && !(r.tail && group_pays(*r.tail, p))) {
        r.grouped = false;
        r.tail.reset();
      }
      used[r.program] = used[r.program] || r.grouped;
    }
  }
  for (size_t i = 0; i < plan->programs.size(); ++i) {
    if (!used[i]) plan->programs[i].group.reset();
  }
}

}  // namespace

std::pair<Wide, Wide> source_extent(const PixelProgram& program) {
  Wide lo = 0, hi = 0;
  bool any = false;
  for (const Block& b : program.blocks) {
    for (const Step& s : b.steps) {
      if (s.kind == Step::Kind::kFill) continue;
      Wide first = s.src;
      Wide end = Wide{s.src} + Wide{b.rows - 1} * b.src_row_stride + Wide{s.count - 1} * s.src_stride + s.bytes +
                 s.spill;
      lo = any ? std::min(lo, first) : first;
      hi = any ? std::max(hi, end) : end;
      any = true;
    }
  }
  return {lo, hi};
}


bool streamable(const Geometry& g) {
  // (An empty image's depth may be near INT64_MAX: the product in 128 bits.)
  return g.extract() && g.format == kTfFormat && g.dense_patches() && (Wide{g.depth} * g.elem_size) % 64 == 0;
}

CodeEstimate estimate_code(const Plan& plan) {
  // 128-bit sums: a hostile signature can ask for more than int64 counts.
  constexpr Wide kMove = 16, kLoop = 48, kRegion = 64;
  const PlanOptions& o = plan.options;
  struct Cost {
    Wide bytes = 0, loops = 0;
    Cost operator+(const Cost& c) const { return {bytes + c.bytes, loops + c.loops}; }
    Cost times(Wide n) const { return {bytes * n, loops * n}; }
  };
  auto run = [&](int64_t bytes) -> Cost {  // a contiguous run: unrolled vectors, or a loop over blocks
    if (bytes <= o.max_unrolled_run_bytes) return {kMove * (ceil_div(bytes, o.vector_bytes) + 1), 0};
    return {kLoop + kMove * (ceil_div(run_block(o), o.vector_bytes) + 2), 1};
  };
  std::vector<Cost> programs;
  for (const PixelProgram& p : plan.programs) {
    Cost program;
    for (const Block& b : p.blocks) {
      Cost row;
      for (const Step& s : b.steps) {
        if (s.loop) {
          row = row + run(s.bytes) + Cost{kLoop, 1};
        } else if (const int64_t chunked = chunked_moves(o, s); chunked >= 0) {
          row = row + Cost{kMove * chunked, 0};
        } else {
          row = row + run(s.bytes).times(s.count);
        }
      }
      program = program + (b.loop ? row + Cost{kLoop, 1} : row.times(b.rows));
    }
    if (p.group) {
      // Beside the one-pixel code: the whole group and a partial one for the region's last
      // pixels, each two loads a window, two moves a part and a store a chunk, then the loop
      // and its permute indices (up to 11 kept in registers).
      // By lanes (AVX2): three instructions a block, a store a half.
      Cost group{kLoop + kMove * (11 + 2 * 2 * Wide(p.group->windows.size())), 1};
      for (const GroupChunk& c : p.group->chunks) {
        group =
            group +
            Cost{kMove * (p.group->by_lanes ? 3 * Wide(c.blocks.size()) + 4 : 2 * (2 * Wide(c.parts.size()) + 2)), 0};
      }
      program = program + group;
    }
    programs.push_back(program);
  }
  Cost total{4 * kRegion, 0};  // prologue, row chain, epilogue
  for (const RowClass& rc : plan.row_classes) {
    total.loops += 1;
    for (const Region& region : rc.regions) {
      total = total + programs[region.program] + Cost{kRegion, region.iterations() > 1 ? 1 : 0};
    }
  }
  const Wide kMax = std::numeric_limits<int64_t>::max();
  return {static_cast<int64_t>(std::min(total.bytes, kMax)), static_cast<int64_t>(std::min(total.loops, kMax))};
}

PlanOptions smallest_code(PlanOptions options) {
  options.unroll_budget = 1;
  // Runs of up to four vectors stay unrolled: a loop over shorter blocks is more code, not less.
  options.max_unrolled_run_bytes = std::min(options.max_unrolled_run_bytes, 4 * options.vector_bytes);
  options.run_block_bytes = std::min(options.run_block_bytes, 4 * options.vector_bytes);
  return options;
}

Expected<Plan> make_plan_within(const Geometry& geometry, const PlanOptions& options, const CodeBudget& budget,
                                std::string_view kernel_prefix) {
  auto within = [&](const CodeEstimate& e) { return e.bytes <= budget.bytes && e.loops <= budget.loops; };
  Expected<Plan> plan = make_plan(geometry, options);
  if (!plan.ok() || plan->generic || within(estimate_code(*plan))) return plan;
  plan = make_plan(geometry, smallest_code(options));
  if (!plan.ok() || plan->generic) return plan;
  const CodeEstimate e = estimate_code(*plan);
  if (within(e)) return plan;
  return ResourceExhausted("kernel ", kernel_prefix, plan->name(), " would take about ", e.bytes, " bytes of code and ",
                           e.loops, " loops, over the ", budget.name, " of ", budget.bytes, " bytes and ", budget.loops,
                           " loops");
}

std::string Plan::name() const { return signature_name(geometry); }

int64_t Plan::region_count() const {
  int64_t n = 0;
  for (const RowClass& rc : row_classes) n += static_cast<int64_t>(rc.regions.size());
  return n;
}

Expected<Plan> make_plan(const Geometry& geometry, const PlanOptions& options) {
  if (geometry.empty()) return Internal("make_plan: the output is empty; there is nothing to plan");
  if (!geometry.extract()) return Internal("make_plan: fold has no plan yet");
  if (options.vector_bytes <= 0 || options.unroll_budget <= 0 || options.max_unrolled_run_bytes <= 0 ||
      options.run_block_bytes <= 0 || options.loop_rows_from_moves <= 0 || options.planes_per_rows_loop <= 0 ||
      options.planes_from_input_bytes < 0) {
    return InvalidArgument("make_plan: plan options must be positive");
  }
  const Geometry& g = geometry;
  Plan plan;
  plan.geometry = g;
  plan.options = options;
  plan.options.nontemporal = options.nontemporal && streamable(g);
  plan.whole_rows = g.format.patches == PatchesAs::kColumns && !options.pixels_only;
  plan.rows_inside = plan.whole_rows;
  if (options.pixels_only) plan.options.group_pixels = false;
  // Non-empty output: every size below is a factor of the (int64) input or output byte count,
  // except the source offsets, which are checked in 128 bits here and by prove_bounds.
  const ImageSteps& in = g.image_steps;
  const PatchSteps& out = g.patch_steps;
  plan.pixel_bytes = g.patch_depth * g.elem_size;
  plan.rows_per_image = g.rows.out;
  plan.dst_image_step = out.image;
  plan.dst_pixel_step = out.position;
  // A whole output row of patches further on: within the patches' extent where there are two
  // rows; with one it is never used and may pass int64 (patches 2^62 bytes apart): saturated.
  plan.dst_row_step =
      static_cast<int64_t>(std::min<Wide>(Wide{g.cols.out} * out.position, std::numeric_limits<int64_t>::max()));
  plan.src_image_step = in.image;
  plan.src_image_extent = g.image_bytes == 0 ? 0
                                             : g.elem_size + (g.rows.in - 1) * in.row + (g.cols.in - 1) * in.pixel +
                                                   (g.depth - 1) * in.channel;
  const Wide pixel_step = Wide{g.cols.stride} * in.pixel;
  const Wide row_step = Wide{g.rows.stride} * in.row;
  const Wide origin = -(Wide{g.rows.pad_before} * in.row + Wide{g.cols.pad_before} * in.pixel);
  // Points this far apart (hostile strides, or padding of huge dilated kernels) do not fit the
  // int64 offsets kernels use: the generic loops, which address valid taps only, serve them.
  const Wide kMax = (Wide{1} << 62);
  if (pixel_step > kMax || row_step > kMax || -origin > kMax) return generic_plan(std::move(plan));
  // Nor do the points of far output columns and rows (a size-1 dimension takes any stride: a
  // 1-pixel image at a pixel stride of 2^62 bytes and two padding columns; the walk's offsets
  // of a region's first pixel would pass int64).
  if (Wide{g.cols.out} * pixel_step > kMax || Wide{g.rows.out} * row_step > kMax) return generic_plan(std::move(plan));
  plan.src_pixel_step = static_cast<int64_t>(pixel_step);
  plan.src_row_step = static_cast<int64_t>(row_step);
  plan.src_origin = static_cast<int64_t>(origin);
  if (plan.rows_inside && Wide{g.rows.out} * row_step > Wide{options.planes_from_input_bytes}) {
    plan.planes_per_rows_loop = options.planes_per_rows_loop;
  }

  std::vector<AxisClass> row_classes, col_classes;
  if (!axis_classes(g.rows, options.max_regions, &row_classes)) return generic_plan(std::move(plan));
  if (plan.whole_rows) {
    col_classes = {{0, g.cols.out, {}}};
  } else if (!axis_classes(g.cols, options.max_regions, &col_classes)) {
    return generic_plan(std::move(plan));
  }
  if (static_cast<int64_t>(row_classes.size() * col_classes.size()) > options.max_regions) {
    return generic_plan(std::move(plan));
  }

  std::map<std::pair<TapRange, TapRange>, int32_t> program_index;
  for (const AxisClass& rows : row_classes) {
    RowClass rc{rows.begin, rows.end, {}};
    for (const AxisClass& cols : col_classes) {
      auto [it, inserted] = program_index.try_emplace({rows.taps, cols.taps}, 0);
      if (inserted) {
        std::optional<PixelProgram> program =
            plan.whole_rows ? row_program(plan, rows.taps) : pixel_program(plan, rows.taps, cols.taps);
        if (!program) return generic_plan(std::move(plan));
        it->second = static_cast<int32_t>(plan.programs.size());
        plan.programs.push_back(std::move(*program));
      }
      Region region{cols.begin, cols.end, it->second, 1, false, std::nullopt};
      if (plan.whole_rows) region.pixels_per_iteration = cols.end - cols.begin;
      rc.regions.push_back(std::move(region));
    }
    plan.row_classes.push_back(std::move(rc));
  }
  if (!plan.whole_rows && !options.pixels_only && g.format.patches == PatchesAs::kRows) fuse_contiguous_pixels(&plan);
  for (PixelProgram& p : plan.programs) {
    choose_loops(options, &p);
    if (!plan.rows_inside) plan_spills(options.vector_bytes, &p);
  }
  PJ_RETURN_IF_ERROR(prove_bounds(plan));
  if (plan.options.group_pixels && !plan.whole_rows) group_programs(&plan);
  return plan;
}

}  // namespace pj
