#include "codegen/lower/fold_walk.h"

#include <algorithm>

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

// `count` pixels of one column group from `at`: unrolled sums of several pixels in a loop where
// a pixel takes few accumulators; else pixel by pixel, each a loop over blocks of vectors.
void pixels(FoldSink& sink, At at, int64_t count, const FoldSum& base, const std::vector<FoldPiece>& pieces,
            const FoldTarget& target, int widest) {
  if (count <= 0) return;
  const int np = static_cast<int>(pieces.size());
  FoldSum s = base;
  if (np <= target.accumulators) {
    const auto p =
        static_cast<int>(std::min<int64_t>(count, std::clamp(target.accumulators / std::max(np, 1), 1, kMostPixels)));
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
  void end_loop(Level, int64_t, int64_t) override {}
  void sum(At, const FoldSum& s) override {
    const auto accumulators = static_cast<int64_t>(s.pieces.size()) * s.pixels;
    const auto taps = static_cast<int64_t>(s.taps.size());
    operations += accumulators * (2 * taps + 4);  // a load and an add a tap (half: a round trip more)
    if (s.prefetch > 0 && !s.pieces.empty()) {
      const int64_t span = s.pieces.back().offset + s.pieces.back().width - s.pieces.front().offset;
      operations += s.pixels * taps * ((span + 63) / 64);
    }
  }
  int64_t operations = 0;
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
  // a row's pixels and a sum's steps. Bounded in 128 bits before the walk computes any of it in
  // 64.
  using Wide = __int128;
  const Wide row_span = Wide{g.cols.out} * g.patch_steps.position;
  const Wide rows = Wide{g.rows.ksize - 1} * g.rows.rate / g.rows.stride + 2;
  const Wide reach = rows * row_span + Wide{g.cols.out + 1} * g.patch_steps.position +
                     Wide{g.rows.ksize} * g.cols.ksize * g.depth * g.patch_steps.element +
                     Wide{kMostPixels} * plan.patch_channel_step + plan.prefetch_bytes;
  const Wide image_row = Wide{g.cols.in} * g.image_steps.pixel + Wide{g.depth} * g.image_steps.channel +
                         Wide{kMostPixels} * plan.image_column_step;
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
  // Every row group of the image's rows, each sum of `channels` channels where a sum is a
  // channel's run.
  auto rows_of_image = [&](int64_t channels) {
    for (const RowGroup& rows : plan.row_groups) {
      const FoldTap* row_taps = plan.row_taps_of(rows.first);
      const int64_t row_count = plan.row_count(rows.first);
      const int64_t oh_first = row_count > 0 ? row_taps[0].out : 0;  // ascending: the lowest
      sink.begin_row_group({rows.first, rows.count, g.rows.stride, oh_first * out_cols * pos, out_cols * pos});
      for (const ColumnGroup& cols : plan.column_groups) {
        const FoldTap* col_taps = plan.column_taps_of(cols.first);
        const int64_t col_count = plan.column_count(cols.first);
        const int64_t ow_first = col_count > 0 ? col_taps[0].out : 0;
        const std::vector<FoldPiece> pieces = by_pixel ? pixel_pieces : pieces_of(cols.count * g.elem_size, widest);
        FoldSum s;
        s.dst_step = by_pixel ? plan.image_column_step : g.image_steps.channel;
        s.src_step = by_pixel ? pos : plan.patch_channel_step;
        s.prefetch = ahead;
        s.divisor = g.mode == FoldMode::kMean ? row_count * col_count : 0;
        for (int64_t r = 0; r < row_count; ++r) {  // row tap outer, column tap inner: ascending (oh, ow)
          for (int64_t t = 0; t < col_count; ++t) {
            const FoldTap row = row_taps[r], col = col_taps[t];
            const int64_t k = row.k * kw + col.k;  // the kernel element; channel 0's run at k0 elements
            const int64_t k0 = chw ? k : k * C;
            s.taps.push_back(((row.out - oh_first) * out_cols + (col.out - ow_first)) * pos +
                             k0 * g.patch_steps.element);
            // Reads past a short run stay in its patch before its last kernel element (HWC
            // pixels only: a channel's run is read exactly).
            s.wide.push_back(by_pixel && !pieces.empty() && (kernel - k) * C * g.elem_size >= pieces.front().wide);
          }
        }
        pixels(sink, At{Level::kRow, cols.first * g.image_steps.pixel, ow_first * pos}, by_pixel ? cols.count : channels,
               s, pieces, target, widest);
      }
      sink.end_row_group();
    }
  };
  sink.begin_kernel();
  const int64_t block = by_pixel ? C : std::clamp<int64_t>(plan.channel_block, 1, std::max<int64_t>(C, 1));
  if (block >= C) {
    rows_of_image(C);
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
