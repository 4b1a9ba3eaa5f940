// Fold's plan (docs/SEMANTICS.md §12): patches -> image by gathering, never scattering. Each
// image element is computed once, from +0, adding the patch elements that extract copied from
// it in ascending output position (oh, ow), which is what makes the result bit-identical to
// TensorFlow's gradient for any thread count.
//
// A kernel walks image rows (b, h). For one row the taps are the pairs (oh, i) with
// oh*stride - pad_top + i*rate = h, ascending in oh (row_taps); for every one of them it runs the
// column passes, kernel columns j in descending order (so ascending ow for each pixel): pass j
// adds patch (oh, ow) tap (i, j) to pixel w = ow*stride - pad_left + j*rate for the output
// columns ow whose w lies in the image. Pixel (h, w) thus receives its adds in (oh, ow) order.
// Passes only name output columns inside the image, so no padding position is ever read.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "codegen/plan/cost_model.h"
#include "codegen/plan/geometry.h"
#include "codegen/plan/status.h"
#include "codegen/xbyak/isa.h"

namespace pj {

// One tap of an image coordinate: output index (oh or ow) and kernel index (i or j).
struct FoldTap {
  int64_t out = 0, k = 0;
};

// Kernel column j adds output columns [ow_begin, ow_end) to pixels ow*stride - pad + j*rate.
struct ColumnPass {
  int64_t j = 0;
  int64_t ow_begin = 0, ow_end = 0;
};

// Image columns (or rows) first + m*stride, m < count, whose taps are column (row) `first`'s,
// each one output column (row) further: one pixel's sum, stepped along.
struct ColumnGroup {
  int64_t first = 0, count = 0;
};
using RowGroup = ColumnGroup;

// Kernel row k of an output row oh adds to image row oh*stride - pad + k*rate (row passes):
// that row's first tap (from +0) or not (onto the partial sum in the image), its last (mode
// mean: then divided by its `count` rows of taps times each column's) or not.
struct RowPass {
  int64_t k = 0, count = 0;
  bool first = false, last = false;
  bool operator==(const RowPass&) const = default;
};

// Output rows [first, first + count) with the same row passes.
struct PassGroup {
  int64_t first = 0, count = 0;
  std::vector<RowPass> passes;
};

struct FoldPlan {
  Geometry geometry;
  std::vector<ColumnPass> passes;  // kernel columns in descending order; none empty
  // The innermost loop: over channels where the image's channels are closer together than its
  // pixels (nhwc), else over a pass's output columns (nchw: each channel's row is a run).
  bool channels_inner = true;
  // Image columns [inner_begin, inner_end) that every column pass reaches, when output columns
  // are contiguous in the patches and the image (nchw, columns, stride 1): each channel's row
  // there is one sum of all its taps' runs, in registers, and each border pixel one sum of its
  // own taps. Empty otherwise: the passes are added one by one.
  int64_t inner_begin = 0, inner_end = 0;
  // Image rows [inner_row_begin, inner_row_end) that every kernel row reaches, when the row
  // stride is 1 too: row h + 1 has row h's taps one output row further, so each border column's
  // pixels over those rows are one strided sum per channel. Empty otherwise.
  int64_t inner_row_begin = 0, inner_row_end = 0;
  // Channels folded together over a tile's rows (there): as many as read at most 16 patch planes
  // (rows of the [K, OH*OW] matrix), kh*kw per channel, so each plane is read front to back
  // while its pages stay cached and mapped; row after row over all C channels touches C*kh*kw
  // planes per row (measured: 1.5x slower, and no gain from a second thread). The depth
  // otherwise.
  int64_t channel_block = 0;
  // The taps of every image column w, ascending in ow: column_taps[column_first[w] ..
  // column_first[w + 1]); and of every image row h, ascending in oh, likewise. A pixel's number of
  // contributions is its row's count times its column's.
  std::vector<int64_t> column_first, row_first;
  std::vector<FoldTap> column_taps, row_taps;
  int64_t column_count(int64_t w) const {
    return column_first[static_cast<size_t>(w) + 1] - column_first[static_cast<size_t>(w)];
  }
  int64_t row_count(int64_t h) const {
    return row_first[static_cast<size_t>(h) + 1] - row_first[static_cast<size_t>(h)];
  }
  // Every image column in one group, in ascending `first`: at stride 1 the border columns one
  // each and the inner ones together; at stride s the inner ones by stride phase.
  std::vector<ColumnGroup> column_groups;
  // Every image row in one group likewise (the JIT's row loops).
  std::vector<RowGroup> row_groups;
  const FoldTap* column_taps_of(int64_t w) const { return column_taps.data() + column_first[static_cast<size_t>(w)]; }
  const FoldTap* row_taps_of(int64_t h) const { return row_taps.data() + row_first[static_cast<size_t>(h)]; }

  // Whether each pixel's channels are contiguous in the image and in every tap of the patches
  // (NHWC with patches in HWC order: tf's format; or one channel, contiguous wherever it is): a
  // pixel is one sum of runs of C elements.
  bool sums_pixels() const {
    const int64_t e = geometry.elem_size;
    return (channels_inner || geometry.depth == 1) && geometry.image_steps.channel == e && patch_channel_step == e;
  }
  // Whether each channel's image row and every tap's plane row are contiguous runs over the
  // image columns (NCHW, patches as columns, column stride 1: torch's fold): a column group of
  // one channel is one sum of runs of its columns.
  bool sums_channel_rows() const {
    const int64_t e = geometry.elem_size;
    return !sums_pixels() && geometry.patch_steps.position == e && image_column_step == e;
  }
  // With sums_pixels(): software prefetches this many bytes of each tap's run ahead of the
  // pixels being summed; 0: none (cost_model.h's fold_prefetch_bytes decides).
  int64_t prefetch_bytes = 0;
  // Bytes of patches from a pixel's taps to those prefetched: prefetch_bytes in whole pixels of
  // the group (at least one), each one patch position on; 0 without prefetches.
  int64_t prefetch_ahead() const {
    const int64_t run = geometry.depth * geometry.elem_size;
    if (prefetch_bytes <= 0 || run <= 0) return 0;
    return std::max<int64_t>(1, prefetch_bytes / run) * geometry.patch_steps.position;
  }

  // The instruction set of the contiguous adds (interp/vector_adds.h): the host's, capped.
  Isa isa = Isa::kNone;

  // With sums_pixels() and 64-byte permutes of every lane size (AVX-512 with VBMI): whether an
  // image row is summed in vectors of its lanes (LaneRow) rather than pixel by pixel, chosen by
  // the micro-ops each costs a row tap (lane_uops, pixel_uops: fold_lanes_pay).
  bool sums_lanes = false;
  int64_t lane_uops = 0, pixel_uops = 0;

  // With sums_pixels(): whether the kernel walks output rows rather than image rows, each output
  // row's kernel rows adding their runs to their image rows' partial sums, kept in the image
  // (row passes): each patch row is then read once, all its kernel rows while it is cached,
  // where walking image rows reads each patch row once per kernel row, a kernel row's run of
  // each patch at a time (fold_row_passes_pay decides). Every image element still adds its
  // contributions from +0 in ascending output position: its row's passes come in ascending oh,
  // each pass its columns in ascending ow. The output rows by pass group, ascending; image
  // rows with no taps are the row groups with none (written +0).
  bool row_passes = false;
  std::vector<PassGroup> pass_groups;

  // Byte steps of one channel in the patches and of one output column in the image.
  int64_t patch_channel_step = 0;
  int64_t image_column_step = 0;  // stride * the image's pixel step
};

// An image row of short pixels as lanes (elements; complex: their float or double parts) in
// vectors of `vector` lanes, for sums in vectors (FoldPlan::sums_lanes): each tap's run (one
// kernel row of one patch, kw pixels) is loaded once for every vector it reaches and permuted
// into place. Lane j of output column ow's run lands on image lane image_lane(ow, j).
struct LaneRow {
  LaneRow(const Geometry& g, int64_t vector_bytes);
  int64_t lane_bytes = 1, pixel = 0, run = 0, row = 0, vector = 1;  // lanes
  int64_t image_lane(int64_t ow, int64_t j) const {
    return (ow * stride_ - pad_ + (j / pixel) * rate_) * pixel + j % pixel;
  }
  int64_t vectors() const { return (row + vector - 1) / vector; }
  // The output columns whose runs may reach image lanes [lo, hi), not clipped to [0, out).
  int64_t first_column(int64_t lo) const;
  int64_t last_column(int64_t hi) const;
  // Vectors after which a row's pattern repeats, each run of the same index one `columns`
  // further: lcm(vector, stride*pixel) lanes.
  int64_t period() const;
  int64_t period_columns() const { return period() * vector / (stride_ * pixel); }

 private:
  int64_t stride_ = 1, pad_ = 0, rate_ = 1, reach_ = 0;  // reach_: lanes from a run's first to its last
};

// Row passes on (where the plan sums pixels) or off: FoldPlan::row_passes and pass_groups.
void set_row_passes(FoldPlan& plan, bool on);

// Sums of lanes read and permute 64-byte vectors (AVX-512).
inline constexpr int64_t kLaneVectorBytes = 64;

// Whether LaneRow's sums serve `plan` (whether they pay is the planner's choice): pixels
// shorter than a vector, rows and runs contiguous lanes (NHWC, patches in HWC order, no
// gaps), adds in the vector's lanes (not half's float lanes), AVX-512, and the row's code
// bounded: its repeating vectors in a loop of at most 16, or at most 32 vectors in all.
bool lanes_possible(const FoldPlan& plan);

// The kernel indices that may reach image coordinate x on `axis`: [first, last], with an output
// index in [0, axis.out) (the rest of the kernel reads other coordinates).
struct TapRange {
  int64_t first = 0, last = -1;
};
TapRange tap_range(const Axis& axis, int64_t x);

// Calls f(FoldTap{oh, i}) for each tap of image coordinate x on `axis` (rows: kernel rows i whose
// output row oh reads row x), ascending in the output index.
template <typename F>
void for_each_tap(const Axis& axis, int64_t x, F&& f) {
  const TapRange r = tap_range(axis, x);
  for (int64_t k = r.last; k >= r.first; --k) {
    const int64_t t = (x - k * axis.rate) + axis.pad_before;  // in [0, (out-1)*stride] (tap_range)
    if (t % axis.stride == 0) f(FoldTap{t / axis.stride, k});
  }
}

// `machine`: the caches the prefetches are chosen for (unknown: none).
Expected<FoldPlan> make_fold_plan(const Geometry& g, Isa isa = Isa::kNone, const MachineModel& machine = {});

// What `patchjit info` prints.
std::string to_string(const FoldPlan& plan);

}  // namespace pj
