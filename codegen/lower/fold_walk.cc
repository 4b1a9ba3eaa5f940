#include "codegen/lower/fold_walk.h"

#include <algorithm>
#include <set>

namespace pj {
namespace {

// A run of `bytes` as pieces of at most `widest` bytes: under 16 bytes one piece, read as the
// power of two above it where allowed; under `widest`, one power of two or two overlapping
// ones; else whole ones, then the narrowest of at least 16 bytes that ends at the run's end.
// Offsets stay multiples of the element (every size is a power of two).
std::vector<FoldPiece> pieces_of(int64_t bytes, int widest) {
  std::vector<FoldPiece> out;
  if (bytes <= 0) return out;
  int w = 1;
  while (w < bytes && w < 16) w *= 2;
  if (bytes < 16) return {{0, static_cast<int>(bytes), w}};  // one register: read as `w` where allowed
  if (bytes < widest) {
    while (w * 2 <= bytes) w *= 2;
    out.push_back({0, w, w});
    if (bytes > w) out.push_back({bytes - w, w, w});
    return out;
  }
  int64_t i = 0;
  for (; i + widest <= bytes; i += widest) out.push_back({i, widest, widest});
  if (i < bytes) {
    w = 16;
    while (w < bytes - i) w *= 2;
    out.push_back({bytes - w, w, w});
  }
  return out;
}

// Pixels per unrolled sum: as many as the accumulators hold, at most 8 (about eight add chains
// in flight hide the adds' latency; more only lengthen the code).
constexpr int kMostPixels = 8;

// Pixels of at least a cache line are summed one at a time: each tap's run is then a stream of
// whole lines, and summing several pixels at once reads as many streams more, all the taps'
// runs of every pixel (the out-of-order core overlaps consecutive sums anyway). Measured on the
// AMD EPYC VM (Zen 5), one thread, float32 3x3, up to 3 pixels a sum -> 1: 4x112x112x64 (116 MB
// of patches) 10.5 -> 8.6 ms, 1x56x56x64 87.8 -> 82.9 us, 1x56x56x16 22.6 -> 21.2 us (AVX2: 23.0
// -> 20.1 us); shorter pixels lose (1x64x64x1 rate 2, 4 bytes: 4.65 -> 5.27 us).
constexpr int64_t kOnePixelBytes = 64;

// `count` pixels of one column group from `at`: unrolled sums of several pixels in a loop where
// a pixel takes few accumulators (and is shorter than a line: `several`); else pixel by pixel,
// each a loop over blocks of vectors where it takes more.
void pixels(FoldSink& sink, At at, int64_t count, const FoldSum& base, const std::vector<FoldPiece>& pieces,
            const FoldTarget& target, int widest, bool several) {
  if (count <= 0) return;
  const int np = static_cast<int>(pieces.size());
  FoldSum s = base;
  if (np <= target.accumulators) {
    const int most = several ? kMostPixels : 1;
    const auto p =
        static_cast<int>(std::min<int64_t>(count, std::clamp(target.accumulators / std::max(np, 1), 1, most)));
    const int64_t full = count / p, rest = count % p;
    s.pieces = pieces;
    s.pixels = p;
    if (full >= 2) {
      sink.begin_loop(Level::kPixel, at, full);
      sink.sum(At{Level::kPixel, 0, 0}, s);
      sink.end_loop(Level::kPixel, p * base.dst_step, p * base.src_step);
    } else if (full == 1) {
      sink.sum(at, s);
    }
    if (rest > 0) {
      s.pixels = static_cast<int>(rest);
      sink.sum(at.plus(full * p * base.dst_step, full * p * base.src_step), s);
    }
    return;
  }
  // Long pixels: blocks of `unroll` whole vectors in a loop, then the rest of the pieces.
  const int unroll = std::min(kMostPixels, target.accumulators);
  int64_t whole = 0;  // the leading whole vectors, at i * widest
  while (whole < np && pieces[whole].offset == whole * widest && pieces[whole].width == widest) ++whole;
  const int64_t blocks = whole / unroll;  // np > accumulators >= unroll: at least one
  At inner = at;
  if (count >= 2) {
    sink.begin_loop(Level::kPixel, at, count);
    inner = At{Level::kPixel, 0, 0};
  }
  s.pixels = 1;
  s.pieces.clear();
  for (int i = 0; i < unroll; ++i) s.pieces.push_back({int64_t{i} * widest, widest, widest});
  if (blocks >= 2) {
    sink.begin_loop(Level::kBlock, inner, blocks);
    sink.sum(At{Level::kBlock, 0, 0}, s);
    sink.end_loop(Level::kBlock, int64_t{unroll} * widest, int64_t{unroll} * widest);
  } else {
    sink.sum(inner, s);
  }
  s.pieces.assign(pieces.begin() + blocks * unroll, pieces.end());
  if (!s.pieces.empty()) sink.sum(inner, s);
  if (count >= 2) sink.end_loop(Level::kPixel, base.dst_step, base.src_step);
}

// Vectors summed at once (their adds interleaved: each vector's chain of adds waits on its
// last, so several hide the adds' latency).
constexpr int kMostVectors = 8;

// One image row of a row group in vectors of lanes (FoldPlan::sums_lanes). A vector's runs:
// for each row tap in order, the output columns ascending whose runs land lanes in it.
class LaneRowWalk {
 public:
  LaneRowWalk(const FoldPlan& plan, const FoldTarget& target, FoldSink& sink)
      : plan_(plan), g_(plan.geometry), lanes_(plan.geometry, target.vector_bytes), sink_(sink),
        batch_(std::clamp(target.accumulators, 1, kMostVectors)) {}

  // Where a row's vectors go: `dst` bytes from the row pointer, from the image's partial sums
  // rather than +0, divided (mode mean) by `rows` times each column's count where not 0.
  struct Into {
    int64_t dst = 0;
    bool from_image = false;
    int64_t rows = 0;
  };

  // The row group's rows: `taps` row taps (ascending in oh, from oh_first), `members` rows.
  void row(const FoldTap* taps, int64_t count, int64_t oh_first, int64_t members, Into into) {
    taps_ = taps, tap_count_ = count, oh_first_ = oh_first, members_ = members, into_ = into;
    const int64_t vectors = lanes_.vectors(), period = lanes_.period();
    // Vectors inside the row whose runs all exist (no output column clipped): each `period`
    // further has the same runs one period_columns further.
    auto repeats = [&](int64_t b) {
      return (b + 1) * lanes_.vector <= lanes_.row && lanes_.first_column(b * lanes_.vector) >= 0 &&
             lanes_.last_column((b + 1) * lanes_.vector) < g_.cols.out;
    };
    int64_t lo = 0;
    while (lo < vectors && !repeats(lo)) ++lo;
    int64_t hi = lo;
    while (hi < vectors && repeats(hi)) ++hi;
    const int64_t iterations = period <= 16 ? (hi - lo) / period : 0;
    if (iterations < 2) {
      unrolled(0, vectors);
      return;
    }
    unrolled(0, lo);
    const int64_t vector_bytes = lanes_.vector * lanes_.lane_bytes;
    const int64_t columns = lanes_.period_columns();
    sink_.begin_loop(Level::kPixel, At{Level::kRow, into_.dst + lo * vector_bytes, 0}, iterations);
    std::vector<FoldLanes> batch;
    for (int64_t q = 0; q < period; ++q) {
      batch.push_back(vector(lo + q, q * vector_bytes, iterations - 1, columns));
      if (static_cast<int>(batch.size()) == batch_ || q + 1 == period) flush(Level::kPixel, batch);
    }
    sink_.end_loop(Level::kPixel, period * vector_bytes, columns * g_.patch_steps.position);
    unrolled(lo + iterations * period, vectors);
  }

 private:
  void unrolled(int64_t begin, int64_t end) {
    std::vector<FoldLanes> batch;
    for (int64_t b = begin; b < end; ++b) {
      batch.push_back(vector(b, into_.dst + b * lanes_.vector * lanes_.lane_bytes, 0, 0));
      if (static_cast<int>(batch.size()) == batch_ || b + 1 == end) flush(Level::kRow, batch);
    }
  }

  void flush(Level level, std::vector<FoldLanes>& batch) {
    sink_.sum_lanes(level, static_cast<int>(lanes_.lane_bytes), batch);
    batch.clear();
  }

  // Vector b of the row, stored `dst` bytes from its level's dst; a loop's first iteration of
  // `more` more, each `columns` output columns further (the loads' bounds hold for the last).
  FoldLanes vector(int64_t b, int64_t dst, int64_t more, int64_t columns) const {
    const int64_t V = lanes_.vector, lo = b * V, hi = std::min(lanes_.row, lo + V), pixel = lanes_.pixel;
    const int64_t lb = lanes_.lane_bytes, pos = g_.patch_steps.position, OW = g_.cols.out, W = g_.cols.in;
    const int64_t kernel_row = g_.cols.ksize * g_.depth * g_.elem_size;  // bytes of a run
    // The image's patches end at the last patch's last byte: whole-vector reads stay before it.
    const int64_t end = (g_.rows.out * OW - 1) * pos + g_.rows.ksize * kernel_row;
    FoldLanes v;
    v.dst = dst;
    v.stored = static_cast<int>(hi - lo);
    v.from_image = into_.from_image;
    const int64_t ow_lo = std::max<int64_t>(0, lanes_.first_column(lo));
    const int64_t ow_hi = std::min(OW - 1, lanes_.last_column(hi));
    for (int64_t r = 0; r < tap_count_; ++r) {
      const FoldTap tap = taps_[r];
      for (int64_t ow = ow_lo; ow <= ow_hi; ++ow) {
        FoldLaneRun run;
        run.index.assign(static_cast<size_t>(V), -1);
        int64_t j0 = -1, used = 0;
        for (int64_t j = 0; j < lanes_.run; ++j) {
          const int64_t lane = lanes_.image_lane(ow, j), x = ow * g_.cols.stride - g_.cols.pad_before + (j / pixel) * g_.cols.rate;
          if (lane < lo || lane >= hi || x < 0 || x >= W) continue;
          if (j0 < 0) j0 = j;
          run.index[static_cast<size_t>(lane - lo)] = static_cast<int16_t>(j - j0);
          used = j - j0 + 1;
        }
        if (j0 < 0) continue;
        const int64_t at = ((tap.out - oh_first_) * OW + ow) * pos + tap.k * kernel_row + j0 * lb;
        // The same read in the last member's row and the loop's last iteration.
        const int64_t last = at + ((oh_first_ + members_ - 1) * OW + more * columns) * pos;
        run.src = at;
        run.loaded = static_cast<int>(last + V * lb <= end ? V : used);
        v.runs.push_back(std::move(run));
      }
    }
    if (into_.rows > 0) {
      v.divisors.assign(static_cast<size_t>(V), 1);
      for (int64_t l = 0; l < hi - lo; ++l) {
        v.divisors[static_cast<size_t>(l)] = std::max<int64_t>(1, into_.rows * plan_.column_count((lo + l) / pixel));
      }
    }
    return v;
  }

  const FoldPlan& plan_;
  const Geometry& g_;
  const LaneRow lanes_;
  FoldSink& sink_;
  const int batch_;
  const FoldTap* taps_ = nullptr;
  int64_t tap_count_ = 0, oh_first_ = 0, members_ = 1;
  Into into_;
};

// Counts what a kernel emits: every sum's loads, adds and stores, and its prefetches.
class CountingSink final : public FoldSink {
 public:
  void begin_kernel() override {}
  void end_kernel() override {}
  void begin_channel_blocks(int64_t) override { operations += 8; }
  void end_channel_blocks(int64_t, int64_t) override {}
  void begin_row_group(const FoldRowGroup&) override { operations += 16; }
  void end_row_group() override {}
  void begin_loop(Level, At, int64_t) override { operations += 4; }
  void begin_guard(int64_t) override { operations += 5; }
  void end_guard() override {}
  void end_loop(Level, int64_t, int64_t) override {}
  void sum_lanes(Level, int lane_bytes, const std::vector<FoldLanes>& vectors) override {
    const int lanes = 64 / lane_bytes;
    if (constants.empty()) operations += 7;  // the pool's alignment
    for (const FoldLanes& v : vectors) {
      // A run: the index's load, the permute, the add; a masked load or store 2 more (its mask).
      operations += 3 * static_cast<int64_t>(v.runs.size()) + 4 + 2 * v.from_image + 2 * (v.stored < lanes);
      for (const FoldLaneRun& run : v.runs) {
        operations += 2 * (run.loaded < lanes);
        if (constants.insert(run.index).second) operations += 7;  // 64 bytes of pool
      }
      if (!v.divisors.empty() && divisors.insert(v.divisors).second) operations += 7;
    }
  }
  void sum(At, const FoldSum& s) override {
    const auto accumulators = static_cast<int64_t>(s.pieces.size()) * s.pixels;
    const auto taps = static_cast<int64_t>(s.taps.size());
    operations += accumulators * (2 * (taps + s.from_image) + 4);  // a load and an add a tap (half: a round trip more)
    if (s.prefetch > 0 && !s.pieces.empty()) {
      const int64_t span = s.pieces.back().offset + s.pieces.back().width - s.pieces.front().offset;
      operations += s.pixels * taps * ((span + 63) / 64);
    }
  }
  int64_t operations = 0;
  std::set<std::vector<int16_t>> constants;  // permute indices: one pool entry each
  std::set<std::vector<int64_t>> divisors;   // and the mean's divisors
};

}  // namespace

Status fold_walk_supports(const FoldPlan& plan) {
  const Geometry& g = plan.geometry;
  if (!plan.sums_pixels() && !plan.sums_channel_rows()) {
    return Unimplemented("fold's JIT sums whole pixels (NHWC, patches in HWC order) or runs of a channel's columns ",
                         "(NCHW, patches as columns, column stride 1); the interpreter's loops run this format");
  }
  if (g.dtype == DType::kBFloat16) {
    return Unimplemented("fold's JIT has no bfloat16 rounding; the interpreter's loops run it");
  }
  // Every store is an offset from its row's dst, every tap one from its row group's src: the
  // patch rows a kernel spans (one more for a member's step), a row's columns and one patch
  // (every kernel element of every channel), a sum's pixels or channels, the prefetch distance;
  // a row's pixels and a sum's steps (row passes: a kernel's rows further). Bounded in 128
  // bits before the walk computes any of it in 64.
  using Wide = __int128;
  const Wide row_span = Wide{g.cols.out} * g.patch_steps.position;
  const Wide rows = Wide{g.rows.ksize - 1} * g.rows.rate / g.rows.stride + 2;
  const Wide reach = rows * row_span + Wide{g.cols.out + 1} * g.patch_steps.position +
                     Wide{g.rows.ksize} * g.cols.ksize * g.depth * g.patch_steps.element +
                     Wide{kMostPixels} * plan.patch_channel_step + plan.prefetch_bytes;
  const Wide image_row = Wide{g.cols.in} * g.image_steps.pixel + Wide{g.depth} * g.image_steps.channel +
                         Wide{kMostPixels} * plan.image_column_step +
                         (plan.row_passes ? Wide{g.rows.ksize} * g.rows.rate * g.image_steps.row : 0);
  if (reach >= (Wide{1} << 31) || Wide{g.rows.out} * row_span >= (Wide{1} << 62) || image_row >= (Wide{1} << 31)) {
    return Unimplemented("fold's JIT addresses by 32-bit offsets, and this fold's taps or pixels lie more than 2 GiB ",
                         "apart; the interpreter's loops run it");
  }
  return Status();
}

void walk_fold(const FoldPlan& plan, const FoldTarget& target, FoldSink& sink) {
  const Geometry& g = plan.geometry;
  const int64_t pos = g.patch_steps.position, out_cols = g.cols.out, kw = g.cols.ksize, C = g.depth;
  const int64_t kernel = g.rows.ksize * kw;  // elements of a patch, C each
  const int widest = g.dtype == DType::kHalf ? target.vector_bytes / 2 : target.vector_bytes;
  // What one sum adds: a pixel's C channels, pixels stepped along the group's columns; or
  // (sums_channel_rows) a channel's run of the group's columns, channels stepped along.
  const bool by_pixel = plan.sums_pixels();
  const std::vector<FoldPiece> pixel_pieces = by_pixel ? pieces_of(C * g.elem_size, widest) : std::vector<FoldPiece>();
  const bool chw = g.format.order == PatchOrder::kChw;
  const int64_t ahead = plan.prefetch_ahead();
  const bool in_lanes = plan.sums_lanes && target.lane_permutes;
  LaneRowWalk lane_rows(plan, target, sink);
  // The sums of one image row (a member of the open row group, `dst` bytes from its row
  // pointer) over the row taps given (from oh_first on: the member's patch row), each of
  // `channels` channels where a sum is a channel's run; from the image's partial sums rather
  // than +0 (row passes), divided by `rows` times each column's count where that is not 0.
  auto image_row = [&](const FoldTap* row_taps, int64_t row_count, int64_t oh_first, int64_t members, int64_t dst,
                       bool from_image, int64_t rows, int64_t channels) {
    if (in_lanes) return lane_rows.row(row_taps, row_count, oh_first, members, {dst, from_image, rows});
    for (const ColumnGroup& cols : plan.column_groups) {
      const FoldTap* col_taps = plan.column_taps_of(cols.first);
      const int64_t col_count = plan.column_count(cols.first);
      const int64_t ow_first = col_count > 0 ? col_taps[0].out : 0;
      const std::vector<FoldPiece> pieces = by_pixel ? pixel_pieces : pieces_of(cols.count * g.elem_size, widest);
      FoldSum s;
      s.dst_step = by_pixel ? plan.image_column_step : g.image_steps.channel;
      s.src_step = by_pixel ? pos : plan.patch_channel_step;
      s.prefetch = ahead;
      s.from_image = from_image;
      s.divisor = rows * col_count;
      for (int64_t r = 0; r < row_count; ++r) {  // row tap outer, column tap inner: ascending (oh, ow)
        for (int64_t t = 0; t < col_count; ++t) {
          const FoldTap row = row_taps[r], col = col_taps[t];
          const int64_t k = row.k * kw + col.k;  // the kernel element; channel 0's run at k0 elements
          const int64_t k0 = chw ? k : k * C;
          s.taps.push_back(((row.out - oh_first) * out_cols + (col.out - ow_first)) * pos + k0 * g.patch_steps.element);
          // Reads past a short run stay in its patch before its last kernel element (HWC
          // pixels only: a channel's run is read exactly).
          s.wide.push_back(by_pixel && !pieces.empty() && (kernel - k) * C * g.elem_size >= pieces.front().wide);
        }
      }
      pixels(sink, At{Level::kRow, dst + cols.first * g.image_steps.pixel, ow_first * pos},
             by_pixel ? cols.count : channels, s, pieces, target, widest,
             !by_pixel || C * g.elem_size < kOnePixelBytes);
    }
  };
  const bool mean = g.mode == FoldMode::kMean;
  // Every row group of the image's rows (with row passes: those with no taps, +0).
  auto rows_of_image = [&](int64_t channels) {
    for (const RowGroup& rows : plan.row_groups) {
      const FoldTap* row_taps = plan.row_taps_of(rows.first);
      const int64_t row_count = plan.row_count(rows.first);
      if (plan.row_passes && row_count > 0) continue;
      const int64_t oh_first = row_count > 0 ? row_taps[0].out : 0;  // ascending: the lowest
      sink.begin_row_group({rows.first, rows.count, g.rows.stride, oh_first * out_cols * pos, out_cols * pos});
      image_row(row_taps, row_count, oh_first, rows.count, 0, false, mean ? row_count : 0, channels);
      sink.end_row_group();
    }
  };
  // Row passes: each output row's kernel rows, each onto its image row where the range has it.
  auto passes_of_image = [&]() {
    const int64_t s = g.rows.stride, rate = g.rows.rate;
    for (const PassGroup& group : plan.pass_groups) {
      if (group.passes.empty()) continue;
      const int64_t first_row = group.first * s - g.rows.pad_before;  // kernel row 0's image row
      sink.begin_row_group({first_row, group.count, s, group.first * out_cols * pos, out_cols * pos,
                            group.passes.front().k * rate, group.passes.back().k * rate});
      for (const RowPass& pass : group.passes) {
        const FoldTap tap{group.first, pass.k};
        sink.begin_guard(pass.k * rate);
        image_row(&tap, 1, group.first, group.count, pass.k * rate * g.image_steps.row, !pass.first,
                  mean && pass.last ? pass.count : 0, C);
        sink.end_guard();
      }
      sink.end_row_group();
    }
  };
  sink.begin_kernel();
  const int64_t block = by_pixel ? C : std::clamp<int64_t>(plan.channel_block, 1, std::max<int64_t>(C, 1));
  if (block >= C) {
    rows_of_image(C);
    if (plan.row_passes) passes_of_image();
  } else {  // blocks of channels over all rows, then the rest
    sink.begin_channel_blocks(C / block);
    rows_of_image(block);
    sink.end_channel_blocks(block * g.image_steps.channel, block * plan.patch_channel_step);
    if (C % block > 0) rows_of_image(C % block);
  }
  sink.end_kernel();
}

int64_t fold_operations(const FoldPlan& plan, const FoldTarget& target) {
  CountingSink counting;
  walk_fold(plan, target, counting);
  return counting.operations;
}

}  // namespace pj
