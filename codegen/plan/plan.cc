// The planner: geometry -> row classes x column ranges -> one pixel program per region.
#include "codegen/plan/plan.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <utility>

namespace pj {
namespace {

using Wide = __int128;

// Kernel taps [lo, hi) of one axis that fall inside the input; an empty range is {0, 0}.
struct TapRange {
  int64_t lo = 0, hi = 0;
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
  Wide last_interior =
      floor_div(Wide{axis.in} - 1 + axis.pad_before - Wide{axis.ksize - 1} * axis.rate, axis.stride);
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
  for (int64_t i = static_cast<int64_t>(bottom_begin); i < axis.out; ++i) {
    add(i, i + 1, valid_taps(axis, i));
  }
  return static_cast<int64_t>(classes->size()) <= limit;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Vector moves one step costs when fully unrolled (the code-size estimate).
int64_t step_moves(const Step& step, const PlanOptions& options) {
  int64_t run = std::min(step.bytes, options.max_unrolled_run_bytes);
  return step.count * ceil_div(run, options.vector_bytes);
}

// Appends a step, merging it into the previous one when both are contiguous.
void append(std::vector<Step>* steps, Step step) {
  if (step.dst_bytes() == 0) return;
  if (step.kind == Step::Kind::kGather && step.src_stride == step.bytes) {
    step = {Step::Kind::kCopy, step.dst, step.src, step.bytes * step.count, 1, 0};
  }
  if (step.kind == Step::Kind::kGather && step.count == 1) step.kind = Step::Kind::kCopy;
  if (!steps->empty()) {
    Step& prev = steps->back();
    bool dst_adjacent = prev.dst + prev.dst_bytes() == step.dst;
    if (dst_adjacent && prev.kind == Step::Kind::kZero && step.kind == Step::Kind::kZero) {
      prev.bytes += step.bytes;
      return;
    }
    if (dst_adjacent && prev.kind == Step::Kind::kCopy && step.kind == Step::Kind::kCopy &&
        prev.src + prev.bytes == step.src) {
      prev.bytes += step.bytes;
      return;
    }
  }
  steps->push_back(step);
}

// Appends a block; a block of one row, or whose rows are contiguous, joins the previous one.
void append(std::vector<Block>* blocks, Block block) {
  if (block.rows == 0 || block.steps.empty()) return;
  if (block.rows > 1 && block.steps.size() == 1) {
    Step& s = block.steps[0];
    bool dst_rows_adjacent = block.dst_row_stride == s.dst_bytes();
    if (dst_rows_adjacent && s.kind == Step::Kind::kZero) {
      s.bytes *= block.rows;
      block.rows = 1;
    } else if (dst_rows_adjacent && s.kind == Step::Kind::kCopy &&
               block.src_row_stride == s.bytes) {
      s.bytes *= block.rows;
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

// The pixel program for one (row taps, col taps) pair, in output order; nullopt when its input
// offsets do not fit int64 (hostile rates and sizes: the plan is then generic).
std::optional<PixelProgram> build_program(const Plan& plan, TapRange rows, TapRange cols) {
  const Geometry& g = plan.geometry;
  const int64_t tap = plan.in_tap_bytes;
  const int64_t krow = g.cols.ksize * tap;  // output bytes per kernel row (a part of the pixel)
  if (cols.lo == cols.hi) rows = {};        // no valid column: the whole pixel is padding
  if (rows.lo == rows.hi) cols = {};
  // Input distances of kernel rows and cols, and the first valid tap's offset. A distance may
  // exceed int64 when at most one tap of its axis is ever valid: it is then never used.
  const Wide kFits = Wide{1} << 62;
  const Wide wide_krow = rows.hi - rows.lo > 1 ? Wide{g.rows.rate} * g.cols.in * tap : 0;
  const Wide wide_kcol = cols.hi - cols.lo > 1 ? Wide{g.cols.rate} * tap : 0;
  const Wide first = Wide{rows.lo} * g.rows.rate * g.cols.in * tap + Wide{cols.lo} * g.cols.rate * tap;
  if (wide_krow > kFits || wide_kcol > kFits || first > kFits) return std::nullopt;
  const int64_t src_krow = static_cast<int64_t>(wide_krow);
  const int64_t src_kcol = static_cast<int64_t>(wide_kcol);

  PixelProgram program;
  program.dst_bytes = plan.pixel_bytes;
  program.row_lo = rows.lo, program.row_hi = rows.hi, program.col_lo = cols.lo, program.col_hi = cols.hi;

  auto zero = [](int64_t dst, int64_t bytes) { return Step{Step::Kind::kZero, dst, 0, bytes, 1, 0}; };
  Block top;
  append(&top.steps, zero(0, rows.lo * krow));
  append(&program.blocks, std::move(top));

  Block valid;
  valid.rows = rows.hi - rows.lo;
  valid.dst_row_stride = krow;
  valid.src_row_stride = src_krow;
  int64_t dst = rows.lo * krow;
  append(&valid.steps, zero(dst, cols.lo * tap));
  append(&valid.steps, Step{Step::Kind::kGather, dst + cols.lo * tap, static_cast<int64_t>(first), tap,
                            cols.hi - cols.lo, src_kcol});
  append(&valid.steps, zero(dst + cols.hi * tap, (g.cols.ksize - cols.hi) * tap));
  append(&program.blocks, std::move(valid));

  Block bottom;
  append(&bottom.steps, zero(rows.hi * krow, (g.rows.ksize - rows.hi) * krow));
  append(&program.blocks, std::move(bottom));
  return program;
}

// The planner's unrolling decisions: the pieces of a gather, then the rows of a block, become
// run-time loops when unrolled they would exceed the budget. (Runs longer than
// max_unrolled_run_bytes are loops of their own; pieces that long stay unrolled.)
void choose_loops(const PlanOptions& options, PixelProgram* program) {
  for (Block& block : program->blocks) {
    int64_t moves = 0;
    for (Step& s : block.steps) {
      int64_t piece = ceil_div(std::min(s.bytes, options.max_unrolled_run_bytes), options.vector_bytes);
      s.loop = s.kind == Step::Kind::kGather && s.bytes <= options.max_unrolled_run_bytes &&
               s.count * piece > options.unroll_budget;
      moves += s.loop ? piece : step_moves(s, options);
    }
    block.loop = block.rows > 1 && moves * block.rows > options.unroll_budget;
  }
}

// Byte range [lo, hi) a program reads relative to the anchor, or lo == hi when it reads nothing.
std::pair<Wide, Wide> source_extent(const PixelProgram& program) {
  Wide lo = 0, hi = 0;
  bool any = false;
  for (const Block& b : program.blocks) {
    for (const Step& s : b.steps) {
      if (s.kind == Step::Kind::kZero) continue;
      Wide first = s.src;
      Wide end = Wide{s.src} + Wide{b.rows - 1} * b.src_row_stride +
                 Wide{s.count - 1} * s.src_stride + s.bytes;
      lo = any ? std::min(lo, first) : first;
      hi = any ? std::max(hi, end) : end;
      any = true;
    }
  }
  return {lo, hi};
}

Wide anchor(const Plan& plan, int64_t row, int64_t col) {
  return Wide{plan.anchor_origin} + Wide{row} * plan.in_row_step + Wide{col} * plan.in_pixel_step;
}

// The memory-safety proof every backend relies on: for every region, the reads of its first and
// last pixel (the extremes, since offsets grow with row and column) stay inside the input image,
// and every write stays inside the pixel's output bytes.
Status prove_bounds(const Plan& plan) {
  for (const PixelProgram& program : plan.programs) {
    for (const Block& b : program.blocks) {
      for (const Step& s : b.steps) {
        Wide end = Wide{s.dst} + Wide{b.rows - 1} * b.dst_row_stride + s.dst_bytes();
        if (s.dst < 0 || s.bytes <= 0 || s.count <= 0 || b.rows <= 0 || end > program.dst_bytes) {
          return Internal("planner bug: a step writes outside its pixel (", plan.name(), ")");
        }
      }
    }
  }
  for (const RowClass& rc : plan.row_classes) {
    for (const Region& region : rc.regions) {
      auto [lo, hi] = source_extent(plan.programs[region.program]);
      if (lo == hi) continue;
      int64_t last_col = region.begin + (region.iterations() - 1) * region.pixels_per_iteration;
      if (anchor(plan, rc.begin, region.begin) + lo < 0 ||
          anchor(plan, rc.end - 1, last_col) + hi > plan.in_image_bytes) {
        return Internal("planner bug: region rows [", rc.begin, ",", rc.end, ") cols [",
                        region.begin, ",", region.end, ") reads outside the input (", plan.name(), ")");
      }
    }
  }
  return Status::Ok();
}

// Regions whose pixels are one contiguous copy each, read and written back to back, become a
// single copy of all of them (1x1 kernels at stride 1, non-overlapping 1-row windows).
void fuse_contiguous_pixels(Plan* plan) {
  std::map<int64_t, int32_t> fused_by_width;
  for (RowClass& rc : plan->row_classes) {
    for (Region& region : rc.regions) {
      const PixelProgram& p = plan->programs[region.program];
      int64_t width = region.end - region.begin;
      bool single_copy = p.blocks.size() == 1 && p.blocks[0].rows == 1 &&
                         p.blocks[0].steps.size() == 1 &&
                         p.blocks[0].steps[0].kind == Step::Kind::kCopy &&
                         p.blocks[0].steps[0].src == 0 && p.blocks[0].steps[0].bytes == p.dst_bytes;
      if (width < 2 || !single_copy || plan->in_pixel_step != plan->pixel_bytes) continue;
      auto [it, inserted] = fused_by_width.try_emplace(width, 0);
      if (inserted) {
        PixelProgram fused = p;
        fused.dst_bytes = width * plan->pixel_bytes;
        fused.blocks[0].steps[0].bytes = fused.dst_bytes;
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

// Groups for the programs some region runs at least a group's worth of times, one pixel at a
// time. Their windows lie between bytes the steps read (pixel_group.h): inside the input, as
// prove_bounds showed for the steps.
void group_programs(Plan* plan) {
  std::vector<int64_t> longest(plan->programs.size(), 0);  // most consecutive pixels in a region
  for (const RowClass& rc : plan->row_classes) {
    for (const Region& r : rc.regions) {
      if (r.pixels_per_iteration == 1) longest[r.program] = std::max(longest[r.program], r.iterations());
    }
  }
  for (size_t i = 0; i < plan->programs.size(); ++i) {
    PixelProgram& p = plan->programs[i];
    if (longest[i] < 2) continue;
    std::optional<PixelGroup> group = group_pixels(p, plan->in_pixel_step);
    if (group && group->pixels <= longest[i]) p.group = std::move(group);
  }
}

}  // namespace

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
    return {kLoop + kMove * (ceil_div(o.max_unrolled_run_bytes, o.vector_bytes) + 2), 1};
  };
  std::vector<Cost> programs;
  for (const PixelProgram& p : plan.programs) {
    Cost program;
    for (const Block& b : p.blocks) {
      Cost row;
      for (const Step& s : b.steps) {
        if (s.kind != Step::Kind::kGather) row = row + run(s.bytes);
        else row = row + (s.loop ? run(s.bytes) + Cost{kLoop, 1} : run(s.bytes).times(s.count));
      }
      program = program + (b.loop ? row + Cost{kLoop, 1} : row.times(b.rows));
    }
    if (p.group) {
      // Beside the one-pixel code: the whole group and a partial one for the region's last
      // pixels, each two loads a window, two moves a part and a store a chunk, then the loop
      // and its permute indices (up to 11 kept in registers).
      Cost group{kLoop + kMove * (11 + 2 * 2 * Wide(p.group->windows.size())), 1};
      for (const GroupChunk& c : p.group->chunks) group = group + Cost{kMove * 2 * (2 * Wide(c.parts.size()) + 1), 0};
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
  options.max_unrolled_run_bytes = options.vector_bytes;
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

std::string Plan::name() const {
  const Geometry& g = geometry;
  return cat("e", g.elem_size, "_", g.rows.in, "x", g.cols.in, "x", g.depth, "_k", g.rows.ksize,
             "x", g.cols.ksize, "_s", g.rows.stride, "x", g.cols.stride, "_r", g.rows.rate, "x",
             g.cols.rate, g.padding == Padding::kSame ? "_same" : "_valid");
}

int64_t Plan::region_count() const {
  int64_t n = 0;
  for (const RowClass& rc : row_classes) n += static_cast<int64_t>(rc.regions.size());
  return n;
}

Expected<Plan> make_plan(const Geometry& geometry, const PlanOptions& options) {
  if (geometry.empty()) return Internal("make_plan: the output is empty; there is nothing to plan");
  if (options.vector_bytes <= 0 || options.unroll_budget <= 0 || options.max_unrolled_run_bytes <= 0) {
    return InvalidArgument("make_plan: plan options must be positive");
  }
  const Geometry& g = geometry;
  Plan plan;
  plan.geometry = g;
  plan.options = options;
  plan.options.nontemporal = options.nontemporal && streamable(g);
  // Non-empty output: every size below is a factor of the (int64) input or output byte count,
  // except the anchor offsets, which are checked in 128 bits by prove_bounds.
  plan.in_tap_bytes = g.depth * g.elem_size;
  plan.pixel_bytes = g.patch_depth * g.elem_size;
  plan.out_row_bytes = g.cols.out * plan.pixel_bytes;
  plan.out_image_bytes = g.rows.out * plan.out_row_bytes;
  plan.in_image_bytes = g.rows.in * g.cols.in * plan.in_tap_bytes;
  Wide pixel_step = Wide{g.cols.stride} * plan.in_tap_bytes;
  Wide row_step = Wide{g.rows.stride} * g.cols.in * plan.in_tap_bytes;
  Wide origin = -(Wide{g.rows.pad_before} * g.cols.in + g.cols.pad_before) * plan.in_tap_bytes;
  // Anchors this far apart (hostile strides, or padding of huge dilated kernels) do not fit the
  // int64 offsets kernels use: the generic loops, which address valid taps only, serve them.
  const Wide kMax = (Wide{1} << 62);
  if (pixel_step > kMax || row_step > kMax || -origin > kMax) return generic_plan(std::move(plan));
  plan.in_pixel_step = static_cast<int64_t>(pixel_step);
  plan.in_row_step = static_cast<int64_t>(row_step);
  plan.anchor_origin = static_cast<int64_t>(origin);

  std::vector<AxisClass> row_classes, col_classes;
  if (!axis_classes(g.rows, options.max_regions, &row_classes) ||
      !axis_classes(g.cols, options.max_regions, &col_classes) ||
      static_cast<int64_t>(row_classes.size() * col_classes.size()) > options.max_regions) {
    return generic_plan(std::move(plan));
  }

  std::map<std::pair<TapRange, TapRange>, int32_t> program_index;
  for (const AxisClass& rows : row_classes) {
    RowClass rc{rows.begin, rows.end, {}};
    for (const AxisClass& cols : col_classes) {
      auto [it, inserted] = program_index.try_emplace({rows.taps, cols.taps}, 0);
      if (inserted) {
        std::optional<PixelProgram> program = build_program(plan, rows.taps, cols.taps);
        if (!program) return generic_plan(std::move(plan));
        it->second = static_cast<int32_t>(plan.programs.size());
        plan.programs.push_back(std::move(*program));
      }
      rc.regions.push_back({cols.begin, cols.end, it->second, 1});
    }
    plan.row_classes.push_back(std::move(rc));
  }
  fuse_contiguous_pixels(&plan);
  for (PixelProgram& p : plan.programs) choose_loops(options, &p);
  PJ_RETURN_IF_ERROR(prove_bounds(plan));
  if (options.group_pixels) group_programs(&plan);
  return plan;
}

}  // namespace pj
