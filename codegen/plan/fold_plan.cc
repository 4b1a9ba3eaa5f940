#include "codegen/plan/fold_plan.h"

#include <algorithm>
#include <numeric>
#include <tuple>

namespace pj {
namespace {

using Wide = __int128;

Wide floor_div(Wide a, Wide b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
Wide ceil_div(Wide a, Wide b) { return -floor_div(-a, b); }

// On an axis of stride 1, the image coordinates every kernel index that reaches the image at
// all reaches: kernel index k reads x = o - pad + k*rate for outputs o in [0, out), so x in
// [k*rate - pad, out + k*rate - pad) within [0, in). Empty (0, 0) when there are none.
std::pair<int64_t, int64_t> reached_by_all(const Axis& a) {
  Wide begin = 0, end = a.in;
  bool any = false;
  for (int64_t k = 0; k < a.ksize; ++k) {
    const Wide offset = Wide{k} * a.rate - a.pad_before;
    const Wide lo = std::max<Wide>(0, offset), hi = std::min<Wide>(a.in, offset + a.out);
    if (lo >= hi) continue;  // kernel index k reaches no coordinate: no tap anywhere
    any = true;
    begin = std::max(begin, lo), end = std::min(end, hi);
  }
  if (!any || begin >= end) return {0, 0};
  return {static_cast<int64_t>(begin), static_cast<int64_t>(end)};
}

// Groups of `axis`: each coordinate not yet grouped starts one, stepping on while the next
// coordinate of its stride phase has its taps one output index further.
std::vector<ColumnGroup> groups(const Axis& axis, const std::vector<int64_t>& first, const std::vector<FoldTap>& taps) {
  std::vector<ColumnGroup> out;
  std::vector<bool> grouped(static_cast<size_t>(axis.in), false);
  auto count_of = [&](int64_t x) { return first[static_cast<size_t>(x) + 1] - first[static_cast<size_t>(x)]; };
  for (int64_t x = 0; x < axis.in; ++x) {
    if (grouped[static_cast<size_t>(x)]) continue;
    ColumnGroup group{x, 1};
    const FoldTap* mine = taps.data() + first[static_cast<size_t>(x)];
    const int64_t n = count_of(x);
    for (int64_t y = x + axis.stride; y < axis.in && count_of(y) == n; y += axis.stride, ++group.count) {
      const FoldTap* next = taps.data() + first[static_cast<size_t>(y)];
      if (!std::equal(mine, mine + n, next,
                      [&](FoldTap a, FoldTap b) { return a.k == b.k && a.out + group.count == b.out; })) {
        break;
      }
      grouped[static_cast<size_t>(y)] = true;
    }
    out.push_back(group);
  }
  return out;
}

// Chooses LaneRow's sums where they may serve and pay (fold_lanes_pay).
void choose_lanes(FoldPlan& p) {
  if (!lanes_possible(p)) return;
  const Geometry& g = p.geometry;
  const int64_t pixel_bytes = g.depth * g.elem_size;
  const LaneRow lanes(g, kLaneVectorBytes);
  // Micro-ops of one row tap of a row. Pixel by pixel: per (pixel, kernel column) and piece a
  // load and an add, per pixel and piece a zeroing and a store (a piece: the pixel, or two
  // overlapping powers of two).
  const int64_t pieces = pixel_bytes < 16 || (pixel_bytes & (pixel_bytes - 1)) == 0 ? 1 : 2;
  int64_t column_taps = 0;
  for (int64_t w = 0; w < g.cols.in; ++w) column_taps += p.column_count(w);
  p.pixel_uops = (column_taps + g.cols.in) * pieces * 2;
  // In lanes: per (vector, run reaching it) 10 for a permuted run (its index's load, the
  // permute with its load and the add are 4 micro-ops, but measured on Zen 5, one thread, they
  // cost more: float32 1x64x64x2 3x3/2 took 3.0 us in lanes against 2.0 pixel by pixel, uint8
  // 1x40x40x5 6x6/2 rate 2 3.1 against 2.6, uint8 1x224x224x3 7x7/2 202 against 250 us and the
  // same in float32 202 against 252, where both are bound by reading the patches); a run that
  // is the vector 2, its load and add (float32 1x128x128x8 2x2/2: 10.4 against 12.0 us); per
  // vector a zeroing and a store.
  int64_t uops = lanes.vectors() * 2;
  for (int64_t ow = 0; ow < g.cols.out; ++ow) {
    int64_t lo = -1, hi = -1;  // the run's lanes in the row
    for (int64_t j = 0; j < lanes.run; ++j) {
      const int64_t lane = lanes.image_lane(ow, j);
      if (lane < 0 || lane >= lanes.row) continue;
      if (lo < 0) lo = lane;
      hi = lane;
    }
    if (lo < 0) continue;
    const bool whole = lanes.run == lanes.vector && hi - lo + 1 == lanes.vector && lo % lanes.vector == 0;
    uops += whole ? 2 : 10 * (hi / lanes.vector - lo / lanes.vector + 1);
  }
  p.lane_uops = uops;
  p.sums_lanes = fold_lanes_pay(p.pixel_uops, p.lane_uops);
}

// Consecutive output rows with the same passes (PassGroup).
std::vector<PassGroup> pass_groups(const FoldPlan& p) {
  const Geometry& g = p.geometry;
  std::vector<PassGroup> out;
  for (int64_t oh = 0; oh < g.rows.out; ++oh) {
    std::vector<RowPass> passes;
    for (int64_t k = 0; k < g.rows.ksize; ++k) {
      const int64_t h = oh * g.rows.stride - g.rows.pad_before + k * g.rows.rate;
      if (h < 0 || h >= g.rows.in) continue;
      const FoldTap* taps = p.row_taps_of(h);
      const int64_t count = p.row_count(h);
      passes.push_back({k, count, taps[0].out == oh, taps[count - 1].out == oh});
    }
    if (!out.empty() && out.back().passes == passes && out.back().first + out.back().count == oh) {
      ++out.back().count;
    } else {
      out.push_back({oh, 1, std::move(passes)});
    }
  }
  return out;
}

}  // namespace

void set_row_passes(FoldPlan& p, bool on) {
  p.row_passes = on && p.sums_pixels();
  p.pass_groups = p.row_passes ? pass_groups(p) : std::vector<PassGroup>();
}

bool lanes_possible(const FoldPlan& p) {
  const Geometry& g = p.geometry;
  const int64_t e = g.elem_size, pixel_bytes = g.depth * e;
  if (p.isa != Isa::kAvx512 || !p.sums_pixels() || g.format.order != PatchOrder::kHwc ||
      g.patch_steps.element != e || g.image_steps.pixel != pixel_bytes || g.dtype == DType::kHalf ||
      g.dtype == DType::kBFloat16 || g.dtype == DType::kBool || pixel_bytes <= 0 || pixel_bytes >= kLaneVectorBytes ||
      g.cols.out <= 0 || g.cols.in <= 0) {
    return false;
  }
  const LaneRow lanes(g, kLaneVectorBytes);
  return lanes.period() <= 16 || lanes.vectors() <= 32;
}

LaneRow::LaneRow(const Geometry& g, int64_t vector_bytes) {
  const bool complex = g.dtype == DType::kComplex64 || g.dtype == DType::kComplex128;
  lane_bytes = complex ? g.elem_size / 2 : g.elem_size;
  pixel = g.depth * g.elem_size / lane_bytes;
  run = g.cols.ksize * pixel;
  row = g.cols.in * pixel;
  vector = std::max<int64_t>(1, vector_bytes / lane_bytes);
  stride_ = g.cols.stride, pad_ = g.cols.pad_before, rate_ = g.cols.rate;
  reach_ = ((g.cols.ksize - 1) * rate_ + 1) * pixel;
}

int64_t LaneRow::first_column(int64_t lo) const {
  // The last lane of column ow's run: ow*stride*pixel - pad*pixel + reach - 1 >= lo.
  return static_cast<int64_t>(ceil_div(Wide{lo} + Wide{pad_} * pixel - reach_ + 1, Wide{stride_} * pixel));
}

int64_t LaneRow::last_column(int64_t hi) const {
  // The first lane of column ow's run: (ow*stride - pad)*pixel < hi.
  return static_cast<int64_t>(floor_div(Wide{hi} + Wide{pad_} * pixel - 1, Wide{stride_} * pixel));
}

int64_t LaneRow::period() const { return std::lcm(vector, stride_ * pixel) / vector; }

TapRange tap_range(const Axis& axis, int64_t x) {
  if (axis.out <= 0) return {};
  // 0 <= x + pad - k*rate <= (out - 1)*stride, 0 <= k < ksize.
  const Wide reach = Wide{x} + axis.pad_before;
  const Wide first = std::max<Wide>(0, ceil_div(reach - Wide{axis.out - 1} * axis.stride, axis.rate));
  const Wide last = std::min<Wide>(axis.ksize - 1, floor_div(reach, axis.rate));
  return {static_cast<int64_t>(first), static_cast<int64_t>(std::max<Wide>(last, first - 1))};
}

Expected<FoldPlan> make_fold_plan(const Geometry& g, Isa isa, const MachineModel& machine) {
  if (g.extract()) return Internal("make_fold_plan: the geometry is extract's");
  // The plan lists every image row's and column's taps: at most 2^24 coordinates and as many
  // (output, kernel) pairs an axis (under 400 MiB), so a fold of absurd extent is refused here,
  // not by running out of memory.
  constexpr int64_t kMostEntries = int64_t{1} << 24;
  for (const Axis* a : {&g.cols, &g.rows}) {
    if (a->in >= kMostEntries || Wide{a->out} * a->ksize >= kMostEntries) {
      const char* axis = a == &g.rows ? "row" : "column";
      return ResourceExhausted("fold plans list the taps of every image ", axis, ": at most ", kMostEntries,
                               " of them and as many output-kernel pairs, and this fold has ", a->in, " image ", axis,
                               "s, ", a->out, " outputs and ", a->ksize, " kernel ", axis, "s");
    }
  }
  FoldPlan p;
  p.geometry = g;
  p.isa = isa;
  const Axis& cols = g.cols;
  // Kernel columns that reach some image column, descending; each one's output columns whose
  // pixel w = ow*stride - pad + j*rate lies in [0, in).
  if (cols.out > 0 && cols.in > 0) {
    // j*rate = w + pad - ow*stride for some w in [0, in), ow in [0, out).
    const Wide pad = cols.pad_before;
    const int64_t j_hi =
        static_cast<int64_t>(std::min<Wide>(cols.ksize - 1, floor_div(Wide{cols.in} - 1 + pad, cols.rate)));
    const int64_t j_lo =
        static_cast<int64_t>(std::max<Wide>(0, ceil_div(pad - Wide{cols.out - 1} * cols.stride, cols.rate)));
    for (int64_t j = j_hi; j >= j_lo; --j) {
      const Wide offset = Wide{j} * cols.rate - cols.pad_before;  // w = ow*stride + offset
      const Wide begin = std::max<Wide>(0, ceil_div(-offset, cols.stride));
      const Wide end = std::min<Wide>(cols.out, floor_div(Wide{cols.in} - 1 - offset, cols.stride) + 1);
      if (begin < end) p.passes.push_back({j, static_cast<int64_t>(begin), static_cast<int64_t>(end)});
    }
  }
  const int64_t e = g.elem_size;
  const bool hwc = g.format.order == PatchOrder::kHwc;
  // Saturated: each steps between two elements only where there are two (C >= 2; columns x
  // and x + stride inside the image), and then fits; else the step may pass int64 (a chw
  // channel of one kernel row of leading dimension 3 * 2^61 bytes; a one-column image's pixel
  // stride of 2^63 bytes at column stride 2) and is never taken.
  p.patch_channel_step = saturated_product(g.patch_steps.element, hwc ? 1 : g.rows.ksize * g.cols.ksize);
  p.image_column_step = saturated_product(g.image_steps.pixel, cols.stride);
  p.channels_inner = g.image_steps.channel < g.image_steps.pixel;
  if (!p.channels_inner && g.patch_steps.position == e && p.image_column_step == e) {  // column stride 1
    std::tie(p.inner_begin, p.inner_end) = reached_by_all(cols);
    if (p.inner_begin < p.inner_end && g.rows.stride == 1)
      std::tie(p.inner_row_begin, p.inner_row_end) = reached_by_all(g.rows);
  }
  p.channel_block = g.depth;
  if (p.sums_pixels()) p.prefetch_bytes = fold_prefetch_bytes(g, machine);
  if (p.inner_begin < p.inner_end) {
    constexpr int64_t kPlanes = 16;  // patch planes read at once: one kh*kw per channel
    p.channel_block = std::clamp<int64_t>(kPlanes / (g.rows.ksize * cols.ksize), 1, std::max<int64_t>(g.depth, 1));
  }
  for (auto [axis, first, taps] :
       {std::tuple{&cols, &p.column_first, &p.column_taps}, std::tuple{&g.rows, &p.row_first, &p.row_taps}}) {
    first->reserve(static_cast<size_t>(axis->in) + 1);
    for (int64_t x = 0; x < axis->in; ++x) {
      first->push_back(static_cast<int64_t>(taps->size()));
      for_each_tap(*axis, x, [&](FoldTap tap) { taps->push_back(tap); });
    }
    first->push_back(static_cast<int64_t>(taps->size()));
  }
  p.column_groups = groups(cols, p.column_first, p.column_taps);
  choose_lanes(p);
  set_row_passes(p, fold_row_passes_pay(g, machine));
  p.row_groups = groups(g.rows, p.row_first, p.row_taps);
  return p;
}

std::string to_string(const FoldPlan& p) {
  const Geometry& g = p.geometry;
  std::string text = cat("fold plan ", signature_name(g), ": image rows gather their taps in ascending (oh, ow), ",
                         "each add rounded in ", dtype_name(g.dtype), "\n");
  text += cat("  column passes (kernel column: output columns):");
  constexpr size_t kShown = 16;
  for (size_t n = 0; n < p.passes.size() && n < kShown; ++n) {
    text += cat(" ", p.passes[n].j, ":[", p.passes[n].ow_begin, ",", p.passes[n].ow_end, ")");
  }
  if (p.passes.size() > kShown) text += cat(" ... (", p.passes.size(), " in all)");
  text += cat("\n  innermost loop over ", p.channels_inner ? "channels" : "output columns", ", vectors ",
              isa_name(p.isa), "\n");
  if (p.inner_begin < p.inner_end) {
    text += cat("  image columns [", p.inner_begin, ",", p.inner_end, ") sum all ", p.passes.size(),
                " column taps of each row tap at once; ", p.channel_block, " channel", p.channel_block == 1 ? "" : "s",
                " at a time over the rows\n");
    if (p.inner_row_begin < p.inner_row_end) {
      text += cat("  image rows [", p.inner_row_begin, ",", p.inner_row_end,
                  "): each border column one sum down the rows\n");
    }
  }
  if (p.inner_begin >= p.inner_end) {
    int64_t widest = 0;
    for (const ColumnGroup& c : p.column_groups) widest = std::max(widest, c.count);
    text += cat("  ", p.column_groups.size(), " column group", p.column_groups.size() == 1 ? "" : "s",
                " (pixels with one tap list, stepped along; the widest ", widest, ")\n");
  }
  if (p.pixel_uops > 0) {
    text += cat("  rows ", p.sums_lanes ? "in vectors of lanes, each tap's run permuted into place" : "pixel by pixel",
                " (micro-ops a row tap: ", p.lane_uops, " in lanes, ", p.pixel_uops, " by pixel)\n");
  }
  if (p.row_passes) {
    text += cat("  output rows in ", p.pass_groups.size(), " group", p.pass_groups.size() == 1 ? "" : "s",
                ", each output row's kernel rows added to their image rows' partial sums (row passes)\n");
  }
  if (p.prefetch_bytes > 0) text += cat("  patches prefetched ", p.prefetch_bytes, " bytes of each tap ahead\n");
  if (g.mode == FoldMode::kMean) text += "  mode mean: each pixel's sum divided by its contributions\n";
  return text;
}

}  // namespace pj
